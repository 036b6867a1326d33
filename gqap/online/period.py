"""The exact per-period problem: the best decision of one period for a GPU count g and a cap
m on the later decision moments its batch may occupy (docs/ONLINE.md, "Two facts").

What a period leaves to the future is (g, m). A batch of b users on g GPUs occupies at most
m later moments when every granted split point is at least N - e_max(b, g, m), e_max the
most edge steps whose hold fits (``gqap.online.pool.max_edge_steps``). Below that floor
nothing changes: for a fixed b the objective separates per user and each user's objective
in n is the paper's concave one, so the best split on [floor, N] is the paper's optimum
clipped from below (``gqap.split.SplitTable`` with ``lower``), and the best decision with
exactly b grants takes the b largest gains, as the paper family's exact method does.
Scanning every b is exact: V(g, m) = max(all local, max_b [D + top_b h(b) - b l_T(b)]).

``PeriodProblem.values`` gives V for every g and every m up to the cap beyond which no
hold binds (the last column is the unconstrained optimum, the paper's exact method with G
replaced by g); ``decision(g, m)`` the decision that attains it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.split import SplitTable
from gqap.online.instance import OnlineHeader, PeriodRequests
from gqap.online.pool import max_edge_steps, occupied_moments
from gqap.online.solution import PeriodDecision


@dataclass(frozen=True)
class PeriodTable:
    """V[g, m] for g = 0..G and m = 0..M, and the batch size b attaining each (0: all
    local). M is the largest ``hold_cap``: from there on no cap binds, so the last column
    holds the unconstrained optima. V never decreases in g or in m; where
    V[g, m] > V[g, m - 1] the attaining batch occupies exactly m later moments."""

    value: np.ndarray
    b: np.ndarray

    @property
    def m_max(self) -> int:
        """M, the last column (the unconstrained optimum)."""
        return self.value.shape[1] - 1

    def at(self, g: int, m: int | None = None) -> float:
        """V(g, m); m None or beyond M means no cap."""
        return float(self.value[g, self.m_max if m is None else min(m, self.m_max)])

    def capped(self, m_cap: int) -> PeriodTable:
        """The table with moments beyond ``m_cap`` merged into column ``m_cap`` (value and b
        of no cap there): for a period with m_cap decision moments left in the horizon,
        where occupying more of them than exist costs nothing."""
        if m_cap >= self.m_max:
            return self
        value = np.concatenate([self.value[:, :m_cap], self.value[:, -1:]], axis=1)
        b = np.concatenate([self.b[:, :m_cap], self.b[:, -1:]], axis=1)
        return PeriodTable(value, b)

    def priced(self, free: int, charge: np.ndarray) -> tuple[int, int]:
        """The (g <= free, m) maximising V(g, m) - g charge[m]: the best decision when one
        GPU held through m later moments costs charge[m] (ties: fewer GPUs, fewer
        moments). The priced policies' step, and what a learned price plugs into."""
        v = self.value[: free + 1]
        reduced = v - np.arange(v.shape[0])[:, None] * np.asarray(charge)[None, : v.shape[1]]
        g, m = np.unravel_index(int(np.argmax(reduced)), reduced.shape)
        return int(g), int(m)

    def options(self, free: int) -> list[tuple[int, int]]:
        """The (g, m) with g <= free that no other option dominates (fewer GPUs, fewer
        moments, at least the value), (0, 0) first: the only ones worth considering when
        fewer busy GPUs never hurt the future."""
        out = [(0, 0)]
        best_by_m = np.full(self.m_max + 1, self.value[0, 0])
        for g in range(1, min(free, self.value.shape[0] - 1) + 1):
            row = self.value[g]
            for m in range(self.m_max + 1):
                # best_by_m never decreases in m, so best_by_m[m] covers every m' <= m.
                if row[m] > best_by_m[m] and (m == 0 or row[m] > row[m - 1]):
                    out.append((g, m))
            best_by_m = np.maximum(best_by_m, row)
        return out


class PeriodProblem:
    """One period's users on a pool described by ``header``; exact for every (g, m)."""

    def __init__(self, header: OnlineHeader, users: PeriodRequests) -> None:
        self.header = header
        self.users = users
        self.n = users.n_users
        self.b_lim = min(self.n, header.B_max)
        if self.n:
            inst = header.offloading(users)
            self.table = SplitTable(inst, integer=True)
            self.all_local = float(denied_qoe(inst).sum())
            bs = np.arange(1, self.b_lim + 1, dtype=np.float64)
            self.bs = bs
            self.transmit = bs * inst.transmission_latency(bs)  # t(b) = b l_T(b)
        else:
            self.all_local = 0.0

    # ---- the cap beyond which nothing binds -----------------------------------------------
    def hold_cap(self, g: int) -> int:
        """Later moments the longest possible batch on g GPUs occupies (B users, all at
        N_hat): for m >= this, V(g, m) is the unconstrained value."""
        if self.b_lim == 0 or g < 1:
            return 0
        h = self.header
        return occupied_moments((h.N - h.N_hat) * h.edge_latency(self.b_lim, g), h.K)

    # ---- the table ----------------------------------------------------------------------
    def _rows(self, g: int, ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(value, best b) for GPU count g >= 1 at every cap in ``ms`` (shape (len(ms),))."""
        h = self.header
        le = h.edge_latency(self.bs, g)  # (B,)
        steps = max_edge_steps(le[None, :], ms[:, None], h.K, h.N - h.N_hat)  # (M, B)
        lower = h.N - steps
        _, gain = self.table.split_gain(le[None, :, None], lower=lower[:, :, None])
        top = np.cumsum(-np.sort(-gain, axis=2), axis=2)  # (M, B, I)
        idx = np.arange(self.b_lim)
        values = self.all_local + top[:, idx, idx] - self.transmit[None, :]  # (M, B)
        best = np.argmax(values, axis=1)
        v = values[np.arange(ms.size), best]
        keep = v > self.all_local
        return np.where(keep, v, self.all_local), np.where(keep, best + 1, 0)

    def values(self, g_max: int | None = None) -> PeriodTable:
        """V(g, m) for g = 0..g_max (default G) and m = 0..M, M the largest ``hold_cap``."""
        G = self.header.G if g_max is None else g_max
        caps = [self.hold_cap(g) for g in range(1, G + 1)]
        M = max(caps, default=0)
        value = np.full((G + 1, M + 1), self.all_local)
        b = np.zeros((G + 1, M + 1), dtype=np.int64)
        if self.b_lim:
            for g, cap in enumerate(caps, start=1):
                v, bb = self._rows(g, np.arange(cap + 1, dtype=np.float64))
                value[g, : cap + 1], b[g, : cap + 1] = v, bb
                value[g, cap + 1:], b[g, cap + 1:] = v[-1], bb[-1]  # no cap binds
        return PeriodTable(value, b)

    # ---- one decision -----------------------------------------------------------------------
    def decision(self, g: int, m: int | None = None) -> PeriodDecision:
        """The best decision on g GPUs whose batch occupies at most m later moments (None:
        no cap); all local (g = 0) when granting nobody is best."""
        N = self.header.N
        if g < 1 or self.b_lim == 0:
            return PeriodDecision.deny(self.n, N)
        cap = max(self.hold_cap(g), 0) if m is None else m
        values, best = self._rows(g, np.array([float(cap)]))
        b = int(best[0])
        if b == 0:
            return PeriodDecision.deny(self.n, N)
        h = self.header
        le = h.edge_latency(float(b), g)
        lower = h.N - max_edge_steps(le, float(cap), h.K, h.N - h.N_hat)
        n, gain = self.table.split_gain(le, lower=lower)
        chosen = np.argsort(-gain, kind="stable")[:b]
        grant = np.zeros(self.n, dtype=bool)
        grant[chosen] = True
        split = np.where(grant, n, float(N))
        return PeriodDecision(g, grant, split)
