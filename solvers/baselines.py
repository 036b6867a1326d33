"""The paper's baselines (Section VI-C), for the offloading and the multi-cluster family.

Offloading. 1: grant the earliest min(|I|, B_max) requests, each with its optimal split for
that b; 2: the same grants with every split at N_hat; 3: everyone local (n_i = N).

Multi-cluster, the same rules with one site per user: every user asks its nearest cluster
(the site with the smallest accuracy shift delta_is, ties to the lower index), and each
site grants the earliest of its requests up to B_s (ties: lower user index first); a user
whose nearest site is full is denied, as a late request is in the paper. Baseline 1 gives
each granted user its optimal split at its site's count, baseline 2 puts every granted split
at N_hat, baseline 3 keeps everyone local. With one site and no shifts these are the
paper's baselines, decision for decision.

Online (docs/ONLINE.md), the same rules period by period on the free GPUs, through the one
runner of ``gqap.solvers.online_policy``: 1 and 2 grant the earliest requests on every free
GPU (nobody when none is free), 3 keeps everyone local.

Each class maps a family to its method in ``_BY_FAMILY``.
"""

from __future__ import annotations

import numpy as np

from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED, MultiSolution
from gqap.multi.split import best_splits
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import optimal_split
from gqap.online.instance import OnlineHeader, OnlineInstance, PeriodRequests
from gqap.online.pool import PoolState
from gqap.online.solution import PeriodDecision
from gqap.solvers.base import Solver, SolverOutput, Status
from gqap.solvers.online_policy import OnlinePolicy, policy_output
from gqap.solvers.options import SplitOptions

_FAMILIES = ("offloading", "multi", "online")
_BY_FAMILY = {"offloading": "_offloading", "multi": "_multi", "online": "_online"}


def earliest_grants(inst: OffloadingInstance) -> np.ndarray:
    """Grant mask of the min(|I|, B_max) earliest requests (ties: lower index first)."""
    order = np.argsort(inst.request_time, kind="stable")
    grant = np.zeros(inst.n_users, dtype=bool)
    grant[order[: inst.max_granted]] = True
    return grant


def earliest_nearest_sites(inst: MultiInstance) -> np.ndarray:
    """Site of every user (-1 denied): each site grants the earliest of the users nearest to
    it (smallest shift, ties to the lower site) up to B_s (ties: lower user index first)."""
    nearest = np.argmin(inst.shift_steps, axis=1)
    order = np.argsort(inst.request_time, kind="stable")
    site = np.full(inst.n_users, DENIED, dtype=np.int64)
    for s in range(inst.n_sites):
        asking = order[nearest[order] == s]
        site[asking[: int(inst.B_max[s])]] = s
    return site


def _multi_splits(inst: MultiInstance, site: np.ndarray, integer: bool) -> np.ndarray:
    """Each granted user's best split at its site's count; N for denied users."""
    counts = np.bincount(site[site >= 0], minlength=inst.n_sites)
    n = best_splits(inst, counts[None, :], integer=integer)  # (I, S), site s at count b_s
    return np.where(site >= 0, n[np.arange(inst.n_users), np.maximum(site, 0)],
                    float(inst.N))


class PerPeriodBaseline(OnlinePolicy):
    """A paper baseline applied to each period on its free GPUs (online family)."""

    def __init__(self, name: str, integer: bool = True) -> None:
        self.name = name  # type: ignore[misc]
        self.integer = integer

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:
        """Start a run of a scenario with this header."""
        self.header = header

    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""
        h, n = self.header, requests.n_users
        if self.name == "baseline3" or n == 0 or pool.free == 0:
            return PeriodDecision.deny(n, h.N)
        inst = h.offloading(requests, pool.free)
        grant = earliest_grants(inst)
        b = int(grant.sum())
        if b == 0:
            return PeriodDecision.deny(n, h.N)
        n_edge = (optimal_split(inst, b, integer=self.integer) if self.name == "baseline1"
                  else np.full(n, float(h.N_hat)))
        return PeriodDecision(pool.free, grant, np.where(grant, n_edge, float(h.N)))


class _Baseline(Solver):
    """A rule per family, looked up in ``_BY_FAMILY``."""

    families = _FAMILIES

    def _solve(self, instance: Instance, time_limit: float | None,
               seed: int) -> SolverOutput:
        return getattr(self, _BY_FAMILY[instance.family])(instance)

    def _online(self, instance: OnlineInstance) -> SolverOutput:
        options = getattr(self.options, "split", "integer")
        if options != "integer":
            raise GQAPError(f"solver {self.name}: the online family takes whole split points "
                            f"only (split=integer), got split={options}")
        return policy_output(instance, PerPeriodBaseline(self.name), None, 0)


class Baseline1(_Baseline):
    """Earliest requests (to their nearest site) up to the batch limits, optimal splits."""

    name = "baseline1"
    Options = SplitOptions

    def _offloading(self, instance: OffloadingInstance) -> SolverOutput:
        grant = earliest_grants(instance)
        n = optimal_split(instance, int(grant.sum()), integer=self.options.integer)
        split = np.where(grant, n, float(instance.N))
        return SolverOutput(OffloadingSolution(grant, split), Status.FEASIBLE,
                            info={"split_mode": self.options.split})

    def _multi(self, instance: MultiInstance) -> SolverOutput:
        site = earliest_nearest_sites(instance)
        split = _multi_splits(instance, site, self.options.integer)
        return SolverOutput(MultiSolution(site, split), Status.FEASIBLE,
                            info={"split_mode": self.options.split})


class Baseline2(_Baseline):
    """Earliest requests (to their nearest site) up to the batch limits, splits at N_hat."""

    name = "baseline2"

    def _offloading(self, instance: OffloadingInstance) -> SolverOutput:
        grant = earliest_grants(instance)
        split = np.where(grant, float(instance.N_hat), float(instance.N))
        return SolverOutput(OffloadingSolution(grant, split), Status.FEASIBLE,
                            info={"split_mode": "fixed-N_hat"})

    def _multi(self, instance: MultiInstance) -> SolverOutput:
        site = earliest_nearest_sites(instance)
        split = np.where(site >= 0, float(instance.N_hat), float(instance.N))
        return SolverOutput(MultiSolution(site, split), Status.FEASIBLE,
                            info={"split_mode": "fixed-N_hat"})


class Baseline3(_Baseline):
    """Everyone runs all N steps locally."""

    name = "baseline3"

    def _offloading(self, instance: OffloadingInstance) -> SolverOutput:
        grant = np.zeros(instance.n_users, dtype=bool)
        return SolverOutput(OffloadingSolution(grant, np.full(instance.n_users,
                                                              float(instance.N))),
                            Status.FEASIBLE, info={"split_mode": "all-local"})

    def _multi(self, instance: MultiInstance) -> SolverOutput:
        site = np.full(instance.n_users, DENIED, dtype=np.int64)
        return SolverOutput(MultiSolution(site, np.full(instance.n_users, float(instance.N))),
                            Status.FEASIBLE, info={"split_mode": "all-local"})
