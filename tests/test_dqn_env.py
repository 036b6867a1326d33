"""The paper's MDP: indicator transitions, cyclic shift, termination, eq. 21 reward."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import ROOT, random_offloading

from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.offloading.split import optimal_split
from gqap.solvers.dqn.config import FeatureScales, ScopeConfig
from gqap.solvers.dqn.env import (
    CURRENT,
    DENIED,
    GRANTED,
    PENDING,
    DecisionBatch,
    EpisodeSampler,
    OffloadingEnv,
)


def play(env, policy, **reset_kw):
    obs, info = env.reset(**reset_kw)
    rewards, steps = [], [(obs, info)]
    done = False
    while not done:
        obs, r, done, trunc, info = env.step(policy(env))
        assert trunc is False
        rewards.append(r)
        steps.append((obs, info))
    return rewards, steps


def test_passes_gymnasium_check_env():
    from gymnasium.utils.env_checker import check_env

    env = OffloadingEnv(max_users=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unbounded Box warnings: features have no upper bound
        check_env(env, skip_render_check=True)


def test_indicators_shift_and_counts_follow_each_step():
    inst = random_offloading(3, 6, B_max=18)
    env = OffloadingEnv(inst, max_users=8)
    obs, info = env.reset(seed=0)
    feats = obs["local"].copy()
    assert obs["indicator"].tolist() == [CURRENT] + [PENDING] * 5 + [DENIED] * 2
    assert obs["valid"].tolist() == [1] * 6 + [0] * 2
    np.testing.assert_array_equal(feats[6:], 0.0)
    assert info["action_mask"].tolist() == [True, True]
    actions = [1, 0, 1, 1, 0, 0]
    for t, a in enumerate(actions):
        obs, r, done, _, info = env.step(a)
        assert done == (t == 5)
        g = obs["global"] * 20.0  # count scale
        assert np.allclose(g[3:], [5 - t, sum(actions[: t + 1]), t + 1 - sum(actions[: t + 1])])
        if done:
            break
        ind = obs["indicator"]
        # cyclic shift: user t+1 first, then the later ones, then the decided ones in order
        assert ind[0] == CURRENT
        np.testing.assert_array_equal(obs["local"][0], feats[t + 1])
        decided = [GRANTED if x else DENIED for x in actions[: t + 1]]
        assert ind[6 - (t + 1): 6].tolist() == decided
        assert ind[1: 6 - (t + 1)].tolist() == [PENDING] * (4 - t)
        np.testing.assert_array_equal(obs["local"][5], feats[t])
    assert info["grant"].tolist() == [bool(a) for a in actions]


def test_episode_ends_when_b_max_is_reached_and_the_rest_is_denied():
    inst = random_offloading(5, 8, B_max=3)
    env = OffloadingEnv(inst, max_users=8)
    rewards, steps = play(env, lambda e: 1, seed=0)
    assert len(rewards) == 3
    obs, info = steps[-1]
    assert info["grant"].tolist() == [True] * 3 + [False] * 5
    assert sorted(obs["indicator"][:8].tolist()) == [GRANTED] * 3 + [DENIED] * 5
    with pytest.raises(RuntimeError):
        env.step(0)


def test_zero_b_max_masks_grant():
    inst = random_offloading(5, 4, B_max=0)
    env = OffloadingEnv(inst, max_users=4)
    _, info = env.reset(seed=0)
    assert info["action_mask"].tolist() == [True, False]
    with pytest.raises(ValueError, match="mask"):
        env.step(1)
    rewards, steps = play(env, lambda e: 0, seed=0)
    assert len(rewards) == 4 and steps[-1][1]["b"] == 0


@pytest.mark.parametrize("split", ["integer", "real"])
@pytest.mark.parametrize("seed", range(4))
def test_rewards_sum_to_a_tenth_of_the_evaluator_objective(seed, split):
    inst = random_offloading(seed, 4 + 5 * seed, G=[2, 8, 16, 4][seed], B_max=[18, 5, 18, 2][seed])
    env = OffloadingEnv(inst, max_users=20, split=split)
    rng = np.random.default_rng(seed)
    paid = []

    def policy(e):
        a = int(rng.integers(2))
        t = int(e.state.cur[0])
        b = int(e.state.granted[0]) + a
        n_t = optimal_split(inst, b, integer=split == "integer")[t] if a else inst.N
        paid.append(0.1 * inst.alpha[t] * inst.pai(n_t))
        return a

    rewards, steps = play(env, policy, seed=seed)
    info = steps[-1][1]
    # non-terminal rewards: alpha_t F(n_t), n_t the split at the current grant count
    np.testing.assert_allclose(rewards[:-1], paid[:-1], rtol=1e-12)
    ev = evaluate(inst, info_solution(info))
    assert ev.feasible
    assert info["objective"] == ev.objective
    assert sum(rewards) == pytest.approx(0.1 * ev.objective, rel=1e-10, abs=1e-10)
    b = info["b"]
    if b:
        want = optimal_split(inst, b, integer=split == "integer")[info["grant"]]
        np.testing.assert_array_equal(info["split"][info["grant"]], want)
    assert info["mean_pai"] == pytest.approx(ev.pai.mean())
    assert info["mean_latency"] == pytest.approx(ev.latency.mean())


def info_solution(info):
    from gqap.offloading.solution import OffloadingSolution

    return OffloadingSolution(info["grant"], info["split"])


def test_scopes_draw_the_right_instances():
    rng = np.random.default_rng(0)
    general = EpisodeSampler(ScopeConfig(kind="general", users=(4, 20), G=(2, 16)))
    drawn = [general.sample(rng) for _ in range(60)]
    assert len({x.G for x in drawn}) > 5 and len({x.n_users for x in drawn}) > 5
    assert all(2 <= x.G <= 16 and 4 <= x.n_users <= 20 for x in drawn)
    gpu = EpisodeSampler(ScopeConfig(kind="gpu", gpu_G=8, users=(4, 20)))
    assert {gpu.sample(rng).G for _ in range(20)} == {8}
    spec = EpisodeSampler(ScopeConfig(kind="specific",
                                      instance=str(ROOT / "instances/fig11a/u20-c000.json")),
                          base_dir=None)
    a, b = spec.sample(rng), spec.sample(rng)
    assert a is b and a.n_users == 20


def test_users_power_weights_small_user_counts():
    """users_power = 1 draws n with weight 1/n: as many transitions per user count."""
    rng = np.random.default_rng(1)
    small = EpisodeSampler(ScopeConfig(kind="general", users=(4, 20), G=(2, 16),
                                       users_power=1.0))
    n = np.array([small.sample(rng).n_users for _ in range(3000)])
    counts = np.arange(4, 21)
    want = (1 / counts) / (1 / counts).sum()
    got = np.array([(n == c).mean() for c in counts])
    assert np.abs(got - want).max() < 0.02
    assert got[0] > 3 * got[-1]  # 4 users about five times as often as 20
    with pytest.raises(ValueError, match="users_power"):
        ScopeConfig(users_power=-1.0)


def test_reset_seed_reproduces_the_episode():
    env = OffloadingEnv(max_users=20)
    o1, _ = env.reset(seed=11)
    i1 = env.instance
    env.reset(seed=12)
    o2, _ = env.reset(seed=11)
    assert env.instance.content_hash() == i1.content_hash()
    for k in o1:
        np.testing.assert_array_equal(o1[k], o2[k])


def test_too_many_users_is_refused():
    env = OffloadingEnv(max_users=5)
    with pytest.raises(GQAPError, match="at most 5"):
        env.reset(options={"instance": random_offloading(0, 6)})


def test_batched_state_matches_single_episodes():
    insts = [random_offloading(s, n) for s, n in ((0, 5), (1, 9), (2, 3))]
    batch = DecisionBatch(insts, 10, FeatureScales())
    rng = np.random.default_rng(4)
    singles = [DecisionBatch([x], 10, FeatureScales()) for x in insts]
    while not batch.done.all():
        rows = np.flatnonzero(~batch.done)
        acts = rng.integers(0, 2, rows.size)
        for r, a in zip(rows, acts, strict=True):
            before = batch.observation(np.array([r]))
            single = singles[r].observation()
            for k in before:
                np.testing.assert_array_equal(before[k], single[k])
            singles[r].step(np.array([a]))
        batch.step(acts, rows)
    for r, s in enumerate(singles):
        np.testing.assert_array_equal(batch.grants(r), s.grants(0))
