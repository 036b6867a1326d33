"""Optimal split point of a granted user for a given batch size (paper Section V-B).

For batch b the objective in n is phi(n) = alpha F(n) - c n + const with
c = L_i(1) - L_e(b, G). Its stationary points solve F(1 - F) = g, g = c / (alpha a_F);
the one with F >= 1/2 is the local maximum, n2 = b_F + logit(F2) / a_F. On [N_hat, N]
with F(N_hat) >= 1/2 (the paper's setting) phi is strictly concave and clip(n2) is the
optimum. When N_hat lies below b_F, phi decreases up to the local minimum, then rises to
n2, so N_hat is compared as well. Integer split points: phi is unimodal on the integers
right of the local minimum, so the best of {floor, ceil} of clip(n2) (and N_hat) wins.

``SplitTable`` holds the per-user constants once and evaluates many batch sizes and
user subsets without per-user Python objects; the exact solver calls it in its loop.
``grant_gains`` goes through the evaluator's ``granted_qoe`` instead, as a cross-check.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gqap.offloading.evaluation import denied_qoe, granted_qoe
from gqap.offloading.instance import OffloadingInstance


def split_objective(inst: OffloadingInstance, n: np.ndarray, c: np.ndarray) -> np.ndarray:
    """phi(n) = alpha F(n) - c n: the part of a granted user's QoE that depends on n."""
    return inst.alpha * inst.pai(n) - c * n


class SplitTable:
    """Per-user constants of the inner problem of one instance, for fast repeated solves.

    ``split_gain(le, users)`` returns every listed user's best split n for edge step
    latency ``le`` and its split gain h = phi(n) - phi(N) >= 0: the QoE that granting adds
    apart from the transmission term, i.e. the gain of granting is h - l_T(b).
    """

    def __init__(self, inst: OffloadingInstance, *, integer: bool = True) -> None:
        self.inst = inst
        self.integer = integer
        self.local = inst.local_step_latency
        self.alpha = inst.alpha
        with np.errstate(divide="ignore"):
            # alpha = 0 gives inf: then g = c * inf sends c > 0 to N_hat and c <= 0 to N.
            self.inv_alpha_aF = 1.0 / (inst.alpha * inst.a_F)
        self.alpha_F_N = inst.alpha * inst.pai(float(inst.N))
        self.concave = inst.N_hat >= inst.b_F  # F(N_hat) >= 1/2

    def split_gain(self, le: Any, users: np.ndarray | None = None, lower: Any = None,
                   ) -> tuple[np.ndarray, np.ndarray]:
        """(best split n, split gain h) for edge step latency ``le`` (scalar or (B, 1)).

        ``users`` selects a subset (index array); results broadcast to (len(users),) or
        (B, len(users)). ``lower`` (optional, broadcast against the result; whole numbers in
        integer mode) raises the smallest split point allowed above N_hat: the best split on
        [max(N_hat, lower), N], which caps the edge steps a granted user may run (the online
        family's hold limit). Integer mode: ties between candidate splits go to the larger n.
        """
        inst = self.inst
        sel = slice(None) if users is None else users
        alpha = self.alpha[sel]
        c = self.local[sel] - le
        N, N_hat = float(inst.N), float(inst.N_hat)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # g <= 0 (edge not faster, phi non-decreasing) becomes 0, so n = inf -> N;
            # g > 1/4 (phi decreasing) gets s = 0 and n < b_F <= N_hat, or is caught by
            # the left-end comparison below when N_hat < b_F. No masks: np.where with
            # mixed masks costs several times a multiplication.
            g = np.fmax(c * self.inv_alpha_aF[sel], 0.0)
            s1 = 1.0 + np.sqrt(np.fmax(1.0 - 4.0 * g, 0.0))
            # logit(F2) = log(F2 / (1 - F2)) = log((1 + s)^2 / (4 g)): no cancellation as
            # g -> 0.
            n = inst.b_F + np.log(s1 * s1 / (4.0 * g)) / inst.a_F
        low = N_hat if lower is None else np.maximum(N_hat, lower)
        n = np.clip(n, low, N)
        if self.integer:
            lo, hi = np.floor(n), np.ceil(n)
            f_lo, f_hi = inst.pai(lo), inst.pai(hi)
            take_hi = alpha * f_hi - c * hi >= alpha * f_lo - c * lo
            n = lo + take_hi * (hi - lo)
            f = f_lo + take_hi * (f_hi - f_lo)
        else:
            f = inst.pai(n)
        if not self.concave:
            # phi is convex left of b_F: its left end can beat the interior maximum.
            f_left = inst.pai(low)
            left = alpha * f_left - c * low > alpha * f - c * n
            n = np.where(left, low, n)
            f = np.where(left, f_left, f)
        h = alpha * f - self.alpha_F_N[sel] + c * (N - n)
        return n, h


def optimal_split(inst: OffloadingInstance, b: Any, *, integer: bool = True) -> np.ndarray:
    """Best split point of every user if granted with batch size b.

    ``b`` is a scalar (result shape (I,)) or a 1-D array (result shape (len(b), I)).
    Integer mode returns the better of floor and ceil of the real optimum, ties to the
    larger n; values are float64 either way.
    """
    b_arr = np.asarray(b, dtype=np.float64)
    le = inst.edge_step_latency(b_arr)
    if b_arr.ndim:
        le = np.asarray(le)[:, None]
    return SplitTable(inst, integer=integer).split_gain(le)[0]


def grant_gains(inst: OffloadingInstance, b: Any, *,
                integer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(best split, gain of granting over denying) for every user at batch size(s) b.

    Shapes follow ``optimal_split``. The gain is scored by the evaluator's ``granted_qoe``
    and ``denied_qoe``; it never increases with b, because l_T and L_e grow with b and
    every granted user pays them.
    """
    b_arr = np.asarray(b, dtype=np.float64)
    n = optimal_split(inst, b_arr, integer=integer)
    b_col = b_arr if b_arr.ndim == 0 else b_arr[:, None]
    return n, granted_qoe(inst, b_col, n) - denied_qoe(inst)
