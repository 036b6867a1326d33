"""Certified lower bounds for the GQAP: the ``bound`` solver.

A bound-only computation: the result holds a proven lower bound on the optimal cost and
no solution (status ``bound``, ``gqap.solvers.base.Status``). Methods (``method=``):

- ``lp-rlt1``: the LP relaxation of the Adams-Sherali level-1 (RLT) linearisation that
  ``milp`` builds by default (``solvers.formulations`` data: costs folded onto unordered
  pairs, product variables y[p, k, h] where capacities allow them, assignment rows times
  each x, and with ``rlt_capacity`` the capacity rows times each x where they can cut),
  built here as sparse arrays and solved by HiGHS (``scipy.optimize.linprog``).
- ``lp-gw``: the LP relaxation of the Glover-Woolsey linearisation (``milp
  linearisation=standard``); never stronger than ``lp-rlt1``.
- ``glb``: a Gilmore-Lawler-type bound. For facility i on site k, f[i, k] is its linear
  cost plus the least cost of its traffic with every other facility (each pair cost
  counted half), the others filling the sites' capacities as a continuous transportation
  problem (site k keeps Q_k - q_i); with product costs v t[i, j] (d[k, h] + d[h, k]) and
  nonnegative factors (the Cordeau and Lee & Ma instances, the suite's generator) the
  north-west corner rule solves it exactly (a Monge array). The master problem, a
  generalised assignment problem in f, is bounded by relaxing its assignment constraints
  with multipliers lambda (Ross-Soland: one continuous knapsack per site), raised by
  subgradient steps. O(n m) memory: it reaches the largest instances.
- ``lagrangean``: a Lagrangean relaxation of the RLT model solved by subgradient
  optimisation. The pair products are split between their two facilities, y[(i,k),(j,h)]
  costing c/2 + u in facility i's subproblem and c/2 - u in facility j's (u: multipliers
  of the symmetry constraints y_ikjh = y_jhik). For i on k, the subproblem places every
  other facility j on its cheapest site, except that the facilities sharing site k must fit
  its remaining capacity Q_k - q_i (a continuous knapsack); the master problem is bounded
  as in ``glb``. Subgradient steps on (u, lambda) (Polyak steps towards a local-search
  upper bound) raise it; it needs the pair arrays (n(n-1)/2 m^2 entries).
- ``best`` (default): ``glb``, then ``lagrangean`` for a share of the budget where its
  pair arrays fit (``max_pair_entries``), then ``lp-rlt1`` in what is left where the LP
  fits (``max_lp_columns``); the largest bound is reported.

**Validity in floating point.** Every bound is the value of a Lagrangean function, which
bounds the optimum for *any* multipliers, so no optimality tolerance of an LP code enters:
the LP bound is recomputed here from the duals HiGHS returns,
b^T y + sum_j min(0, (c - A^T y)_j) with each variable in [0, 1], whatever their accuracy.
From each computed value a first-order bound on its floating-point rounding error is
subtracted (``info["margin"]``); when every cost is an integer below 2^53 the optimum is
an integer and the bound is rounded up (``info["bound_raw"]`` keeps the value before). The
LP relaxation of an infeasible instance is reported ``infeasible`` only when HiGHS says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status
from gqap.solvers.formulations import (
    GQAPModelData,
    check_model_data,
    gqap_model_data,
    gqap_start,
    scaled_gqap_data,
)
from gqap.solvers.gqap_delta import GQAPDelta

METHODS = ("best", "glb", "lagrangean", "lp-rlt1", "lp-gw")
LP_METHODS = ("highs", "highs-ds", "highs-ipm", "highs-ipx")
_EPS = 2.0 ** -53  # unit roundoff of float64
# Elements of the directed (i, k, j, h) cost blocks the Lagrangean holds at once.
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class BoundOptions:
    """Options of ``bound``.

    method: 'best' (Gilmore-Lawler-type, Lagrangean, then the RLT LP in the time left; the
    largest), 'glb' (Gilmore-Lawler-type), 'lagrangean', 'lp-rlt1' (LP relaxation of the
    RLT level-1 model) or 'lp-gw' (of Glover-Woolsey);
    rlt_capacity: the RLT LP includes the capacity x variable products (as ``milp``);
    lp_method: HiGHS's LP algorithm ('highs' chooses, 'highs-ds' dual simplex, 'highs-ipm'
    interior point, all through scipy; 'highs-ipx': interior point through highspy, without
    presolve or crossover, stopping at a 1e-6 optimality tolerance, the milp extra);
    max_iterations: Lagrangean subgradient iterations at most;
    lagrangean_share: with 'best' and a time limit, the share of what is left the Lagrangean
    may use before the LP; max_lp_columns: 'best' skips an LP with more columns (it could not
    be solved in time); max_pair_entries: 'best' skips the Lagrangean when its pair arrays
    (n(n-1)/2 m^2 entries, three of them in memory) would be larger.
    """

    method: str = "best"
    rlt_capacity: bool = True
    lp_method: str = "highs-ipm"
    max_iterations: int = 5000
    lagrangean_share: float = 0.5
    max_lp_columns: int = 400_000
    max_pair_entries: int = 8_000_000

    def __post_init__(self) -> None:
        for name, allowed in (("method", METHODS), ("lp_method", LP_METHODS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, name)!r}")
        if self.max_iterations < 0:
            raise ValueError(f"max_iterations must be >= 0, got {self.max_iterations}")
        if not 0.0 < self.lagrangean_share <= 1.0:
            raise ValueError(f"lagrangean_share must lie in (0, 1], got {self.lagrangean_share}")
        for name in ("max_lp_columns", "max_pair_entries"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class BoundResult:
    """One method's answer: the safe bound (None when none was reached), the raw value it
    came from, the rounding margin taken off, status text, seconds, extras."""

    method: str
    bound: float | None
    raw: float | None = None
    margin: float = 0.0
    status: str = ""
    seconds: float = 0.0
    infeasible: bool = False
    info: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def integral_costs(data: GQAPModelData) -> bool:
    """True when every linear and pair cost is an integer below 2^53 in size, so that every
    assignment's cost, hence the optimum, is an integer."""
    lin = data.lin[data.allowed]
    pc = data.pair_cost[data.pair_allowed]
    vals = np.concatenate([lin, pc])
    if vals.size == 0:
        return True
    big = float(np.abs(vals).max())
    total = float(np.abs(lin).sum() + np.abs(pc).sum())
    return bool(np.all(vals == np.round(vals)) and big < 2.0 ** 53 and total < 2.0 ** 53)


def certify(raw: float, margin: float, integral: bool) -> float:
    """The reported bound: ``raw - margin``, rounded up to an integer when the optimum is
    known to be one (``integral``)."""
    safe = raw - margin
    if integral and math.isfinite(safe):
        return float(math.ceil(safe))
    return float(safe)


def upper_bound(inst: GQAPInstance, deadline: Deadline, max_seconds: float) -> float | None:
    """A feasible cost by first-fit-decreasing and best-improvement shifts and swaps (the
    Polyak target of the subgradient steps); None when first-fit fails."""
    start = gqap_start(inst)
    if start is None:
        return None
    state = GQAPDelta(inst, start.assignment)
    t_end = time.perf_counter() + max_seconds
    while time.perf_counter() < t_end and not deadline.expired():
        S, dO, dC, dOs, _ = state.neighbourhood()
        shifts = np.where(dO <= 0.0, S, np.inf)
        shifts[np.arange(state.n), state.x] = np.inf
        i, k = np.unravel_index(int(np.argmin(shifts)), shifts.shape)
        swaps = np.where((dOs <= 0.0) & (state.pair_invalid == 0.0), dC, np.inf)
        a, b = np.unravel_index(int(np.argmin(swaps)), swaps.shape)
        best_shift, best_swap = float(shifts[i, k]), float(swaps[a, b])
        if min(best_shift, best_swap) >= -1e-9 * max(1.0, abs(state.cost)):
            break
        if best_shift <= best_swap:
            state.shift(int(i), int(k))
        else:
            state.swap(int(a), int(b))
    return state.exact_cost() if state.feasible else None


def continuous_knapsack(s: np.ndarray, w: np.ndarray,
                        cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max sum s z subject to sum w z <= cap, 0 <= z <= 1, along the last axis (Dantzig's
    greedy by ratio, exact for the continuous problem): (value, z). Items with s <= 0 are
    never taken; ``cap`` must be >= 0."""
    s = np.asarray(s, dtype=np.float64)
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), s.shape)
    useful = s > 0.0
    safe_w = np.where(w > 0.0, w, 1.0)
    ratio = np.where(useful, np.where(w > 0.0, s / safe_w, np.inf), -1.0)
    order = np.argsort(-ratio, axis=-1, kind="stable")
    s_o = np.take_along_axis(np.where(useful, s, 0.0), order, axis=-1)
    w_o = np.take_along_axis(np.where(useful, w, 0.0), order, axis=-1)
    prev = np.cumsum(w_o, axis=-1) - w_o
    room = np.asarray(cap, dtype=np.float64)[..., None] - prev
    frac = np.where(w_o > 0.0, np.clip(room / np.where(w_o > 0.0, w_o, 1.0), 0.0, 1.0),
                    np.where(room >= 0.0, 1.0, 0.0))
    frac = np.where(s_o > 0.0, frac, 0.0)
    value = (frac * s_o).sum(axis=-1)
    z = np.empty_like(frac)
    np.put_along_axis(z, order, frac, axis=-1)
    return value, z


# ---------------------------------------------------------------------------------------
# Lagrangean relaxation
# ---------------------------------------------------------------------------------------
class _Lagrangean:
    """The dual function L(u, lambda) of the module doc and its subgradient."""

    def __init__(self, data: GQAPModelData) -> None:
        self.data = data
        n, m = data.n, data.m
        self.n, self.m = n, m
        self.q = np.asarray(data.q, dtype=np.float64)
        self.Q = np.asarray(data.Q, dtype=np.float64)
        self.P = len(data.pairs)
        # pair index and direction of every ordered (i, j), i != j
        self.pidx = np.full((n, n), -1, dtype=np.int64)
        if self.P:
            self.pidx[data.pairs[:, 0], data.pairs[:, 1]] = np.arange(self.P)
            self.pidx[data.pairs[:, 1], data.pairs[:, 0]] = np.arange(self.P)
        self.half = np.where(data.pair_allowed, data.pair_cost / 2.0, np.inf)
        self.u = np.zeros((self.P, m, m))
        self.lam = np.zeros(n)
        self.lin = np.where(data.allowed, data.lin, np.inf)
        rows = max(1, _BLOCK_ELEMENTS // max(1, n * m * m))
        self.blocks = [np.arange(s, min(n, s + rows)) for s in range(0, n, rows)]
        # mass of every number the dual function reads, for the rounding margin
        self.abs_half = float(np.abs(data.pair_cost[data.pair_allowed]).sum())
        self.abs_lin = float(np.abs(data.lin[data.allowed]).sum())

    def _directed(self, rows: np.ndarray) -> np.ndarray:
        """D[b, k, j, h]: cost of facility j on h in the subproblem of (rows[b], k)."""
        n = self.n
        i = rows[:, None]
        j = np.arange(n)[None, :]
        p = self.pidx[rows]  # (b, n)
        first = i < j
        pp = np.where(p >= 0, p, 0)
        # i first in the pair: c/2 + u[p, k, h]; i second: c/2 - u[p, h, k] (transposed)
        base = self.half[pp]  # (b, n, m, m) indexed [.., k_first, h_second]
        uu = self.u[pp]
        fwd = base + uu
        bwd = np.swapaxes(base - uu, -1, -2)
        D = np.where(first[:, :, None, None], fwd, bwd)
        D[(p < 0)] = np.inf  # j == i: no partner
        del base, uu, fwd, bwd
        return D.transpose(0, 2, 1, 3)  # (b, k, j, h)

    def subproblems(self, want_y: bool) -> tuple[np.ndarray, dict[str, Any]]:
        """V[i, k] (inf when i cannot sit on k) and, with ``want_y``, what each subproblem
        chose: for every (i, k, j) the share on site k and the best other site."""
        n, m, q, Q = self.n, self.m, self.q, self.Q
        V = np.full((n, m), np.inf)
        on_share = np.zeros((n, m, n))
        off_site = np.zeros((n, m, n), dtype=np.int64)
        mass = 0.0
        eye = np.eye(m, dtype=bool)
        for rows in self.blocks:
            D = self._directed(rows)  # (b, m, n, m)
            on = np.diagonal(D, axis1=1, axis2=3).transpose(0, 2, 1).copy()  # (b, k, j)
            Doff = np.where(eye[None, :, None, :], np.inf, D)
            hbest = np.argmin(Doff, axis=3)
            off = np.take_along_axis(Doff, hbest[..., None], axis=3)[..., 0]
            del Doff
            finite = np.isfinite(D)
            mass += float(np.abs(np.where(finite, D, 0.0)).sum())
            del D, finite
            partner = self.pidx[rows] >= 0  # (b, j)
            partner = np.broadcast_to(partner[:, None, :], on.shape)
            forced = partner & ~np.isfinite(off) & np.isfinite(on)
            dead = partner & ~np.isfinite(off) & ~np.isfinite(on)
            free_ = partner & np.isfinite(off)
            base = np.where(free_, off, 0.0) + np.where(forced, on, 0.0)
            cap = Q[None, :] - q[rows][:, None] - (forced * q[None, None, :]).sum(axis=2)
            saving = np.where(free_ & np.isfinite(on), off - on, 0.0)
            value, z = continuous_knapsack(saving, q[None, None, :], np.maximum(cap, 0.0))
            Vb = base.sum(axis=2) - value
            bad = dead.any(axis=2) | (cap < 0.0) | ~self.data.allowed[rows]
            Vb[bad] = np.inf
            V[rows] = Vb
            if want_y:
                on_share[rows] = np.where(forced, 1.0, np.where(free_, z, 0.0))
                off_site[rows] = hbest
        return V, {"on": on_share, "off_site": off_site, "mass": mass}

    def evaluate(self, want_y: bool = False) -> tuple[float, float, dict[str, Any]]:
        """(L(u, lambda), rounding margin, parts) at the current multipliers."""
        n, m = self.n, self.m
        with np.errstate(invalid="ignore"):
            V, parts = self.subproblems(want_y)
        f = self.lin + V  # inf where i cannot sit on k
        saving = np.maximum(self.lam[:, None] - f, 0.0).T  # (k, i)
        value, zT = continuous_knapsack(saving, self.q[None, :], np.maximum(self.Q, 0.0))
        L = float(self.lam.sum() - value.sum())
        finite_f = np.where(np.isfinite(f), np.abs(f), 0.0)
        # Every sum here has at most 2n + m + 8 terms; each number enters with weight <= 1
        # except lambda (once per site and once in the sum) and the directed costs (the
        # absolute mass of the subproblems). First-order error bound, doubled.
        depth = 2 * n + m + 8
        total = (parts["mass"] + self.abs_lin + float(finite_f.sum())
                 + (m + 1) * float(np.abs(self.lam).sum()) + float(np.abs(value).sum()))
        margin = 2.0 * depth * _EPS * total
        parts.update(V=V, f=f, z=zT.T)
        return L, margin, parts

    def subgradient(self, parts: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(flat indices into u, g_u there, g_lambda) at the point ``parts`` was evaluated
        at; g_u is zero elsewhere (only facilities the master takes contribute)."""
        m = self.m
        z = parts["z"]  # (i, k) master shares
        g_lam = 1.0 - z.sum(axis=1)
        on, off_site = parts["on"], parts["off_site"]
        idx, val = [], []
        ii, kk = np.nonzero(z > 0.0)
        for i, k in zip(ii.tolist(), kk.tolist(), strict=True):
            w = z[i, k]
            j = np.flatnonzero(self.pidx[i] >= 0)
            if j.size == 0:
                continue
            p = self.pidx[i, j]
            first = i < j
            share = on[i, k, j]
            hoff = off_site[i, k, j]
            # i first in pair p: its subproblem reads u[p, k, h] with +; i second: u[p, h, k]
            # with - (h: the partner's site)
            sign = np.where(first, 1.0, -1.0)
            idx += [(p * m + k) * m + k,
                    np.where(first, (p * m + k) * m + hoff, (p * m + hoff) * m + k)]
            val += [sign * w * share, sign * w * (1.0 - share)]
        if not idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0), g_lam
        flat, inverse = np.unique(np.concatenate(idx), return_inverse=True)
        g = np.bincount(inverse, weights=np.concatenate(val), minlength=flat.size)
        keep = g != 0.0
        return flat[keep], g[keep], g_lam


class _Subgradient:
    """Step control shared by the subgradient loops: keeps the best value (raw value and
    rounding margin), takes Polyak steps toward ``upper`` (else 5 % above the best) and
    halves the step after 20 evaluations without gain; ``stop`` says when to end and
    ``status`` why. A value counts as the new best when it beats the best by more than
    ``accept_rel`` (relative), and restarts the stall count when it beats it by more than
    ``reset_rel``."""

    def __init__(self, upper: float | None, max_iterations: int, deadline: Deadline,
                 accept_rel: float, reset_rel: float) -> None:
        self.upper, self.max_iterations, self.deadline = upper, max_iterations, deadline
        self.accept_rel, self.reset_rel = accept_rel, reset_rel
        self.best, self.margin = -math.inf, 0.0
        self.theta, self.stall, self.it = 2.0, 0, 0
        self.status = "iteration limit"

    def stop(self, L: float, margin: float) -> bool:
        """Record the value ``L`` (safe value ``L - margin``); True when the loop ends."""
        value, best, scale = L - margin, self.best - self.margin, max(1.0, abs(L))
        if value > best + self.accept_rel * scale:
            self.best, self.margin = L, margin
            if value > best + self.reset_rel * scale:
                self.stall = 0
        else:
            self.stall += 1
        up = self.upper
        if up is not None and self.best - self.margin >= up - 1e-9 * max(1.0, abs(up)):
            self.status = "reached the upper bound"
            return True
        if self.it >= self.max_iterations:
            return True
        if self.deadline.expired():
            self.status = "time limit"
            return True
        if self.stall >= 20:
            self.theta, self.stall = self.theta / 2.0, 0
            if self.theta < 1e-4:
                self.status = "converged (step below 1e-4)"
                return True
        return False

    def step(self, L: float, norm: float) -> float:
        """The step length along a subgradient of squared norm ``norm`` from value ``L``."""
        best = self.best
        goal = self.upper if self.upper is not None else best + 0.05 * max(1.0, abs(best))
        self.it += 1
        return self.theta * max(goal - L, 1e-9 * max(1.0, abs(L))) / norm


def lagrangean_bound(inst: GQAPInstance, deadline: Deadline, max_iterations: int = 5000,
                     data: GQAPModelData | None = None,
                     upper: float | None = None) -> BoundResult:
    """The Lagrangean bound of the module doc: the best L(u, lambda) reached by subgradient
    steps within ``deadline`` and ``max_iterations`` (iteration 0 is the Gilmore-Lawler-type
    bound at u = 0), minus its rounding margin, rounded up for integral costs."""
    t0 = time.perf_counter()
    data = gqap_model_data(inst) if data is None else data
    integral = integral_costs(data)
    lag = _Lagrangean(data)
    # Start: lambda_i = min_k f[i, k] (the capacity-free bound).
    with np.errstate(invalid="ignore"):
        V, _ = lag.subproblems(False)
    f = lag.lin + V
    if not np.all(np.isfinite(f).any(axis=1)):
        return BoundResult("lagrangean", None, status="infeasible: a facility fits no site "
                           "together with the others", seconds=time.perf_counter() - t0,
                           infeasible=True)
    lag.lam = np.where(np.isfinite(f), f, np.inf).min(axis=1)
    sg = _Subgradient(upper, max_iterations, deadline, accept_rel=0.0, reset_rel=1e-6)
    first_value = None
    while True:
        L, margin, parts = lag.evaluate(want_y=True)
        if first_value is None:
            first_value = L - margin
        if sg.stop(L, margin):
            break
        g_idx, g_u, g_lam = lag.subgradient(parts)
        norm = float((g_u * g_u).sum() + (g_lam * g_lam).sum())
        if norm <= 0.0:
            sg.status = "zero subgradient (optimal multipliers)"
            break
        step = sg.step(L, norm)
        lag.u.reshape(-1)[g_idx] += step * g_u
        lag.lam += step * g_lam
    best_raw, best_margin, it, status = sg.best, sg.margin, sg.it, sg.status
    bound = certify(best_raw, best_margin, integral)
    return BoundResult("lagrangean", bound, best_raw, best_margin, status,
                       time.perf_counter() - t0,
                       info={"iterations": it, "first_bound": first_value,
                             "upper_target": upper, "integral_costs": integral})


# ---------------------------------------------------------------------------------------
# Gilmore-Lawler-type bound with transportation subproblems
# ---------------------------------------------------------------------------------------
def product_structure(inst: GQAPInstance) -> bool:
    """True when every pair cost is a product of a facility-pair and a site-pair term with
    nonnegative factors (symmetric nonnegative traffic, nonnegative distances, v >= 0), as
    in the Cordeau and Lee & Ma instances and the suite's generator: pair cost
    v t[i, j] (d[k, h] + d[h, k])."""
    t, d = np.asarray(inst.t), np.asarray(inst.d)
    return bool(np.array_equal(t, t.T) and (t >= 0).all() and (d >= 0).all()
                and inst.v >= 0)


def transport_values(inst: GQAPInstance) -> tuple[np.ndarray, float]:
    """V[i, k] (inf where q_i > Q_k) and its rounding margin: for facility i on site k, the
    least cost of the others' traffic with i when they fill the sites' capacities as a
    continuous transportation problem (site k keeps Q_k - q_i), each pair cost counted
    half. With product costs (``product_structure``) the cost of j on h is
    c_j e_h = (v t[i, j] / 2)(d[k, h] + d[h, k]); facilities by c_j / q_j descending
    against sites by e_h ascending make a Monge array, so the north-west corner rule
    (fill the nearest sites with the densest traffic first) is optimal (Hoffman 1963)."""
    n, m = inst.n, inst.m
    q, Q = np.asarray(inst.q, dtype=np.float64), np.asarray(inst.Q, dtype=np.float64)
    c = inst.v * np.asarray(inst.t, dtype=np.float64) / 2.0
    e = np.asarray(inst.d, dtype=np.float64) + np.asarray(inst.d, dtype=np.float64).T
    V = np.full((n, m), np.inf)
    mass = 0.0
    zero = q <= 0.0
    for i in range(n):
        others = np.flatnonzero((np.arange(n) != i) & ~zero)
        light = np.flatnonzero((np.arange(n) != i) & zero)
        a = c[i, others] / q[others]
        order = np.argsort(-a, kind="stable")
        a_o, w_o = a[order], q[others][order]
        W = np.concatenate([[0.0], np.cumsum(w_o)])
        for k in range(m):
            if q[i] > Q[k]:
                continue
            cap = Q.copy()
            cap[k] -= q[i]
            sites = np.argsort(e[k], kind="stable")
            C = np.concatenate([[0.0], np.cumsum(cap[sites])])
            E = np.concatenate([[0.0], np.cumsum(cap[sites] * e[k, sites])])
            if W[-1] > C[-1]:
                continue  # the others do not fit: i cannot sit on k
            Ew = np.interp(W, C, E)
            heavy = float((a_o * np.diff(Ew)).sum())
            free = float(c[i, light].sum() * e[k].min()) if light.size else 0.0
            V[i, k] = heavy + free
            emax = float(e[k].max())
            mass += (float(a_o.sum()) * W[-1] + float(c[i].sum())) * emax + abs(V[i, k])
    return V, 4.0 * (n + m + 8) * _EPS * mass


def _master(f: np.ndarray, q: np.ndarray, Q: np.ndarray,
            lam: np.ndarray) -> tuple[float, float, np.ndarray]:
    """The Ross-Soland dual of the generalised assignment problem min sum f x (one site per
    facility, capacities) at multipliers ``lam``, with continuous knapsacks:
    (value, rounding margin, the knapsacks' shares z[i, k])."""
    saving = np.maximum(lam[:, None] - f, 0.0).T  # (k, i); f = inf gives 0
    value, zT = continuous_knapsack(saving, q[None, :], np.maximum(Q, 0.0))
    L = float(lam.sum() - value.sum())
    n, m = f.shape
    finite = np.where(np.isfinite(f), np.abs(f), 0.0)
    margin = 2.0 * (2 * n + m + 8) * _EPS * (float(finite.sum()) + (m + 1)
                                             * float(np.abs(lam).sum())
                                             + float(np.abs(value).sum()))
    return L, margin, zT.T


def gap_dual(f: np.ndarray, q: np.ndarray, Q: np.ndarray, deadline: Deadline,
             max_iterations: int, upper: float | None) -> tuple[float, float, int, str]:
    """The best Ross-Soland bound on min sum f x over the generalised assignment problem,
    by subgradient steps on the assignment multipliers from lambda_i = min_k f[i, k]:
    (value, its rounding margin, iterations, why it stopped)."""
    lam = np.where(np.isfinite(f), f, np.inf).min(axis=1)
    sg = _Subgradient(upper, max_iterations, deadline, accept_rel=1e-9, reset_rel=1e-9)
    while True:
        L, margin, z = _master(f, q, Q, lam)
        if sg.stop(L, margin):
            break
        g = 1.0 - z.sum(axis=1)
        norm = float(g @ g)
        if norm <= 0.0:
            sg.status = "zero subgradient (optimal multipliers)"
            break
        lam = lam + sg.step(L, norm) * g
    best, best_margin, it, status = sg.best, sg.margin, sg.it, sg.status
    return best, best_margin, it, status


def glb_bound(inst: GQAPInstance, deadline: Deadline, max_iterations: int = 5000,
              data: GQAPModelData | None = None, upper: float | None = None) -> BoundResult:
    """A Gilmore-Lawler-type bound: f[i, k] = the linear cost of i on k plus the least cost
    of its traffic with the others (``transport_values`` with product costs; otherwise each
    other facility on its cheapest site with site k's capacity as a knapsack, the
    Lagrangean's subproblem at u = 0), then the Ross-Soland dual of the generalised
    assignment problem in f. Needs O(n m) memory only (no pair arrays) with product costs."""
    t0 = time.perf_counter()
    q, Q = np.asarray(inst.q, dtype=np.float64), np.asarray(inst.Q, dtype=np.float64)
    lin = np.asarray(inst.a, dtype=np.float64) + inst.v * np.outer(np.diag(inst.t),
                                                                   np.diag(inst.d))
    if product_structure(inst):
        V, margin_v = transport_values(inst)
        how = "transportation subproblems (product costs)"
        # Integer linear costs, v t and d make every pair cost v t[i, j] e[k, h] an integer.
        lin_ok, vt = lin[q[:, None] <= Q[None, :]], inst.v * np.asarray(inst.t)
        top = float(np.abs(lin_ok).sum() + np.abs(vt).sum() * 2.0 * np.abs(inst.d).max())
        integral = bool(all(np.all(x == np.round(x)) for x in (lin_ok, vt, inst.d))
                        and top < 2.0 ** 53)
    else:
        data = gqap_model_data(inst) if data is None else data
        lag = _Lagrangean(data)
        with np.errstate(invalid="ignore"):
            V, parts = lag.subproblems(False)
        margin_v = 2.0 * (2 * inst.n + inst.m + 8) * _EPS * parts["mass"]
        how = "independent cheapest sites with a knapsack on the facility's own site"
        integral = integral_costs(data)
    deadline.check("computing the Gilmore-Lawler subproblems")
    f = np.where(q[:, None] <= Q[None, :], lin + V, np.inf)
    if not np.all(np.isfinite(f).any(axis=1)):
        return BoundResult("glb", None, status="infeasible: a facility fits no site "
                           "together with the others", seconds=time.perf_counter() - t0,
                           infeasible=True)
    first = float(np.where(np.isfinite(f), f, np.inf).min(axis=1).sum())
    raw, margin, it, status = gap_dual(f, q, Q, deadline, max_iterations, upper)
    margin += margin_v
    return BoundResult("glb", certify(raw, margin, integral), raw, margin, status,
                       time.perf_counter() - t0,
                       info={"iterations": it, "first_bound": float(first - margin),
                             "subproblems": how, "upper_target": upper,
                             "integral_costs": integral})


# ---------------------------------------------------------------------------------------
# LP relaxations
# ---------------------------------------------------------------------------------------
@dataclass
class LPArrays:
    """A minimisation LP: c x, A_ub x <= b_ub, A_eq x = b_eq, 0 <= x <= 1 (sparse)."""

    c: np.ndarray
    A_ub: Any
    b_ub: np.ndarray
    A_eq: Any
    b_eq: np.ndarray
    cost_scale: float = 1.0

    @property
    def columns(self) -> int:
        """Number of variables."""
        return int(self.c.size)


def lp_columns(data: GQAPModelData, linearisation: str) -> int:
    """Columns of the LP ``lp_arrays`` builds (x plus the product variables)."""
    n_x = int(data.allowed.sum())
    if linearisation == "rlt":
        return n_x + int(data.pair_allowed.sum())
    return n_x + int(((data.pair_cost != 0.0) & data.pair_allowed).sum())


def lp_arrays(data: GQAPModelData, linearisation: str = "rlt",
              rlt_capacity: bool = True) -> LPArrays:
    """The LP relaxation of ``milp``'s GQAP model (``linearisation`` 'rlt' or 'standard',
    docs/MILP.md) as sparse arrays, every variable in [0, 1] (implied for the products).

    Costs outside [2^-40, 2^40] are rescaled by a power of two (``cost_scale``, exact) and
    capacities above the total weight become the total, as in ``milp``."""
    from scipy import sparse

    n, m = data.n, data.m
    scaled, s = scaled_gqap_data(data)
    q, Q = scaled.q, scaled.Q
    xid = np.full((n, m), -1, dtype=np.int64)
    n_x = int(data.allowed.sum())
    xid[data.allowed] = np.arange(n_x)
    mask = data.pair_allowed if linearisation == "rlt" else \
        data.pair_allowed & (data.pair_cost != 0.0)
    yp, yk, yh = np.nonzero(mask)
    n_y = yp.size
    yid = n_x + np.arange(n_y)
    c = np.concatenate([data.lin[data.allowed], data.pair_cost[yp, yk, yh]]) * s
    yi, yj = data.pairs[yp, 0], data.pairs[yp, 1]
    ai, ak = np.nonzero(data.allowed)

    eq_r, eq_c, eq_v, b_eq = [ai], [xid[ai, ak]], [np.ones(ai.size)], [np.ones(n)]
    ub_r, ub_c, ub_v = [ak], [xid[ai, ak]], [q[ai]]
    b_ub = [Q]
    n_eq, n_ub = n, m
    if linearisation == "rlt":
        P = len(data.pairs)
        # ra[p, h]: sum_k y[p, k, h] - x[j, h] = 0 where (j, h) is allowed
        j_all = data.pairs[:, 1]
        ra_ok = data.allowed[j_all]  # (P, m)
        ra_id = np.full((P, m), -1, dtype=np.int64)
        ra_id[ra_ok] = n_eq + np.arange(int(ra_ok.sum()))
        n_eq += int(ra_ok.sum())
        pp, hh = np.nonzero(ra_ok)
        eq_r += [ra_id[yp, yh], ra_id[pp, hh]]
        eq_c += [yid, xid[j_all[pp], hh]]
        eq_v += [np.ones(n_y), -np.ones(pp.size)]
        b_eq.append(np.zeros(pp.size))
        # rb[p, k]: sum_h y[p, k, h] - x[i, k] = 0 where (i, k) is allowed
        i_all = data.pairs[:, 0]
        rb_ok = data.allowed[i_all]
        rb_id = np.full((P, m), -1, dtype=np.int64)
        rb_id[rb_ok] = n_eq + np.arange(int(rb_ok.sum()))
        n_eq += int(rb_ok.sum())
        pp, kk = np.nonzero(rb_ok)
        eq_r += [rb_id[yp, yk], rb_id[pp, kk]]
        eq_c += [yid, xid[i_all[pp], kk]]
        eq_v += [np.ones(n_y), -np.ones(pp.size)]
        b_eq.append(np.zeros(pp.size))
        if rlt_capacity:
            # rc[j, h, k]: sum_{i != j} q_i y[(i,k),(j,h)] - (Q_k - q_j [k = h]) x[j, h] <= 0
            others = q.sum() - q
            rhs = Q[None, None, :] - np.where(np.eye(m, dtype=bool)[None, :, :],
                                              q[:, None, None], 0.0)
            cut = data.allowed[:, :, None] & (others[:, None, None] > rhs)
            rc_id = np.full((n, m, m), -1, dtype=np.int64)
            rc_id[cut] = n_ub + np.arange(int(cut.sum()))
            n_ub += int(cut.sum())
            # y(p, k, h): i = first on k, j = second on h -> row (j, h, k) with q_i and
            # row (i, k, h) with q_j
            r1 = rc_id[yj, yh, yk]
            r2 = rc_id[yi, yk, yh]
            k1, k2 = r1 >= 0, r2 >= 0
            jj, hh, kk = np.nonzero(cut)
            ub_r += [r1[k1], r2[k2], rc_id[jj, hh, kk]]
            ub_c += [yid[k1], yid[k2], xid[jj, hh]]
            ub_v += [q[yi[k1]], q[yj[k2]], -rhs[jj, hh, kk]]
            b_ub.append(np.zeros(int(cut.sum())))
    else:
        pos = c[n_x:] > 0
        # y >= x_ik + x_jh - 1  ->  x_ik + x_jh - y <= 1   (positive costs)
        ids = np.flatnonzero(pos)
        rows = n_ub + np.arange(ids.size)
        ub_r += [rows, rows, rows]
        ub_c += [xid[yi[ids], yk[ids]], xid[yj[ids], yh[ids]], yid[ids]]
        ub_v += [np.ones(ids.size), np.ones(ids.size), -np.ones(ids.size)]
        b_ub.append(np.ones(ids.size))
        n_ub += ids.size
        # y <= x_ik and y <= x_jh   (negative costs)
        ids = np.flatnonzero(~pos)
        for side in (0, 1):
            rows = n_ub + np.arange(ids.size)
            xs = xid[yi[ids], yk[ids]] if side == 0 else xid[yj[ids], yh[ids]]
            ub_r += [rows, rows]
            ub_c += [yid[ids], xs]
            ub_v += [np.ones(ids.size), -np.ones(ids.size)]
            b_ub.append(np.zeros(ids.size))
            n_ub += ids.size
    cols = n_x + n_y
    A_eq = sparse.csr_matrix((np.concatenate(eq_v), (np.concatenate(eq_r),
                                                     np.concatenate(eq_c))), shape=(n_eq, cols))
    A_ub = sparse.csr_matrix((np.concatenate(ub_v), (np.concatenate(ub_r),
                                                     np.concatenate(ub_c))), shape=(n_ub, cols))
    return LPArrays(c, A_ub, np.concatenate(b_ub), A_eq, np.concatenate(b_eq), s)


def dual_bound(lp: LPArrays, y_ub: np.ndarray, y_eq: np.ndarray) -> tuple[float, float]:
    """(value, rounding margin) of the Lagrangean function of ``lp`` at multipliers mu =
    max(0, -y_ub) (inequalities) and lambda = -y_eq (equalities), with every variable in
    [0, 1]: -b_ub mu - b_eq lambda + sum_j min(0, (c + A_ub^T mu + A_eq^T lambda)_j).
    A lower bound on the LP optimum for any multipliers (HiGHS's duals, in scipy's sign
    convention, make it the LP optimum)."""
    mu = np.maximum(-np.nan_to_num(np.asarray(y_ub, dtype=np.float64)), 0.0)
    lam = -np.nan_to_num(np.asarray(y_eq, dtype=np.float64))
    r = lp.c + lp.A_ub.T @ mu + lp.A_eq.T @ lam
    neg = np.minimum(r, 0.0)
    value = float(-(lp.b_ub @ mu) - (lp.b_eq @ lam) + neg.sum())
    # First-order rounding error: every column sum has at most `col` terms, every total
    # at most `rows` or `cols` terms; doubled.
    absA = abs(lp.A_ub).T @ mu + abs(lp.A_eq).T @ np.abs(lam)
    col = int(max(np.diff(lp.A_ub.tocsc().indptr).max(initial=0)
                  + np.diff(lp.A_eq.tocsc().indptr).max(initial=0), 1))
    rows = lp.b_ub.size + lp.b_eq.size
    margin = 2.0 * _EPS * ((col + 2) * float((np.abs(lp.c) + absA).sum())
                           + (rows + 2) * float(np.abs(lp.b_ub * mu).sum()
                                                + np.abs(lp.b_eq * lam).sum())
                           + (lp.columns + 2) * float(np.abs(neg).sum()))
    return value / lp.cost_scale, margin / lp.cost_scale


# HiGHS runs in a child process: its interior-point code does not check the time limit
# scipy hands it, so the child is stopped at the deadline (``gqap.solvers.process``). The
# LP travels as a .npz file; the answer comes back as one.
_LP_CHILD = r"""
import sys
import time
import numpy as np
from scipy import sparse
from scipy.optimize import linprog
d = np.load(sys.argv[1])
def mat(p):
    return sparse.csr_matrix((d[p + "data"], d[p + "indices"], d[p + "indptr"]),
                             shape=tuple(d[p + "shape"]))
limit = float(d["time_limit"])
if str(d["method"]) == "highs-ipx":
    import highspy
    A_ub, A_eq = mat("ub_"), mat("eq_")
    A = sparse.vstack([A_ub, A_eq]).tocsc()
    n_ub = A_ub.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = d["c"]
    lp.col_lower_, lp.col_upper_ = np.zeros(A.shape[1]), np.ones(A.shape[1])
    lp.row_lower_ = np.concatenate([np.full(n_ub, -np.inf), d["b_eq"]])
    lp.row_upper_ = np.concatenate([d["b_ub"], d["b_eq"]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")  # the interior iterate's duals are enough
    h.setOptionValue("threads", 1)
    # The duals are certified afterwards (dual_bound), so a looser stopping tolerance costs
    # at most about 1e-6 of the bound and spares the last iterations where IPX can stall.
    h.setOptionValue("ipm_optimality_tolerance", 1e-6)
    # HiGHS's presolve leaves IPX stalled ("no progress") on several Cordeau RLT LPs (30-10-65
    # among them) that it solves in seconds without it.
    h.setOptionValue("presolve", "off")
    h.passModel(lp)
    if limit > 0:  # what is left of the caller's budget after this child's start-up
        h.setOptionValue("time_limit", max(float(d["deadline"]) - time.time(), 0.01))
    h.run()
    status = h.getModelStatus()
    sol = h.getSolution()
    S = highspy.HighsModelStatus
    code = 0 if status == S.kOptimal else 2 if status == S.kInfeasible else 1  # as scipy
    out = {"status": np.array(code), "message": np.array(h.modelStatusToString(status)),
           "fun": np.array(float(h.getInfo().objective_function_value) if code == 0
                           else np.nan)}
    if sol.dual_valid:
        y = np.asarray(sol.row_dual, dtype=np.float64)
        out["y_ub"], out["y_eq"] = y[:n_ub], y[n_ub:]
else:
    opts = {"presolve": True, "disp": False}
    if limit > 0:
        opts["time_limit"] = limit
    res = linprog(d["c"], A_ub=mat("ub_"), b_ub=d["b_ub"], A_eq=mat("eq_"), b_eq=d["b_eq"],
                  bounds=(0.0, 1.0), method=str(d["method"]), options=opts)
    out = {"status": np.array(int(res.status)), "message": np.array(str(res.message)),
           "fun": np.array(np.nan if res.fun is None else float(res.fun))}
    for part, key in (("ineqlin", "y_ub"), ("eqlin", "y_eq")):
        m = getattr(getattr(res, part, None), "marginals", None)
        if m is not None:
            out[key] = np.asarray(m, dtype=np.float64)
np.savez(sys.argv[2], **out)
"""
_LP_GRACE_S = 0.5


def solve_lp(lp: LPArrays, deadline: Deadline, lp_method: str = "highs-ipm") -> dict[str, Any]:
    """Solve ``lp`` with HiGHS (``scipy.optimize.linprog``) in a child process stopped at
    ``deadline``: {status (scipy's code, None when stopped), message, fun, y_ub, y_eq}."""
    import os
    import subprocess
    import sys
    import tempfile

    from gqap.solvers.process import spawn, wait_until

    with tempfile.TemporaryDirectory(prefix="gqap-bound-") as tmp:
        src, dst = os.path.join(tmp, "lp.npz"), os.path.join(tmp, "answer.npz")
        left = deadline.remaining()
        arrays: dict[str, Any] = {"c": lp.c, "b_ub": lp.b_ub, "b_eq": lp.b_eq,
                                  "method": np.array(lp_method),
                                  "time_limit": np.array(0.0 if math.isinf(left)
                                                         else max(left - 0.2, 0.01)),
                                  "deadline": np.array(time.time() + left - 0.3)}
        for prefix, A in (("ub_", lp.A_ub), ("eq_", lp.A_eq)):
            arrays.update({prefix + "data": A.data, prefix + "indices": A.indices,
                           prefix + "indptr": A.indptr, prefix + "shape": np.array(A.shape)})
        np.savez(src, **arrays)
        deadline.check("writing the LP")
        proc = spawn([sys.executable, "-c", _LP_CHILD, src, dst],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stopped = wait_until(proc, deadline, _LP_GRACE_S, interrupt=False)
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if stopped or not os.path.exists(dst):
            why = "stopped at the time limit" if stopped else \
                f"HiGHS child failed: {err.splitlines()[-1] if err else proc.returncode}"
            return {"status": None, "message": why}
        with np.load(dst) as ans:
            out = {k: ans[k] for k in ans.files}
    return {"status": int(out["status"]), "message": str(out["message"]),
            "fun": float(out["fun"]), "y_ub": out.get("y_ub"), "y_eq": out.get("y_eq")}


def lp_bound(inst: GQAPInstance, deadline: Deadline, linearisation: str = "rlt",
             rlt_capacity: bool = True, lp_method: str = "highs-ipm",
             data: GQAPModelData | None = None) -> BoundResult:
    """The LP-relaxation bound of ``milp``'s model with HiGHS, certified from its duals;
    the LP is solved in a child process stopped at ``deadline``."""
    name = "lp-rlt1" if linearisation == "rlt" else "lp-gw"
    if lp_method == "highs-ipx":
        import importlib.util

        if importlib.util.find_spec("highspy") is None:
            raise GQAPError("solver bound: lp_method=highs-ipx needs highspy "
                            "(pip install 'gqap-bench[milp]')")
    t0 = time.perf_counter()
    data = gqap_model_data(inst) if data is None else data
    integral = integral_costs(data)
    lp = lp_arrays(data, linearisation, rlt_capacity)
    deadline.check(f"building the {name} LP")
    build_s = time.perf_counter() - t0
    res = solve_lp(lp, deadline, lp_method)
    info = {"columns": lp.columns, "rows": int(lp.b_ub.size + lp.b_eq.size),
            "nonzeros": int(lp.A_ub.nnz + lp.A_eq.nnz), "build_time_s": build_s,
            "lp_status": res["status"], "lp_message": str(res["message"])[:200],
            "integral_costs": integral}
    seconds = time.perf_counter() - t0
    if res["status"] is None:
        return BoundResult(name, None, status=f"time limit: {res['message']}"[:200],
                           seconds=seconds, info=info)
    if res["status"] == 2:
        return BoundResult(name, None, status="infeasible (HiGHS)", seconds=seconds,
                           infeasible=True, info=info)
    duals = (res.get("y_ub"), res.get("y_eq"))
    if any(d is None or np.size(d) != size or not np.all(np.isfinite(d)) for d, size in
           zip(duals, (lp.b_ub.size, lp.b_eq.size), strict=True)):
        return BoundResult(name, None, status=f"no duals ({res['message']})"[:200],
                           seconds=seconds, info=info)
    raw, margin = dual_bound(lp, duals[0], duals[1])
    if res["status"] == 0 and math.isfinite(res["fun"]):
        info["lp_value"] = res["fun"] / lp.cost_scale
    status = "optimal" if res["status"] == 0 else f"stopped ({res['message']})"[:200]
    return BoundResult(name, certify(raw, margin, integral), raw, margin, status,
                       time.perf_counter() - t0, info=info)


# ---------------------------------------------------------------------------------------
# the solver
# ---------------------------------------------------------------------------------------
class BoundSolver(Solver):
    """Certified lower bound on a GQAP's optimum (LP relaxations, Lagrangean); no solution."""

    name = "bound"
    families = ("classic",)
    Options = BoundOptions
    bound_only = True

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        opts: BoundOptions = self.options
        assert isinstance(instance, GQAPInstance)
        info: dict[str, Any] = {"method": opts.method, "bounds": {}, "seconds": {},
                                "statuses": {}}
        results: list[BoundResult] = []
        try:
            data = None
            plan = self._plan(opts, instance)
            info["plan"] = plan
            if plan != ["glb"] or not product_structure(instance):
                data = gqap_model_data(instance)
                check_model_data("bound", data)
                info["integral_costs"] = integral_costs(data)
            up = None
            if any(m in plan for m in ("glb", "lagrangean")):
                left = deadline.remaining()
                up = upper_bound(instance, deadline, max_seconds=min(2.0, 0.05 * left))
                info["upper_heuristic"] = up
            for method in plan:
                if deadline.expired():
                    info["statuses"][method] = "not started: no time left"
                    continue
                if method == "glb":
                    res = glb_bound(instance, deadline, opts.max_iterations, data, up)
                elif method == "lagrangean":
                    share = opts.lagrangean_share if plan[-1] != method else 1.0
                    left = deadline.remaining()
                    sub = Deadline(None if math.isinf(left) else left * share)
                    res = lagrangean_bound(instance, sub, opts.max_iterations, data, up)
                else:
                    lin = "rlt" if method == "lp-rlt1" else "standard"
                    try:
                        res = lp_bound(instance, deadline, lin, opts.rlt_capacity,
                                       opts.lp_method, data)
                    except DeadlineExpired as exc:
                        res = BoundResult(method, None, status=f"time limit: {exc}")
                results.append(res)
                if res.infeasible:
                    break
        except DeadlineExpired as exc:
            info["time_limit_reason"] = str(exc)
        except MemoryError as exc:
            raise GQAPError(f"solver bound: out of memory ({exc})") from None
        for res in results:
            info["bounds"][res.method] = res.bound
            info["seconds"][res.method] = res.seconds
            info["statuses"][res.method] = res.status
            for key, value in res.info.items():
                info[f"{res.method}.{key}"] = value
        if any(r.infeasible for r in results):
            return SolverOutput(None, Status.INFEASIBLE, info=info)
        found = [r for r in results if r.bound is not None]
        if not found:
            return SolverOutput(None, Status.TIME_LIMIT if time_limit is not None
                                else Status.ERROR, info=info)
        best = max(found, key=lambda r: r.bound)
        info.update(bound_method=best.method, bound_raw=best.raw, margin=best.margin)
        return SolverOutput(None, Status.BOUND, bound=best.bound, info=info)

    @staticmethod
    def _plan(opts: BoundOptions, inst: GQAPInstance) -> list[str]:
        """The methods to run: the one asked for, or for 'best' the Gilmore-Lawler-type
        bound, the Lagrangean while its pair arrays stay within ``max_pair_entries`` and
        the RLT LP while it has at most ``max_lp_columns`` columns (counted from the
        dimensions: every product a column)."""
        if opts.method != "best":
            return [opts.method]
        pairs = inst.n * (inst.n - 1) // 2 * inst.m * inst.m
        plan = ["glb"]
        if pairs <= opts.max_pair_entries:
            plan.append("lagrangean")
        if inst.n * inst.m + pairs <= opts.max_lp_columns:
            plan.append("lp-rlt1")
        return plan
