"""[MS-OVBA] pieces of perfxl.vba_project, each checked against an independent reader:
oletools' decompressor, the PROJECT values of an add-in Excel saved (xlwings' own), olefile."""

from __future__ import annotations

import random

import olefile
import pytest
from oletools.olevba import decompress_stream

from perfxl import vba_project
from tests.paths import ROOT

MACROS = ROOT / "macros"


def _roundtrip(data: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(vba_project.compress(data))))


@pytest.mark.parametrize("name", ["xlwings.bas", "Dictionary.cls", "PerfxlRibbon.bas"])
def test_every_module_decompresses_to_itself_with_oletools(name):
    data = (MACROS / name).read_bytes()
    packed = vba_project.compress(data)
    assert len(packed) < len(data) / 2  # copy tokens were used, not only literals
    assert bytes(decompress_stream(bytearray(packed))) == data


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 17, 4095, 4096, 4097, 8192, 8193, 20000])
def test_edge_sizes_and_repetitive_data_round_trip(size):
    text = (b"Public Sub A()\r\n    x = x + 1\r\nEnd Sub\r\n" * (size // 40 + 1))[:size]
    assert _roundtrip(text) == text
    runs = bytes([65]) * size  # overlapping copies of one byte
    assert _roundtrip(runs) == runs


def test_incompressible_full_chunks_are_stored_raw():
    rnd = random.Random(19)
    data = bytes(rnd.randrange(256) for _ in range(4096 * 2 + 100))
    packed = vba_project.compress(data)
    assert packed[1:3] == b"\xff\x3f"  # header: not compressed, 4096 bytes follow
    assert packed[3:3 + 4096] == data[:4096]
    assert _roundtrip(data) == data


def test_random_text_round_trips():
    rnd = random.Random(7)
    words = [b"Dim", b" ", b"As", b"String", b"\r\n", b"If", b"Then", b"End", b"x", b"=", b"1"]
    for _ in range(30):
        data = b"".join(rnd.choice(words) for _ in range(rnd.randrange(1, 3000)))
        assert _roundtrip(data) == data


# The PROJECT values of xlwings' quickstart add-in, saved by Excel: unprotected, no password,
# visible. Decrypting them with this module's algorithm gives exactly that.
XLWINGS_ID = "{318BEE36-5BE1-492A-826D-473DB19B0F30}"
XLWINGS_VALUES = {"CMG": ("5D5F8AADDAA8DEA8DEA8DEA8DE", bytes(4)),
                  "DPB": ("5D5F8AADDAADDBADDBAD", b"\x00"),
                  "GC": ("5D5F8AADDAADDBADDB52", b"\xff")}


@pytest.mark.parametrize("key", list(XLWINGS_VALUES))
def test_decrypt_reads_what_excel_wrote(key):
    text, plain = XLWINGS_VALUES[key]
    assert vba_project.decrypt(text, XLWINGS_ID) == plain


@pytest.mark.parametrize("seed", [0x00, 0x06, 0x11, 0x22, 0x33, 0xFF])
def test_encrypt_is_read_back_by_decrypt(seed):
    for plain in (bytes(4), b"\x00", b"\xff"):
        text = vba_project.encrypt(plain, XLWINGS_ID, seed)
        assert vba_project.decrypt(text, XLWINGS_ID) == plain
    with pytest.raises(ValueError):
        vba_project.decrypt(vba_project.encrypt(b"\xff", XLWINGS_ID, seed), "{00000000-0000-0000-0000-000000000000}")


def test_class_header_is_dropped_and_attributes_kept(tmp_path):
    module = vba_project.module_from_file(MACROS / "Dictionary.cls")
    assert module.kind == "class" and module.name == "Dictionary"
    assert module.source.startswith('Attribute VB_Name = "Dictionary"\nAttribute VB_GlobalNameSpace = False')
    bad = tmp_path / "Bad.bas"
    bad.write_text("Option Explicit\r\n", encoding="ascii")
    with pytest.raises(vba_project.VbaProjectError, match="VB_Name"):
        vba_project.module_from_file(bad)


def test_project_is_a_strict_compound_file_with_one_stream_per_module():
    modules = [vba_project.document_module("ThisWorkbook", "workbook"),
               vba_project.Module("M", "standard", 'Attribute VB_Name = "M"\nSub A()\nEnd Sub\n')]
    data = vba_project.build("p", "{00000000-0000-0000-0000-000000000001}", modules)
    assert data == vba_project.build("p", "{00000000-0000-0000-0000-000000000001}", modules)
    with olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT) as ole:
        assert sorted("/".join(s) for s in ole.listdir()) == [
            "PROJECT", "PROJECTwm", "VBA/M", "VBA/ThisWorkbook", "VBA/_VBA_PROJECT", "VBA/dir"]
        source = bytes(decompress_stream(bytearray(ole.openstream("VBA/M").read())))
        assert source == b'Attribute VB_Name = "M"\r\nSub A()\r\nEnd Sub\r\n'
        assert ole.openstream("PROJECTwm").read() == b"ThisWorkbook\x00" + "ThisWorkbook".encode("utf-16-le") + b"\x00\x00M\x00M\x00\x00\x00\x00\x00"


def test_duplicate_or_non_ascii_module_names_are_refused():
    m = vba_project.Module("M", "standard", 'Attribute VB_Name = "M"\n')
    with pytest.raises(vba_project.VbaProjectError, match="重复"):
        vba_project.build("p", "{00000000-0000-0000-0000-000000000001}", [m, m])
    with pytest.raises(vba_project.VbaProjectError, match="ASCII"):
        vba_project.build("p", "{00000000-0000-0000-0000-000000000001}",
                          [vba_project.Module("绩效", "standard", "x")])
