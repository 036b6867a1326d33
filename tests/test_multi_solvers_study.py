"""The multi-cluster study's harness pieces: the proof-frontier hook, references for the
family (exact, else a proved optimum, the tightest proven bound or the best found), and the
shipped bench/configs/multi.toml grid."""

from __future__ import annotations

from gqap.bench import references
from gqap.bench.config import load_config
from gqap.bench.studies import HOOKS
from gqap.bench.studies.frontier import frontier
from gqap.bench.studies.tradeoff import tradeoff, tradeoff_points
from gqap.solvers.base import Status


def _row(label: str, users: int, sites: int, status: Status, case: int = 0) -> dict:
    return {"family": "multi", "label": label, "n_users_or_facilities": users,
            "gpus_or_sites": sites, "status": status, "objective": -1.0,
            "instance_hash": f"h{users}-{sites}-{case}"}


def test_frontier_is_the_largest_user_count_proved_in_every_run():
    opt, tl, feas = Status.OPTIMAL, Status.TIME_LIMIT, Status.FEASIBLE
    rows = [
        # milp at S = 2: proves 10 and 20, one of two runs at 50, none at 100.
        _row("milp", 10, 2, opt), _row("milp", 20, 2, opt), _row("milp", 50, 2, opt),
        _row("milp", 50, 2, tl, 1), _row("milp", 100, 2, tl),
        # exact proves everything; tabu never proves.
        *[_row("exact", u, 2, opt) for u in (10, 20, 50, 100)],
        *[_row("tabu", u, 2, feas) for u in (10, 100)],
        # S = 4: milp fails first at 10 but proves 20 (a gap in the frontier).
        _row("milp", 10, 4, tl), _row("milp", 20, 4, opt),
    ]
    (t,) = frontier(rows, ["exact", "milp", "tabu"])
    assert [c.header for c in t.columns][:2] == ["S", "solver"]
    by = {(r[0], r[1]): r[2:] for r in t.rows}
    assert by[(2, "milp")] == [20, 50, 50, 3, 5]
    assert by[(2, "exact")] == [100, 100, None, 4, 4]
    assert (2, "tabu") not in by  # proved nothing anywhere: left out
    assert by[(4, "milp")] == [None, 20, 10, 1, 2]
    assert [r[1] for r in t.rows if r[0] == 2] == ["exact", "milp"]
    assert frontier([], []) == []
    assert "frontier" in HOOKS


def test_multi_references_fall_back_to_a_proof_then_the_tightest_bound_then_the_best():
    def run(status, objective, bound=None):
        return {"objective": objective, "status": status, "bound": bound}

    rows = [run(Status.FEASIBLE, -10.0), run(Status.TIME_LIMIT, -12.0, bound=-7.0),
            run(Status.TIME_LIMIT, -11.0, bound=-8.0)]
    assert references.choose("max", "multi", {}, rows) == (-8.0, "proven_bound")
    assert references.choose("max", "multi", {"exact": -9.0}, rows) == (-9.0, "exact")
    proved = [*rows, run(Status.OPTIMAL, -9.5)]
    assert references.choose("max", "multi", {}, proved) == (-9.5, "exact")
    assert references.choose("max", "multi", {}, rows[:1]) == (-10.0, "best_found")


def test_shipped_multi_config_plans_the_issue_grid():
    cfg = load_config("multi")
    assert cfg.time_limit == 60
    names = [s.name for s in cfg.solvers]
    assert {"exact", "tabu", "ga", "baseline1", "baseline2", "baseline3", "milp",
            "cpsat", "dqn-multi", "descent"} == set(names)
    assert [s.time_limit for s in cfg.solvers if s.label == "tabu-0.1s"] == [0.1]
    grid, frontier = cfg.instances
    assert grid.users == (10, 20, 50, 100, 200) and grid.sites == (1, 2, 3, 4, 6, 8)
    assert grid.cases == 3 and frontier.users == (500, 1000)
    assert {"frontier", "gap_summary", "tradeoff"} <= set(cfg.report.hooks)


def _timed(label: str, users: int, sites: int, gap: float, time_s: float) -> dict:
    return {**_row(label, users, sites, Status.FEASIBLE), "reference": -10.0,
            "gap_rel": gap, "wall_time_s": time_s}


def test_tradeoff_gives_mean_gap_and_time_per_solver_and_size_and_the_speedup_over_tabu():
    rows = [_timed("tabu", 50, 3, 0.0, 2.0), _timed("tabu", 50, 3, 0.0, 4.0),
            _timed("dqn-multi", 50, 3, 0.02, 0.1), _timed("dqn-multi", 50, 3, 0.04, 0.2),
            _timed("dqn-multi", 200, 8, 0.06, 0.5),  # no tabu on this cell
            {**_row("exact", 50, 3, Status.ERROR), "objective": None}]  # no solution
    points = tradeoff_points(rows, ["tabu", "dqn-multi"])
    assert [(p.label, p.group, p.users, p.runs) for p in points] == [
        ("tabu", 3, 50, 2), ("dqn-multi", 3, 50, 2), ("dqn-multi", 8, 200, 1)]
    assert abs(points[1].gap - 0.03) < 1e-12 and abs(points[1].time_s - 0.15) < 1e-12
    (t,) = tradeoff(rows, ["tabu", "dqn-multi"])
    by = {(r[0], r[1], r[2]): r[3:] for r in t.rows}
    assert abs(by[(3, 50, "dqn-multi")][3] - 3.0 / 0.15) < 1e-9  # 20x faster than tabu
    assert by[(3, 50, "tabu")][3] == 1.0 and by[(8, 200, "dqn-multi")][3] is None
    assert tradeoff([], []) == [] and "tradeoff" in HOOKS


def test_the_tradeoff_figure_is_drawn_from_rows(tmp_path):
    from gqap.bench.figures import tradeoff

    rows = [_timed("tabu", 50, 3, 0.0, 2.0), _timed("dqn-multi", 200, 8, 0.06, 0.5)]
    path = tradeoff.draw(rows, ["tabu", "dqn-multi"], tmp_path / "t.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_offloading_references_still_ignore_run_bounds():
    rows = [{"objective": -10.0, "status": Status.TIME_LIMIT, "bound": -1.0}]
    assert references.choose("max", "offloading", {}, rows) == (-10.0, "best_found")
