"""Greedy roll-outs of a trained Q-network: one forward pass per user step, batched over
instances (the solver runs a batch of one; evaluation runs hundreds at once)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from gqap.instances import OffloadingInstance
from solvers.dqn.config import FeatureScales
from solvers.dqn.env import DecisionBatch
from solvers.dqn.network import to_tensors


def greedy_grants(net: nn.Module, instances: Sequence[OffloadingInstance],
                  max_users: int | None, scales: FeatureScales, batch_size: int = 512,
                  expired: Callable[[], bool] | None = None,
                  ) -> tuple[list[np.ndarray], int, bool]:
    """Grant masks chosen by argmax Q (ties deny), the number of forward passes, and
    whether ``expired`` cut the roll-out short.

    ``max_users``: the network's padding (MLP), or None for a set network, which is fed
    each batch padded to its largest user count (instances are batched by size).
    ``expired``: checked before every step; once it returns True the users not yet
    decided are denied (still feasible) and the roll-out stops.
    """
    order = np.argsort([inst.n_users for inst in instances], kind="stable")
    out: list[np.ndarray | None] = [None] * len(instances)
    passes = 0
    cut = False
    was_training = net.training
    net.eval()
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            chunk = [instances[i] for i in idx]
            pad = max_users if max_users is not None else max(x.n_users for x in chunk)
            state = DecisionBatch(chunk, pad, scales)
            while not state.done.all():
                if expired is not None and expired():
                    cut = True
                    break
                rows = np.flatnonzero(~state.done)
                with torch.no_grad():
                    q = net(*to_tensors(state.observation(rows))).numpy()
                passes += 1
                q = np.where(state.action_mask()[rows], q, -np.inf)
                state.step(q.argmax(axis=1), rows)
            for r, i in enumerate(idx):
                out[i] = state.grants(r)
    finally:
        net.train(was_training)
    return out, passes, cut  # type: ignore[return-value]
