"""The trained online policy as a solver: ``dqn-online`` (checkpoint ``online``).

The paper's DRL-convex hybrid on the online family: each period the Q-network
(online_network.py) picks a price per GPU and occupied decision moment out of the
checkpoint's levels, and the exact per-period method fills in the rest: the GPUs and how
long the batch may hold them (the best (g, m) under that price, ``PeriodTable.priced``),
the grants and the split points (``PeriodProblem.decision``). One forward pass per period,
in numpy. It runs through the family's one runner (``gqap.solvers.online_policy``), so it
is timed and budgeted like every online policy. Refused with a one-line error: a
checkpoint whose file does not match its sidecar hash or architecture, or one that does
not hold an online network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.online.instance import OnlineHeader, PeriodRequests
from gqap.online.pool import PoolState
from gqap.online.solution import PeriodDecision
from gqap.solvers.dqn.online_env import view_period
from gqap.solvers.dqn.online_network import numpy_forward, numpy_weights
from gqap.solvers.online_policy import OnlinePolicy, PolicySolver, RunOptions


class DQNOnlinePolicy(OnlinePolicy):
    """Greedy price level of a Q-network, then the exact decision at that price."""

    name = "dqn-online"

    def __init__(self, network: Any, levels: list[float] | tuple[float, ...]) -> None:
        self.weights = numpy_weights(network)
        self.levels = tuple(float(x) for x in levels)
        self.header: OnlineHeader | None = None
        self.actions: list[int] = []

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:
        """Start a run of a scenario with this header (the policy is deterministic)."""
        self.header = header
        self.actions = []

    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""
        view = view_period(self.header, requests, pool, self.levels)
        q = numpy_forward(self.weights, view.x.astype(np.float64))
        a = int(np.argmax(q))  # ties: the lowest price
        self.actions.append(a)
        return view.problem.decision(*view.choices[a])


@dataclass(frozen=True)
class DQNOnlineOptions(RunOptions):
    """``checkpoint``: a shipped name (default ``online``) or a .pt path."""

    checkpoint: str = "online"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.checkpoint:
            raise ValueError("checkpoint must name a shipped checkpoint or a file")


class DQNOnlineSolver(PolicySolver):
    """A DQN picks each period's price level; the exact per-period method decides."""

    name = "dqn-online"
    version = "1"
    Options = DQNOnlineOptions

    @classmethod
    def run_version(cls, options: Any) -> str:
        """The version plus the checkpoint's SHA-256 prefix (``checkpoint_run_version``)."""
        from gqap.solvers.dqn.checkpoints import checkpoint_run_version

        return checkpoint_run_version(cls.version, options.checkpoint)

    def warm_up(self) -> None:
        """Load and verify the checkpoint ahead of a timed solve."""
        self.make_policy()

    def make_policy(self) -> OnlinePolicy:
        """The checkpoint's greedy policy (hash-checked on load)."""
        from gqap.solvers.dqn.solver import load_cached

        ck = load_cached(self.options.checkpoint, "online")
        return DQNOnlinePolicy(ck.network, ck.meta["network"]["levels"])
