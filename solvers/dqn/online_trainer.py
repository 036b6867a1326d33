"""PER-DQN training of the online policy (``scope.kind = "online"``, ``dqn-online``).

The same algorithm as ``trainer.Trainer`` (hybrid epsilon-greedy / Boltzmann exploration,
prioritised terminal and non-terminal memories, target network, n-step and double-DQN
targets, CSV logs, validation, snapshots for ``--resume``, ``best`` by a validation gap);
what differs is the MDP (online_env.py: one step per period, a price level per step), the
network (online_network.py: an MLP over a fixed feature vector) and the reference.

**Reference.** Validation scenarios (``run.eval_instances`` of them, seeds
``run.eval_seed`` + i, drawn like the training ones) are run by the greedy policy through
the family's runner, exactly as the solver runs them, and compared with the registered
``priced`` policy (trained Lagrangean prices): the gaps are relative to it, negative
where the learned policy does better. The training log has no per-episode reference
(its ``gap`` column is blank); ``objective`` is the episode's value.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gqap.errors import GQAPError
from gqap.solvers.dqn.config import TrainConfig
from gqap.solvers.dqn.nstep import NStepWindow
from gqap.solvers.dqn.online_env import OnlineDQNEnv, n_features, training_scenario
from gqap.solvers.dqn.online_network import online_network_spec
from gqap.solvers.dqn.replay import DualReplay
from gqap.solvers.dqn.trainer import Trainer
from gqap.solvers.dqn.validation import gap_scores

ONLINE_LOG_FIELDS = ("episode", "steps", "G", "rate", "users", "reward", "objective",
                     "per_user", "mean_gpus", "gap", "loss", "epsilon", "temperature")


def online_validation_set(cfg: TrainConfig) -> list[Any]:
    """The run's validation scenarios: seed ``run.eval_seed + i`` for i < eval_instances
    (``training_scenario``); eval_seed must be set (>= 0) and its seeds must not overlap the
    training pool's."""
    s, r = cfg.scope, cfg.run
    if r.eval_seed < 0:
        raise GQAPError("config: the online scope needs run.eval_seed >= 0 (validation "
                        "scenarios by explicit seeds)")
    train = range(s.train_seed, s.train_seed + s.train_scenarios)
    evals = range(r.eval_seed, r.eval_seed + r.eval_instances)
    if set(train) & set(evals):
        raise GQAPError(f"config: validation seeds {evals.start}-{evals.stop - 1} overlap the "
                        f"training seeds {train.start}-{train.stop - 1}")
    return [training_scenario(s, seed) for seed in evals]


class OnlineTrainer(Trainer):
    """One training run of the online policy writing into ``out_dir``."""

    log_fields = ONLINE_LOG_FIELDS
    scope_kind = "online"

    @property
    def levels(self) -> tuple[float, ...]:
        """The price levels, one action each (``env.price_levels``)."""
        return tuple(self.cfg.env.price_levels)

    # -- the parts of the base trainer this scope replaces -------------------------------------
    def make_env(self, base_dir: str | Path | None) -> tuple[Any, Any]:
        """(no instance sampler, the online environment in its fast mode: the same
        rewards and states as the exact one, tables kept per training scenario)."""
        env = OnlineDQNEnv(self.cfg.scope, self.levels, self.cfg.env.reward_scale,
                           exact=False)
        return types.SimpleNamespace(instance=None), env

    def make_spec(self) -> dict[str, Any]:
        """The MLP's architecture: input width, the price levels it scores, hidden widths."""
        return online_network_spec(self.cfg.network, n_features(len(self.levels)),
                                   self.levels)

    def make_replay(self) -> Any:
        """The prioritised dual replay of (features, level, reward, next features)."""
        F, cfg = n_features(len(self.levels)), self.cfg
        fields = {"x": ((F,), np.float32), "action": ((), np.int16),
                  "reward": ((), np.float32), "discount": ((), np.float32),
                  "next_x": ((F,), np.float32), "done": ((), np.bool_)}
        return DualReplay(cfg.dqn.capacity, fields, cfg.dqn.terminal_fraction,
                          cfg.per.alpha, cfg.per.offset)

    def make_validation(self, stream: np.random.SeedSequence,
                        base_dir: str | Path | None) -> tuple[list[Any], list[float]]:
        """The validation scenarios and the registered ``priced`` policy's value on each."""
        from gqap.solvers.registry import make_solver

        instances = online_validation_set(self.cfg)
        priced = make_solver("priced")
        return instances, [float(priced.solve(x).objective) for x in instances]

    @staticmethod
    def tensors(obs: dict[str, np.ndarray]) -> tuple[torch.Tensor, ...]:
        """A batch of feature vectors as the network's forward() argument."""
        return (torch.as_tensor(obs["x"], dtype=torch.float32),)

    # -- acting and learning -----------------------------------------------------------------
    def learn(self) -> float:
        """One gradient step on a prioritised mini-batch; returns the loss."""
        d = self.cfg.dqn
        parts, f, w = self.sample_batch()
        s = (torch.as_tensor(f["x"]),)
        s2 = torch.as_tensor(f["next_x"])
        a = torch.as_tensor(f["action"], dtype=torch.long)
        r = torch.as_tensor(f["reward"], dtype=torch.float32)
        done = torch.as_tensor(f["done"], dtype=torch.float32)
        discount = torch.as_tensor(f["discount"], dtype=torch.float32)
        with torch.no_grad():
            q_next = self.target(s2)
            if d.double:
                sel = self.online(s2).argmax(1, keepdim=True)
                v_next = q_next.gather(1, sel)[:, 0]
            else:
                v_next = q_next.amax(1)
            y = r + discount * (1.0 - done) * v_next
        return self.gradient_step(s, a, y, w, parts)

    def run_episode(self) -> dict[str, Any]:
        """Play and learn from one episode (one scenario); returns its log row."""
        env, d = self.env, self.cfg.dqn
        x, info0 = env.reset()
        total, losses, gpus = 0.0, [], []
        window = NStepWindow(d.n_step, d.gamma)
        mask = env.action_masks()
        while True:
            a = self.act({"x": x[None]}, mask)
            x2, r, term, _, info = env.step(a)
            gpus.append(info["gpus"])
            for (x0, a0), ret, disc, last in window.push((x, a), r, term):
                self.replay.add({"x": x0, "action": a0, "reward": ret, "discount": disc,
                                 "next_x": x2, "done": term}, last)
            x = x2
            total += r
            self.count_step(losses)
            if term:
                break
        inst = env.instance
        row = {"episode": self.episode + 1, "steps": self.steps, "G": info0["G"],
               "rate": info0["rate"], "users": inst.n_users, "reward": total,
               "objective": info["objective"],
               "per_user": info["objective"] / max(inst.n_users, 1),
               "mean_gpus": float(np.mean(gpus)), "gap": float("nan"),
               **self.learning_columns(losses)}
        self.episode += 1
        return row

    def greedy_values(self, instances: list[Any]) -> list[float]:
        """The greedy policy's value on each scenario, run as the solver runs it."""
        from gqap.solvers.dqn.online_solver import DQNOnlinePolicy
        from gqap.solvers.online_policy import run_policy

        return [run_policy(x, DQNOnlinePolicy(self.online, self.levels)).objective
                for x in instances]

    def evaluate(self) -> tuple[float, float, float, float, float]:
        """Greedy policy on the validation scenarios against ``priced``: (sum gap, mean
        relative gap, mean gap per user, mean objective, median relative gap); negative
        gaps: better than ``priced``."""
        return gap_scores(self.eval_opt, self.greedy_values(self.eval_set),
                          [max(x.n_users, 1) for x in self.eval_set])

    def checkpoint_meta(self, which: str) -> dict[str, Any]:
        """Sidecar content: the base trainer's, the solver name and the reference."""
        meta = super().checkpoint_meta(which)
        meta["solver"] = "dqn-online"
        r = self.cfg.run
        meta["validation"].update(reference="priced",
                                  seeds=[r.eval_seed, r.eval_seed + r.eval_instances - 1])
        return meta
