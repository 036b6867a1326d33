"""The distribution as a user gets it: one import package, data inside it, works anywhere.

The wheel test builds the wheel from a copy of the tracked files, installs it (without
its dependencies) into a fresh virtual environment whose only other path is this test
environment's site-packages (so no download is needed, and the editable install of the
checkout is not visible: ``.pth`` files of an added path are not run), and runs the
commands the README promises from an empty folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest
from conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_every_package_folder_is_in_the_distribution():
    setup = PYPROJECT["tool"]["setuptools"]
    packages, dirs = set(setup["packages"]), setup["package-dir"]
    found = set()
    for name, folder in dirs.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([name, *rel.parts]))
    assert found == packages, f"missing {found - packages}, stale {packages - found}"


def test_only_one_top_level_name():
    setup = PYPROJECT["tool"]["setuptools"]
    assert {p.split(".")[0] for p in setup["packages"]} == {"gqap"}
    assert {p.split(".")[0] for p in setup["package-dir"]} == {"gqap"}


def test_core_dependencies_leave_heavy_backends_to_extras():
    core = " ".join(PYPROJECT["project"]["dependencies"])
    for heavy in ("torch", "ortools", "pulp", "deap", "dask", "gymnasium", "highspy"):
        assert heavy not in core
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"milp", "mip", "cp", "ga", "dqn", "dask", "all", "test"} <= set(extras)
    assert extras["mip"] == ["gqap-bench[milp]"]  # the old name of the extra still installs
    assert any("torch>=2.3,<2.14" in d for d in extras["dqn"])


def test_missing_extra_is_listed_and_refused_in_one_line(monkeypatch, capsys):
    import gqap.solvers.registry as registry
    from gqap.cli import main

    real = registry._module_exists
    monkeypatch.setattr(registry, "_module_exists", lambda m: m != "ortools" and real(m))
    assert main(["solvers"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("cpsat"))
    assert "unavailable: pip install 'gqap-bench[cp]'" in line
    code = main(["solve", "tiny/u4-g08-b18", "--solver", "cpsat"])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0
    assert "needs the 'cp' extra" in err and "pip install 'gqap-bench[cp]'" in err


def test_public_entry_point():
    import gqap

    inst = gqap.read("tiny/u6-g04-b03")
    res = gqap.solve(inst, "exact")
    assert res.status == "optimal"
    assert gqap.evaluate(inst, res.solution).objective == pytest.approx(res.objective)
    again = gqap.generate("gqap", seed=3, n_facilities=6, n_sites=3, capacity_ratio=0.6)
    assert again.content_hash() == gqap.generate(
        "gqap", seed=3, n_facilities=6, n_sites=3, capacity_ratio=0.6).content_hash()
    assert "tabu" in gqap.available_solvers("gqap")


def _tracked_copy(dest: Path) -> Path:
    """The tracked files of the checkout (the working-tree version of each)."""
    try:
        files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                               check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the wheel test copies the tracked files")
    for rel in filter(None, files):
        if rel.startswith("results/") or not (ROOT / rel).is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    return dest


@pytest.mark.slow
def test_wheel_installs_and_runs_from_any_folder(tmp_path):
    src = _tracked_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(src)], check=True, capture_output=True)
    wheel = next(dist.glob("gqap_bench-*.whl"))

    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    # Dependencies come from this test environment (appended after the env's own paths).
    Path(site.stdout.strip(), "test-deps.pth").write_text(sysconfig.get_paths()["purelib"])

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    gqap_cmd = str(env_dir / "bin" / "gqap")

    def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)

    where = run(str(py), "-c", "import gqap; print(gqap.__file__)")
    assert where.returncode == 0 and str(env_dir) in where.stdout, where.stderr
    for name in ("solvers", "bench"):
        proc = run(str(py), "-c", f"import {name}")
        assert proc.returncode == 1 and "ModuleNotFoundError" in proc.stderr

    listed = run(gqap_cmd, "solvers")
    assert listed.returncode == 0 and "tabu" in listed.stdout, listed.stderr

    solved = run(gqap_cmd, "solve", "fig11a/u20-c000", "--solver", "exact", "--json")
    assert solved.returncode == 0, solved.stderr
    assert '"status": "optimal"' in solved.stdout

    doc = run(gqap_cmd, "doc", "MODEL")
    assert doc.returncode == 0 and "Proposition 1" in doc.stdout

    sweep = run(gqap_cmd, "bench", "run", "default", "--out", "runs/default", "--workers", "2",
                "--no-progress", timeout=600)
    assert sweep.returncode == 0, sweep.stderr[-2000:]
    assert (work / "runs" / "default" / "results.sqlite").is_file()
    assert "(0 failed)" in sweep.stdout + sweep.stderr

    html = run(gqap_cmd, "bench", "report", "runs/default", "--format", "html", "--out", "html")
    assert html.returncode == 0, html.stderr[-2000:]  # the site's assets ship in the wheel
    assert (work / "html" / "index.html").is_file()
    assert (work / "html" / "assets" / "sort.js").read_text().startswith("/* Sortable")

    train = run(gqap_cmd, "train", "--config", "smoke", "--out", "train", "--episodes", "30",
                "--no-progress", timeout=600)
    assert train.returncode == 0, train.stderr[-2000:]
    assert (work / "train" / "best.pt").is_file()
    assert not list(work.glob("*.egg-info")) and not (work / "build").exists()


def test_a_bare_checkout_imports_the_mapped_packages_from_the_repository_root():
    """Without an install (site-packages' .pth files not read, so no editable finder), the
    repository root still imports gqap.solvers, gqap.bench and gqap.cli: gqap maps them
    from pyproject.toml's package-dir."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]  # the dependencies only
    code = ("import gqap.solvers, gqap.bench.report, gqap.cli, gqap.sets; "
            "from gqap.solvers import solve; from gqap.io import read_instance; "
            "print(gqap.solvers.__file__); "
            "print(solve('exact', read_instance('tiny/u4-g08-b18')).status)")
    proc = subprocess.run([sys.executable, "-S", "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    where, status = proc.stdout.split()
    assert Path(where) == ROOT / "solvers" / "__init__.py" and status == "optimal"
