"""The CP-SAT solver against the exact solver, mask enumeration and GQAP brute force."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, ExpiresAfter, gqap_optimum
from test_milp import (
    fixed_split_multi_optimum,
    fixed_split_optimum,
    gqap_8x4,
    multi_case,
    offloading_case,
    packing_infeasible,
)

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.solvers import solve
from gqap.solvers.base import DeadlineExpired
from gqap.solvers.cpsat import (
    CPSATOptions,
    build_cp_model,
    cost_scale,
    cpsat_size,
    integer_costs,
    integer_weights,
)
from gqap.solvers.formulations import batch_model_data, gqap_model_data, multi_model_data


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


def test_cut_at_the_limit_the_start_or_incumbent_is_returned():
    # The limit itself holds for every solver: tests/test_contract.py.
    inst = generate_gqap(np.random.default_rng(20), 20, 15, 0.35)
    r = solve("cpsat", inst, time_limit=4.0, start="greedy")
    assert r.status == "time_limit", r.info
    assert r.solution is not None  # CP-SAT's incumbent or the greedy start
    assert r.bound is None or r.bound <= r.objective


def test_the_hint_is_scored_and_never_beats_the_result():
    # Same seed, same result: tests/test_contract.py.
    a = solve("cpsat", gqap_8x4(), seed=3, start="greedy")
    assert a.info["start_objective"] >= a.objective


def test_bad_options_are_one_line_errors():
    with pytest.raises(GQAPError, match="threads must be >= 1"):
        solve("cpsat", gqap_8x4(), threads=0)
    with pytest.raises(GQAPError, match="applies to offloading and multi instances only"):
        solve("cpsat", gqap_8x4(), model="fixed-split")
    with pytest.raises(GQAPError, match="model must be one of"):
        solve("cpsat", offloading_case(2), model="relaxed")


def test_cpsat_and_milp_share_one_process():
    # highspy and OR-Tools ship clashing libhighs.so.1 (google/or-tools#5246): milp keeps
    # highspy out of the process, so both orders must work in one interpreter.
    code = ("import numpy as np; from gqap.classic.generator import generate_gqap; "
            "from gqap.solvers import solve; "
            "g = generate_gqap(np.random.default_rng(5), 8, 4, 0.7); "
            "a = solve('milp', g, backend='highs').objective; b = solve('cpsat', g).objective; "
            "c = solve('milp', g).objective; print(a == b == c, 'highspy' in __import__('sys')"
            ".modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "False"]


def test_packing_infeasible_instance_is_infeasible():
    r = solve("cpsat", packing_infeasible())
    assert r.status == "infeasible" and r.solution is None


def _scaled_to(x: np.ndarray, top: float) -> np.ndarray:
    """``x`` rescaled so that its largest |entry| is ``top`` (zeros stay zero)."""
    x = np.asarray(x, dtype=float)
    return x * (top / np.abs(x).max())


@pytest.mark.parametrize("top", [5e29, 1e-28])
def test_extreme_but_valid_costs_are_scaled_not_a_math_error(top):
    # Costs near the instance types' bounds (|x| <= 1e30, >= 1e-30): the folded products
    # reach 1e89 or 1e-84; powers of ten far from 1 bring them to integers near 1e12.
    b = gqap_8x4()
    inst = GQAPInstance(q=b.q, Q=b.Q, a=_scaled_to(b.a, top), t=_scaled_to(b.t, top),
                        d=_scaled_to(b.d, top), v=top)
    r = solve("cpsat", inst)
    assert r.status == "optimal", r.info
    assert r.objective == pytest.approx(gqap_optimum(inst), rel=1e-9)
    assert r.info["cost_scale"] != 1.0 and r.bound <= r.objective * (1 + 1e-9)


def test_weights_beyond_64_bit_integers_are_refused_in_one_line():
    b = gqap_8x4()
    with pytest.raises(GQAPError, match="^solver cpsat: facility weights sum to .* 64-bit"):
        solve("cpsat", GQAPInstance(q=b.q * 1e27, Q=b.Q * 1e27, a=b.a, t=b.t, d=b.d))
    # A capacity beyond 64-bit integers binds nothing: it becomes the total weight.
    q, Q = integer_weights(np.array([3.0, 4.0]), np.array([5.0, 1e25]))
    assert q.tolist() == [3, 4] and Q.tolist() == [5, 7]
    # Tiny weights are not integers, and must not be read as zeros.
    with pytest.raises(GQAPError, match="weights must be integers"):
        integer_weights(np.array([2.7e-27, 5.6e-27]), np.array([1e-26]))


def test_coefficients_that_cannot_be_integers_are_refused_in_one_line():
    with pytest.raises(GQAPError, match="overflow double precision"):
        cost_scale(np.array([1.0, np.inf]))
    with pytest.raises(GQAPError, match="beyond double precision"):
        cost_scale(np.array([1e-300, 2.5e-301]))
    assert cost_scale(np.array([1e-90, 0.5e-90])) == 1e102
    with pytest.raises(GQAPError, match="cannot be summed in 64-bit integers"):
        integer_costs(np.array([3e17, 1.0]), 1.0, terms=100)
    assert integer_costs(np.array([2.4, -1.6]), 10.0, terms=2).tolist() == [24.0, -16.0]


def test_model_size_is_counted_before_building():
    for inst in (gqap_8x4(), generate_gqap(np.random.default_rng(4), 10, 3, 0.5)):
        proto = build_cp_model(inst, CPSATOptions()).model.Proto()
        size = cpsat_size(gqap_model_data(inst))
        assert (size.variables, size.constraints) == (len(proto.variables),
                                                      len(proto.constraints))
    off = offloading_case(5)
    proto = build_cp_model(off, CPSATOptions()).model.Proto()
    size = cpsat_size(batch_model_data(off))
    assert size.variables == len(proto.variables)


def test_the_build_checks_the_deadline_and_a_big_model_is_refused():
    inst = generate_gqap(np.random.default_rng(3), 12, 5, 0.6)
    with pytest.raises(DeadlineExpired, match="building the CP-SAT model"):
        build_cp_model(inst, CPSATOptions(), ExpiresAfter(2))
    with pytest.raises(DeadlineExpired):
        build_cp_model(offloading_case(4), CPSATOptions(), ExpiresAfter(1))
    # Issue 13's case: 700,000 Booleans cannot be built in 3 s, so nothing is built.
    big = generate_gqap(np.random.default_rng(0), 60, 20, 0.6)
    assert cpsat_size(gqap_model_data(big)).build_seconds_floor() > 3.0
    r = solve("cpsat", big, time_limit=3.0)
    assert r.status == "time_limit" and r.solution is None and r.bound is None
    assert r.info["time_limit_reason"].startswith("refused: the model has 699,990 Boolean")


@pytest.mark.parametrize("seed", range(12))
def test_multi_count_model_equals_brute_force(seed):
    inst = multi_case(seed)
    ref = solve("brute-force", inst)
    r = solve("cpsat", inst, seed=seed)
    assert r.status == "optimal", r.info
    assert r.info["model"] == "count-disaggregated"
    assert r.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-9)
    assert r.bound >= ref.objective - 1e-9 * max(1.0, abs(ref.objective))
    proto = build_cp_model(inst, CPSATOptions()).model.Proto()
    size = cpsat_size(multi_model_data(inst))
    assert (size.variables, size.constraints) == (len(proto.variables), len(proto.constraints))


def test_multi_fixed_splits_and_one_site_without_shifts():
    from gqap.multi import from_offloading

    inst = multi_case(4)
    fixed = solve("cpsat", inst, model="fixed-split", start="greedy")
    assert fixed.status == "feasible" and fixed.info["model_status"] == "optimal"
    assert fixed.objective == pytest.approx(fixed_split_multi_optimum(inst), rel=1e-9)
    off = offloading_case(11)
    r = solve("cpsat", from_offloading(off))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(solve("exact", off).objective, rel=1e-9)
