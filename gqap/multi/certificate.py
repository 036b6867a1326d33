"""The check of an exact multi solve's certificate, independent of the solver that wrote
it (``gqap.solvers.multi_exact``; the classic family's proofs are checked likewise by
``gqap.classic.proofs``): every examined count vector is re-solved with the model's own
gain table and evaluator, and every other feasible vector must be excluded by a listed
Lagrangian bound. It enumerates every count vector: small instances only."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from gqap.multi.evaluation import evaluate_multi
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED
from gqap.multi.split import gain_table

_REL_TOL = 1e-9  # the solver's tolerance on values relative to max(1, |objective|)


def verify_multi_certificate(inst: MultiInstance, info: dict[str, Any],
                             objective: float) -> list[str]:
    """Re-check an exact multi solve's ``info``; returns the problems found (none: proven).

    Every examined vector's value must be the evaluator's objective of the best assignment
    for its counts (re-solved here), ``objective`` the best of them, every multiplier >= 0,
    and every feasible vector not examined must have a bound L_u(b) <= ``objective`` for one
    of the listed multipliers (u = 0 always counts). Enumerates every vector: small
    instances only.
    """
    problems = []
    integer = info["split_mode"] == "integer"
    table = gain_table(inst, integer=integer)
    S = inst.n_sites
    cert = info["certificate"]
    tol = _REL_TOL * max(1.0, abs(objective))
    examined = {}
    for row in cert["examined"]:
        b, value = tuple(int(x) for x in row[:S]), float(row[S])
        examined[b] = value
        counts = np.asarray(b, dtype=np.int64)
        site = np.full(inst.n_users, DENIED, dtype=np.int64)
        if counts.sum():
            M, col_site = table.gain_matrix(counts)
            rows, cols = linear_sum_assignment(M, maximize=True)
            site[rows] = col_site[cols]
        ev = evaluate_multi(inst, table.decision(site))
        if not ev.feasible or abs(ev.objective - value) > tol:
            problems.append(f"counts {list(b)}: certificate says {value!r}, evaluator "
                            f"{ev.objective!r}")
    if not examined or abs(max(examined.values()) - objective) > tol:
        problems.append(f"objective {objective!r} is not the best examined value")
    us = [np.zeros(inst.n_users)] + [np.asarray(u, dtype=np.float64)
                                     for u in cert["multipliers"]]
    if any(u.shape != (inst.n_users,) or np.any(u < 0) or not np.all(np.isfinite(u))
           for u in us):
        problems.append("a multiplier vector is not a finite u >= 0 of one entry per user")
        return problems
    b_max = inst.max_granted
    grids = np.meshgrid(*[np.arange(int(k) + 1) for k in b_max], indexing="ij")
    V = np.stack([g.ravel() for g in grids], axis=1)
    V = V[V.sum(axis=1) <= inst.n_users]
    bound = np.full(V.shape[0], np.inf)
    for u in us:
        # top[b, s]: the b largest of g(b) - u on site s, by partial selection (computed
        # independently of the solver's sorted tables).
        top = np.zeros((int(b_max.max()) + 1, S))
        for s in range(S):
            for b in range(1, int(b_max[s]) + 1):
                row = table.gain[b, :, s] - u
                top[b, s] = np.partition(row, row.size - b)[row.size - b:].sum()
        bound = np.minimum(bound, table.base + u.sum() + top[V, np.arange(S)].sum(axis=1))
    seen = np.array([tuple(v) in examined for v in V.tolist()])
    bad = np.flatnonzero(~seen & (bound > objective + tol))
    if bad.size:
        problems.append(f"{bad.size} vectors neither examined nor excluded, e.g. "
                        f"{V[bad[0]].tolist()} with bound {bound[bad[0]]!r}")
    return problems
