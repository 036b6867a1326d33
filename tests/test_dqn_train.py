"""Training: configs, reproducibility, resuming, the ``gqap train`` command and a short
seeded run that must beat the random policy on a fixed instance."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import ROOT
from dqn_checks import assert_resumes_exactly, finished_run_rows, weights

from gqap.cli import main
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.io import read_instance
from gqap.solvers.dqn.config import TrainConfig, load_config
from gqap.solvers.dqn.curves import read_log
from gqap.solvers.dqn.env import OffloadingEnv, final_solution, validation_set
from gqap.solvers.dqn.schedules import explore
from gqap.solvers.dqn.trainer import LOG_FIELDS, Trainer, optimum

CONFIGS = ROOT / "solvers" / "dqn" / "configs"
TINY = ROOT / "instances" / "tiny" / "u8-g08-b18.json"


def tiny_config(**run) -> TrainConfig:
    cfg = load_config(CONFIGS / "smoke.toml")
    return cfg.replace(run={"episodes": 40, "eval_every": 20, "snapshot_every": 20, **run},
                       scope={"instance": str(TINY)})


def test_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dqn]\nlearning_rate = 0.1\n")
    with pytest.raises(GQAPError, match="unknown key.*learning_rate"):
        load_config(bad)
    bad.write_text("[dqn]\nlr = 'fast'\n")
    with pytest.raises(GQAPError, match="lr = 'fast' has the wrong type"):
        load_config(bad)
    bad.write_text("[scope]\nkind = 'everything'\n")
    with pytest.raises(GQAPError, match="scope.kind"):
        load_config(bad)
    with pytest.raises(GQAPError, match="no such file"):
        load_config(tmp_path / "missing.toml")


def test_shipped_configs_are_valid_and_keep_the_paper_defaults():
    for path in CONFIGS.glob("*.toml"):
        cfg = load_config(path)
        if cfg.scope.kind == "online":  # not the paper's MDP: one step per period of a
            # 120-period run, discounted (solvers/dqn/README.md, "Online policy")
            assert 0.0 < cfg.dqn.gamma < 1.0 and cfg.env.reward_scale == 0.1, path.name
            continue
        assert cfg.dqn.gamma == 1.0 and cfg.env.reward_scale == 0.1, path.name
        assert cfg.per.alpha == 0.7 and cfg.per.beta_start == 0.3 and cfg.per.offset == 2e-5
        assert cfg.explore.eps_end == 0.001 and cfg.explore.temp_end == 0.01
        if not cfg.run.init:  # second phases start from a trained network, exploring less
            assert cfg.explore.eps_start == 0.5 and cfg.explore.temp_start == 5.0
    shipped = load_config(CONFIGS / "general.toml")
    assert shipped.network.hidden == (256, 256, 256) and shipped.network.embed_dim == 3
    assert shipped.dqn.batch_size == 128 and shipped.dqn.capacity == 400_000
    assert shipped.dqn.terminal_batch == 16
    paper = TrainConfig()  # the defaults are the paper's Section VI-B2 values
    assert (paper.dqn.lr, paper.dqn.target_update, paper.dqn.n_step, paper.dqn.double) == \
        (1e-4, 2000, 1, False)


def test_same_seed_same_run_and_resume_continues_exactly(tmp_path):
    cfg = tiny_config()
    a, _ = assert_resumes_exactly(lambda out: Trainer(cfg, out), tmp_path, stop_after=20)
    assert (tmp_path / "a" / "train_log.csv").read_text().count("\n") == 41
    other = Trainer(cfg.replace(run={"seed": 99}), tmp_path / "c")
    other.train(progress=False)
    assert any(not torch.equal(x, y) for x, y in zip(weights(a), weights(other), strict=True))


def test_train_command_writes_logs_figure_and_checkpoints(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text((CONFIGS / "smoke.toml").read_text().replace("episodes = 60",
                                                                 "episodes = 20"))
    out = tmp_path / "run"
    argv = ["train", "--config", str(cfg), "--out", str(out), "--instance", str(TINY),
            "--no-progress"]
    assert main(argv) == 0
    rows = finished_run_rows(out)
    assert tuple(rows[0]) == LOG_FIELDS and len(rows) == 20
    assert float(rows[0]["epsilon"]) == 0.5
    side = json.loads((out / "final.json").read_text())
    assert side["episodes"] == 20 and side["scope"]["kind"] == "specific"
    assert side["command"].startswith("gqap train --config")
    # a second run into the same folder is refused; --resume of a finished run is a no-op
    assert main(argv) == 1
    assert "already holds a training run" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0
    assert main([*argv, "--resume", "--seed", "5"]) == 1
    assert "config differs" in capsys.readouterr().err


def test_short_training_beats_the_random_policy(tmp_path):
    """A seeded run of 250 short episodes (about 15 s) on one 8-user instance (the specific
    scope, smoke.toml) must beat 90 % of random grant/deny episodes."""
    cfg = tiny_config(episodes=250, eval_every=250, snapshot_every=250)
    trainer = Trainer(cfg, tmp_path / "run")
    trainer.train(progress=False)
    inst = read_instance(TINY)
    env = OffloadingEnv(inst, max_users=8)
    rng = np.random.default_rng(0)
    random_values = []
    for k in range(1000):
        env.reset(seed=k)
        done = False
        while not done:
            _, _, done, _, info = env.step(int(rng.integers(2)))
        random_values.append(info["objective"])
    from gqap.solvers.dqn.policy import greedy_grants

    (grant,), _, _ = greedy_grants(trainer.online, [inst], 8, cfg.features)
    value = evaluate(inst, final_solution(inst, grant)).objective
    opt = optimum(inst)
    assert value > np.percentile(random_values, 90) > np.mean(random_values)
    assert opt - value <= 0.1 * abs(opt)


def test_init_from_a_checkpoint_and_decaying_learning_rate(tmp_path):
    first = Trainer(tiny_config(episodes=20, eval_every=20, snapshot_every=20), tmp_path / "a")
    first.train(progress=False)
    cfg = tiny_config(episodes=20, eval_every=20, snapshot_every=20,
                      init=str(tmp_path / "a" / "final.pt")).replace(
        dqn={"lr": 1e-3, "lr_end": 1e-5})
    second = Trainer(cfg, tmp_path / "b")
    for x, y in zip(weights(first), weights(second), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    second.train(progress=False)
    # linear in the episode: the last update happens during episode 20 of 20
    assert second.opt.param_groups[0]["lr"] == pytest.approx(1e-3 + 19 / 20 * (1e-5 - 1e-3))
    side = json.loads((tmp_path / "b" / "final.json").read_text())
    assert side["init"]["sha256"] == json.loads(
        (tmp_path / "a" / "final.json").read_text())["sha256"]
    assert side["train_wall_time_total_s"] >= side["train_wall_time_s"]
    bad = cfg.replace(network={"hidden": [32, 32]})
    with pytest.raises(GQAPError, match="run.init"):
        Trainer(bad, tmp_path / "c")


def test_validation_seeds_are_explicit_and_disjoint_from_the_shipped_sets():
    """Configs with run.eval_seed validate on instances from default_rng(eval_seed + i),
    user counts uniform whatever the training weights, seeds unused by instances/*."""
    shipped = set()
    for manifest in (ROOT / "instances").glob("*/manifest.json"):
        shipped |= {c["seed"] for c in json.loads(manifest.read_text())["instances"]}
    assert len(shipped) >= 1300
    seeded = [p for p in CONFIGS.glob("*.toml") if load_config(p).run.eval_seed >= 0]
    assert seeded
    for path in seeded:
        cfg = load_config(path)
        seeds = range(cfg.run.eval_seed, cfg.run.eval_seed + cfg.run.eval_instances)
        assert not shipped & set(seeds), path.name
    cfg = load_config(CONFIGS / "general-mean-uniform.toml").replace(
        run={"eval_instances": 400}, scope={"users_power": 1.0})
    a = validation_set(cfg, np.random.SeedSequence(0))
    b = validation_set(cfg, np.random.SeedSequence(1))  # the run seed's stream is not used
    assert [x.content_hash() for x in a] == [x.content_hash() for x in b]
    users = np.array([x.n_users for x in a])
    assert abs(users.mean() - 12) < 1.0  # uniform on 4..20 (weight 1/n would give 9.6)
    assert len({x.G for x in a}) == 15


def test_select_by_mean_gap_keeps_the_lowest_mean_relative_gap(tmp_path):
    cfg = tiny_config(episodes=40, eval_every=10, snapshot_every=40, select="mean_gap")
    Trainer(cfg, tmp_path / "run").train(progress=False)
    ev = read_log(tmp_path / "run" / "eval_log.csv")
    side = json.loads((tmp_path / "run" / "best.json").read_text())
    assert side["validation"]["select"] == "mean_gap"
    best = int(np.argmin(ev["mean_gap"]))  # the first of equal minima
    assert side["episodes"] == ev["episode"][best]
    assert side["validation"]["mean_gap"] == pytest.approx(ev["mean_gap"][best], rel=1e-5)
    assert side["validation"]["median_gap"] == pytest.approx(ev["median_gap"][best], rel=1e-5,
                                                             abs=1e-9)
    with pytest.raises(GQAPError, match="select"):
        tiny_config(select="best")


def test_hybrid_exploration_stays_on_allowed_actions_and_follows_q_when_cold():
    rng = np.random.default_rng(0)
    mask = np.array([True, False, True, True])
    q = np.array([0.0, 100.0, 1.0, 3.0])
    calls = []

    def q_values():
        calls.append(1)
        return q

    uniform = [explore(rng, mask, 1.0, 1.0, q_values) for _ in range(600)]
    assert set(uniform) == {0, 2, 3} and not calls  # epsilon = 1: Q never evaluated
    cold = {explore(rng, mask, 0.0, 1e-3, q_values) for _ in range(50)}
    assert cold == {3}  # the masked action 1 has the largest Q but is never drawn
    warm = [explore(rng, mask, 0.0, 1.0, q_values) for _ in range(2000)]
    # softmax over the allowed Q-values (0, 1, 3): action 3 about 84% of the draws
    assert abs(warm.count(3) / 2000 - np.exp(3) / (1 + np.e + np.exp(3))) < 0.03
