"""``myopic`` and ``fixed-share``: the paper's exact method on the free GPUs, each period.

``myopic`` takes every free GPU (for fixed splits a period's value never decreases with g)
and the best decision on them, the paper's promise applied to whatever the pool has left:
the baseline to beat. ``fixed-share`` gives each batch at most ``share`` GPUs and is
otherwise the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from gqap.online.instance import OnlineHeader, PeriodRequests
from gqap.online.period import PeriodProblem
from gqap.online.pool import PoolState
from gqap.online.solution import PeriodDecision
from gqap.solvers.online_policy import OnlinePolicy, PolicySolver, RunOptions


class CappedPolicy(OnlinePolicy):
    """The best unconstrained decision on min(free, cap) GPUs (cap None: every free GPU)."""

    def __init__(self, cap: int | None = None, name: str = "myopic") -> None:
        self.cap = cap
        self.name = name  # type: ignore[misc]
        self.header: OnlineHeader | None = None

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:
        """Start a run of a scenario with this header."""
        self.header = header

    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""
        g = pool.free if self.cap is None else min(pool.free, self.cap)
        return PeriodProblem(self.header, requests).decision(g)


class MyopicSolver(PolicySolver):
    """Every free GPU, the paper's exact decision on them, each period."""

    name = "myopic"

    def make_policy(self) -> OnlinePolicy:
        """A fresh policy configured from ``self.options``."""
        return CappedPolicy(None, "myopic")


@dataclass(frozen=True)
class FixedShareOptions(RunOptions):
    """``share``: the most GPUs one batch may take."""

    share: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.share < 1:
            raise ValueError(f"share must be >= 1, got {self.share}")


class FixedShareSolver(PolicySolver):
    """At most ``share`` GPUs per batch, the paper's exact decision on them."""

    name = "fixed-share"
    Options = FixedShareOptions

    def make_policy(self) -> OnlinePolicy:
        """A fresh policy configured from ``self.options``."""
        return CappedPolicy(self.options.share, "fixed-share")
