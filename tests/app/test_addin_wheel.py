"""After ``pip install`` of the wheel (not an editable checkout), run from another folder:
``perfxl addin build`` writes files byte-identical to workbook/, ``perfxl new`` and
``perfxl demo`` work — macros/ and templates/ ship inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.paths import ROOT


def _run(args, cwd, env=None):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-3000:])
    return proc


def test_wheel_install_builds_the_committed_files(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], tmp_path)
    [wheel] = wheels.glob("perfxl-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    for name in ("macros/xlwings.bas", "macros/PerfxlRibbon.bas", "macros/Dictionary.cls",
                 "macros/customUI14.xml", "templates/绩效目标申报表.xlsx", "templates/绩效自评表.xlsx"):
        assert f"perfxl/_data/{name}" in names, name

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    bin_ = venv / ("Scripts" if os.name == "nt" else "bin")
    # --ignore-installed: the checkout's editable perfxl is visible through the system site
    _run([str(bin_ / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
          "--ignore-installed", "--find-links", str(wheels), "perfxl"], tmp_path)
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run([str(bin_ / "python"), "-c", "import perfxl; print(perfxl.__file__)"], away, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # not the checkout

    perfxl = str(bin_ / "perfxl")
    _run([perfxl, "addin", "build"], away, env)
    for name in ("perfxl.xlam", "绩效工作簿.xlsm"):
        assert (away / "workbook" / name).read_bytes() == (ROOT / "workbook" / name).read_bytes(), name
    _run([perfxl, "new", "declaration", "-o", "blank.xlsx"], away, env)
    assert (away / "blank.xlsx").stat().st_size > 0
    _run([perfxl, "demo", "-o", "demo"], away, env)
    assert list((away / "demo").glob("*.xlsx"))
    doctor = _run([perfxl, "addin", "doctor"], away, env)
    assert "未发现问题" in doctor.stdout
