"""The layer contract (import-linter) and the lint rules (ruff) hold for the whole package."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    return found or name


def test_layers_are_respected():
    result = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    result = subprocess.run([_tool("ruff"), "check", "--no-cache", "src", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_reads_wall_time_outside_clock():
    offenders = []
    for path in (ROOT / "src" / "k351c").rglob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text()
        for needle in ("time.time()", "datetime.now(", "datetime.utcnow(", "date.today("):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders, offenders


def test_test_modules_have_unique_names():
    # tests/ has no __init__.py: two test files with one basename cannot both be collected.
    names: dict[str, list[str]] = {}
    for path in (ROOT / "tests").rglob("*.py"):
        if path.name != "conftest.py":
            names.setdefault(path.name, []).append(str(path.relative_to(ROOT)))
    clashes = {name: paths for name, paths in names.items() if len(paths) > 1}
    assert not clashes, clashes


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each as a closed import path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while (top := stack.pop()) != module:
                group.append(top)
            group.append(module)
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return [_closed_path(graph, group) for group in groups]


def _closed_path(graph: grimp.ImportGraph, group: list[str]) -> list[str]:
    """A shortest import chain from the group's first module back to itself, for the message."""
    first = group[0]
    back = [m for m in group if first in graph.find_modules_directly_imported_by(m)]
    chains = [graph.find_shortest_chain(importer=first, imported=m) for m in back]
    chain = min((c for c in chains if c), key=len)
    return [*chain, first]


def test_no_import_cycles_between_modules():
    # Imports inside functions count (they run); imports under `if TYPE_CHECKING:` never run and are
    # annotations only, so they are left out.
    graph = grimp.build_graph("k351c", cache_dir=None, exclude_type_checking_imports=True)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_cycle_finder_names_a_cycle():
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert _cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]


def test_the_layers_contract_has_no_exceptions():
    assert "ignore_imports" not in (ROOT / "pyproject.toml").read_text()


def _imported_not_defined(path: Path) -> dict[str, str]:
    """Names a module imports from another k351c module at top level (what it could re-export)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        alias.asname or alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("k351c")
        for alias in node.names
    }


def test_names_are_imported_from_the_module_that_defines_them():
    # A module split by size must not serve its old callers by re-exporting what moved: import a
    # name from its home. Package facades (__init__.py, the public API) are exempt.
    package = ROOT / "src" / "k351c"
    borrowed = {}
    for path in package.rglob("*.py"):
        if path.name != "__init__.py":
            module = ".".join(path.relative_to(ROOT / "src").with_suffix("").parts)
            borrowed[module] = _imported_not_defined(path)
    offenders = []
    for base in ("src", "tests", "benchmarks"):
        for path in (ROOT / base).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module in borrowed:
                    for alias in node.names:
                        home = borrowed[node.module].get(alias.name)
                        if home is not None:
                            offenders.append(
                                f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from "
                                f"{node.module}, defined in {home}"
                            )
    assert not offenders, "\n".join(sorted(offenders))
