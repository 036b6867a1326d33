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
    code, _, _ = run(capsys, "generate", "classic", "--facilities", 7, "--sites", 3,
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
        (["solve", TINY_GQAP, "--solver", "exact"], "does not support the classic family"),
        (["solve", TINY, "--solver", "exact", "--opt", "split=half"], "split must be one of"),
        (["solve", TINY, "--solver", "exact", "--opt", "speed=3"], "unknown option 'speed'"),
        (["solve", TINY, "--solver", "exact", "--threads", "2"], "unknown option 'threads'"),
        (["generate", "offloading", "--users", "0"], "users: must be a positive integer"),
        (["generate", "classic", "--facilities", "4", "--sites", "2", "--capacity-ratio", "2"],
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
    code, out, err = run(capsys, "solve", TINY, "--solver", "exact", "--time-limit", "-3")
    assert code == 2 and out == ""
    assert err == ("gqap: error: solve: argument --time-limit: must be a positive number, "
                   "got '-3' (see 'gqap solve --help')\n")


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


# ---------------------------------------------------------------------------------------
# ordinary mistakes: one line naming the problem, never "internal error" (issue 13)
# ---------------------------------------------------------------------------------------
def one_line_error(capsys, *argv, code=None):
    got, out, err = run(capsys, *argv)
    assert got != 0 and (code is None or got == code), (got, err)
    assert err.startswith("gqap: error: ") and err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err


GEN = ["generate", "offloading", "--users", "4"]
GQ = ["generate", "classic", "--facilities", "5", "--sites", "2", "--capacity-ratio", "0.5"]


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["solve", TINY, "--solver", "tabu", "--seed", "-1"], 2, "argument --seed: must be 0.."),
    (GEN + ["--seed", "-1"], 2, "argument --seed: must be 0.."),
    (GQ + ["--seed", "-7"], 2, "argument --seed: must be 0.."),
    (GEN + ["--seed", str(2**64)], 2, "argument --seed: must be 0.."),
    (GEN + ["--kappa", "nan"], 2, "argument --kappa: must be a positive number, got 'nan'"),
    (GEN + ["--kappa", "inf"], 2, "argument --kappa: must be a positive number"),
    (GEN + ["--kappa", "1e308"], 1, "kappa: must be a finite number within 1e-30..1e+30"),
    (GEN + ["--kappa", "1e29"], 1, "alpha rule: alpha would reach"),
    (GEN + ["--b-hat", "0"], 2, "argument --b-hat: must be >= 1, got 0"),
    (GEN + ["--b-hat", "-3"], 2, "argument --b-hat: must be >= 1, got -3"),
    (GEN + ["--users", "100000000000"], 1, "users: at most 10,000,000"),
    (GEN + ["--N", "0"], 2, "argument --N: must be >= 1"),
    (GEN + ["--N-hat", "300"], 1, "N_hat: must be <= N (200), got 300"),
    (["solve", TINY, "--solver", "exact", "--time-limit", "nan"], 2, "--time-limit: must be"),
    (["solve", TINY, "--solver", "exact", "--time-limit", "inf"], 2, "--time-limit: must be"),
    (["solve", TINY, "--solver", "exact", "--time-limit", "0"], 2, "--time-limit: must be"),
    (["solve", TINY, "--solver", "cpsat", "--threads", "0"], 2, "--threads: must be >= 1"),
])
def test_bad_arguments_are_one_line(capsys, argv, code, message):
    assert message in one_line_error(capsys, *argv, code=code)


def test_out_naming_a_folder_is_refused_before_solving(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    err = one_line_error(capsys, "solve", TINY, "--solver", "exact", "--out", tmp_path / "d")
    assert f"{tmp_path / 'd'}: is a folder" in err
    err = one_line_error(capsys, *GEN, "-o", tmp_path / "d")
    assert "is a folder" in err
    (tmp_path / "f").write_text("keep")
    err = one_line_error(capsys, *GEN, "-o", tmp_path / "f" / "x.json")
    assert "is a file, not a folder" in err and (tmp_path / "f").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "f"]  # no temporary left


def test_bench_arguments_are_validated(tmp_path, capsys):
    quick = ["bench", "run", "--family", "offloading", "--users", "4", "--solvers", "exact",
             "--no-progress", "--no-report"]
    for extra, message in [
            (["--cases", "0"], "argument --cases: must be >= 1, got 0"),
            (["--workers", "0"], "argument --workers: must be >= 1, got 0"),
            (["--workers", "-2"], "argument --workers: must be >= 1, got -2"),
            (["--instance-seed", "-1"], "argument --instance-seed: must be 0.."),
            (["--seeds", "0,-1"], "argument --seeds: must be 0.."),
            (["--users", "4,0"], "argument --users: must be >= 1, got 0"),
            (["--time-limit", "-1"], "argument --time-limit: must be a positive number")]:
        err = one_line_error(capsys, *quick, "--out", tmp_path / "o", *extra, code=2)
        assert message in err
    assert not (tmp_path / "o").exists()
    (tmp_path / "file").write_text("x")
    err = one_line_error(capsys, *quick, "--out", tmp_path / "file", code=1)
    assert f"bench run --out: {tmp_path / 'file'} is a file" in err
    assert (tmp_path / "file").read_text() == "x"


def test_bench_cases_are_counted_as_given(tmp_path, capsys):
    code, out, _ = run(capsys, "bench", "run", "--family", "offloading", "--users", "4",
                       "--solvers", "baseline1", "--cases", "2", "--no-progress",
                       "--no-report", "--workers", "1", "--out", tmp_path / "o")
    assert code == 0 and "2 new runs stored" in out


@pytest.mark.parametrize("content", [b"not a database at all", bytes(range(256)) * 8])
def test_a_corrupted_results_store_is_named(tmp_path, capsys, content):
    (tmp_path / "sw").mkdir()
    db = tmp_path / "sw" / "results.sqlite"
    db.write_bytes(content)
    for argv in (["bench", "run", "--family", "offloading", "--users", "4", "--solvers",
                  "exact", "--no-progress", "--out", tmp_path / "sw"],
                 ["bench", "report", tmp_path / "sw"]):
        err = one_line_error(capsys, *argv, code=1)
        assert f"{db}: not a usable results database" in err
    assert db.read_bytes() == content  # nothing overwritten


def test_evaluate_refuses_a_solution_of_another_instance(tmp_path, capsys):
    other = ROOT / "instances" / "tiny" / "u6-g08-b18.json"
    code, _, _ = run(capsys, "solve", other, "--solver", "exact", "--out", tmp_path / "s.json")
    assert code == 0
    from gqap.io import read_instance

    want, got = read_instance(other).content_hash(), read_instance(TINY).content_hash()
    err = one_line_error(capsys, "evaluate", TINY, tmp_path / "s.json", code=1)
    assert want in err and got in err and "written for the instance with hash" in err
    code, _, _ = run(capsys, "evaluate", other, tmp_path / "s.json")
    assert code == 0


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"),
    (b"  \n\t\n", "empty file"),
    (b"null", "expected a JSON object (an instance) at the top level, got null"),
    (b"[1, 2]", "got an array"),
    (b'"text"', "got a string"),
    (b"\xef\xbb\xbf", "empty file"),
    (b"\x00\x01\x02\xff\xfe", "not a text file"),
    (b'{"format": "gqap-bench/gqap", "format": "gqap-bench/gqap"}', "duplicate key 'format'"),
    (b"[" * 100000, "JSON nested too deeply"),
])
def test_empty_null_and_binary_files_are_named(tmp_path, capsys, content, message):
    (tmp_path / "x.json").write_bytes(content)
    for argv in (["info", tmp_path / "x.json"], ["solve", tmp_path / "x.json", "--solver",
                                                  "exact"]):
        assert message in one_line_error(capsys, *argv, code=1)
    assert message.replace("(an instance)", "(a solution)") in one_line_error(
        capsys, "evaluate", TINY, tmp_path / "x.json", code=1)


def test_a_byte_order_mark_is_read(tmp_path, capsys):
    from gqap.io import read_instance

    for source in (TINY, TINY_GQAP):
        (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
        assert (read_instance(tmp_path / "bom.json").content_hash()
                == read_instance(source).content_hash())
        code, out, _ = run(capsys, "info", tmp_path / "bom.json", "--json")
        assert code == 0 and json.loads(out)["content_hash"] == read_instance(source).content_hash()
    run(capsys, "generate", *GQ[1:], "--format", "cordeau", "-o", tmp_path / "g.txt")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "g.txt").read_bytes())
    assert (read_instance(tmp_path / "bom.txt").content_hash()
            == read_instance(tmp_path / "g.txt").content_hash())


def test_written_files_follow_the_umask(tmp_path, capsys):
    import os

    old = os.umask(0o022)
    try:
        run(capsys, *GEN, "-o", tmp_path / "a.json")
        run(capsys, "solve", TINY, "--solver", "exact", "--out", tmp_path / "s.json")
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
        assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        run(capsys, *GEN, "-o", tmp_path / "b.json")
        assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o600
        (tmp_path / "a.json").chmod(0o640)  # a replaced file keeps its mode
        run(capsys, *GEN, "--seed", "3", "-o", tmp_path / "a.json")
        assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_a_checkpoint_with_a_pickle_payload_is_refused_unrun(tmp_path, capsys):
    pytest.importorskip("torch")
    import hashlib
    import os
    import pickle

    marker = tmp_path / "payload-ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR

    side = json.loads((CHECKPOINT_DIR / "general.json").read_text())
    pt = tmp_path / "evil.pt"
    pt.write_bytes(pickle.dumps({"w": Payload()}))
    side.update(file="evil.pt", sha256=hashlib.sha256(pt.read_bytes()).hexdigest())
    (tmp_path / "evil.json").write_text(json.dumps(side))
    err = one_line_error(capsys, "solve", TINY, "--solver", "dqn", "--opt",
                         f"checkpoint={pt}", code=1)
    assert f"{pt} holds pickled Python objects" in err and "refused" in err
    assert not marker.exists()


def _packing_infeasible(path):
    """8 facilities of weight 51 on capacities 100, 100, 100, 110: total capacity suffices,
    but at most 5 of them fit (issue 13)."""
    import numpy as np

    from gqap.classic.instance import GQAPInstance
    from gqap.io import write_instance

    rng = np.random.default_rng(0)
    inst = GQAPInstance(q=[51.0] * 8, Q=[100.0, 100.0, 100.0, 110.0],
                        a=rng.integers(0, 9, (8, 4)), t=np.ones((8, 8)) - np.eye(8),
                        d=np.ones((4, 4)) - np.eye(4), v=1.0, name="packing")
    return write_instance(inst, path)


def test_a_run_without_a_solution_never_leaves_an_older_solution(tmp_path, capsys):
    out = tmp_path / "s.json"
    code, _, _ = run(capsys, "solve", TINY_GQAP, "--solver", "brute-force", "--out", out)
    assert code == 0 and "assignment" in json.loads(out.read_text())
    bad = _packing_infeasible(tmp_path / "p.json")
    code, stdout, err = run(capsys, "solve", bad, "--solver", "brute-force", "--json",
                            "--out", out)
    assert code == 1 and json.loads(stdout)["status"] == "infeasible"
    assert err == (f"gqap: error: solver brute-force: no solution (status infeasible); {out} "
                   "now records the status and no solution\n")
    obj = json.loads(out.read_text())
    assert obj["solution"] is None and obj["status"] == "infeasible"
    assert "assignment" not in obj and obj["instance"] == "packing"
    err = one_line_error(capsys, "evaluate", bad, out, code=1)
    assert "holds no solution (the solver's status was 'infeasible')" in err
    # Without --out the exit status says the same.
    code, _, err = run(capsys, "solve", bad, "--solver", "brute-force")
    assert code == 1 and "no solution (status infeasible)" in err and err.count("\n") == 1


# ---------------------------------------------------------------------------------------
# the multi-cluster family on the command line (issue 14)
# ---------------------------------------------------------------------------------------
def test_generate_multi_defaults_are_the_generators(tmp_path, capsys):
    import numpy as np

    from gqap.io import dumps, instance_to_dict
    from gqap.multi.generator import generate_multi

    code, _, _ = run(capsys, "generate", "multi", "--users", 20, "--sites", 3, "--seed", 0,
                     "-o", tmp_path / "F.json")
    assert code == 0
    api = generate_multi(np.random.default_rng(0), 20, 3, seed=0)
    assert (tmp_path / "F.json").read_text() == dumps(instance_to_dict(api))


def test_generate_multi_exposes_every_generator_option(tmp_path, capsys):
    import numpy as np

    from gqap.io import dumps, instance_to_dict, read_instance
    from gqap.multi.generator import generate_multi

    code, out, _ = run(capsys, "generate", "multi", "--users", 6, "--sites", 2, "--seed", 5,
                       "--gpus", "2,4", "--gpu-choices", "2,8", "--bmax", "3,4",
                       "--bandwidth", "2e6", "--site-rows", "0,1", "--delta-max", 10,
                       "--centres", "0.1,0.2;0.5,0.5",
                       "--positions", "0,0;1,1;0.5,0.5;0.2,0.9;0.9,0.2;0.3,0.3",
                       "--b-hat", 10, "--kappa", 0.1, "--N", 150, "--N-hat", 60,
                       "--a-F", 0.05, "--b-F", 70, "--K", 2, "--eta", 8, "--s-p-bits", 100,
                       "--s-m-bits", "1e6", "--convention", "authors-scripts", "--name", "m")
    assert code == 0
    api = generate_multi(
        np.random.default_rng(5), 6, 2, G=[2, 4], G_choices=[2, 8], B_max=[3, 4], W_hz=2e6,
        site_rows=[0, 1], delta_max=10.0,
        centres=[[0.1, 0.2], [0.5, 0.5]],
        positions=[[0, 0], [1, 1], [0.5, 0.5], [0.2, 0.9], [0.9, 0.2], [0.3, 0.3]],
        b_hat=10, kappa=0.1, N=150, N_hat=60, a_F=0.05, b_F=70.0, K=2.0, eta=8.0,
        s_p_bits=100.0, s_m_bits=1e6, convention="authors-scripts", name="m", seed=5)
    assert out == dumps(instance_to_dict(api))
    (tmp_path / "m.json").write_text(out)
    inst = read_instance(tmp_path / "m.json")
    assert inst.G.tolist() == [2, 4] and inst.B_max.tolist() == [3, 4]
    assert inst.W_hz.tolist() == [2e6, 2e6] and (inst.N, inst.N_hat) == (150, 60)
    assert inst.convention == "authors-scripts" and inst.name == "m"


MULTI = ["generate", "multi", "--users", "5", "--sites", "3"]


@pytest.mark.parametrize(("extra", "code", "message"), [
    (["--users", "0"], 2, "argument --users: must be >= 1, got 0"),
    (["--sites", "0"], 2, "argument --sites: must be >= 1, got 0"),
    (["--sites", "5000"], 1, "sites: at most 1,000 in a generated instance"),
    (["--users", "200000", "--sites", "1000"], 1, "the shift matrix may hold at most"),
    (["--gpus", "2,4"], 1, "--gpus: expected one value (every site) or 3 (one per site), got 2"),
    (["--gpus", "0"], 2, "argument --gpus: must be >= 1"),
    (["--gpu-choices", "x"], 2, "argument --gpu-choices: expected a positive integer"),
    (["--bmax", "1,2"], 1, "--bmax: expected one value (every site) or 3"),
    (["--bmax", "-1"], 2, "argument --bmax: must be >= 0"),
    (["--bandwidth", "0"], 2, "argument --bandwidth: must be a positive number"),
    (["--bandwidth", "1e40"], 1, "sites.W_hz: 1e+40 at index [0] exceeds the bound"),
    (["--site-rows", "3"], 1, "site_rows: must index the edge-class rows 0..2"),
    (["--delta-max", "nan"], 2, "argument --delta-max: must be a finite number"),
    (["--delta-max", "-1"], 2, "argument --delta-max: must be >= 0"),
    (["--delta-max", "1e31"], 1, "--delta-max: at most 1e+30"),
    (["--centres", "0,0"], 1, "--centres: expected 3 points, got 1"),
    (["--positions", "1,2;3"], 2, "argument --positions: expected points"),
    (["--kappa", "1e308"], 1, "kappa: must be a finite number within 1e-30..1e+30"),
    (["--kappa", "nan"], 2, "argument --kappa: must be a positive number"),
    (["--b-hat", "0"], 2, "argument --b-hat: must be >= 1"),
    (["--b-hat", "-4"], 2, "argument --b-hat: must be >= 1"),
    (["--N-hat", "500"], 1, "N_hat: must be <= N (200), got 500"),
    (["--N", "2000000"], 1, "N: must be <= 1,000,000"),
    (["--eta", "1e-40"], 1, "eta: 1e-40 is below the bound"),
    (["--convention", "mine"], 2, "argument --convention: invalid choice"),
    (["--seed", "-1"], 2, "argument --seed: must be 0.."),
    (["--gpu-choices", "16", "--site-rows", "2"], 1, "G_choices: no GPU count in [16]"),
])
def test_generate_multi_refuses_bad_options_in_one_line(capsys, extra, code, message):
    assert message in one_line_error(capsys, *MULTI, *extra, code=code)


def test_info_describes_a_multi_instance(tmp_path, capsys):
    import numpy as np

    from gqap.io import read_instance

    run(capsys, "generate", "multi", "--users", 12, "--sites", 3, "--seed", 4, "--gpus",
        "2,4,8", "--bmax", "3,5,7", "-o", tmp_path / "m.json")
    inst = read_instance(tmp_path / "m.json")
    code, out, _ = run(capsys, "info", tmp_path / "m.json", "--json")
    info = json.loads(out)
    assert code == 0 and info["family"] == "multi"
    assert (info["users"], info["sites"]) == (12, 3)
    assert info["site_G"] == [2, 4, 8] and info["site_B_max"] == [3, 5, 7]
    assert info["site_step_latency_b1_s"] == pytest.approx(
        [inst.site_step_latency(s, 1) for s in range(3)])
    assert info["site_step_latency_bmax_s"] == pytest.approx(
        [inst.site_step_latency(s, b) for s, b in enumerate([3, 5, 7])])
    assert info["shift_steps"]["max"] == pytest.approx(inst.shift_steps.max())
    assert info["shift_to_nearest_site"]["mean"] == pytest.approx(
        inst.shift_steps.min(axis=1).mean())
    assert sum(info["users_nearest_site"]) == 12
    assert info["users_nearest_site"] == np.bincount(inst.shift_steps.argmin(axis=1),
                                                     minlength=3).tolist()
    code, out, _ = run(capsys, "info", tmp_path / "m.json")
    assert code == 0 and "site_G                       2 4 8" in out


def test_evaluate_a_multi_solution_per_user(tmp_path, capsys):
    from gqap.io import read_instance, read_solution
    from gqap.multi import evaluate_multi

    run(capsys, "generate", "multi", "--users", 8, "--sites", 2, "--seed", 1,
        "-o", tmp_path / "m.json")
    inst = read_instance(tmp_path / "m.json")
    site = [0, 1, -1, 0, 1, -1, 0, 1]
    split = [120, 100, 200, 90, 150, 200, 80, 199]
    (tmp_path / "s.json").write_text(json.dumps({"site": site, "split_points": split}))
    sol = read_solution(tmp_path / "s.json")
    for model in ("paper", "dynamic-batch"):
        code, out, _ = run(capsys, "evaluate", tmp_path / "m.json", tmp_path / "s.json",
                           "--latency-model", model, "--per-user", "--json")
        ev, want = json.loads(out), evaluate_multi(inst, sol, model)
        assert code == 0 and ev["latency_model"] == model
        assert ev["objective"] == pytest.approx(want.objective, rel=1e-12)
        assert ev["users_per_site"] == [3, 3] and ev["denied"] == 2
        assert [row["site"] for row in ev["per_user"]] == site
        assert [row["QoE"] for row in ev["per_user"]] == pytest.approx(want.qoe.tolist())
        assert ev["per_user"][1]["shift"] == pytest.approx(inst.shift_steps[1, 1])
        assert ev["per_user"][2]["shift"] == 0.0
    code, out, _ = run(capsys, "evaluate", tmp_path / "m.json", tmp_path / "s.json",
                       "--per-user")
    header = [line for line in out.splitlines() if line.split()[:1] == ["user"]][0]
    assert code == 0 and header.split()[:4] == ["user", "site", "shift", "n"]
    # Over a batch limit: exit 1 and one line naming the violation.
    run(capsys, "generate", "multi", "--users", 8, "--sites", 2, "--seed", 1, "--bmax", 2,
        "-o", tmp_path / "b.json")
    err = one_line_error(capsys, "evaluate", tmp_path / "b.json", tmp_path / "s.json", code=1)
    assert "infeasible" in err and "b_s <= B_max: site 0 has 3 users" in err


def test_solvers_lists_the_multi_family(capsys):
    from gqap.solvers import list_solvers

    code, out, _ = run(capsys, "solvers", "--family", "multi")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names == [s.name for s in list_solvers("multi", installed_only=False)]
    assert "exact" in names and all("multi" in line.split()[1] for line in out.splitlines())
