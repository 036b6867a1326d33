"""Exact and brute-force solvers on the multi-cluster family: the count-vector method with
Lagrangian bounds against every decision, its certificate, time limits and refusals, and the
paper's exact solver at S = 1."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import ExpiresAfter, small_offloading

from gqap.errors import GQAPError
from gqap.multi import (
    MultiSolution,
    evaluate_multi,
    evaluate_multi_batch,
    from_offloading,
    generate_multi,
)
from gqap.multi.certificate import verify_multi_certificate
from gqap.solvers import list_solvers, make_solver, solve
from gqap.solvers.multi_brute_force import (
    best_splits_by_enumeration,
    brute_force_multi,
    split_table,
)
from gqap.solvers.multi_exact import count_vectors, solve_multi_exact


def tol(x: float) -> float:
    return 1e-9 * max(1.0, abs(x))


def case(seed: int):
    """1..7 users on 1..3 sites; random limits (0 included), both conventions, shifts from
    none to moving the centre past N, N_hat from 0 to 80, and in some cases alpha = 0 or
    sites slower than every device."""
    rng = np.random.default_rng(seed)
    users, sites = 1 + seed % 7, 1 + (seed // 7) % 3
    inst = generate_multi(
        rng, users, sites, seed=seed,
        B_max=[int(x) for x in rng.integers(0, users + 2, sites)],
        convention=("paper", "authors-scripts")[seed % 2],
        delta_max=float(rng.choice([0.0, 40.0, 150.0])), N_hat=int(rng.choice([0, 40, 80])))
    variant = seed % 5
    if variant == 3:
        alpha = inst.alpha.copy()
        alpha[0] = 0.0
        inst = inst.replace(alpha=alpha)
    elif variant == 4:
        inst = inst.replace(h_site=inst.h_site + rng.choice([0.0, 2.0], sites))
    return inst


@pytest.mark.parametrize("split", ["integer", "real"])
@pytest.mark.parametrize("seed", range(63))
def test_exact_equals_brute_force(seed, split):
    inst = case(seed)
    exact = solve("exact", inst, split=split)
    brute = solve("brute-force", inst, split=split)
    assert exact.status == "optimal" and brute.status == "optimal"
    want = evaluate_multi(inst, brute.solution).objective
    assert abs(exact.objective - want) <= tol(want)
    assert abs(exact.bound - exact.objective) <= tol(want)
    assert not verify_multi_certificate(inst, exact.info, exact.objective)
    if split == "integer":
        assert exact.solution.integer_splits


def test_cases_cover_limits_conventions_and_shifts():
    insts = [case(s) for s in range(63)]
    assert {i.n_sites for i in insts} == {1, 2, 3}
    assert any(np.any(i.B_max == 0) for i in insts)
    assert any(np.any(i.B_max > i.n_users) for i in insts)
    assert {i.convention for i in insts} == {"paper", "authors-scripts"}
    assert any(np.any(i.b_F + i.shift_steps > i.N) for i in insts)  # centre past N
    assert any(np.any(i.alpha == 0) for i in insts)
    # Some optimum mixes sites, some denies somebody, some grants nobody.
    sites = [solve("exact", i).solution.site for i in insts]
    assert any(len(set(s[s >= 0].tolist())) >= 2 for s in sites)
    assert any(np.any(s == -1) for s in sites) and any(np.all(s == -1) for s in sites)


@pytest.mark.parametrize("seed", range(12))
def test_brute_force_split_search_enumerated_equals_closed_form(seed):
    inst = case(seed)
    closed = solve("brute-force", inst)
    enum = solve("brute-force", inst, enumerate_splits=True)
    assert enum.info["split_search"] == "enumeration"
    a = evaluate_multi(inst, closed.solution).objective
    assert abs(evaluate_multi(inst, enum.solution).objective - a) <= tol(a)
    for b in range(1, int(inst.max_granted.max()) + 1):
        n_enum = best_splits_by_enumeration(inst, b)
        assert np.all(n_enum == np.round(n_enum))


@pytest.mark.parametrize("seed", range(6))
def test_per_user_splits_equal_a_joint_enumeration_of_every_split(seed):
    """For a fixed site vector, choosing every user's split on its own is the best joint
    choice: checked against all split combinations of 2-3 users (short N)."""
    rng = np.random.default_rng(100 + seed)
    users = 2 + seed % 2
    inst = generate_multi(rng, users, 2, seed=seed, N=14, N_hat=4, a_F=0.6, b_F=6.0,
                          delta_max=6.0, B_max=users)
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=np.float64)
    table = split_table(inst, enumerate_splits=True)
    for x in itertools.product(range(-1, 2), repeat=users):
        x = np.array(x)
        on = np.flatnonzero(x >= 0)
        rows = list(itertools.product(grid, repeat=on.size))
        combos = np.array(rows, dtype=np.float64).reshape(len(rows), on.size)
        N = np.full((combos.shape[0], users), float(inst.N))
        N[:, on] = combos
        joint = evaluate_multi_batch(inst, np.broadcast_to(x, N.shape), N).objective.max()
        counts = np.array([(x == s).sum() for s in range(2)])
        own = np.full(users, float(inst.N))
        own[on] = table[counts[x[on]], on, x[on]]
        value = evaluate_multi(inst, MultiSolution(x, own)).objective
        assert abs(value - joint) <= tol(joint)


@pytest.mark.parametrize("split", ["integer", "real"])
@pytest.mark.parametrize("k", range(10))
def test_one_site_without_shifts_equals_the_paper_exact_solver(k, split):
    off = small_offloading(k, 900)
    paper = solve("exact", off, split=split)
    multi = solve("exact", from_offloading(off), split=split)
    assert multi.status == "optimal"
    assert abs(multi.objective - paper.objective) <= tol(paper.objective)
    assert int((multi.solution.site == 0).sum()) == paper.info["b"] or \
        abs(multi.objective - paper.objective) <= tol(paper.objective)


def test_larger_instances_certified_by_plain_enumeration():
    """At sizes brute force cannot reach, the optimum equals an enumeration of every count
    vector with an assignment each (no bounds), and the certificate re-checks."""
    from scipy.optimize import linear_sum_assignment

    from gqap.multi import gain_table

    for seed, (users, sites, b) in enumerate([(12, 3, 5), (9, 4, 3), (30, 2, 18)]):
        inst = generate_multi(np.random.default_rng(seed), users, sites, seed=seed, B_max=b)
        table = gain_table(inst)
        best = table.base
        for v in itertools.product(*[range(int(k) + 1) for k in inst.max_granted]):
            if 0 < sum(v) <= users:
                M, _ = table.gain_matrix(v)
                r, c = linear_sum_assignment(M, maximize=True)
                best = max(best, table.base + M[r, c].sum())
        res = solve("exact", inst)
        assert res.status == "optimal" and abs(res.objective - best) <= tol(best)
        assert not verify_multi_certificate(inst, res.info, res.objective)
        assert res.info["vectors_total"] == count_vectors(inst.max_granted, users)


def test_tampered_certificate_is_rejected():
    inst = generate_multi(np.random.default_rng(5), 10, 3, seed=5, B_max=4)
    res = solve("exact", inst)
    info = dict(res.info)
    cert = {"examined": [list(r) for r in info["certificate"]["examined"]],
            "multipliers": info["certificate"]["multipliers"]}
    cert["examined"][0][-1] += 1.0
    assert verify_multi_certificate(inst, {**info, "certificate": cert}, res.objective)
    # Without the examined vectors, only the listed multipliers remain: not enough.
    bare = {"examined": [r for r in info["certificate"]["examined"]
                         if tuple(r[:3]) == tuple(res.info["counts"])],
            "multipliers": []}
    assert verify_multi_certificate(inst, {**info, "certificate": bare}, res.objective)
    neg = {**cert, "examined": info["certificate"]["examined"],
           "multipliers": [[-1.0] * 10]}
    assert verify_multi_certificate(inst, {**info, "certificate": neg}, res.objective)


def test_count_vectors_matches_enumeration():
    for caps, users in [([3, 0, 2], 4), ([5, 5], 3), ([18, 18, 18], 100), ([2] * 5, 6)]:
        want = sum(1 for v in itertools.product(*[range(c + 1) for c in caps])
                   if sum(v) <= users)
        assert count_vectors(np.array(caps), users) == want



@pytest.mark.parametrize("k", [0, 1, 3, 10, 40, 200])
def test_time_limit_returns_the_best_found_and_a_valid_bound(k):
    inst = generate_multi(np.random.default_rng(2), 40, 4, seed=2)
    opt = solve("exact", inst).objective
    res = solve_multi_exact(inst, deadline=ExpiresAfter(k))
    value = evaluate_multi(inst, res["solution"]).objective
    assert evaluate_multi(inst, res["solution"]).feasible and value <= opt + tol(opt)
    if not res["proven"]:
        assert res["open_bound"] >= opt - tol(opt)
        assert res["info"]["stage_reached"] in ("local search", "enumeration", "assignments")
    else:
        assert abs(value - opt) <= tol(opt)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 6, 40])
def test_every_stage_can_be_cut_with_a_valid_bound(k, monkeypatch):
    """With the local search switched off (incumbent: everyone denied) the enumeration keeps
    tens of thousands of vectors, so the deadline can fall in every stage."""
    import gqap.solvers.multi_exact as mx

    inst = generate_multi(np.random.default_rng(2), 40, 4, seed=2)
    opt = solve("exact", inst).objective
    monkeypatch.setattr(mx, "_local_search",
                        lambda search, b_max, n: search.solve_vector((0,) * b_max.size))
    full = solve_multi_exact(inst)
    assert full["proven"] and abs(full["value"] - opt) <= tol(opt)
    assert full["info"]["vectors_enumerated"] > 1000
    res = solve_multi_exact(inst, deadline=ExpiresAfter(k))
    stage = res["info"]["stage_reached"]
    assert stage == ("enumeration" if k < 5 else "assignments" if k < 40 else "done")
    if stage != "done":
        assert res["open_bound"] >= opt - tol(opt)


def test_time_limit_status_and_bound_through_the_solver(monkeypatch):
    import gqap.solvers.multi_exact as mx

    inst = generate_multi(np.random.default_rng(3), 30, 3, seed=3)
    opt = solve("exact", inst).objective
    monkeypatch.setattr(mx._Search, "expired", lambda self: self.assignments >= 5)
    res = solve("exact", inst, time_limit=10.0)
    assert res.status == "time_limit" and res.bound >= opt - tol(opt)
    assert res.objective <= opt + tol(opt)


def test_out_of_reach_instances_are_refused_in_one_line_without_a_time_limit():
    inst = generate_multi(np.random.default_rng(0), 30, 4, seed=0)
    with pytest.raises(GQAPError, match=r"count vectors, above the limit of 1,000 \(option "
                       r"max_vectors\)") as err:
        solve("exact", inst, max_vectors=1000)
    assert "\n" not in str(err.value) and "4 sites" in str(err.value)
    assert solve("exact", inst, max_vectors=1000, time_limit=30).status == "optimal"


def test_brute_force_refuses_too_many_site_vectors():
    inst = generate_multi(np.random.default_rng(0), 12, 3, seed=0)
    with pytest.raises(GQAPError, match="16,777,216 site vectors, above the limit") as err:
        solve("brute-force", inst)
    assert "\n" not in str(err.value)
    small = generate_multi(np.random.default_rng(0), 6, 3, seed=0)  # 4,096 site vectors
    with pytest.raises(GQAPError, match="4,096 site vectors, above the limit of 4,095"):
        solve("brute-force", small, max_candidates=4095)
    assert solve("brute-force", small, max_candidates=4096).status == "optimal"


def test_brute_force_time_limit_keeps_the_best_so_far():
    class Once:
        """Expires after the first chunk."""

        def __init__(self) -> None:
            self.calls = 0

        def expired(self) -> bool:
            self.calls += 1
            return self.calls > 1

    inst = generate_multi(np.random.default_rng(1), 11, 3, seed=1)
    out = brute_force_multi(inst, deadline=Once(), max_candidates=1 << 23)
    assert out.status == "time_limit" and out.bound is None
    assert evaluate_multi(inst, out.solution).feasible
    assert out.info["site_vectors_examined"] < 4 ** 11


def test_registry_lists_exact_for_the_family():
    names = {s.name for s in list_solvers("multi", installed_only=False)}
    assert {"exact", "brute-force"} <= names
    assert make_solver("exact").supports(generate_multi(np.random.default_rng(0), 3, 2))
