"""Online family, the model: scenario, generator, files, pool clock, evaluator and the exact
per-period problem.

The evaluator is checked against ``reference_objective`` below, written from
docs/ONLINE.md alone (absolute decision moments, no code of ``gqap.online``), on random
feasible logs under both latency conventions, and against hand-computed values. The
per-period problem is checked against brute force over every grant set and every integer
split vector of small periods.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from gqap.errors import FormatError, ValidationError
from gqap.io import (
    read_instance,
    read_solution,
    solution_from_dict,
    write_instance,
    write_solution,
)
from gqap.online import (
    ArrivalProfile,
    OnlineHeader,
    OnlineSolution,
    PeriodDecision,
    PeriodProblem,
    Pool,
    evaluate_online,
    from_periods,
    generate_online,
    occupied_moments,
    score_period,
)
from gqap.online.pool import max_edge_steps

# ---------------------------------------------------------------------------------------
# an independent re-implementation of the objective (docs/ONLINE.md, absolute moments)
# ---------------------------------------------------------------------------------------


def reference_objective(inst, log: list[tuple[int, list[bool], list[int]]],
                        convention: str | None = None) -> tuple[float, list[int]]:
    """(objective, free GPUs per period) of a log [(g, granted, splits)] by the spec: tau_t =
    (t + 1) K; batch j runs at tau_t when tau_j + D_j > tau_t + 1e-9."""
    h = inst.header
    conv = convention or h.convention
    K, N, G = h.K, h.N, h.G

    def le(b, g):
        return h.k_edge * b / g + h.h_edge if conv == "paper" else (h.k_edge * b + h.h_edge) / g

    batches: list[tuple[float, float, int]] = []  # (start moment, end moment, gpus)
    total, frees = 0.0, []
    for t in range(h.n_periods):
        tau = (t + 1) * K
        free = G - sum(g for s, e, g in batches if s < tau and e > tau + 1e-9)
        frees.append(free)
        g, granted, splits = log[t]
        lo, hi = int(inst.offsets[t]), int(inst.offsets[t + 1])
        b = sum(granted)
        for i in range(hi - lo):
            u = lo + i
            n = splits[i]
            pai = 1.0 / (1.0 + math.exp(-h.a_F * (n - h.b_F)))
            lat = (K - inst.request_time[u]) + n * (inst.k_user[u] + inst.h_user[u])
            if granted[i]:
                lat += (h.s_p_bits + h.s_m_bits) * b / (h.eta * h.W_max_hz)
                lat += (N - n) * le(b, g)
            total += inst.alpha[u] * pai - lat
        if b:
            hold = (N - min(n for n, x in zip(splits, granted, strict=True) if x)) * le(b, g)
            batches.append((tau, tau + hold, g))
    return total, frees


def random_log(inst, rng, convention=None) -> list[tuple[int, list[bool], list[int]]]:
    """A random feasible log, built period by period with the reference's own pool."""
    h = inst.header
    log: list[tuple[int, list[bool], list[int]]] = []
    for t in range(h.n_periods):
        n = int(inst.offsets[t + 1] - inst.offsets[t])
        free = reference_objective(inst, _pad(inst, log), convention)[1][t]
        g = int(rng.integers(0, free + 1)) if n else 0
        granted = [False] * n
        if g and n:
            b = int(rng.integers(1, min(n, h.B_max) + 1))
            for i in rng.choice(n, size=b, replace=False):
                granted[int(i)] = True
        splits = [int(rng.integers(h.N_hat, h.N + 1)) if x else h.N for x in granted]
        if not any(granted):
            g = 0
        log.append((g, granted, splits))
    return log


def _pad(inst, log):
    """``log`` followed by all-local decisions up to the horizon."""
    rest = []
    for t in range(len(log), inst.n_periods):
        n = int(inst.offsets[t + 1] - inst.offsets[t])
        rest.append((0, [False] * n, [inst.header.N] * n))
    return log + rest


def to_solution(log) -> OnlineSolution:
    return OnlineSolution(tuple(PeriodDecision(g, np.array(x, dtype=bool), s)
                                for g, x, s in log), policy="test")


def small_scenario(seed: int, **kw):
    """A short generated scenario where batches outlast periods (K = 0.5 s)."""
    args = dict(periods=6, rate=3.0, G=4, K=0.5, B_max=5)
    args.update(kw)
    return generate_online(np.random.default_rng(seed), seed=seed, **args)


# ---------------------------------------------------------------------------------------
# generator, header, files
# ---------------------------------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seeds_differ(tmp_path):
    for profile in ("constant", "diurnal", "burst"):
        a = generate_online(np.random.default_rng(5), 30, 6.0, 8, profile, seed=5, start=5,
                            width=4)
        b = generate_online(np.random.default_rng(5), 30, 6.0, 8, profile, seed=5, start=5,
                            width=4)
        write_instance(a, tmp_path / "a.json")
        write_instance(b, tmp_path / "b.json")
        assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
        c = generate_online(np.random.default_rng(6), 30, 6.0, 8, profile, seed=6, start=5,
                            width=4)
        assert c.content_hash() != a.content_hash()


def test_arrival_profiles_give_the_documented_rates():
    assert ArrivalProfile("constant", 4.0).rate_at(7) == 4.0
    d = ArrivalProfile("diurnal", 10.0, amplitude=2.0, cycle=8)
    assert d.rate_at(2) == pytest.approx(30.0) and d.rate_at(6) == 0.0  # floored at 0
    assert d.rate_at(0) == pytest.approx(10.0)
    b = ArrivalProfile("burst", 2.0, start=3, width=2, multiplier=5.0)
    assert b.rate_at(np.arange(6)).tolist() == [2.0, 2.0, 2.0, 10.0, 10.0, 2.0]


def test_counts_follow_the_profile():
    inst = generate_online(np.random.default_rng(1), 400, 5.0, 8, "burst", start=100,
                           width=100, multiplier=4.0, seed=1)
    sizes = inst.period_sizes()
    assert sizes[:100].mean() == pytest.approx(5.0, abs=0.6)
    assert sizes[100:200].mean() == pytest.approx(20.0, abs=1.5)
    assert inst.n_users == sizes.sum() and inst.size == inst.n_users
    # users of a period come sorted by request moment, within [0, K]
    p = inst.period(150)
    assert np.all(np.diff(p.request_time) >= 0) and p.request_time.max() <= inst.header.K


def test_users_are_drawn_with_the_pools_G():
    """The alpha rule compares local latency with L_e(b_hat, G) of the pool's G: more GPUs,
    a faster edge, larger lower ends of alpha for the same devices."""
    lo = {}
    for G in (2, 16):
        inst = generate_online(np.random.default_rng(3), 200, 5.0, G, seed=3)
        lo[G] = inst.alpha.mean()
    assert lo[16] > lo[2]


@pytest.mark.parametrize(("kw", "message"), [
    (dict(rate=-1.0), "arrivals.rate: must be >= 0"),
    (dict(periods=0), "periods: must be a positive integer"),
    (dict(budget_s=0.0), "decision_budget_s: must be > 0"),
    (dict(budget_s=-1.0), "decision_budget_s: must be > 0"),
    (dict(profile="weekly"), "arrivals.profile: must be one of constant, diurnal, burst"),
    (dict(G=0), "G: must be >= 1"),
    (dict(N_hat=300), "N_hat: must be <= N"),
    (dict(cycle=0, profile="diurnal"), "arrivals.cycle: must be >= 1"),
    (dict(colour="red"), "unknown colour"),
])
def test_bad_generator_input_is_one_clear_error(kw, message):
    args = dict(periods=5, rate=2.0, G=4)
    args.update(kw)
    with pytest.raises(ValidationError, match=message):
        generate_online(np.random.default_rng(0), **args)


def test_default_budget_is_a_tenth_of_the_period():
    h = OnlineHeader(k_edge=0.03, h_edge=0.01, n_periods=3, K=2.0)
    assert h.budget_s == pytest.approx(0.2)
    assert h.replace(budget_s=0.05).budget_s == 0.05


def test_files_round_trip(tmp_path):
    inst = generate_online(np.random.default_rng(2), 12, 3.0, 4, "diurnal", cycle=6,
                           convention="authors-scripts", seed=2)
    path = write_instance(inst, tmp_path / "s.json")
    obj = json.loads(path.read_text())
    assert obj["format"] == "gqap-bench/online" and len(obj["periods"]) == 12
    assert obj["arrivals"]["profile"] == "diurnal" and obj["arrivals"]["seed"] == 2
    assert obj["params"]["decision_budget_s"] == pytest.approx(0.1)
    back = read_instance(path)
    assert back.content_hash() == inst.content_hash() and back.name == inst.name
    assert back.header.arrivals == inst.header.arrivals
    assert sum(not p["users"]["k_s"] for p in obj["periods"]) == int(
        (inst.period_sizes() == 0).sum())


@pytest.mark.parametrize(("edit", "error", "message"), [
    (lambda o: o.update(format="gqap-bench/nope"), FormatError,
     "format is 'gqap-bench/nope', expected"),
    (lambda o: o["params"].update(colour=1), FormatError, "unknown field params.colour"),
    (lambda o: o["arrivals"].update(rate=-2), ValidationError, "arrivals.rate: must be >= 0"),
    (lambda o: o.update(periods=[]), ValidationError, "periods: must be >= 1"),
    (lambda o: o["params"].update(decision_budget_s=0), ValidationError,
     "decision_budget_s: must be > 0"),
    (lambda o: o["periods"][1]["users"].update(alpha=[1.0]), ValidationError,
     r"periods\[1\].users: k_s, h_s, alpha and request_time_s must have one length"),
    (lambda o: o["periods"][2]["users"].update(request_time_s=[9.0] * len(
        o["periods"][2]["users"]["k_s"])), ValidationError,
     r"periods\[2\].users.request_time_s: user 0 requests at 9 s, after the period"),
    (lambda o: o["periods"][0]["users"]["alpha"].__setitem__(0, "x"), ValidationError,
     r"periods\[0\].users.alpha\[0\]: must be a number"),
])
def test_malformed_scenarios_are_refused_in_one_line(tmp_path, edit, error, message):
    inst = generate_online(np.random.default_rng(4), 4, 3.0, 4, seed=4)
    while (inst.period_sizes() < 2).any():  # every period non-empty, for the edits above
        inst = generate_online(np.random.default_rng(inst.n_users), 4, 3.0, 4, seed=4)
    path = write_instance(inst, tmp_path / "s.json")
    obj = json.loads(path.read_text())
    edit(obj)
    path.write_text(json.dumps(obj))
    with pytest.raises(error, match=message) as info:
        read_instance(path)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------------------
# the pool's clock
# ---------------------------------------------------------------------------------------


def test_occupied_moments_count_later_moments_with_the_tolerance():
    assert occupied_moments(0.0, 1.0) == 0
    assert occupied_moments(1.0, 1.0) == 0  # ends exactly at the next moment: free there
    assert occupied_moments(1.0 + 5e-10, 1.0) == 0  # within the tolerance
    assert occupied_moments(1.0 + 2e-9, 1.0) == 1
    assert occupied_moments(11.5, 1.0) == 11  # the paper's batch of 18 on 8 GPUs
    assert occupied_moments(3.0, 0.5) == 5


def test_max_edge_steps_is_the_largest_hold_within_the_cap():
    for le in (0.0958, 0.1, 1 / 3, 0.25):
        for m in range(6):
            e = int(max_edge_steps(le, m, 1.0, 120))
            assert occupied_moments(e * le, 1.0) <= m
            assert e == 120 or occupied_moments((e + 1) * le, 1.0) > m


def test_pool_state_lists_the_busy_profile():
    pool = Pool(G=8, K=1.0)
    pool.start(0, 3, 2.5)  # runs at moments 1, 2
    pool.start(1, 2, 0.4)  # ends before moment 2
    pool.start(1, 4, 1.2)  # runs at moment 2
    s = pool.state(2)
    assert s.busy == (7,) and s.free == 1 and s.free_at(1) == 8
    assert pool.state(1).busy == (3, 3)


# ---------------------------------------------------------------------------------------
# the evaluator
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_evaluator_matches_the_independent_reimplementation(seed):
    inst = small_scenario(seed, convention=("paper", "authors-scripts")[seed % 2],
                          rate=float(2 + seed % 3))
    rng = np.random.default_rng(100 + seed)
    for _ in range(3):
        log = random_log(inst, rng)
        ref, frees = reference_objective(inst, log)
        ev = evaluate_online(inst, to_solution(log))
        assert ev.feasible, ev.violations
        assert ev.objective == pytest.approx(ref, rel=1e-9, abs=1e-12)
        assert ev.free.tolist() == frees
        assert ev.period_values.sum() == pytest.approx(ev.objective, rel=1e-12)
        assert ev.objective_per_user == pytest.approx(ev.objective / inst.n_users)


def test_the_other_convention_rescores_holds_and_values():
    inst = small_scenario(11, K=2.0)
    rng = np.random.default_rng(5)
    log = random_log(inst, rng)
    other = "authors-scripts"
    ref, frees = reference_objective(inst, log, other)
    ev = evaluate_online(inst, to_solution(log), convention=other)
    assert ev.convention == other
    assert ev.objective == pytest.approx(ref, rel=1e-9)
    assert ev.free.tolist() == frees


def hand_scenario() -> object:
    """Two periods, K = 0.5 s, G = 2, round numbers (see the test below)."""
    header = OnlineHeader(k_edge=0.1, h_edge=0.05, n_periods=2, G=2, B_max=2, N=10,
                          N_hat=4, a_F=1.0, b_F=10.0, K=0.5, W_max_hz=1e6, eta=10.0,
                          s_p_bits=0.0, s_m_bits=1e6)
    users = [{"k_s": [0.2, 0.1], "h_s": [0.1, 0.1], "alpha": [0.0, 2.0],
              "request_time_s": [0.25, 0.0]},
             {"k_s": [0.2], "h_s": [0.1], "alpha": [0.0], "request_time_s": [0.5]}]
    return from_periods(header, users, name="hand")


def test_hand_computed_run():
    """Period 0: user 0 granted alone on 2 GPUs at n = 4: l_R = 0.25, l_T = 0.1 b = 0.1,
    L_e(1, 2) = 0.1 * 1 / 2 + 0.05 = 0.1, l_E = 6 * 0.1 = 0.6, l_L = 4 * 0.3 = 1.2: QoE
    -2.15. User 1 denied: 2 F(10) = 2 * 0.5 = 1, latency 0.5 + 10 * 0.2 = 2.5: QoE -1.5.
    The batch holds 0.6 s > K: both GPUs are busy at period 1's moment, whose user runs
    locally: -(0 + 10 * 0.3) = -3."""
    inst = hand_scenario()
    log = OnlineSolution((PeriodDecision(2, [True, False], [4, 10]),
                          PeriodDecision(0, [False], [10])))
    ev = evaluate_online(inst, log)
    assert ev.feasible
    assert ev.period_values.tolist() == pytest.approx([-2.15 - 1.5, -3.0])
    assert ev.objective == pytest.approx(-6.65)
    assert ev.hold_s.tolist() == pytest.approx([0.6, 0.0])
    assert ev.occupied.tolist() == [1, 0] and ev.free.tolist() == [2, 0]
    assert ev.busy.tolist() == [2, 2]
    # One GPU instead: L_e(1, 1) = 0.15, l_E = 0.9, hold 0.9 s; one GPU stays free.
    log = OnlineSolution((PeriodDecision(1, [True, False], [4, 10]),
                          PeriodDecision(1, [True], [6])))
    ev = evaluate_online(inst, log)
    assert ev.feasible and ev.free.tolist() == [2, 1]
    # period 1: l_R 0, l_T 0.1, l_E 4 * 0.15 = 0.6, l_L 6 * 0.3 = 1.8
    assert ev.period_values.tolist() == pytest.approx([-(0.25 + 0.1 + 0.9 + 1.2) - 1.5,
                                                       -(0.1 + 0.6 + 1.8)])


@pytest.mark.parametrize(("log", "rule"), [
    ([(2, [True, False], [4, 10]), (1, [True], [6])],
     "period 1: gpus <= free GPUs: takes 1 GPUs, 0 free"),
    ([(0, [True, False], [4, 10]), (0, [False], [10])],
     "period 0: a granted batch needs GPUs: 1 users granted on 0 GPUs"),
    ([(1, [False, False], [10, 10]), (0, [False], [10])],
     "period 0: GPUs only for a batch: 1 GPUs taken for 0 granted users"),
    ([(1, [True, False], [3, 10]), (0, [False], [10])], "period 0: N_hat <= n_i <= N"),
    ([(1, [True, False], [4, 9]), (0, [False], [10])], "period 0: denied users at n = N"),
    ([(1, [True, False], [4.5, 10]), (0, [False], [10])],
     "period 0: split points are whole steps: user 0 has n = 4.5"),
])
def test_each_broken_rule_is_named_with_its_period(log, rule):
    inst = hand_scenario()
    ev = evaluate_online(inst, OnlineSolution(tuple(PeriodDecision(*d) for d in log)))
    assert not ev.feasible
    assert any(v.startswith(rule) for v in ev.violations), ev.violations


def test_b_above_B_max_is_named():
    inst = hand_scenario()
    h = inst.header.replace(B_max=1)
    tight = from_periods(h, [{"k_s": [0.2, 0.1], "h_s": [0.1, 0.1], "alpha": [0.0, 2.0],
                              "request_time_s": [0.25, 0.0]},
                             {"k_s": [0.2], "h_s": [0.1], "alpha": [0.0],
                              "request_time_s": [0.5]}])
    ev = evaluate_online(tight, OnlineSolution((PeriodDecision(1, [True, True], [4, 4]),
                                                PeriodDecision(0, [False], [10]))))
    assert ev.violations[0].startswith("period 0: b <= B_max: 2 users granted, B_max = 1")


def test_wrong_counts_and_foreign_logs_are_refused(tmp_path):
    inst = hand_scenario()
    with pytest.raises(ValidationError, match="the log has 1 decisions, the scenario 2"):
        evaluate_online(inst, OnlineSolution((PeriodDecision(0, [False, False], [10, 10]),)))
    with pytest.raises(ValidationError, match="period 1: the log decides 2 users, the "
                                              "scenario has 1"):
        evaluate_online(inst, OnlineSolution((PeriodDecision(0, [False, False], [10, 10]),
                                              PeriodDecision(0, [False, False], [10, 10]))))
    with pytest.raises(ValidationError, match="latency model"):
        evaluate_online(inst, OnlineSolution(()), "dynamic-batch")
    log = OnlineSolution((PeriodDecision(0, [False, False], [10, 10]),
                          PeriodDecision(0, [False], [10])), "test", [0.001, 0.002])
    path = write_solution(log, tmp_path / "log.json", inst, status="feasible")
    back = read_solution(path, inst)
    assert back.policy == "test" and back.decision_times.tolist() == [0.001, 0.002]
    other = small_scenario(1)
    with pytest.raises(ValidationError, match="written for the instance with hash"):
        read_solution(path, other)


@pytest.mark.parametrize(("body", "message"), [
    ({"periods": [{"gpus": -1, "granted": [], "split_points": []}]}, "gpus: must be >= 0"),
    ({"periods": [{"gpus": 1.5, "granted": [], "split_points": []}]}, "whole number"),
    ({"periods": [{"gpus": 0, "granted": [2], "split_points": [1]}]}, "true or false"),
    ({"periods": [{"gpus": 0, "granted": [True], "split_points": []}]}, "split_points"),
    ({"periods": [{"gpus": 0, "granted": [], "split_points": [], "x": 1}]},
     r"unknown field periods\[0\].x"),
    ({"periods": 3}, "periods must be an array"),
    ({"format": "gqap-bench/multi", "periods": []}, "expected 'gqap-bench/solution' or "
                                                    "'gqap-bench/online-solution'"),
])
def test_malformed_logs_are_refused(body, message):
    with pytest.raises((FormatError, ValidationError), match=message):
        solution_from_dict(body, "log.json")


# ---------------------------------------------------------------------------------------
# the exact per-period problem
# ---------------------------------------------------------------------------------------


def brute_period(header, users, g: int) -> dict[int, float]:
    """Best value by later moments occupied, over every grant set and every integer split
    vector on g GPUs, scored by score_period (the evaluator)."""
    n = users.n_users
    best: dict[int, float] = {}
    splits = range(header.N_hat, header.N + 1)
    for r in range(0, min(n, header.B_max) + 1 if g else 1):
        for chosen in itertools.combinations(range(n), r):
            for ns in itertools.product(splits, repeat=r):
                grant = np.zeros(n, dtype=bool)
                grant[list(chosen)] = True
                split = np.full(n, float(header.N))
                split[list(chosen)] = ns
                d = PeriodDecision(g if r else 0, grant, split)
                s = score_period(header, users, d, header.G)
                assert not s.violations
                m = d.occupied(header)
                best[m] = max(best.get(m, -math.inf), s.value)
    return best


def best_within(best: dict[int, float], m: int | None) -> float:
    return max(v for k, v in best.items() if m is None or k <= m)


def small_period(seed: int, concave: bool):
    """A period of 3 users and a short model (N = 14) where holds span several moments."""
    rng = np.random.default_rng(seed)
    header = OnlineHeader(
        k_edge=0.02, h_edge=0.03, n_periods=1, G=3, B_max=2 + seed % 2, N=14,
        N_hat=8 if concave else 4, a_F=0.5, b_F=6.0, K=0.2, W_max_hz=1e6, eta=10.0,
        s_p_bits=216.0, s_m_bits=float(rng.choice([4.4e5, 4.4e6])),
        convention=("paper", "authors-scripts")[seed % 2])
    users = from_periods(header, [{
        "k_s": rng.uniform(0.0, 0.1, 3).tolist(), "h_s": rng.uniform(0.02, 0.1, 3).tolist(),
        "alpha": rng.uniform(0.0, 3.0, 3).tolist(),
        "request_time_s": np.sort(rng.uniform(0, 0.2, 3)).tolist()}]).period(0)
    return header, users


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("concave", [True, False])
def test_period_problem_is_exact_against_brute_force(seed, concave):
    header, users = small_period(seed, concave)
    problem = PeriodProblem(header, users)
    table = problem.values()
    assert table.m_max >= 2  # the caps bind somewhere
    for g in range(0, header.G + 1):
        brute = brute_period(header, users, g)
        for m in range(table.m_max + 1):
            expected = best_within(brute, m)
            assert table.value[g, m] == pytest.approx(expected, rel=1e-9, abs=1e-12), (g, m)
            d = problem.decision(g, m)
            s = score_period(header, users, d, header.G)
            assert not s.violations and d.occupied(header) <= m
            assert s.value == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert table.at(g) == pytest.approx(best_within(brute, None), rel=1e-9)


def test_unconstrained_period_is_the_paper_exact_method_on_g_gpus():
    """Column M equals the suite's exact solver on the period's paper instance with G = g."""
    from gqap.solvers import solve

    inst = generate_online(np.random.default_rng(9), 20, 10.0, 8, seed=9)
    for t in (0, 5, 11):
        users = inst.period(t)
        table = PeriodProblem(inst.header, users).values()
        for g in (1, 3, 8):
            exact = solve("exact", inst.header.offloading(users, g))
            assert table.at(g) == pytest.approx(exact.objective, rel=1e-9)


def test_period_table_never_decreases_and_options_are_undominated():
    inst = generate_online(np.random.default_rng(10), 10, 10.0, 8, seed=10)
    table = PeriodProblem(inst.header, inst.period(3)).values()
    v = table.value
    assert np.all(np.diff(v, axis=0) >= -1e-12) and np.all(np.diff(v, axis=1) >= -1e-12)
    opts = table.options(8)
    assert opts[0] == (0, 0) and len(set(opts)) == len(opts)
    for g, m in opts[1:]:
        assert not any(gg <= g and mm <= m and (gg, mm) != (g, m) and v[gg, mm] >= v[g, m]
                       for gg in range(9) for mm in range(table.m_max + 1))
    # every (g, m) is matched by an option with no more GPUs or moments
    for g in range(9):
        for m in range(table.m_max + 1):
            assert any(gg <= g and mm <= m and v[gg, mm] >= v[g, m] - 1e-12
                       for gg, mm in opts)
    assert table.options(3) == [o for o in opts if o[0] <= 3]
