"""A VBA project (``vbaProject.bin``) written from source, as [MS-OVBA] describes it.

No compiled code: ``_VBA_PROJECT`` carries version 0xFFFF, which tells Excel to ignore any
performance cache and compile the stored source on load ([MS-OVBA] §2.3.4.1). What is written:

- ``VBA/dir`` (compressed, §2.3.4.2): system kind, LCID, code page 1252, the project name,
  references to ``stdole`` and the Office type library (``IRibbonControl``), and each module's
  name, stream, type and text offset 0;
- ``VBA/<module>``: the module's source, compressed (§2.4.1), attribute lines included;
- ``PROJECT`` / ``PROJECTwm`` (§2.3.1, §2.3.3): the project's text properties and module names,
  with ``CMG``/``DPB``/``GC`` meaning unprotected, no password, visible (§2.4.3);
- the compound file around them: :mod:`cfbwrite` (of the registry's CFB packages, ``cfb`` only
  reads; ``cfbwrite``'s ``write_ole`` gives files olefile accepts in strict mode, with a valid
  red-black directory tree, and the same bytes on every run).

Sources must be ASCII (code page 1252 on every Windows, Chinese ones included): the ribbon
module builds its Chinese strings with ``ChrW``.
"""

from __future__ import annotations

import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

CODE_PAGE = 1252
LCID = 0x0409
SYS_KIND_WIN64 = 3
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"  # version 0xFFFF: source only

# References every ribbon add-in needs: OLE Automation and the Office type library.
REFERENCES = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
               r"C:\Windows\System32\stdole2.tlb#OLE Automation"),
    ("Office", r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
               r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL"
               r"#Microsoft Office 16.0 Object Library"),
)

# Excel's document-module attributes: the workbook and a worksheet (VB_Base = their CLSIDs).
_DOCUMENT_BASES = {
    "workbook": "0{00020819-0000-0000-C000-000000000046}",
    "worksheet": "0{00020820-0000-0000-C000-000000000046}",
}


class VbaProjectError(ValueError):
    """A module source cannot be stored (the message is Chinese and names the module)."""


@dataclass(frozen=True)
class Module:
    """One VBA module as stored: ``kind`` is ``"standard"``, ``"class"`` or ``"document"``."""

    name: str
    kind: str
    source: str

    @property
    def keyword(self) -> str:
        """Its line in the PROJECT stream."""
        return {"standard": "Module", "class": "Class", "document": "Document"}[self.kind]


def module_from_file(path: Path) -> Module:
    """A ``.bas`` / ``.cls`` file as exported by the VBA editor, as stored in a project: the
    class header (``VERSION 1.0 CLASS`` … ``END``) is not part of the source; ``Attribute``
    lines are."""
    text = path.read_text(encoding="ascii")
    lines = text.replace("\r\n", "\n").split("\n")
    kind = "standard"
    if path.suffix.lower() == ".cls":
        kind = "class"
        if lines and lines[0].startswith("VERSION "):
            end = lines.index("END")
            lines = lines[end + 1:]
    first = lines[0] if lines else ""
    prefix = 'Attribute VB_Name = "'
    if not first.startswith(prefix):
        raise VbaProjectError(f"{path.name} 第一行应为 {prefix}…\"（VBA 模块名）")
    return Module(first[len(prefix):].rstrip('"'), kind, "\n".join(lines))


def document_module(name: str, base: str) -> Module:
    """An empty document module (ThisWorkbook or a sheet) with Excel's standard attributes."""
    attrs = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{_DOCUMENT_BASES[base]}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return Module(name, "document", "\n".join(attrs) + "\n")


# --- [MS-OVBA] §2.4.1 compression -------------------------------------------------------------

_CHUNK = 4096


def _copy_token_bits(position: int) -> int:
    """Bits of a copy token's offset at ``position`` bytes into the chunk: ceil(log2(position)),
    at least 4 (§2.4.1.3.19.1)."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(data: bytes) -> bytes:
    out = bytearray()
    heads: dict[bytes, list[int]] = {}
    pos, n = 0, len(data)
    while pos < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            best_len, best_off = 0, 0
            if pos > 0:
                bits = _copy_token_bits(pos)
                max_len = (0xFFFF >> bits) + 3
                for start in reversed(heads.get(data[pos:pos + 3], ())):
                    length = 0
                    limit = min(max_len, n - pos)
                    while length < limit and data[start + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - start
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                heads.setdefault(data[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """The CompressedContainer of ``data`` ([MS-OVBA] §2.4.1.3.6)."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK]
        packed = _compress_chunk(chunk)
        if len(packed) > _CHUNK - 2 and len(chunk) == _CHUNK:
            out += struct.pack("<H", 0x3000 | (_CHUNK - 1))  # raw chunk: flag 0, size 4096
            out += chunk
            continue
        if len(packed) > _CHUNK:
            raise VbaProjectError("模块源代码无法按 MS-OVBA 压缩（数据块过大）")
        out += struct.pack("<H", 0xB000 | (len(packed) + 2 - 3))
        out += packed
    return bytes(out)


# --- [MS-OVBA] §2.3.4.2 the dir stream ------------------------------------------------------------


def _rec(rec_id: int, data: bytes) -> bytes:
    return struct.pack("<HI", rec_id, len(data)) + data


def _mbcs(text: str) -> bytes:
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        raise VbaProjectError(f"VBA 名称只能使用 ASCII 字符：{text!r}") from None


def dir_stream(project_name: str, modules: list[Module]) -> bytes:
    """The decompressed ``dir`` stream."""
    out = bytearray()
    out += _rec(0x0001, struct.pack("<I", SYS_KIND_WIN64))
    out += _rec(0x0002, struct.pack("<I", LCID))
    out += _rec(0x0014, struct.pack("<I", LCID))
    out += _rec(0x0003, struct.pack("<H", CODE_PAGE))
    out += _rec(0x0004, _mbcs(project_name))
    out += _rec(0x0005, b"") + _rec(0x0040, b"")  # doc string, and its Unicode form
    out += _rec(0x0006, b"") + _rec(0x003D, b"")  # help file, twice
    out += _rec(0x0007, struct.pack("<I", 0))  # help context
    out += _rec(0x0008, struct.pack("<I", 0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version 1.0 (Reserved is 4, then major, minor)
    out += _rec(0x000C, b"") + _rec(0x003C, b"")  # constants, and their Unicode form
    for name, libid in REFERENCES:
        out += _rec(0x0016, _mbcs(name)) + _rec(0x003E, name.encode("utf-16-le"))
        lib = _mbcs(libid)
        out += _rec(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _rec(0x000F, struct.pack("<H", len(modules)))
    out += _rec(0x0013, struct.pack("<H", 0xFFFF))  # project cookie
    for m in modules:
        name = _mbcs(m.name)
        out += _rec(0x0019, name) + _rec(0x0047, m.name.encode("utf-16-le"))
        out += _rec(0x001A, name) + _rec(0x0032, m.name.encode("utf-16-le"))
        out += _rec(0x001C, b"") + _rec(0x0048, b"")  # doc string
        out += _rec(0x0031, struct.pack("<I", 0))  # text offset: the stream is all source
        out += _rec(0x001E, struct.pack("<I", 0))  # help context
        out += _rec(0x002C, struct.pack("<H", 0xFFFF))  # module cookie
        out += _rec(0x0021 if m.kind == "standard" else 0x0022, b"")
        out += _rec(0x002B, b"")  # module terminator
    out += _rec(0x0010, b"")  # end of the dir stream
    return bytes(out)


# --- [MS-OVBA] §2.4.3 data encryption (the PROJECT stream's CMG, DPB and GC) -------------------


def encrypt(data: bytes, project_id: str, seed: int) -> str:
    """``data`` encrypted as §2.4.3.2 says, hex-encoded; ``seed`` fixes the output."""
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out = bytearray([seed, seed ^ version, seed ^ proj_key])
    unencrypted1, encrypted1, encrypted2 = proj_key, seed ^ proj_key, seed ^ version
    ignored = (seed & 6) // 2
    payload = bytes(ignored) + struct.pack("<I", len(data)) + data
    for byte in payload:
        enc = byte ^ ((encrypted2 + unencrypted1) & 0xFF)
        out.append(enc)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    return out.hex().upper()


def decrypt(text: str, project_id: str | None = None) -> bytes:
    """The data of an encrypted PROJECT value (§2.4.3.3); checks the project key if given."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("unknown encryption version")
    proj_key = seed ^ proj_key_enc
    if project_id is not None and proj_key != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("project key does not match the project id")
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    plain = bytearray()
    for enc in raw[3:]:
        byte = enc ^ ((encrypted2 + unencrypted1) & 0xFF)
        plain.append(byte)
        encrypted2, encrypted1, unencrypted1 = encrypted1, enc, byte
    ignored = (seed & 6) // 2
    length = struct.unpack("<I", plain[ignored:ignored + 4])[0]
    return bytes(plain[ignored + 4:ignored + 4 + length])


# --- the PROJECT streams -------------------------------------------------------------------------


def project_stream(project_name: str, project_id: str, modules: list[Module]) -> bytes:
    """The PROJECT stream (§2.3.1): text, CRLF lines, code page 1252."""
    lines = [f'ID="{project_id}"']
    for m in modules:
        lines.append(f"{m.keyword}={m.name}/&H00000000" if m.kind == "document"
                     else f"{m.keyword}={m.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{encrypt(bytes(4), project_id, 0x11)}"',  # protection state: none
        f'DPB="{encrypt(bytes(1), project_id, 0x22)}"',  # password: none
        f'GC="{encrypt(bytes([0xFF]), project_id, 0x33)}"',  # visibility: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
        *[f"{m.name}=0, 0, 0, 0, C" for m in modules],
        "",
    ]
    return _mbcs("\r\n".join(lines))


def projectwm_stream(modules: list[Module]) -> bytes:
    """The PROJECTwm stream (§2.3.3): each module name in code page 1252 and UTF-16."""
    out = bytearray()
    for m in modules:
        out += _mbcs(m.name) + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def _crlf(text: str) -> bytes:
    return _mbcs(text.replace("\r\n", "\n").replace("\n", "\r\n"))


def build(project_name: str, project_id: str, modules: list[Module]) -> bytes:
    """The bytes of ``vbaProject.bin`` holding ``modules`` (source only)."""
    from cfbwrite import Entry, write_ole

    names = [m.name.lower() for m in modules]
    if len(set(names)) != len(names):
        raise VbaProjectError("VBA 模块名重复：" + "、".join(m.name for m in modules))

    def stream(name: str, data: bytes) -> Entry:
        return Entry(name=name, is_storage=False, size=len(data), read=lambda: data)

    vba = [stream("_VBA_PROJECT", VBA_PROJECT_STREAM),
           stream("dir", compress(dir_stream(project_name, modules)))]
    vba += [stream(m.name, compress(_crlf(m.source))) for m in modules]
    root = [
        Entry(name="VBA", is_storage=True, size=0, read=None, children=vba),
        stream("PROJECT", project_stream(project_name, project_id, modules)),
        stream("PROJECTwm", projectwm_stream(modules)),
    ]
    with tempfile.TemporaryDirectory(prefix="perfxl-vba-") as tmp:
        path = Path(tmp) / "vbaProject.bin"
        write_ole(path, root)
        return path.read_bytes()
