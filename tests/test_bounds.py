"""Certified lower bounds (solver ``bound``, gqap.solvers.bounds) and how the harness shows
them: every bound at or below the brute-force optimum, LP values equal to milp's own LP
relaxations, the dual certificate valid for any multipliers, the statuses of a bound-only
result, and the bound / open-gap columns of the GQAP tables."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.solvers import Status, make_solver, solve
from gqap.solvers.base import Deadline, SolverOutput, finish_result
from gqap.solvers.bounds.certificate import (
    certify,
    continuous_knapsack,
    integral_costs,
    upper_bound,
)
from gqap.solvers.bounds.glb import glb_bound, product_structure, transport_values
from gqap.solvers.bounds.lagrangean import lagrangean_bound
from gqap.solvers.bounds.lp import dual_bound, lp_arrays, lp_bound
from gqap.solvers.formulations import gqap_model_data


def small(k: int) -> GQAPInstance:
    """Case k of 12 small GQAPs: Cordeau-style integral ones of every capacity ratio, and
    real-valued ones with negative traffic (negative pair costs) and a non-zero diagonal."""
    rng = np.random.default_rng(100 + k)
    n, m = int(rng.integers(4, 9)), int(rng.integers(2, 5))
    if k < 8:
        return generate_gqap(rng, n, m, (0.35, 0.55, 0.75, 0.95)[k % 4])
    q = rng.uniform(1.0, 10.0, n)
    Q = np.full(m, max(q.sum() / m / 0.6, q.max()))
    return GQAPInstance(q=q, Q=Q, a=rng.uniform(0, 50, (n, m)), t=rng.uniform(-3, 5, (n, n)),
                        d=rng.uniform(0, 9, (m, m)), v=1.5, name=f"real-{k}")


CASES = list(range(12))


def optimum(inst: GQAPInstance) -> float:
    r = solve("brute-force", inst)
    assert r.status == Status.OPTIMAL
    return float(r.objective)


@pytest.mark.parametrize("k", CASES)
def test_every_method_stays_at_or_below_the_brute_force_optimum(k):
    inst = small(k)
    opt = optimum(inst)
    up = upper_bound(inst, Deadline(2), 2.0)
    assert up is None or up >= opt
    lag = lagrangean_bound(inst, Deadline(30), 3000, upper=up)
    glb = glb_bound(inst, Deadline(30), 3000, upper=up)
    rlt = lp_bound(inst, Deadline(60), "rlt", True)
    rlt0 = lp_bound(inst, Deadline(60), "rlt", False)
    gw = lp_bound(inst, Deadline(60), "standard")
    assert ("transportation" in glb.info["subproblems"]) == (k < 8) == product_structure(inst)
    for res in (lag, glb, rlt, rlt0, gw):
        assert res.bound is not None and res.bound <= opt, (res.method, res.bound, opt)
        assert res.raw - res.margin <= opt  # the certified value before any rounding up
    # Strength: RLT with capacity products >= RLT >= Glover-Woolsey (raw LP values).
    assert rlt.raw >= rlt0.raw - 1e-6 * abs(opt) and rlt0.raw >= gw.raw - 1e-6 * abs(opt)
    # The subgradients never lose their start.
    for res in (lag, glb):
        assert res.raw - res.margin >= res.info["first_bound"] - 1e-9 * abs(opt)


@pytest.mark.parametrize("k", [0, 2, 5])
def test_transportation_subproblems_equal_their_lp(k):
    from scipy.optimize import linprog

    inst = small(k)
    V, margin = transport_values(inst)
    n, m = inst.n, inst.m
    c, e = inst.v * inst.t / 2.0, inst.d + inst.d.T
    assert margin > 0
    for i in range(n):
        for kk in range(m):
            js = [j for j in range(n) if j != i]
            cap = inst.Q.copy()
            cap[kk] -= inst.q[i]
            if cap[kk] < 0:
                assert math.isinf(V[i, kk])
                continue
            cost = [c[i, j] * e[kk, h] for j in js for h in range(m)]
            A_eq = np.kron(np.eye(len(js)), np.ones(m))
            A_ub = np.hstack([inst.q[j] * np.eye(m) for j in js])
            r = linprog(cost, A_ub=A_ub, b_ub=cap, A_eq=A_eq, b_eq=np.ones(len(js)),
                        bounds=(0, 1), method="highs")
            assert r.status == 0 and V[i, kk] == pytest.approx(r.fun, rel=1e-9, abs=1e-7)


@pytest.mark.parametrize("k", [0, 3, 9])
@pytest.mark.parametrize(("lin", "cap"), [("rlt", True), ("rlt", False), ("standard", True)])
def test_lp_values_equal_the_milp_modules_own_lp_relaxation(k, lin, cap):
    pytest.importorskip("pulp")
    from gqap.solvers.milp import lp_relaxation

    inst = small(k)
    mine = lp_bound(inst, Deadline(60), lin, cap)
    theirs = lp_relaxation(inst, 60, backend="highs", linearisation=lin, rlt_capacity=cap)
    assert theirs["lp_bound"] is not None
    assert mine.info["lp_value"] == pytest.approx(theirs["lp_bound"], rel=1e-7, abs=1e-6)
    assert mine.raw == pytest.approx(theirs["lp_bound"], rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("k", [0, 3, 9])
def test_the_interior_point_without_crossover_certifies_the_same_lp_bound(k):
    pytest.importorskip("highspy")
    inst = small(k)
    ipm = lp_bound(inst, Deadline(60), "rlt", True, "highs-ipm")
    ipx = lp_bound(inst, Deadline(60), "rlt", True, "highs-ipx")
    assert ipx.status == "optimal"
    assert ipx.bound <= optimum(inst)
    assert ipx.raw == pytest.approx(ipm.raw, rel=1e-5, abs=1e-5)  # its 1e-6 tolerance


def test_the_interior_point_without_crossover_reports_an_infeasible_lp():
    pytest.importorskip("highspy")
    inst = GQAPInstance(q=[6.0, 6.0, 6.0], Q=[10.0, 10.0], a=np.ones((3, 2)),
                        t=np.ones((3, 3)), d=np.ones((2, 2)))
    r = make_solver("bound", method="lp-rlt1", lp_method="highs-ipx").solve(inst,
                                                                             time_limit=30)
    assert r.status == Status.INFEASIBLE and r.bound is None


@pytest.mark.parametrize("k", [1, 8])
def test_the_dual_certificate_bounds_the_optimum_for_any_multipliers(k):
    inst = small(k)
    opt = optimum(inst)
    lp = lp_arrays(gqap_model_data(inst), "rlt", True)
    rng = np.random.default_rng(k)
    for y_ub, y_eq in [(np.zeros(lp.b_ub.size), np.zeros(lp.b_eq.size)),
                       (-rng.exponential(50.0, lp.b_ub.size), rng.normal(0, 500, lp.b_eq.size)),
                       (rng.normal(0, 50, lp.b_ub.size), rng.normal(0, 5e4, lp.b_eq.size))]:
        value, margin = dual_bound(lp, y_ub, y_eq)
        assert margin >= 0.0 and value - margin <= opt


def test_certify_takes_the_margin_off_and_rounds_up_only_integral_costs():
    assert certify(10.4, 0.5, True) == 10.0
    assert certify(10.4, 0.3, True) == 11.0  # 10.1 -> the integral optimum is >= 11
    assert certify(10.4, 0.3, False) == pytest.approx(10.1)
    assert math.isinf(certify(-math.inf, 0.0, True))
    assert integral_costs(gqap_model_data(small(0)))
    assert not integral_costs(gqap_model_data(small(8)))


def test_continuous_knapsack_equals_an_lp_solver():
    from scipy.optimize import linprog

    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(1, 9))
        s, w = rng.normal(3, 4, n), rng.integers(0, 6, n).astype(float)
        cap = float(rng.integers(0, 12))
        value, z = continuous_knapsack(s, w, np.array(cap))
        res = linprog(-s, A_ub=[w], b_ub=[cap], bounds=(0, 1), method="highs")
        assert float(value) == pytest.approx(-res.fun, abs=1e-9)
        assert np.all((z >= 0) & (z <= 1)) and w @ z <= cap + 1e-9
        assert float(s @ z) == pytest.approx(float(value), abs=1e-9)


# ---------------------------------------------------------------------------------------
# the solver and its statuses
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["best", "glb", "lagrangean", "lp-rlt1", "lp-gw"])
def test_the_bound_solver_returns_a_bound_and_no_solution(method):
    inst = small(2)
    r = make_solver("bound", method=method).solve(inst, time_limit=60)
    assert r.status == Status.BOUND and r.solution is None and r.objective is None
    assert r.bound is not None and r.bound <= optimum(inst)
    assert r.bound == float(int(r.bound))  # integral costs: rounded up to an integer
    assert r.info["bound_method"] in r.info["bounds"]
    assert r.bound == max(b for b in r.info["bounds"].values() if b is not None)
    assert r.to_dict()["status"] == "bound"


def test_best_is_at_least_every_single_method():
    inst = small(5)
    best = make_solver("bound").solve(inst, time_limit=60)
    assert set(best.info["bounds"]) == {"glb", "lagrangean", "lp-rlt1"}
    for method in ("glb", "lagrangean", "lp-rlt1"):
        single = make_solver("bound", method=method).solve(inst, time_limit=60)
        assert best.bound >= single.bound - 1e-9 * abs(single.bound)


def test_an_infeasible_lp_relaxation_is_reported_infeasible():
    # 3 facilities of weight 6 cannot share 2 sites of capacity 10, and no LP mix helps:
    # the RLT capacity products forbid a second facility on either site.
    inst = GQAPInstance(q=[6.0, 6.0, 6.0], Q=[10.0, 10.0], a=np.ones((3, 2)),
                        t=np.ones((3, 3)), d=np.ones((2, 2)))
    assert solve("brute-force", inst).status == Status.INFEASIBLE
    r = make_solver("bound", method="lp-rlt1").solve(inst, time_limit=30)
    assert r.status == Status.INFEASIBLE and r.bound is None and r.solution is None


def test_a_time_limit_too_short_for_the_lp_gives_no_bound_and_holds():
    import time

    inst = generate_gqap(np.random.default_rng(2), 40, 15, 0.6)
    t0 = time.perf_counter()
    r = make_solver("bound", method="lp-rlt1").solve(inst, time_limit=0.5)
    assert time.perf_counter() - t0 < 0.5 * 1.1 + 2.0
    assert r.status == Status.TIME_LIMIT and r.bound is None and r.solution is None


def test_best_leaves_out_what_does_not_fit():
    inst = generate_gqap(np.random.default_rng(3), 30, 8, 0.7)
    r = make_solver("bound", max_pair_entries=10, max_lp_columns=10).solve(inst, time_limit=30)
    assert r.info["plan"] == ["glb"] and r.status == Status.BOUND
    assert r.info["bound_method"] == "glb"


def test_options_are_checked_by_name():
    with pytest.raises(GQAPError, match="method must be one of"):
        make_solver("bound", method="simplex")
    with pytest.raises(GQAPError, match="lagrangean_share"):
        make_solver("bound", lagrangean_share=0)


def test_finish_result_holds_a_bound_claim_to_its_promise():
    inst = small(0)
    x = GQAPSolution(solve("brute-force", inst).solution.assignment)
    cases = [(SolverOutput(None, Status.BOUND, bound=5.0), Status.BOUND),
             (SolverOutput(x, Status.BOUND, bound=5.0), Status.ERROR),
             (SolverOutput(None, Status.BOUND), Status.ERROR),
             (SolverOutput(None, Status.BOUND, bound=math.inf), Status.ERROR),
             (SolverOutput(None, Status.OPTIMAL, bound=5.0), Status.ERROR),
             (SolverOutput(None, Status.FEASIBLE), Status.ERROR)]
    for out, expected in cases:
        res = finish_result("s", inst, out, 0.0, 0, None)
        assert res.status == expected, out
        if expected == Status.ERROR:
            assert res.info["claimed_status"] == str(out.status)


# ---------------------------------------------------------------------------------------
# the harness: references, tables, hooks
# ---------------------------------------------------------------------------------------
def _row(label, status, objective=None, bound=None, **kw):
    return {"instance_hash": "h", "variant": "", "instance": "i", "label": label,
            "solver": label, "family": "classic", "sense": "min", "n_users_or_facilities": 5,
            "gpus_or_sites": 2, "seed": 0, "status": status, "objective": objective,
            "bound": bound, "wall_time_s": 1.0, "time_limit": 10, "info": "{}",
            "options": "{}", "killed": False, **kw}


def test_references_give_every_row_the_best_bound_and_the_open_gap():
    from gqap.bench.references import assign

    rows = [_row("tabu", Status.FEASIBLE, 110.0), _row("bound", Status.BOUND, bound=90.0),
            _row("cpsat", Status.TIME_LIMIT, 120.0, bound=80.0),
            _row("broken", Status.ERROR, bound=200.0)]
    out = assign(rows, {("h", ""): {"best_known": 100.0, "proven_bound": 85.0}})
    assert {r["instance_bound"] for r in out} == {90.0}  # errors prove nothing
    assert {r["reference_kind"] for r in out} == {"best_known"}
    assert out[0]["open_gap"] == pytest.approx(0.1)  # (100 - 90) / 100
    # Without any solution value the bound is the reference, and no open gap exists.
    only = assign([_row("bound", Status.BOUND, bound=90.0)], {})
    assert only[0]["reference_kind"] == "proven_bound" and only[0]["reference"] == 90.0
    assert only[0]["open_gap"] is None
    # A run better than the best-known value narrows the open gap; a proof closes it.
    better = assign([_row("tabu", Status.FEASIBLE, 95.0)],
                    {("h", ""): {"best_known": 100.0, "proven_bound": 90.0}})
    assert better[0]["open_gap"] == pytest.approx(5.0 / 95.0)
    proof = assign([_row("cpsat", Status.OPTIMAL, 97.0, bound=97.0)],
                   {("h", ""): {"proven_bound": 90.0}})
    assert proof[0]["instance_bound"] == 97.0 and proof[0]["open_gap"] == 0.0
    assert not proof[0]["reference_stored"] and better[0]["reference_stored"]
    # A stored 'optimum' that a run beats is disproved: it bounds nothing (C12X6-E-G).
    wrong = assign([_row("cpsat", Status.OPTIMAL, 95.0, bound=95.0)],
                   {("h", ""): {"exact": 100.0}})
    assert wrong[0]["instance_bound"] == 95.0 and wrong[0]["reference"] == 100.0


def test_gqap_tables_show_the_bound_and_the_open_gap():
    from gqap.bench.families.classic import summary_gqap
    from gqap.bench.references import assign
    from gqap.bench.studies import bounds, proofs, race, time_to_proof

    rows = assign([_row("tabu", Status.FEASIBLE, 110.0),
                   _row("bound", Status.BOUND, bound=90.0)],
                  {("h", ""): {"best_known": 100.0}})
    tables = [summary_gqap(rows, []), *race(rows, []), *time_to_proof(rows, [])]
    for t in tables:
        headers = [c.header for c in t.columns]
        key = "best bound" if "best bound" in headers else "bound"
        gap = "open gap %" if "open gap %" in headers else "open gap % mean"
        assert gap in headers, t.name
        for row in t.rows:
            if t.name != "race":
                assert row[headers.index(key)] in (90.0, 110.0, None)
            assert row[headers.index(gap)] == pytest.approx(0.1), (t.name, row)
    per_run, best = bounds(rows, [])
    assert {r[1]: r[3] for r in per_run.rows} == {"tabu": None, "bound": 90.0}
    assert best.rows[0][5:] == [90.0, "bound", pytest.approx(0.1)]
    table, summary = proofs(rows, [])
    assert table.rows[0][3] == "-" and table.rows[0][-1] == 90.0
    proved = assign([_row("cpsat", Status.OPTIMAL, 100.0)], {("h", ""): {"exact": 100.0}})
    table, summary = proofs(proved, [])
    assert table.rows[0][3:8] == ["cpsat", 100.0, 100.0, "yes", 1.0]
    assert summary.rows[-1][:3] == ["all", 1, 1]


def test_a_sweeps_best_bounds_and_solutions_go_into_a_set_manifest(tmp_path):
    import shutil

    from gqap.bench import annotate
    from gqap.bench.config import config_from_dict
    from gqap.bench.sweep import run_sweep
    from gqap.instance_sets import set_bounds, set_references
    from gqap.library import set_dir

    cfg = config_from_dict({
        "name": "t", "time_limit": 30, "seeds": [0],
        "solvers": [{"name": "bound", "label": "glb", "options": {"method": "glb"}},
                    {"name": "tabu", "options": {"max_iterations": 200}}],
        "instances": [{"set": "tiny-gqap"}]}, "test")
    run_sweep(cfg, tmp_path / "sweep", workers=1, progress=False)
    folder = tmp_path / "set"
    shutil.copytree(set_dir("tiny-gqap"), folder)
    found = annotate.collect(tmp_path / "sweep", "tiny-gqap", folder)
    assert [a.stem for a in found] == ["6-3-60", "8-4-50", "10-4-80"]
    for a in found:
        assert a.bound is not None and a.bound_row["label"] == "glb"
        assert a.best is not None and a.bound <= a.best
    before = set_bounds(folder)
    done = annotate.write(tmp_path / "sweep", "tiny-gqap", "gqap test", references=True,
                          folder=folder)
    # the shipped set records the optima as its bounds: a weaker bound is not written
    assert len(before) == 3 and done["bounds"] == []
    assert {s: b.value for s, b in set_bounds(folder).items()} == \
        {s: b.value for s, b in before.items()}
    refs = set_references(folder)
    assert set(done["references"]) == set(refs) == {"6-3-60", "8-4-50", "10-4-80"}
    for a in found:
        ref = refs[a.stem]
        assert ref.kind == "best_known" and ref.value == a.best and ref.assignment
        assert ref.obtained["solver"] == "tabu" and ref.obtained["command"] == "gqap test"
        assert ref.obtained["solver_version"] == a.best_row["solver_version"]
    # an equal reference recorded without the solver version is recorded again, with it
    obj = json.loads((folder / "manifest.json").read_text())
    for row in obj["instances"]:
        row["reference"]["obtained"].pop("solver_version")
        row["reference"]["obtained"]["command"] = "older"
    (folder / "manifest.json").write_text(json.dumps(obj))
    done = annotate.write(tmp_path / "sweep", "tiny-gqap", "gqap test", references=True,
                          folder=folder)
    assert done["references"] == ["10-4-80", "6-3-60", "8-4-50"]
    assert all(r.obtained["solver_version"] and r.obtained["command"] == "gqap test"
               for r in set_references(folder).values())
    assert annotate.write(tmp_path / "sweep", "tiny-gqap", "gqap test", references=True,
                          folder=folder)["references"] == []
    # written into a copy without bounds, every instance gets the glb bound
    bare = tmp_path / "bare"
    shutil.copytree(set_dir("tiny-gqap"), bare)
    obj = json.loads((bare / "manifest.json").read_text())
    for row in obj["instances"]:
        row.pop("bound", None)
    (bare / "manifest.json").write_text(json.dumps(obj))
    done = annotate.write(tmp_path / "sweep", "tiny-gqap", "gqap test", folder=bare)
    assert done == {"bounds": ["10-4-80", "6-3-60", "8-4-50"], "references": []}
    got = set_bounds(bare)
    assert all(b.details["label"] == "glb" and b.budget_s == 30 for b in got.values())
    assert all(b.value == a.bound for a, b in zip(found, got.values(), strict=True))


@pytest.mark.parametrize(("argv", "message"), [
    (["bench", "bounds", "nowhere", "--set", "cordeau"], "no results.sqlite here"),
    (["bench", "bounds", "{sweep}", "--set", "nope"], "no shipped set 'nope'"),
])
def test_bench_bounds_refuses_bad_input_in_one_line(tmp_path, capsys, argv, message):
    from gqap.bench.store import ResultStore
    from gqap.cli.main import main

    with ResultStore.in_dir(tmp_path / "sweep"):
        pass
    code = main([a.replace("{sweep}", str(tmp_path / "sweep")) for a in argv])
    err = capsys.readouterr().err.strip()
    assert code == 1 and message in err and "\n" not in err and "Traceback" not in err


def test_gqap_solve_with_the_bound_solver_exits_0(tmp_path, capsys):
    from gqap.cli.main import main

    out = tmp_path / "b.json"
    assert main(["solve", "tiny-gqap/8-4-50", "--solver", "bound", "--opt", "method=glb",
                 "--out", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["status"] == "bound" and res["solution"] is None
    from gqap.io import read_instance
    from gqap.library import resolve_instance

    assert res["bound"] <= optimum(read_instance(resolve_instance("tiny-gqap/8-4-50")))
    written = json.loads(out.read_text())
    assert written["status"] == "bound" and written["bound"] == res["bound"]
