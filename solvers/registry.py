"""Solver registry: name -> where the class lives and which families it supports.

Classes are imported on first use, so listing solvers or solving with a light one never
pays for torch or OR-Tools (STYLE.md, point 8).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from gqap.errors import GQAPError
from solvers.base import Solver


@dataclass(frozen=True)
class SolverSpec:
    """A registry entry: ``target`` is 'module:Class'."""

    name: str
    target: str
    families: tuple[str, ...]
    summary: str

    @property
    def installed(self) -> bool:
        """True when the module holding the class exists (checked without importing it)."""
        return importlib.util.find_spec(self.target.split(":")[0]) is not None


_REGISTRY: dict[str, SolverSpec] = {}


def register(name: str, target: str, families: tuple[str, ...], summary: str) -> None:
    """Add a solver; re-registering a name replaces its entry (used by tests)."""
    _REGISTRY[name] = SolverSpec(name, target, tuple(families), summary)


def solver_spec(name: str) -> SolverSpec:
    """The entry for ``name``; unknown names raise a one-line error listing the known ones."""
    if name not in _REGISTRY:
        raise GQAPError(f"solver: unknown {name!r}; known solvers: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def solver_class(name: str) -> type[Solver]:
    """Import and return the class registered as ``name``."""
    spec = solver_spec(name)
    module, _, attr = spec.target.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise GQAPError(f"solver {name}: cannot load {spec.target} ({exc})") from exc
    return cls


def make_solver(name: str, **options: Any) -> Solver:
    """An instance of solver ``name`` configured with ``options``."""
    return solver_class(name)(**options)


def list_solvers(family: str | None = None, installed_only: bool = True) -> list[SolverSpec]:
    """Registered solvers, optionally only those supporting ``family``."""
    return [s for s in _REGISTRY.values()
            if (family is None or family in s.families) and (s.installed or not installed_only)]


_BOTH = ("offloading", "gqap")
for _name, _target, _families, _summary in (
    ("exact", "solvers.exact:ExactSolver", ("offloading",),
     "proven optimum by enumerating the batch size b (offloading)"),
    ("brute-force", "solvers.brute_force:BruteForceSolver", _BOTH,
     "enumerates every assignment / grant mask; tiny instances only"),
    ("baseline1", "solvers.baselines:Baseline1", ("offloading",),
     "paper baseline 1: grant earliest requests up to B_max, optimal splits"),
    ("baseline2", "solvers.baselines:Baseline2", ("offloading",),
     "paper baseline 2: grant earliest requests up to B_max, splits at N_hat"),
    ("baseline3", "solvers.baselines:Baseline3", ("offloading",),
     "paper baseline 3: everyone runs locally"),
    ("milp", "solvers.milp:MILPSolver", _BOTH,
     "RLT-linearised MILP (PuLP; CBC or HiGHS)"),
    ("cpsat", "solvers.cpsat:CPSATSolver", _BOTH, "OR-Tools CP-SAT model"),
    ("ga", "solvers.ga:GASolver", _BOTH, "genetic algorithm (DEAP)"),
    ("tabu", "solvers.tabu:TabuSolver", _BOTH, "iterated tabu search"),
    ("dqn", "solvers.dqn.solver:DQNSolver", ("offloading",),
     "the paper's PER-DQN + convex split policy"),
    ("dqn-set", "solvers.dqn.solver:DQNSetSolver", ("offloading",),
     "permutation-invariant DQN policy for any user count"),
):
    register(_name, _target, _families, _summary)
