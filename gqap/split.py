"""Optimal split point of a granted user for a given batch size (paper Section V-B).

For batch b the objective in n is phi(n) = alpha F(n) - c n + const with
c = L_i(1) - L_e(b, G). Its stationary points solve F(1 - F) = g, g = c / (alpha a_F);
the one with F >= 1/2 is the local maximum, n2 = b_F + logit(F2) / a_F. On [N_hat, N]
with F(N_hat) > 1/2 (the paper's setting) phi is strictly concave and clip(n2) is the
optimum; when N_hat lies below b_F the convex stretch can only make N_hat better, so
N_hat is compared as well. Everything is vectorised over users and batch sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gqap.instances import OffloadingInstance


def split_objective(inst: OffloadingInstance, n: np.ndarray, c: np.ndarray) -> np.ndarray:
    """phi(n) = alpha F(n) - c n: the part of a granted user's QoE that depends on n."""
    return inst.alpha * inst.pai(n) - c * n


def optimal_split(inst: OffloadingInstance, b: Any, *, integer: bool = True) -> np.ndarray:
    """Best split point of every user if granted with batch size b.

    ``b`` is a scalar (result shape (I,)) or a 1-D array (result shape (len(b), I)).
    Integer mode returns the better of floor and ceil of the real optimum, ties to the
    larger n; values are float64 either way.
    """
    b_arr = np.asarray(b, dtype=np.float64)
    scalar = b_arr.ndim == 0
    le = np.atleast_1d(inst.edge_step_latency(b_arr))[:, None]
    c = inst.local_step_latency[None, :] - le
    n = _real_optimum(inst, c)
    if integer:
        lo, hi = np.floor(n), np.ceil(n)
        better_hi = split_objective(inst, hi, c) >= split_objective(inst, lo, c)
        n = np.where(better_hi, hi, lo)
    if inst.N_hat < inst.b_F:
        # phi may be convex near N_hat: the left end can beat the interior maximum.
        left = np.full_like(n, float(inst.N_hat))
        n = np.where(split_objective(inst, left, c) > split_objective(inst, n, c), left, n)
    return n[0] if scalar else n


def _real_optimum(inst: OffloadingInstance, c: np.ndarray) -> np.ndarray:
    """clip(n2) where a stationary maximum exists, N where phi is non-decreasing, else N_hat."""
    alpha = np.broadcast_to(inst.alpha, c.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = c / (alpha * inst.a_F)
        disc = 1.0 - 4.0 * g
        s = np.sqrt(np.where(disc > 0, disc, 0.0))
        # logit(F2) = log(F2 / (1 - F2)) = 2 log(1 + s) - log(4 g), stable as g -> 0.
        logit = 2.0 * np.log1p(s) - np.log(4.0 * g)
        n2 = inst.b_F + logit / inst.a_F
    n = np.clip(np.where(np.isnan(n2), inst.N, n2), inst.N_hat, inst.N)
    n = np.where(c <= 0, float(inst.N), n)  # edge not faster: phi is non-decreasing
    n = np.where((c > 0) & (disc < 0), float(inst.N_hat), n)  # phi decreasing throughout
    return n


def grant_gains(inst: OffloadingInstance, b: Any, *,
                integer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(best split, gain of granting over denying) for every user at batch size(s) b.

    Shapes follow ``optimal_split``. The gain never increases with b: l_T and L_e grow
    with b and every granted user pays them.
    """
    from gqap.evaluation import denied_qoe, granted_qoe

    b_arr = np.asarray(b, dtype=np.float64)
    n = optimal_split(inst, b_arr, integer=integer)
    b_col = b_arr if b_arr.ndim == 0 else b_arr[:, None]
    return n, granted_qoe(inst, b_col, n) - denied_qoe(inst)
