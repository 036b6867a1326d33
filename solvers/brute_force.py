"""Brute force for tiny instances of every family: the ground truth of the exactness tests.

Offloading: every grant mask with b <= B_max; a mask's granted users take their best split
for its b, from the closed form or, with ``enumerate_splits`` (test-only), from every
integer n in [N_hat, N]. For a fixed mask the objective separates per user, so the best
split of each user on its own is the best joint choice. GQAP: every one of the m^n
assignments, only capacity-feasible ones counting, met in the middle: the assignments of
the first and second half of the facilities are enumerated once each and paired in
vectorised chunks (one matrix product per chunk gives the cost between the halves); very
few facilities on very many sites are enumerated directly instead.
Multi-cluster: every site vector, each user at its best split (``multi_brute_force``).
All score with the evaluator's vectorised building blocks and refuse instances with more
than ``max_candidates`` masks, assignments or site vectors. ``BruteForceSolver`` maps each
family to its method in ``_BY_FAMILY``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.evaluation import gqap_cost_batch, site_loads_batch
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.offloading.evaluation import denied_qoe, granted_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import optimal_split
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.multi_brute_force import brute_force_multi
from gqap.solvers.options import SplitOptions, check_at_least

_CHUNK_ELEMENTS = 1 << 21  # candidate x size entries per vectorised chunk
_CAPACITY_TOL = 1e-9  # relative, as in gqap.evaluation's feasibility check
_HALF_TABLE_ELEMENTS = 1 << 24  # largest per-half table of the two-halves enumeration


@dataclass(frozen=True)
class BruteForceOptions(SplitOptions):
    """``split`` as for every offloading solver; ``enumerate_splits`` (integer splits only,
    meant for tests) finds each split by trying every n in [N_hat, N]; instances with more
    than ``max_candidates`` grant masks (2^I), assignments (m^n) or site vectors ((S + 1)^I)
    are refused."""

    enumerate_splits: bool = False
    max_candidates: int = 1 << 20

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.enumerate_splits and self.split != "integer":
            raise ValueError("enumerate_splits needs split=integer (it tries whole steps)")
        check_at_least(self, 1, "max_candidates")


def best_granted_by_enumeration(inst: OffloadingInstance, b: int,
                                ) -> tuple[np.ndarray, np.ndarray]:
    """(split, QoE) of every user granted with batch b, maximised over every integer n.

    Ties go to the larger n, like the closed form.
    """
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=np.float64)
    qoe = granted_qoe(inst, float(b), grid[:, None] + np.zeros(inst.n_users))
    last = grid.size - 1 - np.argmax(qoe[::-1], axis=0)  # the last (largest n) maximum
    return grid[last], qoe[last, np.arange(inst.n_users)]


# Enumeration speed as measured on the shared 2-core development machine under load
# (2026-12-06, solve("brute-force", inst, max_candidates=...) timed around the call):
# GQAP 60 million assignments a second (Lee & Ma C10X5-E-G: 9,765,625 in 0.16 s, C12X4-E-H:
# 16,777,216 in 0.25 s; the halves enumeration prunes by capacity, so larger instances
# often go faster: C12X5-E-G's 244 million in 0.42 s), offloading 2 million grant masks a
# second (20 users: 1,048,576 in 0.52 s), multi-cluster 300,000 site vectors a second
# (9 users on 4 sites: 1,953,125 in 4.8 s). Used only to say how long a refused run takes.
RATE_PER_S = {"assignments": 6e7, "grant masks": 2e6, "site vectors": 3e5}


def _duration(log10_seconds: float) -> str:
    if log10_seconds - math.log10(3.156e7) >= 6:  # a million years and more
        return f"10^{log10_seconds - math.log10(3.156e7):.0f} years"
    seconds = 10.0 ** log10_seconds
    years = seconds / 3.156e7
    if years >= 2:
        return f"{years:,.0f} years"
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.2g} s"


def _check_size(kind: str, count: int, limit: int, what: str) -> None:
    """Refuse more than ``limit`` candidates, saying how long the run would take (at the
    measured rate) and the option that allows it."""
    if count <= limit:
        return
    rate = RATE_PER_S[kind]
    digits = math.log10(count)  # counts like 2^3000 do not fit a float
    text = f"{count:,}" if digits < 15 else f"about 10^{digits:.0f}"
    log10_seconds = digits - math.log10(rate)
    allow = (f": allow it with the option max_candidates={count} (gqap solve ... --opt "
             f"max_candidates={count}; in a sweep config options = {{ max_candidates = "
             f"{count} }})" if log10_seconds < math.log10(3.156e9)  # a century
             else ": use a smaller instance")
    raise GQAPError(
        f"solver brute-force: {what} means {text} {kind}, above the limit of {limit:,}; at "
        f"about {rate:,.0f} {kind} a second (measured on a 2-core machine) it would take "
        f"about {_duration(log10_seconds)}{allow}")


class BruteForceSolver(Solver):
    """Enumerates every grant mask (offloading), assignment (GQAP) or site vector (multi);
    tiny instances only."""

    name = "brute-force"
    families = ("offloading", "classic", "multi")
    Options = BruteForceOptions
    _BY_FAMILY = {"offloading": "_offloading", "classic": "_gqap", "multi": "_multi"}

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        return getattr(self, self._BY_FAMILY[instance.family])(instance, deadline)

    # ---- multi-cluster -------------------------------------------------------------------
    def _multi(self, inst: MultiInstance, deadline: Deadline) -> SolverOutput:
        _check_size("site vectors", (inst.n_sites + 1) ** inst.n_users,
                    self.options.max_candidates, f"{inst.n_users} users on {inst.n_sites} "
                    "sites")
        return brute_force_multi(inst, integer=self.options.integer,
                                 enumerate_splits=self.options.enumerate_splits,
                                 deadline=deadline,
                                 max_candidates=self.options.max_candidates)

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
        _check_size("assignments", m ** n, self.options.max_candidates,
                    f"{n} facilities on {m} sites")
        split = _halves_fit(n, m)
        best_x, best_cost, examined, feasible, timed_out = (
            enumerate_gqap_halves(inst, deadline) if split
            else enumerate_gqap_direct(inst, deadline))
        info: dict[str, Any] = {"assignments_examined": examined, "feasible": feasible,
                                "enumeration": "halves" if split else "direct"}
        if best_x is None:
            status = Status.TIME_LIMIT if timed_out else Status.INFEASIBLE
            return SolverOutput(None, status, info=info)
        status = Status.TIME_LIMIT if timed_out else Status.OPTIMAL
        return SolverOutput(GQAPSolution(best_x), status,
                            bound=None if timed_out else best_cost, info=info)


_Enumeration = tuple[np.ndarray | None, float, int, int, bool]


def _capacity(inst: GQAPInstance) -> np.ndarray:
    return inst.Q + _CAPACITY_TOL * np.maximum(1.0, inst.Q)


def enumerate_gqap_direct(inst: GQAPInstance, deadline: Deadline) -> _Enumeration:
    """Every one of the m^n assignments scored by the evaluator in chunks, in lexicographic
    order (facility 0 is the top digit); ties go to the first. Returns (best assignment or
    None, its cost, assignments examined, feasible ones, whether the deadline cut it)."""
    n, m = inst.n, inst.m
    total = m ** n
    chunk = max(1, _CHUNK_ELEMENTS // (n * n))
    place = m ** np.arange(n - 1, -1, -1, dtype=np.int64)
    cap = _capacity(inst)
    best_x, best_cost, feasible, examined = None, np.inf, 0, 0
    for start in range(0, total, chunk):
        if deadline.expired():
            return best_x, best_cost, examined, feasible, True
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
    return best_x, best_cost, examined, feasible, False


def _halves_fit(n: int, m: int) -> bool:
    """Whether the two-halves enumeration's tables stay small for this shape (else the
    direct one runs: n = 1, or a few facilities on very many sites)."""
    if n < 2:
        return False
    h = n // 2
    na, nb = m ** h, m ** (n - h)
    return (na * (n - h) * m <= _HALF_TABLE_ELEMENTS
            and nb * max(n - h, 1) * m <= _HALF_TABLE_ELEMENTS)


def _half(inst: GQAPInstance, facilities: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every assignment of ``facilities`` (lexicographic, first facility the top digit):
    (assignments k-column matrix, cost within the half, per-site loads)."""
    k, m = facilities.size, inst.m
    ids = np.arange(m ** k, dtype=np.int64)
    X = (ids[:, None] // (m ** np.arange(k - 1, -1, -1, dtype=np.int64))) % m
    linear = inst.a[facilities[None, :], X].sum(axis=1)
    t = inst.t[np.ix_(facilities, facilities)]
    quad = np.einsum("ij,pij->p", t, inst.d[X[:, :, None], X[:, None, :]])
    loads = np.zeros((ids.size, m))
    for c, i in enumerate(facilities):
        loads[ids, X[:, c]] += inst.q[i]
    return X, linear + inst.v * quad, loads


def enumerate_gqap_halves(inst: GQAPInstance, deadline: Deadline) -> _Enumeration:
    """The same search as ``enumerate_gqap_direct`` (same optimum, same tie-break: the
    lexicographically first optimal assignment), met in the middle.

    Facilities split into a head A (the first n // 2) and a tail B. Each half's own
    assignments are enumerated once with their cost inside the half and their site loads;
    halves that overload a site on their own are dropped. The cost of a pair is
    cost_A + cost_B + v * sum_{j in B} P_A[j, x_j], where P_A[j, s] = sum_{i in A}
    (t[i, j] d[x_i, s] + t[j, i] d[s, x_i]): for a chunk of head assignments this is one
    matrix product with the tail's one-hot encoding. A pair is feasible when no site's
    combined load exceeds its capacity. Returns as ``enumerate_gqap_direct``."""
    n, m = inst.n, inst.m
    h = n // 2
    head, tail = np.arange(h), np.arange(h, n)
    cap = _capacity(inst)
    XA, cost_a, load_a = _half(inst, head)
    XB, cost_b, load_b = _half(inst, tail)
    na_total, nb_total = XA.shape[0], XB.shape[0]
    ok_b = np.all(load_b <= cap, axis=1)
    XB, cost_b, load_b = XB[ok_b], cost_b[ok_b], load_b[ok_b]
    keep_a = np.flatnonzero(np.all(load_a <= cap, axis=1))
    best_x, best_cost, feasible, examined = None, np.inf, 0, 0
    if XB.shape[0] == 0 or keep_a.size == 0:
        return None, np.inf, na_total * nb_total, 0, False
    nb = XB.shape[0]
    # One-hot encoding of the tail: row j * m + s, column b: 1 where x_b[j] = s.
    onehot = np.zeros((tail.size * m, nb))
    for j in range(tail.size):
        onehot[j * m + XB[:, j], np.arange(nb)] = 1.0
    load_bt = np.ascontiguousarray(load_b.T)  # site x tail assignment
    sites = np.arange(m)
    rows = max(1, _CHUNK_ELEMENTS // nb)
    for start in range(0, na_total, rows):
        if deadline.expired():
            return best_x, best_cost, examined, feasible, True
        stop = min(na_total, start + rows)
        examined += (stop - start) * nb_total
        ids = keep_a[(keep_a >= start) & (keep_a < stop)]
        if ids.size == 0:
            continue
        xa = XA[ids]
        # P[a, j, s] for the chunk, flattened to (a, j * m + s).
        P = np.zeros((ids.size, tail.size, m))
        for c, i in enumerate(head):
            d_out = inst.d[xa[:, c], :]  # d[x_i, s]
            d_in = inst.d[:, xa[:, c]].T  # d[s, x_i]
            P += (inst.t[i, tail][None, :, None] * d_out[:, None, :]
                  + inst.t[tail, i][None, :, None] * d_in[:, None, :])
        cost = (cost_a[ids][:, None] + cost_b[None, :]
                + inst.v * (P.reshape(ids.size, tail.size * m) @ onehot))
        # Capacity: only a site both halves use can overflow (each half fits on its own).
        ok = np.ones(cost.shape, dtype=bool)
        if m <= h:
            for s in sites:
                ok &= load_a[ids, s][:, None] + load_bt[s][None, :] <= cap[s]
        else:
            for c in range(h):
                s = xa[:, c]
                ok &= load_a[ids, s][:, None] + load_bt[s] <= cap[s][:, None]
        feasible += int(ok.sum())
        cost[~ok] = np.inf
        j = int(np.argmin(cost))  # row-major: the lowest (head, tail) index among ties
        value = float(cost.flat[j])
        if value < best_cost:
            a, b = divmod(j, nb)
            best_x, best_cost = np.concatenate([xa[a], XB[b]]), value
    return best_x, best_cost, examined, feasible, False
