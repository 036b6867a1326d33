"""DEAP genetic algorithm: optimality rates against the exact solver and brute force,
feasibility (repairs), isolation of the ``random`` module, determinism and limits."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import gqap_optimum, random_offloading, small_offloading

from gqap.classic.format import read_cordeau
from gqap.classic.generator import generate_gqap
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.solvers import solve
from gqap.solvers.ga import deap_random


def test_reaches_exact_optimum_on_90_percent_of_50_offloading_instances():
    hits, below = 0, 0
    for k in range(50):
        inst = small_offloading(k, 900)
        below += inst.B_max < inst.n_users
        exact = solve("exact", inst)
        r = solve("ga", inst, seed=k)
        assert r.status == "feasible", (k, r.status, r.info)
        assert r.solution.b <= inst.B_max and r.info["generations"] == 200
        assert r.objective <= exact.objective + 1e-9 * max(1.0, abs(exact.objective))
        hits += r.objective >= exact.objective - 1e-9 * max(1.0, abs(exact.objective))
    assert below >= 20
    assert hits >= 45


@pytest.mark.parametrize("seed,ratio", [(11, 0.8), (12, 0.95)])
def test_reaches_brute_force_optimum_on_8x4_gqap(seed, ratio):
    inst = generate_gqap(np.random.default_rng(seed), 8, 4, ratio)
    r = solve("ga", inst, seed=0)
    assert r.status == "feasible"
    assert r.objective == pytest.approx(gqap_optimum(inst), rel=1e-12)


def test_grant_repair_keeps_b_within_bmax_and_real_splits():
    inst = random_offloading(5, 16, G=4, B_max=3)
    r = solve("ga", inst, seed=1, split="real", generations=30)
    assert r.status == "feasible" and r.solution.b <= 3 and r.info["repairs"] > 0
    assert r.info["split_mode"] == "real"
    exact = solve("exact", inst, split="real")
    assert r.objective <= exact.objective + 1e-9
    assert solve("ga", inst.replace(B_max=0), seed=0, generations=5).solution.b == 0


def test_tight_literature_instance_is_repaired(cordeau_dir):
    inst = read_cordeau(cordeau_dir / "30-06-95.txt")
    r = solve("ga", inst, seed=0, generations=10, population=30)
    assert r.status == "feasible" and evaluate(inst, r.solution).feasible
    assert r.info["repairs"] > 0


def test_same_seed_same_run_and_global_random_untouched():
    gq = generate_gqap(np.random.default_rng(2), 12, 4, 0.9)
    off = random_offloading(3, 18, G=4, B_max=7)
    for inst in (gq, off):
        random.seed(123)
        state = random.getstate()
        a = solve("ga", inst, seed=4, generations=40)
        assert random.getstate() == state  # the caller's stream is restored
        random.seed(999)  # a different module state must not change the run
        b = solve("ga", inst, seed=4, generations=40)
        assert a.solution.to_dict() == b.solution.to_dict()
        assert [h[::2] for h in a.info["history"]] == [h[::2] for h in b.info["history"]]
    c = solve("ga", off, seed=5, generations=40)
    d = solve("ga", off, seed=6, generations=40)
    # The seed drives the run: another seed gives another best-so-far curve.
    assert [h[::2] for h in c.info["history"]] != [h[::2] for h in d.info["history"]]


def test_deap_random_swaps_state_in_and_out():
    own = random.Random(1)
    expected = random.Random(1).random()
    random.seed(7)
    outside = random.Random(7).random()
    with deap_random(own):
        assert random.random() == expected
    assert random.random() == outside
    with deap_random(own):
        second = random.random()
    ref = random.Random(1)
    ref.random()
    assert second == ref.random()


def test_time_limit_cuts_generations():
    inst = generate_gqap(np.random.default_rng(9), 30, 20, 0.55)
    r = solve("ga", inst, seed=0, time_limit=0.3)
    assert r.status == "time_limit" and r.info["stop_reason"] == "time_limit"
    assert r.info["generations"] < 200 and r.wall_time_s < 0.3 + 0.4
    assert evaluate(inst, r.solution).feasible


def test_info_curve_and_target():
    inst = random_offloading(8, 12, G=8, B_max=6)
    r = solve("ga", inst, seed=0, generations=60)
    info = r.info
    assert info["stop_reason"] == "iterations" and info["generations"] == 60
    assert info["evaluations"] == 100 + 60 * 99  # one elite survives unevaluated
    curve = [v for _, _, v in info["history"]]
    assert curve == sorted(curve) and curve[-1] == pytest.approx(r.objective)
    assert info["generations_per_s"] > 0
    t = solve("ga", inst, seed=0, generations=60, target=curve[0])
    assert t.info["stop_reason"] == "target" and t.info["generations"] == 0


@pytest.mark.parametrize("opts,match", [
    ({"population": 1}, "population"), ({"crossover": 1.5}, "crossover"),
    ({"elite": 100}, "elite"), ({"gene_rate": 0.0}, "gene_rate"),
])
def test_bad_options_rejected(opts, match):
    with pytest.raises(GQAPError, match=match):
        solve("ga", random_offloading(1, 4), **opts)


def test_falls_back_to_packing_when_no_child_fits(monkeypatch):
    import gqap.solvers.ga as ga

    monkeypatch.setattr(ga.problems._GQAPProblem, "_repair",
                        lambda self, x, expired=None: x)  # repair disabled
    inst = generate_gqap(np.random.default_rng(21), 25, 6, 0.97)
    r = solve("ga", inst, seed=0, generations=2, population=4)
    assert r.status == "feasible" and r.info["fallback"] == "first_fit_decreasing"
    assert evaluate(inst, r.solution).feasible
    assert r.info["best_objective"] == pytest.approx(r.objective)
