"""Reading the v2 structured cells as people fill them (issue 15 on template v2; the corpus cases
se1_target_words, se1_target_formula, se1_percent_typed and se1_float_noise show the same on
LibreOffice-saved files): a whole target typed into the 指标值 cell (W780), text where a number
belongs (W702), a number typed over the printed 得分 formula, and the comparator/unit/填写得分
cells that finalize must leave editable. Workbooks are written by perfxl and edited with openpyxl."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from perfxl.cli import main
from perfxl.forms.workbook import read_workbook
from perfxl.model import locations
from tests.paths import PERFXL

SEEDS = PERFXL / "data" / "seeds"


def _write(tmp_path: Path, seed: str, name: str) -> Path:
    data = json.loads((SEEDS / seed).read_text(encoding="utf-8"))
    spec = tmp_path / f"{name}.json"
    spec.write_text(json.dumps({**data, "projects": data["projects"][:1]}, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / f"{name}.xlsx"
    assert main(["import", str(spec), "-o", str(out)]) <= 1
    return out


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("v2cells")
    return {"se": _write(tmp, "self_evaluation_2023.json", "se"), "decl": _write(tmp, "declaration_2026.json", "decl")}


def _read(path: Path, edit):
    wb = openpyxl.load_workbook(path)
    edit(wb.worksheets[0])
    pf, findings, _maps = read_workbook(wb)
    return pf.projects[0], findings


def _at(findings, code: str) -> dict[str, str]:
    return {f.cell: f.message for f in findings if f.code == code}


def test_whole_target_in_the_value_cell_of_a_declaration(books):
    # row 17: 对六个公园进行安全技术支撑次数, = 40 次; typed whole, with its own comparator
    def edit(ws):
        assert ws["D17"].value == "对六个公园进行安全技术支撑次数" and ws["F17"].value == "="
        ws["G17"] = "不低于40次"

    project, findings = _read(books["decl"], edit)
    ind = next(i for i in project.indicators if i.name == "对六个公园进行安全技术支撑次数")
    assert ind.target == "≥40.00(次)"
    message = _at(findings, "W780")["G17"]
    assert "比较符 ≥、指标值 40、单位 次" in message and "以指标值中写的“≥”为准" in message
    assert not [f for f in findings if f.code in ("T101", "X508")]


def test_whole_target_and_text_number_on_a_self_evaluation(books):
    # row 15: 先行联系和解释安抚 ≥ 20000 件, actual 24582; row 26: 市民满意度评分 ≥ 85 %, actual 88.38
    def edit(ws):
        ws["E15"] = "20000件以上"
        ws["G26"] = "88.38%"  # text: what '88.38% typed in a spreadsheet stores

    project, findings = _read(books["se"], edit)
    by_name = {i.name: i for i in project.indicators}
    assert by_name["先行联系和解释安抚"].target == "≥20000.00(件)"
    assert "比较符 ≥、指标值 20000、单位 件" in _at(findings, "W780")["E15"]
    assert by_name["市民满意度评分"].actual == "88.38%"
    assert "88.38(%)" in _at(findings, "W702")["G26"]


def test_a_percentage_typed_as_text_in_the_value_cell_is_the_whole_target(books):
    # row 26: 市民满意度评分 ≥ 85 (%); '95% typed: the text 95%, read as the number 95 in %
    project, findings = _read(books["se"], lambda ws: ws.__setitem__("E26", "95%"))
    assert project.indicators[-1].target == "≥95.00(%)"
    assert list(_at(findings, "W780")) == ["E26"]
    assert not [f for f in findings if f.code in ("T101", "W702")]


def test_a_number_typed_over_the_printed_score_is_the_score(books):
    # row 14: 热线派遣人员数量, 填写得分 N14 = 5; the evaluator types 4 over the 得分 formula J14
    def edit(ws):
        assert ws["N14"].value == 5 and str(ws["J14"].value).startswith("=")
        ws["J14"] = 4

    project, _ = _read(books["se"], edit)
    ind = project.indicators[0]
    assert ind.score == 4
    assert locations(ind)["score"][1] == "J14"


def test_comparator_unit_and_typed_score_cells_are_located_inputs(books):
    """finalize unlocks the located cells: the comparator and unit cells (and 填写得分) too."""
    project, _ = _read(books["se"], lambda ws: None)
    where = locations(project.indicators[0])
    assert (where["target_comparator"][1], where["target_unit"][1], where["score_typed"][1]) == ("D14", "F14", "N14")
    project, _ = _read(books["decl"], lambda ws: None)
    where = locations(project.indicators[0])
    assert (where["target_comparator"][1], where["target_unit"][1]) == ("F14", "H14")


def test_w780_is_in_the_catalogue(capsys):
    assert main(["explain", "W780"]) == 0
    assert "分别填入三格" in capsys.readouterr().out
