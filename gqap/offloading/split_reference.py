"""The paper's route to the split point (Section V-B), kept as a slow reference for tests.

One user at a time: if L_i(1) <= L_e(b, G) the user stays local (n = N); otherwise, with
Fbar'(n) = alpha a_F F(n) (1 - F(n)) and c = L_i(1) - L_e(b, G), the three cases of the
paper: Fbar'(N) >= c gives N, Fbar'(N_hat) <= c gives N_hat, and in between SciPy's
``brentq`` finds the root of phi'(n) = Fbar'(n) - c. The paper's cases assume
F(N_hat) >= 1/2; when N_hat < b_F they are applied on [b_F, N], where phi is concave, and
N_hat (the end of the convex stretch) is compared with the result. Nothing here is shared
with ``gqap.offloading.split``'s closed form.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq

from gqap.offloading.instance import OffloadingInstance


def _pai(inst: OffloadingInstance, n: float) -> float:
    return 1.0 / (1.0 + math.exp(-inst.a_F * (n - inst.b_F)))


def _phi(inst: OffloadingInstance, alpha: float, c: float, n: float) -> float:
    return alpha * _pai(inst, n) - c * n


def reference_split_user(inst: OffloadingInstance, alpha: float, c: float, *,
                         integer: bool = False) -> float:
    """Best split of one user with weight ``alpha`` and step-latency gap ``c`` = L_i - L_e.

    Integer mode compares floor and ceil of the real optimum (and N_hat when phi is not
    concave on the whole range), ties to the larger n.
    """
    N, N_hat = float(inst.N), float(inst.N_hat)
    lo = max(N_hat, inst.b_F)  # left end of the concave stretch
    if c <= 0.0:
        n = N  # local no slower than the edge: phi' >= 0
    elif lo >= N:
        n = N_hat if _phi(inst, alpha, c, N_hat) > _phi(inst, alpha, c, N) else N
    else:
        def slope(x: float) -> float:
            f = _pai(inst, x)
            return alpha * inst.a_F * f * (1.0 - f) - c

        if slope(N) >= 0.0:
            n = N  # case 1: phi increasing on [lo, N]
        elif slope(lo) <= 0.0:
            n = lo  # case 2: phi decreasing on [lo, N]
        else:
            n = brentq(slope, lo, N, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200)
    candidates = [n]
    if integer:
        candidates = [math.floor(n), math.ceil(n)]
    if N_hat < lo:
        candidates.append(N_hat)
    # The best candidate; among equals the larger n.
    return float(max(candidates, key=lambda x: (_phi(inst, alpha, c, x), x)))


def reference_split(inst: OffloadingInstance, b: Any, *, integer: bool = False) -> np.ndarray:
    """``gqap.offloading.split.optimal_split`` computed the paper's way: shape (I,) or
    (len(b), I)."""
    b_arr = np.atleast_1d(np.asarray(b, dtype=np.float64))
    out = np.empty((b_arr.size, inst.n_users))
    local = inst.local_step_latency
    for j, bb in enumerate(b_arr):
        le = inst.edge_step_latency(float(bb))
        for i in range(inst.n_users):
            out[j, i] = reference_split_user(inst, float(inst.alpha[i]), float(local[i] - le),
                                             integer=integer)
    return out[0] if np.ndim(b) == 0 else out
