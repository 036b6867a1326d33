"""The CP-SAT solver against the exact solver, mask enumeration and GQAP brute force."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, gqap_optimum
from test_milp import fixed_split_optimum, gqap_8x4, offloading_case

from gqap.errors import GQAPError
from gqap.generators import generate_gqap
from gqap.instances import GQAPInstance
from gqap.solvers import solve
from gqap.solvers.cpsat import cost_scale, integer_weights


@pytest.mark.parametrize("seed", range(30))
def test_full_model_equals_exact(seed):
    inst = offloading_case(seed)
    ref = solve("exact", inst)
    r = solve("cpsat", inst, seed=seed)
    assert r.status == "optimal", r.info
    assert r.objective == pytest.approx(ref.objective, rel=1e-6)
    assert r.bound >= r.objective - 1e-9 * abs(r.objective)
    assert r.info["costs_integral"] is False and r.info["cost_scale"] > 1
    assert r.info["rounding_error_bound"] < 1e-9 * abs(r.objective)


def test_real_splits_equal_exact():
    inst = offloading_case(11)
    r = solve("cpsat", inst, split="real")
    assert r.status == "optimal"
    assert r.objective == pytest.approx(solve("exact", inst, split="real").objective, rel=1e-6)


@pytest.mark.parametrize("seed", range(1, 30, 3))
def test_fixed_split_equals_mask_enumeration(seed):
    inst = offloading_case(seed)
    r = solve("cpsat", inst, model="fixed-split")
    assert r.status == "feasible" and r.info["model_status"] == "optimal", r.info
    assert r.objective == pytest.approx(fixed_split_optimum(inst), rel=1e-6)
    assert np.all(r.solution.split[r.solution.grant] == inst.N_hat)


@pytest.mark.parametrize("cap", [False, True])
def test_gqap_8x4_equals_brute_force(cap):
    inst = gqap_8x4()
    r = solve("cpsat", inst, rlt_capacity=cap)
    assert r.status == "optimal", r.info
    assert r.objective == gqap_optimum(inst)
    assert r.bound == r.objective and r.info["cost_scale"] == 1.0


def test_non_integer_costs_are_scaled_and_said():
    base = gqap_8x4()
    inst = GQAPInstance(q=base.q, Q=base.Q, a=base.a / 7.0, t=base.t, d=base.d / 3.0, v=0.37)
    ref = gqap_optimum(inst)
    r = solve("cpsat", inst)
    assert r.status == "optimal" and r.info["costs_integral"] is False
    assert r.objective == pytest.approx(ref, rel=1e-9)
    assert r.bound <= r.objective
    # A coarse scale cannot prove the true optimum: the status says so.
    coarse = solve("cpsat", inst, scale=1.0)
    assert coarse.status == "feasible" and "rounding" in coarse.info["not_proven"]
    assert coarse.bound <= ref + 1e-9


def test_cost_scale_and_integer_weights():
    assert cost_scale(np.array([3.0, -12.0])) == 1.0
    s = cost_scale(np.array([0.5, 2.25]))
    assert s == 1e11 and 2.25 * s <= 1e12
    q, Q = integer_weights(np.array([0.5, 1.25]), np.array([1.8, 3.0]))
    assert q.tolist() == [50, 125] and Q.tolist() == [180, 300]
    with pytest.raises(GQAPError, match="weights must be integers"):
        integer_weights(np.array([1 / 3]), np.array([1.0]))


def test_time_limit_is_honoured_including_build():
    inst = generate_gqap(np.random.default_rng(20), 20, 15, 0.35)
    limit = 4.0
    r = solve("cpsat", inst, time_limit=limit, start="greedy")
    assert r.wall_time_s <= 1.1 * limit + 2.0
    assert r.status == "time_limit", r.info
    assert r.solution is not None  # CP-SAT's incumbent or the greedy start
    assert r.bound is None or r.bound <= r.objective


def test_same_seed_same_result_and_hint():
    inst = gqap_8x4()
    a = solve("cpsat", inst, seed=3, start="greedy")
    b = solve("cpsat", inst, seed=3, start="greedy")
    assert np.array_equal(a.solution.assignment, b.solution.assignment)
    assert a.info["start_objective"] >= a.objective


def test_bad_options_are_one_line_errors():
    with pytest.raises(GQAPError, match="threads must be >= 1"):
        solve("cpsat", gqap_8x4(), threads=0)
    with pytest.raises(GQAPError, match="offloading instances only"):
        solve("cpsat", gqap_8x4(), model="fixed-split")
    with pytest.raises(GQAPError, match="model must be one of"):
        solve("cpsat", offloading_case(2), model="relaxed")


def test_cpsat_and_milp_share_one_process():
    # highspy and OR-Tools ship clashing libhighs.so.1 (google/or-tools#5246): milp keeps
    # highspy out of the process, so both orders must work in one interpreter.
    code = ("import numpy as np; from gqap.generators import generate_gqap; "
            "from solvers import solve; g = generate_gqap(np.random.default_rng(5), 8, 4, 0.7); "
            "a = solve('milp', g, backend='highs').objective; b = solve('cpsat', g).objective; "
            "c = solve('milp', g).objective; print(a == b == c, 'highspy' in __import__('sys')"
            ".modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]
