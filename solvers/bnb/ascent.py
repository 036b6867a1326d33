"""The multipliers of the node bound (``bound``) by a block coordinate dual ascent.

**Finding U.** ``ascent`` raises ``bound``'s relaxation in floating point over its dual
state: a message M[i, k, j] per facility i, site k and partner j, and the capacity
multipliers nu[i, k, h] >= 0. One block is one facility i: its nu[i] by a few damped best
responses (each site's multiplier the LP dual of its own continuous knapsack), then the
MPLP star update (Globerson and Jaakkola 2007; Sontag, Globerson and Jaakkola 2011), which
gives i and its partners the largest total their minima can reach with the rest held.
``split`` turns (M, nu) into the pair shares U by a fixed formula, and a child starts from
its parent's M and nu restricted to its free facilities. The ascent only finds
multipliers; ``bound.evaluate`` turns them into the exact bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gqap.solvers.bnb.bound import Node


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
