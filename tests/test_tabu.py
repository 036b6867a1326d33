"""Iterated tabu search: incremental move evaluation, optimality on small instances against
the exact solver and brute force, feasibility on tight capacities, determinism, limits."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT, gqap_optimum, random_offloading, small_offloading

from gqap.classic.evaluation import gqap_cost, site_loads
from gqap.classic.format import read_cordeau
from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.cli import main
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.solvers import solve
from gqap.solvers.gqap_delta import GQAPDelta

TINY_GQAP = ROOT / "instances" / "tiny-gqap" / "8-4-50.json"






def general_gqap(seed: int, n: int, m: int) -> GQAPInstance:
    """Asymmetric traffic, non-zero diagonals and a real unit cost: every delta term counts."""
    rng = np.random.default_rng(seed)
    base = generate_gqap(rng, n, m, 0.8)
    return GQAPInstance(q=base.q, Q=base.Q, a=base.a, t=rng.uniform(0, 9, (n, n)),
                        d=rng.uniform(0, 9, (m, m)), v=1.7)


def test_move_deltas_match_recomputed_costs():
    inst = general_gqap(3, 9, 4)
    rng = np.random.default_rng(0)
    x = rng.integers(0, inst.m, inst.n)
    D = GQAPDelta(inst, x)

    def overload(y):
        return np.maximum(site_loads(inst, y) - inst.Q, 0).sum()

    S, dO, dC, dOs, over = D.neighbourhood()
    for i in range(inst.n):
        for k in range(inst.m):
            y = x.copy()
            y[i] = k
            assert S[i, k] == pytest.approx(gqap_cost(inst, y) - gqap_cost(inst, x), abs=1e-8)
            assert dO[i, k] == pytest.approx(overload(y) - overload(x), abs=1e-9)
        for j in range(inst.n):
            if x[i] != x[j]:
                y = x.copy()
                y[i], y[j] = x[j], x[i]
                assert dC[i, j] == pytest.approx(gqap_cost(inst, y) - gqap_cost(inst, x),
                                                 abs=1e-8)
                assert dOs[i, j] == pytest.approx(overload(y) - overload(x), abs=1e-9)
    assert over == pytest.approx(overload(x))
    # The per-move values are the neighbourhood's entries.
    idx = np.arange(inst.n)
    tgt = rng.integers(0, inst.m, inst.n)
    dcost, dover = D.shift_values(idx, tgt)
    np.testing.assert_allclose(dcost, S[idx, tgt], atol=1e-12)
    np.testing.assert_allclose(dover, dO[idx, tgt], atol=1e-12)


def test_one_for_two_is_the_cheapest_fitting_exchange():
    """Against brute force: every facility i for every pair j < h on another site, with
    sites p and r within capacity afterwards (tight capacities, so the filter matters)."""
    for seed in range(4):
        inst = general_gqap(10 + seed, 9, 3)
        inst = GQAPInstance(q=inst.q, Q=inst.Q * 0.8, a=inst.a, t=inst.t, d=inst.d, v=inst.v)
        rng = np.random.default_rng(seed)
        x = rng.integers(0, inst.m, inst.n)
        D = GQAPDelta(inst, x)
        best, fits = np.inf, 0
        for i in range(inst.n):
            for j in range(inst.n):
                for h in range(j + 1, inst.n):
                    p, r = x[i], x[j]
                    if x[h] != r or p == r:
                        continue
                    y = x.copy()
                    y[i], y[j], y[h] = r, p, p
                    loads = site_loads(inst, y)
                    if loads[p] > inst.Q[p] or loads[r] > inst.Q[r]:
                        continue
                    fits += 1
                    best = min(best, gqap_cost(inst, y) - gqap_cost(inst, x))
        delta, i, j, h = D.one_for_two()
        assert fits > 0 and delta == pytest.approx(best, abs=1e-8)
        y = x.copy()
        y[i], y[j], y[h] = x[j], x[i], x[i]
        assert delta == pytest.approx(gqap_cost(inst, y) - gqap_cost(inst, x), abs=1e-8)
    # No pair shares a site: no exchange.
    inst = general_gqap(3, 4, 4)
    assert GQAPDelta(inst, np.arange(4)).one_for_two() == (np.inf, -1, -1, -1)


def test_round_best_gets_one_for_two_exchanges():
    """C14X6-1018's trap at 2,379,550 (where 1-s runs used to stop): one exchange of
    facility 7 for facilities 0 and 11 reaches the optimum, 2,351,000."""
    from gqap.library import resolve_instance
    from gqap.solvers.tabu.classic import GQAPSearch as _GQAPSearch
    from gqap.solvers.tabu.core import TabuOptions

    inst = read_cordeau(resolve_instance("lee-ma/C14X6-1018"))
    trap = np.array([1, 0, 2, 0, 2, 5, 2, 2, 4, 3, 0, 1, 3, 1])
    assert gqap_cost(inst, trap) == 2379550
    search = _GQAPSearch(inst, TabuOptions(), None, np.random.default_rng(0))
    D = GQAPDelta(inst, np.zeros(inst.n, dtype=np.int64))
    search._exchange(D, trap)
    assert D.cost == 2351000 and D.feasible
    assert D.x.tolist() == [2, 0, 2, 0, 2, 5, 2, 1, 4, 3, 0, 2, 3, 1]


def test_applied_moves_keep_matrix_and_cost_exact():
    inst = general_gqap(4, 10, 5)
    rng = np.random.default_rng(1)
    D = GQAPDelta(inst, rng.integers(0, inst.m, inst.n))
    for _ in range(300):
        if rng.random() < 0.5:
            D.shift(int(rng.integers(inst.n)), int(rng.integers(inst.m)))
        else:
            D.swap(int(rng.integers(inst.n)), int(rng.integers(inst.n)))
    fresh = GQAPDelta(inst, D.x)
    np.testing.assert_allclose(D.C, fresh.C, atol=1e-8)
    np.testing.assert_allclose(D.pair_cost, fresh.pair_cost, atol=1e-9)
    np.testing.assert_array_equal(D.pair_invalid, fresh.pair_invalid)
    np.testing.assert_allclose(D.loads, site_loads(inst, D.x))
    assert D.cost == pytest.approx(gqap_cost(inst, D.x), rel=1e-12)


def test_move_matches_shift_and_swap():
    """The tabu search's one-product move leaves the same state as shift / swap."""
    inst = general_gqap(6, 11, 4)
    rng = np.random.default_rng(2)
    A = GQAPDelta(inst, rng.integers(0, inst.m, inst.n))
    B = GQAPDelta(inst, A.x)
    for _ in range(300):
        i, j = (int(v) for v in rng.choice(inst.n, 2, replace=False))
        if rng.random() < 0.5:
            k = int(rng.integers(inst.m))
            B.move(i, k, -1, B.C[i, k] - B.C[i, B.x[i]])
            A.shift(i, k)
        else:
            p, r = int(B.x[i]), int(B.x[j])
            S = B.neighbourhood()[0]
            B.move(i, r, j, S[i, r] + S[j, p] + B.pair_cost[i, j])
            A.swap(i, j)
        np.testing.assert_array_equal(A.x, B.x)
    np.testing.assert_allclose(B.C, A.C, atol=1e-8)
    np.testing.assert_allclose(B.pair_cost, A.pair_cost, atol=1e-9)
    np.testing.assert_array_equal(B.pair_invalid, A.pair_invalid)
    np.testing.assert_allclose(B.loads, site_loads(inst, B.x))
    assert (B.counts == A.counts).all() and B.n_swaps == A.n_swaps
    assert B.cost == pytest.approx(gqap_cost(inst, B.x), rel=1e-12)


def test_elite_pool_and_path_relinking():
    from gqap.solvers.tabu.classic import ELITE
    from gqap.solvers.tabu.classic import GQAPSearch as _GQAPSearch
    from gqap.solvers.tabu.core import TabuOptions

    inst = general_gqap(7, 20, 5)
    search = _GQAPSearch(inst, TabuOptions(), None, np.random.default_rng(0))
    rng = np.random.default_rng(3)
    pool = [rng.integers(0, inst.m, inst.n) for _ in range(3 * ELITE)]
    for x in pool:
        search._admit(gqap_cost(inst, x), x)
        search._admit(gqap_cost(inst, x), x)  # a duplicate never enters
    elite = search.elite
    assert 2 <= len(elite) <= ELITE
    assert all(np.count_nonzero(e[1] != f[1]) > 0 for e in elite for f in elite if e is not f)
    # Only the best of the offers stay (the worst member beats every offer left out).
    kept = {tuple(e[1]) for e in elite}
    left = [gqap_cost(inst, x) for x in pool if tuple(x) not in kept]
    assert max(e[0] for e in elite) <= min(left) or len(elite) < ELITE
    # Relinking ends strictly between its two ends: every facility on a's or b's site.
    a, b = elite[0][1], elite[1][1]
    D = GQAPDelta(inst, a)
    search._relink(D, a, b, lam=1.0)
    assert np.all((D.x == a) | (D.x == b))
    assert 0 < np.count_nonzero(D.x != a) < np.count_nonzero(a != b)
    assert D.cost == pytest.approx(gqap_cost(inst, D.x), rel=1e-12)


def test_new_segments_start_after_failed_rounds():
    inst = general_gqap(5, 12, 4)
    # patience 5 and 3 failed rounds: many segments in 3,000 iterations; the same seed gives
    # the same search, and the best is the best over all segments.
    a = solve("tabu", inst, seed=4, max_iterations=3000, patience=5, restart_after=3)
    b = solve("tabu", inst, seed=4, max_iterations=3000, patience=5, restart_after=3)
    never = solve("tabu", inst, seed=4, max_iterations=3000, patience=5, restart_after=0)
    assert a.info["segments"] > 10 and never.info["segments"] == 1
    assert a.objective == b.objective
    np.testing.assert_array_equal(a.solution.assignment, b.solution.assignment)
    assert a.objective == pytest.approx(min(h[2] for h in a.info["history"]))
    assert a.objective == pytest.approx(gqap_cost(inst, a.solution.assignment))
    with pytest.raises(GQAPError, match="restart_after"):
        solve("tabu", inst, restart_after=-1)


def test_reaches_exact_optimum_on_50_small_offloading_instances():
    misses, below = [], 0
    for k in range(50):
        inst = small_offloading(k, 700)
        below += inst.B_max < inst.n_users
        exact = solve("exact", inst)
        r = solve("tabu", inst, seed=k)
        assert r.status == "feasible", (k, r.status, r.info)
        assert r.solution.b <= inst.B_max
        if r.objective < exact.objective - 1e-9 * max(1.0, abs(exact.objective)):
            misses.append((k, inst.n_users, r.objective, exact.objective))
    assert below >= 20  # the capacity binds on many cases
    assert misses == []


def test_real_split_mode_matches_exact():
    inst = random_offloading(31, 15, G=4, B_max=9)
    exact = solve("exact", inst, split="real")
    r = solve("tabu", inst, seed=0, split="real")
    assert r.info["split_mode"] == "real"
    assert r.objective == pytest.approx(exact.objective, rel=1e-12)


@pytest.mark.parametrize("seed,ratio", [(11, 0.8), (12, 0.95)])
def test_reaches_brute_force_optimum_on_8x4_gqap(seed, ratio):
    inst = generate_gqap(np.random.default_rng(seed), 8, 4, ratio)
    r = solve("tabu", inst, seed=0)
    assert r.status == "feasible"
    assert r.objective == pytest.approx(gqap_optimum(inst), rel=1e-12)


def test_general_costs_brute_force():
    inst = general_gqap(5, 7, 3)
    r = solve("tabu", inst, seed=2)
    assert r.objective == pytest.approx(gqap_optimum(inst), rel=1e-12)


def test_stops_at_target_with_its_bookkeeping():
    inst = generate_gqap(np.random.default_rng(11), 8, 4, 0.8)
    opt = gqap_optimum(inst)
    r = solve("tabu", inst, seed=0, target=opt)
    assert r.info["stop_reason"] == "target" and r.status == "feasible"
    assert r.objective == pytest.approx(opt)
    assert r.info["iterations"] < 3600  # ended before the default budget (200 n + 2000)
    assert r.info["best_objective"] == pytest.approx(r.objective)
    assert 0 <= r.info["time_to_best_s"] <= r.wall_time_s
    assert r.info["evaluated_moves"] > 0 and r.info["moves_per_s"] > 0
    curve = [v for _, _, v in r.info["history"]]
    assert curve == sorted(curve, reverse=True) and curve[-1] == r.info["best_objective"]


def test_same_seed_same_solution_both_families():
    gq = generate_gqap(np.random.default_rng(2), 15, 5, 0.9)
    off = random_offloading(3, 18, G=4, B_max=7)
    for inst, opts in ((gq, {"max_iterations": 400}), (off, {})):
        a = solve("tabu", inst, seed=5, **opts)
        b = solve("tabu", inst, seed=5, **opts)
        assert a.solution.to_dict() == b.solution.to_dict()
        assert a.info["history"][-1][::2] == b.info["history"][-1][::2]
        assert a.info["iterations"] == b.info["iterations"]


def test_time_limit_honoured_and_reported():
    inst = generate_gqap(np.random.default_rng(9), 30, 20, 0.55)
    r = solve("tabu", inst, seed=0, time_limit=0.4)
    assert r.status == "time_limit" and r.info["stop_reason"] == "time_limit"
    assert r.wall_time_s < 0.4 + 0.3
    assert evaluate(inst, r.solution).feasible
    off = random_offloading(4, 20)
    r = solve("tabu", off, seed=0, time_limit=0.2, stop_after=10**9)
    assert r.status == "time_limit" and r.wall_time_s < 0.2 + 0.3
    # Offloading ends by itself after stop_after iterations without a new best.
    r = solve("tabu", off, seed=0, time_limit=30, stop_after=50)
    assert r.status == "feasible" and r.info["stop_reason"] == "stagnation"
    assert r.info["iterations"] == r.info["best_iteration"] + 50


def test_tight_capacities_stay_feasible():
    inst = generate_gqap(np.random.default_rng(21), 25, 6, 0.97)
    for seed in range(3):
        r = solve("tabu", inst, seed=seed, max_iterations=1500)
        assert r.status == "feasible", r.info.get("violations")
        loads = site_loads(inst, r.solution.assignment)
        assert np.all(loads <= inst.Q)


def test_literature_tight_instance_feasible(cordeau_dir):
    inst = read_cordeau(cordeau_dir / "30-06-95.txt")
    r = solve("tabu", inst, seed=0, time_limit=1.0)
    assert r.status in ("feasible", "time_limit")
    assert evaluate(inst, r.solution).feasible


def test_single_site_and_bad_options():
    inst = GQAPInstance(q=[1, 2], Q=[5], a=[[1], [2]], t=[[0, 1], [1, 0]], d=[[3]])
    r = solve("tabu", inst, seed=0)
    assert r.status == "feasible" and r.objective == pytest.approx(3 + 6)
    assert isinstance(r.solution, GQAPSolution)
    with pytest.raises(GQAPError, match="patience"):
        solve("tabu", inst, patience=0)


def test_cli_target_option(capsys):
    code = main(["solve", str(TINY_GQAP), "--solver", "tabu", "--seed", "1", "--json",
                 "--opt", "target=1e12"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] == "feasible"
    # Any feasible cost meets this target: the run ends long before its default budget.
    assert out["info"]["stop_reason"] == "target" and out["info"]["iterations"] < 3600
    code = main(["solve", str(TINY_GQAP), "--solver", "tabu", "--opt", "target=abc"])
    assert code == 1 and "target" in capsys.readouterr().err


def test_falls_back_to_packing_when_the_search_finds_nothing_feasible():
    inst = generate_gqap(np.random.default_rng(21), 25, 6, 0.97)
    r = solve("tabu", inst, seed=0, max_iterations=1)  # one move cannot fix a random start
    assert r.status == "feasible" and r.info["fallback"] == "first_fit_decreasing"
    assert evaluate(inst, r.solution).feasible
