"""The dqn-multi solver and its training: the shipped checkpoint verifies and records its
training, feasible and repeatable decisions for S = 1..8 and many user counts, refusal of
tampered or wrong checkpoints, time limits, and a smoke training run that writes its
files and resumes exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT
from dqn_checks import assert_resumes_exactly, assert_tampered_copy_refused, finished_run_rows

import gqap.solvers as solvers
from gqap.cli import main
from gqap.errors import GQAPError
from gqap.multi import evaluate_multi, generate_multi
from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR, file_sha256, load_checkpoint
from gqap.solvers.dqn.config import config_from_dict, load_config
from gqap.solvers.dqn.curves import read_log
from gqap.solvers.dqn.multi_reference import reference_optimum
from gqap.solvers.dqn.multi_trainer import MULTI_LOG_FIELDS, MultiTrainer
from gqap.solvers.dqn.trainers import make_trainer

CONFIGS = ROOT / "solvers" / "dqn" / "configs"


def inst(seed: int, users: int, sites: int, **kw):
    return generate_multi(np.random.default_rng(seed), users, sites, seed=seed, **kw)


def test_shipped_checkpoint_verifies_and_records_its_training():
    ck = load_checkpoint("multi", "multi")
    meta = ck.meta
    assert meta["sha256"] == file_sha256(CHECKPOINT_DIR / "multi.pt")
    assert meta["solver"] == "dqn-multi" and meta["scope"]["kind"] == "multi"
    assert meta["scope"]["sites"] == [1, 8]
    for key in ("config", "seed", "episodes", "git_commit", "train_wall_time_s", "command"):
        assert meta.get(key) not in (None, ""), key
    # The second phase's best network, started from the first phase's (recorded by hash).
    assert meta["command"].startswith(
        "gqap train --config solvers/dqn/configs/multi-finetune.toml")
    # the same run settings (keys added to the config since then take their defaults)
    assert config_from_dict(meta["config"]) == load_config(CONFIGS / "multi-finetune.toml")
    assert meta["init"]["command"].startswith(
        "gqap train --config solvers/dqn/configs/multi.toml")
    assert meta["init"]["sha256"] and meta["init"]["episodes"] > 0
    assert meta["validation"]["seeds"] == [7_200_000, 7_200_299]
    assert meta["validation"]["sites"] == [1, 8]
    assert (CHECKPOINT_DIR / "multi.pt").stat().st_size < 2_000_000


@pytest.mark.parametrize("sites", range(1, 9))
def test_feasible_and_repeatable_on_every_site_count(sites):
    solver = solvers.make_solver("dqn-multi")
    for users in (3, 17, 60 + 20 * sites):
        x = inst(10 * sites + users, users, sites)
        r = solver.solve(x)
        assert r.status == "feasible" and r.objective is not None
        ev = evaluate_multi(x, r.solution)
        assert ev.feasible and r.objective == ev.objective
        assert np.all(ev.counts <= x.B_max)
        assert r.info["forward_passes"] <= users
        assert r.solution.integer_splits
        again = solvers.make_solver("dqn-multi").solve(x)
        np.testing.assert_array_equal(again.solution.site, r.solution.site)
        np.testing.assert_array_equal(again.solution.split_points, r.solution.split_points)


def test_real_splits_and_out_of_distribution_notes():
    x = inst(1, 12, 3)
    integer = solvers.solve("dqn-multi", x)
    real = solvers.solve("dqn-multi", x, split="real")
    np.testing.assert_array_equal(real.solution.site, integer.solution.site)
    assert real.objective >= integer.objective - 1e-9  # the real optimum of the same counts
    assert "out_of_distribution" not in integer.info
    y = inst(2, 12, 9, B_max=4, convention="authors-scripts")
    odd = solvers.solve("dqn-multi", y)
    notes = " ".join(odd.info["out_of_distribution"])
    assert "S = 9" in notes and "convention" in notes
    assert evaluate_multi(y, odd.solution).feasible


def test_time_limit_denies_the_undecided_users():
    x = inst(3, 150, 6)
    r = solvers.solve("dqn-multi", x, time_limit=1e-6)
    assert r.status == "time_limit" and r.info["undecided_denied"]
    assert evaluate_multi(x, r.solution).feasible


def test_refuses_tampered_and_wrong_checkpoints(tmp_path):
    x = inst(4, 8, 2)
    assert_tampered_copy_refused("multi", "dqn-multi", x, tmp_path)
    with pytest.raises(GQAPError, match="holds a 'set' network"):
        solvers.solve("dqn-multi", x, checkpoint="set-general")
    with pytest.raises(GQAPError, match="holds a 'multi' network"):
        load_checkpoint("multi", "set")
    with pytest.raises(GQAPError, match="does not support the offloading family"):
        solvers.solve("dqn-multi", solvers_offloading())
    assert main(["solve", str(ROOT / "instances/fig11a/u20-c000.json"), "--solver",
                 "dqn-multi"]) == 1


def solvers_offloading():
    from gqap.io import read_instance

    return read_instance(ROOT / "instances" / "fig11a" / "u20-c000.json")


def test_warm_up_changes_no_decision_and_run_version_names_the_checkpoint():
    x = inst(6, 25, 4)
    cold = solvers.solve("dqn-multi", x)
    s = solvers.make_solver("dqn-multi")
    s.warm_up()
    warm = s.solve(x)
    np.testing.assert_array_equal(warm.solution.site, cold.solution.site)
    sha = json.loads((CHECKPOINT_DIR / "multi.json").read_text())["sha256"]
    assert type(s).run_version(s.options) == "1+" + sha[:12]


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
def test_smoke_training_writes_its_files(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--config", "multi-smoke", "--out", str(out), "--episodes", "24",
            "--no-progress"]
    assert main(argv) == 0
    rows = finished_run_rows(out)
    assert tuple(rows[0]) == MULTI_LOG_FIELDS and len(rows) == 24
    assert {int(r["sites"]) for r in rows} <= {1, 2, 3}
    side = json.loads((out / "final.json").read_text())
    assert side["solver"] == "dqn-multi" and side["network"]["kind"] == "multi"
    assert side["episodes"] == 24 and side["scope"]["kind"] == "multi"
    assert side["validation"]["seeds"] == [7_100_000, 7_100_009]
    assert side["validation"]["reference"]
    ck = load_checkpoint(out / "best.pt", "multi")
    r = solvers.solve("dqn-multi", inst(0, 9, 3), checkpoint=str(out / "best.pt"))
    assert r.status == "feasible" and ck.kind == "multi"
    assert main([*argv, "--resume"]) == 0  # a finished run: nothing to do


def test_smoke_training_is_reproducible_and_resumes_exactly(tmp_path):
    cfg = load_config(CONFIGS / "multi-smoke.toml")
    a, b2 = assert_resumes_exactly(lambda out: make_trainer(cfg, out), tmp_path, stop_after=20)
    assert isinstance(a, MultiTrainer)
    assert read_log(tmp_path / "a" / "eval_log.csv")["episode"].tolist() == [20.0, 40.0]
    refs = sum(b2.replay.refs.values())
    assert refs == len(b2.replay) and set(b2.replay.refs) == set(b2.replay.bank)


def test_validation_reference_is_the_exact_optimum():
    cfg = load_config(CONFIGS / "multi-smoke.toml")
    from gqap.solvers.dqn.multi_reference import enumerated_optimum, multi_validation_set

    xs = multi_validation_set(cfg, np.random.SeedSequence(0))
    again = multi_validation_set(cfg, np.random.SeedSequence(1))  # seeds, not the stream
    assert [x.content_hash() for x in xs] == [x.content_hash() for x in again]
    assert all(4 <= x.n_users <= 8 and 1 <= x.n_sites <= 2 for x in xs)
    for x in xs[:5]:
        value, _ = reference_optimum(x)
        assert value == pytest.approx(enumerated_optimum(x)[0], abs=1e-9)


def test_multi_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[scope]\nkind = 'multi'\nsites = [0, 3]\n")
    with pytest.raises(GQAPError, match="scope.sites"):
        load_config(bad)
    bad.write_text("[scope]\nkind = 'multi'\nusers = [4, 60]\n[network]\nkind = 'multi'\n")
    with pytest.raises(GQAPError, match="env.max_users"):
        make_trainer(load_config(bad), tmp_path / "x")
    bad.write_text("[scope]\nkind = 'multi'\n[network]\nkind = 'set'\n[env]\nmax_users = 50\n")
    with pytest.raises(GQAPError, match="network.kind = 'multi'"):
        make_trainer(load_config(bad), tmp_path / "y")


def test_numpy_rollout_takes_the_torch_rollouts_decisions():
    from gqap.solvers.dqn.multi_policy import fast_sites, greedy_sites

    ck = load_checkpoint("multi", "multi")
    xs = [inst(500 + k, 5 + 13 * k, 1 + k % 8) for k in range(12)]
    batched, _, _ = greedy_sites(ck.network, xs, ck.scales)
    for x, want in zip(xs, batched, strict=True):
        got, steps, cut = fast_sites(ck.network, x, ck.scales)
        np.testing.assert_array_equal(got, want)
        assert not cut and steps <= x.n_users
