"""No dead code in perfxl/: vulture finds nothing beyond tests/vulture_whitelist.py, whose every
entry says why the name is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.paths import PERFXL, ROOT, TESTS

WHITELIST = TESTS / "vulture_whitelist.py"


def _vulture(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vulture", *map(str, paths)],
                          capture_output=True, text=True, cwd=ROOT)


def test_perfxl_has_no_dead_code():
    result = _vulture(PERFXL, WHITELIST)
    assert result.returncode == 0, "vulture：\n" + result.stdout + result.stderr


def test_the_check_finds_an_unused_function(tmp_path):
    """The check can fail: an unused function next to perfxl is reported."""
    module = tmp_path / "extra.py"
    module.write_text("def never_called():\n    return 1\n", encoding="utf-8")
    result = _vulture(PERFXL, WHITELIST, module)
    assert result.returncode != 0 and "never_called" in result.stdout, result.stdout
