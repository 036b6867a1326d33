"""Greedy roll-outs of a trained Q-network: one forward pass per user step, batched over
instances (evaluation runs hundreds at once; ``greedy_rollout`` serves every per-user MDP,
the multi-cluster one included), and an incremental roll-out of the set network for one
large instance (user codes computed once, pooled sums kept up to date).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from gqap.offloading.instance import OffloadingInstance
from gqap.solvers.dqn.config import FeatureScales
from gqap.solvers.dqn.env import (
    CURRENT,
    DENIED,
    GRANTED,
    PENDING,
    DecisionBatch,
    static_features,
)
from gqap.solvers.dqn.network import SetQNet, to_tensors


def greedy_rollout(net: nn.Module, instances: Sequence[Any], sizes: Sequence[int],
                   new_states: Callable[[list[Any]], Any],
                   tensors: Callable[[dict[str, np.ndarray]], tuple[torch.Tensor, ...]],
                   decisions: Callable[[Any, int], np.ndarray], batch_size: int,
                   expired: Callable[[], bool] | None = None,
                   ) -> tuple[list[np.ndarray], int, bool]:
    """Greedy roll-outs of a Q-network, one forward pass per user step, batched over
    instances (every per-user MDP: ``new_states`` builds the lock-step states of a batch,
    ``env.DecisionBatch`` or ``multi_env.MultiDecisionBatch``; ``decisions`` reads a row's
    outcome). Instances go in batches of ``batch_size`` by ascending ``sizes``; the action
    is the argmax of Q over the allowed ones (ties: the lowest action). ``expired``:
    checked before every step; once it returns True the users not yet decided stay
    undecided (denied: always feasible) and the roll-out stops. Returns the decisions, the
    number of forward passes, and whether ``expired`` cut the roll-out short. The network
    is in eval mode meanwhile."""
    order = np.argsort(sizes, kind="stable")
    out: list[np.ndarray | None] = [None] * len(instances)
    passes, cut = 0, False
    was_training = net.training
    net.eval()
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start: start + batch_size]
            state = new_states([instances[i] for i in idx])
            while not state.done.all():
                if expired is not None and expired():
                    cut = True
                    break
                rows = np.flatnonzero(~state.done)
                with torch.no_grad():
                    q = net(*tensors(state.observation(rows))).numpy()
                passes += 1
                q = np.where(state.action_mask()[rows], q, -np.inf)
                state.step(q.argmax(axis=1), rows)
            for r, i in enumerate(idx):
                out[i] = decisions(state, r)
    finally:
        net.train(was_training)
    return out, passes, cut  # type: ignore[return-value]


def greedy_grants(net: nn.Module, instances: Sequence[OffloadingInstance],
                  max_users: int | None, scales: FeatureScales, batch_size: int = 512,
                  expired: Callable[[], bool] | None = None,
                  ) -> tuple[list[np.ndarray], int, bool]:
    """Grant masks chosen by argmax Q (ties deny), the number of forward passes, and
    whether ``expired`` cut the roll-out short (``greedy_rollout``).

    ``max_users``: the network's padding (MLP), or None for a set network, which is fed
    each batch padded to its largest user count (instances are batched by size).
    """
    def new_states(chunk: list[OffloadingInstance]) -> DecisionBatch:
        pad = max_users if max_users is not None else max(x.n_users for x in chunk)
        return DecisionBatch(chunk, pad, scales)

    return greedy_rollout(net, instances, [x.n_users for x in instances], new_states,
                          to_tensors, DecisionBatch.grants, batch_size, expired)


def set_rollout(net: SetQNet, inst: OffloadingInstance, scales: FeatureScales,
                expired: Callable[[], bool] | None = None,
                block_elements: int = 1 << 22) -> tuple[np.ndarray, int, bool]:
    """The greedy roll-out of ``greedy_grants`` for one instance and a set network, with
    O(I) work per step instead of a full forward pass: every user's codes for 'pending',
    'current', 'granted' and 'denied' are computed once; the pending users at step t are
    always users t+1.., so their code sum is a suffix sum and their soft counts are
    computed in blocks of steps. Only the advantage is evaluated (V does not change the
    argmax). Returns (grant, steps, cut short).
    """
    n = inst.n_users
    users, g3 = static_features(inst, scales)
    x = torch.as_tensor(users)
    gs = torch.as_tensor(g3)[None, :].expand(n, 3)
    grant = np.zeros(n, dtype=bool)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            codes = {o: net.encode(x, torch.full((n,), o, dtype=torch.long), gs)
                     for o in (PENDING, CURRENT, GRANTED, DENIED)}
            (hp, sp), (hc, sc) = codes[PENDING], codes[CURRENT]
            (hg, sg), (hd, _) = codes[GRANTED], codes[DENIED]
            d, k = hp.shape[1], sp.shape[1]
            suffix = torch.cat([hp.flip(0).cumsum(0).flip(0), torch.zeros(1, d)])  # sum j>=t
            block = max(1, block_elements // max(1, n * k))
            g_sum, d_sum = torch.zeros(1, d), torch.zeros(1, d)
            granted: list[int] = []
            cnt_p_block = torch.zeros(0, k)
            b_max, cut, steps = inst.B_max, False, 0
            gs1 = gs[:1]
            for t in range(n):
                if expired is not None and expired():
                    cut = True
                    break
                if t % block == 0:  # soft counts of users j > t beating the current one
                    t1 = min(n, t + block)
                    diff = torch.sigmoid(sp[None, :, :] - sc[t:t1, None, :])  # (B, n, k)
                    later = torch.arange(n)[None, :] > torch.arange(t, t1)[:, None]
                    cnt_p_block = (diff * later[..., None]).sum(1)
                ng = len(granted)
                cnt_g = (torch.sigmoid(sg[granted] - sc[t]).sum(0, keepdim=True) if granted
                         else torch.zeros(1, k))
                counts = torch.tensor([[n - t, ng, t - ng]], dtype=torch.float32)
                adv = net.advantages(hc[t:t + 1], [suffix[t + 1:t + 2], g_sum, d_sum],
                                     cnt_p_block[t % block][None], cnt_g, gs1, counts)[0]
                steps += 1
                if ng < b_max and bool(adv[1] > adv[0]):
                    grant[t] = True
                    granted.append(t)
                    g_sum = g_sum + hg[t]
                    if len(granted) >= b_max:
                        break
                else:
                    d_sum = d_sum + hd[t]
    finally:
        net.train(was_training)
    return grant, steps, cut
