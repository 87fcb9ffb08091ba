"""Atomic saves: write a temp file beside the target, fsync, then rename over it.

What a crash, a SIGKILL or a full disk can leave at the target's name is the old file or the
complete new one, never a mixture:

* the new version is written to a hidden temp file in the target's folder whose name does not
  depend on the target's (``.~perfxl-PID-RANDOM.tmp``: a 250-byte name still fits in 255), then
  fsynced and renamed over the target; temp files of killed runs are removed by the next save in
  that folder (their process is gone) and no reader ever takes them for input;
* replacing a file keeps the replaced version as ``NAME.bak.EXT``, itself made atomically: a hard
  link (no data written, so a full disk cannot truncate it) or, where links are impossible, a
  copy to a temp file that is fsynced and renamed — never a copy onto the backup's name;
* the rotation never destroys the only copy of the original: the first backup perfxl ever made
  of a file is moved to ``NAME.orig.EXT`` when the next one replaces it, and ``.orig`` is never
  overwritten. ``.bak`` is the version before the latest write, ``.orig`` the file as it was
  before perfxl first replaced it.

Whether a path *may* be written (an input, a file perfxl did not write, a file open in Excel,
WPS or LibreOffice) is :mod:`perfxl.outputs`' decision, made before any work.
"""

from __future__ import annotations

import errno
import re
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

TEMP_PREFIX = ".~perfxl-"
TEMP_SUFFIX = ".tmp"
NAME_MAX = 255  # bytes of one path component on Linux, macOS and Windows (UTF-16 units there)


_TEMP_OR_BACKUP = re.compile(r"\.(bak|orig)\.[^.]+$", re.IGNORECASE)


def is_own_side_file(name: str) -> bool:
    """perfxl's own backups (``NAME.bak.xlsx``, ``NAME.orig.xlsx``), temp files of atomic saves
    (also of killed runs) and editors' lock files: never inputs."""
    return (is_temp_name(name) or bool(_TEMP_OR_BACKUP.search(name))
            or name.startswith(("~$", ".~lock.", ".~")))


def _side_name(path: Path, tag: str) -> Path:
    """``NAME.TAG.EXT`` beside ``path``, the stem shortened so the name fits :data:`NAME_MAX`."""
    suffix = f".{tag}{path.suffix}"
    room = NAME_MAX - len(suffix.encode("utf-8"))
    stem = path.stem.encode("utf-8")[:room].decode("utf-8", "ignore") if room > 0 else ""
    return path.with_name(stem + suffix)


def backup_path(path: str | Path) -> Path:
    """``NAME.bak.EXT``: the version an atomic save replaced last."""
    return _side_name(Path(path), "bak")


def original_path(path: str | Path) -> Path:
    """``NAME.orig.EXT``: the version before perfxl first replaced the file (kept for good)."""
    return _side_name(Path(path), "orig")


def is_temp_name(name: str) -> bool:
    """A temp file of an atomic save (possibly left by a killed run)."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def _temp_in(directory: Path) -> Path:
    name = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    return directory / name


def remove_stale_temps(directory: Path) -> None:
    """Delete temp files left in ``directory`` by atomic saves whose process is gone."""
    try:
        names = [n for n in os.listdir(directory) if is_temp_name(n)]
    except OSError:
        return
    for name in names:
        if not stale(directory / name, name[len(TEMP_PREFIX):]):
            continue
        try:
            os.unlink(directory / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running. On Windows ``os.kill`` would end the
    process instead of probing it: there every process counts as alive (callers also look at
    the leftover's age, see :func:`stale`)."""
    if pid == os.getpid() or os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def stale(path: Path, tail: str, max_age: float = 86_400.0) -> bool:
    """Whether the leftover ``path`` (named ``…PID-…``, ``tail`` from the PID on) belongs to a
    process that is gone — or, where that can't be probed, is more than a day old."""
    pid = tail.split("-", 1)[0]
    if pid.isdigit() and not _alive(int(pid)):
        return True
    try:
        import time

        return os.name == "nt" and time.time() - path.stat().st_mtime > max_age
    except OSError:
        return False


def _kill_point(stage: str) -> None:
    """Test hook: ``PERFXL_TEST_KILL_AT=stage`` makes this process SIGKILL itself at ``stage``
    of a save (``written``, ``synced``, ``backed-up``, ``replaced``), so the kill tests hit
    each moment of the save exactly instead of racing sleeps against it."""
    if os.environ.get("PERFXL_TEST_KILL_AT") == stage:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def atomic_save(path: str | Path, write: Callable[[Path], None], *, backup: bool = False) -> Path:
    """Call ``write(tmp)`` to produce the new file, then move it over ``path`` atomically.

    A symlink is followed: the target is replaced, the link stays. Refuses (H956) a file that
    another program holds open (:func:`perfxl.outputs.check_unlocked`).
    """
    from perfxl.outputs import check_unlocked, write_error

    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    check_unlocked(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path.parent)
        tmp = _temp_in(path.parent)
    except OSError as exc:
        raise write_error(exc, path) from exc
    try:
        write(tmp)
        _kill_point("written")
        # the temp file is 0600; give the file the mode it had, or what a plain open() gives
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        _fsync_file(tmp)
        _kill_point("synced")
        if backup and path.exists():
            _rotate_backup(path)
            _kill_point("backed-up")
        os.replace(tmp, path)
        _kill_point("replaced")
        _fsync_dir(path.parent)
    except BaseException as exc:
        _unlink_quietly(tmp)
        if isinstance(exc, OSError):
            raise write_error(exc, path) from exc
        raise
    return path


def atomic_write_text(path: str | Path, text: str, *, backup: bool = False) -> Path:
    return atomic_save(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), backup=backup)


def _rotate_backup(path: Path) -> None:
    """Keep ``path``'s current version as ``.bak``; an earlier ``.bak`` becomes ``.orig`` the
    first time (see the module doc), later ones are dropped. Every step is a rename or a link."""
    bak, orig = backup_path(path), original_path(path)
    if bak.exists() and not orig.exists():
        os.replace(bak, orig)
    _fsync_dir(path.parent)
    tmp = path.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    try:
        os.link(path, tmp)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK, errno.EACCES,
                             errno.ENOSYS):
            raise
        try:
            shutil.copyfile(path, tmp)
            shutil.copystat(path, tmp)
            _fsync_file(tmp)
        except BaseException:
            _unlink_quietly(tmp)
            raise
    try:
        os.replace(tmp, bak)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def move_into_place(src: str | Path, dst: str | Path) -> Path:
    """Move a finished file ``src`` (e.g. a PDF in a temporary folder) to ``dst``: a rename on
    the same filesystem, else a copy to a temp file beside ``dst`` that replaces it atomically."""
    src, dst = Path(src), Path(dst)
    try:
        os.replace(src, dst)
        return dst
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            from perfxl.outputs import write_error

            raise write_error(exc, dst) from exc
    atomic_save(dst, lambda tmp: shutil.copyfile(src, tmp))
    _unlink_quietly(src)
    return dst


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


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
