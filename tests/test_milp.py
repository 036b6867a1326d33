"""The MILP solver against the exact solver, mask enumeration and GQAP brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import ExpiresAfter, gqap_optimum, random_offloading
from test_contract import packing_infeasible

from gqap.classic.evaluation import gqap_cost
from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.io import read_instance, write_solution
from gqap.offloading.reduction import offloading_to_gqap
from gqap.offloading.solution import OffloadingSolution
from gqap.solvers import solve
from gqap.solvers.base import Deadline, DeadlineExpired, Status
from gqap.solvers.formulations import batch_model_data, gqap_model_data
from gqap.solvers.milp.backend import write_mps
from gqap.solvers.milp.cbc import cbc_log_bound, parse_cbc_log
from gqap.solvers.milp.model import build_batch_milp, build_gqap_milp
from gqap.solvers.milp.size import (
    ModelSize,
    batch_milp_size,
    gqap_milp_size,
    gqap_pair_count,
    quick_seconds_floor,
)


def offloading_case(seed: int):
    """Seeded instances with 4..10 users, B_max often binding, both latency conventions."""
    n_users = 4 + seed % 7
    return random_offloading(seed, n_users, G=1 + seed % 8,
                             B_max=(2 + seed % 5) if seed % 3 else 18,
                             convention=("paper", "authors-scripts")[seed % 2])


def fixed_split_optimum(inst) -> float:
    """Best objective over all grant masks with every granted split at N_hat."""
    best = -np.inf
    for mask in itertools.product([False, True], repeat=inst.n_users):
        grant = np.array(mask)
        if grant.sum() > inst.B_max:
            continue
        sol = OffloadingSolution(grant, np.where(grant, float(inst.N_hat), float(inst.N)))
        best = max(best, evaluate(inst, sol).objective)
    return best




def gqap_8x4(seed: int = 5):
    return generate_gqap(np.random.default_rng(seed), 8, 4, 0.7)


def test_model_data_folds_costs_exactly():
    for inst in (gqap_8x4(), generate_gqap(np.random.default_rng(2), 12, 5, 0.5)):
        data = gqap_model_data(inst)
        rng = np.random.default_rng(0)
        for _ in range(50):
            x = rng.integers(0, inst.m, inst.n)
            assert data.cost(x) == pytest.approx(gqap_cost(inst, x), rel=1e-12)


@pytest.mark.parametrize("seed", range(30))
def test_full_model_equals_exact(seed):
    inst = offloading_case(seed)
    ref = solve("exact", inst)
    r = solve("milp", inst)
    assert r.status == "optimal", r.info
    assert r.objective == pytest.approx(ref.objective, rel=1e-6)
    assert r.bound >= r.objective - 1e-6 * abs(r.objective)
    assert r.info["model"] == "batch-disaggregated" and r.info["backend"] == "cbc"
    assert r.solution.integer_splits


@pytest.mark.parametrize("seed", [0, 7, 13, 22])
def test_full_model_with_highs_and_real_splits(seed):
    inst = offloading_case(seed)
    for split in ("integer", "real"):
        ref = solve("exact", inst, split=split)
        r = solve("milp", inst, backend="highs", split=split)
        assert r.status == "optimal", r.info
        assert r.objective == pytest.approx(ref.objective, rel=1e-6)


@pytest.mark.parametrize("seed", range(0, 30, 3))
def test_fixed_split_equals_mask_enumeration(seed):
    inst = offloading_case(seed)
    ref = fixed_split_optimum(inst)
    backend = ("cbc", "highs")[seed % 2]
    for lin in ("rlt", "standard"):
        r = solve("milp", inst, model="fixed-split", linearisation=lin, backend=backend)
        # Optimal for the restriction only: the instance's status stays "feasible".
        assert r.status == "feasible" and r.info["model_status"] == "optimal", r.info
        assert r.bound is None and r.info["model_bound"] >= r.objective - 1e-6
        assert r.objective == pytest.approx(ref, rel=1e-6)
        granted = r.solution.grant
        assert np.all(r.solution.split[granted] == inst.N_hat)


@pytest.mark.parametrize("backend,lin,cap", [("cbc", "rlt", True), ("highs", "rlt", True),
                                             ("cbc", "standard", True), ("highs", "rlt", False)])
def test_gqap_8x4_equals_brute_force(backend, lin, cap):
    inst = gqap_8x4()
    ref = gqap_optimum(inst)
    r = solve("milp", inst, backend=backend, linearisation=lin, rlt_capacity=cap)
    assert r.status == "optimal", r.info
    assert r.objective == pytest.approx(ref, rel=1e-9)
    assert r.bound == pytest.approx(ref, rel=1e-6)
    assert r.info["mip_gap"] <= 1e-6


def _lp_bound(inst, **opts):
    return solve("milp", inst, lp_bound=True, **opts).info["lp_bound"]


@pytest.mark.parametrize("case", range(6))
def test_rlt_lp_bound_is_at_least_as_strong_as_standard(case):
    # Both are minimisation GQAPs, so a larger LP bound is a stronger one.
    if case < 4:
        inst = generate_gqap(np.random.default_rng(40 + case), 6 + case % 3, 3 + case % 2,
                             0.5 + 0.1 * case)
    else:
        inst = offloading_to_gqap(offloading_case(case))
    opt = gqap_optimum(inst)
    rlt = _lp_bound(inst, linearisation="rlt")
    rlt_nocap = _lp_bound(inst, linearisation="rlt", rlt_capacity=False)
    std = _lp_bound(inst, linearisation="standard")
    tol = 1e-7 * max(1.0, abs(opt))
    assert rlt >= rlt_nocap - tol >= std - 2 * tol
    assert rlt <= opt + tol and std <= opt + tol
    if std < opt - tol:  # where Glover-Woolsey leaves a gap, RLT closes part of it
        assert rlt > std + tol


def test_lp_bound_of_full_offloading_model_is_tight():
    inst = offloading_case(3)
    r = solve("milp", inst, lp_bound=True)
    assert r.info["lp_bound"] == pytest.approx(r.objective, rel=1e-7)


@pytest.mark.parametrize("backend", ["cbc", "highs"])
def test_cut_at_the_limit_the_start_is_returned(backend):
    # The limit itself holds for every solver: tests/test_contract.py.
    inst = generate_gqap(np.random.default_rng(20), 20, 15, 0.35)
    r = solve("milp", inst, backend=backend, time_limit=4.0, start="greedy")
    assert r.status == "time_limit", r.info
    assert r.solution is not None  # the backend's incumbent or the greedy start
    if r.info["build_time_s"] is None:  # a loaded machine: the cut came during the build
        assert r.info["time_limit_reason"] and r.info["solution_from"] == "start"
    else:
        assert r.info["build_time_s"] < r.wall_time_s
    if r.bound is not None:
        assert r.bound <= r.objective + 1e-6


def test_warm_start_from_file(tmp_path):
    inst = gqap_8x4()
    best = solve("milp", inst, backend="highs")
    path = write_solution(best.solution, tmp_path / "start.json", inst)
    for backend in ("cbc", "highs"):
        r = solve("milp", inst, backend=backend, start=str(path))
        assert r.info["start_objective"] == pytest.approx(best.objective)
        if backend == "cbc":
            assert r.info["start_accepted"] is True
        assert r.status == "optimal" and r.objective == pytest.approx(best.objective)


def test_bad_options_and_starts_are_one_line_errors(tmp_path):
    inst = gqap_8x4()
    with pytest.raises(GQAPError, match="backend must be one of"):
        solve("milp", inst, backend="gurobi")
    with pytest.raises(GQAPError, match="is not a file"):
        solve("milp", inst, start=str(tmp_path / "missing.json"))
    with pytest.raises(GQAPError, match="applies to offloading and multi instances only"):
        solve("milp", inst, model="fixed-split")
    off = offloading_case(1)
    path = write_solution(GQAPSolution(np.zeros(inst.n, dtype=int)), tmp_path / "s.json", inst)
    with pytest.raises(GQAPError, match="not a offloading solution"):
        solve("milp", off, start=str(path))
    over = np.zeros(inst.n, dtype=int)  # everything on site 0 overloads it
    path = write_solution(GQAPSolution(over), tmp_path / "over.json", inst)
    with pytest.raises(GQAPError, match="infeasible"):
        solve("milp", inst, start=str(path))


@pytest.mark.parametrize("line,outcome", [
    ("Result - Optimal solution found", "optimal"),
    ("Result - Optimal solution found (within gap tolerance)", "optimal"),
    ("Result - Stopped on time limit", "time_limit"),
    ("Result - Stopped on ctrl-c", "time_limit"),
    ("Result - Problem proven infeasible", "infeasible"),
    ("Result - Stopped on node limit", "feasible"),
    ("Result - Something new", "error"),
])
def test_cbc_results_are_mapped_explicitly(line, outcome):
    log = f"{line}\n\nObjective value:   12.5\nLower bound:   10.0\nGap:  0.2\n"
    got, raw, obj, bound = parse_cbc_log(log, mip=True)
    assert got == outcome and raw == line[len("Result - "):]
    assert obj == 12.5
    assert bound == (12.5 if outcome == "optimal" else 9.95)  # 10.0 rounded down by 0.05


@pytest.mark.parametrize("solver", ["milp", "cpsat"])
def test_greedy_warm_start_on_the_offloading_models(solver):
    inst = offloading_case(9)
    for model in ("full", "fixed-split"):
        r = solve(solver, inst, model=model, start="greedy")
        assert r.info["start_objective"] <= r.objective + 1e-9
        if solver == "milp":
            assert r.info["start_accepted"] is True
    assert r.objective == pytest.approx(fixed_split_optimum(inst), rel=1e-6)


def test_bound_from_an_unfinished_cbc_log_is_rounded_down():
    log = ("Continuous objective value is 1.3444e+06 - 38.81 seconds\n"
           "Cbc0010I After 0 nodes, 1 on tree, 1e+50 best solution, best possible 1344403 "
           "(120.5 seconds)\n")
    assert cbc_log_bound(log) == 1344403 - 0.5
    assert cbc_log_bound("Continuous objective value is 1.3445e+06 - 1 seconds") == 1344450
    outcome, _, obj, bound = parse_cbc_log(log, mip=True)  # killed: no result line
    assert (outcome, obj, bound) == ("error", None, 1344402.5)
    assert cbc_log_bound("no progress yet") is None


def _pulp_size(prob) -> ModelSize:
    rows = prob.constraints() if callable(prob.constraints) else prob.constraints.values()
    return ModelSize(len(prob.variables()), prob.numConstraints(), sum(len(c) for c in rows))


@pytest.mark.parametrize("seed", range(6))
def test_model_size_is_counted_exactly_before_building(seed):
    inst = generate_gqap(np.random.default_rng(seed), 5 + seed, 2 + seed % 4, 0.4 + 0.1 * seed)
    data = gqap_model_data(inst)
    assert gqap_pair_count(inst.q, inst.Q) == int(data.pair_allowed.sum())
    for lin in ("rlt", "standard"):
        for cap in (True, False):
            prob, _, _ = build_gqap_milp(data, lin, cap)
            assert gqap_milp_size(data, lin, cap) == _pulp_size(prob), (lin, cap)
    batch = batch_model_data(offloading_case(seed))
    assert batch_milp_size(batch) == _pulp_size(build_batch_milp(batch)[0])



def test_the_build_checks_the_deadline():
    data = gqap_model_data(generate_gqap(np.random.default_rng(3), 12, 5, 0.6))
    with pytest.raises(DeadlineExpired, match="building the MILP model"):
        build_gqap_milp(data, deadline=ExpiresAfter(2))
    with pytest.raises(DeadlineExpired):
        build_batch_milp(batch_model_data(offloading_case(4)), deadline=ExpiresAfter(1))
    build_gqap_milp(data, deadline=ExpiresAfter(10**6))  # enough checks: it completes


def test_a_model_is_not_written_without_time_to_write_it(tmp_path):
    prob, _, _ = build_gqap_milp(gqap_model_data(gqap_8x4()))
    deadline = Deadline(10.0)
    with pytest.raises(DeadlineExpired, match="no time left to write"):
        write_mps(prob, str(tmp_path / "m.mps"), deadline, build_time_s=100.0)
    assert not (tmp_path / "m.mps").exists()
    _, seconds = write_mps(prob, str(tmp_path / "m.mps"), deadline, build_time_s=0.01)
    assert (tmp_path / "m.mps").stat().st_size > 0 and seconds >= 0


def test_a_model_too_big_for_the_budget_is_refused_before_building():
    # Issue 13's case: 60 facilities on 20 sites; building and writing its 2.9 million
    # non-zeros takes far longer than 3 s, so nothing is built.
    from gqap.classic.generator import generate_gqap as gen

    inst = gen(np.random.default_rng(0), 60, 20, 0.6)
    assert quick_seconds_floor(inst, "full", "rlt") > 3.0
    r = solve("milp", inst, time_limit=3.0, start="greedy")
    assert r.status == "time_limit" and r.solution is None and r.bound is None
    assert r.info["time_limit_reason"].startswith("refused: preparing and building")
    assert r.info["build_time_s"] is None and "backend_status" not in r.info
    # Standard linearisation: the exact size (from the model data) refuses it.
    r = solve("milp", inst, time_limit=3.0, linearisation="standard")
    assert r.status == "time_limit" and r.solution is None
    assert "non-zeros" in r.info["time_limit_reason"]


# CBC 2.10.3 on the packing-infeasible instance below: presolve proves it infeasible and
# CBC stops without a "Result -" line.
CBC_PRESOLVE_INFEASIBLE = """Welcome to the CBC MILP Solver
Version: 2.10.3
Build Date: Dec 15 2019

command line - cbc model.mps -threads 1 -ratio 1e-09 -solve -solution model.sol
At line 2 NAME          MODEL
Problem MODEL has 364 rows, 396 columns and 1872 elements
Coin0008I MODEL read with 0 errors
threads was changed from 0 to 1
ratioGap was changed from 0 to 1e-09
Problem is infeasible - 0.02 seconds
Option for printingOptions changed from normal to all
Total time (CPU seconds):       0.02   (Wallclock seconds):       0.07
"""


def test_cbc_presolve_infeasibility_without_a_result_line_is_infeasible():
    assert parse_cbc_log(CBC_PRESOLVE_INFEASIBLE, mip=True) == (
        Status.INFEASIBLE, "Problem is infeasible", None, None)
    lp = parse_cbc_log(CBC_PRESOLVE_INFEASIBLE, mip=False)
    assert lp[0] == Status.INFEASIBLE
    unbounded = CBC_PRESOLVE_INFEASIBLE.replace("infeasible", "unbounded")
    assert parse_cbc_log(unbounded, mip=True)[0] == Status.ERROR


@pytest.mark.parametrize("backend", ["cbc", "highs"])
def test_packing_infeasible_instance_is_infeasible(backend):
    r = solve("milp", packing_infeasible(), backend=backend)
    assert r.status == "infeasible" and r.solution is None, r.info
    assert solve("brute-force", packing_infeasible()).status == "infeasible"


def test_overflowing_coefficients_are_refused_in_one_line():
    # The instance types bound every value (|x| <= 1e30), so the model layer's own check is
    # exercised on model data directly: both solvers share it.
    from dataclasses import replace

    from gqap.solvers.formulations import check_model_data

    data = gqap_model_data(gqap_8x4())
    bad = data.pair_cost.copy()
    bad[data.pair_allowed] = np.inf
    with pytest.raises(GQAPError, match=r"^solver milp: pair costs .* overflow double"):
        check_model_data("milp", replace(data, pair_cost=bad))
    batch = batch_model_data(offloading_case(2))
    with pytest.raises(GQAPError, match="gains of granting overflow"):
        check_model_data("cpsat", replace(batch, gain=np.full_like(batch.gain, -np.inf)))
    check_model_data("milp", data)  # finite data passes


@pytest.mark.parametrize("top", [5e29, 1e-28])
def test_extreme_but_valid_costs_are_rescaled_by_a_power_of_two(top):
    # Products near 1e89 (or 1e-84) would read as infinite (or zero) to CBC and HiGHS;
    # a power of two brings them near 1 without changing a digit.
    b = gqap_8x4()

    def scaled(x):
        return np.asarray(x, dtype=float) * (top / np.abs(x).max())

    inst = GQAPInstance(q=b.q, Q=b.Q, a=scaled(b.a), t=scaled(b.t), d=scaled(b.d), v=top)
    ref = gqap_optimum(inst)
    for backend in ("cbc", "highs"):
        r = solve("milp", inst, backend=backend)
        assert r.status == "optimal", r.info
        assert r.objective == pytest.approx(ref, rel=1e-9)
        scale = r.info["objective_scale"]
        assert scale != 1.0 and np.log2(scale) == round(np.log2(scale))


# ---- the multi-cluster family ------------------------------------------------------------
def multi_case(seed: int):
    """Small multi instances: 1-3 sites, 3-7 users, site limits that bind, both
    conventions; brute force enumerates every site vector."""
    from gqap.multi import generate_multi

    S = 1 + seed % 3
    users = 3 + seed % 5
    return generate_multi(np.random.default_rng(seed), users, S, B_max=1 + seed % 3,
                          convention=("paper", "authors-scripts")[seed % 2], seed=seed)


def fixed_split_multi_optimum(inst) -> float:
    """Best objective over every site vector with every granted split at N_hat."""
    from gqap.multi import MultiSolution

    best = -np.inf
    for site in itertools.product(range(-1, inst.n_sites), repeat=inst.n_users):
        site = np.array(site)
        if np.any(np.bincount(site[site >= 0], minlength=inst.n_sites) > inst.B_max):
            continue
        split = np.where(site >= 0, float(inst.N_hat), float(inst.N))
        best = max(best, evaluate(inst, MultiSolution(site, split)).objective)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_multi_count_model_equals_brute_force(seed):
    inst = multi_case(seed)
    ref = solve("brute-force", inst)
    backend = ("cbc", "highs")[seed % 2]
    r = solve("milp", inst, backend=backend)
    assert r.status == "optimal", r.info
    assert r.info["model"] == "count-disaggregated" and r.info["split_mode"] == "integer"
    assert r.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-9)
    # The proven bound is a bound on the optimum (max: at least the optimum).
    assert r.bound >= ref.objective - 1e-6 * max(1.0, abs(ref.objective))
    assert r.info["n_variables"] == int(inst.max_granted.sum()) * (inst.n_users + 1) \
        + inst.n_sites


@pytest.mark.parametrize("seed", [0, 4])
def test_multi_real_splits_and_fixed_splits(seed):
    inst = multi_case(seed)
    real = solve("milp", inst, split="real")
    assert real.status == "optimal"
    assert real.objective == pytest.approx(solve("brute-force", inst, split="real").objective,
                                           rel=1e-9, abs=1e-9)
    fixed = solve("milp", inst, model="fixed-split", start="greedy")
    assert fixed.status == "feasible" and fixed.info["model_status"] == "optimal"
    assert fixed.bound is None and fixed.info["model_bound"] >= fixed.objective - 1e-6
    assert fixed.objective == pytest.approx(fixed_split_multi_optimum(inst), rel=1e-9)
    granted = fixed.solution.site >= 0
    assert np.all(fixed.solution.split_points[granted] == inst.N_hat)


@pytest.mark.parametrize("seed", [3, 11])
def test_one_site_without_shifts_is_the_offloading_optimum(seed):
    from gqap.multi import from_offloading

    off = offloading_case(seed)
    r = solve("milp", from_offloading(off))
    assert r.status == "optimal"
    assert r.objective == pytest.approx(solve("exact", off).objective, rel=1e-9)


def test_multi_greedy_start_and_size():
    from gqap.solvers.formulations import multi_model_data
    from gqap.solvers.milp.model import build_multi_milp
    from gqap.solvers.milp.size import multi_milp_size_for
    from gqap.solvers.warm_start import greedy_sites

    inst = multi_case(7)
    data = multi_model_data(inst)
    site = greedy_sites(data)
    assert evaluate(inst, data.solution(site)).feasible
    r = solve("milp", inst, start="greedy")
    assert r.info["start_objective"] == pytest.approx(data.value(site))
    assert r.info["start_objective"] <= r.objective + 1e-9 and r.info["start_accepted"]
    prob = build_multi_milp(data)[0]
    assert multi_milp_size_for(data.b_max, data.n_users) == _pulp_size(prob)


def _wide_range_gqap():
    """Tiny GQAP whose traffic and distances hold 1e30 beside ordinary values: valid input,
    but beyond what a floating-point MIP backend resolves (brute force: 401197)."""
    from gqap.classic.instance import GQAPInstance
    from gqap.io import read_instance

    base = read_instance("tiny-gqap/8-4-50")
    t, d = base.t.copy(), base.d.copy()
    t[0, 1] = t[1, 0] = 1e30
    d[0, 1] = d[1, 0] = d[2, 3] = d[3, 2] = 1e30
    return GQAPInstance(a=base.a, t=t, d=d, q=base.q, Q=base.Q, v=base.v, name="wide")


@pytest.mark.parametrize("backend", ["cbc", "highs"])
def test_coefficients_beyond_the_provable_range_claim_no_optimum_or_bound(backend):
    from gqap.solvers.milp.solver import lp_relaxation

    inst = _wide_range_gqap()
    res = solve("milp", inst, time_limit=20, backend=backend)
    assert res.status == "feasible" and res.bound is None
    assert "objective coefficients span" in res.info["unproven_reason"]
    assert res.objective >= solve("brute-force", inst).objective
    lp = lp_relaxation(inst, time_limit=20, backend=backend)
    assert lp["lp_bound"] is None and "not a bound" in lp["lp_status"]


def test_the_old_spelling_of_the_linearisation_option_still_works(capsys, monkeypatch):
    from gqap.solvers import base

    monkeypatch.setattr(base, "_WARNED_OPTIONS", set())
    inst = read_instance("tiny-gqap/6-3-60")
    old = solve("milp", inst, linearization="standard", backend="highs")
    err = capsys.readouterr().err
    assert "option 'linearization' is now called 'linearisation'" in err
    assert err.count("\n") == 1
    new = solve("milp", inst, linearisation="standard", backend="highs")
    assert old.objective == new.objective and old.info["linearisation"] == "standard"
