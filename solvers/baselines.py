"""The paper's baselines (Section VI-C).

1: grant the earliest min(|I|, B_max) requests, each with its optimal split for that b;
2: the same grants with every split at N_hat; 3: everyone local (n_i = N).
"""

from __future__ import annotations

import numpy as np

from gqap.instances import OffloadingInstance
from gqap.solutions import OffloadingSolution
from gqap.solvers.base import Solver, SolverOutput, Status
from gqap.solvers.options import SplitOptions
from gqap.split import optimal_split


def earliest_grants(inst: OffloadingInstance) -> np.ndarray:
    """Grant mask of the min(|I|, B_max) earliest requests (ties: lower index first)."""
    order = np.argsort(inst.request_time, kind="stable")
    grant = np.zeros(inst.n_users, dtype=bool)
    grant[order[: inst.max_granted]] = True
    return grant


class Baseline1(Solver):
    """Earliest requests up to B_max, optimal split points."""

    name = "baseline1"
    families = ("offloading",)
    Options = SplitOptions

    def _solve(self, instance: OffloadingInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        grant = earliest_grants(instance)
        n = optimal_split(instance, int(grant.sum()), integer=self.options.integer)
        split = np.where(grant, n, float(instance.N))
        return SolverOutput(OffloadingSolution(grant, split), Status.FEASIBLE,
                            info={"split_mode": self.options.split})


class Baseline2(Solver):
    """Earliest requests up to B_max, every granted split at N_hat."""

    name = "baseline2"
    families = ("offloading",)

    def _solve(self, instance: OffloadingInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        grant = earliest_grants(instance)
        split = np.where(grant, float(instance.N_hat), float(instance.N))
        return SolverOutput(OffloadingSolution(grant, split), Status.FEASIBLE,
                            info={"split_mode": "fixed-N_hat"})


class Baseline3(Solver):
    """Everyone runs all N steps locally."""

    name = "baseline3"
    families = ("offloading",)

    def _solve(self, instance: OffloadingInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        grant = np.zeros(instance.n_users, dtype=bool)
        return SolverOutput(OffloadingSolution(grant, np.full(instance.n_users,
                                                              float(instance.N))),
                            Status.FEASIBLE, info={"split_mode": "all-local"})
