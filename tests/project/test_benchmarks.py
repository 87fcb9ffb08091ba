"""The benchmark scripts work end to end (issue 7). No timing assertions: only that the
generator makes what it says and that ``run.py`` runs and reports parseable results."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402


@pytest.fixture(scope="module")
def seeds():
    return generate.load_seeds(), generate._pools(generate.load_seeds())


def test_specs_are_deterministic_and_varied(seeds):
    s, pools = seeds
    a = [generate.make_workbook_spec(7, i, s, pools) for i in range(40)]
    b = [generate.make_workbook_spec(7, i, s, pools) for i in range(40)]
    assert [pf.model_dump_json() for pf, _ in a] == [pf.model_dump_json() for pf, _ in b]
    other = generate.make_workbook_spec(8, 0, s, pools)[0]
    assert other.model_dump_json() != a[0][0].model_dump_json()
    forms = {info["form"] for _, info in a}
    assert forms == {"self_evaluation", "declaration"}
    problems = set().union(*(info["problems"] for _, info in a))
    assert {"missing_reason", "unreadable_target"} <= problems
    names = [p.name for pf, _ in a for p in pf.projects]
    assert len(set(names)) > 30
    for pf, info in a:
        assert len(pf.projects) == info["projects"]
        for p in pf.projects:
            assert 5 <= len(p.indicators) <= 40
            assert p.form.value == info["form"]
            assert len({i.name for i in p.indicators}) == len(p.indicators)  # no repeated row
            if info["form"] == "self_evaluation":
                # R1: indicator weights plus the execution weight make 100
                assert sum(i.weight for i in p.indicators) + p.funds.weight == Decimal(100)
                t = p.funds.total
                assert t.budget == p.funds.fiscal.budget + p.funds.carryover.budget + p.funds.other.budget


def test_planted_problems_are_in_the_data(seeds):
    s, pools = seeds
    for i in range(200):
        pf, info = generate.make_workbook_spec(7, i, s, pools)
        inds = [ind for p in pf.projects for ind in p.indicators]
        if "score_above_weight" in info["problems"]:
            assert any(ind.score is not None and ind.score > ind.weight for ind in inds)
        if "unreadable_target" in info["problems"]:
            assert any(ind.target in generate.UNREADABLE_TARGETS for ind in inds)
        if "missing_reason" in info["problems"] and info["form"] == "self_evaluation":
            assert any(ind.score < ind.weight and not ind.reason for ind in inds)


def test_generated_workbooks_read_back_and_run_py_reports(tmp_path):
    from perfxl.forms.workbook import read_projects

    n = 3
    workdir = tmp_path / "work"
    manifest = generate.generate(n, workdir / "set_seed7", seed=7, verbose=False, unique=2)
    for i in range(n):
        name = generate.workbook_name(i)
        pf, _ = read_projects(workdir / "set_seed7" / name)
        info = manifest["files"][name]
        assert len(pf.projects) == info["projects"]
        assert {p.form.value for p in pf.projects} == {info["form"]}
        assert sum(len(p.indicators) for p in pf.projects) == info["indicators"]
        assert all(p.name.endswith(f"B{i:05d}）") for p in pf.projects)  # copies get their own names

    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--n", str(n), "--repeat", "1",
         "--small", str(n), "--inner", "1", "--unique", "2", "--only", "floor,structure,check,summary,openpyxl_roundtrip,score",
         "--workdir", str(workdir), "--markdown", "--json", str(out), "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text("utf-8"))
    assert res["n"] == n and res["set"]["projects"] == sum(f["projects"] for f in manifest["files"].values())
    floor = res["rows"][f"floor@{n}"]
    assert floor["cells"] > 0 and floor["seconds"] > 0 and floor["x_floor"] == 1
    check = res["rows"][f"check@{n}"]
    assert not check["errors"]
    assert sum(check["exit_codes"].get(c, 0) for c in ("0", "1")) == (n if check_is_per_file(res) else 1)
    assert check["x_floor"] > 0
    assert res["rows"]["score@1"]["x_floor"] > 0 and not res["rows"]["score@1"]["errors"]
    cores = res["machine"]["usable_cores"]
    for kind, used in (("floor", 1), ("check", cores)):  # CPU per workbook, and the rate it allows
        row = res["rows"][f"{kind}@{n}"]
        assert 0 < row["cpu_ms"] < row["seconds"] * 1000 * cores / n * 1.5
        assert row["cpu_bound"] == pytest.approx(used * 1000 / row["cpu_ms"])
    assert res["rows"]["score@1"]["cpu_bound"] is None  # a single workbook: no rate
    structure = res["rows"][f"structure@{n}"]  # the floor's cells, plus a parse of each sheet
    assert not structure["errors"] and structure["cells"] == floor["cells"]
    summary = res["rows"][f"summary@{n}"]
    assert not summary["errors"]
    assert 0 < summary["write_seconds"] < summary["seconds"]  # writing is a part of the summary
    assert "of which writing the summary workbook" in proc.stdout
    assert "| measurement |" in proc.stdout and "calamine" in proc.stdout


def test_cpu_seconds_count_the_workers_waited_for():
    """The CPU of a measurement includes its pool's workers: children it waited for."""
    import run

    before = run._cpu_seconds()
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
    assert run._cpu_seconds() - before >= 0.3


def check_is_per_file(res) -> bool:
    return res["check_mode"] == "per-file"


def _same_read(path) -> None:
    """read_projects (perfxl.reader) and the openpyxl Grid path (what ``score`` reads) give the
    same ProjectFile JSON, the same cell locations and the same findings — and the same check
    findings."""
    import perfxl.forms.workbook as W
    from perfxl.rules.checks import check_file
    from perfxl.sources import dump_json

    slow = W.read_workbook(W.open_workbook(path))[:2]
    fast = W.read_projects(path)
    assert dump_json(fast[0]) == dump_json(slow[0]), path
    assert [str(f) for f in fast[1]] == [str(f) for f in slow[1]], path
    cells = lambda pf: [(o._cells) for p in pf.projects for o in (p, *p.indicators)]  # noqa: E731
    assert cells(fast[0]) == cells(slow[0])
    assert [str(f) for f in check_file(fast[0])] == [str(f) for f in check_file(slow[0])]


def test_reader_gives_the_grid_and_projects_openpyxl_gives(tmp_path):
    """perfxl.reader (calamine values, one expat pass for the structure) reads exactly what the
    openpyxl path reads: same Grid contents, same stored results, same projects, same findings."""
    import openpyxl

    from perfxl import reader
    from perfxl.forms.grid import SOURCE, Grid

    path = generate.seed_workbook(tmp_path, "self_evaluation")
    decl = generate.seed_workbook(tmp_path, "declaration")
    for p in (path, decl):
        wb, book = openpyxl.load_workbook(p), reader.read_book(p)
        setattr(wb, SOURCE, p)
        assert wb.sheetnames == book.sheetnames
        for ws in wb.worksheets:
            a, b = Grid(ws), book[ws.title].grid
            for attr in ("max_row", "max_col", "_merged", "_values", "_formulas", "_formats"):
                assert getattr(a, attr) == getattr(b, attr), (ws.title, attr)
            assert {k: (v, type(v)) for k, v in a._values.items()} == {k: (v, type(v)) for k, v in b._values.items()}
            assert {k: a.result(*k) for k in a._formulas} == {k: b.result(*k) for k in b._formulas}
            assert {k: v.attr_text for k, v in ws.defined_names.items()} == {
                k: v.attr_text for k, v in book[ws.title].defined_names.items()}
        _same_read(p)
        import perfxl.forms.workbook as W

        assert len(W.read_projects(p)[0].projects) == 4


def test_reader_parity_on_generated_and_broken_workbooks(tmp_path):
    """The generated benchmark set and damaged workbooks (tests/forms/test_robustness_workbooks.py's
    injections: garbage, text numbers, error values, dates, deleted rows, unmerged cells,
    renamed/deleted/copied sheets) read the same through both paths."""
    from tests.forms import test_robustness_workbooks as R

    generate.generate(6, tmp_path / "set", seed=7, verbose=False, unique=3)
    for i in range(6):
        _same_read(tmp_path / "set" / generate.workbook_name(i))
    from perfxl.forms.workbook import read_projects, write_projects
    from perfxl.model import ProjectFile
    from tests.conftest import load_seed

    seed = load_seed("self_evaluation_2023.json")
    src = tmp_path / "seed.xlsx"
    write_projects(ProjectFile(settings=seed.settings, projects=seed.projects[:2]), src)
    data = src.read_bytes()
    locs = R._locations(read_projects(src)[0])
    import openpyxl

    titles = openpyxl.load_workbook(src).sheetnames
    values = [*R.GARBAGE, *R.NUMBER_TEXTS, *R.DATE_TEXTS, 3.5, True, 0, -1, "", "≥", 42]
    pool = [*locs["number"], *locs["text"], *locs["date"]]
    for k in range(0, len(values), 3):
        edits = {(sheet, cell): values[(k + j) % len(values)]
                 for j, (_f, sheet, cell) in enumerate(pool[k % len(pool)::7][:3])}
        edits = {key: v for key, v in edits.items() if v != "\x01"}
        broken, _ = R._inject_cells(data, titles, edits)
        p = tmp_path / f"cells{k}.xlsx"
        p.write_bytes(broken)
        _same_read(p)
    structural = [("delete_row", 12), ("unmerge", 5), ("rename_sheet", "项目"), ("delete_sheet", 1),
                  ("copy_sheet", 0), ("number_garbage", "#DIV/0!"), ("date", "2026年1月1日")]
    for k, d in enumerate(structural):
        broken, _ = R._inject(data, locs, titles, [d, ("target", "大约九个")], [k, k + 1])
        p = tmp_path / f"struct{k}.xlsx"
        p.write_bytes(broken)
        _same_read(p)


def test_a_changed_settings_value_is_read_from_its_own_file(tmp_path):
    """Returns of one template share their settings sheet byte for byte: a return whose
    settings differ reads its own value."""
    import openpyxl

    from perfxl.forms import settings_sheet
    from perfxl.forms.workbook import read_projects

    generate.generate(1, tmp_path / "set", seed=7, verbose=False, unique=1)
    path = tmp_path / "set" / generate.workbook_name(0)
    changed = tmp_path / "half_up.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[settings_sheet.SHEET]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "rounding")
    ws.cell(row, 2).value = "half_up"
    wb.save(changed)
    assert read_projects(path)[0].settings.rounding == "truncate"
    assert read_projects(changed)[0].settings.rounding == "half_up"
    assert read_projects(path)[0].settings.rounding == "truncate"


_WB_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:rel="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<workbookPr date1904="true"/><sheets>'
    '<sheet name="A&amp;B &lt;项目&gt; &quot;一&quot;" sheetId="3" rel:id="rId7"/>'
    '<sheet name="设置" sheetId="1" state="hidden" rel:id="rId1"></sheet></sheets>'
    '<definedNames><definedName name="_xlnm.Print_Area" localSheetId="0">\'A&amp;B\'!$A$1:$L$40</definedName>'
    '<definedName name="perfxl_x">"a&amp;b"</definedName></definedNames></workbook>'
)
_RELS_XML = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId7" Type="t" Target="worksheets/sheet2.xml"/>'
    '<Relationship Id="rId1" Type="t" Target="/xl/worksheets/sheet1.xml"/></Relationships>'
)


@pytest.mark.parametrize("wb_xml", [
    _WB_XML,
    _WB_XML.replace("rel:", "r:").replace("xmlns:rel=", "xmlns:r="),
    _WB_XML.replace('<definedName name="perfxl_x">', '<definedName name="perfxl_x" hidden="1">'),
    _WB_XML.replace("<sheets>", "<!-- 注释 --><sheets>"),
    _WB_XML.replace("<", "<x:").replace("<x:?xml", "<?xml").replace("<x:/", "</x:")
    .replace('xmlns="', 'xmlns:x="'),
])
def test_reader_reads_sheets_and_names_of_workbook_xml(wb_xml):
    """Titles with entities, relationship ids under any prefix, absolute and relative targets,
    comments, prefixed elements: the sheets and names as written."""
    from perfxl import reader

    sheets, names = reader._workbook(wb_xml.encode(), _RELS_XML.encode())
    assert sheets == [('A&B <项目> "一"', "visible", "xl/worksheets/sheet2.xml"),
                      ("设置", "hidden", "xl/worksheets/sheet1.xml")]
    assert [tuple(n) for n in names] == [("_xlnm.Print_Area", "'A&B'!$A$1:$L$40", 0),
                                         ("perfxl_x", '"a&b"', None)]


def test_phases_script_splits_the_read_path(tmp_path, capsys):
    """benchmarks/phases.py times every phase over the given workbooks (no timing asserted)."""
    import phases

    generate.generate(2, tmp_path, seed=7, verbose=False, unique=1)
    assert phases.main(["--dir", str(tmp_path), "--n", "2", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 workbooks")
    rows = dict(line.split() for line in out.splitlines()[1:])
    assert set(rows) == {"gate", "book", "forms", "score", "checks", "total"}
    assert all(float(v) > 0 for v in rows.values())
