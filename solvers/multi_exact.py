"""Exact solver of the multi-cluster family: count vectors, rectangular assignments and
Lagrangian bounds (docs/MULTI.md, "Best split on a site, and the gain table").

For a count vector b = (b_1..b_S) (b_s <= min(B_s, I), sum b_s <= I) the best decision
with exactly b_s users on each site is a rectangular assignment on
``GainTable.gain_matrix(b)``; its value V(b) plus the all-denied objective is the
objective. The problem is max over b of V(b).

Bounds. Relaxing "each user on at most one site" with multipliers u_i >= 0 gives, for
every b and every such u,

    V(b) <= L_u(b) = sum_i u_i + sum_s top_{b_s}( g_{., s}(b_s) - u )

(top_k: sum of the k largest entries). u = 0 is the plain per-site top-b bound. L_u is a
sum of per-site terms, so for a fixed u a table T_u[b, s] (S sorts per count) prices every
vector, and partial vectors are bounded by adding each remaining site's largest entry.
The assignment is a transportation problem (integral LP), so the best u gives V(b)
exactly: after solving b the solver derives such a u from the optimal assignment (site
potentials by shortest paths on the S + 1 sites, "denied" included; u_i = gain on the
user's site minus its potential), and that u is tight at b and nearly tight around it.
On the benchmark instances the multipliers of the optimum leave a handful of the 10^5 to
10^6 vectors that the u = 0 bound keeps.

Search. (1) A local search over vectors (each step an assignment: add a user to a site,
remove one, move one between sites) finds a strong incumbent and its multipliers.
(2) Sites are visited in a fixed order and partial vectors extended site by site, chunk by
chunk (depth first, so memory stays bounded); a partial vector is dropped as soon as some
multiplier's bound with the best remaining terms cannot beat the incumbent. (3) The
surviving vectors are solved best bound first; every solved vector adds its multipliers,
which re-price the survivors not yet solved. The search is over when no vector is left
whose bound beats the incumbent.

Certificate. ``info["certificate"]`` lists every vector solved with its value and the
multipliers that pruned something; ``gqap.multi.certificate.verify_multi_certificate``
(the model's, independent of this code) re-derives every listed value with the evaluator
and checks that every other feasible vector is excluded by one of the listed multipliers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from gqap.errors import GQAPError
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED
from gqap.multi.split import GainTable, gain_table
from gqap.solvers.base import Deadline, SolverOutput, Status

_CHUNK_ROWS = 1 << 14  # partial vectors expanded at once in the site-by-site enumeration
_START_MULTIPLIERS = 4  # multipliers (besides u = 0) the enumeration prunes with
_REL_TOL = 1e-9


def count_vectors(b_max: np.ndarray, n_users: int) -> int:
    """Number of count vectors with 0 <= b_s <= b_max[s] and sum b_s <= n_users (exact)."""
    ways = [1] + [0] * n_users  # ways[t]: vectors of the sites so far with sum t
    for cap in np.asarray(b_max, dtype=np.int64).tolist():
        prefix = [0]
        for w in ways:
            prefix.append(prefix[-1] + w)
        ways = [prefix[t + 1] - prefix[max(0, t - cap)] for t in range(n_users + 1)]
    return sum(ways)


@dataclass
class _Multiplier:
    """One u >= 0: L_u(b) = const + sum_s top[b_s, s] (top[0, s] = 0)."""

    u: np.ndarray
    const: float
    top: np.ndarray  # (B + 1, S); -inf beyond a site's largest count
    pruned: int = 0


def _multiplier(table: GainTable, u: np.ndarray) -> _Multiplier:
    """The table of top-b sums of g(b) - u for every site and count."""
    b_max = table.b_max
    S = b_max.size
    top = np.full((table.gain.shape[0], S), -np.inf)
    top[0] = 0.0
    for s in range(S):
        k = int(b_max[s])
        if k == 0:
            continue
        # Row b (1..k): the gains at count b minus u, best first; the b-th prefix sum.
        rows = table.gain[1:k + 1, :, s] - u
        rows = -np.sort(-rows, axis=1)[:, :k]
        top[1:k + 1, s] = np.cumsum(rows, axis=1)[np.arange(k), np.arange(k)]
    return _Multiplier(u=u, const=table.base + float(u.sum()), top=top)


def _site_potentials(g: np.ndarray, owner: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Potentials v (v = 0 on the last node, "denied") with g[i, owner_i] - v[owner_i] >=
    g[i, t] - v[t] for every node t, by Bellman-Ford on the S + 1 nodes.

    ``g`` is (I, S + 1) with column S all zeros; ``active`` marks the nodes in use.
    Rounding can leave tiny negative cycles; the iteration count is capped, and any
    resulting u is clipped to >= 0 by the caller (every u >= 0 gives a valid bound).
    """
    nodes = np.flatnonzero(active)
    S1 = g.shape[1]
    W = np.full((S1, S1), np.inf)  # W[t, p]: v_p <= v_t + W[t, p]
    for p in nodes:
        on = owner == p
        if on.any():
            W[nodes, p] = np.min(g[on][:, [p]] - g[on][:, nodes], axis=0)
    dist = np.full(S1, np.inf)
    dist[S1 - 1] = 0.0
    sub = W[np.ix_(nodes, nodes)]
    d = dist[nodes]
    for _ in range(nodes.size):
        new = np.minimum(d, np.min(d[:, None] + sub, axis=0))
        if np.array_equal(new, d):
            break
        d = new
    dist[nodes] = d
    return dist


@dataclass
class _Search:
    """State of one exact solve."""

    inst: MultiInstance
    table: GainTable
    deadline: Deadline
    values: dict[tuple[int, ...], float] = field(default_factory=dict)
    decisions: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)
    multipliers: list[_Multiplier] = field(default_factory=list)
    best_vector: tuple[int, ...] | None = None
    best_value: float = -math.inf
    assignments: int = 0

    def solve_vector(self, b: tuple[int, ...]) -> float:
        """Objective of the best decision with counts ``b`` (cached)."""
        if b in self.values:
            return self.values[b]
        counts = np.asarray(b, dtype=np.int64)
        inst = self.inst
        site = np.full(inst.n_users, DENIED, dtype=np.int64)
        if counts.sum():
            M, col_site = self.table.gain_matrix(counts)
            rows, cols = linear_sum_assignment(M, maximize=True)
            site[rows] = col_site[cols]
            value = self.table.base + float(M[rows, cols].sum())
        else:
            value = self.table.base
        self.assignments += 1
        self.values[b] = value
        self.decisions[b] = site
        if value > self.best_value:
            self.best_value, self.best_vector = value, b
        return value

    def dual(self, b: tuple[int, ...]) -> np.ndarray:
        """Multipliers u >= 0 whose bound L_u(b) equals V(b) (from b's assignment)."""
        inst, table = self.inst, self.table
        S, n = inst.n_sites, inst.n_users
        counts = np.asarray(b, dtype=np.int64)
        g = np.zeros((n, S + 1))
        active = np.ones(S + 1, dtype=bool)
        for s in range(S):
            if counts[s]:
                g[:, s] = table.gain[counts[s], :, s]
            else:
                active[s] = False
        site = self.decisions[b]
        owner = np.where(site == DENIED, S, site)
        v = _site_potentials(g, owner, active)
        u = g[np.arange(n), owner] - v[owner]
        return np.maximum(np.where(np.isfinite(u), u, 0.0), 0.0)

    def add_multiplier(self, b: tuple[int, ...]) -> _Multiplier:
        """Derive and keep the multipliers of a solved vector."""
        m = _multiplier(self.table, self.dual(b))
        self.multipliers.append(m)
        return m

    def expired(self) -> bool:
        """True once the time budget is spent."""
        return self.deadline.expired()


def _local_search(search: _Search, b_max: np.ndarray, n_users: int) -> None:
    """Greedy growth from the empty vector (one more user on the best site while that
    helps), then best-improvement moves (+1, -1, one user from a site to another) until no
    neighbour is better; each step solves assignments."""
    S = b_max.size

    def grow(b: tuple[int, ...]) -> list[tuple[int, ...]]:
        if sum(b) >= n_users:
            return []
        return [b[:s] + (b[s] + 1,) + b[s + 1:] for s in range(S) if b[s] < b_max[s]]

    def neighbours(b: tuple[int, ...]) -> list[tuple[int, ...]]:
        out = grow(b)
        for s in range(S):
            if b[s] > 0:
                out.append(b[:s] + (b[s] - 1,) + b[s + 1:])
                for t in range(S):
                    if t != s and b[t] < b_max[t]:
                        nb = list(b)
                        nb[s] -= 1
                        nb[t] += 1
                        out.append(tuple(nb))
        return out

    cur = tuple([0] * S)
    search.solve_vector(cur)
    for moves in (grow, neighbours):
        while not search.expired():
            cands = moves(cur)
            if not cands:
                break
            vals = [search.solve_vector(c) for c in cands]
            k = int(np.argmax(vals))
            here = search.values[cur]
            if vals[k] <= here + _REL_TOL * max(1.0, abs(here)):
                break
            cur = cands[k]


def _enumerate(search: _Search, order: np.ndarray, b_max: np.ndarray, n_users: int,
               mults: list[_Multiplier]) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Every count vector some multiplier in ``mults`` cannot exclude (bound > incumbent).

    Returns (vectors (n, S) in site order ``order`` mapped back to sites, their bounds, and
    None, or the largest bound left unexplored when the deadline cut the enumeration).
    """
    S = order.size
    K = len(mults)
    tops = np.stack([m.top[:, order] for m in mults])  # (K, B + 1, S) in visiting order
    finite = np.where(np.isfinite(tops), tops, -np.inf)
    best_rest = np.zeros((K, S + 1))  # best_rest[k, j]: sum of the best terms of sites >= j
    for j in range(S - 1, -1, -1):
        best_rest[:, j] = best_rest[:, j + 1] + finite[:, :, j].max(axis=1)
    consts = np.array([m.const for m in mults])
    inc = search.best_value
    found_v: list[np.ndarray] = []
    found_b: list[np.ndarray] = []
    # Stack of chunks: (level j, partial vectors (n, j), partial bound sums (n, K), users).
    stack = [(0, np.zeros((1, 0), dtype=np.int64), consts[None, :].copy(),
              np.zeros(1, dtype=np.int64))]
    while stack:
        if search.expired():
            open_bound = max(float(np.max(np.min(part + best_rest[:, j], axis=1)))
                             for j, _, part, _ in stack)
            out_v = np.concatenate(found_v) if found_v else np.zeros((0, S), np.int64)
            out_b = np.concatenate(found_b) if found_b else np.zeros(0)
            if out_b.size:
                open_bound = max(open_bound, float(out_b.max()))
            return _to_sites(out_v, order), out_b, open_bound
        j, P, part, used = stack.pop()
        cap = int(b_max[order[j]])
        b = np.arange(cap + 1)
        n = P.shape[0]
        new_used = (used[:, None] + b[None, :]).ravel()
        new_part = (part[:, None, :] + tops[:, b, j].T[None, :, :]).reshape(n * b.size, K)
        bound = new_part + best_rest[:, j + 1]
        keep = (new_used <= n_users) & np.all(bound > inc, axis=1)
        # Count, per multiplier, the candidates it is the first to exclude.
        fail = bound <= inc
        first = np.argmax(fail, axis=1)
        hit = fail.any(axis=1) & (new_used <= n_users)
        if hit.any():
            counts = np.bincount(first[hit], minlength=K)
            for k in np.flatnonzero(counts):
                mults[k].pruned += int(counts[k])
        idx = np.flatnonzero(keep)
        if idx.size == 0:
            continue
        P2 = np.concatenate([np.repeat(P, b.size, axis=0)[idx], np.tile(b, n)[idx, None]],
                            axis=1)
        part2, used2 = new_part[idx], new_used[idx]
        if j + 1 == S:
            found_v.append(P2)
            found_b.append(np.min(part2, axis=1))
            continue
        for start in range(0, idx.size, _CHUNK_ROWS):
            sl = slice(start, start + _CHUNK_ROWS)
            stack.append((j + 1, P2[sl], part2[sl], used2[sl]))
    out_v = np.concatenate(found_v) if found_v else np.zeros((0, S), np.int64)
    out_b = np.concatenate(found_b) if found_b else np.zeros(0)
    return _to_sites(out_v, order), out_b, None


def _to_sites(vectors: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(vectors)
    out[:, order] = vectors
    return out


def solve_multi_exact(inst: MultiInstance, *, integer: bool = True,
                      deadline: Deadline | None = None,
                      max_vectors: int | None = None) -> dict[str, Any]:
    """Best decision over every count vector, proven by Lagrangian bounds (module docstring).

    Returns plain data: ``solution`` (``MultiSolution``), ``value``, ``counts``, ``proven``
    (every vector solved or excluded), ``open_bound`` (when not proven: a bound on every
    vector not excluded), and ``info`` (counts, the certificate). Raises ``GQAPError`` when
    the instance has more than ``max_vectors`` count vectors.
    """
    deadline = deadline or Deadline(None)
    S, n_users = inst.n_sites, inst.n_users
    b_max = inst.max_granted.astype(np.int64)
    total = count_vectors(b_max, n_users)
    if max_vectors is not None and total > max_vectors:
        raise GQAPError(
            f"solver exact: {S} sites with B_s up to {int(b_max.max())} and {n_users} users "
            f"give {total:,} count vectors, above the limit of {max_vectors:,} (option "
            "max_vectors); give a time limit for a bounded search, or use a smaller instance")
    table = gain_table(inst, integer=integer)
    search = _Search(inst=inst, table=table, deadline=deadline)
    zero = _multiplier(table, np.zeros(n_users))
    search.multipliers.append(zero)
    open_bound: float | None = None
    stage = "local search"
    _local_search(search, b_max, n_users)
    if not search.expired():
        # Multipliers of the best vectors found so far: tight there, strong around them.
        ranked = sorted(search.values, key=lambda v: -search.values[v])
        for b in ranked[:_START_MULTIPLIERS]:
            search.add_multiplier(b)
        # Visit the sites whose bound terms spread most first: they prune earliest.
        spread = np.where(np.isfinite(zero.top), zero.top, np.nan)
        order = np.argsort(-(np.nanmax(spread, axis=0) - np.nanmin(spread, axis=0)),
                           kind="stable")
        stage = "enumeration"
        vectors, bounds, open_bound = _enumerate(search, order, b_max, n_users,
                                                 list(search.multipliers))
        enumerated = int(vectors.shape[0])
        if open_bound is None:
            stage = "assignments"
            open_bound = _solve_survivors(search, vectors, bounds)
    else:
        vectors, enumerated = np.zeros((0, S), np.int64), 0
        open_bound = _relaxed_bound(table, zero, b_max, n_users)
    best = search.best_vector
    site = search.decisions[best]
    solution = table.decision(site)
    proven = open_bound is None
    certificate = {
        "examined": [[*b, v] for b, v in search.values.items()],
        "multipliers": [m.u.tolist() for m in search.multipliers if m.pruned],
    }
    info = {
        "split_mode": "integer" if integer else "real", "counts": list(best),
        "vectors_total": total, "vectors_examined": len(search.values),
        "vectors_enumerated": enumerated, "assignments": search.assignments,
        "multipliers": len(search.multipliers),
        "stage_reached": "done" if proven else stage, "certificate": certificate,
    }
    return {"solution": solution, "value": search.best_value, "counts": best,
            "proven": proven, "open_bound": open_bound, "info": info}


def _relaxed_bound(table: GainTable, zero: _Multiplier, b_max: np.ndarray,
                   n_users: int) -> float:
    """A bound on every vector: the per-site best of the u = 0 table, summed."""
    top = np.where(np.isfinite(zero.top), zero.top, -np.inf)
    return zero.const + float(top.max(axis=0).sum())


def _solve_survivors(search: _Search, vectors: np.ndarray, bounds: np.ndarray,
                     ) -> float | None:
    """Solve the surviving vectors best bound first, re-pricing them with every new
    multiplier; None when all are solved or excluded, else the largest open bound."""
    alive = np.ones(vectors.shape[0], dtype=bool)
    cols = np.arange(vectors.shape[1])
    while True:
        live = np.flatnonzero(alive & (bounds > search.best_value))
        if live.size == 0:
            return None
        if search.expired():
            return float(bounds[live].max())
        k = int(live[np.argmax(bounds[live])])
        alive[k] = False
        b = tuple(int(x) for x in vectors[k])
        if b in search.values:
            continue
        search.solve_vector(b)
        m = search.add_multiplier(b)
        rest = np.flatnonzero(alive)
        if rest.size:
            new = m.const + m.top[vectors[rest], cols].sum(axis=1)
            cut = (new < bounds[rest]) & (new <= search.best_value) & \
                (bounds[rest] > search.best_value)
            m.pruned += int(cut.sum())
            bounds[rest] = np.minimum(bounds[rest], new)


def exact_multi_output(inst: MultiInstance, integer: bool, deadline: Deadline,
                       max_vectors: int | None) -> SolverOutput:
    """The exact solver's ``SolverOutput`` for a multi instance (used by ``ExactSolver``)."""
    res = solve_multi_exact(inst, integer=integer, deadline=deadline,
                            max_vectors=max_vectors)
    if res["proven"]:
        return SolverOutput(res["solution"], Status.OPTIMAL, bound=res["value"],
                            info=res["info"])
    bound = max(res["open_bound"], res["value"])
    return SolverOutput(res["solution"], Status.TIME_LIMIT, bound=bound, info=res["info"])
