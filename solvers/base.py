"""The one solver interface: ``Solver.solve(instance, time_limit=, seed=) -> SolveResult``.

A concrete solver declares its name, the families it supports, an ``Options`` dataclass
(unknown options are rejected) and implements ``_solve``. The base class times the call,
re-scores the returned solution with the shared evaluator and downgrades a solver's claim
when the solution violates a constraint, so no number in a result comes from a solver's
own bookkeeping.
"""

from __future__ import annotations

import math
import sys
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

import numpy as np

from gqap.errors import GQAPError
from gqap.evaluation import SENSE, evaluate
from gqap.family import Instance, Solution, current, family_of
from gqap.io import plain_json
from gqap.parsing import dataclass_from_dict


class Status(StrEnum):
    """Outcome of a solve; ``optimal`` only when the solver proved it.

    ``bound``: a proven bound on the optimum and no solution (a bound-only computation such
    as an LP relaxation or a Lagrangean dual); the result's ``bound`` holds it and its
    ``solution`` and ``objective`` are None.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    TIME_LIMIT = "time_limit"
    INFEASIBLE = "infeasible"
    ERROR = "error"
    BOUND = "bound"


@dataclass
class SolverOutput:
    """What ``_solve`` returns: the solution, the solver's status claim, a bound, extras."""

    solution: Solution | None
    status: Status
    bound: float | None = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SolveResult:
    """A finished solve; ``objective`` is the evaluator's value of ``solution``."""

    solver: str
    instance: str
    family: str
    status: Status
    objective: float | None
    bound: float | None
    wall_time_s: float
    solution: Solution | None
    seed: int
    time_limit: float | None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def sense(self) -> str:
        """The family's sense: 'min' (classic) or 'max' (offloading, multi)."""
        return SENSE[self.family]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the ``gqap solve --json`` object)."""
        return {
            "solver": self.solver, "instance": self.instance, "family": self.family,
            "status": str(self.status), "objective": self.objective, "bound": self.bound,
            "sense": self.sense, "wall_time_s": self.wall_time_s, "seed": self.seed,
            "time_limit": self.time_limit,
            "solution": self.solution.to_dict() if self.solution is not None else None,
            "info": plain_json(self.info),
        }


@dataclass(frozen=True)
class NoOptions:
    """For solvers without options."""


_WARNED_OPTIONS: set[tuple[str, str]] = set()


def parse_options(cls: type, solver: str, options: dict[str, Any]) -> Any:
    """Build an options dataclass, reading CLI strings and rejecting unknown names
    (``gqap.parsing.dataclass_from_dict``). An option's old name (the class's ``RENAMED``:
    old -> new) is read as the new one, with one deprecation line on stderr."""
    renamed = getattr(cls, "RENAMED", {})
    if any(old in options for old in renamed):
        options = dict(options)
        for old, new in renamed.items():
            if old in options and new not in options:
                options[new] = options.pop(old)
                if (solver, old) not in _WARNED_OPTIONS:
                    _WARNED_OPTIONS.add((solver, old))
                    print(f"gqap: warning: solver {solver}: option {old!r} is now called "
                          f"{new!r}; the old name still works but is deprecated",
                          file=sys.stderr)
    return dataclass_from_dict(cls, options, f"solver {solver}", what="option", text=True)


class Solver(ABC):
    """Base class of every solver adapter."""

    name: ClassVar[str]
    families: ClassVar[tuple[str, ...]]
    version: ClassVar[str] = "1"
    Options: ClassVar[type] = NoOptions
    # True for a solver that proves bounds and returns no solution (status ``bound``).
    bound_only: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = parse_options(self.Options, self.name, options)

    def warm_up(self) -> None:
        """Load what every solve needs (a trained checkpoint, say) ahead of a timed solve;
        skipping it changes no result, only the first solve's wall time."""
        return None  # most solvers load nothing

    @classmethod
    def run_version(cls, options: Any) -> str:
        """What identifies the solver's behaviour under ``options`` in stored results: its
        version, and in solvers that load data (a trained checkpoint) a digest of that data."""
        return cls.version

    def supports(self, instance: Instance) -> bool:
        """True when the solver handles the instance's family (a family's old name in
        ``families`` counts as the family)."""
        return instance.family in {current(f) for f in self.families}

    @abstractmethod
    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        """Solve ``instance``; stay within ``time_limit`` seconds when it is given."""

    def solve(self, instance: Instance, *, time_limit: float | None = None,
              seed: int = 0) -> SolveResult:
        """Run the solver, time it and re-score its solution with the shared evaluator."""
        if not self.supports(instance):
            raise GQAPError(f"solver {self.name}: does not support the {instance.family} "
                            f"family (supports {', '.join(self.families)})")
        if time_limit is not None and not (time_limit > 0 and math.isfinite(time_limit)):
            raise GQAPError(f"time limit: must be a positive number of seconds, got {time_limit}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not (
                0 <= seed < 2 ** 63):
            raise GQAPError(f"seed: must be an integer in 0..2^63-1, got {seed!r}")
        start = time.perf_counter()
        out = self._solve(instance, time_limit, int(seed))
        wall = time.perf_counter() - start
        return finish_result(self.name, instance, out, wall, int(seed), time_limit)


def finish_result(solver: str, instance: Instance, out: SolverOutput, wall: float, seed: int,
                  time_limit: float | None) -> SolveResult:
    """Re-score ``out.solution``; a solution that breaks a constraint turns into an error, and
    so does a claim the result does not back (``optimal``/``feasible`` without a solution,
    ``bound`` with a solution or without a finite bound)."""
    info = dict(out.info)
    status, objective, solution = out.status, None, out.solution
    if solution is not None:
        kind = family_of(instance).solution_type
        if not isinstance(solution, kind):
            raise TypeError(f"solver {solver} returned {type(solution).__name__} "
                            f"for a {instance.family} instance")
        ev = evaluate(instance, solution)
        objective = ev.objective
        if not ev.feasible:
            info["violations"] = list(ev.violations)
            if status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
                info["claimed_status"] = str(status)
                status = Status.ERROR
    elif status in (Status.OPTIMAL, Status.FEASIBLE):
        info["claimed_status"] = str(status)
        status = Status.ERROR
    if status == Status.BOUND and (solution is not None or out.bound is None
                                   or not math.isfinite(out.bound)):
        # 'bound' promises a proven bound and nothing else.
        info["claimed_status"] = str(status)
        info["error"] = ("status bound with a solution" if solution is not None
                         else "status bound without a finite bound")
        status = Status.ERROR
    return SolveResult(solver=solver, instance=instance.name, family=instance.family,
                       status=status, objective=objective, bound=out.bound, wall_time_s=wall,
                       solution=solution, seed=seed, time_limit=time_limit, info=info)


class DeadlineExpired(Exception):
    """Raised by ``Deadline.check`` once the budget is spent; a solver catches it and
    reports ``time_limit`` (it never leaves ``Solver.solve``)."""


class Deadline:
    """Wall-clock budget of one solve call, the one clock every solver reads.

    Started at construction (or at ``start``, a ``time.perf_counter()`` value); ``None``
    means no limit. Metaheuristics hold one inside their ``Progress``
    (``gqap.solvers.termination``); model-based solvers check it while building.
    """

    def __init__(self, time_limit: float | None, start: float | None = None) -> None:
        self.start = time.perf_counter() if start is None else float(start)
        self.limit = time_limit

    def elapsed(self) -> float:
        """Seconds since the deadline started."""
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        """Seconds left (inf without a limit)."""
        return math.inf if self.limit is None else self.limit - self.elapsed()

    def expired(self) -> bool:
        """True once the budget is spent."""
        return self.remaining() <= 0

    def check(self, what: str = "") -> None:
        """Raise ``DeadlineExpired`` (naming ``what`` was cut) once the budget is spent."""
        if self.expired():
            raise DeadlineExpired(what or "time limit reached")
