"""The Gilmore-Lawler-type bound with transportation subproblems (method ``glb``): O(n m)
memory, so it reaches the largest instances."""

from __future__ import annotations

import time

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.solvers.base import Deadline
from gqap.solvers.bounds.certificate import (
    EPS,
    BoundResult,
    Subgradient,
    certify,
    continuous_knapsack,
    integral_costs,
)
from gqap.solvers.bounds.lagrangean import Lagrangean
from gqap.solvers.formulations import GQAPModelData, gqap_model_data


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
    return V, 4.0 * (n + m + 8) * EPS * mass


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
    margin = 2.0 * (2 * n + m + 8) * EPS * (float(finite.sum()) + (m + 1)
                                             * float(np.abs(lam).sum())
                                             + float(np.abs(value).sum()))
    return L, margin, zT.T


def gap_dual(f: np.ndarray, q: np.ndarray, Q: np.ndarray, deadline: Deadline,
             max_iterations: int, upper: float | None) -> tuple[float, float, int, str]:
    """The best Ross-Soland bound on min sum f x over the generalised assignment problem,
    by subgradient steps on the assignment multipliers from lambda_i = min_k f[i, k]:
    (value, its rounding margin, iterations, why it stopped)."""
    lam = np.where(np.isfinite(f), f, np.inf).min(axis=1)
    sg = Subgradient(upper, max_iterations, deadline, accept_rel=1e-9, reset_rel=1e-9)
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
        lag = Lagrangean(data)
        with np.errstate(invalid="ignore"):
            V, parts = lag.subproblems(False)
        margin_v = 2.0 * (2 * inst.n + inst.m + 8) * EPS * parts["mass"]
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
