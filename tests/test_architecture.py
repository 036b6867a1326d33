"""The floors of the house and what may import what (docs/ARCHITECTURE.md), read from the
source with ``ast`` (every import counts: module level, inside functions, TYPE_CHECKING).

- model (``gqap/``: gqap.*): nothing from gqap.solvers, gqap.bench or gqap.cli, except the
  lazy forwarding of the public API in gqap/__init__.py;
- solvers (``solvers/``: gqap.solvers.*): never gqap.bench or gqap.cli; one solver never
  imports another's modules, only the shared infrastructure in ``SOLVER_INFRASTRUCTURE``
  (and a solver package its own modules, a solver its family companion);
- harness (``bench/``: gqap.bench.*): never gqap.cli; from the solvers only the interface
  in ``HARNESS_USES``;
- top floor (``cli/``: gqap.cli.*): anything.

And no import cycle between modules: ``import_graph`` links each module to the modules it
imports (``from P import n`` counts as P.n when that is a module, else P; a parent package
is not counted), and ``cycles`` lists every strongly connected group of more than one
module.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

FLOORS = {"gqap": "gqap", "solvers": "gqap.solvers", "bench": "gqap.bench",
          "cli": "gqap.cli"}
# Modules of gqap.solvers that every solver may import: the interface, the registry, shared
# option types, termination and deadlines, process supervision, what the MILP and CP-SAT
# adapters share (model data, warm starts, the model choice), the incremental evaluators
# shared by GA and tabu, and the online family's policy interface and runner.
SOLVER_INFRASTRUCTURE = {"base", "registry", "options", "termination", "process",
                         "formulations", "warm_start", "model_choice", "gqap_delta",
                         "multi_delta", "online_policy"}
# A solver's second module for the multi-cluster family counts as the solver itself.
COMPANIONS = {"multi_exact": "exact", "multi_brute_force": "brute_force"}
HARNESS_USES = {"base", "registry", "process"}
# gqap.__getattr__ forwards read, solve, sweep ... to gqap.cli.api on first use
ALLOWED = {("gqap", "gqap.cli"), ("gqap", "gqap.cli.api")}


def _module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    parts = [p for p in rest if p != "__init__"]
    return ".".join([FLOORS[folder], *parts])


def _from_target(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from ... import`` reads, relative imports resolved against ``package``."""
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module or module.name) of every import in the file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(_parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(node, package)
            yield node.lineno, target
            for alias in node.names:  # `from gqap.solvers import process` names a module
                yield node.lineno, f"{target}.{alias.name}"


def _module_files() -> dict[str, Path]:
    return {_module_name(p): p for folder in FLOORS for p in _files(folder)}


def _edges(path: Path, modules: set[str]) -> Iterator[str]:
    """The project modules one file imports: for ``from P import n`` P.n when that is a
    module, else P; for ``import a.b`` a.b (its parent packages are not counted)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(_parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            target = _from_target(node, package)
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    yield f"{target}.{alias.name}"
                elif target in modules:
                    yield target


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (every import: module level, inside
    functions, under TYPE_CHECKING), except the lazy forwarding in ``ALLOWED``."""
    files = _module_files()
    graph = {m: set() for m in files}
    for importer, path in files.items():
        graph[importer] = {t for t in _edges(path, set(files))
                           if t != importer and (importer, t) not in ALLOWED}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


@functools.cache
def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _solver_unit(module: str) -> str:
    """The solver a gqap.solvers module belongs to ('' for the package itself)."""
    parts = module.split(".")
    unit = parts[2] if len(parts) > 2 else ""
    return COMPANIONS.get(unit, unit)


def violations() -> list[str]:
    """Every import that breaks a rule, as 'file:line: importer -> imported (rule)'."""
    out = []
    for folder in FLOORS:
        for path in _files(folder):
            importer = _module_name(path)
            for line, target in _imports(path):
                if not target.startswith("gqap."):
                    continue
                where = f"{path.relative_to(ROOT)}:{line}: {importer} -> {target}"
                if (importer, target) in ALLOWED:
                    continue
                if folder == "gqap" and target.startswith(("gqap.solvers", "gqap.bench",
                                                           "gqap.cli")):
                    out.append(f"{where} (the model imports no upper floor)")
                elif folder == "solvers":
                    if target.startswith(("gqap.bench", "gqap.cli")):
                        out.append(f"{where} (solvers import neither harness nor CLI)")
                    elif target.startswith("gqap.solvers."):
                        mine, theirs = _solver_unit(importer), _solver_unit(target)
                        if theirs not in SOLVER_INFRASTRUCTURE and theirs != mine and mine:
                            out.append(f"{where} (a solver imports another solver)")
                elif folder == "bench":
                    if target.startswith("gqap.cli"):
                        out.append(f"{where} (the harness imports no CLI)")
                    elif (target.startswith("gqap.solvers.")
                          and _solver_unit(target) not in HARNESS_USES):
                        out.append(f"{where} (the harness uses the solver interface only)")
    return out


def test_every_floor_imports_only_what_the_architecture_allows():
    found = violations()
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("folder", "source", "rule"), [
    ("gqap", "from gqap.solvers import solve\n", "the model imports no upper floor"),
    ("gqap", "def f():\n    import gqap.bench.report\n", "the model imports no upper floor"),
    ("solvers", "from gqap.bench.store import ResultStore\n", "neither harness nor CLI"),
    ("solvers", "from gqap.solvers.tabu import TabuSolver\n", "a solver imports another"),
    ("solvers", "from . import ga\n", "a solver imports another"),
    ("bench", "from gqap.cli import main\n", "the harness imports no CLI"),
    ("bench", "from gqap.solvers.milp import lp_relaxation\n", "the solver interface only"),
])
def test_the_checker_catches_each_kind_of_breach(tmp_path, monkeypatch, folder, source, rule):
    fake = ROOT / folder / "_architecture_probe.py"
    monkeypatch.setattr("test_architecture._files",
                        lambda f, real=_files: real(f) + ([fake] if f == folder else []))
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *a, **k: source if self == fake else real_read(self, *a,
                                                                                    **k))
    found = [v for v in violations() if "_architecture_probe" in v]
    assert len(found) >= 1 and rule in found[0], found


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"b"}}) == []


@pytest.mark.parametrize(("source", "edge"), [
    ("def f():\n    from gqap import evaluation\n", "gqap.evaluation"),
    ("def f():\n    import gqap.evaluation\n", "gqap.evaluation"),
    ("from gqap.evaluation import evaluate\n", "gqap.evaluation"),
    ("from gqap import GQAPInstance\n", "gqap"),
])
def test_the_graph_sees_every_kind_of_import(monkeypatch, source, edge):
    fake = ROOT / "gqap" / "_cycle_probe.py"
    monkeypatch.setattr("test_architecture._files",
                        lambda f, real=_files: real(f) + ([fake] if f == "gqap" else []))
    real_read = Path.read_text
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *a, **k: source if self == fake else real_read(self, *a,
                                                                                    **k))
    assert import_graph()["gqap._cycle_probe"] == {edge}


def _unnamed_in_the_map(text: str) -> list[str]:
    """The modules and packages right under a floor's folder that the map does not name
    (``name``, ``name/``, ``folder/name.py`` or ``package.name`` in backticks)."""
    missing = []
    for folder in FLOORS:
        for entry in sorted((ROOT / folder).iterdir()):
            name = entry.stem if entry.suffix == ".py" else entry.name
            if (entry.suffix == ".py" and name != "__init__") or (
                    entry.is_dir() and (entry / "__init__.py").exists()):
                if not any(form in text for form in (f"`{name}`", f"{name}/",
                                                     f"/{entry.name}`", f".{name}`")):
                    missing.append(f"{folder}/{entry.name}")
    return missing


def test_the_architecture_map_names_every_module_of_every_floor():
    # issue 26: a reader finds where any fact lives from docs/ARCHITECTURE.md alone
    assert _unnamed_in_the_map((ROOT / "docs" / "ARCHITECTURE.md").read_text()) == []


def test_the_map_check_sees_a_module_left_out():
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text().replace("`descent`", "descent")
    assert _unnamed_in_the_map(text) == ["solvers/descent.py"]
