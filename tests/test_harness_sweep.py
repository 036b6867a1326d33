"""The sweep harness end to end: rows and gaps, resume (also after SIGKILL), killed and
crashing solvers, the Dask executor, the quick flag form."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from harness_solvers import TEST_SOLVERS

from gqap.bench.config import config_from_dict
from gqap.bench.report import write_report
from gqap.bench.store import ResultStore
from gqap.bench.sweep import run_sweep
from gqap.cli import main
from gqap.evaluation import evaluate
from gqap.instance_sets import read_set
from gqap.io import solution_from_dict
from gqap.solvers import solve

TINY = {inst.content_hash(): inst for inst in read_set(ROOT / "instances" / "tiny")}
TESTS = Path(__file__).resolve().parent


def _target(name: str, **kw) -> dict:
    fam = ["gqap"] if name == "test-randfit" else ["offloading"]
    return {"name": name, "target": TEST_SOLVERS[name], "families": fam, **kw}


def _rows(out: Path) -> list[dict]:
    with ResultStore.in_dir(out, readonly=True) as store:
        return store.rows(latest_only=False)


def test_sweep_3_solvers_6_instances_2_seeds_gives_36_rows_with_correct_gaps(tmp_path):
    cfg = config_from_dict({
        "name": "t36", "time_limit": 20, "seeds": [0, 1],
        "solvers": [{"name": "exact"}, {"name": "baseline1"}, {"name": "baseline3"}],
        "instances": [{"set": "tiny"}]})
    summary = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert (summary.planned, summary.completed, summary.failed) == (36, 36, 0)
    assert summary.references_computed == 6
    rows = _rows(tmp_path)
    assert len(rows) == 36
    assert len({(r["label"], r["instance_hash"], r["seed"]) for r in rows}) == 36
    assert len({r["run_id"] for r in rows}) == 36
    optimum = {h: solve("exact", inst).objective for h, inst in TINY.items()}
    for r in rows:
        inst = TINY[r["instance_hash"]]
        sol = solution_from_dict(json.loads(r["solution"]))
        value = evaluate(inst, sol).objective
        opt = optimum[r["instance_hash"]]
        assert r["objective"] == pytest.approx(value, rel=1e-12)
        assert r["objective_per_user"] == pytest.approx(value / inst.n_users, rel=1e-12)
        assert (r["reference"], r["reference_kind"]) == (pytest.approx(opt, rel=1e-12), "exact")
        assert r["gap_abs"] == pytest.approx(opt - value, abs=1e-9)
        assert r["gap_per_user"] == pytest.approx((opt - value) / inst.n_users, abs=1e-9)
        assert r["gap_rel"] == pytest.approx((opt - value) / abs(opt), abs=1e-9)
        assert r["family"] == "offloading" and r["sense"] == "max"
        assert r["n_users_or_facilities"] == inst.n_users and r["gpus_or_sites"] == inst.G
        assert r["wall_time_s"] > 0 and r["time_limit"] == 20
        assert r["mean_pai"] == pytest.approx(float(evaluate(inst, sol).pai.mean()))
        if r["solver"] == "exact":
            assert r["status"] == "optimal" and r["gap_abs"] == pytest.approx(0, abs=1e-12)
        else:
            assert r["status"] == "feasible" and r["gap_abs"] >= -1e-9
    # everyone-local is strictly worse than the optimum somewhere on this set
    assert max(r["gap_abs"] for r in rows if r["solver"] == "baseline3") > 0.1
    # one config hash per solver label, shared by its seeds and instances
    assert len({(r["label"], r["config_hash"]) for r in rows}) == 3
    again = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert (again.completed, again.already_stored, again.references_computed) == (0, 36, 0)
    assert len(_rows(tmp_path)) == 36


def test_hanging_crashing_raising_and_infeasible_solvers_are_recorded(tmp_path):
    cfg = config_from_dict({
        "name": "bad", "time_limit": 0.3, "kill_grace_s": 0.5, "seeds": [0],
        "solvers": [_target("test-hang"), _target("test-crash"), _target("test-raise"),
                    _target("test-infeasible"), {"name": "exact"}],
        "instances": [{"set": "tiny", "where": {"n_users": [6], "B_max": [3]}}]})
    t0 = time.monotonic()
    summary = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert time.monotonic() - t0 < 30
    rows = {(r["label"], r["instance"]): r for r in _rows(tmp_path)}
    assert len(rows) == 5 and summary.failed == 4
    for (label, _), r in rows.items():
        if label == "test-hang":
            assert r["status"] == "time_limit" and r["killed"] == 1
            assert "killed after" in r["error"] and r["objective"] is None
            assert 0.3 * 1.1 + 0.5 - 0.05 <= r["wall_time_s"] < 5
        elif label == "test-crash":
            assert r["status"] == "error" and "exit code 3" in r["error"]
        elif label == "test-raise":
            assert r["status"] == "error"
            assert r["error"] == "RuntimeError: deliberate failure for the harness tests"
        elif label == "test-infeasible":
            assert r["status"] == "error" and "b <= B_max" in r["error"]
            assert json.loads(r["info"])["claimed_status"] == "optimal"
        else:
            assert r["status"] == "optimal" and r["gap_abs"] == pytest.approx(0, abs=1e-12)


def test_killing_a_run_also_kills_the_processes_its_solver_started(tmp_path):
    pidfile = tmp_path / "child.pid"
    cfg = config_from_dict({
        "name": "spawn", "time_limit": 0.2, "kill_grace_s": 0.3, "seeds": [0],
        "solvers": [_target("test-spawn", options={"pidfile": str(pidfile)})],
        "instances": [{"set": "tiny", "where": {"n_users": [4], "B_max": [2]}}]})
    run_sweep(cfg, tmp_path / "out", workers=1, progress=False)
    (row,) = _rows(tmp_path / "out")
    assert row["status"] == "time_limit" and row["killed"] == 1
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(child)


def test_noisy_solver_output_does_not_break_the_protocol(tmp_path):
    cfg = config_from_dict({
        "name": "noisy", "time_limit": 5, "seeds": [0, 3],
        "solvers": [_target("test-sleepy", options={"delay": 0.0})],
        "instances": [{"set": "tiny", "where": {"n_users": [4], "B_max": [2]}}]})
    run_sweep(cfg, tmp_path, workers=1, progress=False)
    rows = _rows(tmp_path)
    assert sorted(json.loads(r["info"])["seed_seen"] for r in rows) == [0, 3]
    assert "raw noise on fd 1" in (tmp_path / "logs" / "worker-0.log").read_text()


def test_warm_up_stays_out_of_the_measured_solve_time(tmp_path):
    """A solver's one-off warm-up (checkpoint loading) runs before the clock starts."""
    cfg = config_from_dict({
        "name": "warm", "time_limit": 5, "seeds": [0, 1],
        "solvers": [_target("test-sleepy", options={"delay": 0.0, "warm_up_s": 1.0})],
        "instances": [{"set": "tiny", "where": {"n_users": [4], "B_max": [2]}}]})
    run_sweep(cfg, tmp_path, workers=1, progress=False)
    rows = _rows(tmp_path)
    assert len(rows) == 2 and {r["status"] for r in rows} == {"feasible"}
    assert all(json.loads(r["info"])["warmed"] for r in rows)
    assert max(r["wall_time_s"] for r in rows) < 0.5


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def test_sigkill_mid_sweep_then_resume_leaves_exactly_36_rows(tmp_path):
    config = tmp_path / "slow.toml"
    entries = "\n".join(
        f'[[solvers]]\nname = "test-sleepy"\nlabel = "sleepy-{i}"\n'
        f'target = "{TEST_SOLVERS["test-sleepy"]}"\nfamilies = ["offloading"]\n'
        f"options = {{delay = {0.15 + 0.01 * i}}}\n" for i in range(3))
    config.write_text(f'name = "slow"\ntime_limit = 10\nseeds = [0, 1]\n{entries}\n'
                      '[[instances]]\nset = "tiny"\n')
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)])}
    cmd = [sys.executable, "-m", "gqap.cli", "bench", "run", str(config), "--out", str(out),
           "--workers", "2", "--no-progress", "--no-report"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    db = out / "results.sqlite"
    deadline = time.monotonic() + 60
    n = 0
    while time.monotonic() < deadline and n < 8:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    n = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as con:
        killed_at = con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert 8 <= killed_at < 36
    # orphaned workers notice their parent is gone and exit
    pids = [int(line.split()[2]) for log in (out / "logs").glob("*.log")
            for line in log.read_text().splitlines() if line.startswith("bench worker")]
    assert pids
    time.sleep(1.5)
    assert not [p for p in pids if _pid_alive(p)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{36 - killed_at} new runs stored" in done.stdout
    rows = _rows(out)
    assert len(rows) == 36
    assert len({(r["label"], r["instance_hash"], r["seed"], r["config_hash"])
                for r in rows}) == 36
    assert all(r["status"] == "feasible" for r in rows)


def test_dask_executor_gives_the_same_rows_as_the_local_one(tmp_path):
    pytest.importorskip("dask.distributed")
    cfg = config_from_dict({
        "name": "dask", "time_limit": 20, "seeds": [0],
        "solvers": [{"name": "exact"}, {"name": "baseline2"}],
        "instances": [{"set": "tiny", "where": {"n_users": [4, 6]}}]})
    run_sweep(cfg, tmp_path / "local", workers=1, progress=False)
    run_sweep(cfg, tmp_path / "dask", executor="dask", workers=1, progress=False)
    keys = ("run_id", "label", "instance_hash", "seed", "config_hash", "status", "objective",
            "reference", "reference_kind", "gap_abs", "gap_rel", "solution", "granted")

    def table(p):
        return sorted(tuple(r[k] for k in keys) for r in _rows(p))

    local, dask = table(tmp_path / "local"), table(tmp_path / "dask")
    assert len(local) == 8 and local == dask
    sweeps = ResultStore.in_dir(tmp_path / "dask", readonly=True).sweeps()
    assert sweeps[-1]["executor"] == "dask"


def test_dask_executor_runs_on_a_scheduler_given_by_address(tmp_path):
    """--scheduler ADDR: the sweep connects to a running cluster instead of starting one."""
    distributed = pytest.importorskip("dask.distributed")
    cfg = config_from_dict({
        "name": "remote", "time_limit": 20, "seeds": [0],
        "solvers": [{"name": "exact"}, {"name": "baseline1"}],
        "instances": [{"set": "tiny", "where": {"n_users": [4]}}]})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run_sweep(cfg, tmp_path / "remote", executor="dask", scheduler=cluster.scheduler_address,
                  progress=False)
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 1  # still up: not ours to close
    run_sweep(cfg, tmp_path / "local", workers=1, progress=False)
    keys = ("run_id", "status", "objective", "gap_abs", "solution")
    remote = sorted(tuple(r[k] for k in keys) for r in _rows(tmp_path / "remote"))
    local = sorted(tuple(r[k] for k in keys) for r in _rows(tmp_path / "local"))
    assert len(remote) == 4 and remote == local


def test_quick_flags_generate_seeded_instances_and_print_report_paths(tmp_path, capsys):
    out = tmp_path / "quick"
    code = main(["bench", "run", "--family", "offloading", "--users", "4,6", "--cases", "2",
                 "--solvers", "exact,baseline3", "--time-limit", "5", "--seeds", "0",
                 "--out", str(out), "--workers", "1", "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "8 new runs stored (0 failed)" in printed
    paths = [Path(line.strip()) for line in printed.splitlines() if line.startswith("  ")]
    assert out / "report" / "summary_offloading.tex" in paths
    assert out / "report" / "objective_vs_users.png" in paths
    assert all(p.exists() for p in paths)
    # one sweep, one HTML file to open: the report's pages beside its tables
    assert f"html report: {out / 'report' / 'index.html'}" in printed
    assert "Which solver to use" in (out / "report" / "index.html").read_text()
    with ResultStore.in_dir(out, readonly=True) as store:
        instances = store.instance_rows()
        assert len(instances) == 4
        from gqap.offloading.generator import generate_offloading
        for meta in instances:
            seed = json.loads(meta["params"])["seed"]
            assert meta["origin"] == f"generated offloading seed {seed}"
            again = generate_offloading(np.random.default_rng(seed), meta["size"], 8, 18)
            assert again.content_hash() == meta["instance_hash"]


@pytest.mark.parametrize(("argv", "message"), [
    (["bench", "run", "CFG", "--users", "4"], "give either CONFIG or the quick flags"),
    (["bench", "run"], "give a CONFIG file"),
    (["bench", "run", "--family", "offloading", "--solvers", "nope"], "unknown 'nope'"),
    (["bench", "run", "--family", "offloading", "--solvers", "exact", "--opt",
      "exact:speed=1"], "unknown option 'speed'"),
    (["bench", "run", "BAD"], "unknown key 'seed'"),
    (["bench", "report", "EMPTY"], "no results.sqlite here"),
])
def test_bench_errors_are_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "cfg.toml").write_text('solvers = ["exact"]\n[[instances]]\nset = "tiny"\n')
    (tmp_path / "bad.toml").write_text('seed = 1\nsolvers = ["exact"]\n'
                                       '[[instances]]\nset = "tiny"\n')
    subs = {"CFG": str(tmp_path / "cfg.toml"), "BAD": str(tmp_path / "bad.toml"),
            "EMPTY": str(tmp_path)}
    code = main([subs.get(a, a) for a in argv] + (
        ["--out", str(tmp_path / "o")] if argv[1] == "run" else []))
    err = capsys.readouterr().err
    assert code == 1 and message in err, err
    assert err.count("\n") == 1


def test_an_optional_solver_whose_first_run_fails_is_skipped(tmp_path):
    cfg = config_from_dict({
        "name": "probe", "time_limit": 5, "seeds": [0, 1],
        "solvers": [_target("test-raise", optional=True), {"name": "baseline3"}],
        "instances": [{"set": "tiny"}]})
    summary = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert summary.completed == 12 and summary.failed == 0
    assert summary.skipped_solvers == [
        ("test-raise", "its first run failed: RuntimeError: deliberate failure for the "
                       "harness tests")]
    assert {r["label"] for r in _rows(tmp_path)} == {"baseline3"}


# ---------------------------------------------------------------------------------------
# issue 13: kill grace, nothing to run, folders, manifests; the multi family
# ---------------------------------------------------------------------------------------
def test_the_kill_grace_grows_with_the_limit_from_a_floor():
    from gqap.bench.executor import kill_after, kill_grace

    assert kill_grace(3.0) == 2.0 and kill_grace(600.0) == pytest.approx(60.0)
    assert kill_after(3.0) == pytest.approx(3.3 + 2.0)  # within 1.1 x limit + 2 s
    assert kill_after(600.0) == pytest.approx(660.0 + 60.0)
    assert kill_after(10.0, 0.0) == pytest.approx(11.0 + 1.0)
    assert kill_after(1.0, 5.0) == pytest.approx(1.1 + 5.0)


@pytest.mark.parametrize(("config", "message"), [
    ('solvers = ["exact"]\n[[instances]]\nset = "tiny-gqap"\n',
     "nothing to run: no solver supports its instances (family classic, sizes 6..10): exact "
     "takes families offloading, multi"),
    ('[[solvers]]\nname = "exact"\nmax_size = 2\n[[instances]]\nset = "tiny"\n',
     "exact takes families offloading, multi and sizes 1..2"),
    ('[[solvers]]\nname = "nope-solver"\noptional = true\n[[instances]]\nset = "tiny"\n',
     "nothing to run: every solver was skipped (nope-solver: solver: unknown"),
])
def test_a_sweep_with_nothing_to_run_exits_non_zero_naming_the_reason(tmp_path, capsys,
                                                                     config, message):
    (tmp_path / "c.toml").write_text(config)
    code = main(["bench", "run", str(tmp_path / "c.toml"), "--out", str(tmp_path / "o"),
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert "0 of 0" not in err


def test_a_sweep_folder_that_is_a_file_is_refused_before_any_work(tmp_path):
    from gqap.errors import GQAPError

    (tmp_path / "f").write_text("not a folder")
    cfg = config_from_dict({"solvers": ["exact"], "instances": [{"set": "tiny"}]})
    for out in (tmp_path / "f", tmp_path / "f" / "sub"):
        with pytest.raises(GQAPError, match="is a file, not a folder"):
            run_sweep(cfg, out, progress=False)
    assert (tmp_path / "f").read_text() == "not a folder"


def test_path_sources_check_files_against_their_manifest(tmp_path):
    import shutil

    from gqap.bench.sources import load_instances
    from gqap.errors import GQAPError

    folder = tmp_path / "tiny"
    shutil.copytree(ROOT / "instances" / "tiny", folder)
    cfg = config_from_dict({"solvers": ["exact"], "instances": [{"path": str(folder)}]})
    assert len(load_instances(cfg)[0]) == 6
    victim = folder / "u6-g04-b03.json"
    victim.write_text(victim.read_text() + "\n")  # same instance, other bytes
    with pytest.raises(GQAPError, match="u6-g04-b03.json: SHA-256 differs from the manifest"):
        load_instances(cfg)
    one = config_from_dict({"solvers": ["exact"], "instances": [{"path": str(victim)}]})
    with pytest.raises(GQAPError, match="SHA-256 differs"):
        load_instances(one)
    (folder / "manifest.json").unlink()  # no manifest: nothing to check against
    assert len(load_instances(cfg)[0]) == 6


def test_a_tiny_multi_sweep_is_measured_against_the_exact_optimum(tmp_path):
    from gqap.multi import generate_multi
    from gqap.solvers.base import Status

    cfg = config_from_dict({
        "name": "multi", "time_limit": 20, "seeds": [0],
        "solvers": ["exact", "brute-force", "baseline1", "baseline3",
                    {"name": "tabu", "options": {"max_iterations": 200}}],
        "instances": [{"generate": "multi", "users": [4, 5], "sites": [2], "cases": 2,
                       "seed": 1, "model": {"delta_max": 20.0}}],
        "report": {"hooks": ["gap_summary"]}})
    summary = run_sweep(cfg, tmp_path, workers=2, progress=False)
    assert (summary.planned, summary.failed, summary.references_computed) == (20, 0, 4)
    rows = _rows(tmp_path)
    with ResultStore.in_dir(tmp_path, readonly=True) as store:
        metas = {m["instance_hash"]: m for m in store.instance_rows()}
        insts = {h: store.instance(h) for h in metas}
    for r in rows:
        inst = insts[r["instance_hash"]]
        params = json.loads(metas[r["instance_hash"]]["params"])
        again = generate_multi(np.random.default_rng(params["seed"]), inst.n_users, 2,
                               delta_max=20.0)
        assert again.content_hash() == r["instance_hash"]
        assert (params["n_users"], params["S"]) == (inst.n_users, 2)
        assert r["family"] == "multi" and r["sense"] == "max" and r["gpus_or_sites"] == 2
        assert isinstance(r["status"], Status) and r["reference_kind"] == "exact"
        optimum = solve("exact", inst).objective
        assert r["reference"] == pytest.approx(optimum, rel=1e-12)
        assert r["gap_abs"] >= -1e-9
        if r["solver"] in ("exact", "brute-force"):
            assert r["status"] == Status.OPTIMAL and r["gap_abs"] == pytest.approx(0, abs=1e-9)
        assert r["granted"] == int((solution_from_dict(json.loads(r["solution"])).site
                                    >= 0).sum())
    rep = write_report(tmp_path, tmp_path / "rep", formats=["markdown"])
    names = {p.name for p in rep.tables}
    assert {"summary_multi.md", "gap_summary.md"} <= names
    assert "gap_distribution.png" in {p.name for p in rep.figures}


def test_rescoring_goes_through_the_solver_floor_and_names_false_claims():
    from gqap.bench.sweep import rescore
    from gqap.classic.solution import GQAPSolution
    from gqap.solvers.base import Status

    inst = next(iter(TINY.values()))
    good = solve("exact", inst)
    ok = rescore(inst, {"status": "optimal", "solution": good.solution.to_dict(),
                        "objective": good.objective + 1.0, "info": {}}, "exact")
    assert ok["status"] is Status.OPTIMAL and ok["objective"] == pytest.approx(good.objective)
    assert ok["info"]["worker_objective"] == pytest.approx(good.objective + 1.0)
    assert ok["granted"] == evaluate(inst, good.solution).b
    empty = rescore(inst, {"status": "feasible", "solution": None, "info": {}})
    assert empty["status"] is Status.ERROR
    assert empty["error"] == "solver claimed feasible but returned no solution"
    foreign = rescore(inst, {"status": "feasible", "info": {},
                             "solution": GQAPSolution([0] * inst.n_users).to_dict()}, "x")
    assert foreign["status"] is Status.ERROR and "unreadable" in foreign["error"]
    odd = rescore(inst, {"status": "great", "solution": None})
    assert odd["status"] is Status.ERROR and "'great'" in odd["error"]
