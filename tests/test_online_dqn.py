"""dqn-online: the online scope's MDP (every step a feasible decision the evaluator
re-scores; the fast training mode takes the same steps as the exact one), the solver
(command line, repeatable, the shipped checkpoint hash-checked), config errors, and a
smoke training run that writes its files, is reproducible and resumes exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ROOT
from dqn_checks import assert_resumes_exactly, assert_tampered_copy_refused, finished_run_rows

import gqap.solvers as solvers
from gqap.cli import main
from gqap.errors import GQAPError
from gqap.io import read_instance, read_solution
from gqap.online import evaluate_online, generate_online
from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR, file_sha256, load_checkpoint
from gqap.solvers.dqn.config import config_from_dict, load_config
from gqap.solvers.dqn.curves import read_log
from gqap.solvers.dqn.online_env import OnlineDQNEnv, n_features, training_scenario
from gqap.solvers.dqn.online_trainer import ONLINE_LOG_FIELDS, OnlineTrainer
from gqap.solvers.dqn.trainers import make_trainer

CONFIGS = ROOT / "solvers" / "dqn" / "configs"


def scenario(seed: int = 7, periods: int = 12, rate: float = 6.0, G: int = 4):
    return generate_online(np.random.default_rng(seed), periods, rate, G, seed=seed)


def play(env, inst, seed):
    """Random price levels through one episode: (rewards, observations, all-local values,
    last info)."""
    rng = np.random.default_rng(seed)
    x, _ = env.reset(options={"instance": inst})
    rewards, obs, local = [], [x], []
    while True:
        local.append(float(env.view.table.value[0, 0]))
        x, r, done, truncated, info = env.step(int(rng.integers(env.action_space.n)))
        assert not truncated
        rewards.append(r)
        obs.append(x)
        if done:
            return np.array(rewards), np.array(obs), np.array(local), info


# ---------------------------------------------------------------------------------------
# the MDP
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [7, 8])
def test_env_steps_feasible_decisions_the_evaluator_rescores(seed):
    cfg = load_config("online-smoke")
    inst = scenario(seed, periods=15, rate=6.0, G=6)
    env = OnlineDQNEnv(cfg.scope, cfg.env.price_levels, reward_scale=0.1)
    rewards, obs, local, info = play(env, inst, seed)
    assert obs.shape == (16, n_features(len(cfg.env.price_levels)))
    log = env.episode.solution("dqn-online")
    ev = evaluate_online(inst, log)
    assert ev.feasible and len(log.periods) == 15
    assert ev.objective == pytest.approx(info["objective"], rel=1e-12)
    # the reward is the period's value less its all-local value, scaled
    assert rewards == pytest.approx(0.1 * (ev.period_values - local), abs=1e-9)
    assert ev.gpus.max() > 0 and (ev.occupied > 0).any()  # batches do hold the pool


def test_fast_training_mode_takes_the_exact_steps():
    cfg = load_config("online")
    inst = training_scenario(cfg.scope, 3001)  # a training scenario: 120 periods
    exact = play(OnlineDQNEnv(cfg.scope, cfg.env.price_levels, exact=True), inst, 1)
    fast_env = OnlineDQNEnv(cfg.scope, cfg.env.price_levels, exact=False)
    for _ in range(2):  # the second time from the cached tables
        fast = play(fast_env, inst, 1)
        np.testing.assert_allclose(fast[0], exact[0], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(fast[1], exact[1])
        assert fast[3]["objective"] == pytest.approx(exact[3]["objective"], rel=1e-12)


def test_training_scenarios_follow_the_scope_and_their_seed():
    cfg = load_config("online")
    a, b = training_scenario(cfg.scope, 3005), training_scenario(cfg.scope, 3005)
    assert a.content_hash() == b.content_hash() and a.provenance["seed"] == 3005
    for seed in range(3000, 3010):
        x = training_scenario(cfg.scope, seed)
        assert 8 <= x.G <= 16 and 2.0 <= x.header.arrivals.rate <= 16.0
        assert x.n_periods == 120


# ---------------------------------------------------------------------------------------
# the solver and its checkpoint
# ---------------------------------------------------------------------------------------
def test_shipped_checkpoint_verifies_and_records_its_training():
    ck = load_checkpoint("online", "online")
    meta = ck.meta
    assert meta["sha256"] == file_sha256(CHECKPOINT_DIR / "online.pt")
    assert meta["solver"] == "dqn-online" and meta["scope"]["kind"] == "online"
    assert config_from_dict(meta["config"]) == load_config(CONFIGS / "online.toml")
    assert meta["command"].startswith("gqap train --config solvers/dqn/configs/online.toml")
    assert meta["validation"]["reference"] == "priced"
    assert meta["scope"]["train_seeds"] == [3000, 3199]
    assert (CHECKPOINT_DIR / "online.pt").stat().st_size < 1_000_000


def test_solver_runs_through_the_command_line_and_repeats(tmp_path, capsys):
    s, log = tmp_path / "s.json", tmp_path / "log.json"
    assert main(["generate", "online", "--periods", "10", "--rate", "6", "--gpus", "8",
                 "--seed", "4", "-o", str(s)]) == 0
    capsys.readouterr()
    assert main(["solve", str(s), "--solver", "dqn-online", "--json", "--out", str(log)]) == 0
    res = json.loads(capsys.readouterr().out)
    inst = read_instance(s)
    ev = evaluate_online(inst, read_solution(log, inst))
    assert res["status"] == "feasible" and ev.feasible
    assert ev.objective == pytest.approx(res["objective"], rel=1e-12)
    assert 0 <= res["info"]["decision_p50_s"] <= res["info"]["decision_p99_s"]
    again = solvers.solve("dqn-online", inst)
    assert again.objective == res["objective"]


def test_refuses_tampered_and_wrong_checkpoints(tmp_path):
    x = scenario(3, periods=6)
    assert_tampered_copy_refused("online", "dqn-online", x, tmp_path)
    with pytest.raises(GQAPError, match="holds a 'multi' network"):
        solvers.solve("dqn-online", x, checkpoint="multi")
    with pytest.raises(GQAPError, match="holds a 'online' network"):
        load_checkpoint("online", "mlp")


# ---------------------------------------------------------------------------------------
# configs and training
# ---------------------------------------------------------------------------------------
def test_online_config_errors_name_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[env]\nprice_levels = [1.0, 0.5]\n")
    with pytest.raises(GQAPError, match="env.price_levels"):
        load_config(bad)
    bad.write_text("[scope]\nkind = 'online'\nrate = [0.0, 3.0]\n")
    with pytest.raises(GQAPError, match="scope.rate"):
        load_config(bad)
    cfg = load_config("online-smoke").replace(run={"eval_seed": 3001})
    with pytest.raises(GQAPError, match="overlap the training seeds"):
        OnlineTrainer(cfg, tmp_path / "x")
    with pytest.raises(GQAPError, match="scope.kind = 'online'"):
        OnlineTrainer(load_config("smoke"), tmp_path / "y")


def test_smoke_training_writes_its_files_and_the_solver_loads_them(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--config", "online-smoke", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    rows = finished_run_rows(out)
    assert tuple(rows[0]) == ONLINE_LOG_FIELDS and len(rows) == 6
    assert {int(r["G"]) for r in rows} <= set(range(4, 9))
    side = json.loads((out / "best.json").read_text())
    assert side["solver"] == "dqn-online" and side["network"]["levels"] == [0, 1, 2, 4]
    assert side["validation"]["seeds"] == [3950, 3951]
    r = solvers.solve("dqn-online", scenario(2, periods=8), checkpoint=str(out / "best.pt"))
    assert r.status == "feasible"


def test_smoke_training_is_reproducible_and_resumes_exactly(tmp_path):
    cfg = load_config(CONFIGS / "online-smoke.toml")
    a, _ = assert_resumes_exactly(lambda out: make_trainer(cfg, out), tmp_path, stop_after=3)
    assert isinstance(a, OnlineTrainer)
    assert read_log(tmp_path / "a" / "eval_log.csv")["episode"].tolist() == [3.0, 6.0]
