"""What the three tabu searches share: the options, the termination rule and tie-breaking
among equally good moves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gqap.solvers.options import SplitOptions, check_at_least
from gqap.solvers.termination import Termination

INF = math.inf
EXACT_EVERY = 2000  # iterations between exact cost recomputations (rounding drift)


@dataclass(frozen=True)
class TabuOptions(SplitOptions):
    """``target``: stop once this objective is reached; ``max_iterations``: iteration budget
    (GQAP default: 200 n + 2000 without a time limit, none with one); ``stop_after``
    (offloading): iterations without a new best before the search ends (default
    20 |I| + 200); ``patience``: iterations without a better round best before a
    perturbation (default: size-based); ``restart_after`` (GQAP): rounds in a row that fail
    to improve the segment's best before the search starts a new segment from a random
    assignment (0: never)."""

    target: float | None = None
    max_iterations: int | None = None
    stop_after: int | None = None
    patience: int | None = None
    restart_after: int = 100

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number, got {self.target}")
        check_at_least(self, 1, "max_iterations", "stop_after", "patience")
        if self.restart_after < 0:
            raise ValueError(f"restart_after must be >= 0 (0: never), got {self.restart_after}")


def termination(options: TabuOptions, time_limit: float | None, default_budget: int | None,
                 stagnation: int | None = None) -> Termination:
    """The termination rule: the options' target and iteration budget (or
    ``default_budget`` when neither they nor a time limit bound the search), the time
    limit, and ``stagnation`` iterations without a new best."""
    budget = options.max_iterations
    if budget is None and time_limit is None:
        budget = default_budget
    return Termination(time_limit=time_limit, max_iterations=budget, target=options.target,
                       stagnation=stagnation)


def pick(rng: np.random.Generator, values: np.ndarray, best: float) -> int:
    """A random flat index among the entries equal to ``best`` (ties broken by the RNG)."""
    tol = 1e-9 * max(1.0, abs(best))
    ties = np.flatnonzero(values <= best + tol)
    return int(ties[0] if ties.size == 1 else ties[rng.integers(ties.size)])
