"""定稿 and the email draft (issue 6).

Pure parts first (file name, UDF detection, the email), then the seed workbook end to end:
finalized, recalculated in LibreOffice and compared with the core, inspected as a zip (no VBA),
checked for locked formula cells / unlocked inputs, printed to PDF (embedded CJK font, one page
image rendered for a look), and mailed as an .eml with both attachments.
"""

from __future__ import annotations

import email
import subprocess
import zipfile
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from perfxl.finalize import (
    FinalizeRefused,
    finalize,
    freeze_udfs,
    is_udf_formula,
    output_name,
    protect_sheets,
    verify_macro_free,
)
from perfxl.model import ProjectFile
from tests.conftest import SEEDS, load_seed

D = Decimal


# --- names -------------------------------------------------------------------------------------


def test_output_name_by_convention(self_evaluations, declarations):
    assert output_name(self_evaluations) == "2023年度_上海市绿化和市容管理局行政服务中心_绩效自评表.xlsx"
    one = ProjectFile(settings=declarations.settings, projects=[declarations.projects[2]])
    assert output_name(one) == "2026年度_热线服务保障经费_绩效目标申报表.xlsx"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "2023年度_etc_passwd_绩效自评表.xlsx"),
        ("a/b\\c:d", "2023年度_a_b_c_d_绩效自评表.xlsx"),
        ("CON", "2023年度__CON_绩效自评表.xlsx"),
        ("热线\x00服务\n经费\t", "2023年度_热线_服务_经费_绩效自评表.xlsx"),
        ("..", "2023年度_未命名_绩效自评表.xlsx"),
    ],
)
def test_output_name_is_sanitised(self_evaluations, name, expected):
    project = self_evaluations.projects[0].model_copy(update={"name": name})
    pf = ProjectFile(projects=[project])
    out = output_name(pf)
    assert out == expected
    assert "/" not in out and "\\" not in out and ".." not in out and ":" not in out
    assert Path("/tmp/x", out).parent == Path("/tmp/x")


def test_udf_detection():
    assert is_udf_formula("=PERFXL_SCORE(E12,F12,G12)")
    assert is_udf_formula("=IF(A1=\"\",\"\",perfxl_grade(A1))")
    assert is_udf_formula("='perfxl.xlam'!PERFXL_RATIO(E1,F1)")
    assert is_udf_formula("=[1]!PERFXL_GRADE(H20)")
    # defined names of the settings sheet are not function calls
    assert not is_udf_formula('=IF(perfxl_rounding="half_up",1,2)', {"perfxl_rounding"})
    assert not is_udf_formula("=SUM(A1:A3)")
    assert not is_udf_formula("=my_perfxl_score(A1)")


# --- freezing UDFs and protection on a small workbook --------------------------------------------


def _udf_book(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "自评"
    ws.append(["目标", "实际", "分值", "建议得分", "合计", "等级"])
    ws.append(["≥9.00(人)", "8.00(人)", 6, "=PERFXL_SCORE(A2,B2,C2)", "=C2*2", "=PERFXL_GRADE(92)"])
    ws.append(["≥85.00(%)", "88.38(%)", 10, "=PERFXL_SCORE(A3,B3,C3)", "=SUM(C2:C3)",
               "=PERFXL_GRADE(E3)"])
    wb.save(path)


@pytest.mark.libreoffice
def test_freeze_udfs_replaces_calls_by_values_and_locks(tmp_path):
    from perfxl.libreoffice import recalculate

    src = tmp_path / "udf.xlsx"
    _udf_book(src)
    # LibreOffice has no perfxl functions: its cached values are #NAME?, so perfxl computes them
    recalced = recalculate([src], tmp_path / "lo")[0]
    assert load_workbook(recalced, data_only=True)["自评"]["D2"].value == "#NAME?"
    wb = load_workbook(recalced)
    frozen, notes = freeze_udfs(wb, load_workbook(recalced, data_only=True))
    ws = wb["自评"]
    assert sorted(frozen) == ["自评!D2", "自评!D3", "自评!F2", "自评!F3"]
    assert ws["D2"].value == pytest.approx(5.33)  # R2: 6 × 8 / 9, truncated (R6r)
    assert ws["D3"].value == pytest.approx(10)
    assert ws["F2"].value == "优"
    assert ws["E2"].value == "=C2*2"  # native formulas stay live
    assert ws["F3"].value == "差" and notes == []  # R8 of E3 = 16, as LibreOffice computed it
    # straight from openpyxl nothing is cached: E3 (a formula) is unknown, so F3 cannot be frozen
    raw = load_workbook(src)
    frozen, notes = freeze_udfs(raw, load_workbook(src, data_only=True))
    assert raw["自评"]["D2"].value == pytest.approx(5.33) and raw["自评"]["F2"].value == "优"
    assert raw["自评"]["F3"].value is None and len(notes) == 1 and "自评!F3" in notes[0]
    protect_sheets(wb, {("自评", "B2"), ("自评", "B3")})
    assert ws.protection.sheet and not ws.protection.password
    assert ws["E2"].protection.locked and not ws["B2"].protection.locked


# --- the seed workbook end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def finalized(tmp_path_factory):
    """The 2023 seed self-evaluation workbook, written by the forms module and finalized."""
    from perfxl.forms.workbook import read_projects, write_projects

    tmp = tmp_path_factory.mktemp("fin")
    pf = load_seed("self_evaluation_2023.json")
    src = tmp / "seed.xlsx"
    write_projects(pf, src)
    pf, _ = read_projects(src)  # the inputs as the v2 cells spell them (≥9.00(人), 达成)
    result = finalize(src, tmp / "out", pdf=True, force=True, email=True)
    return pf, src, result


@pytest.mark.libreoffice
def test_finalize_refuses_while_errors_remain(finalized, tmp_path):
    from perfxl.findings import has_errors

    pf, src, result = finalized
    if not has_errors(result.findings):
        pytest.skip("the seed workbook has no errors to refuse on")
    with pytest.raises(FinalizeRefused) as exc:
        finalize(src, tmp_path)
    assert exc.value.findings and "--force" in str(exc.value)
    assert not list(tmp_path.glob("*.xlsx"))


@pytest.mark.libreoffice
def test_finalized_name_and_no_vba(finalized):
    _, _, result = finalized
    assert result.xlsx.name == "2023年度_上海市绿化和市容管理局行政服务中心_绩效自评表.xlsx"
    with zipfile.ZipFile(result.xlsx) as z:
        names = z.namelist()
        types = z.read("[Content_Types].xml").decode()
    assert not any("vbaProject" in n for n in names)
    assert "macroEnabled" not in types
    assert "spreadsheetml.sheet.main+xml" in types
    verify_macro_free(result.xlsx)


@pytest.mark.libreoffice
def test_finalized_properties_and_protection(finalized):
    pf, _, result = finalized
    wb = load_workbook(result.xlsx)
    props = wb.properties
    assert "绩效自评表" in props.title and "2023" in props.title
    assert "绩效自评表" in props.subject
    assert props.creator == "上海市绿化和市容管理局行政服务中心"
    assert "热线服务保障经费" in props.keywords
    formulas = inputs = 0
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert cell.protection.locked, f"{ws.title}!{cell.coordinate}"
                    assert not is_udf_formula(cell.value, {n.lower() for n in wb.defined_names})
                    formulas += 1
    from perfxl.forms.workbook import read_projects

    read, _ = read_projects(result.xlsx)
    for project in read.projects:
        for ind in project.indicators:
            for field in ("target", "actual", "score", "reason"):
                where = ind._cells.get(field)
                if where:
                    assert not wb[where[0]][where[1]].protection.locked, (where, field)
                    inputs += 1
    assert formulas > 20 and inputs > 50


def _inputs(project) -> list:
    """Everything typed on the form, numbers as Decimal (6 == 6.00)."""
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, str):
            try:
                return D(v)
            except ArithmeticError:
                return v
        return v

    return norm(project.model_dump())


@pytest.mark.libreoffice
def test_finalized_values_intact_after_libreoffice(finalized, tmp_path):
    """Open the finalized file in LibreOffice, recalculate: inputs intact, no formula error, and
    the recalculated workbook reads back and scores like the core."""
    from perfxl.forms.workbook import read_projects
    from perfxl.libreoffice import recalculate
    from perfxl.pipeline import check

    pf, _, result = finalized
    recalced = recalculate([result.xlsx], tmp_path)[0]
    values = load_workbook(recalced, data_only=True)
    errors = [
        f"{ws.title}!{c.coordinate}={c.value}"
        for ws in values.worksheets for row in ws.iter_rows() for c in row
        if isinstance(c.value, str) and c.value.startswith("#") and c.value.endswith(("?", "!", "A"))
    ]
    assert errors == []
    back, _ = read_projects(recalced)
    assert [_inputs(p) for p in back.projects] == [_inputs(p) for p in pf.projects]
    # native formula results = the core (R6, R6r, R8): the total and grade cells the reader located
    scores = check(pf, [], "json").scores
    for scored, project in zip(scores, back.projects):
        sheet, total_cell = project._cells["total"]
        _, grade_cell = project._cells["grade"]
        ws = values[sheet]
        assert D(str(ws[total_cell].value)).quantize(D("0.01")) == scored.total, project.name
        assert ws[grade_cell].value == scored.grade
    assert [s.total for s in scores] == [D("90.98"), D("92.00"), D("90.91"), D("92.00")]


@pytest.mark.libreoffice
def test_pdf_every_sheet_with_cjk_font(finalized, tmp_path):
    pf, _, result = finalized
    assert result.pdf is not None and result.pdf.exists()
    fonts = subprocess.run(["pdffonts", str(result.pdf)], capture_output=True, text=True).stdout
    cjk = [ln for ln in fonts.splitlines()[2:] if any(k in ln for k in ("WenQuanYi", "Micro", "Hei", "CID"))]
    assert cjk and all(" yes " in ln for ln in cjk), fonts  # embedded
    text = subprocess.run(["pdftotext", "-layout", str(result.pdf), "-"], capture_output=True,
                          text=True).stdout
    for project in pf.projects:
        assert project.name[:8] in text.replace(" ", "")
    pages = int(next(ln.split()[-1] for ln in subprocess.run(
        ["pdfinfo", str(result.pdf)], capture_output=True, text=True).stdout.splitlines()
        if ln.startswith("Pages:")))
    visible = [ws for ws in load_workbook(result.xlsx).worksheets if ws.sheet_state == "visible"]
    assert pages >= len(visible)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(result.pdf),
                    str(tmp_path / "page")], check=True)
    assert list(tmp_path.glob("page*.png"))


@pytest.mark.libreoffice
def test_eml_parses_and_carries_both_attachments(finalized):
    pf, _, result = finalized
    assert result.eml is not None
    msg = email.message_from_bytes(result.eml.read_bytes(), policy=policy.default)
    assert "绩效自评表" in msg["Subject"] and msg["X-Unsent"] == "1"
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert set(files) == {result.xlsx.name, result.pdf.name}
    assert files[result.xlsx.name] == result.xlsx.read_bytes()
    assert files[result.pdf.name][:5] == b"%PDF-"
    body = msg.get_body(("plain",)).get_content()
    for project in pf.projects:
        assert project.name in body
    assert "90.98" in body and "优 4 个" in body
    assert "187.92" in body  # 热线 全年预算数 (万元)


def test_email_draft_from_the_seed_without_workbooks(self_evaluations, tmp_path):
    from perfxl.email_draft import draft, outlook_draft
    from perfxl.findings import Finding, Severity
    from perfxl.pipeline import Checked, check

    xlsx = tmp_path / "2023年度_表.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 not really")
    pdf = tmp_path / "2023年度_表.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    warn = Finding("D301", Severity.WARNING, "热线服务保障经费", "H12", "得分低于分值，缺少偏差原因分析")
    checked = check(self_evaluations, [], "json")
    checked = Checked(self_evaluations, checked.scores, (warn,), "json")  # this one finding only
    path = draft(checked, [xlsx, pdf], tmp_path / "d.eml", to="a@example.org")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"] == "a@example.org"
    assert [p.get_filename() for p in msg.iter_attachments()] == [xlsx.name, pdf.name]
    assert [p.get_content_type() for p in msg.iter_attachments()] == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf"]
    body = msg.get_body(("plain",)).get_content()
    # the four 2023 totals (domain.md §4), all 优, and the open warning with sheet + cell + code
    for total in ("90.98", "92.00", "90.91"):
        assert f"总分 {total}" in body
    assert "优 4 个" in body and "热线服务保障经费：1 条" in body
    assert "· D301 得分低于分值但未填写偏差原因分析 1 条（H12）" in body
    # 187.92 + 47.80 + 111.71 + 95.67 and 187.63 + 47.80 + 88.46 + 95.67 (万元)
    assert "全年预算数 443.10 万元，全年执行数 419.56 万元" in body
    # no win32com on Linux: the add-in's function falls back to the .eml
    kind, fallback = outlook_draft(checked, [xlsx], tmp_path / "o.eml")
    assert kind == "eml" and fallback.exists()


def test_cli_carry_and_refusing_finalize(tmp_path, capsys):
    from perfxl.cli import main

    seeds = SEEDS
    self_xlsx, next_xlsx = tmp_path / "self.xlsx", tmp_path / "next.xlsx"
    assert main(["carry", str(seeds / "declaration_2026.json"), "-o", str(self_xlsx)]) == 0
    assert main(["carry", str(self_xlsx), "--next-year", "-o", str(next_xlsx)]) == 0
    from perfxl.forms.workbook import read_projects

    back, _ = read_projects(next_xlsx)
    assert [p.year for p in back.projects] == [2027] * 4
    # the 2023 seed has unexplained low scores (D301): refused, exit 1, nothing written
    from perfxl.forms.workbook import write_projects

    seed_xlsx = tmp_path / "seed.xlsx"
    write_projects(load_seed("self_evaluation_2023.json"), seed_xlsx)
    capsys.readouterr()
    assert main(["finalize", str(seed_xlsx), "-o", str(tmp_path / "fin")]) == 1
    err = capsys.readouterr().err
    assert "D301" in err and "--force" in err
    assert not (tmp_path / "fin").exists() or not list((tmp_path / "fin").iterdir())


def test_finalize_macro_workbook_gives_macro_free_xlsx(tmp_path):
    """An .xlsm (VBA part, macroEnabled content type) comes out as a plain .xlsx."""
    from perfxl.forms.workbook import write_projects

    plain = tmp_path / "plain.xlsx"
    write_projects(load_seed("self_evaluation_2023.json"), plain)
    xlsm = tmp_path / "macro.xlsm"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(xlsm, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"x").replace(
                    b"application/vnd.openxmlformats-officedocument.x",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://'
                                    b'schemas.microsoft.com/office/2006/relationships/vbaProject" '
                                    b'Target="vbaProject.bin"/></Relationships>')
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not a real project")
    with zipfile.ZipFile(xlsm) as z:
        assert "macroEnabled" in z.read("[Content_Types].xml").decode()
    result = finalize(xlsm, tmp_path / "out", force=True)
    assert result.xlsx.suffix == ".xlsx"
    with zipfile.ZipFile(result.xlsx) as z:
        assert not any("vba" in n.lower() for n in z.namelist())
        assert "macroEnabled" not in z.read("[Content_Types].xml").decode()
