"""Tabu search and the GA on the multi-cluster family: the incremental move prices against
recomputed objectives, feasibility, determinism and reaching the exact optimum on small
instances with fixed seeds; and the loop structure behind the time limits (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_offloading, small_multi

import gqap.solvers.ga as ga
from gqap.multi import evaluate_multi, from_offloading, gain_table, generate_multi
from gqap.solvers import solve
from gqap.solvers.multi_delta import MultiDelta
from gqap.solvers.tabu.core import TabuOptions
from gqap.solvers.tabu.offloading import MaskSearch as _MaskSearch


def tol(x: float) -> float:
    return 1e-9 * max(1.0, abs(x))




# ---- incremental prices -------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_move_and_swap_deltas_equal_recomputed_objectives(seed):
    rng = np.random.default_rng(seed)
    inst = generate_multi(rng, 12, 3, seed=seed, B_max=[3, 0, 4] if seed % 2 else [3, 4, 2])
    table = gain_table(inst)
    # Random users fill each site up to its limit, one site short of it; the rest denied.
    x = np.full(12, -1)
    order, at = rng.permutation(12), 0
    for s in range(3):
        take = max(0, int(inst.B_max[s]) - (s == seed % 3))
        x[order[at:at + take]] = s
        at += take
    D = MultiDelta(table, x)
    assert D.value == pytest.approx(table.objective(x), rel=1e-12)
    M = D.move_deltas()
    for i in range(12):
        for c in range(4):
            y = x.copy()
            y[i] = c - 1
            counts = np.bincount(y[y >= 0], minlength=3)
            if c - 1 == x[i] or np.any(counts > inst.B_max):
                assert M[i, c] == -np.inf
            else:
                assert M[i, c] == pytest.approx(table.objective(y) - table.objective(x),
                                                abs=1e-9)
    granted = np.flatnonzero(x >= 0)
    W = D.swap_deltas(granted)
    rows, own = D.site_gain_rows(), D.own_gain()
    for a, i in enumerate(granted):
        for j in range(12):
            y = x.copy()
            y[i], y[j] = x[j], x[i]
            change = table.objective(y) - table.objective(x)
            if x[j] >= 0 and x[i] != x[j]:
                assert W[a, np.flatnonzero(granted == j)[0]] == pytest.approx(change, abs=1e-9)
            elif x[j] < 0:  # exchange with a denied user: separable
                assert rows[j, x[i]] - own[i] == pytest.approx(change, abs=1e-9)
    for _ in range(300):  # applied moves keep the value exact and the limits held
        i, j = rng.integers(12, size=2)
        c = int(rng.integers(-1, 3))
        if c < 0 or c == D.x[i] or D.counts[c] < inst.B_max[c]:
            D.move(int(i), c)
        D.swap(int(i), int(j))
        assert np.all(D.counts <= inst.B_max)
        assert D.value == pytest.approx(table.objective(D.x), abs=1e-9)


# ---- tabu and GA ----------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["tabu", "ga"])
def test_reach_the_exact_optimum_on_small_instances(solver):
    hits = 0
    for seed in range(12):
        inst = small_multi(seed)
        exact = solve("exact", inst)
        r = solve(solver, inst, seed=seed)
        assert r.status == "feasible" and evaluate_multi(inst, r.solution).feasible
        assert r.objective <= exact.objective + tol(exact.objective)
        hits += r.objective >= exact.objective - tol(exact.objective)
    assert hits == 12 if solver == "tabu" else hits >= 9  # GA: the paper configuration


def test_tabu_reaches_the_optimum_with_several_sites_and_100_users():
    for seed in range(2):
        inst = generate_multi(np.random.default_rng(seed), 100, 4, seed=seed)
        exact = solve("exact", inst)
        r = solve("tabu", inst, seed=0)
        assert r.objective == pytest.approx(exact.objective, rel=1e-12)
        assert r.info["counts"] == exact.info["counts"] or \
            r.objective >= exact.objective - tol(exact.objective)


@pytest.mark.parametrize("solver,opts", [("tabu", {}), ("ga", {"generations": 30})])
def test_same_seed_same_result_and_splits_best_at_the_counts(solver, opts):
    inst = generate_multi(np.random.default_rng(7), 40, 3, seed=7, B_max=[5, 2, 9])
    a = solve(solver, inst, seed=3, **opts)
    b = solve(solver, inst, seed=3, **opts)
    assert a.solution.to_dict() == b.solution.to_dict()
    assert [h[::2] for h in a.info["history"]] == [h[::2] for h in b.info["history"]]
    # Each granted user sits at its best split for its site's count.
    table = gain_table(inst)
    assert a.solution.to_dict() == table.decision(a.solution.site).to_dict()
    real = solve(solver, inst, seed=3, split="real", **opts)
    assert real.info["split_mode"] == "real" and not real.solution.integer_splits


@pytest.mark.parametrize("solver", ["tabu", "ga"])
def test_limits_zero_and_tight_stay_feasible(solver):
    inst = generate_multi(np.random.default_rng(4), 30, 3, seed=4, B_max=[0, 1, 2])
    r = solve(solver, inst, seed=1)
    ev = evaluate_multi(inst, r.solution)
    assert r.status == "feasible" and ev.feasible and ev.counts[0] == 0
    if solver == "ga":
        assert r.info["repairs"] > 0


@pytest.mark.parametrize("solver", ["tabu", "ga"])
@pytest.mark.parametrize("split", ["integer", "real"])
def test_one_site_without_shifts_reaches_the_paper_optimum(solver, split):
    off = random_offloading(8, 15, B_max=6)
    paper = solve("exact", off, split=split)
    r = solve(solver, from_offloading(off), seed=0, split=split)
    assert r.objective == pytest.approx(paper.objective, rel=1e-12)


def test_tabu_iteration_budget_and_target():
    inst = generate_multi(np.random.default_rng(2), 30, 3, seed=2)
    r = solve("tabu", inst, seed=0, max_iterations=7)
    assert r.info["iterations"] == 7 and r.info["stop_reason"] == "iterations"
    opt = solve("exact", inst).objective
    t = solve("tabu", inst, seed=0, target=opt)
    assert t.info["stop_reason"] == "target" and t.objective >= opt - tol(opt)


# ---- loop structure behind the time limits (issue 13) ---------------------------------------
class _CountingSums(np.ndarray):
    """A boolean mask that counts calls of its ``sum`` method."""

    calls = 0

    def sum(self, *args, **kwargs):  # noqa: D102 - test double
        type(self).calls += 1
        return super().sum(*args, **kwargs)


def test_offloading_kick_counts_the_grants_a_bounded_number_of_times():
    """The old kick looped over up to |I| / 4 users with a full count each (quadratic)."""
    inst = random_offloading(0, 20_000, B_max=18)
    search = _MaskSearch(inst, TabuOptions(), None, np.random.default_rng(0))
    best = np.zeros(inst.n_users, dtype=bool)
    best[:10] = True
    for _ in range(5):
        grant = np.zeros(inst.n_users, dtype=bool).view(_CountingSums)
        _CountingSums.calls = 0
        search._perturb(grant, best, np.zeros(inst.n_users, dtype=np.int64))
        assert _CountingSums.calls <= 2
        assert int(np.asarray(grant).sum()) <= 18


class _Clock:
    """Progress.remaining stand-in: time runs out after ``k`` looks."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.looks = 0

    def __call__(self) -> float:
        self.looks += 1
        return 1.0 if self.looks <= self.k else -1.0


@pytest.mark.parametrize("family", ["offloading", "multi"])
def test_ga_stops_within_one_chunk_of_the_clock(family, monkeypatch):
    """With one individual per chunk, the GA reads the clock between individuals: a clock
    that runs out during the initial population stops it there (it used to build and score
    the whole population, then every generation, before looking)."""
    inst = (random_offloading(1, 300, B_max=18) if family == "offloading"
            else generate_multi(np.random.default_rng(1), 300, 3, seed=1))
    monkeypatch.setattr(ga.evolve, "_CHUNK_GENES", 300)  # one individual per chunk
    clock = _Clock(5)
    monkeypatch.setattr(ga.evolve.Progress, "remaining", lambda self: clock())
    monkeypatch.setattr(ga.evolve.Progress, "stop_reason", lambda self: None)
    r = solve("ga", inst, seed=0, population=50, time_limit=100.0)
    assert r.status == "time_limit" and r.info["generations"] == 0
    assert 1 <= r.info["evaluations"] <= 6 and r.solution is not None
    # Cut during the first generation's variation or scoring: that generation is dropped.
    clock2 = _Clock(60)
    monkeypatch.setattr(ga.evolve.Progress, "remaining", lambda self: clock2())
    r = solve("ga", inst, seed=0, population=50, time_limit=100.0)
    assert r.status == "time_limit" and r.info["generations"] == 0
    assert 50 <= r.info["evaluations"] < 100


def test_ga_repair_reads_the_clock_every_step(monkeypatch):
    from gqap.classic.generator import generate_gqap

    inst = generate_gqap(np.random.default_rng(21), 25, 6, 0.97)
    problem = ga.problems._GQAPProblem(inst)
    x = np.zeros(inst.n, dtype=np.int64)  # everyone on site 0: far over capacity
    looks = []
    out = problem._repair(x, lambda: looks.append(1) or len(looks) > 3)
    assert len(looks) == 4 and problem.failed_repairs == 1
    assert problem._repair(x, lambda: False) is not None and problem.failed_repairs == 1
    assert out.shape == x.shape
