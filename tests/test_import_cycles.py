"""No import cycles between the package's modules, not even type-only ones.

The import graph is read from the source (ast), not from a running interpreter, so that every
import counts: module-level ones, those inside functions (often written to dodge a cycle), and
those under `if TYPE_CHECKING:`. A cycle means two modules cannot be read, tested or moved apart;
the fix is to move what both need below both (a smaller module, a Protocol the lower one declares).

Edges: `import a.b` and `from a.b import c` point at `a.b.c` when that is a module, else at `a.b`
(the package's `__init__`, which runs). A module's implicit import of its parent package is not an
edge: every package `__init__` that re-exports its modules would otherwise be a cycle.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "toolkit"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"

# Private names (`_name`) imported from another module, known and not fixed yet, and why. A module's
# private names are its own: one another module needs is public, or belongs where both can reach it.
PRIVATE_REACHES: dict[tuple[str, str], str] = {}

# Cycles known and not fixed yet: each entry is the set of modules allowed to form one, and why.
# A cycle found must lie inside one entry; an entry no cycle needs any more fails too.
ALLOWED: dict[frozenset[str], str] = {}


def modules(root: Path = PACKAGE) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package) for every module under `root` (a package folder)."""
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        if package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, package)
    return out


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its source."""
    known = modules(root)

    def target(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, (path, package) in known.items():
        here = name if package else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                found = {target(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found = {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else target(base)
                         for alias in node.names}
            else:
                continue
            graph[name] |= {module for module in found if module and module != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return found


def _described(component: frozenset[str], graph: dict[str, set[str]]) -> str:
    return "; ".join(f"{m} -> {', '.join(sorted(graph[m] & component))}" for m in sorted(component))


def test_no_import_cycles():
    graph = import_graph()
    new = [c for c in cycles(graph) if not any(c <= allowed for allowed in ALLOWED)]
    assert new == [], "import cycles: " + " | ".join(_described(c, graph) for c in new)


def test_each_allowed_cycle_still_exists():
    found = cycles(import_graph())
    stale = [sorted(allowed) for allowed in ALLOWED if not any(c <= allowed for c in found)]
    assert stale == [], f"no cycle left in {stale}: remove the entry from ALLOWED"


def rooms(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between the package's rooms: its subpackages and top-level modules (`toolkit.scan`,
    `toolkit.case`...). The root package (`toolkit/__init__.py`, the version) is no room."""
    def room(module: str) -> str | None:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 else None

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        here = room(module)
        if here is not None:
            out.setdefault(here, set()).update(
                there for there in map(room, targets) if there is not None and there != here)
    return out


def test_package_arrows_point_one_way():
    """docs/architecture.md draws the rooms with every arrow pointing down: no two rooms (a
    subpackage or top-level module) import each other, through any of their modules."""
    graph = rooms(import_graph())
    found = cycles(graph)
    assert found == [], "rooms importing each other: " + " | ".join(_described(c, graph) for c in found)


def _is_module(root: Path, dotted: str, known: dict[str, tuple[Path, bool]]) -> bool:
    """A module of the package: a .py file or package, or a compiled extension module."""
    if dotted in known:
        return True
    *parents, leaf = dotted.split(".")
    folder = root.parent.joinpath(*parents)
    return any(folder.glob(f"{leaf}.*.so")) or any(folder.glob(f"{leaf}.*.pyd"))


def private_reaches(root: Path = PACKAGE) -> set[tuple[str, str]]:
    """(importing module, module.name) for every `from module import _name` across modules, where
    `_name` is not itself a module (a package's `_helpers.py` are its own to share)."""
    known = modules(root)
    out = set()
    for name, (path, _package) in known.items():
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and node.module != name and not _is_module(root, full, known):
                        out.add((name, full))
    return out


def test_no_module_imports_another_modules_private_names():
    found = private_reaches()
    assert found - set(PRIVATE_REACHES) == set(), "private names imported across modules"
    assert set(PRIVATE_REACHES) - found == set(), "PRIVATE_REACHES lists reaches no longer made: remove them"


def drawn_rows(text: str) -> dict[str, int]:
    """Room -> its row (0 at the top) in the first drawing under "## Rooms and arrows"."""
    section = text.split("## Rooms and arrows", 1)[1]
    drawing = section.split("```", 2)[1]
    rows: dict[str, int] = {}
    row = 0
    for line in drawing.splitlines():
        names = re.findall(r"(?<![\w`])(\w+)(/|\.py)(?=\s|$)", line)
        if names:
            rows.update({f"toolkit.{name}": row for name, _ in names})
            row += 1
    return rows


def test_the_architecture_drawing_points_down():
    """Every room is drawn in docs/architecture.md, and each imports only rooms drawn below it."""
    rows = drawn_rows(ARCHITECTURE.read_text(encoding="utf-8"))
    graph = rooms(import_graph())
    assert set(graph) - {"toolkit.__main__"} <= set(rows), "rooms missing from the drawing"
    upward = sorted(f"{a} -> {b}" for a, targets in graph.items() if a in rows
                    for b in targets if rows[b] <= rows[a])
    assert upward == [], "arrows that do not point down in docs/architecture.md"


def test_every_kind_of_import_is_an_edge(tmp_path):
    """Function-level, TYPE_CHECKING and relative imports all count, and a cycle is found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from pkg.sub.a import A\n")
    (pkg / "sub" / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n")
    (pkg / "b.py").write_text("def f():\n    from .sub import c\n")
    (pkg / "sub" / "c.py").write_text("from . import a\nimport pkg.sub\n")
    graph = import_graph(pkg)
    assert graph == {"pkg": set(), "pkg.sub": {"pkg.sub.a"}, "pkg.sub.a": {"pkg.b"}, "pkg.b": {"pkg.sub.c"},
                     "pkg.sub.c": {"pkg.sub.a", "pkg.sub"}}
    assert cycles(graph) == [frozenset({"pkg.sub", "pkg.sub.a", "pkg.b", "pkg.sub.c"})]
    assert cycles(rooms(graph)) == [frozenset({"pkg.sub", "pkg.b"})]
