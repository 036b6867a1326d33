"""The ``tabu`` solver: one search per family (``SEARCHES``), the clock started before its
set-up."""

from __future__ import annotations

import time

import numpy as np

from gqap.family import Instance
from gqap.solvers.base import Solver, SolverOutput
from gqap.solvers.tabu.classic import GQAPSearch
from gqap.solvers.tabu.core import TabuOptions
from gqap.solvers.tabu.multi import MultiSearch
from gqap.solvers.tabu.offloading import MaskSearch

SEARCHES: dict[str, type] = {"offloading": MaskSearch, "classic": GQAPSearch,
                             "multi": MultiSearch}


class TabuSolver(Solver):
    """Iterated tabu search with strategic oscillation (GQAP), over grant masks
    (offloading) or over site vectors (multi); ``SEARCHES`` maps a family to its search."""

    name = "tabu"
    families = ("offloading", "classic", "multi")
    # 2: the offloading kick is one vectorised step (was a loop with a count per user).
    # 3: GQAP: elite pool with path-relinking restarts, patience max(30, 2 n), faster moves.
    # 4: GQAP: new segments from random assignments after 100 failed rounds; the
    #    neighbourhood priced in one pass, tenures drawn in blocks (~10 % more iterations/s).
    # 5: GQAP: a round's best gets improving one-for-two exchanges before the round ends.
    version = "5"
    Options = TabuOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        start = time.perf_counter()  # the clock covers the set-up (gain tables, matrices)
        rng = np.random.default_rng(seed)
        return SEARCHES[instance.family](instance, self.options, time_limit, rng,
                                          start).run()
