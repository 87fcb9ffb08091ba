"""The official forms, one module per sheet (:mod:`.self_evaluation`, :mod:`.declaration`), and
the protocol through which everyone else uses them.

A form is reached only through :func:`form_for` (one form) or :func:`all_forms` (every form, in
the order a sheet is recognised); both return :class:`FormSpec`, never the module, so a
caller depends on this written protocol and not on a module's other names:

- ``recognises(grid)`` — whether a sheet's :class:`~perfxl.forms.grid.Grid` is this form (by its
  title and year rows; a ``pxl_form`` defined name is checked by the caller first);
- ``layout(project, sheet, settings) -> (Patch, SheetMap)`` — the whole sheet for a project;
- ``read(ws, grid) -> (project | None, SheetMap, findings)`` — a sheet back into the model, each
  value located (:func:`perfxl.model.locate`); ``None`` when no project can be read;
- ``formulas_patch(map, project)``, ``names_patch(map)``, ``validations_patch(map)``,
  ``conditional_patch(map)`` — the computed cells, defined names, drop-downs and conditional
  formats laid out again for the rows a read ``SheetMap`` found;
- ``findings_patch(map, project, score, ws, settings)`` — the score painting (missing reasons);
- ``prompt_titles`` — titles of the input prompts perfxl owns (cleared before laying out again);
- ``score_results(map)`` — results of the user's own 得分 formulas to store after a save
  (:mod:`perfxl.stored_values`); an empty dict for forms without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from perfxl.model import Form


@dataclass(frozen=True)
class FormSpec:
    """One official form as the rest of perfxl sees it (see the module doc)."""

    form: Form
    recognises: Callable[[Any], bool]
    layout: Callable[..., Any]
    read: Callable[..., Any]
    formulas_patch: Callable[..., Any]
    names_patch: Callable[..., Any]
    validations_patch: Callable[..., Any]
    conditional_patch: Callable[..., Any]
    findings_patch: Callable[..., Any]
    prompt_titles: tuple[str, ...]
    score_results: Callable[[Any], dict]


def _no_results(_map: Any) -> dict:
    return {}


@lru_cache(maxsize=1)
def all_forms() -> tuple[FormSpec, ...]:
    """Every form, self-evaluation first (a sheet is tried against them in this order)."""
    from perfxl.forms import declaration as de
    from perfxl.forms import self_evaluation as se

    def spec(form: Form, module, recognises, score_results) -> FormSpec:
        return FormSpec(form, recognises, module.layout, module.read, module.formulas_patch,
                        module.names_patch, module.validations_patch, module.conditional_patch,
                        module.findings_patch, tuple(module.PROMPT_TITLES), score_results)

    return (spec(Form.SELF_EVALUATION, se, se.is_self_evaluation, se.score_results),
            spec(Form.DECLARATION, de, de.is_declaration, _no_results))


def form_for(form: Form | str) -> FormSpec:
    """The :class:`FormSpec` of ``form`` (a :class:`~perfxl.model.Form` or its value)."""
    form = Form(form)
    return next(spec for spec in all_forms() if spec.form is form)
