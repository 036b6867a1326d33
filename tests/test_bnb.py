"""The ``bnb`` branch and bound: exactness against brute force, its bounds against brute
force and against the independent checker, proof records (checked, tampered, refused),
infeasible instances, the time limit, checkpoints and the symmetry rule."""

from __future__ import annotations

import gzip
import json
import math

import numpy as np
import pytest

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.proofs import ProofError, _Checker, read_record, verify_proof
from gqap.cli import main
from gqap.solvers import solve
from gqap.solvers.bnb import adam as AD
from gqap.solvers.bnb import ascent as A
from gqap.solvers.bnb import bound as B
from gqap.solvers.bnb import volume as V


def _instances() -> list[GQAPInstance]:
    out = [generate_gqap(np.random.default_rng(s), n, m, r, name=f"g{s}")
           for s, (n, m, r) in enumerate([(6, 3, 0.6), (7, 3, 0.8), (8, 3, 0.9), (7, 4, 0.5),
                                          (8, 4, 0.75), (6, 5, 0.35), (9, 3, 0.85),
                                          (8, 4, 0.95)])]
    rng = np.random.default_rng(7)   # real costs, asymmetric traffic, negative entries
    n, m = 7, 3
    out.append(GQAPInstance(q=rng.uniform(1, 5, n), Q=np.full(m, 10.5),
                            a=rng.normal(0, 3, (n, m)), t=rng.normal(0, 1, (n, n)),
                            d=rng.uniform(0, 2, (m, m)), v=1.5, name="real"))
    return out


INSTANCES = _instances()


@pytest.mark.parametrize("inst", INSTANCES, ids=[i.name for i in INSTANCES])
def test_bnb_proves_the_brute_force_optimum_and_its_record_checks(inst, tmp_path):
    ref = solve("brute-force", inst)
    path = tmp_path / "p.json.gz"
    r = solve("bnb", inst, time_limit=60, record=str(path), enum_limit=1)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(ref.objective, rel=1e-9, abs=1e-9)
    assert r.bound == pytest.approx(r.objective)
    check = verify_proof(read_record(path), inst)
    assert check.objective == pytest.approx(ref.objective)
    assert check.bounds_checked >= 1          # enum_limit=1: bounds close the tree


@pytest.mark.parametrize("inst", INSTANCES[:5] + INSTANCES[-1:],
                         ids=[i.name for i in INSTANCES[:5] + INSTANCES[-1:]])
def test_any_multipliers_bound_the_optimum_and_the_checker_agrees(inst):
    opt = solve("brute-force", inst).objective
    P = B.problem(inst)
    integer = P.integral and P.int_weights
    rng = np.random.default_rng(0)
    chk = _Checker(inst, {"integral": integer, "status": "optimal"})
    for x in (-np.ones(inst.n, dtype=np.int64), np.r_[0, -np.ones(inst.n - 1, dtype=np.int64)]):
        nd = B.node(P, x)
        f, m = nd.F.size, inst.m
        zero = np.zeros((f, m, m))
        scale = float(np.abs(nd.PC).max()) or 1.0
        for M, nu in ((A.initial_messages(nd, zero), zero),
                      (rng.normal(0, scale, (f, m, f)), rng.uniform(0, scale / 10, (f, m, m))),
                      A.ascent(nd, None, 30)[:2]):
            if integer:
                M, nu = np.round(M), np.round(nu)
            Lh = B.subproblems(nd, B.directed(nd, A.split(nd, M, nu, integer)), integer, nu)
            lam, val = B.optimise_lambda(nd, Lh, None, math.inf, integer, 10)
            if x[0] < 0:
                assert val <= opt + 1e-6 * max(1.0, abs(opt))
            theirs = chk.bound(x, chk.messages(M.ravel().tolist(), nd.F.tolist()),
                               chk.capacity_multipliers(nu.ravel().tolist(), nd.F.tolist()),
                               lam.tolist())
            assert theirs == pytest.approx(val, rel=1e-9, abs=1e-6)


def test_the_ascent_raises_the_bound():
    inst = INSTANCES[4]
    P = B.problem(inst)
    nd = B.node(P, -np.ones(inst.n, dtype=np.int64))
    f, m = nd.F.size, inst.m
    zero = np.zeros((f, m, m))
    start = B.evaluate(nd, A.split(nd, A.initial_messages(nd, zero), zero, True),
                       np.zeros(f), True, zero)
    M, nu, K, _ = A.ascent(nd, None, 40)
    M, nu = np.round(M), np.round(nu)
    Lh = B.subproblems(nd, B.directed(nd, A.split(nd, M, nu, True)), True, nu)
    _, val = B.optimise_lambda(nd, Lh, None, math.inf, True, 20)
    assert val > start and val >= K - 1e-6 * abs(K) - inst.n ** 2 * inst.m


def test_the_volume_phase_uses_true_supergradients_of_the_continuous_relaxation():
    rng = np.random.default_rng(5)
    for inst in INSTANCES[:4] + INSTANCES[-1:]:
        P = B.problem(inst)
        nd = B.node(P, -np.ones(inst.n, dtype=np.int64))
        f, m = nd.F.size, inst.m
        scale = float(np.abs(nd.PC).max()) or 1.0
        M = rng.normal(0, scale / 4, (f, m, f))
        nu = rng.uniform(0, scale / 40, (f, m, m))
        lam = rng.normal(0, scale, f) + float(np.abs(nd.Lnode).max())
        val, gM, gnu, glam = V.relaxation(nd, M, nu, lam)
        ref = B.master(nd, B.subproblems(nd, B.directed(nd, A.split(nd, M, nu, False)),
                                         False, nu), lam, False)
        assert val == pytest.approx(ref, rel=1e-12, abs=1e-9)
        for _ in range(50):   # concave: the function lies below its supergradient plane
            dM, dl = rng.normal(0, scale / 20, M.shape), rng.normal(0, scale / 5, f)
            nu2 = np.maximum(nu + rng.normal(0, scale / 200, nu.shape), 0.0)
            v2 = V.relaxation(nd, M + dM, nu2, lam + dl)[0]
            plane = val + (gM * dM).sum() + (gnu * (nu2 - nu)).sum() + (glam * dl).sum()
            assert v2 <= plane + 1e-7 * max(1.0, abs(val))


def _root(inst: GQAPInstance):
    """The brute-force optimum, the root node, exact arithmetic or not, and a checker."""
    opt = solve("brute-force", inst).objective
    P = B.problem(inst)
    integer = P.integral and P.int_weights
    chk = _Checker(inst, {"integral": integer, "status": "optimal"})
    return opt, B.node(P, -np.ones(inst.n, dtype=np.int64)), integer, chk


def _checked_bound(nd, chk, integer, opt, M, nu, lam) -> float:
    """The exact bound of the rounded multipliers: at most the optimum, and the checker
    re-derives it."""
    Mr, nur = (np.round(M), np.maximum(np.round(nu), 0.0)) if integer else (M, nu)
    Lh = B.subproblems(nd, B.directed(nd, A.split(nd, Mr, nur, integer)), integer, nur)
    lam, val = B.optimise_lambda(nd, Lh, lam, opt, integer, 10)
    assert val <= opt + 1e-6 * max(1.0, abs(opt))
    theirs = chk.bound(nd.x, chk.messages(Mr.ravel().tolist(), nd.F.tolist()),
                       chk.capacity_multipliers(nur.ravel().tolist(), nd.F.tolist()),
                       lam.tolist())
    assert theirs == pytest.approx(val, rel=1e-9, abs=1e-6)
    return val


def test_the_volume_phase_goes_past_the_ascent_and_stays_a_bound():
    gains = []
    for inst in INSTANCES:
        opt, nd, integer, chk = _root(inst)
        M, nu, _, _ = A.ascent(nd, None, 60)
        before = _checked_bound(nd, chk, integer, opt, M, nu, None)
        M, nu, lam, cont, _ = V.volume(nd, M, nu, None, opt, 300)
        assert cont <= opt + 1e-6 * max(1.0, abs(opt))
        gains.append(_checked_bound(nd, chk, integer, opt, M, nu, None) - before)
    assert max(gains) > 0          # it does go past the ascent's fixed point somewhere


def test_the_adam_phase_goes_past_the_volume_phase_and_stays_a_bound():
    gains = []
    for inst in INSTANCES:
        opt, nd, integer, chk = _root(inst)
        M, nu, _, _ = A.ascent(nd, None, 60)
        M, nu, lam, before, _ = V.volume(nd, M, nu, None, opt, 300)
        same = AD.adam(nd, M, nu, lam, opt, 0)
        assert same[3] == -math.inf and same[4] == 0 and same[0] is M
        M, nu, lam, after, steps = AD.adam(nd, M, nu, lam, opt, 500)
        closed = before >= opt - 1e-6 * max(1.0, abs(opt))    # nothing left to gain
        assert (0 < steps <= 500 or closed) and (nu >= 0).all()
        assert before <= after <= opt + 1e-6 * max(1.0, abs(opt))
        assert V.relaxation(nd, M, nu, lam)[0] == pytest.approx(after, rel=1e-12)
        _checked_bound(nd, chk, integer, opt, M, nu, lam)
        gains.append(after - before)
    assert max(gains) > 0          # it does go past the Volume phase somewhere


def test_volume_at_the_nodes_proves_the_optimum_with_a_record_that_checks(tmp_path):
    inst = INSTANCES[6]
    ref = solve("brute-force", inst).objective
    path = tmp_path / "p.json.gz"
    r = solve("bnb", inst, time_limit=60, record=str(path), enum_limit=1, root_volume=0,
              node_volume=50, volume_depth=3)
    assert r.status == "optimal" and r.objective == pytest.approx(ref)
    assert r.info["volume_iterations"] > 0          # steps taken at nodes below the root
    assert verify_proof(read_record(path), inst).objective == pytest.approx(ref)


def test_root_only_stops_after_the_root_with_its_bound():
    inst = INSTANCES[8]
    opt = solve("brute-force", inst).objective
    r = solve("bnb", inst, time_limit=60, root_only=True, incumbent="none", enum_limit=1)
    assert r.info["nodes"] == 1 and r.info["volume_iterations"] > 0
    if r.status == "optimal":          # the root alone closed it
        assert r.objective == pytest.approx(opt)
    else:
        assert r.status in ("feasible", "time_limit")
        assert r.bound == pytest.approx(r.info["root_bound"])
        assert r.bound <= opt + 1e-9 * max(1.0, abs(opt))


def _tampered(path, out, change) -> None:
    rec = read_record(path)

    def walk(node):
        if change(node):
            return True
        return any(walk(c) for c in node.get("children", []))

    assert walk(rec["tree"])
    with gzip.open(out, "wt") as fh:
        json.dump(rec, fh)


def test_a_record_that_does_not_check_is_refused_naming_the_node(tmp_path, capsys):
    inst = INSTANCES[2]
    good = tmp_path / "good.json.gz"
    r = solve("bnb", inst, time_limit=60, record=str(good), enum_limit=1)
    assert r.status == "optimal"

    def lower(node):
        if node.get("close") in ("parent", "bound"):
            node["lam"] = [v - 10 ** 7 for v in node["lam"]]
            return True
        return False

    bad = tmp_path / "bad.json.gz"
    _tampered(good, bad, lower)
    with pytest.raises(ProofError, match=r"refused at node \d+->\d+.*below the incumbent"):
        verify_proof(read_record(bad), inst)
    # a leaf closed by capacity that is not, an open node, another instance
    for name, change in (("cap", lambda n: n.get("close") in ("parent", "bound")
                          and (n.update(close="capacity") or True)),
                         ("open", lambda n: "close" in n and (n.update(open=True) or True))):
        out = tmp_path / f"{name}.json.gz"
        _tampered(good, out, change)
        with pytest.raises(ProofError, match="refused at node"):
            verify_proof(read_record(out), inst)
    with pytest.raises(ProofError, match="another instance"):
        verify_proof(read_record(good), INSTANCES[3])
    # the command line: exit 0 with a summary, exit 1 with the failing node
    f = tmp_path / "inst.json"
    from gqap.io import write_instance
    write_instance(inst, f)
    assert main(["bench", "verify-proof", str(good), "--instance", str(f)]) == 0
    assert "proof checked" in capsys.readouterr().out
    assert main(["bench", "verify-proof", str(bad), "--instance", str(f)]) == 1
    assert "refused at node" in capsys.readouterr().err


def test_a_claimed_optimum_that_is_not_is_refused(tmp_path):
    inst = INSTANCES[1]
    path = tmp_path / "p.json.gz"
    solve("bnb", inst, time_limit=60, record=str(path))
    rec = read_record(path)
    rec["objective"] += 1
    with pytest.raises(ProofError, match="costs"):
        verify_proof(rec, inst)


def test_an_infeasible_instance_is_proved_infeasible(tmp_path):
    # issue 13's packing-infeasible instance: 8 facilities of weight 51, capacities 100,
    # 100, 100, 110 (the total fits, no packing does).
    rng = np.random.default_rng(0)
    inst = GQAPInstance(q=np.full(8, 51.0), Q=np.array([100.0, 100.0, 100.0, 110.0]),
                        a=rng.integers(0, 9, (8, 4)), t=rng.integers(0, 9, (8, 8)),
                        d=rng.integers(1, 9, (4, 4)), v=1.0, name="packing")
    path = tmp_path / "inf.json.gz"
    r = solve("bnb", inst, time_limit=30, record=str(path))
    assert r.status == "infeasible" and r.solution is None
    check = verify_proof(read_record(path), inst)
    assert check.status == "infeasible" and check.objective is None


def test_the_time_limit_holds_and_the_bound_is_below_the_solution():
    from gqap.io import read_instance
    from gqap.library import resolve_instance

    inst = read_instance(resolve_instance("cordeau/50-10-95"))
    r = solve("bnb", inst, time_limit=2.0)
    assert r.wall_time_s < 4.0
    assert r.status == "feasible" and r.bound is not None and r.bound <= r.objective
    assert r.info["nodes"] >= 1 and r.info["log"]


def test_a_checkpoint_resumes_to_the_same_proof(tmp_path):
    inst = generate_gqap(np.random.default_rng(11), 10, 4, 0.85, name="ck")
    ref = solve("brute-force", inst).objective
    ck = tmp_path / "ck.json.gz"
    slow = {"enum_limit": 1, "incumbent": "none", "root_sweeps": 2, "sweeps": 1,
            "capacity_steps": 1, "lambda_iterations": 0}
    # the first call stops after the root (root_only), so a checkpoint is always written,
    # whatever the machine's speed; without a time limit it used to go round for ever
    first = solve("bnb", inst, checkpoint=str(ck), root_only=True, **slow)
    assert first.status == "time_limit" and first.info["nodes"] == 1 and ck.exists()
    assert first.bound == pytest.approx(first.info["root_bound"]) and first.bound < ref
    path = tmp_path / "p.json.gz"
    second = solve("bnb", inst, time_limit=60, checkpoint=str(ck), record=str(path), **slow)
    assert second.info["resumed"] and second.status == "optimal"
    assert second.objective == pytest.approx(ref)
    assert not ck.exists()
    verify_proof(read_record(path), inst)


def test_identical_empty_sites_are_branched_once():
    rng = np.random.default_rng(3)
    n, m = 7, 4
    t = rng.integers(0, 20, (n, n))
    t = t + t.T
    np.fill_diagonal(t, 0)
    d = np.full((m, m), 5.0)
    np.fill_diagonal(d, 0)
    inst = GQAPInstance(q=rng.integers(1, 5, n), Q=np.full(m, 9.0),
                        a=np.repeat(rng.integers(0, 30, (n, 1)), m, axis=1), t=t, d=d, v=1.0,
                        name="sym")
    ref = solve("brute-force", inst).objective
    r = solve("bnb", inst, time_limit=60, enum_limit=1)
    assert r.status == "optimal" and r.objective == pytest.approx(ref)
    assert r.info["closed"].get("symmetry", 0) > 0


def test_the_numba_kernel_and_the_numpy_fallback_agree():
    from gqap.solvers.bnb import kernels

    if not kernels.AVAILABLE:
        pytest.skip("numba not installed (the 'fast' extra)")
    inst = INSTANCES[4]
    a = solve("bnb", inst, time_limit=120, kernel="numba", incumbent="none", enum_limit=1)
    b = solve("bnb", inst, time_limit=120, kernel="numpy", incumbent="none", enum_limit=1)
    assert a.info["kernel"] == "numba" and b.info["kernel"] == "numpy"
    assert a.objective == b.objective and a.status == b.status == "optimal"
    P = B.problem(inst)
    nd = B.node(P, -np.ones(inst.n, dtype=np.int64))
    M1, nu1, K1, _ = A.ascent(nd, None, 10, compiled=True)
    M2, nu2, K2, _ = A.ascent(nd, None, 10, compiled=False)
    assert K1 == pytest.approx(K2, rel=1e-9)
    assert np.allclose(M1, M2, atol=1e-6 * max(1.0, abs(K1))) and np.allclose(nu1, nu2)
    # the continuous relaxation and its supergradient (the Volume and Adam phases)
    rng = np.random.default_rng(3)
    for inst in INSTANCES[:5] + INSTANCES[-1:]:
        nd = B.node(B.problem(inst), -np.ones(inst.n, dtype=np.int64))
        f, m = nd.F.size, inst.m
        scale = float(np.abs(nd.PC).max()) or 1.0
        M = rng.normal(0, scale / 4, (f, m, f))
        nu = rng.uniform(0, scale / 40, (f, m, m))
        lam = rng.normal(0, scale, f) + float(np.abs(nd.Lnode).max())
        fast, slow = V.relaxation(nd, M, nu, lam, True), V.relaxation(nd, M, nu, lam, False)
        assert fast[0] == pytest.approx(slow[0], rel=1e-12, abs=1e-9)
        for a, b in zip(fast[1:], slow[1:], strict=True):
            assert np.allclose(a, b, rtol=1e-9, atol=1e-9 * scale)


def test_the_compiled_relaxation_fills_tied_partners_in_index_order_as_numpy_does():
    # identical facilities: every partner of (i, k) saves the same per unit of weight, and
    # k's room left takes two of them in full; which two (the lower indices, a stable
    # sort's order) shows in the supergradient, so both code paths must pick the same
    from gqap.solvers.bnb import kernels

    if not kernels.AVAILABLE:
        pytest.skip("numba not installed (the 'fast' extra)")
    n, m = 6, 3
    t = np.ones((n, n)) - np.eye(n)
    d = np.array([[0.0, 4.0, 7.0], [4.0, 0.0, 2.0], [7.0, 2.0, 0.0]])
    inst = GQAPInstance(q=np.ones(n), Q=np.full(m, 3.0), a=np.zeros((n, m)), t=t, d=d,
                        name="ties")
    nd = B.node(B.problem(inst), -np.ones(n, dtype=np.int64))
    M, nu, lam = np.zeros((n, m, n)), np.zeros((n, m, m)), np.full(n, 10.0)
    fast, slow = V.relaxation(nd, M, nu, lam, True), V.relaxation(nd, M, nu, lam, False)
    assert fast[0] == slow[0]
    for a, b in zip(fast[1:], slow[1:], strict=True):
        assert np.array_equal(a, b)
    # the subproblems themselves: on (0, 0) partners 1 and 2 go on site 0, 3 to 5 off it
    Lhat, hoff, yon = kernels.primal_subproblems(
        kernels.partner_site_major(nd.PC), M, nu, nd.q, nd.R, nd.allowed, nd.Lnode)
    assert yon[0, 0].tolist() == [0.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert hoff[0, 0, 1:].tolist() == [1] * 5           # the cheaper site off 0
    assert np.isfinite(Lhat).all()


def test_records_and_checkpoints_are_written_piecewise_as_the_whole_json(tmp_path):
    # write_gz_json writes the live tree node by node (no second copy of a long proof's
    # tree in memory); the text must be exactly json.dumps of the whole record
    from gqap.solvers.base import Deadline
    from gqap.solvers.bnb.records import SearchTree, json_chunks, read_gz_json, write_gz_json
    from gqap.solvers.bnb.search import Search

    inst = generate_gqap(np.random.default_rng(11), 10, 4, 0.85, name="ck")
    s = Search(inst, Deadline(0.2), sweeps=1, root_sweeps=2, lambda_iterations=0,
               enum_limit=1, capacity_steps=1, symmetry=True, upper=math.inf, upper_x=None)
    s.run()
    for checkpoint in (False, True):
        obj = s.record("open")
        obj["tree"] = SearchTree(s.tree, checkpoint=checkpoint, integer=s.integer)
        whole = json.dumps({**obj, "tree": obj["tree"].to_json()}, separators=(",", ":"))
        assert "".join(json_chunks(obj)) == whole
        assert ('"mult_lam"' in whole) == (checkpoint and '"branch"' in whole)
        path = write_gz_json(tmp_path / f"r{int(checkpoint)}.json.gz", obj)
        assert gzip.open(path, "rt").read() == whole and read_gz_json(path) == json.loads(whole)


def test_the_final_checkpoint_is_written_within_the_time_limit(tmp_path, monkeypatch):
    # a checkpoint that takes a second to write (a long proof's tree) must still land
    # before the deadline: the limit holds around the whole call
    import time

    from gqap.solvers.bnb.search import Search

    real = Search.checkpoint

    def slow_checkpoint(self, path):
        real(self, path)
        time.sleep(1.5)

    monkeypatch.setattr(Search, "checkpoint", slow_checkpoint)
    inst = generate_gqap(np.random.default_rng(5), 24, 8, 0.85, name="slowck")
    ck = tmp_path / "ck.json.gz"
    r = solve("bnb", inst, time_limit=3.0, checkpoint=str(ck), checkpoint_every=0.5,
              enum_limit=1, incumbent="none", root_sweeps=2, sweeps=1, capacity_steps=1,
              lambda_iterations=0)
    if r.status == "optimal":
        pytest.skip("finished before the time limit on this machine")
    assert ck.exists() and r.wall_time_s <= 3.0 + 0.25


def test_the_record_is_written_within_the_time_limit(tmp_path, monkeypatch):
    # a record that takes 1.5 s to write (a long proof's tree) must still land before the
    # deadline: a proof that would finish just before the limit stops short of it instead
    # (feasible, no record), one with room to spare is proved and its record checks
    import time

    from gqap.solvers.bnb import records

    inst = generate_gqap(np.random.default_rng(5), 10, 4, 0.85, name="slowrec")
    slow = {"enum_limit": 1, "incumbent": "none", "root_sweeps": 2, "sweeps": 1,
            "capacity_steps": 1, "lambda_iterations": 0, "kernel": "numpy", "root_volume": 0}
    ref = solve("bnb", inst, time_limit=60, record=str(tmp_path / "ref.json.gz"), **slow)
    assert ref.status == "optimal"          # the proof's time with a fast record
    real = records._tree_chunks
    per_node = 1.5 / ref.info["nodes"]

    def slow_chunks(*args):
        time.sleep(per_node)
        yield from real(*args)

    monkeypatch.setattr(records, "_tree_chunks", slow_chunks)
    for limit in (ref.wall_time_s + 0.75, ref.wall_time_s + 4.0):
        path = tmp_path / f"{limit:.2f}.json.gz"
        r = solve("bnb", inst, time_limit=limit, record=str(path), **slow)
        assert r.wall_time_s <= limit + 0.25
        if r.status == "optimal":
            assert verify_proof(read_record(path), inst).objective == pytest.approx(
                ref.objective)
        else:          # stopped short of the end: no optimum claimed, no record
            assert r.status in ("feasible", "time_limit") and not path.exists()
            assert r.info["open_nodes"] > 0 and r.bound is not None
    assert r.status == "optimal"          # the longer limit leaves room for the proof
