"""The official forms, one package per sheet (:mod:`.self_evaluation`, :mod:`.declaration`), and
the protocol through which everyone else uses them.

A form is reached only through :func:`form_for` (one form) or :func:`all_forms` (every form, in
the order a sheet is recognised); both return :class:`FormSpec`, never the package, so a
caller depends on this written protocol and not on a package's modules. A form package's
``__init__`` exports exactly the protocol's names — the fields of :class:`FormSpec`, in its
``__all__`` — and nothing else (tests/forms/test_forms_protocol.py):

- ``form`` — the :class:`~perfxl.model.Form` it is;

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

Inside a package the modules are cut the same way: ``spec`` (where everything is: labels,
columns, the SheetMap), ``formulas`` (computed cells and defined names), ``validation``
(drop-downs and conditional formats), ``sheet`` (the whole sheet laid out), ``reader`` (a sheet
into the model, in named steps), ``paint`` (what scoring paints). No module is named like a
protocol name (``layout``, ``read``), so ``package.read`` is always the function. What both forms need lives once in this
package: :mod:`.layout` (writing), :mod:`.reading` (reading), :mod:`.targetcells`,
:mod:`.formulas`, :mod:`.grid`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
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


@lru_cache(maxsize=1)
def all_forms() -> tuple[FormSpec, ...]:
    """Every form, self-evaluation first (a sheet is tried against them in this order)."""
    from perfxl.forms import declaration, self_evaluation

    return tuple(FormSpec(**{f.name: getattr(package, f.name) for f in fields(FormSpec)})
                 for package in (self_evaluation, declaration))


def form_for(form: Form | str) -> FormSpec:
    """The :class:`FormSpec` of ``form`` (a :class:`~perfxl.model.Form` or its value)."""
    form = Form(form)
    return next(spec for spec in all_forms() if spec.form is form)
