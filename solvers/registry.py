"""Solver registry: name -> where the class lives and which families it supports.

Classes are imported on first use, so listing solvers or solving with a light one never
pays for torch or OR-Tools (docs/CONTRIBUTING.md, "Code").
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from gqap.errors import GQAPError
from gqap.family import current
from gqap.solvers.base import Solver

# Optional dependency groups (pyproject's extras): extra -> modules it provides.
EXTRAS: dict[str, tuple[str, ...]] = {
    "milp": ("pulp",), "cp": ("ortools",), "ga": ("deap",), "dqn": ("torch", "gymnasium"),
}


@dataclass(frozen=True)
class SolverSpec:
    """A registry entry: ``target`` is 'module:Class'; ``extra`` names the optional
    dependency group the solver needs ('' for the core)."""

    name: str
    target: str
    families: tuple[str, ...]
    summary: str
    extra: str = ""

    def missing(self) -> list[str]:
        """Modules the solver needs that are not installed (checked without importing)."""
        needed = (*EXTRAS.get(self.extra, ()), self.target.split(":")[0])
        return [m for m in needed if not _module_exists(m)]

    @property
    def installed(self) -> bool:
        """True when the solver's module and its extra's modules can be imported."""
        return not self.missing()

    def unavailable_reason(self) -> str:
        """One line saying why the solver cannot run and how to fix it ('' when it can)."""
        missing = self.missing()
        if not missing:
            return ""
        if self.extra and any(m in EXTRAS[self.extra] for m in missing):
            return (f"solver {self.name}: needs the '{self.extra}' extra ({', '.join(missing)} "
                    f"not installed); install it with: pip install 'gqap-bench[{self.extra}]'")
        return f"solver {self.name}: module {', '.join(missing)} not found"


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a missing parent package
        return False


_REGISTRY: dict[str, SolverSpec] = {}


def register(name: str, target: str, families: tuple[str, ...], summary: str,
             extra: str = "") -> None:
    """Add a solver; re-registering a name replaces its entry (used by tests). A family's
    old name in ``families`` is stored under its current name."""
    if extra and extra not in EXTRAS:
        raise GQAPError(f"solver {name}: unknown extra {extra!r} ({', '.join(EXTRAS)})")
    _REGISTRY[name] = SolverSpec(name, target, tuple(current(f) for f in families), summary,
                                 extra)


def solver_spec(name: str) -> SolverSpec:
    """The entry for ``name``; unknown names raise a one-line error listing the known ones."""
    if name not in _REGISTRY:
        raise GQAPError(f"solver: unknown {name!r}; known solvers: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def solver_class(name: str) -> type[Solver]:
    """Import and return the class registered as ``name``."""
    spec = solver_spec(name)
    if not spec.installed:
        raise GQAPError(spec.unavailable_reason())
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
    """Registered solvers, optionally only those supporting ``family`` (a family's old
    name counts as the family) and only those whose dependencies are installed."""
    family = None if family is None else current(family)
    return [s for s in _REGISTRY.values()
            if (family is None or family in s.families) and (s.installed or not installed_only)]


_BOTH = ("offloading", "classic")
for _name, _target, _families, _summary, *_extra in (
    ("exact", "gqap.solvers.exact:ExactSolver", ("offloading", "multi"),
     "proven optimum: batch-size scan (offloading), count vectors + bounds (multi)"),
    ("brute-force", "gqap.solvers.brute_force:BruteForceSolver", (*_BOTH, "multi"),
     "enumerates every assignment / grant mask / site vector; tiny instances only"),
    ("baseline1", "gqap.solvers.baselines:Baseline1", ("offloading", "multi", "online"),
     "paper baseline 1: earliest requests (nearest site; online: per period on the free "
     "GPUs) up to B_max, optimal splits"),
    ("baseline2", "gqap.solvers.baselines:Baseline2", ("offloading", "multi", "online"),
     "paper baseline 2: earliest requests (nearest site; online: per period) up to B_max, "
     "splits at N_hat"),
    ("baseline3", "gqap.solvers.baselines:Baseline3", ("offloading", "multi", "online"),
     "paper baseline 3: everyone runs locally"),
    ("milp", "gqap.solvers.milp:MILPSolver", (*_BOTH, "multi"),
     "MILP (PuLP; CBC or HiGHS): RLT-linearised GQAP, count-disaggregated offloading/multi",
     "milp"),
    ("cpsat", "gqap.solvers.cpsat:CPSATSolver", (*_BOTH, "multi"), "OR-Tools CP-SAT model",
     "cp"),
    ("ga", "gqap.solvers.ga.solver:GASolver", (*_BOTH, "multi"), "genetic algorithm (DEAP)", "ga"),
    ("tabu", "gqap.solvers.tabu.solver:TabuSolver", (*_BOTH, "multi"), "iterated tabu search"),
    ("descent", "gqap.solvers.descent:DescentSolver", ("multi",),
     "1-opt steepest ascent (deny / grant / move one user) from everyone denied"),
    ("dqn", "gqap.solvers.dqn.solver:DQNSolver", ("offloading",),
     "the paper's PER-DQN + convex split policy", "dqn"),
    ("dqn-set", "gqap.solvers.dqn.solver:DQNSetSolver", ("offloading",),
     "permutation-invariant DQN policy for any user count", "dqn"),
    ("dqn-multi", "gqap.solvers.dqn.multi_solver:DQNMultiSolver", ("multi",),
     "multi-cluster DQN policy (deny or a site per user) for any user and site count", "dqn"),
    ("dqn-online", "gqap.solvers.dqn.online_solver:DQNOnlineSolver", ("online",),
     "online policy: a DQN picks each period's GPU price, the exact per-period method the "
     "rest", "dqn"),
    ("external", "gqap.solvers.external:ExternalSolver", ("classic",),
     "any executable from a command template, under the suite's guard (docs/EXTERNAL.md)"),
    ("bnb", "gqap.solvers.bnb:BnBSolver", ("classic",),
     "branch and bound with RLT1-type Lagrangean bounds and a checkable proof record "
     "(gqap bench verify-proof)"),
    ("bound", "gqap.solvers.bounds.solver:BoundSolver", ("classic",),
     "certified lower bound only (LP relaxations, Gilmore-Lawler-type, Lagrangean); status "
     "bound, no solution (docs/LITERATURE.md)"),
    ("myopic", "gqap.solvers.online.myopic:MyopicSolver", ("online",),
     "online policy: the paper's exact method on every free GPU, each period"),
    ("fixed-share", "gqap.solvers.online.myopic:FixedShareSolver", ("online",),
     "online policy: at most `share` GPUs per batch, the exact decision on them"),
    ("priced", "gqap.solvers.online.priced:PricedSolver", ("online",),
     "online policy: value minus a price per GPU and occupied moment, exact per period"),
    ("lookahead", "gqap.solvers.online.lookahead:LookaheadSolver", ("online",),
     "online policy: rollouts of the priced policy over sampled futures"),
    ("hindsight", "gqap.solvers.online.hindsight:HindsightSolver", ("online",),
     "offline optimum over the horizon (DP over pool states, or a MILP); the regret reference"),
    ("online-bound", "gqap.solvers.online.bound:OnlineBoundSolver", ("online",),
     "upper bound on every run: snapshot and Lagrangean bounds with multipliers; status bound"),
):
    register(_name, _target, _families, _summary, *_extra)
