"""Run LibreOffice headless: recalculate workbooks and print them to PDF (design.md §4).

One ``soffice`` process converts many files (start-up costs ~1.3 s).  A private user profile is
created per call with ``OOXMLRecalcMode=0`` ("always recalculate") so that cells which already
hold a cached value are recomputed.  ``soffice`` exits 0 even when it could not load a file, so
every expected output is checked.
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


class LibreOfficeError(RuntimeError):
    """soffice is missing, failed, or did not produce an expected output file."""


def soffice_path() -> str | None:
    """The soffice executable, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


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
    for out in expected:
        if out.exists() and out not in paths:
            out.unlink()
    with tempfile.TemporaryDirectory(prefix="perfxl-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_REGISTRY, encoding="utf-8")
        # Convert into a scratch dir when an output would overwrite its own input.
        scratch = Path(profile) / "out"
        scratch.mkdir()
        cmd = [
            exe,
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
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as exc:
            raise LibreOfficeError(f"LibreOffice 超时（{timeout:.0f} 秒）") from exc
        missing = []
        for src, out in zip(paths, expected):
            produced = scratch / out.name
            if not produced.exists() or produced.stat().st_size == 0:
                missing.append(src.name)
                continue
            os.replace(produced, out)
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
