"""The floor plan holds: few loose modules, no import cycle between sub-packages, no build or
test harness in the runtime package, short modules and test files (issue 21)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "nocturne"
MAX_LOOSE_MODULES = 12
MAX_MODULE_LINES = 450
MAX_TEST_LINES = 600
# Written by a tool (say so in their first lines) and never edited by hand.
GENERATED_MARK = "do not edit"
# Code that belongs to the build (tools/) or the tests (tests/harness/), never to a user's
# install: PyInstaller, network namespaces (root), the e2e rig.
HARNESS_MARKS = ("PyInstaller", "CLONE_NEWNET", "setns", "netns", "ServerProcess")


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported_modules(path: Path, package_dir: Path = PACKAGE) -> set[str]:
    """Every nocturne module the file imports, at the top or in a function, except under
    ``if TYPE_CHECKING:``."""
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            for child in node.orelse:  # type: ignore[attr-defined]
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nocturne"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("nocturne"):
                found.add(target)
                found.update(f"{target}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def unit_of(module: str) -> str | None:
    """The sub-package (or loose module) a module belongs to: nocturne.devices.server ->
    devices; None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def unit_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    known = {module_name(p, package) for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        src = unit_of(module_name(path, package))
        if src is None:
            continue
        for target in imported_modules(path, package):
            dst = unit_of(target)
            if target in known and dst is not None and dst != src:
                graph.setdefault(src, set()).add(dst)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def hand_written(folder: Path) -> list[Path]:
    return [
        p
        for p in folder.rglob("*.py")
        if "node_modules" not in p.parts
        and GENERATED_MARK not in p.read_text(encoding="utf-8")[:600]
    ]


def too_long(paths: list[Path], limit: int) -> list[str]:
    counts = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in paths}
    return [f"{p.relative_to(ROOT)}: {n}" for p, n in sorted(counts.items()) if n > limit]


def test_few_modules_lie_loose_at_the_top_of_the_package():
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= MAX_LOOSE_MODULES, loose


def test_every_package_says_what_it_is():
    silent = [
        str(p.relative_to(ROOT))
        for p in PACKAGE.rglob("__init__.py")
        if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None
    ]
    assert silent == []


def test_no_import_cycle_between_sub_packages():
    assert cycles(unit_graph()) == []


def test_the_cycle_finder_sees_a_cycle(tmp_path):
    package = tmp_path / "nocturne"
    for folder, text in {
        "a": "from ..b.mod import X\n",
        "b": "def f():\n    from ..c import y\n",
        "c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..d import z\n"
        "from nocturne.a import w\n",
        "d": "from ..a import v\n",
    }.items():
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text(text)
    (package / "b" / "mod.py").write_text("X = 1\n")
    (package / "__init__.py").write_text("")
    graph = unit_graph(package)
    assert "d" not in graph["c"]  # under TYPE_CHECKING
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_build_or_test_harness_in_the_runtime_package():
    names = {p.stem for p in PACKAGE.rglob("*.py")}
    assert not names & {"build", "rig", "netns"}
    offenders = [
        f"{p.relative_to(ROOT)}: {mark}"
        for p in PACKAGE.rglob("*.py")
        for mark in HARNESS_MARKS
        if mark in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_modules_are_short():
    paths = hand_written(ROOT / "src") + hand_written(ROOT / "firmware")
    assert too_long(paths, MAX_MODULE_LINES) == []


def test_test_files_are_short():
    assert too_long(hand_written(ROOT / "tests"), MAX_TEST_LINES) == []
