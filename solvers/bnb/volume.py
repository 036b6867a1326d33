"""The Volume algorithm on the node bound's multipliers, past the dual ascent's fixed point.

**Past the ascent's fixed point.** The block ascent (``ascent``) stops at fixed points
below the relaxation's maximum (on cordeau/20-15-35 near 1,255,000 against the RLT1 LP's
1,344,404). ``volume`` then runs the Volume algorithm on the same multipliers (M, nu,
lambda) with continuous knapsacks, whose supergradients are the RLT1 consistency residuals
(``relaxation``); whatever it finds is again only a choice of multipliers, rounded and
evaluated exactly (``bound``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gqap.solvers.bnb.ascent import split
from gqap.solvers.bnb.bound import (
    Node,
    continuous_knapsack,
    directed,
    optimise_lambda,
    split_pairs,
    subproblems,
)

# the Volume algorithm's step rule (``volume``); tuned on cordeau/20-15-75's root
_ALPHA = 0.1      # weight of the newest supergradient in the running average
_F0 = 0.5         # first step factor
_GROW = 1.1       # the factor's growth on a new best value
_REDS = 20        # steps without a new best before the factor is cut by a third
_FMIN = 0.002     # the factor's floor (0.02 stalls on cordeau/30-20-95 at 4.7 %)


def relaxation(nd: Node, M: np.ndarray, nu: np.ndarray, lam: np.ndarray,
               compiled: bool = False, PCh: np.ndarray | None = None,
               ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The relaxation with continuous knapsacks at (M, nu, lambda), unrounded: its value
    and a supergradient (gM, gnu, glam) from the master's shares w[i, k] and the
    subproblems' placements Y[i, k, j, h] (the RLT1 variables x and y / x). ``compiled``:
    the subproblems and the supergradient in the numba kernels (the same numbers), which
    read the node's pair costs as ``PCh`` (``kernels.partner_site_major(nd.PC)``; made
    here when not given: callers that step many times make it once)."""
    f, m = nd.Lnode.shape
    if compiled:
        from gqap.solvers.bnb import kernels

        if kernels.AVAILABLE:
            if PCh is None:
                PCh = kernels.partner_site_major(nd.PC)
            Lhat, hoff, yon = kernels.primal_subproblems(
                PCh, np.ascontiguousarray(M, dtype=np.float64),
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
    on, forced, dead, capr, base_sum, saving = split_pairs(on, off, onok, q, cap)
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


def kernel_pair_costs(nd: Node, compiled: bool) -> np.ndarray | None:
    """The node's pair costs in the layout the compiled relaxation reads, made once for
    a phase's many steps (None where the numpy code runs)."""
    if not compiled:
        return None
    from gqap.solvers.bnb import kernels

    return kernels.partner_site_major(nd.PC) if kernels.AVAILABLE else None


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
    PCh = kernel_pair_costs(nd, compiled)
    cval, gM, gnu, glam = relaxation(nd, cM, cnu, clam, compiled, PCh)
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
        cval, gM, gnu, glam = relaxation(nd, cM, cnu, clam, compiled, PCh)
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
