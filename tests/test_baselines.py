"""The paper's three baselines on a hand-checked two-user instance, and their multi-cluster
generalisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import hand_instance, random_offloading

from gqap.multi import MultiInstance, evaluate_multi, from_offloading, generate_multi
from gqap.solvers import solve
from gqap.solvers.baselines import earliest_nearest_sites


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# alpha = [8, 3], N_hat = 0, B_max = 1: baseline 1 and 2 grant user 0 (earliest request).
# For b = 1: c = L_i(1) - L_e(1) = 2 - 1 = 1, g = c / (alpha a_F) = 1/8, so the real optimum
# is n = logit((1 + sqrt(1 - 4g)) / 2) = ln((1 + sqrt(.5))^2 / .5) = 1.7627...; between
# n = 1 (8 sig(1) - 1 = 4.849) and n = 2 (8 sig(2) - 2 = 5.046) the integer optimum is 2.
INST = dict(alpha=[8.0, 3.0], N_hat=0, B_max=1)
DENIED_1 = 3 * sig(10) - (0.5 + 20)


def granted_0(n: float) -> float:
    return 8 * sig(n) - (0.75 + 2 + (10 - n) * 1.0 + n * 2)


def test_baseline1_integer_and_real():
    inst = hand_instance(**INST)
    r = solve("baseline1", inst)
    np.testing.assert_array_equal(r.solution.grant, [True, False])
    np.testing.assert_array_equal(r.solution.split, [2.0, 10.0])
    assert r.objective == pytest.approx(granted_0(2) + DENIED_1, rel=1e-12)
    real = solve("baseline1", inst, split="real")
    n_star = math.log((1 + math.sqrt(0.5)) ** 2 / 0.5)
    assert real.solution.split[0] == pytest.approx(n_star, rel=1e-12)
    assert real.objective == pytest.approx(granted_0(n_star) + DENIED_1, rel=1e-12)
    assert real.objective > r.objective


def test_baseline2_fixes_splits_at_n_hat():
    r = solve("baseline2", hand_instance(**INST))
    np.testing.assert_array_equal(r.solution.split, [0.0, 10.0])
    assert r.objective == pytest.approx(granted_0(0) + DENIED_1, rel=1e-12)


def test_baseline3_everyone_local():
    r = solve("baseline3", hand_instance(**INST))
    assert not r.solution.grant.any()
    assert r.objective == pytest.approx(8 * sig(10) - 20.75 + DENIED_1, rel=1e-12)


def test_baselines_grant_earliest_requests_up_to_bmax():
    inst = random_offloading(5, 30, B_max=7)
    for name in ("baseline1", "baseline2"):
        r = solve(name, inst)
        order = np.argsort(inst.request_time)
        assert r.solution.grant[order[:7]].all() and not r.solution.grant[order[7:]].any()
        assert r.status == "feasible"


# ---- the multi-cluster family ------------------------------------------------------------
def multi_hand() -> MultiInstance:
    """Five users, two sites. Shifts make users 0, 2, 3 nearest to site 1 and users 1, 4
    nearest to site 0 (user 4 ties: lower site); request order 3, 0, 4, 2, 1."""
    return MultiInstance(
        k_site=[0.02, 0.03], h_site=[0.01, 0.01], G=[4, 8], B_max=[1, 2], W_hz=[1e6, 1e6],
        k_user=[0.3] * 5, h_user=[0.05] * 5, alpha=[5.0, 6.0, 7.0, 8.0, 9.0],
        request_time=[0.2, 0.9, 0.6, 0.1, 0.4],
        shift_steps=[[10, 2], [1, 5], [8, 0], [3, 1], [4, 4]])


def test_multi_baselines_send_the_earliest_requests_to_their_nearest_site():
    inst = multi_hand()
    # Site 1 is asked by 3, 0, 2 (request order) and takes two; site 0 by 4, 1 and takes one.
    want = [1, -1, -1, 1, 0]
    assert earliest_nearest_sites(inst).tolist() == want
    for name in ("baseline1", "baseline2"):
        r = solve(name, inst)
        assert r.solution.site.tolist() == want and r.status == "feasible"
    r2 = solve("baseline2", inst)
    assert r2.solution.split.tolist() == [80.0, 200.0, 200.0, 80.0, 80.0]
    r3 = solve("baseline3", inst)
    assert r3.solution.site.tolist() == [-1] * 5 and np.all(r3.solution.split == 200.0)


@pytest.mark.parametrize("seed", range(4))
def test_multi_baseline1_splits_are_the_best_integer_splits_at_the_counts(seed):
    from gqap.solvers.multi_brute_force import best_splits_by_enumeration

    inst = generate_multi(np.random.default_rng(seed), 25, 3, seed=seed, B_max=[3, 5, 2],
                          N_hat=(80, 30)[seed % 2])
    r = solve("baseline1", inst)
    ev = evaluate_multi(inst, r.solution)
    assert ev.feasible and r.objective == pytest.approx(ev.objective, rel=1e-12)
    site = r.solution.site
    counts = np.bincount(site[site >= 0], minlength=3)
    assert np.all(counts == np.minimum(inst.B_max, np.bincount(
        np.argmin(inst.shift_steps, axis=1), minlength=3)))
    for i in np.flatnonzero(site >= 0):
        best = best_splits_by_enumeration(inst, int(counts[site[i]]))[i, site[i]]
        assert r.solution.split[i] == best
    real = solve("baseline1", inst, split="real")
    assert real.objective >= r.objective - 1e-9
    assert r.objective >= solve("baseline2", inst).objective - 1e-9


@pytest.mark.parametrize("name,opts", [("baseline1", {}), ("baseline1", {"split": "real"}),
                                       ("baseline2", {}), ("baseline3", {})])
def test_multi_baselines_at_one_site_without_shifts_are_the_paper_baselines(name, opts):
    off = random_offloading(11, 30, B_max=7)
    paper = solve(name, off, **opts)
    multi = solve(name, from_offloading(off), **opts)
    np.testing.assert_array_equal(multi.solution.site == 0, paper.solution.grant)
    np.testing.assert_array_equal(multi.solution.split, paper.solution.split)
    assert multi.objective == pytest.approx(paper.objective, rel=1e-12)
