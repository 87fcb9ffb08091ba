"""A finding's severity is its rule's, as ``perfxl explain`` prints it: findings are built only
through :func:`perfxl.findings.finding`, and on a corpus of real and damaged inputs every emitted
severity equals the catalogue's. JSON writes severities as ``error|warning|info``."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import openpyxl
import pytest

from perfxl.cli import main
from perfxl.findings import RULES, Finding, Severity, finding
from perfxl.forms.workbook import WorkbookReadError, write_projects
from perfxl.model import ProjectFile
from perfxl.rules.checks import check_file
from perfxl.sources import load
from perfxl.textimport import read_text
from tests.conftest import SEEDS, load_seed
from tests.paths import CORPUS, PERFXL


def test_findings_are_built_only_through_the_catalogue():
    """No module but perfxl/findings.py calls ``Finding(...)`` with a severity of its own."""
    offenders = []
    for path in sorted(PERFXL.rglob("*.py")):
        if path == PERFXL / "findings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Finding":
                offenders.append(f"{path.relative_to(PERFXL.parent)}:{node.lineno}")
    assert offenders == []


def test_finding_takes_the_severity_of_its_rule():
    for code, rule in RULES.items():
        assert finding(code, "表", "A1", "说明").severity is rule.severity, code
    assert RULES["W703"].severity is Severity.WARNING


def _assert_catalogued(findings: list[Finding], where: str) -> set[str]:
    wrong = [(f.code, f.severity.value, RULES[f.code].severity.value) for f in findings
             if f.severity is not RULES[f.code].severity]
    assert wrong == [], where
    return {f.code for f in findings}


def _workbook(tmp_path: Path, name: str, index: int) -> Path:
    seed = load_seed(name)
    path = tmp_path / f"{Path(name).stem}_{index}.xlsx"
    write_projects(ProjectFile(settings=seed.settings, projects=[seed.projects[index]]), path)
    return path


def _damaged(src: Path, dst: Path, change) -> Path:
    wb = openpyxl.load_workbook(src)
    change(wb)
    wb.save(dst)
    return dst


def _relabel(wb, old: str, new: str) -> None:
    for row in wb.worksheets[0].iter_rows():
        for cell in row:
            if cell.value == old:
                cell.value = new


def _set(wb, ref: str, value) -> None:
    wb.worksheets[0][ref].value = value


def test_severities_on_seeds_demo_and_damaged_workbooks(tmp_path, capsys):
    seen: set[str] = set()
    # the seeds as JSON, as published text, and as workbooks
    for name in ("self_evaluation_2023.json", "declaration_2026.json"):
        seen |= _assert_catalogued(check_file(load_seed(name)), name)
    for text in ("published_self_evaluation_2023.txt", "published_declaration_2026.txt"):
        pf, findings = read_text(SEEDS / text)
        seen |= _assert_catalogued([*findings, *check_file(pf)], text)
    books = [_workbook(tmp_path, "self_evaluation_2023.json", 0),
             _workbook(tmp_path, "declaration_2026.json", 0)]
    # the demo's output
    assert main(["demo", "-o", str(tmp_path / "demo")]) in (0, 1)
    capsys.readouterr()
    books += sorted((tmp_path / "demo").glob("*.xlsx"))
    # damaged copies: lost labels and headers (W703), the year (W706), the name (W704),
    # unreadable and text numbers (W701, W702), a macro workbook (H955)
    se, de = books[0], books[1]
    damage = {
        "no_indicator_header": (se, lambda wb: _relabel(wb, "三级指标", "指标")),
        "no_funds_header": (se, lambda wb: _relabel(wb, "年初预算数", "预算")),
        "decl_no_indicator_header": (de, lambda wb: _relabel(wb, "三级指标", "指标")),
    }
    # without its year the only sheet is no form at all: exit 2 naming the year's cell
    no_year = _damaged(se, tmp_path / "no_year.xlsx", lambda wb: _relabel(wb, "（2023年度）", ""))
    with pytest.raises(WorkbookReadError, match=r"!A2：找不到年度"):
        load(no_year)
    for label, (src, change) in damage.items():
        books.append(_damaged(src, tmp_path / f"{label}.xlsx", change))
    for path in books:
        pf, findings = load(path)
        seen |= _assert_catalogued([*findings, *check_file(pf)], path.name)
    assert {"W703", "D301", "S209", "T105", "I901"} <= seen, sorted(seen)


def test_lost_indicator_header_is_a_warning_as_catalogued(tmp_path):
    """W703 (找不到表格栏目) is a 警告; the missing indicators themselves are reported by the
    structure and weight checks (X501/X502, S201)."""
    for name in ("self_evaluation_2023.json", "declaration_2026.json"):
        src = _workbook(tmp_path, name, 0)
        pf, findings = load(_damaged(src, tmp_path / "broken.xlsx",
                                     lambda wb: _relabel(wb, "三级指标", "指标")))
        w703 = [f for f in findings if f.code == "W703"]
        assert w703 and {f.severity for f in w703} == {Severity.WARNING}, findings


def test_summary_json_severities_are_keywords_and_the_sheet_shows_chinese(tmp_path, capsys):
    out = tmp_path / "汇总.xlsx"
    code = main(["summary", str(SEEDS / "self_evaluation_2023.json"), "-o", str(out), "--json"])
    data = json.loads(capsys.readouterr().out)
    severities = {f["severity"] for f in data["findings"]}
    assert severities and severities <= {"error", "warning", "info"}, severities
    assert code == (1 if "error" in severities else 0)  # D301 is an error: exit 1
    assert code == 1
    ws = openpyxl.load_workbook(out)["问题清单"]
    header = [c.value for c in ws[1]]
    shown = {row[header.index("级别")] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert shown and shown <= {"错误", "警告", "提示"}, shown


_KEYWORD = {"错误": "error", "警告": "warning", "提示": "info"}


def test_corpus_severities_equal_what_explain_prints(capsys):
    """For every code ``perfxl check --json`` emits on the returned-files corpus, the JSON
    severity is the keyword of what ``perfxl explain CODE`` prints."""
    cases = sorted(str(p) for p in [*CORPUS.glob("cases/*.xlsx"), *CORPUS.glob("v1/cases/*.xlsx")])
    assert len(cases) >= 40
    assert main(["check", "--json", *cases]) == 1  # the corpus holds errors (D301 …)
    emitted = json.loads(capsys.readouterr().out)["findings"]
    by_code: dict[str, set[str]] = {}
    for f in emitted:
        by_code.setdefault(f["code"], set()).add(f["severity"])
    assert {"D301", "S209", "T104", "W707", "W750", "W780"} <= set(by_code), sorted(by_code)
    for code, severities in sorted(by_code.items()):
        assert main(["explain", code]) == 0
        head = capsys.readouterr().out.splitlines()[0]  # "CODE [警告] title"
        label = head.split("[", 1)[1].split("]", 1)[0]
        assert severities == {_KEYWORD[label]}, (code, severities, head)


def test_the_catalogue_refuses_a_duplicate_code():
    from perfxl.rules.catalog import CATALOG, catalogue

    rule = CATALOG[0]
    with pytest.raises(ValueError, match=f"duplicate rule code {rule.code}"):
        catalogue(CATALOG, (rule,))
    with pytest.raises(TypeError):
        RULES["Z999"] = rule  # read-only: nothing adds a rule later


def test_the_catalogue_is_assembled_in_one_place():
    """Every area's rules are listed in perfxl/rules/catalog.py and nowhere else: no module
    builds a catalogue or writes into RULES, so nothing registers by being imported."""
    from perfxl.rules import catalog, catalog_hostile, catalog_text, catalog_workbook

    groups = (catalog.CATALOG, catalog_workbook.WORKBOOK_RULES, catalog_workbook.OUTPUT_RULES,
              catalog_hostile.HOSTILE_RULES, catalog_text.TEXT_RULES)
    assert len(RULES) == sum(len(g) for g in groups)
    assert all(RULES[r.code] is r for g in groups for r in g)
    offenders = []
    for path in sorted(PERFXL.rglob("*.py")):
        if path == PERFXL / "rules" / "catalog.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", ""))
            stored = (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                      and getattr(node.value, "id", "") == "RULES")
            if called in ("catalogue", "register") or stored:
                offenders.append(f"{path.relative_to(PERFXL.parent)}:{node.lineno}")
    assert offenders == []
