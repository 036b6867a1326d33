"""Fixed splits turn the multi-cluster problem into an (S + 1)-site GQAP (the analogue of
the paper's Proposition 1): GQAP cost = minus the objective for every assignment."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_offloading

from gqap.classic.evaluation import evaluate_gqap, gqap_cost_batch
from gqap.classic.solution import GQAPSolution
from gqap.errors import ValidationError
from gqap.multi import evaluate_multi, evaluate_multi_batch, from_offloading, generate_multi
from gqap.multi.reduction import LOCAL_SITE, multi_to_gqap
from gqap.offloading.reduction import DENY_SITE, GRANT_SITE, offloading_to_gqap


@pytest.mark.parametrize("splits", [None, 150.0, "per-site"])
@pytest.mark.parametrize("convention", ["paper", "authors-scripts"])
@pytest.mark.parametrize("seed", range(4))
def test_gqap_cost_is_minus_objective_for_random_assignments(seed, convention, splits):
    rng = np.random.default_rng(seed)
    S = 1 + seed
    inst = generate_multi(rng, 4 + 3 * seed, S, B_max=rng.integers(0, 5, size=S).tolist(),
                          convention=convention, seed=seed)
    if splits == "per-site":
        splits = rng.integers(inst.N_hat, inst.N + 1, size=S).astype(float)
        splits[0] = 123.25
    red = multi_to_gqap(inst, splits)
    g = red.gqap
    assert (g.n, g.m) == (inst.n_users, S + 1)
    np.testing.assert_array_equal(g.Q, [inst.n_users, *inst.B_max])
    off_diagonal = g.d - np.diag(np.diag(g.d))
    assert not off_diagonal.any() and g.d[LOCAL_SITE, LOCAL_SITE] == 0.0
    X = rng.integers(0, S + 1, size=(60, inst.n_users))
    X[0] = 0  # everyone local
    for x in X:
        gsol = GQAPSolution(x)
        msol = red.to_multi(gsol)
        np.testing.assert_array_equal(red.to_gqap(msol).assignment, x)
        gq = evaluate_gqap(g, gsol)
        ev = evaluate_multi(inst, msol)
        assert gq.objective == pytest.approx(-ev.objective, rel=1e-9, abs=1e-9)
        assert gq.feasible == ev.feasible
    sites = X - 1
    splits_b = np.stack([red.to_multi(GQAPSolution(x)).split for x in X])
    batch = evaluate_multi_batch(inst, sites, splits_b)
    np.testing.assert_allclose(gqap_cost_batch(g, X), -batch.objective, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("k", range(6))
def test_one_site_reduction_is_proposition_1(k):
    off = small_offloading(k, 300)
    two = offloading_to_gqap(off)
    red = multi_to_gqap(from_offloading(off))
    g = red.gqap
    np.testing.assert_allclose(g.a[:, 0], two.a[:, DENY_SITE], rtol=1e-13)
    np.testing.assert_allclose(g.a[:, 1], two.a[:, GRANT_SITE], rtol=1e-13)
    assert g.d[1, 1] == pytest.approx(two.d[GRANT_SITE, GRANT_SITE], rel=1e-13)
    assert g.Q.tolist() == [off.n_users, off.B_max]


def test_bad_splits_are_refused():
    inst = generate_multi(np.random.default_rng(0), 4, 2)
    with pytest.raises(ValidationError, match=r"splits: must lie in \[80, 200\]"):
        multi_to_gqap(inst, 79.0)
    with pytest.raises(ValidationError, match="splits: must lie in"):
        multi_to_gqap(inst, [100.0, np.nan])
    red = multi_to_gqap(inst)
    assert red.splits.tolist() == [80.0, 80.0]
    with pytest.raises(ValidationError, match="assignment: expected 4 sites"):
        red.to_multi(GQAPSolution([0, 1]))
    with pytest.raises(ValidationError, match=r"assignment: site indices must lie in 0..2"):
        red.to_multi(GQAPSolution([0, 1, 2, 3]))
    with pytest.raises(ValidationError, match="splits: expected one number or 2"):
        multi_to_gqap(inst, [100.0, 110.0, 120.0])
