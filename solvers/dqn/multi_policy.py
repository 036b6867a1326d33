"""Greedy roll-outs of a trained multi-cluster Q-network: one forward pass per user step,
batched over instances (validation runs hundreds at once). The greedy action is the
argmax of the network's output over the allowed actions (ties go to the lowest action,
deny first); the potential part of Q does not depend on the action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from gqap.multi import MultiInstance
from gqap.solvers.dqn.config import FeatureScales
from gqap.solvers.dqn.multi_env import MultiDecisionBatch
from gqap.solvers.dqn.multi_network import multi_tensors


def greedy_sites(net: nn.Module, instances: Sequence[MultiInstance], scales: FeatureScales,
                 batch_size: int = 256, integer: bool = True,
                 expired: Callable[[], bool] | None = None,
                 ) -> tuple[list[np.ndarray], int, bool]:
    """Site vectors chosen greedily (-1 denied), the number of forward passes, and whether
    ``expired`` cut the roll-out short (checked before every step; the users not yet
    decided are then denied, which is always feasible). Instances are batched by size."""
    order = np.argsort([x.n_users * x.n_sites for x in instances], kind="stable")
    out: list[np.ndarray | None] = [None] * len(instances)
    passes, cut = 0, False
    was_training = net.training
    net.eval()
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            state = MultiDecisionBatch([instances[i] for i in idx], scales, integer)
            while not state.done.all():
                if expired is not None and expired():
                    cut = True
                    break
                rows = np.flatnonzero(~state.done)
                obs = state.observation(rows)
                with torch.no_grad():
                    q = net(*multi_tensors(obs)).numpy()
                passes += 1
                q = np.where(obs["action_mask"], q, -np.inf)
                state.step(q.argmax(axis=1), rows)
            for r, i in enumerate(idx):
                out[i] = state.sites(r)
    finally:
        net.train(was_training)
    return out, passes, cut  # type: ignore[return-value]
