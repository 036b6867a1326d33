"""Greedy roll-outs: the incremental set-network roll-out takes the same decisions as the
batched forward passes, and the time limit denies the undecided users."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import random_offloading

from gqap.solvers.dqn.config import FeatureScales
from gqap.solvers.dqn.network import SetQNet
from gqap.solvers.dqn.policy import greedy_grants, set_rollout


def set_net(grant_bias: float) -> SetQNet:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = SetQNet(3, (32, 32), (64, 64), 8)
    with torch.no_grad():
        net.advantage[-1].bias[1] += grant_bias  # a random net otherwise rarely grants
    return net


def mixed_net(inst) -> SetQNet:
    """A seeded random net whose grant bias is bisected until it both grants and denies
    (the grant count grows with the bias)."""
    lo, hi = -2.0, 2.0
    for _ in range(40):
        bias = (lo + hi) / 2
        net = set_net(bias)
        with torch.no_grad():
            net.advantage[-1].weight.mul_(5.0)  # let the users' codes matter
        (grant,), _, _ = greedy_grants(net, [inst], None, FeatureScales())
        g = int(grant.sum())
        if g and np.flatnonzero(grant)[-1] + 1 > g:  # a denial before the last grant
            return net
        lo, hi = (bias, hi) if g == 0 else (lo, bias)
    raise AssertionError("no mixed decision found")


@pytest.mark.parametrize(("seed", "users", "b_max"),
                         [(1, 30, 18), (1, 40, 5), (5, 40, 5), (3, 200, 18), (4, 120, 18)])
def test_incremental_set_rollout_matches_forward_passes(seed, users, b_max):
    inst = random_offloading(seed, users, B_max=b_max)
    net = mixed_net(inst)
    (batched,), passes, cut = greedy_grants(net, [inst], None, FeatureScales())
    grant, steps, cut2 = set_rollout(net, inst, FeatureScales(), block_elements=5000)
    np.testing.assert_array_equal(grant, batched)
    assert steps == passes and not cut and not cut2


def test_expired_deadline_denies_the_rest():
    net = set_net(0.2)
    inst = random_offloading(1, 40)
    calls = []

    def expired():
        calls.append(1)
        return len(calls) > 3

    grant, steps, cut = set_rollout(net, inst, FeatureScales(), expired=expired)
    assert cut and steps == 3 and not grant[3:].any()
    (g2,), passes, cut2 = greedy_grants(net, [inst], None, FeatureScales(),
                                        expired=lambda: True)
    assert cut2 and passes == 0 and not g2.any()
