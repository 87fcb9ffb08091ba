"""Atomic saves: write a temp file beside the target, fsync, then replace.

A crash in the middle of a save leaves the previous version intact; with ``backup=True`` the
previous version is also kept as ``NAME.bak.EXT``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.bak{path.suffix}")


def atomic_save(path: str | Path, write: Callable[[Path], None], *, backup: bool = False) -> Path:
    """Call ``write(tmp)`` to produce the new file, then move it over ``path`` atomically."""
    path = Path(path)
    from perfxl.safety import check_writable  # never overwrite a file open in Excel (~$ lock)

    check_writable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates 0600; give the file the mode it had, or what a plain open() gives.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        if backup and path.exists():
            shutil.copy2(path, backup_path(path))
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, *, backup: bool = False) -> Path:
    return atomic_save(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), backup=backup)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
