"""Online family through the registry: the command line (generate, info, solve, evaluate,
exit statuses), the harness (a quick sweep with store and resume) and its report (the
regret tables, the targets table and the two figures)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gqap.bench.config import config_from_dict, quick_config
from gqap.bench.report import write_report
from gqap.bench.sweep import run_sweep
from gqap.cli import main
from gqap.io import read_instance, read_solution
from gqap.online import evaluate_online, generate_online

POLICIES = ["myopic", "baseline1", "baseline2", "baseline3", "fixed-share", "priced",
            "lookahead"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------


def test_generate_is_seeded_and_every_solver_runs_through_solve(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    argv = ["generate", "online", "--periods", "8", "--rate", "5", "--gpus", "4", "--profile",
            "burst", "--start", "2", "--width", "3", "--seed", "3"]
    assert run(capsys, *argv, "-o", a)[0] == 0 and run(capsys, *argv, "-o", b)[0] == 0
    assert a.read_bytes() == b.read_bytes()
    code, out, _ = run(capsys, "info", a, "--json")
    info = json.loads(out)
    assert code == 0 and info["family"] == "online" and info["periods"] == 8
    assert info["arrivals"]["profile"] == "burst"
    inst = read_instance(a)
    for solver in [*POLICIES, "hindsight"]:
        log = tmp_path / f"{solver}.json"
        code, out, err = run(capsys, "solve", a, "--solver", solver, "--json", "--out", log)
        res = json.loads(out)
        assert code == 0, err
        assert res["family"] == "online" and res["status"] in ("feasible", "optimal")
        assert json.loads(log.read_text())["format"] == "gqap-bench/online-solution"
        ev = evaluate_online(inst, read_solution(log, inst))
        assert ev.feasible and ev.objective == pytest.approx(res["objective"], rel=1e-12)
        code, out, _ = run(capsys, "evaluate", a, log, "--json")
        assert code == 0 and json.loads(out)["objective"] == pytest.approx(ev.objective)
    code, out, _ = run(capsys, "solve", a, "--solver", "online-bound", "--json")
    res = json.loads(out)
    assert code == 0 and res["status"] == "bound" and len(res["info"]["multipliers"]) == 8
    assert res["bound"] >= json.loads(run(capsys, "solve", a, "--solver", "hindsight",
                                          "--json")[1])["objective"] - 1e-9


@pytest.mark.parametrize(("argv", "message"), [
    (["generate", "online", "--rate", "-1"], "--rate: must be >= 0"),
    (["generate", "online", "--periods", "0"], "--periods: must be >= 1"),
    (["generate", "online", "--budget", "0"], "--budget: must be a positive number"),
    (["solve", "{s}", "--solver", "priced", "--opt", "budget_s=0"],
     "budget_s: must be a positive number"),
    (["info", "{bad}"], "arrivals.rate: must be >= 0"),
    (["info", "{empty}"], "periods: must be >= 1"),
    (["evaluate", "{s}", "{foreign}"], "written for the instance with hash"),
    (["evaluate", "{s}", "{short}"], "the log has 2 decisions, the scenario 4 periods"),
    (["evaluate", "{s}", "{negative}"], r"periods\[0\].gpus: must be >= 0"),
])
def test_bad_input_is_one_line_and_exit_status_2(tmp_path, capsys, argv, message):
    import re

    s = tmp_path / "s.json"
    main(["generate", "online", "--periods", "4", "--rate", "3", "--seed", "1", "-o", str(s)])
    other = tmp_path / "o.json"
    main(["generate", "online", "--periods", "4", "--rate", "3", "--seed", "2", "-o",
          str(other)])
    log = tmp_path / "log.json"
    main(["solve", str(other), "--solver", "myopic", "--out", str(log)])
    obj = json.loads(s.read_text())
    files = {"s": s, "foreign": log}
    for name, edit in (("bad", lambda o: o["arrivals"].update(rate=-1)),
                       ("empty", lambda o: o.update(periods=[]))):
        o = json.loads(json.dumps(obj))
        edit(o)
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(o))
    main(["solve", str(s), "--solver", "myopic", "--out", str(tmp_path / "mine.json")])
    mine = json.loads((tmp_path / "mine.json").read_text())
    for name, edit in (("short", lambda o: o.update(periods=o["periods"][:2],
                                                    decision_times_s=[0.0, 0.0])),
                       ("negative", lambda o: o["periods"][0].update(gpus=-1))):
        o = json.loads(json.dumps(mine))
        edit(o)
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(o))
    capsys.readouterr()
    code, out, err = run(capsys, *[a.format(**files) if "{" in a else a for a in argv],
                         *(["-o", tmp_path / "x.json"] if argv[0] == "generate" else []))
    assert code == 2 and re.search(message, err), err
    assert err.startswith("gqap: error: ") and err.count("\n") == 1


def test_an_infeasible_log_names_the_period_and_the_rule(tmp_path, capsys):
    s, log = tmp_path / "s.json", tmp_path / "log.json"
    main(["generate", "online", "--periods", "6", "--rate", "8", "--gpus", "4", "--seed", "4",
          "-o", str(s)])
    main(["solve", str(s), "--solver", "myopic", "--out", str(log)])
    obj = json.loads(log.read_text())
    obj["periods"][1]["gpus"] = 9
    log.write_text(json.dumps(obj))
    capsys.readouterr()
    code, _, err = run(capsys, "evaluate", s, log)
    assert code == 1 and "period 1: gpus <= free GPUs: takes 9 GPUs" in err


# ---------------------------------------------------------------------------------------
# harness and report
# ---------------------------------------------------------------------------------------


def test_quick_sweep_stores_resumes_and_reports(tmp_path):
    config = quick_config(family="online", solvers=["myopic", "priced", "online-bound",
                                                    "hindsight"],
                          periods=[6], rate=[3.0, 6.0], gpus=[4], cases=2, time_limit=30.0)
    out = tmp_path / "sweep"
    first = run_sweep(config, out, workers=1, progress=False)
    assert first.completed == 16 and first.failed == 0
    again = run_sweep(config, out, workers=1, progress=False)
    assert again.already_stored == 16 and again.completed == 0
    report = write_report(out, tmp_path / "report")
    names = {p.name for p in report.tables + report.figures}
    for name in ("online_summary.md", "online_summary.tex", "online_promise.md",
                 "online_value_vs_load.png", "online_occupancy.png"):
        assert name in names, names
    assert "online_targets.md" not in names  # none of the issue's cells in this sweep
    rows = list(csv_rows(tmp_path / "report" / "online_summary.csv"))
    assert {r["policy"] for r in rows} == {"myopic", "priced"}
    for r in rows:  # hindsight ran on every scenario: both regrets are to its optimum
        assert r["n hindsight"] == "2" and r["bound"] == "hindsight"
        assert float(r["regret hindsight %"]) >= -1e-9
        assert float(r["regret bound %"]) == pytest.approx(float(r["regret hindsight %"]))
    tex = (tmp_path / "report" / "online_summary.tex").read_text()
    assert "\\toprule" in tex and "lookahead" not in tex


def test_targets_table_on_the_issue_cells():
    """Gain over myopic of the best policy per cell and its regrets, by hand: two scenarios
    of 10 users, best bounds -50 and -100 (Lagrangean -45 and -95)."""
    from gqap.bench.families.online import Scenario, targets

    cell = ("constant", 120, 8, 4.0)
    scen = {"a": Scenario("a", cell, 10, bound=-50.0, bound_source="hindsight MILP bound",
                          lagrangean=-45.0, snapshot=-20.0),
            "b": Scenario("b", cell, 10, bound=-100.0, bound_source="hindsight MILP bound",
                          lagrangean=-95.0, snapshot=-40.0)}
    rows = [{"family": "online", "solver": s, "label": s, "instance_hash": h,
             "objective": v, "status": "feasible"}
            for s, h, v in (("myopic", "a", -80.0), ("myopic", "b", -120.0),
                            ("priced", "a", -55.0), ("priced", "b", -110.0),
                            ("lookahead", "a", -54.0), ("lookahead", "b", -104.0))]
    t = targets(rows, [], scen)
    first, last = t.rows[0], t.rows[-1]
    assert first[4] == "lookahead" and first[6] == pytest.approx(-7.9)  # per user
    assert first[7] == pytest.approx(-10.0)
    assert first[8] == pytest.approx((-7.9 + 10.0) / 10.0) and first[9] == "yes"
    assert first[10] == pytest.approx(((54 - 45) / 45 + (104 - 95) / 95) / 2)
    assert first[11] == pytest.approx(((54 - 50) / 50 + (104 - 100) / 100) / 2)
    assert last[0] == "average" and last[4].startswith("met")


def csv_rows(path):
    import csv

    with path.open(newline="") as fh:
        yield from csv.DictReader(fh)


def test_a_config_sweeps_profiles_and_a_policy_error_is_recorded(tmp_path):
    config = config_from_dict({
        "name": "online-test", "time_limit": 30, "solvers": [
            "myopic", {"name": "priced", "label": "priced-adaptive",
                       "options": {"prices": "adaptive"}},
            {"name": "broken", "target": "harness_online:Broken", "families": ["online"]}],
        "instances": [{"generate": "online", "periods": [5], "rate": [4.0], "G": [4],
                       "profile": ["diurnal", "burst"], "cases": 1, "seed": 9}]},
        str(tmp_path / "c.toml"))
    summary = run_sweep(config, tmp_path / "s", workers=1, progress=False)
    assert summary.completed == 6 and summary.failed == 2  # the broken policy, recorded
    from gqap.bench.store import ResultStore

    with ResultStore.in_dir(tmp_path / "s", readonly=True) as store:
        rows = store.rows()
    broken = [r for r in rows if r["label"] == "broken"]
    assert all(r["status"] == "error" and "deliberately" in r["error"] for r in broken)
    assert all(r["status"] == "feasible" for r in rows if r["label"] != "broken")


def test_evaluation_seeds_are_not_the_tuning_or_training_seeds():
    """The study's scenarios come from case seeds derived from its source seed; none is a
    seed the policies were tuned (100-102) or trained (1000-1002) on."""
    from gqap.bench.config import load_config
    from gqap.bench.sources import load_instances

    instances, _ = load_instances(load_config("online"))
    seeds = {rec.params["seed"] for rec in instances.values()}
    assert seeds and not seeds & {100, 101, 102, 1000, 1001, 1002}
    probe = next(iter(instances.values())).instance
    assert probe.family == "online"
    assert generate_online(np.random.default_rng(100), 5, 3.0, 4).family == "online"
