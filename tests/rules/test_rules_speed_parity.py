"""The fast paths of the gate and the rules give exactly what the plain code gave (issue 7).

Each test compares a fast path with the straightforward code it replaced, kept here as the
reference: the gate's unpacked parts against ``zipfile``, ``cut2``'s shared context
against a local context, and the number helpers against ``Decimal.as_tuple``.
"""

from __future__ import annotations

import random
import struct
import zipfile
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path

import pytest

from perfxl import safety
from perfxl.model import Rounding
from perfxl.rules.scoring import cut2
from perfxl.rules.targets import format_number, has_decimals
from perfxl.errors import HostileFileError
from perfxl.safety import check_workbook
from tests.paths import ROOT

TEMPLATES = sorted((ROOT / "templates").glob("*.xlsx"))


# --- the gate's parts, handed to the reader ---------------------------------------------------


def _with_part(tmp_path: Path, name: str, body: bytes, compress_type: int) -> Path:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(TEMPLATES[0]) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = body if info.filename == name else zin.read(info)
            zout.writestr(info.filename, data, compress_type=compress_type)
    return path


def _corrupt_crc(path: Path, name: str) -> None:
    """Change the CRC of ``name`` in the central directory (the one zipfile checks)."""
    data = bytearray(path.read_bytes())
    central = data.rfind(name.encode()) - 46  # the fixed part of a central directory entry
    assert data[central : central + 4] == b"PK\x01\x02"
    crc = struct.unpack_from("<L", data, central + 16)[0]
    struct.pack_into("<L", data, central + 16, crc ^ 0xFFFF)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("size", [300, 20_000])
def test_bad_crc_refused_however_large_the_part(tmp_path, size):
    """The gate unpacks every XML part to its end, so zipfile checks each CRC."""
    body = b"<workbook>" + bytes(random.Random(size).choices(b"abcdefgh <>/", k=size)) + b"</workbook>"
    path = _with_part(tmp_path, "xl/workbook.xml", body, zipfile.ZIP_DEFLATED)
    _corrupt_crc(path, "xl/workbook.xml")
    with zipfile.ZipFile(path) as zf, pytest.raises(zipfile.BadZipFile):
        zf.read("xl/workbook.xml")
    with pytest.raises(HostileFileError) as exc:
        check_workbook(path)
    assert exc.value.code == "H950" and "xl/workbook.xml" in str(exc.value) and "BadZipFile" in str(exc.value)


def test_large_file_streamed_gives_the_same_verdicts(tmp_path, monkeypatch):
    bad = _with_part(tmp_path, "xl/workbook.xml", b"<workbook/>", zipfile.ZIP_DEFLATED)
    _corrupt_crc(bad, "xl/workbook.xml")
    books = [*TEMPLATES, bad]

    def verdicts():
        out = []
        for book in books:
            try:
                out.append(check_workbook(book))
            except HostileFileError as exc:
                out.append(str(exc))
        return out

    in_memory = verdicts()
    monkeypatch.setattr(safety, "_IN_MEMORY_BYTES", 0)  # every part now read by zipfile
    assert verdicts() == in_memory
    assert in_memory[:-1] == [[]] * len(TEMPLATES) and "H950" in in_memory[-1]


# --- the reader's parts from the gate's read of the file ----------------------------------


def _book_parts(book):
    return [(s.title, s.sheet_state, s.grid._values, s.grid._formulas, s.grid._formats,
             s.grid._merged, s.grid.max_row, s.grid.max_col,
             {k: v.attr_text for k, v in s.defined_names.items()}) for s in book.worksheets]


def _fast(path: Path, package):
    from perfxl import reader

    try:
        return _book_parts(reader.read_book(path, package))
    except reader.WorkbookReadError:
        return "WorkbookReadError"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_package_parts_equal_zipfile_reads(template):
    _, package = safety.gate_workbook(template)
    with zipfile.ZipFile(template) as zf:
        for info in zf.infolist():
            assert safety.unpack_part(package, package.entries[info.filename]) == zf.read(info)


def test_package_holds_stored_parts_and_leaves_binary_parts_to_zipfile(tmp_path):
    stored = _with_part(tmp_path, "xl/workbook.xml", b"<workbook/>", zipfile.ZIP_STORED)
    _, package = safety.gate_workbook(stored)
    assert safety.unpack_part(package, package.entries["xl/workbook.xml"]) == b"<workbook/>"
    binary = tmp_path / "bin" / "book.xlsx"
    binary.parent.mkdir()
    binary.write_bytes(TEMPLATES[0].read_bytes())
    with zipfile.ZipFile(binary, "a") as zf:
        zf.writestr("xl/media/image1.png", b"\x89PNG not unpacked by the gate")
    _, package = safety.gate_workbook(binary)
    assert safety.unpack_part(package, package.entries["xl/media/image1.png"]) is None
    assert _fast(binary, package) == _fast(binary, None) != "WorkbookReadError"


def test_damaged_files_read_the_same_from_the_package_as_from_the_file(tmp_path):
    """Bytes flipped anywhere in a template's file: the gate almost always refuses (zipfile
    checks every XML part's CRC). Bytes flipped inside its XML parts, zipped again: whatever the gate lets
    through, the reader gives the same from the gate's package as from the file (or
    refuses both times)."""
    rng = random.Random(20261123)
    base = TEMPLATES[0].read_bytes()
    with zipfile.ZipFile(TEMPLATES[0]) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = [n for n in parts if n.endswith((".xml", ".rels"))]
    refused = read = same = 0
    for k in range(100):
        data = bytearray(base)
        start = rng.randrange(len(data) - 1000)  # not only the central directory at the end
        for _ in range(rng.choice((1, 2, 8))):
            data[rng.randrange(start, start + 1000)] ^= rng.randrange(1, 256)
        path = tmp_path / f"raw{k}.xlsx"
        path.write_bytes(bytes(data))
        try:
            safety.gate_workbook(path)
        except HostileFileError as exc:
            refused += exc.code == "H950"
    assert refused >= 90  # a flip in a binary part or an unread header field may pass
    for k in range(150):
        name = rng.choice(xml)
        body = bytearray(parts[name])
        for _ in range(rng.choice((1, 2, 8))):
            body[rng.randrange(len(body))] = rng.choice(b"<>/=\"x 0")
        path = tmp_path / f"{k}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
            for n, data in parts.items():
                zout.writestr(n, bytes(body) if n == name else data)
        try:
            _, package = safety.gate_workbook(path)
        except HostileFileError:
            continue
        read += 1
        got = _fast(path, package)
        assert got == _fast(path, None), k
        same += got != "WorkbookReadError"
    assert read > 50 and 5 <= same < read  # the comparison saw both readable and refused files


# --- numbers ---------------------------------------------------------------------------------


def _cut2_reference(x: Decimal, rounding: Rounding | str) -> Decimal:
    """cut2 as first written: a local context per number."""
    x = Decimal(x)
    with localcontext() as ctx:
        ctx.prec = max(40, x.adjusted() + 20) if x.is_finite() else 40
        x = x.quantize(Decimal("1e-9"), rounding=ROUND_HALF_UP)
        if Rounding(rounding) is Rounding.HALF_UP:
            return x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return x.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _numbers() -> list[Decimal]:
    fixed = ["0", "-0", "0.0", "0E-5", "0E+3", "9", "9.0", "9.00", "9E+2", "1E-7", "7.918", "-7.915",
             "28.999999999999996", "99.995", "0.005", "-0.005", "0.0049999999995", "1E+20", "1E+21",
             "1.5E+30", "123456789012345678901234.5678", "NaN", "Infinity", "-Infinity"]
    rng = random.Random(7)
    drawn = [Decimal(rng.randint(-10**9, 10**9)).scaleb(rng.randint(-12, 4)) for _ in range(500)]
    return [Decimal(v) for v in fixed] + drawn


def _outcome(fn, *args):
    try:
        return repr(fn(*args))
    except (InvalidOperation, ValueError) as exc:
        return type(exc).__name__


@pytest.mark.parametrize("rounding", ["truncate", "half_up", Rounding.TRUNCATE, Rounding.HALF_UP])
def test_cut2_equals_local_context_reference(rounding):
    for x in _numbers():
        assert _outcome(cut2, x, rounding) == _outcome(_cut2_reference, x, rounding), x


def test_cut2_refuses_an_unknown_rounding_like_the_enum():
    with pytest.raises(ValueError, match="is not a valid Rounding"):
        cut2(Decimal(1), "bankers")


def _format_reference(x: Decimal) -> str:
    """format_number's definition: at least two decimals, exactly, however many digits (the
    exponent from ``as_tuple``; quantized in a context wide enough for every digit)."""
    _, digits, exp = x.as_tuple()
    if isinstance(exp, int) and exp > -2:
        with localcontext() as ctx:
            ctx.prec = len(digits) + max(exp, 0) + 3
            x = x.quantize(Decimal("0.01"))
    return format(x, "f")


def test_number_helpers_equal_as_tuple_reference():
    for x in _numbers():
        exp = x.as_tuple().exponent
        assert has_decimals(x) is (isinstance(exp, int) and exp < 0), x
        assert _outcome(format_number, x) == _outcome(_format_reference, x), x
