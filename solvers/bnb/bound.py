"""The exact bound of a branch and bound node for given multipliers (U, nu, lambda).

**The bound.** At a node (some facilities fixed, F the free ones, R the capacities left)
the cost of every completion x is

    const + sum_{i in F} Lnode[i, x_i] + sum_{i != j in F} D[i, x_i, j, x_j],

where Lnode holds the linear costs and the costs with the fixed facilities, and D splits
each free pair's cost between its two facilities: D[i, k, j, h] = base + U and
D[j, h, i, k] = PC - base - U for i < j (PC the pair's cost, base = floor(PC / 2) for
integral costs). Any U keeps the identity (the RLT1 symmetry multipliers). For facility i
on site k, V[i, k] is the least cost of i's share with every other free facility j, each
j on one site it fits and the ones on k within k's capacity left, R_k - q_i: a 0-1
knapsack (exact by dynamic programming over integer weights; a continuous one otherwise).
With Lhat = Lnode + V, the master problem (a generalised assignment problem in Lhat) is
bounded by relaxing its assignment rows with multipliers lambda: one 0-1 knapsack per site,

    bound(U, lambda) = const + sum_i lambda_i - sum_k max{sum_i (lambda_i - Lhat[i, k]) z_i :
                                                       sum_i q_i z_i <= R_k, z binary}.

It is a lower bound for *every* U and lambda; at the best ones, with continuous knapsacks,
it is the RLT1 LP bound with the capacity x variable products, and the 0-1 knapsacks can only
raise it. With integral costs, weights, U and lambda every number is an integer, so the
value is exact and a third party recomputes it bit for bit (``gqap.classic.proofs``).

The multipliers are found elsewhere: by the block dual ascent (``ascent``), past its
fixed point by the Volume algorithm (``volume``) and past where that stalls by Adam steps
(``adam``); this module only evaluates them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gqap.classic.instance import FacilitiesAndSites, GQAPInstance

_DP_ELEMENTS = 1 << 24  # largest 0-1 knapsack table (rows x capacity) before the LP fallback


@dataclass(frozen=True)
class Problem(FacilitiesAndSites):
    """A GQAP's data as the branch and bound reads it (dense, float64 with integer values
    where the instance's are integers)."""

    q: np.ndarray          # (n,)
    Q: np.ndarray          # (m,)
    lin: np.ndarray        # (n, m) linear costs incl. the diagonal traffic
    PC: np.ndarray         # (n, m, n, m) full pair cost of i on k with j on h (0 for i = j)
    base: np.ndarray       # (n, m, n, m) i's share of PC before multipliers
    integral: bool         # costs integral: every bound is an integer
    int_weights: bool      # weights integral: 0-1 knapsacks by dynamic programming


def problem(inst: GQAPInstance) -> Problem:
    """Fold the instance's costs into the branch and bound's arrays."""
    n = inst.n
    t, d, v = np.asarray(inst.t), np.asarray(inst.d), float(inst.v)
    lin = np.asarray(inst.a) + v * np.diag(t)[:, None] * np.diag(d)[None, :]
    PC = v * (np.einsum("ij,kh->ikjh", t, d) + np.einsum("ji,hk->ikjh", t, d))
    idx = np.arange(n)
    PC[idx, :, idx, :] = 0.0
    vals = np.concatenate([lin.ravel(), PC.ravel()])
    integral = bool(np.all(vals == np.round(vals))
                    and float(np.abs(lin).sum() + np.abs(PC).sum()) < 2.0 ** 50)
    upper = idx[:, None, None, None] < idx[None, None, :, None]
    lower = idx[:, None, None, None] > idx[None, None, :, None]
    base_up = np.where(upper, np.floor(PC / 2.0) if integral else PC / 2.0, 0.0)
    base = base_up + np.where(lower, PC - base_up.transpose(2, 3, 0, 1), 0.0)
    q = np.asarray(inst.q, dtype=np.float64)
    int_weights = bool(np.all(q == np.round(q)) and q.sum() < 2 ** 31)
    return Problem(q=q, Q=np.asarray(inst.Q, dtype=np.float64), lin=lin, PC=PC, base=base,
                   integral=integral, int_weights=int_weights)


@dataclass
class Node:
    """A node's reduced problem: free facilities F, capacities left R, the fixed part's
    cost ``const``, the free facilities' linear costs (with the fixed ones) and pair data."""

    x: np.ndarray          # (n,) site or -1
    F: np.ndarray          # free facilities
    R: np.ndarray          # (m,) capacities left
    const: float
    Lnode: np.ndarray      # (f, m)
    PC: np.ndarray         # (f, m, f, m)
    base: np.ndarray       # (f, m, f, m)
    q: np.ndarray          # (f,)
    allowed: np.ndarray    # (f, m) q_i <= R_k


def node(P: Problem, x: np.ndarray) -> Node:
    """The reduced problem of the partial assignment ``x`` (-1: free)."""
    x = np.asarray(x, dtype=np.int64)
    fixed = np.flatnonzero(x >= 0)
    F = np.flatnonzero(x < 0)
    xs = x[fixed]
    R = P.Q - np.bincount(xs, weights=P.q[fixed], minlength=P.m)
    const = float(P.lin[fixed, xs].sum()
                  + P.PC[fixed[:, None], xs[:, None], fixed[None, :], xs[None, :]].sum() / 2.0)
    Lnode = P.lin[F] + P.PC[F][:, :, fixed, xs].sum(axis=2)
    sub = np.ix_(F, np.arange(P.m), F, np.arange(P.m))
    q = P.q[F]
    return Node(x=x, F=F, R=R, const=const, Lnode=Lnode, PC=P.PC[sub], base=P.base[sub], q=q,
                allowed=q[:, None] <= R[None, :])


# ---------------------------------------------------------------------------------------
# knapsacks
# ---------------------------------------------------------------------------------------
def knapsack01(values: np.ndarray, weights: np.ndarray, caps: np.ndarray,
               integer: bool, compiled: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """max sum values z subject to sum weights z <= cap, z binary, per row of ``values``
    (rows, items): exact by dynamic programming when ``integer`` (integral weights) and the
    table is small, else the continuous relaxation (an upper bound). Returns (value, chosen)
    where ``chosen`` (rows, items) marks the items taken (None from the DP). ``compiled``:
    the table in the numba kernel when installed (the same numbers)."""
    values = np.maximum(values, 0.0)
    caps = np.maximum(np.floor(caps + 1e-9) if integer else caps, 0.0)
    rows, items = values.shape
    useful = np.flatnonzero((values > 0.0).any(axis=0))
    if useful.size == 0:
        return np.zeros(rows), np.zeros((rows, items))
    w = weights[useful]
    total = float(w.sum())
    capmax = int(min(float(caps.max()), total)) if integer else 0
    if integer and compiled and rows * (capmax + 1) <= _DP_ELEMENTS:
        from gqap.solvers.bnb import kernels

        if kernels.AVAILABLE:
            return kernels.knapsack_dp(np.ascontiguousarray(values),
                                       weights.astype(np.int64),
                                       np.minimum(caps, capmax).astype(np.int64)), None
    if integer and rows * (capmax + 1) <= _DP_ELEMENTS:
        dp = np.zeros((rows, capmax + 1))
        for col, wj in zip(useful.tolist(), w.astype(np.int64).tolist(), strict=True):
            vj = values[:, col:col + 1]
            if wj == 0:
                dp += vj
            elif wj <= capmax:
                cand = dp[:, :capmax + 1 - wj] + vj
                np.maximum(dp[:, wj:], cand, out=dp[:, wj:])
        return dp[np.arange(rows), np.minimum(caps, capmax).astype(np.int64)], None
    return continuous_knapsack(values, weights, caps)


def continuous_knapsack(values: np.ndarray, weights: np.ndarray,
                        caps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The continuous knapsack per row (Dantzig's greedy): (value, shares)."""
    values = np.maximum(values, 0.0)
    w = np.broadcast_to(weights, values.shape)
    ratio = np.where(values > 0.0, np.where(w > 0.0, values / np.where(w > 0, w, 1.0), np.inf),
                     -1.0)
    order = np.argsort(-ratio, axis=1, kind="stable")
    v_o = np.take_along_axis(values, order, axis=1)
    w_o = np.take_along_axis(np.where(values > 0.0, w, 0.0), order, axis=1)
    room = caps[:, None] - (np.cumsum(w_o, axis=1) - w_o)
    frac = np.where(w_o > 0.0, np.clip(room / np.where(w_o > 0.0, w_o, 1.0), 0.0, 1.0),
                    (room >= 0.0) * 1.0)
    frac = np.where(v_o > 0.0, frac, 0.0)
    z = np.empty_like(frac)
    np.put_along_axis(z, order, frac, axis=1)
    return (frac * v_o).sum(axis=1), z


# ---------------------------------------------------------------------------------------
# the exact bound of given multipliers
# ---------------------------------------------------------------------------------------
def directed(nd: Node, U: np.ndarray) -> np.ndarray:
    """D = base + U (U antisymmetric under (i, k) <-> (j, h))."""
    return nd.base + U


def split_pairs(on: np.ndarray, off: np.ndarray, onok: np.ndarray, q: np.ndarray,
                 cap: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per (facility, site, other facility): the on-site cost (inf where it cannot fit),
    whether the other is forced on site (no off-site choice), which (facility, site) pairs
    are dead, the capacity left after the forced ones, the base sum of the chosen costs and
    the knapsack savings of moving a facility on site. ``subproblems`` and the Volume
    phase's continuous relaxation (``volume.relaxation``) share it."""
    on = np.where(onok, on, np.inf)
    forced = ~np.isfinite(off)
    dead = (forced & ~np.isfinite(on)).any(axis=2)
    capr = cap - (forced * q[None, None, :]).sum(axis=2)
    base_sum = np.where(forced, np.where(np.isfinite(on), on, 0.0), off).sum(axis=2)
    saving = np.where(onok & ~forced, off - on, 0.0)
    saving = np.where(np.isfinite(saving), saving, 0.0)
    return on, forced, dead, capr, base_sum, saving


def subproblems(nd: Node, D: np.ndarray, integer: bool,
                nu: np.ndarray | None = None, compiled: bool = False) -> np.ndarray:
    """Lhat[i, k] = Lnode[i, k] + V[i, k] (module doc); inf where i cannot sit on k. With
    ``nu`` (f, m, m), the capacity of every other site h enters i's subproblem on k by its
    multiplier: j off k costs min_h (D[i, k, j, h] + nu[i, k, h] q_j), and
    sum_{h != k} nu[i, k, h] R_h is subtracted."""
    f, m = nd.Lnode.shape
    if f == 0:
        return nd.Lnode.copy()
    q, R, allowed = nd.q, nd.R, nd.allowed
    cap = R[None, :] - q[:, None]                                   # (f, m)
    eye_f = np.eye(f, dtype=bool)
    on = np.einsum("ikjk->ikj", D)                                  # (f, m, f)
    onok = (q[None, None, :] <= cap[:, :, None] + 1e-9) & ~eye_f[:, None, :]
    usable = allowed[None, None, :, :] & ~np.eye(m, dtype=bool)[None, :, None, :]
    if nu is not None:
        D = D + np.where(np.eye(m, dtype=bool)[None, :, None, :], 0.0,
                         nu[:, :, None, :] * q[None, None, :, None])
    off = np.where(usable, D, np.inf).min(axis=3)                   # (f, m, f)
    off[eye_f[:, None, :].repeat(m, axis=1)] = 0.0
    on, forced, dead, capr, base_sum, saving = split_pairs(on, off, onok, q, cap)
    value, _ = knapsack01(saving.reshape(f * m, f), q, np.maximum(capr, 0.0).ravel(), integer,
                          compiled)
    V = base_sum - value.reshape(f, m)
    if nu is not None:
        V = V - (np.where(np.eye(m, dtype=bool)[None, :, :], 0.0, nu) * R[None, None, :]).sum(
            axis=2)
    bad = ~allowed | dead | (capr < -1e-9)
    return np.where(bad, np.inf, nd.Lnode + V)


def master(nd: Node, Lhat: np.ndarray, lam: np.ndarray, integer: bool,
           compiled: bool = False) -> float:
    """const + sum lambda - sum_k knapsack_k (module doc); inf when a facility fits no site."""
    f, m = Lhat.shape
    if f == 0:
        return nd.const
    if not np.isfinite(Lhat).any(axis=1).all():
        return math.inf
    prof = np.where(np.isfinite(Lhat), lam[:, None] - Lhat, 0.0).T     # (m, f)
    value, _ = knapsack01(prof, nd.q, nd.R.copy(), integer, compiled)
    return float(nd.const + lam.sum() - value.sum())


def evaluate(nd: Node, U: np.ndarray, lam: np.ndarray, integer: bool,
             nu: np.ndarray | None = None) -> float:
    """bound(U, lambda) of the module doc (with the capacity multipliers ``nu``)."""
    return master(nd, subproblems(nd, directed(nd, U), integer, nu), lam, integer)


def optimise_lambda(nd: Node, Lhat: np.ndarray, lam0: np.ndarray | None, upper: float,
                    integer: bool, iterations: int, compiled: bool = False,
                    ) -> tuple[np.ndarray, float]:
    """lambda by subgradient steps on the master (Polyak towards ``upper``; directions from
    the continuous knapsacks), starting at the cheapest site per facility or at ``lam0``,
    whichever is better; integral lambdas when costs are integral. Returns the best
    (lambda, bound)."""
    f = Lhat.shape[0]
    if f == 0:
        return np.zeros(0), master(nd, Lhat, np.zeros(0), integer)
    rowmin = np.where(np.isfinite(Lhat), Lhat, np.inf).min(axis=1)
    if not np.isfinite(rowmin).all():
        return np.zeros(f), math.inf
    best_lam, best = rowmin, -math.inf
    for s in (rowmin, lam0):
        if s is None or s.shape != rowmin.shape:
            continue
        lam = np.round(s) if integer else s.copy()
        val = master(nd, Lhat, lam, integer, compiled)
        if val > best:
            best, best_lam = val, lam
    lam, val = best_lam.copy(), best
    theta = 1.0
    finite = np.isfinite(Lhat)
    for _ in range(iterations):
        if best >= upper:
            break
        prof = np.where(finite, lam[:, None] - Lhat, 0.0).T
        _, z = continuous_knapsack(prof, nd.q, nd.R.copy())
        g = 1.0 - z.sum(axis=0)
        norm = float((g * g).sum())
        if norm == 0.0:
            break
        gap = max(upper - val, 1.0) if math.isfinite(upper) else max(abs(val) * 0.01, 1.0)
        lam = lam + theta * gap / norm * g
        if integer:
            lam = np.round(lam)
        val = master(nd, Lhat, lam, integer, compiled)
        if val > best:
            best, best_lam = val, lam.copy()
        else:
            theta *= 0.7
    return best_lam, best

