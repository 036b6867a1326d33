"""``gqap solve --json`` on a multi-cluster instance, end to end through the CLI's main:
every solver of the family reports ``solution.site`` per user (-1 denied, else the 0-based
site) and ``solution.split_points``, and they re-score to the reported objective."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gqap.cli import main
from gqap.io import read_instance
from gqap.multi import MultiSolution, evaluate_multi

SOLVERS = ["exact", "brute-force", "baseline1", "baseline2", "baseline3", "tabu", "ga"]


@pytest.fixture(scope="module")
def instance_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("multi") / "m.json"
    assert main(["generate", "multi", "--users", "7", "--sites", "3", "--seed", "4",
                 "--bmax", "2,3,1", "-o", str(path)]) == 0
    return path


@pytest.mark.parametrize("solver", SOLVERS)
def test_solve_json_reports_site_and_split_points(solver, instance_file, capsys):
    capsys.readouterr()
    assert main(["solve", str(instance_file), "--solver", solver, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    inst = read_instance(instance_file)
    sol = out["solution"]
    assert set(sol) == {"site", "split_points"}
    site, split = np.array(sol["site"]), np.array(sol["split_points"], dtype=float)
    assert site.shape == split.shape == (7,)
    assert np.all((site >= -1) & (site <= 2)) and np.all(split[site == -1] == inst.N)
    assert all(isinstance(v, int) for v in sol["site"])
    ev = evaluate_multi(inst, MultiSolution(site, split))
    assert ev.feasible and ev.objective == pytest.approx(out["objective"], rel=1e-12)
    assert out["family"] == "multi" and out["sense"] == "max"
    if solver == "baseline3":
        assert np.all(site == -1)


def test_exact_and_brute_force_agree_through_the_cli(instance_file, capsys, tmp_path):
    values = {}
    for solver in ("exact", "brute-force"):
        capsys.readouterr()
        out_file = tmp_path / f"{solver}.json"
        assert main(["solve", str(instance_file), "--solver", solver, "--json",
                     "--out", str(out_file)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["status"] == "optimal"
        values[solver] = out["objective"]
        assert main(["evaluate", str(instance_file), str(out_file), "--json"]) == 0
        ev = json.loads(capsys.readouterr().out)
        assert ev["objective"] == pytest.approx(out["objective"], rel=1e-12)
    assert values["exact"] == pytest.approx(values["brute-force"], rel=1e-12)
