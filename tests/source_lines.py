"""The lines of perfxl's own source that match a pattern, for tests that keep a rule of the code
base (no history in comments, one owner per rule)."""

from __future__ import annotations

import re

from tests.paths import PERFXL


def matching_lines(pattern: re.Pattern[str], skip: set[str] = frozenset()) -> list[str]:
    """``path:line: text`` of every line of perfxl/**/*.py matching ``pattern``, but for the
    files in ``skip`` (paths relative to perfxl/)."""
    found = []
    for path in sorted(PERFXL.rglob("*.py")):
        if path.relative_to(PERFXL).as_posix() in skip:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{path.relative_to(PERFXL.parent)}:{n}: {line.strip()}")
    return found
