"""Sum tree and prioritised replay: sampling in proportion to priority, IS weights, 1 : 7;
the n-step window that fills the memories."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gqap.solvers.dqn.nstep import Complete, NStepWindow
from gqap.solvers.dqn.replay import DualReplay, PrioritizedReplay, SumTree

FIELDS = {"x": ((2,), np.float32), "k": ((), np.int64)}


def test_sum_tree_totals_and_updates():
    tree = SumTree(5)
    tree.update(np.arange(5), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert tree.total == 15.0
    tree.update(np.array([2, 2]), np.array([7.0, 0.5]))  # the last write wins
    assert tree.total == pytest.approx(12.5)
    np.testing.assert_array_equal(tree.get(np.arange(5)), [1, 2, 0.5, 4, 5])
    # cumulative ranges: [0,1) -> 0, [1,3) -> 1, [3,3.5) -> 2, [3.5,7.5) -> 3, [7.5,12.5) -> 4
    np.testing.assert_array_equal(tree.find(np.array([0.0, 0.99, 1.0, 3.2, 3.5, 12.49])),
                                  [0, 0, 1, 2, 3, 4])
    with pytest.raises(ValueError):
        tree.update(np.array([0]), np.array([-1.0]))


def test_sampling_is_proportional_to_priority():
    rng = np.random.default_rng(2024)
    n = 37
    mem = PrioritizedReplay(64, FIELDS, alpha=1.0, offset=0.0)
    for i in range(n):
        mem.add({"x": [i, i], "k": i})
    prio = rng.uniform(0.05, 3.0, n)
    prio[5] = 0.0  # never drawn
    mem.update_priorities(np.arange(n), prio)
    counts = np.zeros(n)
    for _ in range(400):
        idx, data, _ = mem.sample(128, beta=0.5, rng=rng)
        np.testing.assert_array_equal(data["k"], idx)
        counts += np.bincount(idx, minlength=n)
    assert counts[5] == 0
    keep = prio > 0
    expected = prio[keep] / prio.sum() * counts.sum()
    chi2 = stats.chisquare(counts[keep], expected)
    assert chi2.pvalue > 0.001, chi2
    # stratified sampling is tighter than multinomial: every leaf within 5 % of expectation
    np.testing.assert_allclose(counts[keep], expected, rtol=0.05)


def test_priorities_and_importance_weights():
    rng = np.random.default_rng(0)
    mem = PrioritizedReplay(8, FIELDS, alpha=0.7, offset=2e-5)
    for i in range(4):
        mem.add({"x": [0, 0], "k": i})
    td = np.array([0.0, 0.1, 1.0, 3.0])
    mem.update_priorities(np.arange(4), td)
    p = (np.abs(td) + 2e-5) ** 0.7
    np.testing.assert_allclose(mem.tree.get(np.arange(4)), p)
    idx, _, w = mem.sample(32, beta=0.3, rng=rng)
    raw = (4 * p[idx] / p.sum()) ** -0.3
    np.testing.assert_allclose(w, raw / raw.max(), rtol=1e-6)
    mem.add({"x": [1, 1], "k": 4})  # new transitions get the largest priority so far
    assert mem.tree.get(np.array([4]))[0] == pytest.approx(p.max())


def test_ring_buffer_overwrites_the_oldest():
    mem = PrioritizedReplay(3, FIELDS)
    for i in range(5):
        mem.add({"x": [i, i], "k": i})
    assert len(mem) == 3
    assert sorted(mem.data["k"].tolist()) == [2, 3, 4]


def test_dual_memory_draws_one_terminal_per_seven_others_and_round_trips():
    rng = np.random.default_rng(1)
    mem = DualReplay(800, FIELDS, terminal_fraction=0.125)
    for i in range(300):
        mem.add({"x": [i, 0], "k": i}, done=(i % 10 == 9))
    parts, data, w = mem.sample(128, 16, beta=0.3, rng=rng)
    assert [idx.size for _, idx in parts] == [16, 112]
    assert np.all(data["k"][:16] % 10 == 9) and np.all(data["k"][16:] % 10 != 9)
    assert w.shape == (128,)
    mem.update_priorities(parts, np.linspace(0, 1, 128))
    copy = DualReplay(800, FIELDS, terminal_fraction=0.125)
    copy.load_state_dict(mem.state_dict())
    r1, r2 = np.random.default_rng(5), np.random.default_rng(5)
    _, d1, w1 = mem.sample(64, 8, 0.5, r1)
    _, d2, w2 = copy.sample(64, 8, 0.5, r2)
    np.testing.assert_array_equal(d1["k"], d2["k"])
    np.testing.assert_array_equal(w1, w2)


def test_nstep_window_sums_n_discounted_rewards_and_flushes_at_the_end():
    w = NStepWindow(3, 0.5)
    assert w.push("s0", 1.0, False) == [] and w.push("s1", 2.0, False) == []
    # s0 is complete with three rewards: 1 + 0.5 * 2 + 0.25 * 4
    assert w.push("s2", 4.0, False) == [Complete("s0", 3.0, 0.125, False)]
    # the last step flushes the window: s1 and s2 with fewer rewards, s3 alone is terminal
    assert w.push("s3", 8.0, True) == [Complete("s1", 2.0 + 2.0 + 2.0, 0.125, False),
                                       Complete("s2", 4.0 + 4.0, 0.25, False),
                                       Complete("s3", 8.0, 0.5, True)]
    one = NStepWindow(1, 1.0)  # the paper's one-step transitions
    assert one.push("a", 3.0, False) == [Complete("a", 3.0, 1.0, False)]
    assert one.push("b", 5.0, True) == [Complete("b", 5.0, 1.0, True)]
