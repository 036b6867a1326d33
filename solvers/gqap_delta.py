"""Incremental move evaluation for GQAP: the facility-by-site contribution matrix.

For an assignment x keep C[i, k] = a[i, k] + v t[i, i] d[k, k]
+ v sum_{j != i} (t[i, j] d[k, x_j] + t[j, i] d[x_j, k]): the cost facility i would bring
on site k with everyone else in place. Then (MODEL.md section 1 cost, all ordered pairs)

    shift i -> k:        C[i, k] - C[i, x_i]
    swap i <-> j (p=x_i, r=x_j, p != r):
        C[i, r] - C[i, p] + C[j, p] - C[j, r]
        + v (t[i, j] + t[j, i]) (d[p, r] + d[r, p] - d[p, p] - d[r, r])

so every move costs O(1) once C is known, and whole neighbourhoods are numpy expressions
(n x m for shifts, n x n for swaps). Applying a shift changes C by two outer products:
O(n m). Capacity overload (sum over sites of max(0, load - Q)) is tracked the same way.
"""

from __future__ import annotations

import numpy as np

from gqap.classic.evaluation import gqap_cost, site_loads
from gqap.classic.instance import GQAPInstance

_INF = np.inf


class GQAPDelta:
    """An assignment with its contribution matrix, loads and cost, updated move by move.

    ``n_swaps`` is the number of swap moves (pairs on different sites) of the assignment.
    """

    def __init__(self, inst: GQAPInstance, x: np.ndarray) -> None:
        self.inst = inst
        self.n, self.m = inst.n, inst.m
        self.v = float(inst.v)
        self.q = inst.q
        self.Q = inst.Q
        t0 = np.array(inst.t, dtype=np.float64)
        np.fill_diagonal(t0, 0.0)
        self._vt = self.v * t0  # v t without its diagonal: the j != i part of C
        self._vtT = np.ascontiguousarray(self._vt.T)
        self._vtsym = self._vt + self._vtT
        self._d = inst.d
        self._dT = np.ascontiguousarray(inst.d.T)
        dd = np.diag(inst.d)
        # Swap correction factor E[p, r] = d[p, r] + d[r, p] - d[p, p] - d[r, r].
        self._E = inst.d + inst.d.T - dd[:, None] - dd[None, :]
        self._base = inst.a + self.v * np.outer(np.diag(inst.t), dd)
        self._rows = np.arange(self.n)
        self._dq = inst.q[None, :] - inst.q[:, None]  # q_j - q_i
        self._lower = np.tril(np.ones((self.n, self.n), dtype=bool))
        self._Q_tol = inst.Q + 1e-9 * np.maximum(1.0, inst.Q)
        # For move(): column i of (v t, v t^T) side by side, and rows k of (d^T, d) stacked,
        # so a C update is one (n x 2) @ (2 x m) product.
        self._vv = np.ascontiguousarray(np.stack([self._vt, self._vtT], axis=2).transpose(1, 0, 2))
        self._dd = np.ascontiguousarray(np.stack([self._dT, self._d], axis=1))
        self.reset(x)

    # ---- state -------------------------------------------------------------------------
    def reset(self, x: np.ndarray) -> None:
        """Start from assignment ``x``: rebuild C, loads and cost from scratch (O(n^2 m))."""
        self.x = np.array(x, dtype=np.int64)
        self.C = self._base + self._vt @ self._dT[self.x] + self._vtT @ self._d[self.x]
        self.loads = site_loads(self.inst, self.x)
        self.cost = gqap_cost(self.inst, self.x)
        x = self.x
        # Kept up to date by shift(): the i-j interaction term of every swap, and a mask
        # (0 or inf) of the pairs that are no swap (j <= i, or both on one site).
        self.pair_cost = self._vtsym * self._E[x[:, None], x[None, :]]
        self.pair_invalid = np.where(self._lower | (x[:, None] == x[None, :]), np.inf, 0.0)
        counts = np.bincount(x, minlength=self.m)
        self.counts = counts
        self.n_swaps = int((self.n * self.n - np.square(counts).sum()) // 2)

    @property
    def overload(self) -> float:
        """Total capacity excess sum_k max(0, load_k - Q_k)."""
        return float(np.maximum(self.loads - self.Q, 0.0).sum())

    @property
    def feasible(self) -> bool:
        """True when no site is over capacity (tolerance 1e-9 relative)."""
        return bool((self.loads <= self._Q_tol).all())

    # ---- neighbourhoods ----------------------------------------------------------------
    def neighbourhood(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        """(S, dO, dC, dOs, overload): cost and overload change of every shift i -> k (S, dO:
        n x m, 0 at k = x_i) and of every swap i <-> j (dC, dOs: n x n, only entries with
        i < j and x_i != x_j are swaps; ``pair_invalid`` is inf elsewhere, 0 there), and the
        current overload. One pass: on small instances numpy's per-call cost dominates."""
        x, q, rows = self.x, self.q, self._rows
        C = self.C
        S = C - C[rows, x][:, None]
        slack = self.loads - self.Q
        excess = np.maximum(slack, 0.0)
        sx, ex = slack[x], excess[x]
        dO = np.maximum(slack + q[:, None], 0.0)
        dO -= excess
        dO += (np.maximum(sx - q, 0.0) - ex)[:, None]
        dO[rows, x] = 0.0
        A = S[:, x]  # A[i, j] = S[i, x_j]
        dC = A + A.T
        dC += self.pair_cost
        # Facility i leaves site x_i and j arrives: load of x_i changes by q_j - q_i.
        T1 = sx[:, None] + self._dq
        np.maximum(T1, 0.0, out=T1)
        T1 -= ex[:, None]
        return S, dO, dC, T1 + T1.T, float(excess.sum())

    def shift_values(self, idx: np.ndarray, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cost change, overload change) of shifting each facility idx[e] to tgt[e] alone:
        entries of ``neighbourhood``'s S and dO without building the n x m matrices."""
        x, q = self.x, self.q
        src = x[idx]
        dcost = self.C[idx, tgt] - self.C[idx, src]
        slack = self.loads - self.Q
        excess = np.maximum(slack, 0.0)
        qi = q[idx]
        dover = (np.maximum(slack[src] - qi, 0.0) - excess[src]
                 + np.maximum(slack[tgt] + qi, 0.0) - excess[tgt])
        return dcost, np.where(src == tgt, 0.0, dover)

    def one_for_two(self) -> tuple[float, int, int, int]:
        """(delta, i, j, h): the cheapest exchange of one facility i for two facilities
        j < h that share another site (i moves to their site r, both move to i's site p)
        among those that leave p and r within capacity; (inf, -1, -1, -1) if there is none.

        Priced from C like a swap: S[i, r] + S[j, p] + S[h, p] + E[p, r] (w[i, j] + w[i, h]
        - w[j, h]) with w = v (t + t^T); one n x (pairs sharing a site) expression. On tight
        capacities such an exchange can be the only improving step out of a local optimum,
        and no shift or swap leads to it without crossing an overloaded site.
        """
        x, q = self.x, self.q
        J, H = np.nonzero(np.triu(x[:, None] == x[None, :], 1))
        if J.size == 0:
            return _INF, -1, -1, -1
        r = x[J]
        S = self.C - self.C[self._rows, x][:, None]
        w = self._vtsym
        delta = S[:, r] + (S[J][:, x] + S[H][:, x]).T
        delta += self._E[x[:, None], r[None, :]] * (w[:, J] + w[:, H] - w[J, H])
        room = self._Q_tol - self.loads
        moved = q[J] + q[H]
        ok = x[:, None] != r[None, :]
        ok &= moved[None, :] - q[:, None] <= room[x][:, None]  # site p
        ok &= q[:, None] - moved[None, :] <= room[r][None, :]  # site r
        delta = np.where(ok, delta, _INF)
        i, e = divmod(int(np.argmin(delta)), J.size)
        if delta[i, e] == _INF:
            return _INF, -1, -1, -1
        return float(delta[i, e]), i, int(J[e]), int(H[e])

    # ---- applying moves ----------------------------------------------------------------
    def shift(self, i: int, k: int, delta: float | None = None) -> None:
        """Move facility i to site k, updating C in O(n m)."""
        p = int(self.x[i])
        if p == k:
            return
        self.cost += float(self.C[i, k] - self.C[i, p]) if delta is None else float(delta)
        # Row i's own entry is unchanged (t without diagonal): C[i, :] never involves x_i.
        self.C += np.outer(self._vt[:, i], self._dT[k] - self._dT[p])
        self.C += np.outer(self._vtT[:, i], self._d[k] - self._d[p])
        self.loads[p] -= self.q[i]
        self.loads[k] += self.q[i]
        self.x[i] = k
        # Pairs sharing a site are no swap: i leaves counts[p] - 1 partners, meets counts[k].
        self.n_swaps += int(self.counts[p]) - 1 - int(self.counts[k])
        self.counts[p] -= 1
        self.counts[k] += 1
        x = self.x
        row = self._vtsym[i] * self._E[k, x]
        self.pair_cost[i, :] = row
        self.pair_cost[:, i] = row  # E and vtsym are symmetric
        same = np.where(x == k, np.inf, 0.0)
        self.pair_invalid[i, :] = np.where(self._lower[i], np.inf, same)
        self.pair_invalid[:, i] = np.where(self._lower[:, i], np.inf, same)

    def swap(self, i: int, j: int) -> None:
        """Exchange the sites of facilities i and j (two shifts; the cost stays exact)."""
        p, r = int(self.x[i]), int(self.x[j])
        if p == r:
            return
        self.shift(i, r)
        self.shift(j, p)

    def move(self, i: int, k: int, j: int = -1, delta: float = 0.0) -> None:
        """Shift facility i to site k (j < 0), or swap facilities i and j (k ignored), with
        the move's known cost change ``delta``: the update of ``shift``/``swap`` done as one
        small matrix product (the tabu search's hot path; the same values)."""
        x = self.x
        p = int(x[i])
        if j < 0:
            if p == k:
                return
            self.C += self._vv[i] @ (self._dd[k] - self._dd[p])
            q = self.q[i]
            self.loads[p] -= q
            self.loads[k] += q
            x[i] = k
            self.n_swaps += int(self.counts[p]) - 1 - int(self.counts[k])
            self.counts[p] -= 1
            self.counts[k] += 1
            changed = (i,)
        else:
            k = int(x[j])
            if p == k:
                return
            self.C += (self._vv[i] - self._vv[j]) @ (self._dd[k] - self._dd[p])
            dq = self.q[i] - self.q[j]
            self.loads[p] -= dq
            self.loads[k] += dq
            x[i], x[j] = k, p
            changed = (i, j)
        self.cost += float(delta)
        f = np.array(changed)
        xf = x[f]
        rows = self._vtsym[f] * self._E[xf][:, x]  # E and vtsym are symmetric
        self.pair_cost[f, :] = rows
        self.pair_cost[:, f] = rows.T
        same = xf[:, None] == x[None, :]
        self.pair_invalid[f, :] = np.where(same | self._lower[f], np.inf, 0.0)
        self.pair_invalid[:, f] = np.where(same.T | self._lower[:, f], np.inf, 0.0)

    def exact_cost(self) -> float:
        """Recompute the cost from scratch (to cancel rounding drift on real-valued data)."""
        self.cost = gqap_cost(self.inst, self.x)
        return self.cost
