"""Incremental move evaluation for the multi-cluster family (the analogue of ``gqap_delta``).

A decision is a site per user (-1 denied); each granted user takes its best split for its
site's count, so the objective is base + sum over granted users of g_{i,s}(b_s) (the gain
table, ``gqap.multi.split``). Users interact only through the counts. Keep, per site t and
every count k, P[t, k] = sum over the users on t of g_{j,t}(k): then with b the counts

    leave(i)    = P[s, b_s - 1] - g_{i,s}(b_s - 1) - P[s, b_s]       (i on s leaves s)
    enter(i, t) = P[t, b_t + 1] - P[t, b_t] + g_{i,t}(b_t + 1)        (i joins t)

and every move is O(1): deny i = leave(i); grant a denied i on t = enter(i, t); move i
from s to t = leave(i) + enter(i, t); swap i (on s) and j (on t, or denied) at fixed
counts = g_{i,t}(b_t) - g_{i,s}(b_s) + g_{j,s}(b_s) - g_{j,t}(b_t) (a denied user's gain
is 0). Whole neighbourhoods are numpy expressions: I x (S + 1) for moves, G x G for swaps
between the G granted users, and per site two scans for swaps with denied users.
Applying a move updates P in O(B) per touched site.
"""

from __future__ import annotations

import numpy as np

from gqap.multi.split import GainTable

DENIED = -1


class MultiDelta:
    """A site vector with its per-site gain sums, counts and value, updated move by move.

    Column c of the move matrices is "denied" for c = 0 and site c - 1 otherwise.
    """

    def __init__(self, table: GainTable, x: np.ndarray) -> None:
        inst = table.inst
        self.n, self.S = inst.n_users, inst.n_sites
        self.cap = inst.B_max.astype(np.int64)
        self.base = table.base
        g = np.where(np.isfinite(table.gain), table.gain, 0.0)  # row 0 and b > B_s: 0
        # One spare row so that count + 1 indexes safely at the largest count.
        self.H = np.concatenate([g, np.zeros((1, self.n, self.S))], axis=0)
        self.top = self.H.shape[0] - 2  # largest count in the table
        self.users = np.arange(self.n)
        self.sites = np.arange(self.S)
        self.reset(x)

    # ---- state -------------------------------------------------------------------------
    def reset(self, x: np.ndarray) -> None:
        """Start from site vector ``x`` (within the limits): rebuild P, counts and value."""
        self.x = np.array(x, dtype=np.int64)
        on = self.x >= 0
        self.counts = np.bincount(self.x[on], minlength=self.S).astype(np.int64)
        self.P = np.zeros((self.S, self.H.shape[0]))
        for t in range(self.S):
            members = np.flatnonzero(self.x == t)
            if members.size:
                self.P[t] = self.H[:, members, t].sum(axis=1)
        self.value = self.exact_value()

    def exact_value(self) -> float:
        """base + the granted users' gains, recomputed from the table (no drift)."""
        on = np.flatnonzero(self.x >= 0)
        s = self.x[on]
        return self.base + float(self.H[self.counts[s], on, s].sum())

    def own_gain(self) -> np.ndarray:
        """g_{i, x_i}(b_{x_i}) per user (0 for denied users)."""
        out = np.zeros(self.n)
        on = np.flatnonzero(self.x >= 0)
        s = self.x[on]
        out[on] = self.H[self.counts[s], on, s]
        return out

    # ---- neighbourhoods ----------------------------------------------------------------
    def move_deltas(self) -> np.ndarray:
        """Value change of moving user i to column c (0: deny, s + 1: site s), I x (S + 1);
        -inf where c is the user's own column or the site is full."""
        x, b = self.x, self.counts
        leave = np.zeros(self.n)
        on = np.flatnonzero(x >= 0)
        s = x[on]
        leave[on] = (self.P[s, b[s] - 1] - self.H[b[s] - 1, on, s] - self.P[s, b[s]])
        enter = (self.P[self.sites, b + 1] - self.P[self.sites, b])[None, :] \
            + self.H[np.minimum(b + 1, self.top + 1), :, self.sites].T
        enter[:, b >= self.cap] = -np.inf
        out = np.empty((self.n, self.S + 1))
        out[:, 0] = leave
        out[:, 1:] = leave[:, None] + enter
        out[self.users, x + 1] = -np.inf
        return out

    def swap_deltas(self, granted: np.ndarray) -> np.ndarray:
        """Value change of exchanging the sites of granted users i and j (rows / columns in
        ``granted`` order); -inf on pairs on one site (no swap)."""
        s = self.x[granted]
        b = self.counts[s]
        own = self.H[b, granted, s]
        # A[i, j] = g_{i, x_j}(b_{x_j}): user i at j's site at its current count.
        A = self.H[b[None, :], granted[:, None], s[None, :]]
        out = A + A.T - own[:, None] - own[None, :]
        out[s[:, None] == s[None, :]] = -np.inf
        return out

    def site_gain_rows(self) -> np.ndarray:
        """g_{j, t}(b_t) for every user j and site t at the current counts, I x S."""
        return self.H[self.counts, :, self.sites].T

    # ---- applying moves ----------------------------------------------------------------
    def move(self, i: int, site: int) -> None:
        """Put user i on ``site`` (-1: deny), updating P, counts and value."""
        p = int(self.x[i])
        if p == site:
            return
        if p >= 0:
            b = self.counts[p]
            self.value += self.P[p, b - 1] - self.H[b - 1, i, p] - self.P[p, b]
            self.P[p] -= self.H[:, i, p]
            self.counts[p] -= 1
        if site >= 0:
            b = self.counts[site]
            self.value += self.P[site, b + 1] - self.P[site, b] + self.H[b + 1, i, site]
            self.P[site] += self.H[:, i, site]
            self.counts[site] += 1
        self.x[i] = site

    def swap(self, i: int, j: int) -> None:
        """Exchange the sites of users i and j (counts unchanged)."""
        p, r = int(self.x[i]), int(self.x[j])
        if p == r:
            return
        # Through a denied detour so that no site ever exceeds its limit.
        self.move(i, DENIED)
        self.move(j, p)
        self.move(i, r)
