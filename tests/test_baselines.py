"""The paper's three baselines on a hand-checked two-user instance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import hand_instance, random_offloading

from gqap.solvers import solve


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
