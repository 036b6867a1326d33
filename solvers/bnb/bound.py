"""Node bounds of the GQAP branch and bound: RLT1 dual ascent and the exact bound it certifies.

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
value is exact and a third party recomputes it bit for bit (``gqap.proofs``).

**Finding U.** ``ascent`` is a Hahn-Grant style dual ascent on the same relaxation, in
floating point, on a reformulated copy (K, L, C) of the node's costs: extract each (i, k)
subproblem's value with its LP duals (continuous knapsack), leaving reduced costs; extract
the master's (each facility's cheapest site); spread each reduced linear cost back over
its facility's products; give each product's two halves their mean (the transfer that
moves U). K never decreases. A child starts from its parent's U.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gqap.instances import GQAPInstance

_DP_ELEMENTS = 1 << 24  # largest 0-1 knapsack table (rows x capacity) before the LP fallback


@dataclass(frozen=True)
class Problem:
    """A GQAP's data as the branch and bound reads it (dense, float64 with integer values
    where the instance's are integers)."""

    q: np.ndarray          # (n,)
    Q: np.ndarray          # (m,)
    lin: np.ndarray        # (n, m) linear costs incl. the diagonal traffic
    PC: np.ndarray         # (n, m, n, m) full pair cost of i on k with j on h (0 for i = j)
    base: np.ndarray       # (n, m, n, m) i's share of PC before multipliers
    integral: bool         # costs integral: every bound is an integer
    int_weights: bool      # weights integral: 0-1 knapsacks by dynamic programming

    @property
    def n(self) -> int:
        """Facilities."""
        return int(self.q.size)

    @property
    def m(self) -> int:
        """Sites."""
        return int(self.Q.size)


def problem(inst: GQAPInstance) -> Problem:
    """Fold the instance's costs into the branch and bound's arrays."""
    n, m = inst.n, inst.m
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
               integer: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """max sum values z subject to sum weights z <= cap, z binary, per row of ``values``
    (rows, items): exact by dynamic programming when ``integer`` (integral weights) and the
    table is small, else the continuous relaxation (an upper bound). Returns (value, chosen)
    where ``chosen`` (rows, items) marks the items taken (None from the DP)."""
    values = np.maximum(values, 0.0)
    caps = np.maximum(np.floor(caps + 1e-9) if integer else caps, 0.0)
    rows, items = values.shape
    useful = np.flatnonzero((values > 0.0).any(axis=0))
    if useful.size == 0:
        return np.zeros(rows), np.zeros((rows, items))
    w = weights[useful]
    total = float(w.sum())
    capmax = int(min(float(caps.max()), total)) if integer else 0
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


def subproblems(nd: Node, D: np.ndarray, integer: bool) -> np.ndarray:
    """Lhat[i, k] = Lnode[i, k] + V[i, k] (module doc); inf where i cannot sit on k."""
    f, m = nd.Lnode.shape
    if f == 0:
        return nd.Lnode.copy()
    q, R, allowed = nd.q, nd.R, nd.allowed
    cap = R[None, :] - q[:, None]                                   # (f, m)
    eye_f = np.eye(f, dtype=bool)
    on = np.einsum("ikjk->ikj", D)                                  # (f, m, f)
    onok = (q[None, None, :] <= cap[:, :, None] + 1e-9) & ~eye_f[:, None, :]
    usable = allowed[None, None, :, :] & ~np.eye(m, dtype=bool)[None, :, None, :]
    off = np.where(usable, D, np.inf).min(axis=3)                   # (f, m, f)
    off[eye_f[:, None, :].repeat(m, axis=1)] = 0.0
    on = np.where(onok, on, np.inf)
    forced = ~np.isfinite(off)
    dead = (forced & ~np.isfinite(on)).any(axis=2)
    W = (forced * q[None, None, :]).sum(axis=2)
    capr = cap - W
    base_sum = np.where(forced, np.where(np.isfinite(on), on, 0.0), off).sum(axis=2)
    saving = np.where(onok & ~forced, off - on, 0.0)
    saving = np.where(np.isfinite(saving), saving, 0.0)
    value, _ = knapsack01(saving.reshape(f * m, f), q, np.maximum(capr, 0.0).ravel(), integer)
    V = base_sum - value.reshape(f, m)
    bad = ~allowed | dead | (capr < -1e-9)
    return np.where(bad, np.inf, nd.Lnode + V)


def master(nd: Node, Lhat: np.ndarray, lam: np.ndarray, integer: bool) -> float:
    """const + sum lambda - sum_k knapsack_k (module doc); inf when a facility fits no site."""
    f, m = Lhat.shape
    if f == 0:
        return nd.const
    if not np.isfinite(Lhat).any(axis=1).all():
        return math.inf
    prof = np.where(np.isfinite(Lhat), lam[:, None] - Lhat, 0.0).T     # (m, f)
    value, _ = knapsack01(prof, nd.q, nd.R.copy(), integer)
    return float(nd.const + lam.sum() - value.sum())


def evaluate(nd: Node, U: np.ndarray, lam: np.ndarray, integer: bool) -> float:
    """bound(U, lambda) of the module doc."""
    return master(nd, subproblems(nd, directed(nd, U), integer), lam, integer)


def optimise_lambda(nd: Node, Lhat: np.ndarray, lam0: np.ndarray | None, upper: float,
                    integer: bool, iterations: int) -> tuple[np.ndarray, float]:
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
        val = master(nd, Lhat, lam, integer)
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
        val = master(nd, Lhat, lam, integer)
        if val > best:
            best, best_lam = val, lam.copy()
        else:
            theta *= 0.7
    return best_lam, best


# ---------------------------------------------------------------------------------------
# dual ascent
# ---------------------------------------------------------------------------------------
def _forbidden(nd: Node) -> np.ndarray:
    """forb[i, k, j, h]: the product cannot occur in a feasible completion."""
    f, m = nd.allowed.shape
    q, kk = nd.q, np.arange(m)
    both = (q[:, None] + q[None, :])[:, None, :] > nd.R[None, :, None] + 1e-9   # (i, k, j)
    forb = np.zeros((f, m, f, m), dtype=bool)
    forb[:, kk, :, kk] = both.transpose(1, 0, 2)
    forb |= ~nd.allowed[:, :, None, None] | ~nd.allowed[None, None, :, :]
    forb |= np.eye(f, dtype=bool)[:, None, :, None]
    return forb


def _critical_ratio(saving: np.ndarray, w: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per row, the LP dual of the capacity of a continuous knapsack (max saving z subject
    to w z <= cap): the ratio of the item the capacity cuts, 0 when everything fits."""
    ratio = np.where(saving > 0, saving / np.maximum(w, 1e-12), -1.0)
    order = np.argsort(-ratio, axis=1, kind="stable")
    w_o = np.take_along_axis(np.where(saving > 0, np.broadcast_to(w, saving.shape), 0.0),
                             order, axis=1)
    r_o = np.take_along_axis(ratio, order, axis=1)
    over = np.cumsum(w_o, axis=1) > cap[:, None] + 1e-9
    crit = over.argmax(axis=1)
    return np.where(over.any(axis=1),
                    np.maximum(np.take_along_axis(r_o, crit[:, None], axis=1)[:, 0], 0.0), 0.0)


def ascent(nd: Node, U0: np.ndarray, sweeps: int, tol: float = 1e-5,
           ) -> tuple[np.ndarray, float, int]:
    """Block coordinate ascent on the relaxation's dual (an MPLP star update per facility,
    with the capacity x product multiplier of each of its sites chosen in the same block as
    the LP dual of its continuous knapsack), from the split U0: (U, the ascent's own bound,
    sweeps done). Each star update gives facility i and its partners the largest total
    their minima can reach with everything else fixed, so the bound never decreases."""
    f, m = nd.Lnode.shape
    if f <= 1 or sweeps <= 0:
        return U0.copy(), -math.inf, 0
    q, kk = nd.q, np.arange(m)
    forb = _forbidden(nd)
    cap = nd.R[None, :] - q[:, None]
    mu = np.zeros((f, m))
    thi = np.where(nd.allowed, nd.Lnode, np.inf)
    with np.errstate(invalid="ignore"):
        M = np.where(forb, np.inf, nd.base + U0).min(axis=3)
    M = np.where(np.isfinite(M), M, 0.0)
    M[np.arange(f), :, np.arange(f)] = 0.0
    b = thi + M.sum(axis=2)
    history: list[float] = []
    done = 0
    with np.errstate(invalid="ignore"):
        for sweep in range(sweeps):
            done = sweep + 1
            for i in range(f):
                if not np.isfinite(b[i]).any():
                    return U0.copy(), math.inf, done
                js = np.r_[0:i, i + 1:f]
                d = js.size
                a = b[js] - M[js, :, i]                                   # (d, h)
                T = nd.PC[i][:, js, :].transpose(1, 0, 2).copy()          # (d, k, h)
                T[:, kk, kk] += mu[js] * q[i]
                T = np.where(forb[i][:, js, :].transpose(1, 0, 2), np.inf, T)
                X = T + a[:, None, :]
                gon = X[:, kk, kk].copy()                                 # (d, k)
                X[:, kk, kk] = np.inf
                goff = X.min(axis=2)
                forced = ~np.isfinite(goff)
                dead = (forced & ~np.isfinite(gon)).any(axis=0)
                capr = cap[i] - (forced * q[js][:, None]).sum(axis=0)
                sav = np.where(np.isfinite(gon) & ~forced, goff - gon, 0.0)
                sav = np.where(np.isfinite(sav) & (sav > 0), sav, 0.0)
                bad = dead | (capr < -1e-9) | ~nd.allowed[i]
                mui = np.where(bad, 0.0, _critical_ratio(sav.T, q[js][None, :],
                                                         np.maximum(capr, 0.0)))
                muq = mui[None, :] * q[js][:, None]
                alpha = np.where(forced, gon + muq, np.minimum(goff, gon + muq))
                S = np.where(bad, np.inf, thi[i] - mui * cap[i] + alpha.sum(axis=0))
                Mi = np.where(np.isfinite(S)[None, :], alpha - S[None, :] / (d + 1), 0.0)
                Mi = np.where(np.isfinite(Mi), Mi, 0.0)
                T[:, kk, kk] += muq
                T = np.where(np.isfinite(S)[None, :, None], T, np.inf)
                Mj = (T - Mi[:, :, None]).min(axis=1)
                Mj = np.where(np.isfinite(Mj), Mj, 0.0)
                mu[i] = mui
                M[i][:, js] = Mi.T
                M[js, :, i] = Mj
                b = np.where(nd.allowed, thi - mu * cap + M.sum(axis=2), np.inf)
                b[i] = np.where(np.isfinite(S), b[i], np.inf)
            history.append(nd.const + float(np.min(b, axis=1).sum()))
            if sweep >= 3 and history[-1] - history[-4] <= tol * max(1.0, abs(history[-1])):
                break
        # U: each product's slack split evenly between its two facilities
        add = mu[:, :, None] * q[None, None, :]                          # (i, k, j)
        th = nd.PC.copy()
        th[:, kk, :, kk] += (add + add.transpose(2, 1, 0)).transpose(1, 0, 2)
        Mi4 = M[:, :, :, None]
        Mj4 = M.transpose(2, 1, 0).transpose(0, 2, 1)[:, None, :, :]     # M[j, h, i]
        Dn = Mi4 + 0.5 * (th - Mi4 - Mj4)
        Dn[:, kk, :, kk] -= add.transpose(1, 0, 2)
        Dn = np.where(forb | ~np.isfinite(Dn), nd.base + U0, Dn)
    U = Dn - nd.base
    U = 0.5 * (U - U.transpose(2, 3, 0, 1))   # exactly antisymmetric
    return U, history[-1] if history else -math.inf, done
