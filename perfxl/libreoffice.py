"""Run LibreOffice headless: recalculate workbooks and print them to PDF (design.md §4).

One ``soffice`` process converts many files (start-up costs ~1.3 s).  A private user profile is
created per call with ``OOXMLRecalcMode=0`` ("always recalculate") so that cells which already
hold a cached value are recomputed.  ``soffice`` exits 0 even when it could not load a file, so
every expected output is checked.

No soffice outlives the call: it runs in its own process group, which is killed on a
timeout, Ctrl-C, SIGTERM or any error; on Linux it also dies with perfxl itself (even SIGKILL:
``PR_SET_PDEATHSIG``) — ``soffice.bin`` is started directly, not through the ``oosplash``
launcher, so the process that does the work is the one that gets the signal. Profiles left by a
killed perfxl (``perfxl-lo-PID-…`` whose process is gone) are removed by the next call. Outputs
are moved into place with :func:`perfxl.atomic.move_into_place` (a copy across filesystems).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


_RESTART = 81  # soffice.bin's "restart me" after it initialised a fresh profile (oosplash's job)
_PROFILE_PREFIX = "perfxl-lo-"


class LibreOfficeError(RuntimeError):
    """soffice is missing, failed, or did not produce an expected output file."""


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed. ``PERFXL_SOFFICE``
    names one that is not on PATH (e.g. ``C:\\Program Files\\LibreOffice\\program\\soffice.exe``);
    set to an empty value it makes perfxl work as if LibreOffice were not installed."""
    chosen = os.environ.get("PERFXL_SOFFICE")
    if chosen is not None:
        return chosen if chosen and os.path.isfile(chosen) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _office_binary(exe: str) -> str:
    """``soffice.bin`` beside the ``soffice`` launcher script, when there is one."""
    binary = Path(os.path.realpath(exe)).with_name("soffice.bin")
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else exe


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run(cmd: list[str], timeout: float, env: dict) -> subprocess.CompletedProcess:
    """Run soffice in its own process group; kill the whole group on any way out but success."""
    import signal
    import sys

    linux = sys.platform.startswith("linux")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True, preexec_fn=_die_with_parent if linux else None)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException as exc:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.wait()
        if isinstance(exc, subprocess.TimeoutExpired):
            raise LibreOfficeError(f"LibreOffice 超时（{timeout:.0f} 秒）") from exc
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def remove_stale_profiles() -> None:
    """Delete the profiles of conversions whose perfxl process is gone (it was killed)."""
    from perfxl.atomic import stale

    base = Path(tempfile.gettempdir())
    try:
        entries = list(base.glob(_PROFILE_PREFIX + "*"))
    except OSError:
        return
    for entry in entries:
        if stale(entry, entry.name[len(_PROFILE_PREFIX):]):
            shutil.rmtree(entry, ignore_errors=True)


def _convert(paths: list[Path], outdir: Path, target: str, suffix: str, timeout: float) -> list[Path]:
    exe = soffice_path()
    if exe is None:
        raise LibreOfficeError("未找到 LibreOffice（soffice），无法重算或导出 PDF")
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        return []
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise LibreOfficeError("同一批次中有同名文件，输出会互相覆盖：" + ", ".join(stems))
    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [outdir / (p.stem + suffix) for p in paths]
    remove_stale_profiles()
    with tempfile.TemporaryDirectory(prefix=f"{_PROFILE_PREFIX}{os.getpid()}-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        # Convert into a scratch dir when an output would overwrite its own input.
        scratch = Path(profile) / "out"
        scratch.mkdir()
        cmd = [
            _office_binary(exe),
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(scratch),
            *[str(p) for p in paths],
        ]
        env = dict(os.environ)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        proc = _run(cmd, timeout, env)
        if proc.returncode == _RESTART:  # first start of the fresh profile: go again
            proc = _run(cmd, timeout, env)
        from perfxl.atomic import move_into_place

        missing = []
        for src, out in zip(paths, expected):
            produced = scratch / out.name
            if not produced.exists() or produced.stat().st_size == 0:
                missing.append(src.name)
                continue
            move_into_place(produced, out)
        if missing:
            raise LibreOfficeError(
                "LibreOffice 未能转换：" + ", ".join(missing)
                + f"（退出码 {proc.returncode}；{(proc.stderr or proc.stdout).strip()[:500]}）"
            )
    return expected


def recalculate(paths: list[Path] | list[str], outdir: Path | str, timeout: float = 300) -> list[Path]:
    """Open each workbook in LibreOffice, recalculate every formula, save as .xlsx in ``outdir``.

    Returns the output paths in input order; raises :class:`LibreOfficeError` when one is missing.
    Read the values with openpyxl ``load_workbook(path, data_only=True)``.
    """
    return _convert(list(map(Path, paths)), Path(outdir), "xlsx:Calc MS Excel 2007 XML", ".xlsx", timeout)


def to_pdf(paths: list[Path] | list[str], outdir: Path | str, timeout: float = 300) -> list[Path]:
    """Print each workbook (its print areas, all visible sheets) to PDF in ``outdir``."""
    return _convert(list(map(Path, paths)), Path(outdir), "pdf:calc_pdf_Export", ".pdf", timeout)
