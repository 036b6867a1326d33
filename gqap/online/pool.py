"""The pool's clock: when a batch holds its GPUs, and what the pool looks like at a moment.

Period t's decision is made at tau_t = (t + 1) K. A batch started at tau_j holds its g_j
GPUs for D_j = (N - min granted n_i) L_e(b_j, g_j) and is running at tau_t (t > j) when
tau_j + D_j > tau_t with a tolerance of 1e-9 s. The comparison is written relative to the
batch's start, D_j > (t - j) K + 1e-9: the same rule, free of rounding in absolute times.
Every part of the family (evaluator, episode, policies, references) reads it from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOL_S = 1e-9


def is_running(hold_s: Any, periods_later: Any, K: float) -> Any:
    """True where a batch holding ``hold_s`` seconds still runs ``periods_later`` decision
    moments after its start; broadcasts."""
    return np.asarray(hold_s) > np.asarray(periods_later) * K + TOL_S


def occupied_moments(hold_s: float, K: float) -> int:
    """How many later decision moments a batch holding ``hold_s`` seconds occupies: the
    count of k >= 1 with ``is_running(hold_s, k, K)``."""
    if not hold_s > K + TOL_S:
        return 0
    k = max(0, math.ceil((hold_s - TOL_S) / K) - 1)
    while is_running(hold_s, k + 1, K):  # rounding of the division: at most a step off
        k += 1
    while k > 0 and not is_running(hold_s, k, K):
        k -= 1
    return int(k)


def max_edge_steps(le: Any, m: Any, K: float, cap: int) -> np.ndarray:
    """The largest whole e in 0..cap whose hold e * le occupies at most m later moments
    (e * le <= (m + 1) K + 1e-9, checked with ``is_running``); broadcasts le against m."""
    le = np.asarray(le, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        e = np.floor(((m + 1.0) * K + TOL_S) / le)
    e = np.clip(np.nan_to_num(e, nan=cap, posinf=cap), 0, cap)
    # The division may round either way: settle e with the rule itself.
    e = np.where((e > 0) & is_running(e * le, m + 1, K), e - 1, e)
    e = np.where((e < cap) & ~is_running((e + 1) * le, m + 1, K), e + 1, e)
    return e


@dataclass(frozen=True)
class PoolState:
    """The pool at decision moment t as a policy sees it.

    ``busy[k]`` is the number of GPUs held at moment t + k by batches started before t
    (k = 0: now), trailing zeros dropped; it never increases with k.
    """

    t: int
    G: int
    busy: tuple[int, ...] = ()

    @property
    def free(self) -> int:
        """f_t: GPUs free at this moment."""
        return self.G - (self.busy[0] if self.busy else 0)

    def free_at(self, k: int) -> int:
        """GPUs free at moment t + k if no new batch starts before then."""
        return self.G - (self.busy[k] if k < len(self.busy) else 0)


@dataclass
class Pool:
    """The running batches of a pool; ``state(t)`` and ``start(t, g, hold_s)`` step it."""

    G: int
    K: float
    batches: list[tuple[int, int, float]] = field(default_factory=list)  # (start, g, hold)

    def _live(self, t: int) -> list[tuple[int, int, float]]:
        """Batches started before t still running at t; finished ones are dropped (a batch
        that has ended never runs again), so a long run stays linear in its length."""
        live = [(j, g, d) for j, g, d in self.batches if j < t and is_running(d, t - j, self.K)]
        self.batches = live + [b for b in self.batches if b[0] >= t]
        return live

    def busy_at(self, t: int) -> int:
        """GPUs held at moment t by batches started before t (moments never go back)."""
        return sum(g for _, g, _ in self._live(t))

    def state(self, t: int) -> PoolState:
        """The pool as period t's policy sees it."""
        live = self._live(t)
        if not live:
            return PoolState(t, self.G, ())
        ends = [j + occupied_moments(d, self.K) for j, _, d in live]  # last moment held
        busy = [sum(g for (_, g, _), e in zip(live, ends, strict=True) if e >= t + k)
                for k in range(max(ends) - t + 1)]
        return PoolState(t, self.G, tuple(busy))

    def start(self, t: int, g: int, hold_s: float) -> None:
        """Record the batch of period t (nothing to record when g = 0)."""
        if g > 0:
            self.batches.append((t, int(g), float(hold_s)))


def advance(busy: tuple[int, ...], g: int, m: int) -> tuple[int, ...]:
    """The busy profile at the next moment after this moment's batch takes g GPUs for m
    later moments: busy'[k] = busy[k + 1] + g for k < m (trailing zeros dropped)."""
    n = max(len(busy) - 1, m)
    out = [(busy[k + 1] if k + 1 < len(busy) else 0) + (g if k < m else 0) for k in range(n)]
    while out and out[-1] == 0:
        out.pop()
    return tuple(out)
