"""Multi-cluster family: instance validation, solutions, evaluator, and the S = 1 equivalence
with the paper's family (same numbers, same objective, bit for bit)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import random_offloading, small_offloading

from gqap.errors import ValidationError
from gqap.evaluation import SENSE, evaluate, is_better
from gqap.multi import (
    DENIED,
    MultiInstance,
    MultiSolution,
    evaluate_multi,
    evaluate_multi_batch,
    from_offloading,
    generate_multi,
    solution_from_offloading,
)
from gqap.multi.evaluation import denied_qoe, granted_qoe, site_counts
from gqap.offloading.evaluation import evaluate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def hand_multi(**changes) -> MultiInstance:
    """Two users, two sites, round numbers: F(n; d) = sigmoid(n - d) (a_F = 1, b_F = 0).

    l_R = [0.75, 0.5]; L_i(1) = 2 for both users; l_T on site s is 2 b / W_s with
    W = [1, 2]; L_0(b) = b/2 + 0.5 and L_1(b) = 2 b (paper convention).
    """
    kw = dict(k_site=[1.0, 2.0], h_site=[0.5, 0.0], G=[2, 1], B_max=[2, 1], W_hz=[1.0, 2.0],
              k_user=[1.0, 2.0], h_user=[1.0, 0.0], alpha=[2.0, 3.0],
              request_time=[0.25, 0.5], shift_steps=[[0.0, 1.0], [2.0, 0.0]], N=10, N_hat=4,
              a_F=1.0, b_F=0.0, K=1.0, eta=1.0, s_p_bits=0.5, s_m_bits=1.5)
    kw.update(changes)
    return MultiInstance(**kw)


# ---------------------------------------------------------------------------------------
# instance
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"k_site": []}, "sites: an instance needs at least one site"),
    ({"k_user": [], "h_user": [], "alpha": [], "request_time": [],
      "shift_steps": np.zeros((0, 2))}, "users: an instance needs at least one user"),
    ({"k_site": [-1.0, 2.0]}, "sites.k_s: must be >= 0"),
    ({"h_site": [0.5]}, r"sites.h_s: expected shape \(2,\)"),
    ({"G": [0, 1]}, "sites.G: must be >= 1"),
    ({"G": [2.5, 1]}, "sites.G: must hold integers"),
    ({"B_max": [2, -1]}, "sites.B_max: must be >= 0"),
    ({"W_hz": [1.0, 0.0]}, "sites.W_hz: must be > 0"),
    ({"W_hz": [1.0, math.inf]}, "sites.W_hz: contains NaN or inf"),
    ({"alpha": [1.0, math.nan]}, "users.alpha: contains NaN or inf"),
    ({"alpha": [1.0, -1.0]}, "users.alpha: must be >= 0"),
    ({"shift_steps": [[0.0, -1.0], [0.0, 0.0]]}, "shift_steps: must be >= 0"),
    ({"shift_steps": [[0.0, 1.0]]}, r"shift_steps: expected shape \(2, 2\)"),
    ({"N_hat": 11}, r"N_hat: must be <= N \(10\)"),
    ({"N": 2.5}, "N: must be an integer"),
    ({"a_F": 0.0}, "a_F: must be > 0"),
    ({"convention": "mine"}, "convention: must be one of paper, authors-scripts"),
    ({"h_user": [-1.0, 0.0]}, "users.h_s: local step latency k_s \\+ h_s of user 0"),
    ({"h_site": [0.5, -3.0]}, "sites.h_s: step latency of site 1 at batch 1"),
    ({"request_time": [0.25, 1.5]}, "users.request_time_s: user 1 requests at 1.5 s"),
])
def test_validation_names_the_field_in_one_line(change, message):
    with pytest.raises(ValidationError, match=message) as info:
        hand_multi(**change)
    assert "\n" not in str(info.value)


def test_instance_is_frozen_and_read_only():
    inst = hand_multi()
    assert inst.family == "multi" and SENSE["multi"] == "max"
    assert (inst.n_users, inst.n_sites, inst.size) == (2, 2, 2)
    assert inst.G.dtype == np.int64 and inst.B_max.dtype == np.int64
    for arr in (inst.k_site, inst.G, inst.W_hz, inst.alpha, inst.shift_steps):
        with pytest.raises(ValueError):
            arr[0] = 1
    with pytest.raises(AttributeError):
        inst.N = 3
    assert inst.replace(N=12).N == 12
    assert inst.replace(name="x").content_hash() == inst.content_hash()
    assert inst.replace(W_hz=[1.0, 3.0]).content_hash() != inst.content_hash()
    np.testing.assert_array_equal(inst.max_granted, [2, 1])


def test_model_terms_by_hand():
    inst = hand_multi()
    assert inst.site_step_latency(0, 3) == pytest.approx(2.0)
    assert inst.site_step_latency(1, 3) == pytest.approx(6.0)
    np.testing.assert_allclose(inst.site_step_latency([0, 1], [1, 2]), [1.0, 4.0])
    assert inst.replace(convention="authors-scripts").site_step_latency(0, 3) == \
        pytest.approx(1.75)
    np.testing.assert_allclose(inst.transmission_latency([0, 1], 2), [4.0, 2.0])
    assert inst.pai(0, 1, 5.0) == pytest.approx(sigmoid(4.0))
    assert inst.pai(1, 0, 5.0) == pytest.approx(sigmoid(3.0))
    assert inst.pai_shifted(5.0) == pytest.approx(sigmoid(5.0))
    np.testing.assert_allclose(inst.round_trip, [0.75, 0.5])
    np.testing.assert_allclose(inst.local_step_latency, [2.0, 2.0])


def test_offloading_round_trip_keeps_every_number():
    off = random_offloading(3, 9, G=4, B_max=5, convention="authors-scripts")
    multi = from_offloading(off)
    assert (multi.n_sites, multi.n_users) == (1, 9)
    assert not multi.shift_steps.any()
    back = multi.to_offloading()
    assert back.content_hash() == off.content_hash()
    assert back.name == off.name
    with pytest.raises(ValidationError, match="sites: only a one-site instance"):
        hand_multi().to_offloading()
    shifted = multi.replace(shift_steps=np.ones((9, 1)))
    with pytest.raises(ValidationError, match="shift_steps: a paper instance has no"):
        shifted.to_offloading()


# ---------------------------------------------------------------------------------------
# solution
# ---------------------------------------------------------------------------------------
def test_solution_validation_and_dict():
    sol = MultiSolution([0, -1, 1], [120, 200, 90.0])
    assert sol.to_dict() == {"site": [0, -1, 1], "split_points": [120, 200, 90]}
    assert MultiSolution([0.0, 1.0], [80.5, 81]).to_dict() == {
        "site": [0, 1], "split_points": [80.5, 81.0]}
    np.testing.assert_array_equal(sol.counts(2), [1, 1])
    np.testing.assert_array_equal(sol.granted, [True, False, True])
    assert sol.split is sol.split_points
    with pytest.raises(ValueError):
        sol.site[0] = 1
    with pytest.raises(ValidationError, match="site: site indices must be integers"):
        MultiSolution([0.5], [100])
    with pytest.raises(ValidationError, match="site: expected integer site indices"):
        MultiSolution([True], [100])
    with pytest.raises(ValidationError, match="site: expected a 1-D array"):
        MultiSolution([[0]], [[100]])
    with pytest.raises(ValidationError, match=r"split_points: expected shape \(2,\)"):
        MultiSolution([0, 1], [100])
    with pytest.raises(ValidationError, match="split_points: contains NaN"):
        MultiSolution([0], [math.nan])
    off = OffloadingSolution([True, False], [90, 200])
    back = solution_from_offloading(off)
    np.testing.assert_array_equal(back.site, [0, DENIED])
    np.testing.assert_array_equal(back.to_offloading().grant, off.grant)
    with pytest.raises(ValidationError, match="only a one-site decision"):
        sol.to_offloading()


# ---------------------------------------------------------------------------------------
# evaluator
# ---------------------------------------------------------------------------------------
def test_breakdown_by_hand_both_latency_models():
    inst = hand_multi(B_max=[2, 2])
    sol = MultiSolution([1, 1], [6, 5])  # both on site 1: b = 2, L_1(2) = 4, l_T = 2
    ev = evaluate_multi(inst, sol)
    np.testing.assert_array_equal(ev.counts, [0, 2])
    np.testing.assert_allclose(ev.l_R, [0.75, 0.5])
    np.testing.assert_allclose(ev.l_T, [2.0, 2.0])
    np.testing.assert_allclose(ev.l_E, [16.0, 20.0])
    np.testing.assert_allclose(ev.l_L, [12.0, 10.0])
    np.testing.assert_allclose(ev.pai, [sigmoid(5.0), sigmoid(5.0)])
    qoe = np.array([2 * sigmoid(5) - 30.75, 3 * sigmoid(5) - 32.5])
    np.testing.assert_allclose(ev.qoe, qoe)
    assert ev.objective == pytest.approx(qoe.sum())
    assert ev.feasible and ev.latency_model == "paper"
    np.testing.assert_allclose(ev.latency, ev.l_R + ev.l_T + ev.l_E + ev.l_L)
    # Dynamic batch: edge steps e = [4, 5]; 4 steps at L_1(2) = 4, then 1 step at L_1(1) = 2.
    dyn = evaluate_multi(inst, sol, "dynamic-batch")
    np.testing.assert_allclose(dyn.l_E, [16.0, 18.0])
    assert dyn.objective == pytest.approx(qoe.sum() + 2.0)
    # One user on each site, user 1 denied-equivalent checks.
    ev = evaluate_multi(inst, MultiSolution([0, -1], [7, 10]))
    np.testing.assert_allclose(ev.l_T, [2.0, 0.0])
    np.testing.assert_allclose(ev.l_E, [3 * 1.0, 0.0])
    np.testing.assert_allclose(ev.pai, [sigmoid(7.0), sigmoid(10.0)])
    np.testing.assert_allclose(ev.qoe[1], denied_qoe(inst)[1])


def test_violations_are_named():
    inst = hand_multi()
    ev = evaluate_multi(inst, MultiSolution([1, 1], [4, 10]))
    assert ev.violations == ("b_s <= B_max: site 1 has 2 users, B_max = 1",)
    ev = evaluate_multi(inst, MultiSolution([2, -2], [4, 10]))
    assert len(ev.violations) == 1 and ev.violations[0].startswith(
        "site in -1..1: user 0 has site 2 (2 users out of range)")
    assert np.isfinite(ev.objective)
    np.testing.assert_allclose(ev.l_T, 0.0)  # out-of-range users are scored as local
    ev = evaluate_multi(inst, MultiSolution([0, 1], [3, 11]))
    assert ev.violations == ("N_hat <= n_i <= N: user 0 has n = 3 (2 users out of [4, 10])",)
    ev = evaluate_multi(inst, MultiSolution([-1, 0], [9, 4]))
    assert ev.violations == ("denied users at n = N: user 0 is denied with n = 9 (1 users)",)
    assert not ev.feasible
    with pytest.raises(ValidationError, match="solution: expected 2 users"):
        evaluate_multi(inst, MultiSolution([0, 1, 1], [4, 4, 4]))
    with pytest.raises(ValidationError, match="latency model: must be one of"):
        evaluate_multi(inst, MultiSolution([0, 1], [4, 4]), "fastest")


def test_extreme_splits_still_give_finite_numbers():
    inst = hand_multi()
    for model in ("paper", "dynamic-batch"):
        ev = evaluate_multi(inst, MultiSolution([0, 1], [-1e6, 1e6]), model)
        assert np.isfinite(ev.objective) and np.all(np.isfinite(ev.qoe))
        assert not ev.feasible


def test_evaluate_dispatches_to_the_multi_evaluator():
    inst = hand_multi()
    sol = MultiSolution([0, 1], [5, 6])
    assert evaluate(inst, sol).objective == evaluate_multi(inst, sol).objective
    assert evaluate(inst, sol, "dynamic-batch").objective == \
        evaluate_multi(inst, sol, "dynamic-batch").objective
    with pytest.raises(ValidationError, match="a multi instance needs site and split_points"):
        evaluate(inst, OffloadingSolution([True, False], [5, 10]))
    with pytest.raises(ValidationError, match="offloading instance needs grant"):
        evaluate(random_offloading(0, 2), sol)
    assert is_better("multi", 2.0, 1.0)


@pytest.mark.parametrize("model", ["paper", "dynamic-batch"])
@pytest.mark.parametrize("seed", range(4))
def test_batch_evaluator_matches_single_decisions(seed, model):
    rng = np.random.default_rng(seed)
    inst = generate_multi(rng, 12, 3, B_max=[4, 3, 5], seed=seed,
                          convention=("paper", "authors-scripts")[seed % 2])
    P = 30
    sites = rng.integers(-1, 3, size=(P, 12))
    sites[0, 0], sites[1, 3] = 3, -2  # out of range
    splits = np.where(sites == DENIED, 200.0, rng.uniform(80, 200, size=(P, 12)))
    splits[2, 5] = 70.0  # below N_hat
    splits[3] = np.round(splits[3])
    batch = evaluate_multi_batch(inst, sites, splits, model)
    assert batch.objective.shape == (P,) and batch.counts.shape == (P, 3)
    for p in range(P):
        ev = evaluate_multi(inst, MultiSolution(sites[p], splits[p]), model)
        assert batch.objective[p] == pytest.approx(ev.objective, rel=1e-12, abs=1e-12)
        np.testing.assert_array_equal(batch.counts[p], ev.counts)
        assert bool(batch.feasible[p]) == ev.feasible
        assert batch.overload[p] == np.maximum(ev.counts - inst.B_max, 0).sum()
    np.testing.assert_array_equal(site_counts(inst, sites), batch.counts)


def test_granted_and_denied_qoe_agree_with_the_evaluator():
    inst = generate_multi(np.random.default_rng(7), 6, 2, seed=7)
    sol = MultiSolution([0, 1, 1, -1, 0, 1], [100, 120, 150, 200, 90.5, 199])
    ev = evaluate_multi(inst, sol)
    q = granted_qoe(inst, ev.counts[None, :], np.broadcast_to(sol.split[:, None], (6, 2)))
    for i, s in enumerate(sol.site):
        want = denied_qoe(inst)[i] if s == DENIED else q[i, s]
        assert ev.qoe[i] == pytest.approx(want, rel=1e-12)


# ---------------------------------------------------------------------------------------
# S = 1 with zero shifts is the paper's problem
# ---------------------------------------------------------------------------------------
def _random_decisions(inst: OffloadingInstance, rng: np.random.Generator, count: int):
    for k in range(count):
        grant = rng.random(inst.n_users) < rng.random()
        if k % 3 == 0:
            split = rng.integers(inst.N_hat, inst.N + 1, size=inst.n_users).astype(float)
        else:
            split = rng.uniform(inst.N_hat, inst.N, size=inst.n_users)
        if k % 4 != 1:
            split = np.where(grant, split, float(inst.N))  # else: denied off N (violation)
        if k % 5 == 2:
            split[0] = inst.N_hat - 3.0  # out of range
        yield OffloadingSolution(grant, split)


@pytest.mark.parametrize("k", range(12))
def test_one_site_without_shifts_is_the_paper_problem(k):
    off = small_offloading(k, 900)
    multi = from_offloading(off)
    rng = np.random.default_rng(k)
    for sol in _random_decisions(off, rng, 25):
        msol = solution_from_offloading(sol)
        for model in ("paper", "dynamic-batch"):
            a = evaluate_offloading(off, sol, model)
            b = evaluate_multi(multi, msol, model)
            assert b.objective == a.objective  # bit for bit
            for name in ("l_R", "l_T", "l_E", "l_L", "pai", "qoe"):
                np.testing.assert_array_equal(getattr(b, name), getattr(a, name), name)
            assert b.feasible == a.feasible
            assert int(b.counts[0]) == a.b
            batch = evaluate_multi_batch(multi, msol.site[None], msol.split[None], model)
            assert batch.objective[0] == pytest.approx(a.objective, rel=1e-12, abs=1e-12)
            assert bool(batch.feasible[0]) == a.feasible


def test_one_site_equivalence_holds_for_generated_multi_instances():
    # The generator's one-site instance without shifts, compared through to_offloading().
    for conv in ("paper", "authors-scripts"):
        multi = generate_multi(np.random.default_rng(5), 15, 1, delta_max=0.0, B_max=6,
                               convention=conv)
        off = multi.to_offloading()
        for sol in _random_decisions(off, np.random.default_rng(1), 20):
            for model in ("paper", "dynamic-batch"):
                assert evaluate_multi(multi, solution_from_offloading(sol), model).objective \
                    == evaluate_offloading(off, sol, model).objective
