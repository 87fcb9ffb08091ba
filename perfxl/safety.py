"""The gate every workbook passes before openpyxl or calamine opens it, and safe-output helpers.

:func:`check_workbook` refuses, with a Chinese message and an H95x code, anything that is not a
workbook, is encrypted, is a legacy ``.xls``, is a zip bomb, carries an XML DTD (entity bombs),
or holds more sheets, rows, columns or cells than perfxl supports. It uses zipfile's public API
only: the sizes the central directory declares (``ZipInfo.file_size``/``compress_size``) are
judged before anything is unpacked, and every XML part is then streamed through
``ZipFile.open`` with a byte budget of its declared size, so a part whose headers lie is
refused (more bytes than declared: H953; fewer, or a wrong CRC: H950) without unpacking more
than the limits allow. The first ``Limits.sniff_bytes`` of each XML part are looked at for a
DTD. The declared ``<dimension>`` is ignored (LibreOffice declares ``A1:AQ1048576`` after rows
were deleted, other writers omit it or declare it too small): a sheet part larger than
``Limits.count_above_bytes`` is streamed through expat to count the rows and cells really
there, stopping at the first limit passed; a smaller one is bounded by its size. defusedxml (a
hard dependency) is the second line: openpyxl uses it automatically when it is installed.
:func:`gate_workbook` is the same check handing on what it read (:class:`Package`), so the
reader (:mod:`perfxl.reader`) takes the unpacked parts from memory (:func:`unpack_part`) instead of opening the
file again. A compound file (encrypted workbook, ``.xls``) is told apart by its directory,
read with ``struct`` per MS-CFB (olefile is not a core dependency).

Writing (whether a file may be replaced at all is :mod:`perfxl.outputs`'s policy):
:func:`output_path` never returns a macro workbook;
:func:`safe_filename` turns a project name into a harmless file name; :func:`set_text_cell` and
:func:`as_text_cell` keep text that starts with ``=``/``+``/``-``/``@`` a string, never a formula.
"""

from __future__ import annotations

import io
import re
import struct
from xml.parsers import expat
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from perfxl.findings import Finding, finding
from perfxl.errors import HostileFileError, InputError



@dataclass(frozen=True)
class Limits:
    """What perfxl agrees to open. Forms are small: one sheet per project, tens of rows."""

    max_file_bytes: int = 100 * 2**20  # the file itself
    max_members: int = 5_000  # parts in the zip
    max_member_bytes: int = 64 * 2**20  # one uncompressed part
    max_total_bytes: int = 256 * 2**20  # all parts uncompressed
    max_ratio: int = 100  # uncompressed / compressed, for parts above ratio_floor
    ratio_floor: int = 2 * 2**20
    max_sheets: int = 500
    max_rows: int = 20_000  # the last row holding a cell, in one sheet (counted, not declared)
    max_cols: int = 1_000  # the last column holding a cell
    max_cells: int = 500_000  # <c> elements in one sheet
    # Sheet parts larger than this are streamed to count their rows and cells. A smaller part is
    # bounded by its size (a cell takes at least ~10 bytes of XML) and a template form's sheet is
    # 50-300 KB: streaming every sheet would cost ~3x a raw XML parse per file on every summary.
    count_above_bytes: int = 2 * 2**20
    sniff_bytes: int = 4096  # how much of each XML part is read for DTDs


DEFAULT_LIMITS = Limits()

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a part, or an empty archive
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DTD = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!ENTITY".encode("utf-16-le"))
_IN_MEMORY_BYTES = 4 * 2**20  # files up to this size are read whole for the gate
_SHEET_PART = re.compile(r"xl/(?:worksheets|chartsheets)/[^/]+\.xml", re.IGNORECASE)


@dataclass(frozen=True)
class Package:
    """A workbook that passed the gate, as the gate read it: the file's bytes, its zip
    directory (name -> the entry zipfile reads for it) and the XML parts the gate unpacked and
    checked (name -> bytes), so a reader takes its parts from memory instead of opening the
    file and unpacking them again (:mod:`perfxl.reader`)."""

    data: bytes
    entries: dict[str, zipfile.ZipInfo]
    parts: dict[str, bytes]


def check_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> list[Finding]:
    """Refuse (HostileFileError, an InputError) a workbook unsafe to open; return info findings.

    Reads the file signature and the zip central directory, judges the sizes it declares, then
    unpacks each XML part through ``ZipFile.open`` no further than its declared size.
    """
    return gate_workbook(path, limits)[0]


def gate_workbook(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> tuple[list[Finding], Package | None]:
    """:func:`check_workbook`, and the :class:`Package` it read (None for a file too large to
    be read whole)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if head.startswith(_ZIP_MAGIC):
                return _check_zip(path, fh, size, limits)
    except OSError as exc:
        raise InputError(f"无法读取 {path}：{exc}") from exc
    if head == _CFB_MAGIC:
        _refuse_cfb(path)
    raise HostileFileError("H950", path, "不是 Excel 工作簿（.xlsx）：文件不是 zip 格式，可能是改了扩展名的其他文件")


def _check_zip(path: Path, archive: BinaryIO, size: int, limits: Limits
               ) -> tuple[list[Finding], Package | None]:
    """The zip checks of :func:`check_workbook`, on the open file ``archive``."""
    if size > limits.max_file_bytes:
        raise HostileFileError(
            "H954", path, f"文件过大（{size // 2**20} MB，上限 {limits.max_file_bytes // 2**20} MB）"
        )
    # a file of usual size is read whole once: its parts are unpacked from memory and kept
    whole = None
    if size <= _IN_MEMORY_BYTES:
        archive.seek(0)
        whole = archive.read()
    try:
        zf = zipfile.ZipFile(archive if whole is None else io.BytesIO(whole))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise HostileFileError("H950", path, f"不是 Excel 工作簿（.xlsx）：压缩包已损坏（{exc}）") from exc
    parts: dict[str, bytes] = {}
    with zf:
        infos = zf.infolist()
        _check_sizes(path, infos, limits)
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or not any(n.lower() == "xl/workbook.xml" for n in names):
            raise HostileFileError("H950", path, "不是 Excel 工作簿（.xlsx）：缺少工作簿部件 xl/workbook.xml")
        sheets = {i.filename for i in infos if _SHEET_PART.fullmatch(i.filename)}
        if len(sheets) > limits.max_sheets:
            raise HostileFileError(
                "H954", path, f"工作表过多（{len(sheets)} 张，上限 {limits.max_sheets} 张）"
            )
        for info in infos:
            if info.is_dir() or not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            measure = info.filename in sheets and info.file_size > limits.count_above_bytes
            data = _check_part(zf, info, path, limits, measure, keep=whole is not None)
            if whole is not None:
                parts[info.filename] = data
        macro = any(n.lower().endswith("vbaproject.bin") for n in names)
    findings: list[Finding] = []
    if macro or path.suffix.lower() == ".xlsm":
        findings.append(finding(
            "H955", path.name, "",
            f"{path.name} 是启用宏的工作簿：perfxl 只读取单元格，不运行宏；写出的文件为不含宏的 .xlsx",
        ))
    package = None if whole is None else Package(whole, {i.filename: i for i in infos}, parts)
    return findings, package


def _refuse_cfb(path: Path) -> None:
    names = _cfb_stream_names(path)
    lowered = {n.lower() for n in names}
    if "encryptioninfo" in lowered or "encryptedpackage" in lowered:
        raise HostileFileError("H951", path, "文件受密码保护，请先在 Excel 中取消密码后再试")
    if lowered & {"workbook", "book"}:
        raise HostileFileError(
            "H952", path, "这是旧版 Excel 97-2003 工作簿（.xls），请在 Excel 或 WPS 中“另存为”.xlsx 后再试"
        )
    raise HostileFileError("H952", path, "这是 OLE2 复合文档（旧版 Office 格式），不是 .xlsx 工作簿；请另存为 .xlsx 后再试")


def _cfb_stream_names(path: Path, max_bytes: int = 64 * 2**20) -> list[str]:
    """Names in a compound file's directory (MS-CFB), parsed with bounds; [] when unreadable.

    Falls back to scanning for the UTF-16 names when the structure can't be followed.
    """
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes)
    except OSError:
        return []
    try:
        return _cfb_directory(data)
    except (struct.error, ValueError, IndexError):
        found = []
        for name in ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book"):
            if name.encode("utf-16-le") in data:
                found.append(name)
        return found


def _cfb_directory(data: bytes) -> list[str]:
    """The directory entry names of a compound file (MS-CFB 2.2 header, 2.6 directory)."""
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("sector size")
    ssize = 1 << shift
    n_fat = struct.unpack_from("<I", data, 0x2C)[0]
    first_dir = struct.unpack_from("<I", data, 0x30)[0]
    difat = list(struct.unpack_from("<109I", data, 0x4C))[: min(n_fat, 109)]

    def sector(n: int) -> bytes:
        off = (n + 1) * ssize
        if off + ssize > len(data):
            raise ValueError("sector beyond end")
        return data[off : off + ssize]

    fat: list[int] = []
    for s in difat:
        fat.extend(struct.unpack(f"<{ssize // 4}I", sector(s)))
    names: list[str] = []
    seen: set[int] = set()
    s = first_dir
    while s < 0xFFFFFFFA:
        if s in seen or len(seen) > 10_000:
            raise ValueError("directory chain loops")
        seen.add(s)
        block = sector(s)
        for off in range(0, ssize, 128):
            n = struct.unpack_from("<H", block, off + 0x40)[0]
            if 2 <= n <= 64:
                names.append(block[off : off + n - 2].decode("utf-16-le", "replace"))
        s = fat[s]
    return names


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Refuse (H953) an archive whose central directory declares too many parts, too large a
    part or total, or too high a compression ratio, before anything is unpacked."""
    if len(infos) > limits.max_members:
        raise HostileFileError(
            "H953", path, f"压缩包部件过多（{len(infos)} 个，上限 {limits.max_members} 个），疑似 zip 炸弹，拒绝解压"
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_member_bytes:
            raise HostileFileError(
                "H953", path,
                f"部件 {info.filename} 解压后 {info.file_size // 2**20} MB，超过上限 "
                f"{limits.max_member_bytes // 2**20} MB，疑似 zip 炸弹，拒绝解压",
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise HostileFileError(
                "H953", path,
                f"部件 {info.filename} 压缩比 {info.file_size // max(info.compress_size, 1)}:1 超过上限 "
                f"{limits.max_ratio}:1，疑似 zip 炸弹，拒绝解压",
            )
    if total > limits.max_total_bytes:
        raise HostileFileError(
            "H953", path,
            f"解压后共 {total // 2**20} MB，超过上限 {limits.max_total_bytes // 2**20} MB，疑似 zip 炸弹，拒绝解压",
        )


_CHUNK = 256 * 2**10


def _stream_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> Iterator[bytes]:
    """The part's bytes in chunks, through ``ZipFile.open``, never more than the size its
    central-directory entry declares (the size :func:`_check_sizes` judged): a part that
    unpacks to more is refused (H953) at the first byte past it. zipfile checks the CRC at
    the end, so a part whose declared size is smaller than its content fails there (H950).
    """
    budget = info.file_size
    try:
        fh = zf.open(info)
    except Exception as exc:  # noqa: BLE001 — whatever zipfile raises, the part is unreadable
        raise _part_error(path, info, exc) from exc
    with fh:
        while True:
            try:
                chunk = fh.read(_CHUNK)
            except Exception as exc:  # noqa: BLE001
                raise _part_error(path, info, exc) from exc
            if not chunk:
                return
            budget -= len(chunk)
            if budget < 0:
                raise HostileFileError(
                    "H953", path,
                    f"部件 {info.filename} 解压后超过压缩包目录声明的 {info.file_size} 字节，疑似 zip 炸弹，拒绝解压",
                )
            yield chunk


def _part_error(path: Path, info: zipfile.ZipInfo, exc: Exception) -> HostileFileError:
    if isinstance(exc, RuntimeError):  # zipfile's refusal of an encrypted member
        return HostileFileError("H951", path, f"工作簿部件 {info.filename} 已加密，文件受密码保护，请先取消密码后再试")
    return HostileFileError("H950", path, f"工作簿部件 {info.filename} 已损坏（{type(exc).__name__}）")


def _refuse_dtd(path: Path, info: zipfile.ZipInfo) -> HostileFileError:
    return HostileFileError(
        "H959", path, f"工作簿部件 {info.filename} 含有 XML 实体声明（DOCTYPE/ENTITY），疑似 XML 炸弹，拒绝读取"
    )


def _check_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limits: Limits,
                measure: bool, keep: bool) -> bytes:
    """Unpack one XML part (:func:`_stream_part`), refuse a DTD in its first
    ``limits.sniff_bytes`` (H959) and, when ``measure``, count its rows and cells
    (:class:`_SheetCounter`); the part's bytes when ``keep``, else ``b""``."""
    counter = _SheetCounter(path, info, limits) if measure else None
    kept: list[bytes] = []
    head = b""
    for chunk in _stream_part(zf, info, path):
        if len(head) < limits.sniff_bytes:
            head += chunk[: limits.sniff_bytes - len(head)]
            if b"!" in head and any(m in head for m in _DTD):  # memchr first: "!" is rare
                raise _refuse_dtd(path, info)
        if counter is not None:
            counter.feed(chunk)
        if keep:
            kept.append(chunk)
    if counter is not None:
        counter.close()
    return b"".join(kept)


def unpack_part(package: Package, info: zipfile.ZipInfo) -> bytes | None:
    """The bytes of the part ``info`` of a gated :class:`Package`, as the gate unpacked and
    checked them; ``None`` for a part the gate did not unpack (not XML) — zipfile reads it."""
    return package.parts.get(info.filename)


class _SheetTooLarge(Exception):
    """Raised from an expat handler to stop parsing at the first limit passed."""


class _SheetCounter:
    """Counts a sheet part's rows and cells as its bytes stream through expat, refusing (H954)
    a sheet whose cells reach past ``limits.max_rows`` / ``max_cols`` or number more than
    ``limits.max_cells``; H959 for a DTD.

    Rows without cells (LibreOffice's empty ``<row r="1048576">``) do not count; a row or cell
    without ``r`` is the one after the previous (ECMA-376 Part 1, 18.3.1.4 and 18.3.1.73). A
    row's last column is its last cell's (cells are in column order). Work is bounded: parsing
    stops at the first limit passed. The handler runs for every element, so it is kept to a
    few comparisons (names are compared as written, with or without a namespace prefix).
    """

    def __init__(self, path: Path, info: zipfile.ZipInfo, limits: Limits) -> None:
        self.path, self.info, self.limits = path, info, limits
        self.row = self.cells = self.last_row = self.last_col = self.in_row = 0
        self.ref: str | None = None  # the current row's last cell reference
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk, False)

    def close(self) -> None:
        self._parse(b"", True)
        self._guard(self._close_row)

    def _parse(self, data: bytes, final: bool) -> None:
        self._guard(lambda: self.parser.Parse(data, final))

    def _guard(self, step) -> None:
        try:
            step()
        except _SheetTooLarge:
            limits = self.limits
            if self.cells > limits.max_cells:
                detail = f"有超过 {limits.max_cells} 个单元格"
            elif self.last_row > limits.max_rows:
                detail = f"第 {self.last_row} 行有单元格，超过支持的上限 {limits.max_rows} 行"
            else:
                detail = f"第 {self.last_col} 列有单元格，超过支持的上限 {limits.max_cols} 列"
            raise HostileFileError(
                "H954", self.path, f"工作表 {self.info.filename} {detail}；请删除多余的行、列后再试"
            ) from None
        except expat.ExpatError as exc:
            raise HostileFileError("H950", self.path, f"工作表 {self.info.filename} 的 XML 已损坏（{exc}）") from exc

    def _close_row(self) -> None:
        if self.in_row:
            self.last_row = max(self.last_row, self.row)
            self.last_col = max(self.last_col, _ref_column(self.ref) if self.ref else self.in_row)
            if self.last_row > self.limits.max_rows or self.last_col > self.limits.max_cols:
                raise _SheetTooLarge

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "c" or name[-2:] == ":c":
            self.cells += 1
            self.in_row += 1
            self.ref = attrs.get("r")
            if self.cells > self.limits.max_cells:
                raise _SheetTooLarge
        elif name == "row" or name[-4:] == ":row":
            self._close_row()
            r = attrs.get("r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.in_row, self.ref = 0, None

    def _doctype(self, *_args) -> None:
        raise _refuse_dtd(self.path, self.info)


def _ref_column(ref: str) -> int:
    """The column number of a cell reference such as ``AQ27`` (0 when it has no letters)."""
    n = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            n = n * 26 + ord(ch) - 96
        else:
            break
    return n


# --- writing ---------------------------------------------------------------------------------


def output_path(input_path: str | Path, out: str | Path | None = None) -> Path:
    """Where a workbook derived from ``input_path`` is written: always ``.xlsx``, never a macro
    workbook (``.xlsm`` → ``NAME.xlsx`` beside it)."""
    target = Path(out) if out is not None else Path(input_path)
    if target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    return target


def openpyxl_losses(path: str | Path) -> list[str]:
    """What an openpyxl rewrite of the workbook at ``path`` would drop (Chinese names; see
    :mod:`perfxl.rewrite`)."""
    from perfxl.rewrite import openpyxl_losses as losses

    return losses(path)


def check_rewrite(input_path: str | Path, out: str | Path) -> list[str]:
    """Refuse (H960) an in-place openpyxl rewrite that would drop content; for a separate output
    return what the new file will lack, so the caller can say so."""
    losses = openpyxl_losses(input_path)
    if losses and Path(out).resolve() == Path(input_path).resolve():
        raise HostileFileError(
            "H960", input_path,
            f"工作簿含有{'、'.join(losses)}，原地写入会丢失它们，未写入；请用 -o 写到另一个文件，"
            "或在 Excel 中用“绩效”选项卡的“评分”按钮",
        )
    return losses


_RESERVED = {"CON", "PRN", "AUX", "NUL", "CLOCK$", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in (*range(1, 10), "¹", "²", "³")
}
_UNSAFE_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')


def safe_filename(name: str, *, max_bytes: int = 150, default: str = "未命名项目") -> str:
    """A file-name stem from ``name`` (e.g. a project name) that is safe on Windows and POSIX.

    Path separators, ``..``, ``:`` and control characters become ``_``; Windows reserved device
    names get a ``_`` suffix; leading/trailing dots and spaces go; the result fits ``max_bytes``
    of UTF-8 (Chinese names stay readable). Never empty, never ``.`` or ``..``.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join("_" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    text = _UNSAFE_CHARS.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"_+", "_", text).strip(" ._")
    stem = text.split(".")[0].strip().upper()
    if stem in _RESERVED:
        text = "_" + text
    encoded = text.encode("utf-8")
    if len(encoded) > max_bytes:
        text = encoded[:max_bytes].decode("utf-8", "ignore").rstrip(" .")
    return text or default


# --- formula injection -----------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
EXCEL_CELL_CHARS = 32_767  # the most characters (UTF-16 units) an Excel cell holds
_TRUNCATED = "…（超出 Excel 单元格 32767 字符上限，已截断）"


def is_formula_like(value: object) -> bool:
    """True for text Excel (or a CSV reader) might take as a formula."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def clean_text(value: str) -> str:
    """Text an XML cell can hold: control characters openpyxl would refuse (and U+FFFE/U+FFFF,
    lone surrogates: not XML) become spaces; text over Excel's 32,767 characters is cut."""
    value = _ILLEGAL_XML.sub(" ", value)
    if len(value) > EXCEL_CELL_CHARS // 2 and len(value.encode("utf-16-le")) > 2 * EXCEL_CELL_CHARS:
        room = EXCEL_CELL_CHARS - len(_TRUNCATED)
        cut = value.encode("utf-16-le")[: 2 * room].decode("utf-16-le", "ignore")
        value = cut + _TRUNCATED
    return value


def as_text_cell(value: str) -> str:
    """Text to hand a *live* Excel range (xlwings) so it stays text: a leading apostrophe
    (Excel's quote prefix, not shown in the cell) before anything formula-like."""
    value = clean_text(value)
    return "'" + value if is_formula_like(value) or value.startswith("'") else value


def set_text_cell(cell, value: str | None) -> None:
    """Write ``value`` into an openpyxl cell as a string, never a formula or an error value.

    openpyxl turns any string starting with ``=`` into a formula and ``"#N/A"`` into an error;
    this forces the string type and sets Excel's quote prefix so editing the cell in Excel
    doesn't turn it into a formula either.
    """
    if value is None:
        cell.value = None
        return
    text = clean_text(str(value))
    cell.value = text
    cell.data_type = "s"
    if is_formula_like(text) or text.startswith("#"):
        cell.quotePrefix = True  # StyleableObject exposes the xf attribute


# --- XML bombs past the gate -----------------------------------------------------------------


@contextmanager
def guard_xml(path: str | Path):
    """Turn defusedxml's refusal (entity/DTD tricks that got past the gate) into H959."""
    from defusedxml import DefusedXmlException

    try:
        yield
    except Exception as exc:
        # openpyxl wraps parser errors ("Unable to read workbook"): look down the cause chain.
        cause: BaseException | None = exc
        for _ in range(10):
            if cause is None or isinstance(cause, DefusedXmlException):
                break
            cause = cause.__cause__ or cause.__context__
        if not isinstance(cause, DefusedXmlException):
            raise
        raise HostileFileError(
            "H959", path, f"工作簿含有被禁止的 XML 结构（{type(cause).__name__}），疑似 XML 炸弹，拒绝读取"
        ) from exc
