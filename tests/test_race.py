"""The literature race the way the literature reports it: per instance and solver over the
seeds, runs reaching the reference and the time to it, and time-to-target curves, all read
from stored best-so-far trajectories (synthetic rows with known values), the figures drawn
from them, and the harness storing those trajectories from the start of the solve call."""

from __future__ import annotations

import json

import pytest

from gqap.bench.config import config_from_dict, load_config
from gqap.bench.figures import ttt
from gqap.bench.report import write_report
from gqap.bench.store import ResultStore
from gqap.bench.studies.race import race, ttt_tables
from gqap.bench.studies.ttt import TTT_TARGETS, target_name, target_value, time_to_target, ttt_curve
from gqap.bench.sweep import run_sweep
from gqap.solvers.base import Status
from gqap.solvers.registry import solver_spec


def _row(label: str, seed: int, history: list | None, objective: float | None = None,
         instance: str = "x", reference: float = 100.0, sense: str = "min",
         status: Status = Status.TIME_LIMIT, time_limit: float = 10.0) -> dict:
    """A stored GQAP row whose info holds ``history`` ([iteration, seconds, best] points)."""
    if objective is None and history:
        objective = history[-1][2]
    sign = 1.0 if sense == "min" else -1.0
    gap = None if objective is None else sign * (objective - reference)
    info = {} if history is None else {"history": history}
    return {"family": "classic", "sense": sense, "label": label, "instance": instance,
            "instance_hash": f"h-{instance}", "seed": seed, "status": status,
            "objective": objective, "reference": reference, "reference_kind": "best_known",
            "gap_abs": gap, "gap_rel": None if gap is None else gap / abs(reference),
            "gap_per_user": None, "wall_time_s": time_limit, "time_limit": time_limit,
            "bound": None, "n_users_or_facilities": 10, "gpus_or_sites": 3, "options": "{}",
            "info": json.dumps(info), "killed": False}


def _rows() -> list[dict]:
    # tabu on x: seed 0 reaches 100.4 (within 0.5 %) at 0.4 s and 100 at 1.5 s; seed 1
    # reaches 100 at 0.2 s; seed 2 stops at 100.4 (0.5 % target at 3.0 s, never the
    # reference); seed 3 failed.
    rows = [_row("tabu", 0, [[0, 0.1, 120.0], [5, 0.4, 100.4], [9, 1.5, 100.0]]),
            _row("tabu", 1, [[0, 0.05, 104.0], [3, 0.2, 100.0]]),
            _row("tabu", 2, [[0, 0.3, 101.0], [7, 3.0, 100.4]]),
            _row("tabu", 3, None, objective=None, status=Status.ERROR)]
    # ga on x: 100.6 only (0.6 % above: neither target); the external solver reached 100
    # but stored no trajectory.
    rows += [_row("ga", 0, [[0, 0.01, 130.0], [2, 2.0, 100.6]]),
             _row("ext", 0, None, objective=100.0)]
    return rows


def test_target_values_both_senses_and_names():
    assert target_value(200.0, "min", 0.5) == pytest.approx(201.0)
    assert target_value(-200.0, "min", 0.5) == pytest.approx(-199.0)
    assert target_value(200.0, "max", 0.5) == pytest.approx(199.0)
    assert target_value(200.0, "min", 0.0) == 200.0
    assert [target_name(p) for p in TTT_TARGETS] == ["ref", "ref+0.5%"]


def test_time_to_target_reads_the_first_point_that_reaches_it():
    rows = _rows()
    assert time_to_target(rows[0], 100.0) == pytest.approx(1.5)
    assert time_to_target(rows[0], 100.5) == pytest.approx(0.4)
    assert time_to_target(rows[2], 100.0) is None
    assert time_to_target(rows[2], 100.5) == pytest.approx(3.0)
    assert time_to_target(rows[3], 1e9) is None  # failed: never reached
    assert time_to_target(rows[5], 100.0) is None  # no trajectory stored
    # within a share of 1e-6 of the target counts as reached, beyond it does not
    near = _row("tabu", 0, [[0, 0.7, 1e6 + 0.5], [1, 0.9, 1e6 + 1.5]], reference=1e6)
    assert time_to_target(near, 1e6) == pytest.approx(0.7)
    far = _row("tabu", 0, [[0, 0.7, 1e6 + 1.5]], reference=1e6)
    assert time_to_target(far, 1e6) is None
    # maximisation: the best-so-far must climb to the target
    up = _row("t", 0, [[0, 0.2, 90.0], [4, 0.8, 99.6], [8, 2.5, 100.0]], sense="max")
    assert time_to_target(up, target_value(100.0, "max", 0.5)) == \
        pytest.approx(0.8)
    assert time_to_target(up, 100.0) == pytest.approx(2.5)


def test_ttt_curve_is_the_empirical_distribution_over_all_runs():
    assert ttt_curve([0.4, None, 0.2, 0.4], 4) == [(0.2, 0.25), (0.4, 0.75)]
    assert ttt_curve([None, None], 2) == []
    assert ttt_curve([3.0, 1.0, 2.0], 3) == [(1.0, 1 / 3), (2.0, 2 / 3), (3.0, 1.0)]
    with pytest.raises(ValueError, match="3 reached times for 2 runs"):
        ttt_curve([1.0, 2.0, 3.0], 2)


def test_ttt_tables_count_runs_and_times_per_target():
    per, total = ttt_tables(_rows(), ["tabu", "ga", "ext"])
    cols = [c.header for c in per.columns]
    assert cols[:6] == ["instance", "solver", "target", "target value", "runs", "reached"]
    got = {(r[1], r[2]): r for r in per.rows}
    assert set(got) == {("tabu", "ref"), ("tabu", "ref+0.5%"), ("ga", "ref"),
                        ("ga", "ref+0.5%")}  # ext stored no trajectory: no curve
    tabu_ref = got[("tabu", "ref")]
    assert tabu_ref[3:6] == [100.0, 4, 2]
    assert tabu_ref[6:] == [pytest.approx(0.85), pytest.approx(0.85), pytest.approx(1.5)]
    tabu_half = got[("tabu", "ref+0.5%")]
    assert tabu_half[3] == pytest.approx(100.5) and tabu_half[4:6] == [4, 3]
    assert tabu_half[6:] == [pytest.approx(1.2), pytest.approx(0.4), pytest.approx(3.0)]
    assert got[("ga", "ref")][4:7] == [1, 0, pytest.approx(float("nan"), nan_ok=True)]
    assert got[("ga", "ref+0.5%")][5] == 0
    assert [r[:6] for r in total.rows] == [["tabu", "ref", 1, 4, 2, 0],
                                          ["tabu", "ref+0.5%", 1, 4, 3, 0],
                                          ["ga", "ref", 1, 1, 0, 0],
                                          ["ga", "ref+0.5%", 1, 1, 0, 0]]
    assert total.rows[0][6] == pytest.approx(0.85)


def test_ttt_summary_pools_instances_and_counts_instances_all_reached():
    rows = _rows()
    rows += [_row("tabu", s, [[0, t, 50.0]], instance="y", reference=50.0)
             for s, t in ((0, 0.5), (1, 1.5))]
    _, total = ttt_tables(rows, ["tabu", "ga"])
    tabu = total.rows[0]
    assert tabu[:6] == ["tabu", "ref", 2, 6, 4, 1]  # y: both runs reached
    assert tabu[6] == pytest.approx((1.5 + 0.2 + 0.5 + 1.5) / 4)
    assert tabu[7] == pytest.approx((0.5 + 1.5) / 2)


def test_race_hook_adds_the_time_to_target_tables():
    tables = race(_rows(), ["tabu", "ga", "ext"])
    assert [t.name for t in tables] == ["race", "race_instances", "ttt", "ttt_summary"]
    per_instance = {r[1]: r for r in tables[1].rows}
    assert per_instance["tabu"][2:4] == [4, 2] and per_instance["ext"][2:4] == [1, 1]


def test_ttt_figures_one_per_target_and_time_limit(tmp_path):
    rows = _rows()
    assert ttt.has_data(rows)
    files = ttt.draw(rows, ["tabu", "ga"], tmp_path)
    assert [p.name for p in files] == ["ttt-ref.png", "ttt-ref+0.5pct.png"]
    assert all(p.stat().st_size > 1000 for p in files)
    rows += [_row("tabu-1s", 0, [[0, 0.01, 7.0]], instance="z", reference=7.0,
                  time_limit=1.0)]
    names = [p.name for p in ttt.draw(rows, ["tabu", "ga"], tmp_path / "two")]
    assert names == ["ttt-ref-1s.png", "ttt-ref+0.5pct-1s.png", "ttt-ref-10s.png",
                     "ttt-ref+0.5pct-10s.png"]
    assert not ttt.has_data([_row("ext", 0, None, objective=100.0)])


def test_literature_config_races_ten_seeds_with_time_to_target():
    cfg = load_config("literature")
    assert cfg.report.hooks == ("race",)
    by_label = {s.label: s for s in cfg.solvers}
    for label in ("tabu", "ga", "tabu-1s", "ga-1s"):
        seeds = by_label[label].seeds or cfg.seeds
        assert tuple(seeds) == tuple(range(10)), label
    assert (by_label["tabu"].time_limit or cfg.time_limit) == 10
    assert by_label["tabu-1s"].time_limit == 1
    assert by_label["tabu"].min_size == 20 and by_label["tabu-1s"].max_size == 16


@pytest.mark.skipif(not solver_spec("ga").installed, reason="the GA needs the 'ga' extra")
def test_harness_stores_trajectories_from_the_start_of_the_solve_call(tmp_path):
    cfg = config_from_dict({
        "name": "r", "time_limit": 0.5, "seeds": [0, 1],
        "solvers": [{"name": "tabu"}, {"name": "ga", "options": {"generations": 10**6}}],
        "instances": [{"set": "tiny-gqap", "where": {"n_facilities": [8]},
                       "reference_solver": "brute-force"}],
        "report": {"hooks": ["race"]}})
    summary = run_sweep(cfg, tmp_path, workers=1, progress=False)
    assert summary.failed == 0
    with ResultStore.in_dir(tmp_path, readonly=True) as store:
        rows = store.rows()
    assert {r["label"] for r in rows} == {"tabu", "ga"} and len(rows) == 4
    for r in rows:
        hist = json.loads(r["info"])["history"]
        assert hist, r["label"]
        seconds = [p[1] for p in hist]
        assert 0.0 <= seconds[0] and seconds[-1] <= r["wall_time_s"]
        assert seconds == sorted(seconds)
        best = [p[2] for p in hist]
        assert best == sorted(best, reverse=True)
        assert best[-1] == pytest.approx(r["objective"], rel=1e-9)
    rep = write_report(tmp_path, tmp_path / "rep", formats=["csv"])
    names = {p.name for p in rep.tables} | {p.name for p in rep.figures}
    assert {"race.csv", "ttt.csv", "ttt_summary.csv", "ttt-ref.png",
            "ttt-ref+0.5pct.png"} <= names
