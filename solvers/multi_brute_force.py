"""Brute force for tiny multi-cluster instances: the ground truth of the exactness tests.

Every one of the (S + 1)^I decisions' site vectors (each user denied or on one of S sites)
is scored by the evaluator (``evaluate_multi_batch``), each granted user at its best split
for its site's count. For a fixed site vector the objective is a sum of per-user terms, so
each user's split is chosen on its own: from the closed form (``gqap.multi.split``) or,
with ``enumerate_splits``, by trying every integer n in [N_hat, N] (tests check that the
per-user choice equals a joint enumeration of every split combination). Site vectors that
overload a site are skipped; ties go to the first vector in enumeration order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.multi.evaluation import evaluate_multi_batch, granted_qoe
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.multi.split import best_splits
from gqap.solvers.base import Deadline, SolverOutput, Status

_CHUNK_ELEMENTS = 1 << 20  # decision x user entries per vectorised chunk


def best_splits_by_enumeration(inst: MultiInstance, b: int) -> np.ndarray:
    """Best integer split of every (user, site) with b users on the site, found by trying
    every n in [N_hat, N]; ties go to the larger n (as the closed form). Shape (I, S)."""
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=np.float64)
    q = granted_qoe(inst, float(b), np.broadcast_to(grid[:, None, None],
                                                    (grid.size, inst.n_users, inst.n_sites)))
    last = grid.size - 1 - np.argmax(q[::-1], axis=0)
    return grid[last]


def split_table(inst: MultiInstance, integer: bool = True,
                enumerate_splits: bool = False) -> np.ndarray:
    """split[b, i, s]: user i's best split on site s holding b users, b = 0..max count
    (row 0 unused, N)."""
    top = int(inst.max_granted.max())
    out = np.full((top + 1, inst.n_users, inst.n_sites), float(inst.N))
    for b in range(1, top + 1):
        out[b] = (best_splits_by_enumeration(inst, b) if enumerate_splits
                  else best_splits(inst, b, integer=integer))
    return out


def brute_force_multi(inst: MultiInstance, *, integer: bool = True,
                      enumerate_splits: bool = False, deadline: Deadline | None = None,
                      max_candidates: int = 1 << 20) -> SolverOutput:
    """Best decision over every site vector (see the module docstring)."""
    deadline = deadline or Deadline(None)
    S, n = inst.n_sites, inst.n_users
    total = (S + 1) ** n
    if total > max_candidates:
        raise GQAPError(
            f"solver brute-force: {n} users on {S} sites means {total:,} site vectors, "
            f"above the limit of {max_candidates:,} (option max_candidates); use a smaller "
            "instance")
    splits = split_table(inst, integer, enumerate_splits)
    place = (S + 1) ** np.arange(n - 1, -1, -1, dtype=np.int64)  # user 0 is the top digit
    chunk = max(1, _CHUNK_ELEMENTS // n)
    users = np.arange(n)
    best_x, best_n, best_value = None, None, -np.inf
    examined, feasible, timed_out = 0, 0, False
    for start in range(0, total, chunk):
        if deadline.expired():
            timed_out = True
            break
        ids = np.arange(start, min(total, start + chunk), dtype=np.int64)
        X = (ids[:, None] // place) % (S + 1) - 1  # -1 = denied
        examined += ids.size
        counts = np.stack([(X == s).sum(axis=1) for s in range(S)], axis=1)
        X = X[np.all(counts <= inst.B_max, axis=1)]
        if X.shape[0] == 0:
            continue
        feasible += X.shape[0]
        on = X >= 0
        col = np.where(on, X, 0)
        b = np.take_along_axis(np.stack([(X == s).sum(axis=1) for s in range(S)], axis=1),
                               col, axis=1)
        N = np.where(on, splits[np.where(on, b, 0), users[None, :], col], float(inst.N))
        ev = evaluate_multi_batch(inst, X, N)
        j = int(np.argmax(ev.objective))  # first maximum: lowest index among ties
        if ev.objective[j] > best_value:
            best_x, best_n, best_value = X[j].copy(), N[j].copy(), float(ev.objective[j])
    info: dict[str, Any] = {
        "split_mode": "integer" if integer else "real",
        "split_search": "enumeration" if enumerate_splits else "closed form",
        "site_vectors_examined": examined, "feasible": feasible}
    if best_x is None:  # only when cut before the all-denied vector (index 0) was scored
        return SolverOutput(None, Status.TIME_LIMIT, info=info)
    status = Status.TIME_LIMIT if timed_out else Status.OPTIMAL
    return SolverOutput(MultiSolution(best_x, best_n), status,
                        bound=None if timed_out else best_value, info=info)
