"""The tests mirror the package layout. A test file sits one folder below tests/, in
- tests/<subpackage>/ for a perfxl subpackage (tests/rules/ tests perfxl/rules/, tests/forms/ perfxl/forms/);
- tests/<layer>/ for perfxl's top-level modules, by the module's layer in the import graph's
  ``ORDER`` (tests/jobs/ tests perfxl/carry.py, tests/app/ perfxl/cli.py);
- tests/project/ for checks of the whole repository (corpus, import graph, dead code, benchmarks).
Each folder is a package, so test modules are ``tests.<folder>.test_x`` and two folders may hold
the same file name. tests/ itself holds only shared helpers (conftest, paths, forms_helpers, …);
tests/data and tests/corpus hold fixtures, not tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import PERFXL, ROOT, TESTS
from tests.project.test_import_graph import ORDER

PROJECT = "project"
FIXTURES = {"data", "corpus"}  # tests/data holds fixtures; perfxl/data (the seeds) is tested in tests/domain


def allowed_folders() -> set[str]:
    """The folder names a test file may sit in."""
    subpackages = {p.parent.name for p in PERFXL.glob("*/__init__.py")}
    return (subpackages | set(ORDER) | {PROJECT}) - FIXTURES


def misplaced(tests: Path, folders: set[str]) -> list[str]:
    """Every test file (pytest's default ``test_*.py`` / ``*_test.py``) under ``tests`` that is
    not in one of ``folders`` directly below it, or whose folder is not a package."""
    found = sorted({*tests.rglob("test_*.py"), *tests.rglob("*_test.py")})
    bad = []
    for path in found:
        rel = path.relative_to(tests)
        if len(rel.parts) != 2 or rel.parts[0] not in folders:
            bad.append(f"{rel.as_posix()}：应放在 tests/<{'|'.join(sorted(folders))}>/ 中")
        elif not (path.parent / "__init__.py").exists():
            bad.append(f"{rel.as_posix()}：所在文件夹缺少 __init__.py")
    return bad


def test_every_test_file_sits_in_a_folder_that_mirrors_perfxl():
    assert misplaced(TESTS, allowed_folders()) == []


def test_the_folders_include_perfxls_subpackages_and_layers():
    folders = allowed_folders()
    assert {"rules", "forms", "summary", "textimport"} <= folders
    assert {"domain", "io", "excel", "jobs", "app", PROJECT} <= folders
    assert "data" not in folders  # tests/data is the fixtures folder


def test_the_check_refuses_a_flat_test_an_unknown_folder_and_a_folder_without_init(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "rules" / "test_ok.py").write_text("", encoding="utf-8")
    (tmp_path / "test_flat.py").write_text("", encoding="utf-8")
    (tmp_path / "misc").mkdir()
    (tmp_path / "misc" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "misc" / "test_where.py").write_text("", encoding="utf-8")
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "carry_test.py").write_text("", encoding="utf-8")
    (tmp_path / "rules" / "deep").mkdir()
    (tmp_path / "rules" / "deep" / "test_nested.py").write_text("", encoding="utf-8")
    bad = misplaced(tmp_path, {"rules", "jobs"})
    assert [line.split("：")[0] for line in bad] == [
        "jobs/carry_test.py", "misc/test_where.py", "rules/deep/test_nested.py", "test_flat.py"]
    assert "缺少 __init__.py" in bad[0]


def own_path_arithmetic(tests: Path) -> list[str]:
    """``file:line`` of every use of the module's own ``__file__`` in the test modules and the
    helpers: a folder derived from it moves with the file, so repository folders come from
    tests/paths.py alone. The fixture scripts in tests/data and tests/corpus, run on their own by
    the system Python, are left out."""
    files = [*tests.glob("*.py"), *tests.glob("*/test_*.py")]
    return sorted(f"{p.relative_to(tests).as_posix()}:{node.lineno}" for p in files if p.name != "paths.py"
                  for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                  if isinstance(node, ast.Name) and node.id == "__file__")


def test_repository_paths_come_from_tests_paths():
    assert own_path_arithmetic(TESTS) == []


def test_the_path_check_finds_a_parent_chain(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "test_x.py").write_text(
        "import xlwings\nfrom pathlib import Path\nROOT = Path(__file__).resolve().parent.parent\n"
        "BAS = Path(xlwings.__file__).parent\n", encoding="utf-8")
    (tmp_path / "helper.py").write_text("import os\nHERE = os.path.dirname(__file__)\n", encoding="utf-8")
    assert own_path_arithmetic(tmp_path) == ["helper.py:2", "rules/test_x.py:3"]


def test_readme_names_every_test_folder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    used = sorted({p.parent.name for p in TESTS.glob("*/test_*.py")})
    assert used and [name for name in used if f"tests/{name}/" not in readme] == []
