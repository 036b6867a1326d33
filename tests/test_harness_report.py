"""Gap arithmetic, references, statistics, runtime fits, and the report's files."""

from __future__ import annotations

import csv
import json
import math
import re

import numpy as np
import pytest
from conftest import ROOT
from harness_solvers import TEST_SOLVERS
from scipy import stats as st

from gqap.bench import references, tables
from gqap.bench.catalogue import Study
from gqap.bench.config import config_from_dict
from gqap.bench.report import write_report
from gqap.bench.store import ResultStore
from gqap.bench.sweep import run_sweep
from gqap.cli import main
from gqap.evaluation import evaluate
from gqap.instance_sets import read_set, set_bounds
from gqap.io import solution_from_dict
from gqap.library import set_dir
from gqap.solvers import solve

TINY = {inst.content_hash(): inst for inst in read_set(ROOT / "instances" / "tiny")}


# ---------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------
def test_gaps_are_positive_when_worse_for_both_senses():
    # maximisation (offloading): optimum -10, value -12 over 4 users
    assert references.gaps("max", -12.0, -10.0, 4) == pytest.approx((2.0, 0.5, 0.2))
    # minimisation (GQAP): best known 1000, value 1100 over 20 facilities
    assert references.gaps("min", 1100.0, 1000.0, 20) == pytest.approx((100.0, 5.0, 0.1))
    # a value better than the reference gives a negative gap
    assert references.gaps("max", -9.0, -10.0, 1)[2] == pytest.approx(-0.1)
    # no relative gap against a reference of ~0, absolute gaps still defined
    assert references.gaps("max", -1.0, 1e-12, 2) == (pytest.approx(1.0), pytest.approx(0.5),
                                                       None)
    assert references.gaps("max", None, 1.0, 2) == (None, None, None)


def _row(status, objective, bound=None):
    return {"status": status, "objective": objective, "bound": bound}


def test_reference_priority():
    rows = [_row("feasible", 120.0, 90.0), _row("feasible", 110.0), _row("error", 50.0)]
    choose = references.choose
    assert choose("min", "gqap", {}, rows) == (90.0, "proven_bound")
    assert choose("min", "gqap", {"best_known": 100.0}, rows) == (100.0, "best_known")
    assert choose("min", "gqap", {}, rows + [_row("optimal", 105.0)]) == (105.0, "exact")
    assert choose("min", "gqap", {"exact": 104.0, "best_known": 100.0}, rows) == (104.0,
                                                                                  "exact")
    assert choose("min", "gqap", {}, [_row("feasible", 120.0), _row("time_limit", 115.0)]) == (
        115.0, "best_found")
    # offloading: a run's 'optimal' may concern a restricted model (fixed splits), so only
    # the exact reference counts as exact; bounds are not used either
    off = [_row("optimal", -5.0, -5.0), _row("feasible", -4.0)]
    assert choose("max", "offloading", {}, off) == (-4.0, "best_found")
    assert choose("max", "offloading", {"exact": -3.5}, off) == (-3.5, "exact")
    assert choose("max", "offloading", {}, [_row("error", -1.0)]) == (None, None)


def test_stats_match_the_student_t_interval():
    x = [1.0, 2.0, 4.0, 7.0, None, float("nan")]
    s = tables.stats(x)
    v = np.array([1.0, 2.0, 4.0, 7.0])
    h = st.t.ppf(0.975, 3) * v.std(ddof=1) / 2
    assert (s.n, s.mean, s.median) == (4, 3.5, 3.0)
    assert (s.lo, s.hi) == pytest.approx((3.5 - h, 3.5 + h))
    one = tables.stats([2.0])
    assert one.mean == 2.0 and math.isnan(one.lo)
    assert tables.stats([]).n == 0


def test_runtime_fit_recovers_a_known_exponent():
    rows = [{"label": "quad", "solver": "quad", "status": "feasible", "objective": 1.0,
             "n_users_or_facilities": n, "wall_time_s": 1e-6 * n ** 2 * f}
            for n in (10, 20, 40, 80, 160) for f in (0.9, 1.1)]
    rows += [{"label": "few", "solver": "few", "status": "feasible", "objective": 1.0,
              "n_users_or_facilities": n, "wall_time_s": 1.0} for n in (10, 20)]
    fits = tables.runtime_fits(rows, ["quad"])
    assert [f.label for f in fits] == ["quad"]
    assert fits[0].exponent == pytest.approx(2.0) and fits[0].r2 == pytest.approx(1.0)
    assert fits[0].tail_exponent == pytest.approx(2.0) and fits[0].tail_from == 40
    expo = [{**rows[0], "label": "exp", "n_users_or_facilities": n,
             "wall_time_s": 1e-3 * 2 ** (0.5 * n)} for n in (4, 6, 10, 20)]
    (fit,) = tables.runtime_fits(expo, [])
    assert fit.doubling == pytest.approx(0.5) and fit.doubling_r2 == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------
# a small offloading sweep and its report
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    cfg = config_from_dict({
        "name": "rep", "time_limit": 20, "seeds": [0],
        "solvers": [{"name": "exact"}, {"name": "baseline1", "label": "b1_int"},
                    {"name": "baseline1", "label": "b1_real", "options": {"split": "real"}},
                    {"name": "baseline3"}],
        "instances": [{"set": "tiny"}],
        "report": {"title": "Report test: 20-15-35 & 100% tiny_set"}})
    run_sweep(cfg, out, workers=2, progress=False)
    return out


def test_real_split_runs_are_measured_against_the_real_split_optimum(sweep):
    with ResultStore.in_dir(sweep, readonly=True) as store:
        rows = [r for r in store.rows() if r["label"] == "b1_real"]
    assert len(rows) == 6
    for r in rows:
        opt = solve("exact", TINY[r["instance_hash"]], split="real").objective
        assert r["variant"] == "real" and r["reference"] == pytest.approx(opt, rel=1e-12)
        assert r["gap_abs"] >= -1e-9


def test_report_writes_tables_and_figures_for_what_the_data_holds(sweep, tmp_path):
    rep = write_report(sweep, tmp_path / "rep")
    names = {p.name for p in rep.tables + rep.figures}
    for stem in ("objective_vs_users", "summary_offloading", "instance_breakdown",
                 "dynamic_batch"):
        assert {f"{stem}.md", f"{stem}.tex", f"{stem}.csv"} <= names
    assert {"objective_vs_users.png", "instance_breakdown.png", "gap_distribution.png",
            "dynamic_batch.png", "README.md"} <= names
    # the tiny set has 3 user counts and 2 G values at 4 users: a fit and a G curve
    assert {"runtime_scaling.png", "objective_vs_gpus.png"} <= names
    # no GQAP rows, no failures
    assert not any(n.startswith(("summary_gqap", "failures")) for n in names)
    for p in rep.figures:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    readme = (tmp_path / "rep" / "README.md").read_text()
    assert readme.startswith("# Report test") and "![objective_vs_users]" in readme
    # the offloading family's figures (its report hooks) around the shared ones, in order
    assert [p.stem for p in rep.figures] == [
        "objective_vs_users", "objective_vs_gpus", "instance_breakdown", "runtime_scaling",
        "gap_distribution", "dynamic_batch"]
    assert readme.index("![gap_distribution]") < readme.index("![dynamic_batch]")


def test_summary_csv_agrees_with_the_stored_rows(sweep, tmp_path):
    write_report(sweep, tmp_path / "rep", formats=["csv"], figures=False)
    with (tmp_path / "rep" / "summary_offloading.csv").open() as fh:
        table = list(csv.DictReader(fh))
    with ResultStore.in_dir(sweep, readonly=True) as store:
        rows = store.rows()
    assert len(table) == 4 * 6  # 4 labels x 6 (users, G) groups of the tiny set
    for t in table:
        group = [r for r in rows if r["label"] == t["solver"]
                 and r["n_users_or_facilities"] == int(t["users"])
                 and r["gpus_or_sites"] == int(t["G"])]
        assert int(t["runs"]) == len(group)
        assert float(t["obj/user"]) == pytest.approx(
            np.mean([r["objective_per_user"] for r in group]))
        assert float(t["gap/user"]) == pytest.approx(np.mean([r["gap_per_user"] for r in group]))


def test_latex_tables_are_compile_ready(sweep, tmp_path):
    write_report(sweep, tmp_path / "rep", formats=["latex"], figures=False)
    files = sorted((tmp_path / "rep").glob("*.tex"))
    assert files
    for f in files:
        text = f.read_text()
        assert text.count("\\begin{table}") == text.count("\\end{table}") == 1
        assert text.count("\\begin{tabular}") == text.count("\\end{tabular}") == 1
        for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
            assert text.count(rule) == 1, (f.name, rule)
        body = text.split("\\midrule")[1].split("\\bottomrule")[0]
        header = text.split("\\toprule")[1].split("\\midrule")[0]
        ncols = len(re.search(r"\\begin\{tabular\}\{([lrc]+)\}", text).group(1))
        for line in [header, *body.strip().splitlines()]:
            assert line.strip().endswith("\\\\")
            assert len(re.findall(r"(?<!\\)&", line)) == ncols - 1, (f.name, line)
        lines = [ln for ln in text.splitlines() if not ln.startswith("%")]
        for ln in lines:
            # every special character is escaped (outside the $\pm$ math we insert)
            plain = ln.replace("$\\pm$", "")
            assert not re.search(r"(?<!\\)[%_#$]", plain), (f.name, ln)
        depth = 0
        for ch in re.sub(r"\\[{}]", "", text):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
    summary = (tmp_path / "rep" / "summary_offloading.tex").read_text()
    assert "b1\\_int" in summary and "b1\\_real" in summary and "95\\%" in summary


def test_dynamic_batch_rescoring_matches_the_evaluator(sweep, tmp_path):
    write_report(sweep, tmp_path / "rep", formats=["csv"], figures=False)
    with (tmp_path / "rep" / "dynamic_batch.csv").open() as fh:
        table = {(t["solver"], int(t["users"])): t for t in csv.DictReader(fh)}
    with ResultStore.in_dir(sweep, readonly=True) as store:
        rows = store.rows()
    for (label, users), t in table.items():
        group = [r for r in rows if r["label"] == label and r["n_users_or_facilities"] == users]
        dyn = [evaluate(TINY[r["instance_hash"]], solution_from_dict(json.loads(r["solution"])),
                        "dynamic-batch").objective / users for r in group]
        assert float(t["obj/user dynamic"]) == pytest.approx(np.mean(dyn))
        # a shrinking batch never makes the edge slower than the worst case
        assert float(t["difference/user"]) >= -1e-12
    assert float(table[("baseline3", 4)]["difference/user"]) == 0.0


def test_report_cli_writes_only_the_requested_format(sweep, tmp_path, capsys):
    code = main(["bench", "report", str(sweep), "--format", "latex", "--out",
                 str(tmp_path / "tex"), "--no-figures"])
    printed = capsys.readouterr().out
    assert code == 0 and "tables:" in printed and "figures:" not in printed
    suffixes = {p.suffix for p in (tmp_path / "tex").iterdir()}
    assert suffixes == {".tex", ".md"}  # .md: the folder's README index


# ---------------------------------------------------------------------------------------
# GQAP: best-known and best-found references, minimisation
# ---------------------------------------------------------------------------------------
def test_gqap_sweep_uses_best_known_then_best_found_references(tmp_path):
    (tmp_path / "bks.csv").write_text("instance,best_known_cost\ntiny-gqap-6-3-60,400000\n")
    cfg = config_from_dict({
        "name": "g", "time_limit": 10, "seeds": [0, 1, 2],
        "solvers": [{"name": "test-randfit", "target": TEST_SOLVERS["test-randfit"],
                     "families": ["gqap"]}],
        "instances": [{"set": "tiny-gqap", "best_known": str(tmp_path / "bks.csv")}]})
    summary = run_sweep(cfg, tmp_path / "g", workers=2, progress=False)
    assert summary.completed == 9 and summary.references_computed == 0
    with ResultStore.in_dir(tmp_path / "g", readonly=True) as store:
        rows = store.rows()
    # tiny-gqap's manifest records each instance's proven optimum as a certified bound
    # (lee-ma-proofs); it is the reference where no best-known value is given.
    bounds = {f"tiny-gqap-{k}": b.value for k, b in set_bounds(set_dir("tiny-gqap")).items()}
    for r in rows:
        assert r["sense"] == "min"
        if r["instance"] == "tiny-gqap-6-3-60":
            assert (r["reference"], r["reference_kind"]) == (400000.0, "best_known")
        elif r["instance"] in bounds:
            assert (r["reference"], r["reference_kind"]) == (bounds[r["instance"]],
                                                             "proven_bound")
            assert r["objective"] >= r["reference"]
        else:
            best = min(x["objective"] for x in rows if x["instance"] == r["instance"])
            assert (r["reference"], r["reference_kind"]) == (best, "best_found")
        assert r["gap_rel"] == pytest.approx((r["objective"] - r["reference"]) / r["reference"])
        assert r["gap_per_user"] == pytest.approx(r["gap_abs"] / r["n_users_or_facilities"])
    rep = write_report(tmp_path / "g", tmp_path / "g" / "report", figures=True)
    assert "summary_gqap.tex" in {p.name for p in rep.tables}
    assert {p.name for p in rep.figures} == {"gap_distribution.png", "runtime_scaling.png"}
    assert not any(p.name.startswith(("objective_vs", "summary_offloading", "dynamic"))
                   for p in rep.tables)
    text = (tmp_path / "g" / "report" / "summary_gqap.tex").read_text()
    assert any("tiny-gqap-6-3-60" in line and "best-known" in line  # the reference kind
               for line in text.splitlines())


def test_reproduce_writes_results_and_removes_stale_files(tmp_path, monkeypatch, capsys):
    from gqap.bench import reproduce

    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "mini.toml").write_text(
        'name = "mini"\n[[solvers]]\nname = "exact"\n[[solvers]]\nname = "baseline3"\n'
        '[[solvers]]\nname = "no-such-solver-yet"\noptional = true\n'
        '[[instances]]\nset = "tiny"\nwhere = { G = [8] }\n')
    monkeypatch.setattr(reproduce, "CONFIG_DIR", tmp_path / "cfg")
    monkeypatch.setattr(reproduce, "STUDIES", (Study("mini"),))
    stale = tmp_path / "results" / "mini" / "objective_vs_gpus.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    times = reproduce.reproduce(runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                                workers=2, progress=False)
    out = capsys.readouterr().out
    assert set(times) == {"mini"} and "solvers skipped: no-such-solver-yet" in out
    files = {p.name for p in (tmp_path / "results" / "mini").iterdir()}
    assert {"README.md", "objective_vs_users.md", "objective_vs_users.png"} <= files
    assert not stale.exists()  # the data has a single G now: the old G curve is gone
    # a second run resumes: nothing new to solve
    reproduce.reproduce(runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                        workers=2, progress=False)
    assert "mini: 6 runs (0 new" in capsys.readouterr().out
