"""The exact solver against brute force (grant masks x every integer split) and its certificate."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ExpiresAfter, random_offloading

import gqap.solvers.exact as exact
from gqap.cli import main
from gqap.evaluation import evaluate
from gqap.io import write_instance
from gqap.offloading.instance import OffloadingInstance
from gqap.solvers import solve
from gqap.solvers.exact import decision_for_b, scan_batch_sizes, verify_certificate

N_CASES = 240


def case(seed: int) -> OffloadingInstance:
    """Seeded random instance with 1..10 users in one of eight variants (see ``VARIANTS``)."""
    rng = np.random.default_rng(seed)
    users = 1 + seed % 10
    variant = VARIANTS[(seed // 10) % len(VARIANTS)]
    b_max = [0, int(rng.integers(0, users + 1)), max(0, users - 1), users, 18][seed % 5]
    kw = dict(G=int(rng.choice([1, 2, 4, 8, 16])), B_max=b_max,
              convention=("paper", "authors-scripts")[(seed // 5) % 2])
    if variant == "short-concave":
        kw.update(N=12, N_hat=5, a_F=0.6, b_F=4.3)
    elif variant == "short-convex-start":
        kw.update(N=16, N_hat=2, a_F=0.5, b_F=8.0)
    inst = random_offloading(seed, users, **kw)
    if variant == "slow-edge":
        inst = inst.replace(k_edge=inst.k_edge * 30, G=1)
    elif variant == "ties":
        # Identical users, and no transmission cost: granting a user who keeps n = N gains
        # exactly 0, so grant and deny tie and so do several b.
        half = (users + 1) // 2
        pick = np.arange(users) % half
        inst = inst.replace(k_user=inst.k_user[pick], h_user=inst.h_user[pick],
                            alpha=inst.alpha[pick], request_time=inst.request_time[pick],
                            s_p_bits=0.0, s_m_bits=0.0)
    elif variant == "alpha-spread":
        alpha = inst.alpha * 10 ** rng.uniform(-2, 2, users)
        alpha[0] = 0.0
        inst = inst.replace(alpha=alpha)
    elif variant == "cheap-radio":
        inst = inst.replace(s_m_bits=inst.s_m_bits / 50)  # grants pay off up to large b
    return inst


VARIANTS = ["paper", "short-concave", "short-convex-start", "slow-edge", "ties",
            "alpha-spread", "cheap-radio", "paper-small-G"]


def tol(x: float) -> float:
    return 1e-9 * max(1.0, abs(x))


def check_against_brute(inst: OffloadingInstance, exact_result, brute_result) -> None:
    assert exact_result.status == "optimal" and brute_result.status == "optimal"
    best = brute_result.objective
    assert exact_result.objective == pytest.approx(best, rel=1e-12, abs=1e-9)
    assert exact_result.bound == pytest.approx(best, rel=1e-12, abs=1e-9)
    assert exact_result.solution.b == exact_result.info["b"] <= inst.B_max
    # The certificate: every listed value(b) is the brute-force best with exactly b grants,
    # and the stop bound covers every b after the scan.
    per_b = dict(brute_result.info["b_values"])
    for b, v in exact_result.info["b_values"]:
        assert abs(v - per_b[b]) <= tol(v), (b, v, per_b[b])
    stop = exact_result.info["stopped_at_b"]
    if stop is None:
        assert exact_result.info["b_values"][-1][0] == inst.max_granted
    else:
        bound = exact_result.info["stop_bound"]
        assert bound <= best + tol(best)
        assert all(per_b[b] <= bound + tol(bound) for b in per_b if b >= stop)


@pytest.fixture(params=["dense", "sparse"])
def path(request, monkeypatch):
    """Run the exact solver on its small-instance path or force the large-instance one."""
    if request.param == "sparse":
        monkeypatch.setattr(exact, "_DENSE_MAX_USERS", 0)
    return request.param


@pytest.mark.parametrize("seed", range(N_CASES))
def test_exact_equals_brute_force(seed, path):
    inst = case(seed)
    ex = solve("exact", inst)
    assert ex.info["path"] == path
    check_against_brute(inst, ex, solve("brute-force", inst, enumerate_splits=True))
    ex_real = solve("exact", inst, split="real")
    check_against_brute(inst, ex_real, solve("brute-force", inst, split="real"))
    assert ex.solution.integer_splits
    assert ex_real.objective >= ex.objective - tol(ex.objective)  # relaxation


def test_cases_cover_what_the_issue_asks_for():
    counts = dict.fromkeys(["B_max = 0", "B_max < |I|", "B_max >= |I|", "edge slower", "ties",
                            "paper", "authors-scripts", "optimum b > 0", "stopped early"], 0)
    for seed in range(N_CASES):
        inst = case(seed)
        counts["B_max = 0"] += inst.B_max == 0
        counts["B_max < |I|"] += 0 < inst.B_max < inst.n_users
        counts["B_max >= |I|"] += inst.B_max >= inst.n_users
        b = np.arange(1, max(1, inst.max_granted) + 1)
        slow = inst.local_step_latency[None, :] <= np.atleast_1d(inst.edge_step_latency(b))[:, None]
        counts["edge slower"] += bool(slow.any())
        counts["ties"] += len(set(inst.alpha.tolist())) < inst.n_users
        counts[inst.convention] += 1
        r = solve("exact", inst)
        counts["optimum b > 0"] += r.info["b"] > 0
        counts["stopped early"] += r.info["stopped_at_b"] is not None
    assert min(counts.values()) >= 15, counts


@pytest.mark.parametrize("split", ["integer", "real"])
@pytest.mark.parametrize(("n_users", "radio"), [(40, 1.0), (3000, 1.0), (3000, 0.1)])
def test_certificate_rechecks_with_the_evaluator(n_users, radio, split):
    inst = random_offloading(7, n_users, B_max=n_users)
    inst = inst.replace(s_m_bits=inst.s_m_bits * radio)  # cheaper radio: longer scan
    r = solve("exact", inst, split=split)
    assert r.info["path"] == ("dense" if n_users <= exact._DENSE_MAX_USERS else "sparse")
    assert verify_certificate(inst, r.info) == []
    values = dict(r.info["b_values"])
    assert values[r.info["b"]] == pytest.approx(r.objective, rel=1e-12)
    assert r.info["stopped_at_b"] is not None  # the bound pruned the scan
    assert r.info["b_examined"] < inst.max_granted


def test_tampered_certificate_is_rejected():
    inst = random_offloading(3, 30, B_max=30)
    info = solve("exact", inst).info
    bad_value = dict(info, b_values=[(b, v + (b == 2)) for b, v in info["b_values"]])
    assert any("b = 2" in p for p in verify_certificate(inst, bad_value))
    early_stop = dict(info, b_values=info["b_values"][:3], stopped_at_b=3)
    assert any("beats the best value" in p for p in verify_certificate(inst, early_stop))
    gap = dict(info, b_values=[info["b_values"][0], *info["b_values"][2:]])
    assert verify_certificate(inst, gap)


def test_sparse_and_dense_paths_agree_on_a_large_instance(monkeypatch):
    inst = random_offloading(11, 3000, B_max=3000, convention="authors-scripts")
    sparse = scan_batch_sizes(inst)
    monkeypatch.setattr(exact, "_DENSE_MAX_USERS", 10**9)
    dense = scan_batch_sizes(inst)
    assert (sparse["path"], dense["path"]) == ("sparse", "dense")
    assert sparse["b"] == dense["b"] and sparse["stopped_at_b"] == dense["stopped_at_b"]
    np.testing.assert_allclose([v for _, v in sparse["b_values"]],
                               [v for _, v in dense["b_values"]], rtol=1e-12)
    assert sparse["stop_bound"] == pytest.approx(dense["stop_bound"], rel=1e-12)
    # Candidate filtering evaluates far fewer (b, user) gains than the full rows.
    assert sparse["gain_evaluations"] < dense["gain_evaluations"] / 3
    assert sorted(sparse["granted"]) == sorted(dense["granted"])


def test_decision_for_b_is_the_best_with_exactly_b_grants():
    inst = random_offloading(5, 9, B_max=9)
    brute = solve("brute-force", inst)
    for b, v in brute.info["b_values"]:
        sol = decision_for_b(inst, b)
        assert sol.b == b
        assert evaluate(inst, sol).objective == pytest.approx(v, rel=1e-12, abs=1e-9)



@pytest.mark.parametrize("n_users", [60, 5000])
def test_time_limit_gives_a_valid_bound(n_users, monkeypatch):
    monkeypatch.setattr(exact, "_BLOCK_ELEMENTS", 2 * n_users)  # dense path: 2 b per block
    inst = random_offloading(2, n_users, B_max=n_users)
    full = scan_batch_sizes(inst)
    cut = scan_batch_sizes(inst, deadline=ExpiresAfter(2))
    assert cut["timed_out"] and not full["timed_out"]
    assert len(cut["b_values"]) < len(full["b_values"])
    assert cut["open_bound"] >= full["value"] - tol(full["value"])
    assert scan_batch_sizes(inst, deadline=ExpiresAfter(0))["open_bound"] is None
    r = solve("exact", inst, time_limit=1e-9)
    assert r.status == "time_limit" and r.info["b"] == 0 and r.bound is None
    assert r.objective == pytest.approx(full["b_values"][0][1])


def test_b_max_zero_keeps_everyone_local():
    inst = random_offloading(1, 6, B_max=0)
    r = solve("exact", inst)
    assert r.status == "optimal" and r.solution.b == 0
    assert r.info["b_values"] == [(0, r.objective)] and r.info["stopped_at_b"] is None


def test_cli_solve_reports_the_optimal_b(tmp_path, capsys):
    inst = random_offloading(4, 12, B_max=12)
    path = tmp_path / "inst.json"
    write_instance(inst, path)
    assert main(["solve", str(path), "--solver", "exact"]) == 0
    lines = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines()
                 if not line.startswith("granted") and not line.startswith("objective per")
                 and not line.startswith("wall"))
    expected = solve("exact", inst)
    assert int(lines["b"]) == expected.info["b"] > 0
    assert lines["status"].strip() == "optimal"
    assert main(["solve", str(path), "--solver", "exact", "--json", "--opt", "split=real"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["info"]["split_mode"] == "real"
    assert out["info"]["b"] == out["solution"]["grant"].count(True)
    assert [b for b, _ in out["info"]["b_values"]] == list(range(out["info"]["b_examined"]))
