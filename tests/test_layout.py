"""The code's layout holds: layers only point down, no import circles, small modules.

Layers, lowest first (tests are outside them):
  0  kb.core                    settings, records, the store, embedder, text helpers
  1  ingest  |  kb.<library>    neither imports the other; both stand on kb.core
  2  kb, kb.api                 the library's public face
  3  eval                       measures the library
  4  app  |  cli  |  bench      what people run; none imports another
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kb.core.settings import REPO_ROOT

PACKAGES = ("kb", "ingest", "eval", "app", "cli", "bench")
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Project modules ``path`` imports anywhere in it (functions included)."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + is_package]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            # The deepest known module the import names (a name may be a function).
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _layer(module: str) -> tuple[int, str]:
    """(rank, room): a module may import lower ranks, or its own room at the same rank."""
    top = module.split(".")[0]
    if module == "kb.core" or module.startswith("kb.core."):
        return 0, "core"
    if module in ("kb", "kb.api"):
        return 2, "kb-face"
    if top == "kb":
        return 1, "kb"
    return {"ingest": (1, "ingest"), "eval": (3, "eval")}.get(top, (4, top))


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, name, known) for name, path in modules.items()}


def test_every_import_points_down_or_stays_in_its_room(graph: dict[str, set[str]]) -> None:
    wrong = []
    for source, targets in graph.items():
        rank, room = _layer(source)
        for target in targets:
            t_rank, t_room = _layer(target)
            if not (t_rank < rank or (t_rank == rank and t_room == room)):
                wrong.append(f"{source} -> {target}")
    assert not wrong


def test_no_import_circles(graph: dict[str, set[str]]) -> None:
    # Tarjan's strongly connected components: any component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not circles


def test_imports_inside_functions_and_relative_ones_are_seen(tmp_path: Path) -> None:
    module = tmp_path / "text.py"
    module.write_text("from . import store\n\ndef f():\n    from kb.retrieval.search import x\n")
    known = {"kb.core.store", "kb.retrieval.search", "kb.core.text"}
    assert _imports(module, "kb.core.text", known) == {"kb.core.store", "kb.retrieval.search"}
    assert _layer("kb.retrieval.search") > _layer("kb.core.text")
    assert _layer("ingest.pipeline")[1] != _layer("kb.retrieval.search")[1]


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long


def test_the_public_api_is_listed_and_loads() -> None:
    import kb

    for name in kb.__all__:
        assert getattr(kb, name) is not None, name
