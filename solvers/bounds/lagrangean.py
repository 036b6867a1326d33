"""The Lagrangean relaxation of the RLT model, by subgradient optimisation (the module doc
of ``gqap.solvers.bounds``, method ``lagrangean``)."""

from __future__ import annotations

import time
from typing import Any

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
from gqap.solvers.formulations import GQAPModelData, gqap_model_data

# Elements of the directed (i, k, j, h) cost blocks the Lagrangean holds at once.
_BLOCK_ELEMENTS = 1 << 22


class Lagrangean:
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
        margin = 2.0 * depth * EPS * total
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


def lagrangean_bound(inst: GQAPInstance, deadline: Deadline, max_iterations: int = 5000,
                     data: GQAPModelData | None = None,
                     upper: float | None = None) -> BoundResult:
    """The Lagrangean bound of the module doc: the best L(u, lambda) reached by subgradient
    steps within ``deadline`` and ``max_iterations`` (iteration 0 is the Gilmore-Lawler-type
    bound at u = 0), minus its rounding margin, rounded up for integral costs."""
    t0 = time.perf_counter()
    data = gqap_model_data(inst) if data is None else data
    integral = integral_costs(data)
    lag = Lagrangean(data)
    # Start: lambda_i = min_k f[i, k] (the capacity-free bound).
    with np.errstate(invalid="ignore"):
        V, _ = lag.subproblems(False)
    f = lag.lin + V
    if not np.all(np.isfinite(f).any(axis=1)):
        return BoundResult("lagrangean", None, status="infeasible: a facility fits no site "
                           "together with the others", seconds=time.perf_counter() - t0,
                           infeasible=True)
    lag.lam = np.where(np.isfinite(f), f, np.inf).min(axis=1)
    sg = Subgradient(upper, max_iterations, deadline, accept_rel=0.0, reset_rel=1e-6)
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
