"""Every study is a sweep: the report hooks (gap summary, time to proof, LP bounds, the
literature race) on known rows and on real sweeps, the figure studies (Fig. 8, Fig. 9 and
the checkpoint table from the shipped checkpoints), and ``gqap bench reproduce`` writing
each results folder with its README and refreshing the README's copied tables."""

from __future__ import annotations

import json
import math

import pytest

from gqap.bench import reproduce
from gqap.bench.catalogue import STUDIES, Study
from gqap.bench.config import CONFIG_DIR, config_from_dict, load_config
from gqap.bench.report import write_report
from gqap.bench.store import ResultStore
from gqap.bench.studies import HOOKS
from gqap.bench.studies.common import first_seed_runs, stored_reference
from gqap.bench.studies.exact import exact_race, root_vs_lp
from gqap.bench.studies.gap_summary import gap_summary
from gqap.bench.studies.milp import lp_bounds, time_to_proof
from gqap.bench.studies.race import race
from gqap.bench.sweep import run_sweep
from gqap.bench.tables import to_csv
from gqap.solvers.base import Status
from gqap.solvers.registry import solver_spec


def _row(**kw) -> dict:
    base = {"family": "classic", "sense": "min", "label": "a", "instance": "x",
            "instance_hash": "h-x", "seed": 0, "status": Status.FEASIBLE, "objective": 100.0,
            "reference": 100.0, "reference_kind": "best_known", "gap_abs": 0.0,
            "gap_rel": 0.0, "gap_per_user": 0.0, "wall_time_s": 1.0, "bound": None,
            "n_users_or_facilities": 10, "gpus_or_sites": 3, "options": "{}", "info": "{}",
            "killed": False}
    base.update(kw)
    if base["objective"] is not None and base["reference"] is not None:
        sign = 1.0 if base["sense"] == "min" else -1.0
        base["gap_abs"] = sign * (base["objective"] - base["reference"])
        base["gap_rel"] = base["gap_abs"] / abs(base["reference"])
        base["gap_per_user"] = base["gap_abs"] / base["n_users_or_facilities"]
    return base


def _table(tables, name):
    return next(t for t in tables if t.name == name)


def _col(t, header):
    return [c.header for c in t.columns].index(header)


# ---------------------------------------------------------------------------------------
# hooks on known rows
# ---------------------------------------------------------------------------------------
def test_race_counts_runs_and_instances_that_reach_the_reference():
    rows = [_row(label="tabu", seed=s, objective=v,
                 info=json.dumps({"time_to_best_s": t, "iterations_per_s": 1000.0 * t}))
            for s, v, t in ((0, 100.0, 1.0), (1, 101.0, 3.0), (2, 100.0, 2.0))]
    rows += [_row(label="ga", seed=s, objective=v) for s, v in ((0, 110.0), (1, 105.0))]
    rows += [_row(label="tabu", instance="y", instance_hash="h-y", objective=210.0,
                  reference=200.0)]
    rows += [_row(label="ga", instance="y", instance_hash="h-y", objective=None,
                  status=Status.TIME_LIMIT, reference=200.0)]
    per_solver, per_instance = race(rows, ["tabu", "ga"])
    tabu, ga = per_solver.rows
    assert tabu[:5] == ["tabu", 2, 4, 2, 1] and ga[:5] == ["ga", 2, 3, 0, 0]
    assert tabu[_col(per_solver, "best gap % mean")] == pytest.approx((0.0 + 0.05) / 2)
    x_tabu = per_instance.rows[0]
    assert x_tabu[:7] == ["x", "tabu", 3, 2, 100.0, pytest.approx(301 / 3), 101.0]
    assert x_tabu[_col(per_instance, "time to best s")] == pytest.approx(2.0)
    assert x_tabu[_col(per_instance, "steps/s")] == pytest.approx(2000.0)
    assert math.isnan(per_instance.rows[1][_col(per_instance, "steps/s")])  # ga: none reported


def test_gap_summary_groups_by_the_varying_size_and_adds_all():
    rows = [_row(family="offloading", sense="max", label=lab, instance=f"i{u}{c}",
                 instance_hash=f"h{u}{c}", n_users_or_facilities=u, gpus_or_sites=8,
                 objective=v, reference=ref, reference_kind="exact")
            for u, c, lab, v, ref in ((4, 0, "p", -10.0, -10.0), (4, 1, "p", -12.0, -10.0),
                                      (8, 0, "p", -22.0, -20.0), (8, 0, "q", -20.0, -20.0))]
    (t,) = gap_summary(rows, ["p", "q"])
    assert [c.header for c in t.columns][0] == "users"
    by = {(r[0], r[1]): r for r in t.rows}
    assert set(by) == {(4, "p"), (8, "p"), (8, "q"), ("all", "p"), ("all", "q")}
    p4 = by[(4, "p")]
    assert p4[2] == 2 and p4[_col(t, "gap % mean")] == pytest.approx(0.1)
    assert p4[_col(t, "sum gap %")] == pytest.approx(2.0 / 20.0)
    assert p4[_col(t, "reached %")] == pytest.approx(0.5)
    assert by[("all", "p")][_col(t, "sum gap %")] == pytest.approx(4.0 / 40.0)


def test_time_to_proof_reads_the_restricted_models_proof_and_skips_lp_runs():
    fixed = json.dumps({"model": "fixed-split"})
    rows = [
        _row(family="offloading", sense="max", label="cbc", objective=-30.0, reference=-20.0,
             reference_kind="exact", options=fixed, status=Status.FEASIBLE, wall_time_s=2.0,
             info=json.dumps({"model_status": "optimal", "n_variables": 32})),
        _row(family="offloading", sense="max", label="cp", objective=-30.0, reference=-20.0,
             reference_kind="exact", options=fixed, status=Status.TIME_LIMIT, wall_time_s=9.0,
             info=json.dumps({"model_status": "time_limit", "n_variables": 32})),
        _row(family="offloading", sense="max", label="full", objective=-20.0, reference=-20.0,
             reference_kind="exact", status=Status.OPTIMAL, wall_time_s=0.5),
        _row(family="offloading", sense="max", label="lp", objective=-30.0, reference=-20.0,
             options=json.dumps({"model": "fixed-split", "lp_bound": True})),
        _row(label="g", objective=110.0, reference=100.0, bound=99.0, status=Status.TIME_LIMIT,
             info=json.dumps({"backend_status": "Time limit reached", "build_time_s": 0.4})),
    ]
    proof, gq = time_to_proof(rows, ["cbc", "cp", "full"])
    by = {r[2]: r for r in proof.rows}
    assert set(by) == {"cbc", "cp", "full"}  # the LP run is lp_bounds' business
    assert by["cbc"][3:7] == ["1/1", 2.0, 2.0, "1/1"]
    assert by["cp"][3] == "0/1" and by["cp"][6] == "1/1"  # same value as the cbc proof
    assert by["cbc"][_col(proof, "loss vs full opt. %")] == pytest.approx(0.5)
    assert by["full"][1] == "full" and by["full"][3] == "1/1"
    (g,) = gq.rows
    assert g[_col(gq, "gap to bound %")] == pytest.approx(11.0 / 110.0)
    assert g[_col(gq, "gap to ref. %")] == pytest.approx(0.1)


def test_lp_bounds_measure_the_share_of_the_standard_gap_closed():
    def lp(label, lin, cap, bound):
        return _row(label=label, objective=200.0, reference=200.0, reference_kind="exact",
                    options=json.dumps({"lp_bound": True}),
                    info=json.dumps({"lp_bound": bound, "linearisation": lin,
                                     "rlt_capacity": cap, "lp_time_s": 0.1}))
    rows = [lp("std", "standard", True, 100.0), lp("rlt", "rlt", False, 150.0),
            lp("cap", "rlt", True, 190.0), _row(label="mip")]
    (t,) = lp_bounds(rows, ["std", "rlt", "cap"])
    closed = {r[1]: r[_col(t, "gap closed %")] for r in t.rows}
    assert closed == {"std": pytest.approx(0.0), "rlt": pytest.approx(50.0),
                      "cap": pytest.approx(90.0)}
    assert [r[2] for r in t.rows] == ["standard", "rlt", "rlt + capacity products"]
    assert "gap closed % " not in to_csv(t).splitlines()[0]


def test_first_seed_runs_and_the_stored_reference():
    rows = [_row(label="b", seed=1), _row(label="a", seed=2), _row(label="b", seed=0),
            _row(label="c", seed=5), _row(label="a", seed=0)]
    firsts = first_seed_runs(rows, {"a": 0, "b": 1})  # c unranked: last
    assert [(r["label"], r["seed"]) for r in firsts] == [("a", 0), ("b", 0), ("c", 5)]
    assert stored_reference(rows) is None  # no reference of the set: found in the sweep
    stored = [_row(reference=90.0, reference_kind="best_found", reference_stored=True),
              _row(reference=95.0, reference_stored=True)]
    assert stored_reference(stored) == 95.0  # a sweep's best found is no set reference


def test_exact_race_shows_each_methods_first_seed_against_the_best_known_value():
    rows = [_row(label="bnb", seed=1, status=Status.OPTIMAL, wall_time_s=9.0),
            _row(label="milp", status=Status.TIME_LIMIT, objective=105.0, bound=95.0,
                 info=json.dumps({"lp_bound": 80.0}), reference_kind="exact",
                 reference_stored=True, instance_bound=90.0),
            _row(label="bnb", status=Status.OPTIMAL, wall_time_s=2.0,
                 info=json.dumps({"root_bound": 90.0, "nodes": 7}))]
    (t,) = exact_race(rows, ["bnb", "milp"])
    got = {r[_col(t, "method")]: r for r in t.rows}
    assert list(got) == ["bnb", "milp"]
    bnb, milp = got["bnb"], got["milp"]
    assert bnb[_col(t, "time to proof s")] == 2.0 and bnb[_col(t, "nodes")] == 7
    assert bnb[_col(t, "root gap %")] == pytest.approx(0.1)
    assert bnb[_col(t, "final bound")] is None
    assert milp[_col(t, "root bound")] == 80.0
    assert milp[_col(t, "root below bound %")] == pytest.approx(1 / 9)
    assert milp[_col(t, "final bound")] == 95.0
    assert milp[_col(t, "final gap %")] == pytest.approx(0.05)
    assert milp[_col(t, "best known")] == 100.0 and milp[_col(t, "kind")] == "optimal"


def test_root_vs_lp_pairs_the_bnb_root_with_the_rlt1_lp_of_the_same_instance():
    def lp(inst, bound, seconds, wall, label="lp-rlt1", method="lp-rlt1"):
        return _row(instance=inst, label=label, solver="bound", status=Status.BOUND,
                    objective=None, bound=bound, wall_time_s=wall,
                    options=json.dumps({"method": method}),
                    info=json.dumps({"seconds": {method: seconds}}))

    def root(inst, bound, seconds, wall, seed=0, root_only=True):
        return _row(instance=inst, label="bnb-root", solver="bnb", seed=seed, bound=bound,
                    wall_time_s=wall, options=json.dumps({"root_only": root_only}),
                    info=json.dumps({"root_bound": bound, "root_seconds": seconds}))

    rows = [lp("x", 80.0, 4.0, 5.0), lp("x", 70.0, 1.0, 1.0, label="glb", method="glb"),
            root("x", 79.2, 1.0, 2.5), root("x", 10.0, 9.0, 9.0, seed=3),
            root("x", 99.0, 0.1, 0.1, root_only=False),
            lp("y", 50.0, 2.0, 2.0), root("y", 50.5, 3.0, 3.0),
            lp("z", 40.0, 1.0, 1.0),                      # no root: no row
            root("w", 40.0, 1.0, 1.0)]                    # no LP: no row
    (t,) = root_vs_lp(rows, [])
    got = {r[0]: dict(zip([c.header for c in t.columns], r, strict=True)) for r in t.rows}
    assert list(got) == ["x", "y"]
    x, y = got["x"], got["y"]
    assert (x["LP bound"], x["root bound"]) == (80.0, 79.2)   # the first seed's root
    assert x["root below LP %"] == pytest.approx(0.01)
    assert (x["LP s"], x["root s"], x["root s / LP s"]) == (4.0, 1.0, 0.25)
    assert (x["LP wall s"], x["bnb wall s"], x["wall ratio"]) == (5.0, 2.5, 0.5)
    assert y["root below LP %"] == pytest.approx(-0.01)        # above the LP: negative
    assert y["root s / LP s"] == 1.5
    assert root_vs_lp([lp("z", 40.0, 1.0, 1.0)], []) == []


# ---------------------------------------------------------------------------------------
# the study configs, run for real on small instances
# ---------------------------------------------------------------------------------------
def test_every_study_config_expands_and_names_known_hooks():
    for name in (s.name for s in STUDIES if s.swept):
        cfg = load_config(CONFIG_DIR / f"{name}.toml")
        assert cfg.name == name and all(h in HOOKS for h in cfg.report.hooks)
    assert load_config("milp").report.hooks == ("time_to_proof", "lp_bounds")
    assert load_config("literature").report.hooks == ("race",)
    assert "gap_summary" in load_config("fig11a").report.hooks


@pytest.mark.skipif(not solver_spec("milp").installed, reason="milp needs the 'milp' extra")
def test_milp_study_measures_proofs_and_lp_bounds_through_the_harness(tmp_path):
    cfg = config_from_dict({
        "name": "m", "time_limit": 30, "seeds": [0],
        "solvers": [
            {"name": "milp", "label": "cbc"},
            {"name": "milp", "label": "cbc-fixed", "options": {"model": "fixed-split"},
             "families": ["offloading"]},
            {"name": "milp", "label": "lp-cap", "options": {"lp_bound": True},
             "families": ["gqap"]},
            {"name": "milp", "label": "lp-std", "families": ["gqap"],
             "options": {"lp_bound": True, "linearisation": "standard"}}],
        "instances": [{"set": "tiny-gqap", "where": {"n_facilities": [6]},
                       "reference_solver": "brute-force"},
                      {"set": "tiny", "where": {"n_users": [4], "G": [8]}}],
        "report": {"hooks": ["time_to_proof", "lp_bounds"]}})
    summary = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert summary.failed == 0
    rep = write_report(tmp_path, tmp_path / "rep", formats=["csv"], figures=False)
    names = {p.name for p in rep.tables}
    assert {"time_to_proof.csv", "time_to_proof_gqap.csv", "lp_bounds.csv"} <= names
    import csv

    lp = {r["solver"]: r for r in csv.DictReader((tmp_path / "rep" / "lp_bounds.csv").open())}
    opt = float(lp["lp-cap"]["optimum"])
    cap, std = float(lp["lp-cap"]["LP bound"]), float(lp["lp-std"]["LP bound"])
    assert std <= cap <= opt + 1e-6 * opt  # RLT with capacity products is the stronger LP
    assert 0.0 <= float(lp["lp-cap"]["gap closed %"]) <= 100.0 + 1e-9
    proofs = list(csv.DictReader((tmp_path / "rep" / "time_to_proof.csv").open()))
    assert {(r["model"], r["solver"], r["proven"]) for r in proofs} == {
        ("full", "cbc", "1/1"), ("fixed-split", "cbc-fixed", "1/1")}


# ---------------------------------------------------------------------------------------
# figure studies and reproduce
# ---------------------------------------------------------------------------------------
def test_figure_studies_write_their_folder_with_a_readme(tmp_path):
    stale = tmp_path / "results" / "dqn-training" / "old.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    times = reproduce.reproduce(only=["fig8", "dqn-training"], runs_dir=tmp_path / "runs",
                                results_dir=tmp_path / "results", progress=False)
    assert set(times) == {"fig8", "dqn-training"}
    train = tmp_path / "results" / "dqn-training"
    assert {p.name for p in train.iterdir()} == {"fig9.png", "fig9.csv", "checkpoints.md",
                                                 "README.md"}
    assert not stale.exists()
    readme = (train / "README.md").read_text()
    assert "`gqap bench reproduce --only dqn-training`" in readme and "Machine:" in readme
    table = (train / "checkpoints.md").read_text()
    for name in ("general", "gpu-g8", "set-general", "specific-u20-c000"):
        assert f"| {name} |" in table
    curves = (train / "fig9.csv").read_text().splitlines()
    assert curves[0] == "checkpoint,phase,kind,window,episode,value"
    assert any(line.startswith("general,2,validation_sum_gap,") for line in curves)
    assert (tmp_path / "results" / "fig8" / "fig8.csv").is_file()


def test_reproduce_refreshes_the_readme_tables_beside_results(tmp_path, monkeypatch):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "mini.toml").write_text(
        'name = "mini"\n[[solvers]]\nname = "exact"\n[[solvers]]\nname = "baseline3"\n'
        '[[instances]]\nset = "tiny"\n')
    monkeypatch.setattr(reproduce, "CONFIG_DIR", tmp_path / "cfg")
    monkeypatch.setattr(reproduce, "STUDIES", (Study("mini"),))
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- begin results/mini/objective_vs_users.md -->\nold\n"
                      "<!-- end results/mini/objective_vs_users.md -->\n")
    reproduce.reproduce(runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                        workers=2, progress=False)
    table = (tmp_path / "results" / "mini" / "objective_vs_users.md").read_text()
    assert table in readme.read_text() and "old" not in readme.read_text()
    text = (tmp_path / "results" / "mini" / "README.md").read_text()
    assert "`gqap bench reproduce --only mini`" in text
    assert "CPUs, load average" in text and "niceness" in text  # the sweep's machine
    with ResultStore.in_dir(tmp_path / "runs" / "mini", readonly=True) as store:
        assert all(isinstance(r["status"], Status) for r in store.rows())
