"""perfxl's import graph: no cycle, and every import points to the module's own layer or a lower one.

The graph is built with :mod:`ast` from every ``import``/``from … import`` of a perfxl module in
perfxl/, at module level or inside a function alike: a function-local import is still a
dependency (it runs the imported module when the function runs, and a cycle through it only
moves the failure to run time), so hiding an import in a function does not break a cycle here.
``importlib.import_module("perfxl.…")`` with a literal name counts as an import too.

Importing ``a.b.c`` first runs the packages ``a`` and ``a.b``: an import of a module therefore
also depends on each package ``__init__`` above it, except the packages the importer itself
sits in (Python has run those already).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import PERFXL


# Layers, lowest first; a module may import only from its own layer or a lower one.
ORDER = ("errors", "domain", "rules", "io", "forms", "excel", "jobs", "app")

# Module (or package prefix) -> layer; the longest matching key wins. README's 代码结构 shows the
# same table. The root package ``perfxl`` matches only itself.
LAYERS = {
    "perfxl.errors": "errors",
    # domain: the models, findings and the one rule catalogue; the patch (a plain list of writes
    # that forms build and the adapters apply) sits here because forms produce it
    "perfxl.model": "domain",
    "perfxl.cellvalues": "domain",
    "perfxl.severity": "domain",
    "perfxl.findings": "domain",
    "perfxl.rules.catalog": "domain",
    "perfxl.rules.catalog_workbook": "domain",
    "perfxl.rules.catalog_hostile": "domain",
    "perfxl.rules.catalog_text": "domain",
    "perfxl.patch": "domain",
    # rules: pure functions of the model
    "perfxl.rules": "rules",
    # io: the safety gate, output policy, atomic saves, text import, LibreOffice
    "perfxl.safety": "io",
    "perfxl.rewrite": "io",
    "perfxl.outputs": "io",
    "perfxl.atomic": "io",
    "perfxl.libreoffice": "io",
    "perfxl.stored_values": "io",
    "perfxl.xmlparse": "io",
    "perfxl.textimport": "io",
    "perfxl.data": "io",
    # forms: one package per official sheet; the reader builds forms' Grid from a workbook file
    "perfxl.forms": "forms",
    "perfxl.forms.targetcells": "forms",
    "perfxl.reader": "forms",
    # excel: patches applied to workbooks; forms.workbook is the workbook facade (forms laid out
    # and read through the file adapter); udfs are the rules as worksheet functions
    "perfxl.adapters": "excel",
    "perfxl.forms.workbook": "excel",
    "perfxl.udfs": "excel",
    # jobs: what a command does, from loading inputs to writing outputs
    "perfxl.sources": "jobs",
    "perfxl.pipeline": "jobs",
    "perfxl.carry": "jobs",
    "perfxl.finalize": "jobs",
    "perfxl.email_draft": "jobs",
    "perfxl.report": "jobs",
    "perfxl.summary": "jobs",
    "perfxl.demo": "jobs",
    "perfxl.batch": "jobs",
    "perfxl.upgrade": "jobs",
    # app: the shells
    "perfxl": "app",
    "perfxl.cli": "app",
    "perfxl.shell": "app",
    "perfxl.errorlog": "app",
    "perfxl.addin": "app",
    "perfxl.addin_build": "app",
    "perfxl.addin_install": "app",
    "perfxl.vba_project": "app",
}


# Package __init__ modules whose layer differs from their package's: perfxl/rules/__init__.py runs
# nothing, so importing the catalogue (domain) through the package stays in the domain layer.
INITS = {"perfxl.rules": "domain"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PERFXL.rglob("*.py")):
        parts = path.relative_to(PERFXL.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _resolve(name: str, modules: dict[str, Path]) -> str:
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def _imported(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The perfxl modules ``module`` imports (resolved to files), anywhere in its body."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # ``from pkg import name``: name is a submodule or an attribute of pkg
            names.update(f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    out: set[str] = set()
    for name in names:
        if name != "perfxl" and not name.startswith("perfxl."):
            continue
        target = _resolve(name, modules)
        out.add(target)
        parent = target
        while "." in parent:  # the packages that run first
            parent = parent.rpartition(".")[0]
            if not (module == parent or module.startswith(parent + ".")):
                out.add(parent)
    out.discard(module)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imported(m, p, modules) for m, p in modules.items()}


def layer_of(module: str) -> str | None:
    if module in INITS:
        return INITS[module]
    keys = [k for k in LAYERS if module == k or (k != "perfxl" and module.startswith(k + "."))]
    return LAYERS[max(keys, key=len)] if keys else None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, …, a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_cycle_finder_finds_a_cycle_through_a_local_import(tmp_path):
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    pkg = tmp_path / "perfxl"
    pkg.mkdir()
    (pkg / "x.py").write_text("def f():\n    from perfxl import y\n", encoding="utf-8")
    (pkg / "y.py").write_text("import perfxl.x\n", encoding="utf-8")
    modules = {"perfxl.x": pkg / "x.py", "perfxl.y": pkg / "y.py"}
    assert _imported("perfxl.x", pkg / "x.py", modules) == {"perfxl.y"}
    assert _imported("perfxl.y", pkg / "y.py", modules) == {"perfxl.x"}


def test_an_import_depends_on_the_packages_above_it_but_not_on_its_own(tmp_path):
    (tmp_path / "f.py").write_text("from perfxl.rules.catalog import RULES\n", encoding="utf-8")
    modules = {"perfxl": tmp_path, "perfxl.rules": tmp_path, "perfxl.rules.catalog": tmp_path,
               "perfxl.rules.checks": tmp_path, "perfxl.findings": tmp_path}
    assert _imported("perfxl.findings", tmp_path / "f.py", modules) == {"perfxl.rules", "perfxl.rules.catalog"}
    assert _imported("perfxl.rules.checks", tmp_path / "f.py", modules) == {"perfxl.rules.catalog"}


def test_perfxl_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_every_module_has_a_layer():
    unplaced = sorted(m for m in import_graph() if layer_of(m) is None)
    assert unplaced == [], f"give these modules a layer in LAYERS (and README 代码结构): {unplaced}"


def test_imports_point_down_the_layers():
    rank = {name: i for i, name in enumerate(ORDER)}
    upward = []
    for module, targets in sorted(import_graph().items()):
        here = layer_of(module)
        for target in sorted(targets):
            there = layer_of(target)
            if here and there and rank[there] > rank[here]:
                upward.append(f"{module} ({here}) → {target} ({there})")
    assert upward == [], "imports that climb a layer:\n" + "\n".join(upward)
