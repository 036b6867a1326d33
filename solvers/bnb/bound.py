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
value is exact and a third party recomputes it bit for bit (``gqap.classic.proofs``).

**Finding U.** ``ascent`` is a Hahn-Grant style dual ascent on the same relaxation, in
floating point, on a reformulated copy (K, L, C) of the node's costs: extract each (i, k)
subproblem's value with its LP duals (continuous knapsack), leaving reduced costs; extract
the master's (each facility's cheapest site); spread each reduced linear cost back over
its facility's products; give each product's two halves their mean (the transfer that
moves U). K never decreases. A child starts from its parent's U.

**Past the ascent's fixed point.** The block ascent stops at fixed points below the
relaxation's maximum (on cordeau/20-15-35 near 1,255,000 against the RLT1 LP's 1,344,404).
``volume`` then runs the Volume algorithm on the same multipliers (M, nu, lambda) with
continuous knapsacks, whose supergradients are the RLT1 consistency residuals (``_primal``);
whatever it finds is again only a choice of multipliers, rounded and evaluated exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gqap.classic.instance import FacilitiesAndSites, GQAPInstance

_DP_ELEMENTS = 1 << 24  # largest 0-1 knapsack table (rows x capacity) before the LP fallback
# the Volume algorithm's step rule (``volume``); tuned on cordeau/20-15-75's root
_ALPHA = 0.1      # weight of the newest supergradient in the running average
_F0 = 0.5         # first step factor
_GROW = 1.1       # the factor's growth on a new best value
_REDS = 20        # steps without a new best before the factor is cut by a third
_FMIN = 0.002     # the factor's floor (0.02 stalls on cordeau/30-20-95 at 4.7 %)


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


def _split_pairs(on: np.ndarray, off: np.ndarray, onok: np.ndarray, q: np.ndarray,
                 cap: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per (facility, site, other facility): the on-site cost (inf where it cannot fit),
    whether the other is forced on site (no off-site choice), which (facility, site) pairs
    are dead, the capacity left after the forced ones, the base sum of the chosen costs and
    the knapsack savings of moving a facility on site. Both bound routines share it."""
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
    on, forced, dead, capr, base_sum, saving = _split_pairs(on, off, onok, q, cap)
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


def initial_messages(nd: Node, nu: np.ndarray) -> np.ndarray:
    """Messages of the plain split (U = 0) under the capacity multipliers nu:
    M[i, k, j] = min_h (base[i, k, j, h] + nu[i, k, h] q_j) over the products that can
    occur (0 where none can)."""
    f = nd.F.size
    nq = nu[:, :, None, :] * nd.q[None, None, :, None]
    with np.errstate(invalid="ignore"):
        M = np.where(_forbidden(nd), np.inf, nd.base + nq).min(axis=3)
    M = np.where(np.isfinite(M), M, 0.0)
    M[np.arange(f), :, np.arange(f)] = 0.0
    return M


def split(nd: Node, M: np.ndarray, nu: np.ndarray, integral: bool) -> np.ndarray:
    """The multipliers U that messages M and capacity multipliers nu stand for: for a pair
    i < j, i's share of the product (i on k, j on h) is
    D = (PC + M[i, k, j] - M[j, h, i] + nu[j, h, k] q_i - nu[i, k, h] q_j) / 2, rounded
    down for integral costs (each side keeps its message plus half the product's slack);
    U = D - base, antisymmetric. Any M and nu give valid multipliers."""
    q = nd.q
    Mjh = np.einsum("jhi->ijh", M)[:, None, :, :]                   # [i, ., j, h] = M[j, h, i]
    nui = nu[:, :, None, :] * q[None, None, :, None]                # nu[i, k, h] q_j
    nuj = np.einsum("jhk->kjh", nu)[None] * q[:, None, None, None]  # nu[j, h, k] q_i
    D = (nd.PC + M[:, :, :, None] - Mjh + nuj - nui) / 2.0
    if integral:
        D = np.floor(D)
    f = nd.F.size
    idx = np.arange(f)
    upper = idx[:, None, None, None] < idx[None, None, :, None]
    Uup = np.where(upper, D - nd.base, 0.0)
    return Uup - Uup.transpose(2, 3, 0, 1)


def ascent(nd: Node, M0: np.ndarray | None, sweeps: int, nu0: np.ndarray | None = None,
           tol: float = 1e-5, inner: int = 3, expired: Callable[[], bool] | None = None,
           compiled: bool = False) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Block coordinate ascent on the relaxation's dual from messages M0 (None: those of
    the plain split) and capacity multipliers nu0: (M, nu, the ascent's own bound, sweeps
    done); ``split`` turns them into the multipliers U.

    Every capacity x product row of the RLT1 model (facility i on k times site h's
    capacity, R_h - q_i [h = k]) is relaxed with nu[i, k, h] >= 0, which leaves a pairwise
    problem; one block is facility i with all its products and its nu[i]: its nu by a few
    damped best responses (each site's multiplier the LP dual of its own knapsack, the
    others held), then the MPLP star update, which gives i and its partners the largest
    total their minima can reach with the rest held. ``expired`` is asked after each
    block; when it says so the sweep ends there. ``compiled`` runs each sweep in the numba
    kernel (``kernels.sweep``, the same computation) when numba is installed."""
    f, m = nd.Lnode.shape
    nu = np.zeros((f, m, m)) if nu0 is None else nu0.astype(np.float64)
    M = initial_messages(nd, nu) if M0 is None else M0.astype(np.float64)
    if f <= 1 or sweeps <= 0:
        return M, nu, -math.inf, 0
    q, kk = nd.q, np.arange(m)
    forb = _forbidden(nd)
    cap = nd.R[None, None, :] - q[:, None, None] * np.eye(m)[None, :, :]      # (i, k, h)
    Ln = np.where(nd.allowed, nd.Lnode, np.inf)
    thi = Ln - (nu * cap).sum(axis=2)
    b = thi + M.sum(axis=2)
    history: list[float] = []
    done = 0
    if compiled:
        from gqap.solvers.bnb import kernels

        compiled = kernels.AVAILABLE
    with np.errstate(invalid="ignore"):
        for sweep in range(sweeps):
            done = sweep + 1
            stop = False
            if compiled:
                if not kernels.sweep(nd.PC, forb, q, cap, nd.allowed, Ln, M, nu, thi, b,
                                     inner):
                    return M, nu, math.inf, done
                history.append(nd.const + float(np.min(b, axis=1).sum()))
                if (expired is not None and expired()) or (
                        sweep >= 3 and history[-1] - history[-4]
                        <= tol * max(1.0, abs(history[-1]))):
                    break
                continue
            for i in range(f):
                if expired is not None and expired():
                    stop = True
                    break
                if not np.isfinite(b[i]).any():
                    return M, nu, math.inf, done
                js = np.r_[0:i, i + 1:f]
                d = js.size
                qj = q[js]
                a = b[js] - M[js, :, i]                                   # (d, h)
                T0 = nd.PC[i][:, js, :].transpose(1, 0, 2) \
                    + nu[js][:, :, kk].transpose(0, 2, 1) * q[i]          # (d, k, h)
                T0 = np.where(forb[i][:, js, :].transpose(1, 0, 2), np.inf, T0)
                X0 = T0 + a[:, None, :]
                nui = nu[i].copy()
                for _ in range(inner):
                    Y = X0 + nui[None, :, :] * qj[:, None, None]
                    srt = np.sort(Y, axis=2)
                    arg = Y.argmin(axis=2)
                    other = np.where(np.arange(m)[None, None, :] == arg[:, :, None],
                                     srt[:, :, 1:2] if m > 1 else np.inf, srt[:, :, 0:1])
                    sav = other - X0                                        # (d, k, h)
                    sav = np.where(np.isfinite(sav) & (sav > 0), sav, 0.0)
                    rows = sav.transpose(1, 2, 0).reshape(m * m, d)
                    crit = _critical_ratio(rows, qj[None, :],
                                           np.maximum(cap[i].reshape(m * m), 0.0))
                    nui = 0.5 * nui + 0.5 * crit.reshape(m, m)
                nui = np.where(nd.allowed[i][:, None], nui, 0.0)
                Y = X0 + nui[None, :, :] * qj[:, None, None]
                alpha = Y.min(axis=2)                                       # (d, k)
                dead = ~np.isfinite(alpha).all(axis=0) | ~nd.allowed[i]
                thi_i = Ln[i] - (nui * cap[i]).sum(axis=1)
                S = np.where(dead, np.inf, thi_i + np.where(np.isfinite(alpha), alpha,
                                                              0.0).sum(axis=0))
                Mi = np.where(np.isfinite(S)[None, :], alpha - S[None, :] / (d + 1), 0.0)
                Mi = np.where(np.isfinite(Mi), Mi, 0.0)
                T2 = T0 + nui[None, :, :] * qj[:, None, None]
                T2 = np.where(np.isfinite(S)[None, :, None], T2, np.inf)
                Mj = (T2 - Mi[:, :, None]).min(axis=1)
                Mj = np.where(np.isfinite(Mj), Mj, 0.0)
                nu[i] = nui
                thi[i] = thi_i
                M[i][:, js] = Mi.T
                M[js, :, i] = Mj
                b = np.where(nd.allowed, thi + M.sum(axis=2), np.inf)
                b[i] = np.where(np.isfinite(S), b[i], np.inf)
            history.append(nd.const + float(np.min(b, axis=1).sum()))
            if stop or (sweep >= 3 and history[-1] - history[-4]
                        <= tol * max(1.0, abs(history[-1]))):
                break
    return M, nu, history[-1] if history else -math.inf, done


# ---------------------------------------------------------------------------------------
# past the ascent's fixed point: the Volume algorithm on (M, nu, lambda)
# ---------------------------------------------------------------------------------------
def _primal(nd: Node, M: np.ndarray, nu: np.ndarray, lam: np.ndarray,
            compiled: bool = False) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The relaxation with continuous knapsacks at (M, nu, lambda), unrounded: its value
    and a supergradient (gM, gnu, glam) from the master's shares w[i, k] and the
    subproblems' placements Y[i, k, j, h] (the RLT1 variables x and y / x). ``compiled``:
    the subproblems and the supergradient in the numba kernels (the same numbers)."""
    f, m = nd.Lnode.shape
    if compiled:
        from gqap.solvers.bnb import kernels

        if kernels.AVAILABLE:
            Lhat, hoff, yon = kernels.primal_subproblems(
                nd.PC, np.ascontiguousarray(M, dtype=np.float64),
                np.ascontiguousarray(nu, dtype=np.float64), nd.q, nd.R, nd.allowed,
                nd.Lnode)
            if not np.isfinite(Lhat).any(axis=1).all():
                return math.inf, np.zeros_like(M), np.zeros_like(nu), np.zeros(f)
            tie = 1e-9 * max(1.0, float(np.abs(lam).max()))
            mval, w = kernels.master_shares(Lhat, np.ascontiguousarray(lam, dtype=np.float64),
                                            nd.q, nd.R, tie)
            val = float(nd.const + lam.sum() - mval)
            gM, gnu = kernels.primal_gradient(w, hoff, yon, nd.q, nd.R)
            return val, gM, gnu, 1.0 - w.sum(axis=1)
    q, R, allowed = nd.q, nd.R, nd.allowed
    eye_m = np.eye(m, dtype=bool)
    eye_f = np.eye(f, dtype=bool)
    D = nd.base + split(nd, M, nu, False)
    cap = R[None, :] - q[:, None]
    on = np.einsum("ikjk->ikj", D)
    onok = (q[None, None, :] <= cap[:, :, None] + 1e-9) & ~eye_f[:, None, :]
    usable = allowed[None, None, :, :] & ~eye_m[None, :, None, :]
    Doff = np.where(usable, D + np.where(eye_m[None, :, None, :], 0.0,
                                         nu[:, :, None, :] * q[None, None, :, None]),
                    np.inf)
    harg = Doff.argmin(axis=3)
    off = np.take_along_axis(Doff, harg[..., None], axis=3)[..., 0]
    off[eye_f[:, None, :].repeat(m, axis=1)] = 0.0
    on, forced, dead, capr, base_sum, saving = _split_pairs(on, off, onok, q, cap)
    value, z = continuous_knapsack(saving.reshape(f * m, f), q,
                                   np.maximum(capr, 0.0).ravel())
    other = ~eye_f[:, None, :]                                      # (i, ., j): j != i
    yon = np.where(forced, 1.0, z.reshape(f, m, f) * (saving > 0)) * other
    Y = (harg[..., None] == np.arange(m)) * ((1.0 - yon) * ~forced * other)[..., None] \
        + eye_m[None, :, None, :] * yon[..., None]
    V = base_sum - value.reshape(f, m) \
        - (np.where(eye_m[None, :, :], 0.0, nu) * R[None, None, :]).sum(axis=2)
    bad = ~allowed | dead | (capr < -1e-9)
    Lhat = np.where(bad, np.inf, nd.Lnode + V)
    if not np.isfinite(Lhat).any(axis=1).all():
        return math.inf, np.zeros_like(M), np.zeros_like(nu), np.zeros(f)
    val, w = _master_shares(nd, Lhat, lam)
    P = w[:, :, None, None] * np.where(np.isfinite(Y), Y, 0.0)      # (a, k, b, h)
    Pt = P.transpose(2, 3, 0, 1)                                    # [a, k, b, h] = P[b, h, a, k]
    gM = (P.sum(axis=3) - Pt.sum(axis=3)) / 2.0
    A = np.einsum("akbh,b->akh", P, q)
    Bt = np.einsum("akbh,b->akh", Pt, q)
    sign = np.where(eye_m, -1.0, 1.0)[None]
    gnu = (A * sign + Bt) / 2.0 - np.where(eye_m[None], 0.0, w[:, :, None] * R[None, None, :])
    glam = 1.0 - w.sum(axis=1)
    return val, gM, gnu, glam


def _master_shares(nd: Node, Lhat: np.ndarray, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """The master with continuous knapsacks: its value and the shares w[i, k]."""
    prof = np.where(np.isfinite(Lhat), lam[:, None] - Lhat, -1.0).T
    mval, _ = continuous_knapsack(prof, nd.q, nd.R.copy())
    val = float(nd.const + lam.sum() - mval.sum())
    # the direction from a maximiser that takes the zero-profit items too (a facility on
    # its cheapest site when lambda is its cost there), else every tie gives w = 0
    tie = 1e-9 * max(1.0, float(np.abs(lam).max()))
    _, zm = continuous_knapsack(prof + tie, nd.q, nd.R.copy())
    return val, zm.T * np.isfinite(Lhat)


def volume(nd: Node, M: np.ndarray, nu: np.ndarray, lam: np.ndarray | None, upper: float,
           iterations: int, expired: Callable[[], bool] | None = None,
           compiled: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """The Volume algorithm (Barahona and Anbil, Math. Program. 87, 2000) on the
    relaxation with continuous knapsacks, from (M, nu, lambda) (None: lambda by a
    subgradient on the master): steps along the running average of the supergradients
    (weight ``_ALPHA`` on the newest), nu kept >= 0, of length f (upper - best) / |g|^2
    (Polyak towards the incumbent), f grown by ``_GROW`` on a new best value and cut by a
    third after ``_REDS`` steps without one, down to ``_FMIN``. The iterate always moves
    (from a fixed point of the ascent every single supergradient points down; their
    average does not). Stops after ``iterations``, at ``expired``, when the best value
    reaches ``upper`` or gains less than 1e-5 of itself in 200 steps. It goes past the
    ascent's fixed points (the continuous relaxation's maximum is the RLT1 LP bound).
    Returns the best (M, nu, lambda), its continuous value and the steps taken; the
    caller evaluates the exact bound of their rounding."""
    f, m = nd.Lnode.shape
    if f <= 1 or iterations <= 0:
        return M, nu, np.zeros(f) if lam is None else lam, -math.inf, 0
    if lam is None:
        Lh = subproblems(nd, directed(nd, split(nd, M, nu, False)), False, nu)
        lam, _ = optimise_lambda(nd, Lh, None, upper, False, 30)
    scale = max(float(nd.q.mean()), 1e-12)    # steps on nu * scale (a cost, as M is)
    cM, cnu, clam = M.astype(np.float64), nu.astype(np.float64), lam.astype(np.float64)
    cval, gM, gnu, glam = _primal(nd, cM, cnu, clam, compiled)
    if not math.isfinite(cval):
        return cM, cnu, clam, cval, 0
    aM, anu, alam = gM, gnu, glam
    best, bM, bnu, blam = cval, cM, cnu, clam
    gap = (lambda b: upper - b) if math.isfinite(upper) else (
        lambda b: 0.05 * max(abs(b), 1.0))
    fstep, reds, mark, done = _F0, 0, best, 0
    okn = nd.allowed[:, :, None]
    for it in range(iterations):
        if (expired is not None and expired()) or best >= upper:
            break
        if it and it % 200 == 0:
            if best - mark <= 1e-5 * max(abs(best), 1.0):
                break
            mark = best
        norm = float((aM * aM).sum() + (anu * anu).sum() / scale ** 2 + (alam * alam).sum())
        if norm <= 0.0:
            break
        step = fstep * gap(best) / norm
        cM = cM + step * aM
        cnu = np.where(okn, np.maximum(cnu + step / scale ** 2 * anu, 0.0), 0.0)
        clam = clam + step * alam
        cval, gM, gnu, glam = _primal(nd, cM, cnu, clam, compiled)
        done = it + 1
        if not math.isfinite(cval):       # no facility assignment fits: infeasible node
            return cM, cnu, clam, cval, it + 1
        aM = _ALPHA * gM + (1 - _ALPHA) * aM
        anu = _ALPHA * gnu + (1 - _ALPHA) * anu
        alam = _ALPHA * glam + (1 - _ALPHA) * alam
        if cval > best:
            best, bM, bnu, blam = cval, cM, cnu, clam
            reds = 0
            fstep = min(fstep * _GROW, 2.0)
        else:
            reds += 1
            if reds >= _REDS:
                fstep = max(fstep * 0.66, _FMIN)
                reds = 0
    return bM, bnu, blam, best, done
