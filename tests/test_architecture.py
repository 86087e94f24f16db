"""The package's layer contract (ARCHITECTURE.md), read from the source with ``ast``.

Every import of a bayeslogit module counts, at module level, inside functions and under
``TYPE_CHECKING``: a module may import only from its own layer or below, ``engines`` and
``inference`` do not import each other, the import graph has no cycle at any depth, and no
``_private`` name is imported from another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayeslogit"

# the first matching prefix decides; lower numbers are lower layers
LAYERS = [
    ("bayeslogit.errors", 0), ("bayeslogit.validation", 0), ("bayeslogit.checks", 0),
    ("bayeslogit.files", 0), ("bayeslogit.datasets", 0), ("bayeslogit.safe_unpickle", 0),
    ("bayeslogit.json_state", 0), ("bayeslogit.json_read", 0),
    ("bayeslogit.logistic", 1), ("bayeslogit.blocks", 1), ("bayeslogit.conditioning", 1),
    ("bayeslogit.spec", 2),
    ("bayeslogit.engines", 3), ("bayeslogit.inference", 3),
    ("bayeslogit.results", 4),
    ("bayeslogit.estimation", 5),
    ("bayeslogit.model", 6), ("bayeslogit.model_data", 6), ("bayeslogit.io", 6),
    ("bayeslogit.saved_file", 6),
    ("bayeslogit.study", 7), ("bayeslogit.cli", 7), ("bayeslogit.priors", 7),
    ("bayeslogit", 8),  # the package __init__: public names only
]
SIBLINGS_APART = [("bayeslogit.engines", "bayeslogit.inference")]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(imported module, imported name or '', line) for every bayeslogit import in ``path``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "bayeslogit":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, "", node.lineno) if sub in modules
                             else (target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, "", node.lineno) for a in node.names
                      if a.name.split(".")[0] == "bayeslogit"]
    return found


def _layer(name: str) -> int:
    for prefix, layer in LAYERS:
        if name == prefix or name.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{name} has no layer in LAYERS: add it to ARCHITECTURE.md and here")


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _, _ in _imports(name, path, modules) if t in modules} - {name}
            for name, path in modules.items()}


def test_every_module_has_a_layer():
    for name in _modules():
        _layer(name)


def test_no_upward_imports():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        for target, _, line in _imports(name, path, modules):
            if target in modules and _layer(target) > _layer(name):
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} {name} -> {target}")
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


@pytest.mark.parametrize(("a", "b"), SIBLINGS_APART)
def test_independent_siblings(a, b):
    graph = _graph()
    crossing = [f"{m} -> {t}" for m, ts in graph.items() for t in ts
                if (m.startswith(a) and t.startswith(b)) or (m.startswith(b) and t.startswith(a))]
    assert not crossing, crossing


def test_no_cycles_at_any_depth():
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_no_private_names_across_modules():
    modules = _modules()
    private = [f"{name} imports {target}.{imported}"
               for name, path in modules.items()
               for target, imported, _ in _imports(name, path, modules)
               if imported.startswith("_") and not imported.startswith("__")]
    assert not private, private


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    # the walk must see an import inside a function, resolved from a relative path
    src = "def f():\n    from ..model import Logit\n    return Logit\n"
    path = PACKAGE / "results" / "base.py"
    fake = {"bayeslogit.model": path, "bayeslogit.results.base": path}
    tree_path = tmp_path / "bayeslogit" / "results" / "base.py"
    tree_path.parent.mkdir(parents=True)
    tree_path.write_text(src)
    found = _imports("bayeslogit.results.base", tree_path, fake)
    assert ("bayeslogit.model", "Logit", 2) in found
    assert _layer("bayeslogit.model") > _layer("bayeslogit.results.base")
