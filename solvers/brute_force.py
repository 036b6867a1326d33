"""Brute force for tiny instances of either family: the ground truth of the exactness tests.

Offloading: every grant mask with b <= B_max; a mask's granted users take their best split
for its b, from the closed form or, with ``enumerate_splits`` (test-only), from every
integer n in [N_hat, N]. For a fixed mask the objective separates per user, so the best
split of each user on its own is the best joint choice. GQAP: every one of the m^n
assignments, in vectorised chunks; only capacity-feasible ones count.
Both score with the evaluator's vectorised building blocks and refuse instances with more
than ``max_candidates`` masks or assignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.evaluation import denied_qoe, gqap_cost_batch, granted_qoe, site_loads_batch
from gqap.instances import GQAPInstance, Instance, OffloadingInstance
from gqap.solutions import GQAPSolution, OffloadingSolution
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.options import SplitOptions
from gqap.split import optimal_split

_CHUNK_ELEMENTS = 1 << 21  # candidate x size entries per vectorised chunk
_CAPACITY_TOL = 1e-9  # relative, as in gqap.evaluation's feasibility check


@dataclass(frozen=True)
class BruteForceOptions(SplitOptions):
    """``split`` as for every offloading solver; ``enumerate_splits`` (integer splits only,
    meant for tests) finds each split by trying every n in [N_hat, N]; instances with more
    than ``max_candidates`` grant masks (2^I) or assignments (m^n) are refused."""

    enumerate_splits: bool = False
    max_candidates: int = 1 << 20

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.enumerate_splits and self.split != "integer":
            raise ValueError("enumerate_splits needs split=integer (it tries whole steps)")
        if self.max_candidates < 1:
            raise ValueError(f"max_candidates must be >= 1, got {self.max_candidates}")


def best_granted_by_enumeration(inst: OffloadingInstance, b: int,
                                ) -> tuple[np.ndarray, np.ndarray]:
    """(split, QoE) of every user granted with batch b, maximised over every integer n.

    Ties go to the larger n, like the closed form.
    """
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=np.float64)
    qoe = granted_qoe(inst, float(b), grid[:, None] + np.zeros(inst.n_users))
    last = grid.size - 1 - np.argmax(qoe[::-1], axis=0)  # the last (largest n) maximum
    return grid[last], qoe[last, np.arange(inst.n_users)]


def _check_size(kind: str, count: int, limit: int, what: str) -> None:
    if count > limit:
        raise GQAPError(f"solver brute-force: {what} means {count:,} {kind}, above the limit "
                        f"of {limit:,} (option max_candidates); use a smaller instance")


class BruteForceSolver(Solver):
    """Enumerates every grant mask (offloading) or assignment (GQAP); tiny instances only."""

    name = "brute-force"
    families = ("offloading", "gqap")
    Options = BruteForceOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        if isinstance(instance, OffloadingInstance):
            return self._offloading(instance, deadline)
        return self._gqap(instance, deadline)

    # ---- offloading ----------------------------------------------------------------------
    def _offloading(self, inst: OffloadingInstance, deadline: Deadline) -> SolverOutput:
        users = inst.n_users
        _check_size("grant masks", 2 ** users, self.options.max_candidates,
                    f"{users} users")
        b_lim = inst.max_granted
        denied = denied_qoe(inst)
        # Row b: each user's best split and gain over denying when granted with batch b.
        splits = np.full((b_lim + 1, users), float(inst.N))
        gains = np.zeros((b_lim + 1, users))
        for b in range(1, b_lim + 1):
            if self.options.enumerate_splits:
                n, qoe = best_granted_by_enumeration(inst, b)
            else:
                n = optimal_split(inst, b, integer=self.options.integer)
                qoe = granted_qoe(inst, float(b), n)
            splits[b], gains[b] = n, qoe - denied
        base = float(denied.sum())
        per_b = np.full(b_lim + 1, -np.inf)  # best value with exactly b grants
        best_mask, best_value, examined, timed_out = 0, -np.inf, 0, False
        chunk = max(1, _CHUNK_ELEMENTS // users)
        bits = np.int64(1) << np.arange(users, dtype=np.int64)
        for start in range(0, 2 ** users, chunk):
            if deadline.expired():
                timed_out = True
                break
            ids = np.arange(start, min(2 ** users, start + chunk), dtype=np.int64)
            grant = (ids[:, None] & bits) != 0
            b = grant.sum(axis=1)
            ok = b <= b_lim
            ids, grant, b = ids[ok], grant[ok], b[ok]
            values = base + np.where(grant, gains[b], 0.0).sum(axis=1)
            examined += ids.size
            np.maximum.at(per_b, b, values)
            j = int(np.argmax(values))  # first maximum: lowest mask id among ties
            if values[j] > best_value:
                best_mask, best_value = int(ids[j]), float(values[j])
        grant = (best_mask & bits) != 0
        b_best = int(grant.sum())
        split = np.where(grant, splits[b_best], float(inst.N))
        info = {"split_mode": self.options.split, "split_search":
                "enumeration" if self.options.enumerate_splits else "closed form",
                "b": b_best, "masks_examined": examined,
                "b_values": [(b, float(v)) for b, v in enumerate(per_b) if np.isfinite(v)]}
        status = Status.TIME_LIMIT if timed_out else Status.OPTIMAL
        return SolverOutput(OffloadingSolution(grant, split), status,
                            bound=None if timed_out else best_value, info=info)

    # ---- GQAP --------------------------------------------------------------------------
    def _gqap(self, inst: GQAPInstance, deadline: Deadline) -> SolverOutput:
        n, m = inst.n, inst.m
        total = m ** n
        _check_size("assignments", total, self.options.max_candidates,
                    f"{n} facilities on {m} sites")
        chunk = max(1, _CHUNK_ELEMENTS // (n * n))
        place = m ** np.arange(n - 1, -1, -1, dtype=np.int64)  # facility 0 is the top digit
        cap = inst.Q + _CAPACITY_TOL * np.maximum(1.0, inst.Q)
        best_x, best_cost, feasible, examined, timed_out = None, np.inf, 0, 0, False
        for start in range(0, total, chunk):
            if deadline.expired():
                timed_out = True
                break
            ids = np.arange(start, min(total, start + chunk), dtype=np.int64)
            X = (ids[:, None] // place) % m
            examined += ids.size
            X = X[np.all(site_loads_batch(inst, X) <= cap, axis=1)]
            if X.shape[0] == 0:
                continue
            feasible += X.shape[0]
            cost = gqap_cost_batch(inst, X)
            j = int(np.argmin(cost))  # first minimum: lowest index among ties
            if cost[j] < best_cost:
                best_x, best_cost = X[j].copy(), float(cost[j])
        info: dict[str, Any] = {"assignments_examined": examined, "feasible": feasible}
        if best_x is None:
            status = Status.TIME_LIMIT if timed_out else Status.INFEASIBLE
            return SolverOutput(None, status, info=info)
        status = Status.TIME_LIMIT if timed_out else Status.OPTIMAL
        return SolverOutput(GQAPSolution(best_x), status,
                            bound=None if timed_out else best_cost, info=info)
