"""The repository's folders as the tests see them, wherever a test file sits under tests/."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent  # the repository: perfxl/, templates/, macros/, workbook/, benchmarks/
PERFXL = ROOT / "perfxl"
DATA = TESTS / "data"  # small committed workbooks (v1 fixtures, LibreOffice-saved files)
CORPUS = TESTS / "corpus"  # the returned-files corpus: cases/, expected/, v1/
