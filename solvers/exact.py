"""Exact solver for the offloading family (MODEL.md section 2, "Structure worth exploiting").

Users interact only through b, the number of granted users. For a fixed b every user's
best split and its gain g_i(b) of granting over denying are independent of the others,
so the best decision with exactly b grants takes the b largest gains. Scanning
b = 0..min(|I|, B_max) and keeping the best value is exact. Gains never increase with b,
so sum_i max(g_i(b), 0) bounds every b' >= b; the scan stops once that bound cannot beat
the incumbent. ``info`` holds the value of every b examined: a certificate anyone can
re-check with the evaluator.
"""

from __future__ import annotations

import numpy as np

from gqap.evaluation import denied_qoe
from gqap.instances import OffloadingInstance
from gqap.solutions import OffloadingSolution
from gqap.split import grant_gains
from solvers.base import Deadline, Solver, SolverOutput, Status
from solvers.options import SplitOptions

_BLOCK_ELEMENTS = 1 << 20  # gains computed for this many (b, user) pairs at a time
_SORT_BELOW = 4096  # users: full row sort below, per-row partition above


def top_sums(gain: np.ndarray, bs: np.ndarray) -> np.ndarray:
    """For each row j: the sum of its bs[j] largest entries."""
    n_users = gain.shape[1]
    if n_users <= _SORT_BELOW:
        desc = -np.sort(-gain, axis=1)
        csum = np.concatenate([np.zeros((gain.shape[0], 1)), np.cumsum(desc, axis=1)], axis=1)
        return csum[np.arange(gain.shape[0]), bs]
    out = np.empty(gain.shape[0])
    for j, b in enumerate(bs):
        out[j] = np.partition(gain[j], n_users - b)[n_users - b:].sum() if b else 0.0
    return out


class ExactSolver(Solver):
    """Proven optimum of the offloading problem with integer or real split points."""

    name = "exact"
    families = ("offloading",)
    Options = SplitOptions

    def _solve(self, instance: OffloadingInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        integer = self.options.integer
        n_users, b_max = instance.n_users, instance.max_granted
        all_local = float(denied_qoe(instance).sum())
        values = [(0, all_local)]
        best_value, best_b = all_local, 0
        stopped_at, stop_bound, timed_out = None, None, False
        block = max(1, _BLOCK_ELEMENTS // n_users)
        b = 1
        while b <= b_max and stopped_at is None:
            if deadline.expired():
                timed_out = True
                break
            bs = np.arange(b, min(b_max, b + block - 1) + 1)
            _, gain = grant_gains(instance, bs, integer=integer)
            upper = all_local + np.where(gain > 0, gain, 0.0).sum(axis=1)
            hopeless = np.flatnonzero(upper <= best_value)
            # Rows after the first hopeless one cannot win either; skip their top-b sums.
            stop = hopeless[0] if hopeless.size else bs.size
            vals = all_local + top_sums(gain[:stop], bs[:stop])
            for bb, v in zip(bs[:stop], vals, strict=True):
                values.append((int(bb), float(v)))
                if v > best_value:
                    best_value, best_b = float(v), int(bb)
            if hopeless.size:
                stopped_at, stop_bound = int(bs[stop]), float(upper[stop])
            b = int(bs[-1]) + 1

        grant = np.zeros(n_users, dtype=bool)
        split = np.full(n_users, float(instance.N))
        if best_b:
            n, gain = grant_gains(instance, best_b, integer=integer)
            chosen = np.argpartition(-gain, best_b - 1)[:best_b]
            grant[chosen] = True
            split[chosen] = n[chosen]
        info = {"split_mode": self.options.split, "b": best_b, "b_values": values,
                "b_examined": len(values), "b_max": b_max,
                "stopped_at_b": stopped_at, "stop_bound": stop_bound}
        if timed_out:
            # Any b not yet examined is bounded by the last block's positive-gain sum.
            return SolverOutput(OffloadingSolution(grant, split), Status.TIME_LIMIT,
                                bound=None, info=info)
        return SolverOutput(OffloadingSolution(grant, split), Status.OPTIMAL,
                            bound=best_value, info=info)
