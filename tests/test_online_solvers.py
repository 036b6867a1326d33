"""Online family, the methods: the one runner, the policies, hindsight and the bound.

Hindsight is checked against brute force over every decision sequence of tiny scenarios
(free GPUs by the spec's absolute moments, values by the evaluator) and its two methods
against each other; the bound against hindsight and every policy.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import brute_hindsight, tiny_online

from gqap.errors import ValidationError
from gqap.online import (
    PeriodDecision,
    PeriodProblem,
    evaluate_online,
    generate_online,
)
from gqap.online.relaxation import lagrangean_value, period_tables, snapshot_bound
from gqap.solvers.base import Status
from gqap.solvers.online.bound import OnlineBoundSolver
from gqap.solvers.online.hindsight import HindsightSolver, horizon_tables, solve_dp, solve_milp
from gqap.solvers.online.lookahead import LookaheadSolver
from gqap.solvers.online.myopic import FixedShareSolver, MyopicSolver
from gqap.solvers.online.priced import PricedPolicy, PricedSolver, price_for, trained_prices
from gqap.solvers.online_policy import OnlinePolicy, run_policy

POLICIES = [MyopicSolver(), FixedShareSolver(share=2), PricedSolver(),
            PricedSolver(prices="adaptive"), PricedSolver(prices="1.5"),
            LookaheadSolver(samples=3, candidates=3, pool=2)]


def scenario(seed: int, periods: int = 12, rate: float = 6.0, G: int = 4, **kw):
    return generate_online(np.random.default_rng(seed), periods, rate, G, seed=seed, **kw)


class Spy(OnlinePolicy):
    """Records what it is handed; takes every free GPU for one user, or ``bad`` GPUs."""

    name = "spy"

    def __init__(self, sleep: float = 0.0, bad_at: int | None = None) -> None:
        self.seen, self.sleep, self.bad_at = [], sleep, bad_at

    def reset(self, header, seed=0):
        self.header, self.seed = header, seed

    def decide(self, requests, pool):
        self.seen.append((requests.t, requests.n_users, pool))
        time.sleep(self.sleep)
        n = requests.n_users
        if self.bad_at == requests.t:
            return PeriodDecision(pool.free + 1, [True] + [False] * (n - 1),
                                  [self.header.N_hat] + [self.header.N] * (n - 1))
        if n and pool.free:
            return PeriodDecision(pool.free, [True] + [False] * (n - 1),
                                  [self.header.N_hat] + [self.header.N] * (n - 1))
        return PeriodDecision.deny(n, self.header.N)


# ---------------------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------------------


def test_runner_hands_one_period_at_a_time_and_the_pool_as_the_evaluator_sees_it():
    inst = scenario(1, K=0.5)
    spy = Spy()
    run = run_policy(inst, spy, seed=7)
    assert spy.header is inst.header and spy.seed == 7
    assert [t for t, _, _ in spy.seen] == list(range(inst.n_periods))
    assert [n for _, n, _ in spy.seen] == inst.period_sizes().tolist()
    ev = evaluate_online(inst, run.solution)
    assert ev.feasible and run.objective == pytest.approx(ev.objective, rel=1e-12)
    assert [p.free for _, _, p in spy.seen] == ev.free.tolist()
    assert any(f < inst.G for f in ev.free)  # the pool was busy at some moment
    assert run.times.shape == (inst.n_periods,) and run.solution.policy == "spy"
    assert run.solution.decision_times.tolist() == run.times.tolist()


def test_overruns_are_counted_and_enforcement_denies_the_period():
    inst = scenario(2, periods=4, rate=3.0)
    run = run_policy(inst, Spy(sleep=0.02), budget_s=0.005)
    assert run.overruns == 4 and not run.denied_for_overrun
    assert run.timing()["decision_max_s"] >= 0.02
    run = run_policy(inst, Spy(sleep=0.02), budget_s=0.005, enforce_budget=True)
    assert run.denied_for_overrun == [0, 1, 2, 3]
    assert all(d.gpus == 0 and d.b == 0 for d in run.solution.periods)
    fast = run_policy(inst, Spy(), budget_s=5.0, enforce_budget=True)
    assert fast.overruns == 0 and any(d.gpus for d in fast.solution.periods)


@pytest.mark.parametrize("budget", [0.0, -1.0, float("nan"), float("inf")])
def test_a_budget_must_be_positive(budget):
    from gqap.errors import GQAPError

    with pytest.raises(GQAPError, match="budget_s: must be a positive number"):
        run_policy(scenario(3, periods=2), Spy(), budget_s=budget)
    with pytest.raises(GQAPError, match="budget_s"):
        MyopicSolver(budget_s=budget)


def test_an_infeasible_decision_ends_the_run_naming_period_and_rule():
    inst = scenario(4, periods=5, rate=4.0)
    with pytest.raises(ValidationError, match=r"period 2: gpus <= free GPUs: takes \d+ GPUs"):
        run_policy(inst, Spy(bad_at=2))


def test_time_running_out_denies_the_rest_and_says_so():
    from gqap.solvers.base import Deadline

    inst = scenario(5, periods=6)
    run = run_policy(inst, Spy(sleep=0.05), deadline=Deadline(0.12))
    assert run.cut_at is not None and 1 <= run.cut_at < 6
    assert all(d.gpus == 0 for d in run.solution.periods[run.cut_at:])
    out = MyopicSolver()._solve(inst, 1e-9, 0)
    assert out.status == Status.TIME_LIMIT and out.info["cut_at_period"] == 0


# ---------------------------------------------------------------------------------------
# the policies
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", POLICIES, ids=lambda s: f"{s.name}-{s.options}")
def test_every_policy_is_feasible_timed_and_deterministic(solver):
    inst = scenario(6, periods=10, rate=5.0, G=4)
    a = solver._solve(inst, None, 3)
    b = type(solver)(**vars(solver.options))._solve(inst, None, 3)
    ev = evaluate_online(inst, a.solution)
    assert ev.feasible and a.status == Status.FEASIBLE
    assert [d.to_dict() for d in a.solution.periods] == [d.to_dict() for d in b.solution.periods]
    for key in ("decision_p50_s", "decision_p99_s", "decision_max_s", "overruns", "budget_s"):
        assert key in a.info
    assert a.info["decision_p50_s"] <= a.info["decision_p99_s"] <= a.info["decision_max_s"]


def test_myopic_is_the_paper_exact_method_on_the_free_gpus():
    from gqap.solvers import solve

    inst = scenario(7, periods=8, rate=6.0, G=4, K=0.5)
    run = MyopicSolver()._solve(inst, None, 0)
    ev = evaluate_online(inst, run.solution)
    assert min(ev.free) < inst.G
    for t in range(inst.n_periods):
        users, free = inst.period(t), int(ev.free[t])
        if users.n_users == 0 or free == 0:
            assert ev.gpus[t] == 0 and ev.b[t] == 0
            continue
        exact = solve("exact", inst.header.offloading(users, free))
        assert ev.period_values[t] == pytest.approx(exact.objective, rel=1e-9)
        assert ev.gpus[t] == (free if exact.solution.b else 0)


def test_fixed_share_caps_every_batch():
    inst = scenario(8, periods=10, rate=6.0, G=8)
    ev = evaluate_online(inst, FixedShareSolver(share=3)._solve(inst, None, 0).solution)
    assert ev.gpus.max() == 3


def test_priced_extremes():
    inst = scenario(9, periods=10, rate=6.0, G=4)
    ev = evaluate_online(inst, run_policy(inst, PricedPolicy(1e9)).solution)
    assert ev.gpus.sum() == 0  # nothing is worth that price
    # price zero: each period's value is the best on its free GPUs, as myopic's
    run = run_policy(inst, PricedPolicy(0.0))
    ev = evaluate_online(inst, run.solution)
    for t in range(inst.n_periods):
        best = PeriodProblem(inst.header, inst.period(t)).values().at(int(ev.free[t]))
        assert ev.period_values[t] == pytest.approx(best, rel=1e-9)


def test_trained_prices_are_shipped_and_interpolated():
    table = trained_prices()
    assert {4, 8, 16} <= set(table)
    rates, prices = table[8]
    assert np.all(np.diff(rates) > 0) and np.all(prices >= 0)
    mid = price_for(8, np.array([(rates[1] + rates[2]) / 2]))[0]
    assert min(prices[1], prices[2]) <= mid <= max(prices[1], prices[2])
    between = price_for(12, np.array([10.0]))[0]
    lo, hi = price_for(8, np.array([10.0]))[0], price_for(16, np.array([10.0]))[0]
    assert min(lo, hi) <= between <= max(lo, hi)


def test_priced_beats_myopic_where_the_pool_is_the_bottleneck():
    """The family's point, on a scenario the prices were not trained on."""
    inst = scenario(10, periods=60, rate=4.0, G=8)
    myopic = MyopicSolver()._solve(inst, None, 0)
    priced = PricedSolver()._solve(inst, None, 0)
    vm = evaluate_online(inst, myopic.solution).objective
    vp = evaluate_online(inst, priced.solution).objective
    assert vp > vm + 0.1 * abs(vm)


# ---------------------------------------------------------------------------------------
# hindsight
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_hindsight_is_exact_against_brute_force(seed):
    inst = tiny_online(seed)
    expected = brute_hindsight(inst)
    out = HindsightSolver(method="dp")._solve(inst, None, 0)
    assert out.status == Status.OPTIMAL
    ev = evaluate_online(inst, out.solution)
    assert ev.feasible
    assert ev.objective == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert out.bound == pytest.approx(expected, rel=1e-9, abs=1e-12)
    milp = HindsightSolver(method="milp")._solve(inst, None, 0)
    assert milp.status == Status.OPTIMAL
    assert evaluate_online(inst, milp.solution).objective == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_dp_and_milp_agree_and_beat_every_policy(seed):
    inst = scenario(20 + seed, periods=6, rate=4.0, G=4)
    tables = horizon_tables(inst)
    from gqap.solvers.base import Deadline

    dp, _, states = solve_dp(inst, tables, Deadline(None), 10**6)
    milp, _, bound, proven = solve_milp(inst, tables, Deadline(None))
    assert proven and milp == pytest.approx(dp, rel=1e-9) and bound == pytest.approx(dp, rel=1e-6)
    for solver in POLICIES:
        value = evaluate_online(inst, solver._solve(inst, None, 0).solution).objective
        assert value <= dp + 1e-9 * abs(dp)


def test_hindsight_refuses_too_many_states():
    from gqap.errors import GQAPError

    inst = scenario(30, periods=10, rate=10.0, G=8)
    with pytest.raises(GQAPError, match="more than 1,024 pool states"):
        HindsightSolver(method="dp", max_states=1024)._solve(inst, None, 0)


# ---------------------------------------------------------------------------------------
# the bound
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_bound_is_never_below_hindsight_or_any_policy_and_rechecks(seed):
    inst = scenario(40 + seed, periods=7, rate=5.0, G=4)
    out = OnlineBoundSolver()._solve(inst, None, 0)
    assert out.status == Status.BOUND and out.solution is None
    info = out.info
    hindsight = HindsightSolver()._solve(inst, None, 0)
    assert hindsight.status == Status.OPTIMAL
    best = evaluate_online(inst, hindsight.solution).objective
    assert out.bound >= best - 1e-9 * abs(best)
    for solver in POLICIES:
        value = evaluate_online(inst, solver._solve(inst, None, 0).solution).objective
        assert out.bound >= value
    # the certificate: L(mu) recomputed from the scenario and the written multipliers
    again = lagrangean_value(inst, np.array(info["multipliers"]))
    assert again.value == pytest.approx(info["lagrangean_bound"], rel=1e-12)
    assert info["lagrangean_bound"] <= info["snapshot_bound"] + 1e-9
    assert out.bound == pytest.approx(min(info["lagrangean_bound"], info["snapshot_bound"]))
    assert lagrangean_value(inst, np.zeros(inst.n_periods)).value == pytest.approx(
        snapshot_bound(inst), rel=1e-12)


def test_lagrangean_bound_holds_for_any_multipliers():
    inst = scenario(50, periods=7, rate=5.0, G=4)
    best = evaluate_online(inst, HindsightSolver()._solve(inst, None, 0).solution).objective
    tables = period_tables(inst)
    rng = np.random.default_rng(0)
    for _ in range(20):
        mu = rng.exponential(2.0, inst.n_periods) * rng.integers(0, 2, inst.n_periods)
        assert lagrangean_value(inst, mu, tables).value >= best - 1e-9 * abs(best)
    with pytest.raises(ValidationError, match="every mu_s must be a finite number >= 0"):
        lagrangean_value(inst, -np.ones(inst.n_periods))
    with pytest.raises(ValidationError, match="expected 7 values"):
        lagrangean_value(inst, np.ones(3))


def test_on_a_loaded_pool_the_lagrangean_bound_is_far_below_the_snapshot_promise():
    inst = scenario(51, periods=40, rate=10.0, G=8)
    info = OnlineBoundSolver()._solve(inst, None, 0).info
    snap, lag = info["snapshot_bound"], info["lagrangean_bound"]
    assert lag < snap - 0.2 * abs(snap)


@pytest.mark.parametrize(("rule", "check"), [
    ("baseline1", lambda d, h: d.b == 0 or np.all(d.split[d.grant] >= h.N_hat)),
    ("baseline2", lambda d, h: np.all(d.split[d.grant] == h.N_hat)),
    ("baseline3", lambda d, h: d.gpus == 0 and d.b == 0),
])
def test_paper_baselines_per_period(rule, check):
    from gqap.solvers.baselines import PerPeriodBaseline, earliest_grants

    inst = scenario(60, periods=10, rate=8.0, G=4, K=0.5, B_max=5)
    run = run_policy(inst, PerPeriodBaseline(rule))
    ev = evaluate_online(inst, run.solution)
    assert ev.feasible
    for t, d in enumerate(run.solution.periods):
        assert check(d, inst.header)
        if rule != "baseline3" and ev.free[t] and inst.period(t).n_users:
            # every free GPU, the earliest min(|I|, B_max) requests
            assert d.gpus == ev.free[t]
            paper = inst.header.offloading(inst.period(t), int(ev.free[t]))
            assert d.grant.tolist() == earliest_grants(paper).tolist()
        elif rule != "baseline3":
            assert d.gpus == 0 and d.b == 0
