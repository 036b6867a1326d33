"""Termination and best-so-far history shared by the metaheuristics (GA and tabu alike).

A ``Termination`` says when a search ends: wall-clock limit, iteration (generation) limit,
target objective, stagnation (iterations without a better best). A ``Progress`` tracks one
run against it: the iteration count, the best value with its time and iteration, and the
best-so-far curve (one point per improvement), and names the reason the run stopped.

The clock is a ``gqap.solvers.base.Deadline``, the same object MILP, CP-SAT and the exact
solvers read: a ``Progress`` builds one from ``Termination.time_limit`` or is handed the
deadline its solver started at the top of the solve call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gqap.solvers.base import Deadline, Status
from gqap.solvers.options import check_at_least

# Stop reasons; only ``time_limit`` means the search was cut before its natural end.
TIME_LIMIT, ITERATIONS, TARGET, STAGNATION = "time_limit", "iterations", "target", "stagnation"
_REL_TOL = 1e-9


@dataclass(frozen=True)
class Termination:
    """When a search ends; ``None`` switches a criterion off."""

    time_limit: float | None = None
    max_iterations: int | None = None
    target: float | None = None
    stagnation: int | None = None

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (self.time_limit > 0
                                                and math.isfinite(self.time_limit)):
            raise ValueError(f"time limit must be a positive number, got {self.time_limit}")
        check_at_least(self, 1, "max_iterations", "stagnation")
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be finite, got {self.target}")

    @property
    def bounded(self) -> bool:
        """True when some criterion other than the target ends the search for sure."""
        return self.time_limit is not None or self.max_iterations is not None


def reached(sense: str, value: float, target: float) -> bool:
    """True when ``value`` is at least as good as ``target`` (relative tolerance 1e-9)."""
    tol = _REL_TOL * max(1.0, abs(target))
    return value <= target + tol if sense == "min" else value >= target - tol


@dataclass
class Progress:
    """One run measured against a ``Termination``.

    The clock is ``deadline``: when none is given, one is started at construction (or at
    ``start``, a ``time.perf_counter()`` value) with the termination's time limit. A given
    deadline brings its own limit, which then is the run's time limit (so a solver can
    start the clock at the top of its solve call, before any set-up).
    """

    termination: Termination
    sense: str
    iteration: int = 0
    best: float = field(init=False)
    best_iteration: int | None = None
    time_to_best: float | None = None
    history: list[tuple[int, float, float]] = field(default_factory=list)
    start: float | None = None
    deadline: Deadline | None = None

    def __post_init__(self) -> None:
        if self.sense not in ("min", "max"):
            raise ValueError(f"sense must be 'min' or 'max', got {self.sense!r}")
        self.best = math.inf if self.sense == "min" else -math.inf
        if self.deadline is None:
            self.deadline = Deadline(self.termination.time_limit, start=self.start)
        self.start = self.deadline.start

    @property
    def time_limit(self) -> float | None:
        """The run's time limit in seconds (the deadline's)."""
        return self.deadline.limit

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.deadline.elapsed()

    def remaining(self) -> float:
        """Seconds left before the time limit (inf without one)."""
        return self.deadline.remaining()

    def is_better(self, value: float) -> bool:
        """True when ``value`` strictly improves the best so far (relative tolerance 1e-9)."""
        if not math.isfinite(self.best):
            return math.isfinite(value)
        tol = _REL_TOL * max(1.0, abs(self.best))
        return value < self.best - tol if self.sense == "min" else value > self.best + tol

    def record(self, value: float) -> bool:
        """Offer a feasible objective value; True (and a history point) when it is a new best."""
        if not self.is_better(value):
            return False
        self.best = float(value)
        self.best_iteration = self.iteration
        self.time_to_best = self.elapsed()
        self.history.append((self.iteration, self.time_to_best, self.best))
        return True

    def step(self, count: int = 1) -> None:
        """Advance the iteration (generation) counter."""
        self.iteration += count

    @property
    def stale(self) -> int:
        """Iterations since the last improvement of the best (all of them if none yet)."""
        return self.iteration - (self.best_iteration or 0)

    def target_reached(self) -> bool:
        """True once the best meets the target."""
        target = self.termination.target
        return (target is not None and math.isfinite(self.best)
                and reached(self.sense, self.best, target))

    def stop_reason(self) -> str | None:
        """Why the run must stop now, or None to go on; the target is checked first."""
        term = self.termination
        if self.target_reached():
            return TARGET
        if term.max_iterations is not None and self.iteration >= term.max_iterations:
            return ITERATIONS
        if term.stagnation is not None and self.stale >= term.stagnation:
            return STAGNATION
        if self.deadline.limit is not None and self.deadline.expired():
            return TIME_LIMIT
        return None

    def status(self, reason: str | None) -> Status:
        """The solver status: infeasible without a best, time_limit when cut, else feasible."""
        if not math.isfinite(self.best):
            return Status.INFEASIBLE
        return Status.TIME_LIMIT if reason == TIME_LIMIT else Status.FEASIBLE

    def info(self, reason: str | None) -> dict[str, Any]:
        """Plain-data summary for a solver's ``info``: best, time to best, curve, stop reason."""
        return {
            "stop_reason": reason,
            "iterations": self.iteration,
            "best_objective": self.best if math.isfinite(self.best) else None,
            "best_iteration": self.best_iteration,
            "time_to_best_s": self.time_to_best,
            "history": [list(point) for point in self.history],
            "history_columns": ["iteration", "seconds", "best_objective"],
        }
