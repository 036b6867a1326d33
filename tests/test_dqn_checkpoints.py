"""Checkpoint files: round trip, hash check, refusal of tampered and mismatched files, and
the solvers built on them (shipped checkpoints included)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import ROOT, random_offloading
from dqn_checks import tamper

import gqap.solvers as solvers
from gqap.errors import GQAPError
from gqap.io import read_instance
from gqap.solvers.dqn.checkpoints import (
    CHECKPOINT_DIR,
    file_sha256,
    install_checkpoint,
    load_checkpoint,
    save_checkpoint,
    shipped_checkpoints,
)
from gqap.solvers.dqn.network import build_network

SPEC = {"kind": "mlp", "max_users": 6, "embed_dim": 3, "hidden": [16, 16]}
SET_SPEC = {"kind": "set", "max_users": None, "embed_dim": 3, "encoder": [8, 8],
            "hidden": [16], "channels": 2, "count_scale": 20.0}
FEATURES = {"alpha": 50.0, "step_s": 0.1, "edge_s": 0.01, "count": 20.0}


def write(tmp_path, spec=SPEC, scope=None, name="net"):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = build_network(spec)
    meta = {"network": spec, "features": FEATURES,
            "scope": scope or {"kind": "general", "users": [1, 6], "G": [2, 16]},
            "seed": 0, "episodes": 1}
    save_checkpoint(tmp_path / f"{name}.pt", net, meta)
    return net, tmp_path / f"{name}.pt"


def inputs(batch=3, users=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, users, 3, generator=g), torch.randint(0, 4, (batch, users),
                                                                    generator=g),
            torch.rand(batch, 6, generator=g), torch.ones(batch, users, dtype=torch.bool))


@pytest.mark.parametrize("spec", [SPEC, SET_SPEC], ids=["mlp", "set"])
def test_round_trip_keeps_the_network_and_records_the_hash(tmp_path, spec):
    net, pt = write(tmp_path, spec)
    side = json.loads(pt.with_suffix(".json").read_text())
    assert side["sha256"] == file_sha256(pt)
    ck = load_checkpoint(pt, spec["kind"])
    x = inputs()
    torch.testing.assert_close(ck.network(*x), net(*x), rtol=0, atol=0)
    assert ck.max_users == spec["max_users"] and ck.scales.alpha == 50.0


def test_tampered_weights_are_refused(tmp_path):
    _, pt = write(tmp_path)
    tamper(pt)
    with pytest.raises(GQAPError, match="SHA-256"):
        load_checkpoint(pt)


def test_weights_that_do_not_fit_the_declared_architecture_are_refused(tmp_path):
    _, pt = write(tmp_path)
    side_path = pt.with_suffix(".json")
    side = json.loads(side_path.read_text())
    side["network"]["hidden"] = [32, 16]  # hash still matches the .pt
    side_path.write_text(json.dumps(side))
    with pytest.raises(GQAPError, match="do not match the declared mlp architecture"):
        load_checkpoint(pt)


def test_wrong_network_kind_or_scope_metadata_is_refused(tmp_path):
    _, pt = write(tmp_path)
    with pytest.raises(GQAPError, match="needs 'set'"):
        load_checkpoint(pt, "set")
    _, pt2 = write(tmp_path, scope={"kind": "gpu"}, name="nog")
    with pytest.raises(GQAPError, match="gpu_G"):
        load_checkpoint(pt2)
    pt.with_suffix(".json").unlink()
    with pytest.raises(GQAPError, match="sidecar"):
        load_checkpoint(pt)


def test_solver_refuses_too_many_users_and_out_of_scope_use(tmp_path):
    _, pt = write(tmp_path)
    with pytest.raises(GQAPError, match="padded for at most 6"):
        solvers.solve("dqn", random_offloading(0, 7), checkpoint=str(pt))
    r = solvers.solve("dqn", random_offloading(0, 6), checkpoint=str(pt))
    assert r.status == "feasible" and r.info["forward_passes"] <= 6
    _, gpu = write(tmp_path, scope={"kind": "gpu", "gpu_G": 8, "users": [1, 6]}, name="gpu")
    with pytest.raises(GQAPError, match="G = 8 only"):
        solvers.solve("dqn", random_offloading(0, 6, G=4), checkpoint=str(gpu))
    loose = solvers.solve("dqn", random_offloading(0, 6, G=4), checkpoint=str(gpu),
                          strict_scope=False)
    assert "out_of_distribution" in loose.info
    with pytest.raises(GQAPError, match="holds a 'mlp' network"):
        solvers.solve("dqn-set", random_offloading(0, 6), checkpoint=str(pt))


def test_shipped_checkpoints_verify_and_record_their_training():
    names = shipped_checkpoints()
    for need in ("general", "gpu-g8", "set-general"):
        assert need in names
    for name in names:
        ck = load_checkpoint(name)
        meta = ck.meta
        assert meta["sha256"] == file_sha256(CHECKPOINT_DIR / f"{name}.pt")
        for key in ("config", "seed", "episodes", "git_commit", "train_wall_time_s", "command"):
            assert meta.get(key) not in (None, ""), (name, key)
        assert (CHECKPOINT_DIR / f"{name}.pt").stat().st_size < 5_000_000


def test_shipped_solvers_decide_in_one_pass():
    # Feasibility and determinism: tests/test_contract.py.
    inst = read_instance(ROOT / "instances/fig11a/u20-c000.json")
    for solver in ("dqn", "dqn-set"):
        r = solvers.solve(solver, inst)
        assert r.info["forward_passes"] <= inst.n_users
    big = random_offloading(3, 150)
    r = solvers.solve("dqn-set", big)
    assert r.status == "feasible" and r.solution.b <= big.B_max
    with pytest.raises(GQAPError, match="dqn-set"):
        solvers.solve("dqn", big)


def test_solver_rereads_a_checkpoint_that_changed(tmp_path):
    _, pt = write(tmp_path)
    inst = random_offloading(1, 6)
    solvers.solve("dqn", inst, checkpoint=str(pt))
    shutil.copy(pt, tmp_path / "backup.pt")
    tamper(pt)
    with pytest.raises(GQAPError, match="SHA-256"):
        solvers.solve("dqn", inst, checkpoint=str(pt))


def test_install_copies_a_verified_checkpoint(tmp_path):
    net, pt = write(tmp_path)
    dest = install_checkpoint(pt, "mine", dest_dir=tmp_path / "pkg")
    ck = load_checkpoint(dest, "mlp")
    assert ck.meta["file"] == "mine.pt" and ck.meta["installed_from"] == str(pt)
    x = inputs()
    torch.testing.assert_close(ck.network(*x), net(*x), rtol=0, atol=0)
    with pytest.raises(GQAPError, match="bare name"):
        install_checkpoint(pt, "a/b", dest_dir=tmp_path / "pkg")


def test_a_retrained_checkpoint_is_a_new_run_for_the_harness(tmp_path):
    """The harness keys stored runs by config hash, which includes the checkpoint's
    SHA-256: rows of an earlier network are never taken as done for a retrained one."""
    from gqap.bench.config import SolverEntry
    from gqap.bench.grid import config_hash, resolve_solver

    _, pt = write(tmp_path)
    entry = SolverEntry(name="dqn", label="dqn", options={"checkpoint": str(pt)})
    _, before = resolve_solver(entry)
    assert before == "1+" + file_sha256(pt)[:12]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        retrained = build_network(SPEC)
    save_checkpoint(pt, retrained, json.loads(pt.with_suffix(".json").read_text()))
    _, after = resolve_solver(entry)
    assert after == "1+" + file_sha256(pt)[:12] != before
    assert config_hash(entry, 10.0, before) != config_hash(entry, 10.0, after)
    _, shipped = resolve_solver(SolverEntry(name="dqn-set", label="dqn-set"))
    meta = json.loads((ROOT / "solvers/dqn/checkpoints/set-general.json").read_text())
    assert shipped == "1+" + meta["sha256"][:12]


def test_warm_up_loads_the_checkpoint_and_changes_no_decision():
    inst = read_instance(ROOT / "instances" / "fig11a" / "u12-c003.json")
    cold = solvers.solve("dqn-set", inst)
    solver = solvers.make_solver("dqn", checkpoint="specific-u20-c000")
    solver.warm_up()  # a specific-scope checkpoint warms up on its own small instance
    warm = solvers.make_solver("dqn-set")
    warm.warm_up()
    again = warm.solve(inst)
    assert np.array_equal(again.solution.grant, cold.solution.grant)
    assert again.objective == cold.objective
