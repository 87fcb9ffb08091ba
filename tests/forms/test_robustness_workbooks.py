"""Broken workbooks: seed workbooks written with ``write_projects``, then damaged the
way emailed copies come back — numbers typed as text, garbage, error values, deleted rows,
unmerged cells, renamed, missing or duplicated sheets. ``sources.load``, ``check_file`` and the
CLI never raise, and each defect injected into a field's cell is reported at that cell.

Workbooks are built in memory from one seed workbook per form (a few hundred examples in all).
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from xml.sax.saxutils import escape
from pathlib import Path

import openpyxl
import pytest

from perfxl.forms.workbook import WorkbookReadError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from perfxl.cellvalues import CellValueError, parse_optional_number
from perfxl.findings import RULES
from perfxl.safety import set_text_cell
from perfxl.model import ProjectFile
from perfxl.errors import InputError
from perfxl.sources import load
from tests.conftest import load_seed
from tests.strategies import damaged_target_texts, target_texts

from perfxl.forms import workbook
from perfxl.forms.settings_sheet import SHEET as SETTINGS
from perfxl.rules import checks, targets

SEED_NAMES = ("self_evaluation_2023.json", "declaration_2026.json")
NUMBER_FIELDS = ("weight", "score", "initial_budget", "budget", "executed", "project_total",
                 "project_fiscal", "project_other", "annual_total", "annual_fiscal",
                 "annual_carryover", "annual_other")
TEXT_FIELDS = ("target",)
SEED_KEYS = [f"self_evaluation_2023.json[{i}]" for i in range(4)] + [f"declaration_2026.json[{i}]" for i in range(4)]
DATE_FIELDS = ("start_date", "end_date")


def fuzz(n: int) -> settings:
    # No shrinking: a failing workbook is reported as generated (shrinking re-runs whole reads).
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def _objects(project):
    yield project
    yield from project.indicators
    funds = project.funds
    yield funds
    for name in type(funds).model_fields:
        part = getattr(funds, name)
        if hasattr(part, "_cells"):
            yield part


def _locations(pf) -> dict[str, list[tuple[str, str, str]]]:
    """kind -> [(field, sheet, cell)] for every located field of every project."""
    out: dict[str, list[tuple[str, str, str]]] = {"number": [], "text": [], "date": []}
    for project in pf.projects:
        for obj in _objects(project):
            for fld, (sheet, cell) in obj._cells.items():
                if not cell or fld.startswith("__"):
                    continue
                kind = ("number" if fld in NUMBER_FIELDS else "text" if fld in TEXT_FIELDS
                        else "date" if fld in DATE_FIELDS else None)
                if kind:
                    out[kind].append((fld, sheet, cell))
    return out


class _Seeds(dict):
    def __repr__(self) -> str:  # keeps hypothesis' failure reports short
        return "<seed workbooks>"


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """For each seed project, a one-project workbook: (bytes, located fields, sheet names)."""
    out = _Seeds()
    for name in SEED_NAMES:
        seed = load_seed(name)
        for i, project in enumerate(seed.projects):
            path = tmp_path_factory.mktemp("seed") / f"{Path(name).stem}_{i}.xlsx"
            workbook.write_projects(ProjectFile(settings=seed.settings, projects=[project]), path)
            pf, findings = workbook.read_projects(path)
            assert len(pf.projects) == 1, f"{name}[{i}]: seed workbook reads back {len(pf.projects)} projects"
            locs = _locations(pf)
            assert locs["number"] and locs["text"], f"{name}: reader records no cell locations"
            with zipfile.ZipFile(path) as z:
                titles = re.findall(r'<sheet [^>]*name="([^"]+)"', z.read("xl/workbook.xml").decode())
            out[f"{name}[{i}]"] = (path.read_bytes(), locs, [html.unescape(t) for t in titles])
    return out


def test_clean_seed_workbooks_read_without_w7_errors(seeds, tmp_path):
    for name, (data, _, _) in seeds.items():
        p = tmp_path / "clean.xlsx"
        p.write_bytes(data)
        pf, findings = load(p)
        assert len(pf.projects) == 1
        assert not [f for f in findings if f.code.startswith("W") and f.severity.value == "error"], findings


GARBAGE = ["abc", "约100", "12元", "1.2.3", "#DIV/0!", "#N/A", "#REF!", "=cmd|' /C calc'!A0", True,
           "１２,３4５", "—", "N/A", "2026-01-01"]
# (a control character is no garbage a cell can hold: the writer turns it into a space, W736)
NUMBER_TEXTS = ["1,813,200.00", "１２３", "88.38%", " 7.00 ", "８．５"]
DATE_TEXTS = ["2026年1月1日", "2026/1/1", "明年", "#VALUE!", "2026-02-30", 12.5, "abc"]

# Target cells as staff type them (the real grammar), damaged as returned forms show, or odd.
target_values = st.one_of(
    st.sampled_from(["", " ", "大约九个", "≥", "≥abc(人)", "#N/A", 42]),
    target_texts().map(lambda case: case[0]),
    damaged_target_texts().map(lambda case: case[0]),
)

defect = st.one_of(
    st.tuples(st.just("number_garbage"), st.sampled_from(GARBAGE)),
    st.tuples(st.just("number_text"), st.sampled_from(NUMBER_TEXTS)),
    st.tuples(st.just("target"), target_values),
    st.tuples(st.just("date"), st.sampled_from(DATE_TEXTS)),
    st.tuples(st.just("delete_row"), st.integers(1, 60)),
    st.tuples(st.just("unmerge"), st.integers(0, 50)),
    st.tuples(st.just("rename_sheet"), st.sampled_from(["Sheet1", "项目", "x" * 31, "表 (2)"])),
    st.tuples(st.just("delete_sheet"), st.integers(0, 50)),
    st.tuples(st.just("copy_sheet"), st.integers(0, 50)),
    st.tuples(st.just("wrong_type"), st.sampled_from([3.5, True, 0, -1])),
)


def _set(ws, cell: str, value) -> None:
    """Write like a person would: text stays text (an error value is a real error cell)."""
    c = ws[cell]
    if type(c).__name__ == "MergedCell":  # write the merge's anchor instead
        for rng in ws.merged_cells.ranges:
            if cell in rng:
                c = ws.cell(rng.min_row, rng.min_col)
                break
    if isinstance(value, str) and not value.startswith("#"):
        set_text_cell(c, value)
    else:
        c.value = value


# a defect typed into one cell -> the kind of field cell it goes into
_CELL_DEFECTS = {"number_garbage": "number", "number_text": "number", "wrong_type": "number",
                 "target": "text", "date": "date"}


def _inject(data: bytes, locs, sheetnames, defects, draw_index) -> tuple[bytes, list[tuple[str, str, str, object]]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    expected: list[tuple[str, str, str, object]] = []  # (kind, sheet, cell, value)
    structural = False
    touched: set[tuple[str, str]] = set()
    for (kind, arg), i in zip(defects, draw_index):
        if kind in _CELL_DEFECTS and locs[_CELL_DEFECTS[kind]]:
            cells = locs[_CELL_DEFECTS[kind]]
            fld, sheet, cell = cells[i % len(cells)]
            if sheet in wb.sheetnames and (sheet, cell) not in touched:
                _set(wb[sheet], cell, arg)
                touched.add((sheet, cell))
                expected.append((kind, sheet, cell, arg))
        elif kind == "delete_row":
            ws = wb.worksheets[i % len(wb.worksheets)]
            ws.delete_rows(arg)
            structural = True
        elif kind == "unmerge":
            ws = wb.worksheets[i % len(wb.worksheets)]
            for rng in list(ws.merged_cells.ranges)[: arg % 7 + 1]:
                ws.unmerge_cells(str(rng))
            structural = True
        elif kind == "rename_sheet":
            ws = wb.worksheets[i % len(wb.worksheets)]
            if arg not in wb.sheetnames:
                ws.title = arg
            structural = True
        elif kind == "delete_sheet" and len(wb.worksheets) > 1:
            title = wb.sheetnames[arg % len(wb.sheetnames)]
            # a workbook left with no form sheet is refused by design
            # (test_structural_damage_has_its_own_outcome): keep one sheet besides the settings
            # sheet, so the damage stays a readable workbook
            if any(t not in (title, SETTINGS) for t in wb.sheetnames):
                del wb[title]
            structural = True
        elif kind == "copy_sheet":
            wb.copy_worksheet(wb.worksheets[arg % len(wb.worksheets)])
            structural = True
    if all(ws.sheet_state != "visible" for ws in wb.worksheets):
        wb.worksheets[0].sheet_state = "visible"  # a workbook needs one visible sheet
    buf = io.BytesIO()
    wb.save(buf)
    # Once rows or sheets move, the injected cells' addresses are no longer the fields' cells.
    return buf.getvalue(), ([] if structural else expected)


def _cell_xml(ref: str, style: str, value) -> str:
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if value.startswith("#"):
        return f'<c r="{ref}"{style} t="e"><v>{escape(value)}</v></c>'
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def _inject_cells(data: bytes, sheetnames: list[str], edits: dict[tuple[str, str], object]) -> tuple[bytes, dict]:
    """Replace cells' XML directly (milliseconds, where openpyxl takes a second per workbook).
    Returns the new bytes and the edits actually made (cells that exist in the XML)."""
    done = {}
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info.filename)
    for (sheet, ref), value in edits.items():
        if sheet not in sheetnames:
            continue
        member = f"xl/worksheets/sheet{sheetnames.index(sheet) + 1}.xml"
        xml = parts[member].decode("utf-8")
        m = re.search(rf'<c r="{ref}"( s="\d+")?[^>]*?(?:/>|>.*?</c>)', xml)
        if not m:
            continue
        xml = xml[: m.start()] + _cell_xml(ref, m.group(1) or "", value) + xml[m.end():]
        parts[member] = xml.encode("utf-8")
        done[(sheet, ref)] = value
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in parts.items():
            z.writestr(name, blob)
    return buf.getvalue(), done


cell_defect = st.one_of(
    st.tuples(st.just("number_garbage"), st.sampled_from(GARBAGE)),
    st.tuples(st.just("number_text"), st.sampled_from(NUMBER_TEXTS)),
    st.tuples(st.just("target"), target_values),
    st.tuples(st.just("date"), st.sampled_from(DATE_TEXTS)),
    st.tuples(st.just("wrong_type"), st.sampled_from([3.5, True, 0, -1])),
)


@fuzz(100)
@given(st.data())
def test_cell_defects_reported_at_their_cell(seeds, tmp_path_factory, data):
    """Cheap cell-level damage (XML edits): every defect is reported at its cell."""
    name = data.draw(st.sampled_from(sorted(seeds)))
    blob, locs, sheetnames = seeds[name]
    edits: dict[tuple[str, str], object] = {}
    kinds: dict[tuple[str, str], str] = {}
    for kind, value in data.draw(st.lists(cell_defect, min_size=1, max_size=5)):
        pool = locs["number" if kind in ("number_garbage", "number_text", "wrong_type") else
                    "text" if kind == "target" else "date"]
        if not pool:
            continue
        _, sheet, cell = data.draw(st.sampled_from(pool))
        edits[(sheet, cell)] = value
        kinds[(sheet, cell)] = kind
    broken, done = _inject_cells(blob, sheetnames, edits)
    path = tmp_path_factory.mktemp("cells") / "broken.xlsx"
    path.write_bytes(broken)
    pf, findings = load(path)  # cell damage never makes a workbook unreadable
    findings = [*findings, *checks.check_file(pf)]
    _assert_reported(pf, findings, [(kinds[k], *k, v) for k, v in done.items()])


_UNREADABLE_DATES = ("明年", "#VALUE!", "2026-02-30", "abc")


def _expected_code(kind: str, value) -> str | None:
    """The finding a damaged field cell must carry (None: a value the reader may accept)."""
    if kind in ("number_garbage", "number_text", "wrong_type"):
        if isinstance(value, bool):
            return "W701"
        if not isinstance(value, str) or value.startswith("#"):
            return None if not isinstance(value, str) else "W701"  # an error cell
        try:
            number = parse_optional_number(value)
        except CellValueError:
            return "W701"
        # a number stored as text is read and pointed out; a dash or N/A reads as blank
        return None if number is None else "W702"
    if kind == "target":  # v2: the 指标值 cell, beside its comparator and unit
        if isinstance(value, int):
            return None  # a number is what the cell holds
        if value.startswith("#"):
            return None  # written as an error cell (see the report on #N/A targets)
        if not value.strip():
            return "X508"
        return "T101?"  # unreadable once read with its comparator and unit: T101 (checked below)
    if kind == "date":
        return "W701" if value in _UNREADABLE_DATES else None
    raise AssertionError(kind)


def _assert_reported(pf, findings, expected) -> None:
    """Every finding is complete and registered, and each damaged cell carries its own code."""
    for f in findings:
        assert f.code in RULES and f.message and f.sheet is not None, f
    at = {(f.code, f.sheet, f.cell) for f in findings}
    for kind, sheet, cell, value in expected:
        code = _expected_code(kind, value)
        if code == "T101?":
            text = _read_back(pf, sheet, cell)
            code = "T101" if text and targets.read_target(text)[0] is None else None
        if code is not None:
            assert (code, sheet, cell) in at, f"{kind} {value!r} at {sheet}!{cell}: no {code} in {findings}"
        if kind == "number_text":
            assert _number_ok(value)
            assert _read_back(pf, sheet, cell) is not None, (value, sheet, cell)  # read leniently


def _number_ok(value) -> bool:
    try:
        return parse_optional_number(value) is not None
    except CellValueError:
        return False


@fuzz(30)
@given(st.sampled_from(SEED_KEYS), st.lists(defect, min_size=1, max_size=4),
       st.lists(st.integers(0, 10_000), min_size=4, max_size=4))
def test_broken_workbooks_never_crash_and_defects_are_reported_at_their_cell(seeds, tmp_path_factory, name, defects, idx):
    data, locs, sheetnames = seeds[name]
    broken, expected = _inject(data, locs, sheetnames, defects, idx)
    path = tmp_path_factory.mktemp("broken") / "broken.xlsx"
    path.write_bytes(broken)
    pf, findings = load(path)  # damage inside a readable .xlsx is reported, never refused
    findings = [*findings, *checks.check_file(pf)]
    _assert_reported(pf, findings, expected)
    if not expected:  # rows or sheets moved: whatever changed in what was read is reported
        clean_pf, clean_findings = _clean(seeds, name, tmp_path_factory)
        if _dump(pf) != _dump(clean_pf):
            new = {(f.code, f.cell) for f in findings} - {(f.code, f.cell) for f in clean_findings}
            assert new, f"{defects}: what was read changed, with no new finding"


_CLEAN: dict[str, tuple] = {}


def _clean(seeds, name, tmp_path_factory):
    """The undamaged seed workbook as read and checked (cached per seed)."""
    if name not in _CLEAN:
        path = tmp_path_factory.mktemp("clean") / "clean.xlsx"
        path.write_bytes(seeds[name][0])
        pf, findings = load(path)
        _CLEAN[name] = (pf, [*findings, *checks.check_file(pf)])
    return _CLEAN[name]


def _dump(pf) -> list[dict]:
    return [p.model_dump(mode="json") for p in pf.projects]


def _damage(data: bytes, change) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _unmerge_all(ws) -> None:
    for rng in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(rng))


@pytest.mark.parametrize("name", ["self_evaluation_2023.json[0]", "declaration_2026.json[0]"])
def test_structural_damage_has_its_own_outcome(seeds, tmp_path, name):
    """Each kind of structural damage, alone, on a one-project seed workbook: what is read and
    which finding says so."""
    data, _, sheetnames = seeds[name]
    form, settings_sheet = sheetnames  # the form sheet, then the hidden settings sheet
    clean_path = tmp_path / "clean.xlsx"
    clean_path.write_bytes(data)
    clean_pf, clean_findings = load(clean_path)
    clean_at = sorted((f.code, f.cell) for f in [*clean_findings, *checks.check_file(clean_pf)])

    def read(change):
        path = tmp_path / "broken.xlsx"
        path.write_bytes(_damage(data, change))
        pf, findings = load(path)
        return pf, [*findings, *checks.check_file(pf)]

    # renamed form sheet: the same project and findings, now under the new name
    pf, findings = read(lambda wb: setattr(wb[form], "title", "Sheet1"))
    assert _dump(pf) == _dump(clean_pf)
    assert sorted((f.code, f.cell) for f in findings) == clean_at
    assert {f.sheet for f in findings} <= {"Sheet1", ""}
    # copied form sheet: two projects, the copy reported as a duplicate (X510)
    pf, findings = read(lambda wb: wb.copy_worksheet(wb[form]))
    assert len(pf.projects) == 2
    assert ("X510", f"{form} Copy", "B3") in {(f.code, f.sheet, f.cell) for f in findings}
    # deleted form sheet: no form at all, exit 2 (WorkbookReadError) saying what was looked for

    def delete_form(wb):
        del wb[form]
        wb[settings_sheet].sheet_state = "visible"

    with pytest.raises(WorkbookReadError, match="没有可读取的绩效目标申报表或绩效自评表.*查找的是"):
        read(delete_form)


@pytest.mark.parametrize("name", ["self_evaluation_2023.json[0]", "declaration_2026.json[0]"])
def test_unmerged_cells_read_like_merged(seeds, tmp_path, name):
    """Staff unmerge cells; the reader finds fields by their labels, not by the merges."""
    data, _, sheetnames = seeds[name]
    paths = [tmp_path / "clean.xlsx", tmp_path / "unmerged.xlsx"]
    paths[0].write_bytes(data)
    paths[1].write_bytes(_damage(data, lambda wb: _unmerge_all(wb[sheetnames[0]])))
    (clean_pf, clean_findings), (pf, findings) = (load(p) for p in paths)
    assert _dump(pf) == _dump(clean_pf)
    assert sorted((f.code, f.cell) for f in [*findings, *checks.check_file(pf)]) == sorted(
        (f.code, f.cell) for f in [*clean_findings, *checks.check_file(clean_pf)])


def _read_back(pf, sheet: str, cell: str):
    for project in pf.projects:
        for obj in _objects(project):
            for fld, where in obj._cells.items():
                if where == (sheet, cell):
                    return getattr(obj, fld, None)
    return None


@fuzz(10)
@given(st.sampled_from(SEED_KEYS), st.lists(defect, min_size=1, max_size=3),
       st.lists(st.integers(0, 10_000), min_size=3, max_size=3))
def test_cli_never_shows_internal_error(seeds, tmp_path_factory, capsys, name, defects, idx):
    import os

    from perfxl.cli import main

    os.environ.setdefault("PERFXL_HOME", str(tmp_path_factory.getbasetemp() / "home"))
    data, locs, sheetnames = seeds[name]
    broken, _ = _inject(data, locs, sheetnames, defects, idx)
    path = tmp_path_factory.mktemp("cli") / "broken.xlsx"
    path.write_bytes(broken)
    code = main(["check", str(path), "--json"])
    out, err = capsys.readouterr()
    assert "内部错误" not in err and "Traceback" not in err, err
    findings = json.loads(out)["findings"]  # a readable .xlsx: always a JSON answer
    assert all(f["code"] in RULES and f["severity"] in ("error", "warning", "info") for f in findings)
    assert code == (1 if any(f["severity"] == "error" for f in findings) else 0), (code, findings)


def test_empty_workbook_and_foreign_workbook(tmp_path):
    """A valid .xlsx with no perfxl form in it: a clear answer, not a traceback."""
    for rows in ([], [["姓名", "电话"], ["张三", "123"]]):
        wb = openpyxl.Workbook()
        for r in rows:
            wb.active.append(r)
        p = tmp_path / f"foreign{len(rows)}.xlsx"
        wb.save(p)
        try:
            pf, findings = load(p)
        except InputError as exc:
            assert str(exc)
        else:
            assert not pf.projects and findings, "a workbook with no form should say so"


def test_formula_injection_text_round_trips_as_text(tmp_path):
    """A project whose texts look like formulas is written and read back unchanged, as text."""
    pf = load_seed("self_evaluation_2023.json")
    project = pf.projects[0]
    project.name = "=cmd|' /C calc'!A0"
    ind = project.indicators[0]
    ind.name, ind.reason = "+1+1", "@SUM(A1:A9)"
    ind2 = project.indicators[1]
    ind2.reason = "-2+3"
    project.expected_goal = "=HYPERLINK(\"http://x\",\"点击\")"
    path = tmp_path / "inj.xlsx"
    workbook.write_projects(pf, path)
    wb = openpyxl.load_workbook(path)
    formulas = [c.coordinate + ":" + str(c.value) for ws in wb for row in ws.iter_rows() for c in row
                if c.data_type == "f" and any(s in str(c.value) for s in ("cmd|", "+1+1", "@SUM", "-2+3", "HYPERLINK"))]
    assert not formulas, f"injected text became formulas: {formulas}"
    back, _ = workbook.read_projects(path)
    got = back.projects[0]
    assert got.name == "=cmd|' /C calc'!A0"
    assert (got.indicators[0].name, got.indicators[0].reason) == ("+1+1", "@SUM(A1:A9)")
    assert got.indicators[1].reason == "-2+3"
    assert got.expected_goal == project.expected_goal


def test_macro_workbook_read_and_output_is_xlsx(tmp_path, seeds):
    """An .xlsm carrying a VBA project is read like any workbook; nothing runs; outputs are .xlsx."""
    import zipfile

    data, _, _ = seeds["self_evaluation_2023.json[0]"]
    src = tmp_path / "src.xlsx"
    src.write_bytes(data)
    xlsm = tmp_path / "返回.xlsm"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub Auto_Open(): Shell \"calc\": End Sub")
    pf, findings = load(xlsm)
    assert len(pf.projects) == 1
    assert "H955" in {f.code for f in findings}
    from perfxl.safety import output_path

    out = output_path(xlsm)
    assert out.suffix == ".xlsx"
    workbook.write_projects(pf, out)
    with zipfile.ZipFile(out) as z:
        assert not [n for n in z.namelist() if "vba" in n.lower()]
        assert "macroEnabled" not in z.read("[Content_Types].xml").decode()
