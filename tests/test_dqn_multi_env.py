"""The multi-cluster MDP: Gymnasium contract, eq. 21 rewards against the shared evaluator,
action masks, features, the potential, the network's invariances and the enumerated
reference optimum."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

from gqap.multi import evaluate_multi, gain_table, generate_multi
from gqap.solvers.dqn.config import FeatureScales, ScopeConfig
from gqap.solvers.dqn.multi_env import (
    MultiDecisionBatch,
    MultiEpisodeSampler,
    MultiOffloadingEnv,
    final_multi_solution,
)
from gqap.solvers.dqn.multi_network import MultiQNet, multi_tensors
from gqap.solvers.dqn.multi_policy import greedy_sites
from gqap.solvers.dqn.multi_reference import enumerated_optimum, myopic_greedy


def inst(seed: int, users: int, sites: int, **kw):
    return generate_multi(np.random.default_rng(seed), users, sites, **kw)


def play(env, rng, **reset):
    """One episode of random allowed actions: (rewards, potentials, last info, actions)."""
    _, info = env.reset(**reset)
    rewards, pots, acts = [], [info["potential"]], []
    done = False
    while not done:
        a = int(rng.choice(np.flatnonzero(info["action_mask"])))
        _, r, done, trunc, info = env.step(a)
        assert not trunc
        rewards.append(r)
        pots.append(info["potential"])
        acts.append(a)
    return rewards, pots, info, acts


@pytest.mark.parametrize("fixed", [False, True], ids=["sampler", "instance"])
def test_env_passes_gymnasium_check_env(fixed):
    source = inst(3, 9, 3) if fixed else None
    env = MultiOffloadingEnv(source, max_users=12, max_sites=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # infinite Box bounds are deliberate
        check_env(env, skip_render_check=True)
    assert env.action_space.n == 5 and env.observation_space["pairs"].shape == (12, 4, 4)


def test_reset_uses_its_own_rng_and_is_reproducible():
    env = MultiOffloadingEnv(max_users=20, max_sites=8)
    env.reset(seed=5)
    a = env.instance.content_hash()
    torch.manual_seed(123)  # no global RNG plays a part
    env.reset(seed=5)
    assert env.instance.content_hash() == a
    env.reset()  # continues the env's stream: another instance
    assert env.instance.content_hash() != a
    hashes = {MultiOffloadingEnv(max_users=20, max_sites=8).reset(seed=k)[0]["users"].tobytes()
              for k in range(5)}
    assert len(hashes) == 5


@pytest.mark.parametrize("seed", range(6))
def test_rewards_sum_to_the_scaled_evaluator_objective(seed):
    x = inst(seed, 4 + 3 * seed, 1 + seed % 4, B_max=[2, 3, 18, 1][: 1 + seed % 4])
    env = MultiOffloadingEnv(x, max_users=20, max_sites=8)
    rewards, pots, info, acts = play(env, np.random.default_rng(seed))
    sol = final_multi_solution(x, info["site"])
    ev = evaluate_multi(x, sol)
    assert ev.feasible and info["objective"] == ev.objective
    np.testing.assert_array_equal(info["split"], sol.split_points)
    assert sum(rewards) == pytest.approx(0.1 * ev.objective, rel=1e-9, abs=1e-9)
    # non-terminal rewards: alpha_t F_{t,s}(n_t) at the count after the grant, F(N) if denied
    gt = gain_table(x)
    counts = np.zeros(x.n_sites, dtype=int)
    for t, (a, r) in enumerate(zip(acts[:-1], rewards[:-1], strict=True)):
        if a == 0:
            want = x.alpha[t] * x.pai_shifted(x.N)
        else:
            counts[a - 1] += 1
            want = x.alpha[t] * x.pai(t, a - 1, gt.split[counts[a - 1], t, a - 1])
        assert r == pytest.approx(0.1 * want, rel=1e-12)
    # the potential starts at 0.1 x (everyone denied) and each step's shaped reward is
    # 0.1 x the change of the objective of stopping now
    assert pots[0] == pytest.approx(0.1 * gt.base)
    assert pots[-1] == 0.0
    env.reset()
    site = np.full(x.n_users, -1)
    before = gt.objective(site)
    for t, a in enumerate(acts):
        site[t] = a - 1
        after = gt.objective(site)
        shaped = rewards[t] + pots[t + 1] - pots[t]
        assert shaped == pytest.approx(0.1 * (after - before), abs=1e-9)
        before = after


def test_masks_full_and_missing_sites_and_masked_actions_deny():
    x = inst(1, 10, 2, B_max=[1, 2])
    env = MultiOffloadingEnv(x, max_users=10, max_sites=4)
    obs, info = env.reset()
    np.testing.assert_array_equal(info["action_mask"], [1, 1, 1, 0, 0])
    np.testing.assert_array_equal(obs["action_mask"], info["action_mask"])
    _, _, done, _, info = env.step(1)  # site 0 is now full
    np.testing.assert_array_equal(info["action_mask"], [1, 0, 1, 0, 0])
    _, _, done, _, info = env.step(1)  # masked: the user is denied
    assert info["masked_action"] == 1 and env.compact_state()[0][1] == -1
    _, _, done, _, info = env.step(4)  # a site the instance lacks: denied as well
    assert info["masked_action"] == 4 and not done
    env.step(2)
    _, _, done, _, info = env.step(2)  # every site full: the episode ends, the rest denied
    assert done and list(info["counts"]) == [1, 2]
    assert list(info["site"]) == [0, -1, -1, 1, 1, -1, -1, -1, -1, -1]
    with pytest.raises(RuntimeError):
        env.step(0)
    env.reset()
    with pytest.raises(ValueError, match="action must be"):
        env.step(9)


def test_marginal_feature_is_the_change_of_the_objective():
    x = inst(7, 14, 3)
    gt = gain_table(x)
    batch = MultiDecisionBatch([x], FeatureScales())
    rng = np.random.default_rng(2)
    while not batch.done[0]:
        o = batch.observation()
        t = int(batch.cur[0])
        site = batch.sites(0)
        base = gt.objective(site)
        for s in np.flatnonzero(o["action_mask"][0, 1:]):
            trial = site.copy()
            trial[t] = s
            assert o["pairs"][0, t, s, 2] * 10.0 == pytest.approx(gt.objective(trial) - base,
                                                                  abs=2e-5)
            assert o["pairs"][0, t, s, 1] * 10.0 == pytest.approx(
                gt.gain[batch.counts[0, s] + 1, t, s], abs=2e-5)
        mask = batch.action_mask()[0]
        batch.step(np.array([rng.choice(np.flatnonzero(mask))]))


def test_sampler_draws_the_scope_ranges():
    scope = ScopeConfig(kind="multi", users=(5, 9), sites=(2, 4), B_max=(3, 6))
    rng = np.random.default_rng(0)
    xs = [MultiEpisodeSampler(scope).sample(rng) for _ in range(60)]
    assert {x.n_sites for x in xs} == {2, 3, 4}
    assert min(x.n_users for x in xs) == 5 and max(x.n_users for x in xs) == 9
    b = np.concatenate([x.B_max for x in xs])
    assert b.min() == 3 and b.max() == 6


def net(seed=0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MultiQNet(embed_dim=3, encoder=(16, 16), hidden=(16, 16), channels=3)


def test_network_is_invariant_to_user_and_site_order_and_padding():
    x = inst(4, 9, 4)
    batch = MultiDecisionBatch([x], FeatureScales())
    for a in (1, 0, 3):  # a few decisions so that every status occurs
        batch.step(np.array([a]))
    o = batch.observation()
    q = net()(*multi_tensors(o))
    # sites permuted: site outputs permute with them
    perm = np.array([2, 0, 3, 1])
    o2 = dict(o)
    o2["pairs"] = o["pairs"][:, :, perm]
    o2["sites"] = o["sites"][:, perm]
    o2["valid_sites"] = o["valid_sites"][:, perm]
    o2["site_of"] = np.argsort(perm)[o["site_of"]]
    q2 = net()(*multi_tensors(o2))
    torch.testing.assert_close(q2[:, 1:], q[:, 1:][:, perm], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(q2[:, 0], q[:, 0], rtol=1e-5, atol=1e-5)
    # users permuted (decided and pending alike): same outputs
    up = np.random.default_rng(0).permutation(x.n_users)
    o3 = {k: (v[:, up] if k in ("users", "status", "site_of", "pairs", "valid_users") else v)
          for k, v in o.items()}
    torch.testing.assert_close(net()(*multi_tensors(o3)), q, rtol=1e-5, atol=1e-5)
    # padding: the same state inside a batch with a larger instance
    other = MultiDecisionBatch([inst(5, 20, 7), x], FeatureScales())
    for a in (1, 0, 3):
        other.step(np.array([1, a]))
    qb = net()(*multi_tensors(other.observation()))
    torch.testing.assert_close(qb[1:2, : 1 + 4], q, rtol=1e-5, atol=1e-5)


def test_batched_rollout_equals_one_instance_at_a_time():
    xs = [inst(k, 3 + 4 * k, 1 + k % 8) for k in range(9)]
    network = net(1)
    batched, passes, cut = greedy_sites(network, xs, FeatureScales(), batch_size=4)
    assert not cut and passes >= max(x.n_users for x in xs[:4])
    for x, s in zip(xs, batched, strict=True):
        (alone,), _, _ = greedy_sites(network, [x], FeatureScales())
        np.testing.assert_array_equal(alone, s)
        assert evaluate_multi(x, final_multi_solution(x, s)).feasible


def brute_force(x):
    """Best objective over every site vector (gain table: best splits for the counts)."""
    gt = gain_table(x)
    best = -np.inf
    for site in itertools.product(range(-1, x.n_sites), repeat=x.n_users):
        site = np.array(site)
        if np.any(np.bincount(site[site >= 0], minlength=x.n_sites) > x.B_max):
            continue
        best = max(best, gt.objective(site))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_enumerated_optimum_equals_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    S = 1 + seed % 3
    n = int(rng.integers(3, 7 if S < 3 else 6))
    x = inst(seed, n, S, B_max=rng.integers(0, 4, size=S).tolist())
    value, site = enumerated_optimum(x)
    assert value == pytest.approx(brute_force(x), abs=1e-9)
    ev = evaluate_multi(x, final_multi_solution(x, site))
    assert ev.feasible and ev.objective == pytest.approx(value, abs=1e-9)
    greedy, g_site = myopic_greedy(x)
    assert greedy <= value + 1e-9
    assert evaluate_multi(x, final_multi_solution(x, g_site)).feasible


def test_enumerated_optimum_refuses_large_instances():
    from gqap.errors import GQAPError

    with pytest.raises(GQAPError, match="count vectors"):
        enumerated_optimum(inst(0, 40, 6))
