"""The forms' written protocol (:mod:`perfxl.forms`): every form is reached through
``form_for``/``all_forms``, a form package exports exactly the protocol's names, and nothing
outside perfxl/forms imports a form package or its modules."""

from __future__ import annotations

import types
from dataclasses import fields

import pytest

from perfxl.forms import FormSpec, all_forms, form_for
from perfxl.forms import declaration, self_evaluation
from perfxl.forms.grid import Grid
from perfxl.model import Form
from tests.project.test_import_graph import import_graph

FORM_PACKAGES = ("perfxl.forms.self_evaluation", "perfxl.forms.declaration")
PROTOCOL = [f.name for f in fields(FormSpec)]


def test_every_form_has_one_spec_in_recognition_order():
    assert [spec.form for spec in all_forms()] == [Form.SELF_EVALUATION, Form.DECLARATION]
    assert {spec.form for spec in all_forms()} == set(Form)
    se, de = form_for(Form.SELF_EVALUATION), form_for("declaration")
    assert isinstance(se, FormSpec) and se.layout is self_evaluation.layout and se.read is self_evaluation.read
    assert de.layout is declaration.layout and de.recognises is declaration.recognises
    assert "偏差原因分析" in se.prompt_titles and "项目资金" in de.prompt_titles
    assert de.score_results(object()) == {}
    with pytest.raises(ValueError):
        form_for("summary")


def test_a_sheet_is_recognised_by_its_title():
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"] = "财政项目支出绩效目标申报表", "（2026年度）"
    assert [s.form for s in all_forms() if s.recognises(Grid(ws))] == [Form.DECLARATION]


@pytest.mark.parametrize("package", [self_evaluation, declaration], ids=lambda p: p.__name__)
def test_a_form_package_exports_exactly_the_protocol(package):
    assert package.__all__ == PROTOCOL
    # what the package itself defines or imports by name, its submodules aside
    public = {name for name, value in vars(package).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert public == set(PROTOCOL)
    assert all(callable(getattr(package, name)) for name in PROTOCOL
               if name not in ("form", "prompt_titles"))


def test_only_perfxl_forms_imports_a_form_module():
    outside = sorted(f"{m} → {t}" for m, targets in import_graph().items()
                     if not m.startswith("perfxl.forms") for t in targets
                     if any(t == p or t.startswith(p + ".") for p in FORM_PACKAGES))
    assert outside == [], outside
