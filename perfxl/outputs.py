"""The output policy every writing command follows (design.md §5).

:func:`prepare_output` is called before any work, with the inputs and the kind of file the
command writes, and refuses (an :class:`OutputRefused`, exit status 2, a Chinese message with its
rule code):

* W730 — the output is one of the inputs (same file: the same inode, or the same resolved path),
  unless the command works in place on purpose (``score`` without ``-o``);
* W731 — the output exists and is not a file perfxl writes of that kind (a summary only replaces
  a summary, a form workbook a form workbook, a project JSON a project JSON …), or is a folder, a
  FIFO or a device;
* H956 — another program holds it: Excel's or WPS's ``~$NAME`` (Excel drops two characters of
  long names: ``~$ME``), LibreOffice's ``.~lock.NAME#``, WPS for Linux's ``.~NAME``, or an
  fcntl/flock lock held by another process.

The replacing itself (temp, fsync, rename, backup rotation) is :mod:`perfxl.atomic`;
:func:`write_error` turns the OS's reasons a write fails (disk full, read-only folder, no
permission) into Chinese.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

from perfxl.errors import HostileFileError, InputError

class OutputRefused(InputError):
    """An output refused before anything was written; ``code`` is its rule."""

    def __init__(self, code: str, path: Path | str, detail: str):
        self.code = code
        self.path = str(path)
        super().__init__(f"{code} {detail}")


# --- kinds of files perfxl writes --------------------------------------------------------------

FORM, SUMMARY, JSON, PDF, EML, ADDIN = "form", "summary", "json", "pdf", "eml", "addin"
_KIND_LABEL = {FORM: "绩效表单工作簿", SUMMARY: "汇总工作簿", JSON: "项目 JSON", PDF: "PDF",
               EML: "邮件草稿", ADDIN: "加载项"}
_SETTINGS_SHEET = "perfxl设置"
_SUMMARY_SHEETS = ("项目对照", "统计")


def _workbook_sheets(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            info = next((i for i in zf.infolist() if i.filename.lower() == "xl/workbook.xml"), None)
            if info is None or info.file_size > 4 * 2**20:
                return None
            return zf.read(info).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError):
        return None


def _head(path: Path, n: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def written_by_perfxl(path: str | Path, kind: str) -> bool:
    """Whether the existing file at ``path`` is a file of ``kind`` as perfxl writes it."""
    path = Path(path)
    if kind in (FORM, SUMMARY):
        xml = _workbook_sheets(path)
        if xml is None:
            return False
        if kind == SUMMARY:
            return any(f'name="{s}"' in xml for s in _SUMMARY_SHEETS)
        return f'name="{_SETTINGS_SHEET}"' in xml
    if kind == JSON:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and isinstance(data.get("projects"), list)
    if kind == PDF:
        head = _head(path)
        return head.startswith(b"%PDF") and b"LibreOffice" in head + _tail(path)
    if kind == EML:
        return b"\nX-Unsent: 1" in b"\n" + _head(path)
    return kind == ADDIN


def _tail(path: Path, n: int = 65536) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - n))
            return fh.read()
    except OSError:
        return b""


# --- the policy ---------------------------------------------------------------------------------


def same_file(a: str | Path, b: str | Path) -> bool:
    """``a`` and ``b`` name one file: the same inode, or (for a file not yet there) the same
    resolved path."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        pass
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


def prepare_output(out: str | Path, inputs: Iterable[str | Path] = (), *, kind: str,
                   in_place: bool = False) -> Path:
    """Check that ``out`` may be written by a command reading ``inputs`` (see module doc);
    returns the path to write (a symlink's target: the link stays a link)."""
    out = Path(out)
    for src in inputs:
        if same_file(out, src) and not in_place:
            raise OutputRefused(
                "W730", out, f"输出文件 {out} 就是输入文件 {src}，写入会替换输入本身，未写入；请用 -o 指定另一个文件名"
            )
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise write_error(exc, out) from exc
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputRefused("W731", out, f"输出位置 {out} 是一个文件夹，不是文件；请在 -o 后写上文件名")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputRefused("W731", out, f"输出位置 {out} 不是普通文件（可能是管道或设备），未写入")
    if st is not None and not in_place and not written_by_perfxl(out, kind):
        raise OutputRefused(
            "W731", out,
            f"{out} 已存在，且不是 perfxl 写出的{_KIND_LABEL.get(kind, '文件')}，为免覆盖他人的文件，未写入；"
            "请换一个文件名，或确认不需要后先删除它",
        )
    real = Path(os.path.realpath(out)) if out.is_symlink() else out
    check_unlocked(real)
    return real


# --- locks --------------------------------------------------------------------------------------


def lock_files(path: str | Path) -> list[Path]:
    """The lock files an editor that has ``path`` open puts beside it."""
    path = Path(path)
    name = path.name
    names = ["~$" + name, f".~lock.{name}#", f".~{name}"]
    if len(name) > 2:
        names.append("~$" + name[2:])  # Excel/WPS on Windows drop two characters of long names
    return [path.with_name(n) for n in names if len(n.encode("utf-8", "surrogateescape")) <= 255]


def check_unlocked(path: str | Path) -> None:
    """Raise H956 when ``path`` is open in Excel, WPS or LibreOffice (their lock file beside
    it), held by another process's fcntl/flock lock, or can't be opened for writing."""
    path = Path(path)
    for lock in lock_files(path):
        if os.path.lexists(lock):
            raise HostileFileError(
                "H956", path,
                f"文件正被 Excel、WPS 或 LibreOffice 打开（发现锁文件 {lock.name}），为免覆盖未保存的修改，未写入；"
                "请关闭该文件后重试，或用 -o 写到另一个文件",
            )
    if not path.exists():
        return
    try:
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ETXTBSY):
            raise HostileFileError(
                "H956", path, f"文件无法写入（只读，或正被其他程序打开：{_reason(exc)}），未写入"
            ) from exc
        return
    try:
        holder = _os_lock_held(fd)
    finally:
        os.close(fd)
    if holder:
        raise HostileFileError(
            "H956", path, f"文件正被另一个程序锁定（{holder}），为免覆盖它的修改，未写入；请关闭该程序后重试"
        )


def _os_lock_held(fd: int) -> str | None:
    """Probe the POSIX record lock and the BSD flock of an open file; None when both are free."""
    try:
        import fcntl
    except ImportError:  # Windows: Excel's share mode already stops the open
        return None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_UN)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return "fcntl 记录锁"
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return "flock 文件锁"
    return None


# --- why a write failed, in Chinese -------------------------------------------------------------

_REASONS = {
    errno.ENOSPC: "磁盘已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "文件夹所在的磁盘只读",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "没有写入权限",
    errno.ENAMETOOLONG: "文件名过长",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EEXIST: "已有同名文件",
    errno.ELOOP: "符号链接形成循环",
    errno.ENOENT: "文件夹不存在",
    errno.EIO: "磁盘读写错误",
    errno.EFBIG: "文件过大",
    errno.EXDEV: "不能跨磁盘移动",
}


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno, f"系统错误 {exc.errno}" if exc.errno else "系统错误")


def os_error_text(exc: OSError) -> str:
    """A Chinese sentence for an OSError raised while reading or writing files."""
    where = exc.filename if exc.filename is not None else ""
    return f"{_reason(exc)}：{where}" if where else _reason(exc)


def write_error(exc: OSError, path: str | Path) -> OutputRefused:
    """The W732 refusal for a write of ``path`` that failed with ``exc`` (nothing replaced)."""
    return OutputRefused(
        "W732", path, f"无法写入 {path}：{_reason(exc)}。原文件与已有备份均未改动；"
        "请改正后重试，或用 -o 写到另一个文件夹"
    )
