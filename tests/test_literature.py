"""The shipped literature library: files against their manifests, reference values against
the evaluator and brute force, and the sets by name in the CLI and the harness."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from gqap.bench.config import config_from_dict, load_config
from gqap.bench.store import ResultStore
from gqap.bench.sweep import run_sweep
from gqap.classic.evaluation import site_loads
from gqap.classic.format import read_cordeau
from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.cli import main
from gqap.evaluation import evaluate
from gqap.instance_sets import read_manifest, set_references, verify_set
from gqap.io import read_instance
from gqap.library import set_dir, shipped_sets
from gqap.literature_sets import LITERATURE, literature_manifest
from gqap.solvers import solve
from gqap.solvers.base import Deadline
from gqap.solvers.brute_force import enumerate_gqap_direct, enumerate_gqap_halves

LICENCE = "public literature data, redistributed with source recorded"


# ---------------------------------------------------------------------------------------
# files and manifests
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(shipped_sets()))
def test_every_shipped_file_matches_its_manifest_sha256(name):
    folder = set_dir(name)
    rows = read_manifest(folder)["instances"]
    for row in rows:
        digest = hashlib.sha256((folder / row["file"]).read_bytes()).hexdigest()
        assert digest == row["sha256"], row["file"]
    assert verify_set(folder) == []
    # Every instance file of the folder is listed: nothing ships unrecorded.
    on_disk = {p.name for p in folder.iterdir() if p.suffix in (".txt", ".json")}
    assert on_disk - {"manifest.json"} == {row["file"] for row in rows}


def test_literature_sets_are_shipped_with_their_references():
    cordeau, lee_ma = set_references(set_dir("cordeau")), set_references(set_dir("lee-ma"))
    assert len(cordeau) == 21 and len(lee_ma) == 27
    # Cordeau's values are best-known, except where this suite proved one optimal (a
    # checked proof record in the manifest, test_bnb_proofs.py)
    proved = {k for k, r in cordeau.items() if r.kind == "optimal"}
    assert {r.kind for r in cordeau.values()} <= {"best_known", "optimal"}
    assert all("proved optimal by bnb" in cordeau[k].source for k in proved)
    assert {r.kind for r in lee_ma.values()} == {"optimal"}
    assert cordeau["20-15-35"].value == 1471896 and lee_ma["C5X30"].value == 357100
    # The disputed best-known value: the table's value, the other one in the notes.
    disputed = cordeau["30-20-95"]
    assert disputed.value == 5710645
    assert "5710645" in disputed.notes and "5726530" in disputed.notes
    assert all(not r.notes for k, r in cordeau.items() if k != "30-20-95" and k not in proved)
    assert all("Cordeau" in r.source and "2006" in r.source
               for k, r in cordeau.items() if k not in proved)
    # Lee & Ma: every note carried; the header's unit cost v = 5 noted where the table did.
    assert all(r.notes.startswith("optimum from Lee & Ma (2004)") for r in lee_ma.values())
    assert sum("v = 5" in r.notes for r in lee_ma.values()) == 5
    assert sum(r.confirmed_by_enumeration for r in lee_ma.values()) == 14
    assert all(r.confirmed_by_enumeration == ("exhaustive enumeration" in r.notes)
               for r in lee_ma.values())
    for name in ("cordeau", "lee-ma"):
        manifest = read_manifest(set_dir(name))
        assert (manifest["name"], manifest["set_version"]) == (name, 1)
        assert manifest["source"]["licence"] == LICENCE and manifest["source"]["citation"]


@pytest.mark.parametrize("name", ["cordeau", "lee-ma"])
def test_manifest_params_match_the_file_headers(name):
    folder = set_dir(name)
    for row in read_manifest(folder)["instances"]:
        inst = read_cordeau(folder / row["file"])
        assert row["params"] == {"n": inst.n, "m": inst.m}
        assert inst.v == (2.0 if name == "cordeau" else 5.0)  # read as written


@pytest.mark.parametrize("name", ["cordeau", "lee-ma"])
def test_the_generator_rebuilds_the_shipped_manifest(name):
    # The manifest is literature_manifest() of its own folder and reference table: hashes
    # computed from the files, sizes from their headers.
    folder = set_dir(name)
    shipped = read_manifest(folder)
    table = {}
    for row in shipped["instances"]:
        table[row["file"].removesuffix(".txt")] = {**row["params"], **row["reference"]}
    spec = LITERATURE[name]
    rebuilt = literature_manifest(folder, name, spec["description"], spec["source"], table)
    assert json.loads(json.dumps(rebuilt)) == shipped


def test_readme_states_sources_and_licence():
    text = (set_dir("cordeau").parent / "README.md").read_text()
    assert "Public literature data, redistributed with source recorded" in text
    assert "Cordeau" in text and "Lee" in text and "../shared" not in text


# ---------------------------------------------------------------------------------------
# reference values against the evaluator and brute force
# ---------------------------------------------------------------------------------------
def test_every_lee_ma_optimal_assignment_reevaluates_to_its_value(lee_ma_dir):
    for name, ref in set_references(lee_ma_dir).items():
        inst = read_cordeau(lee_ma_dir / f"{name}.txt")
        x = np.array(ref.optimal_assignment)
        assert x.shape == (inst.n,) and x.min() >= 0 and x.max() < inst.m, name
        ev = evaluate(inst, GQAPSolution(x))
        assert ev.feasible and np.all(site_loads(inst, x) <= inst.Q), name
        assert ev.objective == ref.value, name


def test_cordeau_30_20_95_best_known_is_reached_by_the_recorded_assignment():
    # 5,710,645 (not the stale 5,726,530 of one public archive) is attained: the manifest's
    # note gives a feasible assignment that the evaluator scores at exactly that value.
    ref = set_references(set_dir("cordeau"))["30-20-95"]
    sites = ref.notes.split("feasible assignment ")[1].split(" (")[0].split()
    inst = read_instance(set_dir("cordeau") / "30-20-95.txt")
    ev = evaluate(inst, GQAPSolution(np.array([int(s) for s in sites])))
    assert len(sites) == inst.n and ev.feasible and ev.objective == ref.value == 5710645


def test_c12x6_e_g_is_shipped_with_lee_and_ma_capacities():
    # The header's first capacity vector ("Space_Avail"), under which the published optimum
    # stands and the 1,938,000 assignment of the second vector overloads site 1.
    inst = read_instance(set_dir("lee-ma") / "C12X6-E-G.txt")
    assert inst.Q.tolist() == [90, 110, 90, 145, 300, 130]
    other = evaluate(inst, GQAPSolution(np.array([3, 5, 4, 4, 0, 4, 4, 3, 2, 1, 5, 4])))
    assert other.objective == 1938000 and not other.feasible
    r = solve("brute-force", inst, max_candidates=10**14)
    assert r.status == "optimal" and r.objective == 1960750


def test_the_smallest_lee_ma_optima_equal_brute_force(lee_ma_dir):
    refs = set_references(lee_ma_dir)
    insts = {name: read_cordeau(lee_ma_dir / f"{name}.txt") for name in refs}
    smallest = sorted(refs, key=lambda k: insts[k].m ** insts[k].n)[:14]
    assert set(smallest) == {k for k, r in refs.items() if r.confirmed_by_enumeration}
    for name in smallest:
        inst = insts[name]
        r = solve("brute-force", inst, max_candidates=1 << 25)
        assert r.status == "optimal", name
        assert r.objective == refs[name].value, name
        assert r.info["assignments_examined"] == inst.m ** inst.n


def _tie_heavy(rng: np.random.Generator, n: int, m: int) -> GQAPInstance:
    q = rng.integers(1, 4, n).astype(float)
    Q = rng.integers(1, 8, m).astype(float)
    Q[0] += q.sum()  # always feasible
    return GQAPInstance(q=q, Q=Q, a=rng.integers(0, 2, (n, m)).astype(float),
                        t=rng.integers(0, 2, (n, n)).astype(float),
                        d=rng.integers(0, 2, (m, m)).astype(float), v=2.0)


def test_brute_force_halves_equal_the_direct_enumeration():
    # Same optimum, same tie-break (first assignment in lexicographic order), same counts.
    rng = np.random.default_rng(5)
    cases = [generate_gqap(np.random.default_rng(s), n, m, r)
             for s, (n, m, r) in enumerate([(2, 3, 0.6), (5, 3, 0.9), (6, 2, 0.95),
                                            (7, 4, 0.7), (3, 5, 0.5)])]
    cases += [_tie_heavy(rng, int(rng.integers(2, 8)), int(rng.integers(1, 5)))
              for _ in range(40)]
    tight = GQAPInstance(q=[3.0, 3.0, 3.0], Q=[4.0, 5.0], a=np.zeros((3, 2)),
                         t=np.zeros((3, 3)), d=np.zeros((2, 2)))
    for inst in [*cases, tight]:
        x1, c1, e1, f1, _ = enumerate_gqap_direct(inst, Deadline(None))
        x2, c2, e2, f2, _ = enumerate_gqap_halves(inst, Deadline(None))
        assert (e1, f1) == (e2, f2)
        if x1 is None:
            assert x2 is None
        else:
            np.testing.assert_array_equal(x1, x2)
            assert c1 == pytest.approx(c2, rel=1e-12)


def test_brute_force_still_refuses_large_instances(lee_ma_dir):
    from gqap.errors import GQAPError

    inst = read_cordeau(lee_ma_dir / "C12X5-E-G.txt")  # 5^12 = 244,140,625 assignments
    with pytest.raises(GQAPError, match="244,140,625 assignments"):
        solve("brute-force", inst, max_candidates=1 << 25)


# ---------------------------------------------------------------------------------------
# by name in the CLI and the harness
# ---------------------------------------------------------------------------------------
def test_solve_a_shipped_instance_by_name(capsys):
    code = main(["solve", "cordeau/20-15-35", "--solver", "tabu", "--time-limit", "1",
                 "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] in ("feasible", "time_limit")
    assert out["instance"] == "20-15-35" and out["objective"] >= 1471896
    assert read_instance("lee-ma/C5X24.txt").n == 5  # with or without the extension


def test_info_describes_a_shipped_set_and_checks_every_hash(tmp_path, capsys):
    assert main(["info", "lee-ma", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "lee-ma" and info["instances"] == 27
    assert info["references"] == {"optimal": 27} and "Lee" in info["source"]
    assert info["sha256"] == "every file matches the manifest"
    copy = tmp_path / "lee-ma"
    shutil.copytree(set_dir("lee-ma"), copy)
    target = copy / "C5X24.txt"
    target.write_bytes(target.read_bytes().replace(b"5 24 5", b"5 24 1", 1))
    assert main(["info", str(copy)]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "C5X24.txt: SHA-256 differs from the manifest" in err


def test_literature_config_uses_the_shipped_sets():
    cfg = load_config("literature")
    assert [s.spec.get("set") for s in cfg.instances] == ["cordeau", "lee-ma"]
    assert "shared" not in json.dumps(cfg.raw)


def test_sweep_over_lee_ma_reports_the_optimum_and_zero_gap(tmp_path):
    cfg = config_from_dict({
        "name": "lit", "time_limit": 20, "seeds": [0],
        "solvers": ["brute-force"],
        "instances": [{"set": "lee-ma", "where": {"n": 12, "m": 3}, "cases": 1},
                      {"set": "cordeau", "where": {"name": ["30-20-95"]}}]})
    refs = {**set_references(set_dir("lee-ma")), **set_references(set_dir("cordeau"))}
    summary = run_sweep(cfg, tmp_path / "lit", workers=1, progress=False)
    assert summary.references_computed == 0  # the manifests' values are the references
    with ResultStore.in_dir(tmp_path / "lit", readonly=True) as store:
        rows = store.rows()
        stored = store.references()
    # brute force refuses 20^30 on the Cordeau instance; the Lee & Ma one is solved.
    solved = [r for r in rows if r["instance"] == "C12X3-E-G"]
    assert len(solved) == 1 and solved[0]["status"] == "optimal"
    row = solved[0]
    assert (row["reference"], row["reference_kind"]) == (refs["C12X3-E-G"].value, "exact")
    assert row["gap_abs"] == 0 and row["gap_rel"] == 0
    # each manifest's certified bound is stored beside its reference (issue 15); a Lee & Ma
    # bound is the optimum the suite proved
    assert {k for v in stored.values() for k in v} == {"best_known", "exact", "proven_bound"}
    lee_ma = next(v for v in stored.values() if "exact" in v)
    assert lee_ma["proven_bound"] == lee_ma["exact"] == refs["C12X3-E-G"].value
    assert refs["30-20-95"].value in [v.get("best_known") for v in stored.values()]
    from gqap.bench.report import write_report

    write_report(tmp_path / "lit", tmp_path / "report", figures=False)
    table = (tmp_path / "report" / "summary_gqap.md").read_text().splitlines()
    line = next(x for x in table if x.startswith("| C12X3-E-G"))
    assert "| optimal " in line and "0.000" in line
    line = next(x for x in table if x.startswith("| 30-20-95"))
    assert "| best-known " in line and "5710645" in line
