"""perfxl.reader reads workbook files written in the ways real producers write them: cells with
extra attributes, comments, prefixed namespaces, rich inline text, cells without a reference,
error values typed as constants — values from python-calamine, formula marks and number formats
from the sheet XML — and refuses what it cannot read with a Chinese message naming the file."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from openpyxl.comments import Comment

from perfxl import reader
from perfxl.forms.grid import FORMULA, Grid, is_error, typed_text

SHEET = "xl/worksheets/sheet1.xml"


def _book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "项目"
    ws["A1"] = "完成值"
    ws["B1"] = 0.885
    ws["B1"].number_format = "0.0%"
    ws["A2"] = 9
    ws["B2"] = 9.25
    ws["B2"].number_format = "0.00"
    ws["A3"] = "=B1*100"
    ws["B3"] = dt.datetime(2023, 5, 1)
    ws["A4"] = "备注"
    ws["A4"].comment = Comment("请填写", "perfxl")
    ws["C9"] = "末行"
    ws.merge_cells("A6:B6")
    ws["A6"] = "合并"
    wb.save(path)
    return path


def _edit(path, edit, part=SHEET):
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                edited = edit(data.decode()).encode()
                assert edited != data, "the edit changed nothing"
                data = edited
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def _same_as_openpyxl(path, title="项目"):
    """The reader's Grid equals the Grid of the openpyxl worksheet; returns the reader's."""
    got = reader.read_book(path)[title].grid
    want = Grid(openpyxl.load_workbook(path)[title])
    for attr in ("_merged", "_values", "_formulas", "_formats"):
        assert getattr(got, attr) == getattr(want, attr), attr
    assert {k: type(v) for k, v in got._values.items()} == {k: type(v) for k, v in want._values.items()}
    return got


def _check_values(g):
    assert g.own(1, 2) == 0.885 and typed_text(g.own(1, 2), g.number_format(1, 2)) == "88.5%"
    assert g.own(2, 1) == 9 and type(g.own(2, 1)) is int  # <v>9</v>: an int, as openpyxl reads it
    assert g.own(2, 2) == 9.25 and g.number_format(2, 2) == "0.00"
    assert g.is_formula(3, 1) and g.own(3, 1) == FORMULA and not g.is_formula(3, 2)
    assert g.own(3, 2) == dt.datetime(2023, 5, 1)  # calamine's date at midnight, typed as openpyxl's
    assert g.own(4, 1) == "备注" and g.own(9, 3) == "末行"
    assert g.raw(6, 2) == "合并" and g.own(6, 2) is None


def test_a_workbook_with_a_comment_reads_its_values_formats_and_formulas(tmp_path):
    g = _same_as_openpyxl(_book(tmp_path / "b.xlsx"))
    _check_values(g)


PRODUCERS = {
    # Excel 365's attributes on a visible cell (cm: cell metadata, ph: phonetic)
    "extra attributes": lambda x: x.replace('<c r="A3"', '<c cm="1" r="A3"').replace('<c r="B2"', '<c ph="1" r="B2"'),
    # every element prefixed, as some producers write them (test data only: a regex builds it)
    "prefixed": lambda x: re.sub(r"<(/?)(?![?!])([A-Za-z])", r"<\1x:\2", x).replace("xmlns=", "xmlns:x="),
    # a rich inline text run where a label is
    "rich inline text": lambda x: x.replace('<c r="A4" t="inlineStr"><is><t>备注</t></is>',
                                            '<c r="A4" t="inlineStr"><is><r><rPr><b/></rPr><t>备</t></r>'
                                            '<r><t>注</t></r></is>'),
    # cells without a reference: each is the one after the previous (ECMA-376 18.3.1.4)
    "no cell references": lambda x: x.replace('<c r="A2"', "<c").replace('<c r="B2"', "<c"),
}


@pytest.mark.parametrize("name", sorted(PRODUCERS))
def test_cells_as_other_producers_write_them_read_directly(tmp_path, name):
    path = _edit(_book(tmp_path / "b.xlsx"), PRODUCERS[name])
    _check_values(_same_as_openpyxl(path))


def test_error_values_typed_as_constants_read_as_their_text(tmp_path):
    """calamine reads an error cell as ''; a constant error (values pasted from a sheet with
    #N/A) is read as its text, as openpyxl reads it, so the readers report it."""
    path = _book(tmp_path / "b.xlsx")
    _edit(path, lambda x: x.replace('<v>9.25</v></c>', '<v>9.25</v></c><c r="D2" t="e"><v>#N/A</v></c>'))
    g = _same_as_openpyxl(path)
    assert g.own(2, 4) == "#N/A" and is_error(g.own(2, 4))


def test_stored_results_of_formula_cells(tmp_path):
    path = _book(tmp_path / "b.xlsx")
    _edit(path, lambda x: x.replace("<f>B1*100</f><v />", "<f>B1*100</f><v>88.5</v>"))
    g = reader.read_book(path)["项目"].grid
    assert g.result(3, 1) == 88.5 and g.result(1, 2) is None


def test_a_file_calamine_cannot_read_names_the_file_and_sheet(tmp_path):
    path = _edit(_book(tmp_path / "坏文件.xlsx"), lambda x: x.replace("</sheetData>", "<sheetData>"))
    with pytest.raises(reader.WorkbookReadError) as exc:
        reader.read_book(path)
    assert "坏文件.xlsx" in str(exc.value) and "“项目”" in str(exc.value) and str(exc.value).startswith("H950 ")
    not_zip = tmp_path / "不是工作簿.xlsx"
    not_zip.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(reader.WorkbookReadError, match="不是工作簿.xlsx"):
        reader.read_book(not_zip)


def test_a_bad_file_exits_with_status_2_and_a_chinese_message(tmp_path, capsys):
    from perfxl.cli import main

    path = _edit(_book(tmp_path / "坏文件.xlsx"), lambda x: x.replace("</sheetData>", "<sheetData>"))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "坏文件.xlsx" in err and "Traceback" not in err


def test_entity_declarations_in_a_sheet_are_refused_not_expanded(tmp_path):
    """The gate refuses DTDs before the reader runs; the reader's own parse refuses them too."""
    path = _edit(_book(tmp_path / "b.xlsx"),
                 lambda x: x.replace("<worksheet", '<!DOCTYPE w [<!ENTITY e "展开">]><worksheet', 1))
    with pytest.raises(DefusedXmlException):
        reader.read_book(path)
