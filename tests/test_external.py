"""The ``external`` adapter: a tiny solver program written for the test, raced under the
suite's guard (time limit, kill, re-scoring) from the CLI and the harness."""

from __future__ import annotations

import json
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from gqap.cli import main
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.io import read_instance
from gqap.solvers import make_solver, solve
from gqap.solvers.external import read_assignment

# First fit in a seeded random order, then (mode "slow") improving forever by random moves
# and rewriting the solution file at each improvement, like an anytime heuristic would.
PROGRAM = textwrap.dedent('''
    import random, sys, time
    inst, limit, seed, out, mode = sys.argv[1:6]
    nums = open(inst).read().split()
    n, m, v = int(nums[0]), int(nums[1]), float(nums[2])
    vals = [float(x) for x in nums[3:]]
    t = [vals[i * n:(i + 1) * n] for i in range(n)]
    d = [vals[n * n + i * m:n * n + (i + 1) * m] for i in range(m)]
    a = [vals[n * n + m * m + i * m:n * n + m * m + (i + 1) * m] for i in range(n)]
    q = vals[n * n + m * m + n * m:n * n + m * m + n * m + n]
    Q = vals[-m:]
    if mode == "garbage":
        open(out, "w").write("0 1 two\\n"); sys.exit(0)
    if mode == "crash":
        sys.stderr.write("my_solver: out of memory\\n"); sys.exit(3)
    if mode == "infeasible":
        open(out, "w").write("infeasible\\n"); sys.exit(0)
    rng = random.Random(int(seed))
    order = list(range(n)); rng.shuffle(order)
    x, load = [0] * n, [0.0] * m
    for i in sorted(order, key=lambda i: -q[i]):
        s = next(s for s in range(m) if load[s] + q[i] <= Q[s])
        x[i] = s; load[s] += q[i]
    def cost(x):
        return sum(a[i][x[i]] for i in range(n)) + v * sum(
            t[i][j] * d[x[i]][x[j]] for i in range(n) for j in range(n))
    def write(x):
        open(out + ".tmp", "w").write("# written by the test solver\\n" + " ".join(map(str, x)))
        import os; os.replace(out + ".tmp", out)
    write(x)
    if mode == "slow":
        best = cost(x)
        while True:
            i, s = rng.randrange(n), rng.randrange(m)
            if load[s] + q[i] > Q[s]: continue
            y = list(x); y[i] = s
            c = cost(y)
            if c < best:
                load[x[i]] -= q[i]; load[s] += q[i]; x, best = y, c; write(x)
''')


@pytest.fixture
def program(tmp_path: Path) -> str:
    path = tmp_path / "my_solver.py"
    path.write_text(PROGRAM)
    return f"{sys.executable} {path}"


def command(program: str, mode: str) -> str:
    return f"{program} {{instance}} {{time_limit}} {{seed}} {{solution}} {mode}"


TINY = "tiny-gqap/8-4-50"


def test_a_complete_run_is_feasible_and_rescored(program):
    inst = read_instance(TINY)
    res = solve("external", inst, seed=3, command=command(program, "fast"))
    assert res.status == "feasible"
    assert res.objective == pytest.approx(evaluate(inst, res.solution).objective)
    assert res.info["exit_code"] == 0 and res.info["stopped"] is False
    again = solve("external", inst, seed=3, command=command(program, "fast"))
    assert np.array_equal(again.solution.assignment, res.solution.assignment)


def test_a_program_past_its_limit_is_stopped_and_its_last_solution_kept(program):
    inst = read_instance(TINY)
    start = time.perf_counter()
    res = solve("external", inst, time_limit=1.0, seed=0, grace=0.3,
                command=command(program, "slow"))
    wall = time.perf_counter() - start
    assert res.status == "time_limit" and res.info["stopped"] is True
    assert res.solution is not None and evaluate(inst, res.solution).feasible
    assert wall < 1.0 + 2 * 0.3 + 2.0  # the limit, two graces and start-up slack


@pytest.mark.parametrize("mode, status, message", [
    ("garbage", "error", "site index 'two' is not an integer"),
    ("crash", "error", "exited with status 3: my_solver: out of memory"),
    ("infeasible", "infeasible", None),
])
def test_bad_runs_get_an_honest_status(program, mode, status, message):
    res = solve("external", read_instance(TINY), command=command(program, mode))
    assert res.status == status and res.solution is None
    if message:
        assert message in res.info["error"]


@pytest.mark.parametrize("template, message", [
    ("", "option command is required"),
    ("./x {instance}", "must pass {solution}"),
    ("./x {instance} {solution} {budget}", "unknown placeholder {budget}"),
    ("./x '{solution}", "cannot split"),
])
def test_bad_templates_are_refused_up_front(template, message):
    with pytest.raises(GQAPError, match=message.replace("{", r"\{").replace("}", r"\}")):
        make_solver("external", command=template)


def test_missing_program_is_one_line(tmp_path):
    with pytest.raises(GQAPError, match="cannot start"):
        solve("external", read_instance(TINY),
              command=f"{tmp_path}/no-such-solver {{instance}} {{solution}}")


@pytest.mark.parametrize("text, expected", [
    ("0 1\n2 # comment\n", [0, 1, 2]),
    ("# only a comment\n2 2 2", [2, 2, 2]),
])
def test_solution_file_format(text, expected):
    assert read_assignment(text, 3, 3).tolist() == expected


@pytest.mark.parametrize("text, message", [
    ("0 1", "expected 3 site indices"),
    ("0 1 3", "facility 2: site 3 is outside 0..2"),
    ("0 -1 1", "facility 1: site -1 is outside"),
])
def test_solution_file_errors(text, message):
    with pytest.raises(GQAPError, match=message):
        read_assignment(text, 3, 3)


def test_cli_races_a_shipped_instance(program, capsys):
    code = main(["solve", TINY, "--solver", "external", "--json", "--seed", "1",
                 "--opt", f"command={command(program, 'fast')}"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "feasible" and out["solver"] == "external"


def test_harness_races_it_beside_tabu(program, tmp_path):
    from gqap.bench.config import config_from_dict
    from gqap.bench.store import ResultStore
    from gqap.bench.sweep import run_sweep

    cfg = config_from_dict({
        "name": "race", "time_limit": 2, "seeds": [0, 1],
        "solvers": [{"name": "tabu"},
                    {"name": "external", "label": "my-solver",
                     "options": {"command": command(program, "fast")}}],
        "instances": [{"set": "tiny-gqap"}]})
    summary = run_sweep(cfg, tmp_path / "race", workers=1, progress=False)
    assert summary.failed == 0 and summary.completed == 2 * 2 * 3
    rows = ResultStore.in_dir(tmp_path / "race").rows()
    mine = [r for r in rows if r["label"] == "my-solver"]
    assert len(mine) == 6 and all(r["status"] == "feasible" for r in mine)
    for r in mine:
        inst = read_instance(f"tiny-gqap/{r['instance'].removeprefix('tiny-gqap-')}")
        assert r["objective"] >= solve("brute-force", inst).objective - 1e-6


def test_the_documented_cpp_example_builds_and_races(tmp_path, monkeypatch):
    import re
    import shutil
    import subprocess

    from gqap.package_data import package_dir

    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("g++ is not installed")
    text = (package_dir("gqap.docs") / "EXTERNAL.md").read_text()
    (tmp_path / "my_solver.cpp").write_text(re.search(r"```cpp\n(.*?)```", text, re.S)[1])
    subprocess.run([gxx, "-O2", "-o", str(tmp_path / "my_solver"),
                    str(tmp_path / "my_solver.cpp")], check=True, capture_output=True)
    monkeypatch.chdir(tmp_path)  # the documented template names ./my_solver
    template = re.search(r'--opt command="([^"]+)"', text)[1]
    inst = read_instance("cordeau/20-15-35")
    res = solve("external", inst, time_limit=10, command=template)
    assert res.status == "feasible" and evaluate(inst, res.solution).feasible
