"""The gqap command line: outputs, files written, and one-line errors with non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from gqap.cli import main

TINY = ROOT / "instances" / "tiny" / "u6-g04-b03.json"
TINY_GQAP = ROOT / "instances" / "tiny-gqap" / "8-4-50.json"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_is_deterministic(tmp_path, capsys):
    for name in ("a.json", "b.json"):
        code, _, _ = run(capsys, "generate", "offloading", "--users", 5, "--gpus", 4,
                         "--bmax", 3, "--seed", 2, "-o", tmp_path / name)
        assert code == 0
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    obj = json.loads((tmp_path / "a.json").read_text())
    assert obj["params"]["G"] == 4 and obj["params"]["B_max"] == 3
    assert len(obj["users"]["alpha"]) == 5
    code, _, _ = run(capsys, "generate", "gqap", "--facilities", 7, "--sites", 3,
                     "--capacity-ratio", 0.5, "--format", "cordeau", "-o", tmp_path / "g.txt")
    assert code == 0 and (tmp_path / "g.txt").read_text().startswith("7 3 2")


def test_info_reports_family_and_sizes(capsys):
    code, out, _ = run(capsys, "info", TINY, "--json")
    info = json.loads(out)
    assert code == 0 and info["family"] == "offloading" and info["users"] == 6
    assert info["B_max"] == 3
    code, out, _ = run(capsys, "info", TINY_GQAP)
    assert "facilities" in out and "capacity_ratio" in out
    code, out, _ = run(capsys, "info", ROOT / "instances" / "tiny")
    assert "instances" in out and "6" in out


def test_solve_json_and_evaluate_round_trip(tmp_path, capsys):
    code, out, _ = run(capsys, "solve", TINY, "--solver", "exact", "--json",
                       "--out", tmp_path / "sol.json")
    res = json.loads(out)
    assert code == 0
    assert {"solver", "instance", "status", "objective", "bound", "wall_time_s",
            "solution"} <= set(res)
    assert res["status"] == "optimal" and set(res["solution"]) == {"grant", "split_points"}
    code, out, _ = run(capsys, "evaluate", TINY, tmp_path / "sol.json", "--json")
    ev = json.loads(out)
    assert code == 0 and ev["feasible"]
    assert ev["objective"] == pytest.approx(res["objective"], rel=1e-12)
    # --json output of solve is itself a valid solution file.
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, out, _ = run(capsys, "evaluate", TINY, tmp_path / "res.json",
                       "--latency-model", "dynamic-batch", "--per-user")
    assert code == 0 and "dynamic-batch" in out and "QoE" in out


def test_evaluate_exits_one_on_infeasible_solution(tmp_path, capsys):
    (tmp_path / "s.json").write_text(json.dumps(
        {"grant": [True] * 6, "split_points": [80] * 6}))  # 6 granted > B_max = 3
    code, out, _ = run(capsys, "evaluate", TINY, tmp_path / "s.json")
    assert code == 1 and "b <= B_max" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["info", "missing.json"], "missing.json: no such file"),
        (["solve", "BAD", "--solver", "exact"], "malformed JSON"),
        (["solve", "OLD", "--solver", "exact"], "schema version 99 is not supported"),
        (["solve", "NEG", "--solver", "exact"], "users.alpha: must be >= 0"),
        (["solve", TINY, "--solver", "nope"], "solver: unknown 'nope'"),
        (["solve", TINY_GQAP, "--solver", "exact"], "does not support the gqap family"),
        (["solve", TINY, "--solver", "exact", "--opt", "split=half"], "split must be one of"),
        (["solve", TINY, "--solver", "exact", "--opt", "speed=3"], "unknown option 'speed'"),
        (["solve", TINY, "--solver", "exact", "--threads", "2"], "unknown option 'threads'"),
        (["generate", "offloading", "--users", "0"], "users: must be a positive integer"),
        (["generate", "gqap", "--facilities", "4", "--sites", "2", "--capacity-ratio", "2"],
         "capacity ratio: must lie in (0, 1]"),
        (["generate", "set", "nope"], "unknown 'nope'"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "BAD").write_text("{")
    obj = json.loads(TINY.read_text())
    (tmp_path / "OLD").write_text(json.dumps({**obj, "version": 99}))
    obj["users"]["alpha"][2] = -1.0
    (tmp_path / "NEG").write_text(json.dumps(obj))
    argv = [str(tmp_path / a) if a in ("BAD", "OLD", "NEG", "missing.json") else a
            for a in argv]
    code, out, err = run(capsys, *argv)
    assert code != 0
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_time_limit_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(TINY), "--solver", "exact", "--time-limit", "-3"])
    assert info.value.code == 2
    assert "must be a positive number" in capsys.readouterr().err


def test_console_script_help_and_exit_code():
    # The installed entry point, as a user calls it.
    proc = subprocess.run([sys.executable, "-m", "gqap.cli", "info", "nope.json"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.startswith("gqap: error: nope.json")
    for cmd in (["--help"], ["generate", "--help"], ["solve", "--help"],
                ["evaluate", "--help"], ["info", "--help"], ["solvers", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "gqap.cli", *cmd], capture_output=True,
                              text=True)
        assert proc.returncode == 0 and "usage: gqap" in proc.stdout


def test_threads_flag_reaches_the_solver(capsys):
    code, out, _ = run(capsys, "solve", TINY, "--solver", "cpsat", "--threads", 2, "--json")
    res = json.loads(out)
    assert code == 0 and res["status"] == "optimal"
    assert res["info"].get("threads") == 2


def _strict_json(text):
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(("source", "edit", "message"), [
    (TINY, lambda o: o["users"]["alpha"].__setitem__(0, 1e308),
     r"users.alpha: 1e\+308 at index \[0\] exceeds the bound"),
    (TINY, lambda o: o["users"]["k_s"].__setitem__(1, 1e308), r"users.k_s: 1e\+308 at index \[1\]"),
    (TINY, lambda o: o["params"]["edge"].__setitem__("h_s", 1e308), r"edge.h_s: 1e\+308 exceeds"),
    (TINY_GQAP, lambda o: o["data"]["t"][0].__setitem__(1, 1e308),
     r"t: 1e\+308 at index \[0, 1\] exceeds the bound"),
    (TINY_GQAP, lambda o: o["data"]["d"][1].__setitem__(0, 1e308), r"d: 1e\+308 at index \[1, 0\]"),
])
def test_extreme_values_are_refused_before_any_solver_runs(tmp_path, capsys, source, edit,
                                                           message):
    import re

    obj = json.loads(source.read_text())
    edit(obj)
    path = tmp_path / "x.json"
    path.write_text(json.dumps(obj))
    for solver in ("exact", "brute-force"):
        code, out, err = run(capsys, "solve", path, "--solver", solver, "--json")
        assert code == 1 and out == "" and re.search(message, err), err
        assert "1e+30" in err and err.count("\n") == 1


def test_json_output_is_standard_at_the_bounds(tmp_path, capsys):
    obj = json.loads(TINY.read_text())
    obj["users"]["alpha"] = [1e30] * 6
    obj["params"]["s_m_bits"] = 1e30
    obj["params"]["eta"] = 1e-30
    (tmp_path / "x.json").write_text(json.dumps(obj))
    code, out, err = run(capsys, "solve", tmp_path / "x.json", "--solver", "exact", "--json",
                         "--out", tmp_path / "s.json")
    res = _strict_json(out)
    assert code == 0 and res["status"] == "optimal" and abs(res["objective"]) < 1e110
    code, out, _ = run(capsys, "evaluate", tmp_path / "x.json", tmp_path / "s.json", "--json")
    assert code == 0 and _strict_json(out)["objective"] == pytest.approx(res["objective"])
    code, out, _ = run(capsys, "info", tmp_path / "x.json", "--json")
    assert code == 0 and _strict_json(out)["alpha"]["max"] == 1e30


def test_json_text_maps_non_finite_numbers_to_null():
    import numpy as np

    from gqap.cli.main import json_text

    text = json_text({"a": float("-inf"), "b": [np.float64("nan"), 1.5], "c": np.int64(3)})
    assert _strict_json(text) == {"a": None, "b": [None, 1.5], "c": 3}
