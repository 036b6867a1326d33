"""The contract every registered solver keeps, run over the whole registry.

For each solver in ``gqap.solvers.registry`` (the shipped ones, ``gqap.solvers.*``) and each
family its entry lists: on a tiny instance it returns a feasible solution with the
evaluator's objective, or an honest status; a bound it reports holds against brute force;
``optimal`` only where brute force agrees; the same seed gives the same result, another
seed only has to keep the contract; a 1 s time limit holds on a larger instance, measured
around the call (model building included; a one-line refusal counts as holding it); an
unknown option is refused by name. Solvers whose optional extra is absent are skipped with
the reason. Per-solver test files keep only what is specific to each solver.
"""

from __future__ import annotations

import shlex
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import brute_hindsight, random_offloading, tiny_online

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.evaluation import SENSE, evaluate
from gqap.multi import generate_multi
from gqap.online import generate_online
from gqap.solvers import Status, make_solver, solve
from gqap.solvers.registry import list_solvers

# The shipped registry (tests register misbehaving solvers of their own elsewhere).
SPECS = [s for s in list_solvers(installed_only=False) if s.target.startswith("gqap.solvers.")]
CASES = [(s, family) for s in SPECS for family in s.families]

LIMIT_S = 1.0
SLACK_S = 2.0  # the machine is shared: a contract, not a benchmark


def tiny(family: str):
    """A tiny instance of ``family`` that brute force solves in well under a second."""
    if family == "offloading":
        return random_offloading(1, 6, B_max=3)
    if family == "classic":
        return generate_gqap(np.random.default_rng(1), 6, 3, 0.6)
    if family == "multi":
        return generate_multi(np.random.default_rng(1), 5, 2, B_max=2, seed=1)
    if family == "online":
        return tiny_online(1)
    raise AssertionError(f"no tiny instance for family {family!r}: add one to the contract")


def larger(family: str):
    """An instance no solver finishes exactly within a second on this machine."""
    if family == "offloading":
        return random_offloading(2, 3000)
    if family == "classic":
        return generate_gqap(np.random.default_rng(2), 40, 15, 0.6)
    if family == "multi":
        return generate_multi(np.random.default_rng(2), 300, 4, seed=2)
    if family == "online":
        return generate_online(np.random.default_rng(2), 2000, 10.0, 8, seed=2)
    raise AssertionError(f"no larger instance for family {family!r}: add one to the contract")


def packing_infeasible() -> GQAPInstance:
    """Capacity 410 >= 8 x 51 in total, yet a site of 100 holds one item and 110 two."""
    rng = np.random.default_rng(0)
    return GQAPInstance(q=[51.0] * 8, Q=[100.0, 100.0, 100.0, 110.0],
                        a=rng.uniform(0, 10, (8, 4)), t=rng.uniform(0, 5, (8, 8)),
                        d=rng.uniform(0, 5, (4, 4)))


# The ``external`` adapter runs a program: this one packs first fit in a seeded order and,
# when that fails, searches every assignment (small instances only) before saying
# "infeasible".
EXTERNAL_PROGRAM = textwrap.dedent('''
    import itertools, random, sys
    inst, limit, seed, out = sys.argv[1:5]
    nums = open(inst).read().split()
    n, m = int(nums[0]), int(nums[1])
    vals = [float(x) for x in nums[3:]]
    q, Q = vals[n * n + m * m + n * m:n * n + m * m + n * m + n], vals[-m:]
    def fits(x):
        load = [0.0] * m
        for i, s in enumerate(x):
            load[s] += q[i]
        return all(load[s] <= Q[s] for s in range(m))
    order = list(range(n)); random.Random(int(seed)).shuffle(order)
    x, load = [0] * n, [0.0] * m
    for i in order:
        s = next((s for s in range(m) if load[s] + q[i] <= Q[s]), None)
        if s is None:
            break
        x[i] = s; load[s] += q[i]
    else:
        open(out, "w").write(" ".join(map(str, x))); sys.exit(0)
    if m ** n <= 10 ** 5:
        hit = next((y for y in itertools.product(range(m), repeat=n) if fits(y)), None)
        open(out, "w").write("infeasible" if hit is None else " ".join(map(str, hit)))
''')


@pytest.fixture(scope="module")
def options(tmp_path_factory) -> dict[str, dict]:
    """The options a solver needs to run at all (none, except ``external``'s program)."""
    prog = tmp_path_factory.mktemp("external") / "first_fit.py"
    prog.write_text(EXTERNAL_PROGRAM)
    command = (f"{shlex.quote(sys.executable)} {shlex.quote(str(prog))} "
               "{instance} {time_limit} {seed} {solution}")
    return {"external": {"command": command}}


def runnable(spec) -> None:
    if not spec.installed:
        pytest.skip(spec.unavailable_reason())


def tol(x: float) -> float:
    return 1e-9 * max(1.0, abs(x))


def brute_force_optimum(instance) -> float:
    if instance.family == "online":  # every decision sequence (tests/conftest.py)
        return brute_hindsight(instance)
    ref = solve("brute-force", instance)
    assert ref.status == "optimal"
    return float(ref.objective)


def check_honest(result, instance) -> None:
    """A solution the result holds is feasible and scored by the evaluator; a bound holds."""
    if result.solution is not None and result.status != Status.ERROR:
        ev = evaluate(instance, result.solution)
        assert ev.feasible, ev.violations
        assert result.objective == ev.objective
    if result.bound is not None and result.objective is not None:
        if SENSE[instance.family] == "max":
            assert result.bound >= result.objective - tol(result.objective)
        else:
            assert result.bound <= result.objective + tol(result.objective)


def bound_only(spec) -> bool:
    """A solver that proves bounds and returns no solution (status bound)."""
    from gqap.solvers.registry import solver_class

    return bool(solver_class(spec.name).bound_only)


def check_bound_only(r, instance, opt: float | None = None) -> None:
    """A bound-only result: status bound (or an honest time limit / infeasible), no solution
    and no objective, and its bound holds against the brute-force optimum."""
    assert r.solution is None and r.objective is None, r.status
    assert r.status in (Status.BOUND, Status.TIME_LIMIT, Status.INFEASIBLE), (r.status, r.info)
    if r.status == Status.BOUND:
        assert r.bound is not None and np.isfinite(r.bound)
        if opt is not None:
            if SENSE[instance.family] == "max":
                assert r.bound >= opt - tol(opt), (r.bound, opt)
            else:
                assert r.bound <= opt + tol(opt), (r.bound, opt)


def decided(solution) -> dict:
    """What a seed determines: the solution without measured times (an online decision
    log records how long each decision took)."""
    body = solution.to_dict()
    body.pop("decision_times_s", None)
    return body


def ids(case) -> str:
    spec, family = case
    return f"{spec.name}-{family}"


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_tiny_instance_gives_a_feasible_solution(case, options):
    spec, family = case
    runnable(spec)
    inst = tiny(family)
    r = make_solver(spec.name, **options.get(spec.name, {})).solve(inst, seed=0)
    if bound_only(spec):
        assert r.status == Status.BOUND and r.family == family and r.solver == spec.name
        check_bound_only(r, inst, brute_force_optimum(inst))
        return
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE), (r.status, r.info)
    assert r.solution is not None and r.family == family and r.solver == spec.name
    check_honest(r, inst)
    opt = brute_force_optimum(inst)
    better = (lambda a, b: a > b + tol(b)) if SENSE[family] == "max" else \
        (lambda a, b: a < b - tol(b))
    assert not better(r.objective, opt), "beats the brute-force optimum"
    if r.bound is not None:  # a bound is a bound on the optimum, not only on the incumbent
        assert not better(opt, r.bound), (r.bound, opt)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_optimal_only_when_brute_force_agrees(case, options):
    spec, family = case
    runnable(spec)
    if spec.name == "brute-force":
        pytest.skip("brute force is the reference")
    for k, inst in enumerate([tiny(family)] + ([packing_infeasible()] if family == "classic"
                                               else [])):
        r = make_solver(spec.name, **options.get(spec.name, {})).solve(inst, seed=k)
        if r.status == Status.OPTIMAL:
            assert r.objective == pytest.approx(brute_force_optimum(inst), rel=1e-9, abs=1e-9)
        if k == 1:  # no assignment fits: nothing may be claimed
            assert solve("brute-force", inst).status == "infeasible"
            if bound_only(spec):  # any bound holds on an infeasible instance
                assert r.status in (Status.INFEASIBLE, Status.BOUND) and r.solution is None
                continue
            assert r.status == Status.INFEASIBLE and r.solution is None, (r.status, r.info)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_same_seed_same_result_other_seeds_keep_the_contract(case, options):
    spec, family = case
    runnable(spec)
    inst = tiny(family)
    solver = make_solver(spec.name, **options.get(spec.name, {}))
    a, b = solver.solve(inst, seed=7), solver.solve(inst, seed=7)
    fresh = make_solver(spec.name, **options.get(spec.name, {})).solve(inst, seed=7)
    for other in (b, fresh):
        assert other.status == a.status and other.objective == a.objective
        if bound_only(spec):
            assert other.solution is None and a.solution is None
        else:
            assert decided(other.solution) == decided(a.solution)
        assert other.bound == a.bound
    for seed in (1, 2):  # allowed to differ, bound to the same contract
        r = solver.solve(inst, seed=seed)
        if bound_only(spec):
            check_bound_only(r, inst)
            continue
        assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
        check_honest(r, inst)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_one_second_limit_holds_on_a_larger_instance(case, options):
    spec, family = case
    runnable(spec)
    solver = make_solver(spec.name, **options.get(spec.name, {}))
    solver.warm_up()
    solver.solve(tiny(family), seed=0)  # imports and first-call set-up stay out of the clock
    inst = larger(family)
    t0 = time.perf_counter()
    try:
        r = solver.solve(inst, time_limit=LIMIT_S, seed=0)
    except GQAPError as exc:  # a refusal is allowed: one line, as fast
        wall = time.perf_counter() - t0
        assert "\n" not in str(exc) and str(exc).startswith(f"solver {spec.name}")
        assert wall <= 1.1 * LIMIT_S + SLACK_S
        return
    wall = time.perf_counter() - t0
    assert wall <= 1.1 * LIMIT_S + SLACK_S, (wall, r.info)
    assert r.wall_time_s <= wall and r.time_limit == LIMIT_S
    assert r.status != Status.ERROR, r.info
    check_honest(r, inst)
    if r.solution is None:
        assert r.objective is None


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_an_unknown_option_is_refused_by_name(spec, options):
    runnable(spec)
    with pytest.raises(GQAPError, match=r"unknown option 'no_such_option'"):
        make_solver(spec.name, **options.get(spec.name, {}), no_such_option=1)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("seed", [-1, 2 ** 63, 1.5, True])
def test_a_bad_seed_is_refused_before_solving(spec, seed, options):
    runnable(spec)
    solver = make_solver(spec.name, **options.get(spec.name, {}))
    with pytest.raises(GQAPError, match=r"seed: must be an integer in 0\.\.2\^63-1"):
        solver.solve(tiny(spec.families[0]), seed=seed)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_the_registry_lists_the_families_the_class_supports(spec):
    runnable(spec)
    from gqap.solvers.registry import solver_class

    cls = solver_class(spec.name)
    assert cls.name == spec.name and tuple(cls.families) == spec.families
