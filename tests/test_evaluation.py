"""The evaluators against hand-computed values, one latency term at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import hand_instance

from gqap.classic.evaluation import evaluate_gqap, gqap_cost, gqap_cost_batch, site_loads_batch
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import ValidationError
from gqap.evaluation import evaluate
from gqap.offloading.evaluation import evaluate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def test_offloading_terms_by_hand():
    inst = hand_instance()
    ev = evaluate_offloading(inst, OffloadingSolution([True, False], [6.0, 10.0]))
    assert ev.b == 1
    np.testing.assert_allclose(ev.l_R, [0.75, 0.5])
    np.testing.assert_allclose(ev.l_T, [2.0, 0.0])  # (0.5 + 1.5) * 1 / (1 * 1)
    np.testing.assert_allclose(ev.l_E, [4.0, 0.0])  # (10 - 6) * (1 * 1/2 + 0.5)
    np.testing.assert_allclose(ev.l_L, [12.0, 20.0])  # n * (k + h)
    np.testing.assert_allclose(ev.pai, [sig(6), sig(10)])
    expected = 2 * sig(6) - (0.75 + 2 + 4 + 12) + 3 * sig(10) - (0.5 + 20)
    assert ev.objective == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(ev.qoe.sum(), expected)
    assert ev.feasible


def test_batch_of_two_doubles_transmission_and_grows_edge_latency():
    inst = hand_instance()
    ev = evaluate_offloading(inst, OffloadingSolution([True, True], [6.0, 8.0]))
    np.testing.assert_allclose(ev.l_T, [4.0, 4.0])
    np.testing.assert_allclose(ev.l_E, [4 * 1.5, 2 * 1.5])  # L_e(2) = 2/2 + 0.5


def test_authors_convention_divides_intercept_by_G():
    inst = hand_instance(convention="authors-scripts")
    ev = evaluate_offloading(inst, OffloadingSolution([True, False], [6.0, 10.0]))
    np.testing.assert_allclose(ev.l_E, [4 * 0.75, 0.0])  # (1 * 1 + 0.5) / 2


def test_real_split_points_are_scored():
    inst = hand_instance()
    ev = evaluate_offloading(inst, OffloadingSolution([True, False], [6.5, 10.0]))
    np.testing.assert_allclose(ev.l_E[0], 3.5)
    np.testing.assert_allclose(ev.l_L[0], 13.0)


def test_dynamic_batch_shrinks_as_users_leave():
    inst = hand_instance(k_user=[1.0, 1.0, 1.0], h_user=[1.0, 1.0, 1.0],
                         alpha=[1.0, 1.0, 1.0], request_time=[0.1, 0.2, 0.3], k_edge=1.0,
                         h_edge=0.0, G=1, B_max=3)
    sol = OffloadingSolution([True, True, True], [8.0, 5.0, 5.0])  # edge steps 2, 5, 5
    paper = evaluate_offloading(inst, sol)
    dyn = evaluate_offloading(inst, sol, "dynamic-batch")
    np.testing.assert_allclose(paper.l_E, [2 * 3, 5 * 3, 5 * 3])
    # First 2 steps at batch 3, the remaining 3 steps of the two long users at batch 2.
    np.testing.assert_allclose(dyn.l_E, [6.0, 6.0 + 3 * 2, 6.0 + 3 * 2])
    assert dyn.objective - paper.objective == pytest.approx(36.0 - 30.0)
    np.testing.assert_allclose(dyn.l_T, paper.l_T)


def test_dynamic_batch_equals_paper_when_all_share_the_same_split():
    inst = hand_instance()
    sol = OffloadingSolution([True, True], [7.0, 7.0])
    assert evaluate_offloading(inst, sol, "dynamic-batch").objective == pytest.approx(
        evaluate_offloading(inst, sol).objective)


@pytest.mark.parametrize(
    ("grant", "split", "fragment"),
    [
        ([True, True], [6.0, 6.0], "b <= B_max"),
        ([True, False], [3.0, 10.0], "N_hat <= n_i <= N"),
        ([True, False], [6.0, 11.0], "N_hat <= n_i <= N"),
        ([False, False], [10.0, 9.0], "denied users at n = N"),
    ],
)
def test_violations_are_named(grant, split, fragment):
    inst = hand_instance(B_max=1)
    ev = evaluate_offloading(inst, OffloadingSolution(grant, split))
    assert not ev.feasible
    assert any(fragment in v for v in ev.violations), ev.violations


def test_wrong_length_solution_is_rejected():
    with pytest.raises(ValidationError, match="grant: expected 2 users"):
        evaluate_offloading(hand_instance(), OffloadingSolution([True], [5.0]))


def small_gqap() -> GQAPInstance:
    return GQAPInstance(q=[1, 2, 3], Q=[3, 5], a=[[1, 2], [3, 4], [5, 6]],
                        t=[[0, 1, 2], [1, 0, 3], [2, 3, 0]], d=[[0, 10], [10, 0]], v=2.0)


def test_gqap_cost_by_hand_all_ordered_pairs():
    inst = small_gqap()
    # linear 1 + 4 + 6; pairs (0,1),(1,0): 1*10 each, (0,2),(2,0): 2*10 each; times v = 2.
    assert gqap_cost(inst, np.array([0, 1, 1])) == pytest.approx(11 + 2 * 60)
    assert gqap_cost(inst, np.array([0, 0, 0])) == pytest.approx(9)  # d[0,0] = 0


def test_gqap_batch_matches_single():
    inst = small_gqap()
    X = np.array([[0, 1, 1], [1, 0, 1], [0, 0, 1], [1, 1, 1]])
    np.testing.assert_allclose(gqap_cost_batch(inst, X), [gqap_cost(inst, x) for x in X])
    np.testing.assert_allclose(site_loads_batch(inst, X),
                               [[1, 5], [2, 4], [3, 3], [0, 6]])


def test_gqap_overloaded_sites_are_named():
    inst = small_gqap()
    ev = evaluate_gqap(inst, GQAPSolution([0, 0, 0]))
    np.testing.assert_allclose(ev.loads, [6, 0])
    assert ev.violations == ("site 0: load 6 > capacity 3",)
    assert evaluate_gqap(inst, GQAPSolution([0, 1, 1])).feasible


def test_gqap_site_index_out_of_range():
    with pytest.raises(ValidationError, match="site indices must lie in 0..1"):
        evaluate_gqap(small_gqap(), GQAPSolution([0, 2, 1]))


def test_family_mismatch():
    with pytest.raises(ValidationError, match="needs an assignment"):
        evaluate(small_gqap(), OffloadingSolution([True], [5.0]))


# ---------------------------------------------------------------------------------------
# extreme values within the bounds: every evaluator stays finite, without warnings
# ---------------------------------------------------------------------------------------
def _extreme_values(rng, size, low=-1e30):
    """A mix of the largest and smallest allowed magnitudes (and zeros)."""
    pick = rng.choice([0.0, 1e-30, 1e30, 3.7e29], size=size)
    return np.where(rng.random(size) < 0.5, pick, np.maximum(-pick, low))


@pytest.mark.parametrize("seed", range(5))
def test_evaluators_are_finite_at_the_bounds(seed):
    import warnings

    from gqap.multi import MultiInstance, MultiSolution, evaluate_multi, evaluate_multi_batch

    rng = np.random.default_rng(seed)
    n, m = 6, 3
    q = np.ones(n)
    g = GQAPInstance(q=q, Q=np.full(m, 1e30), a=_extreme_values(rng, (n, m)),
                     t=_extreme_values(rng, (n, n)), d=_extreme_values(rng, (m, m)),
                     v=float(rng.choice([1e30, -1e30, 1e-30])))
    big = dict(alpha=np.abs(_extreme_values(rng, n)), k_user=np.full(n, 1e30),
               h_user=_extreme_values(rng, n, low=-1e29), request_time=np.zeros(n),
               N=10**6, N_hat=0, a_F=1e30, b_F=-1e30, K=1e30, eta=1e-30, s_p_bits=1e30,
               s_m_bits=1e30)
    o = OffloadingInstance(k_edge=1e30, h_edge=1e30, G=1, B_max=10**9, W_max_hz=1e-30, **big)
    mu = MultiInstance(k_site=[1e30, 1e-30, 0.0], h_site=[1e30, 1e30, 1e-30], G=[1, 10**9, 1],
                       B_max=[10**9] * 3, W_hz=[1e-30, 1e30, 1e-30],
                       shift_steps=np.abs(_extreme_values(rng, (n, 3))), **big)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        for _ in range(20):
            x = rng.integers(0, m, size=n)
            assert math.isfinite(evaluate_gqap(g, GQAPSolution(x)).objective)
            assert np.all(np.isfinite(gqap_cost_batch(g, x[None, :])))
            grant = rng.random(n) < 0.5
            split = np.where(grant, rng.integers(0, 10**6 + 1, size=n), 10**6)
            for model in ("paper", "dynamic-batch"):
                ev = evaluate_offloading(o, OffloadingSolution(grant, split), model)
                assert math.isfinite(ev.objective) and np.all(np.isfinite(ev.qoe))
                site = np.where(grant, rng.integers(0, 3, size=n), -1)
                mev = evaluate_multi(mu, MultiSolution(site, split), model)
                assert math.isfinite(mev.objective) and np.all(np.isfinite(mev.qoe))
                batch = evaluate_multi_batch(mu, site[None, :], split[None, :], model)
                assert np.all(np.isfinite(batch.objective))
                assert abs(ev.objective) < 1e110 and abs(mev.objective) < 1e110


def test_objective_guard_refuses_non_finite_values():
    from gqap.evaluation import finite_objective

    assert finite_objective(np.float64(-3.5)) == -3.5
    for bad in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValidationError, match=r"objective: evaluates to .* \(not a finite"):
            finite_objective(bad)
