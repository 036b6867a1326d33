"""Proposition 1: splits fixed at N_hat turn the offloading problem into a 2-site GQAP."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_offloading

from gqap.classic.evaluation import evaluate_gqap
from gqap.offloading.evaluation import evaluate_offloading
from gqap.offloading.reduction import (
    assignment_to_offloading,
    grant_to_assignment,
    offloading_to_gqap,
)


@pytest.mark.parametrize("convention", ["paper", "authors-scripts"])
@pytest.mark.parametrize("seed", range(5))
def test_gqap_cost_is_minus_objective_for_random_masks(seed, convention):
    inst = random_offloading(seed, 3 + 3 * seed, convention=convention, G=2 + seed,
                            B_max=1 + seed)
    g = offloading_to_gqap(inst)
    assert (g.n, g.m) == (inst.n_users, 2)
    rng = np.random.default_rng(100 + seed)
    for _ in range(40):
        grant = rng.random(inst.n_users) < rng.random()
        off = assignment_to_offloading(inst, grant_to_assignment(grant))
        np.testing.assert_array_equal(off.grant, grant)
        gq = evaluate_gqap(g, grant_to_assignment(grant))
        ev = evaluate_offloading(inst, off)
        assert gq.objective == pytest.approx(-ev.objective, rel=1e-12, abs=1e-9)
        # Capacity of the grant site is B_max: feasibility agrees too.
        assert gq.feasible == ev.feasible
