"""PER-DQN training of the paper's policy (Section V-C2, hyper-parameters of Section VI-B2).

Per environment step: hybrid exploration (with probability epsilon a uniform random
allowed action, otherwise a draw from softmax(Q / temperature)), store the transition in
the terminal or the non-terminal memory, then one gradient step on a mini-batch drawn
1 : 7 from the two prioritised memories: loss = mean(w * (y - Q(s, a))^2) with
y = r + gamma * max_a' Q_target(s', a') (0 after a terminal step), gradient-norm clipping,
Adam. The target network is copied every ``target_update`` steps. Options beyond the paper
(off by default): ``n_step`` returns (r is then the sum of n rewards and s' the state n
steps later) and ``double`` DQN targets (a' chosen by the online network).

Reproducible: every random stream (episodes, exploration, replay sampling, weight
initialisation, validation instances) is spawned from the run's seed, torch uses a fixed
thread count and its global RNG is only touched inside ``fork_rng``. A run is resumable
from its last snapshot (``OUT/resume``) and then continues exactly as if uninterrupted.

Outputs in OUT: the run's folder (run_folder.py: config, logs, snapshot), then
``learning_curve.png`` (paper Fig. 9), ``final.pt/.json`` and ``best.pt/.json`` (the lowest
validation gap to the exact optimum).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gqap.errors import GQAPError
from gqap.gaps import relative_gap  # (optimum, value): positive = worse
from gqap.solvers.dqn.checkpoints import git_commit, initial_weights, save_checkpoint
from gqap.solvers.dqn.config import TrainConfig
from gqap.solvers.dqn.curves import plot_learning_curve
from gqap.solvers.dqn.env import (
    EpisodeSampler,
    OffloadingEnv,
    final_solution,
    observe,
    validation_set,
)
from gqap.solvers.dqn.network import build_network, network_spec, to_tensors
from gqap.solvers.dqn.nstep import NStepWindow
from gqap.solvers.dqn.policy import greedy_grants
from gqap.solvers.dqn.replay import DualReplay
from gqap.solvers.dqn.run_folder import RunFolder
from gqap.solvers.dqn.schedules import Schedules, explore
from gqap.solvers.dqn.validation import BestNetwork, gap_scores

LOG_FIELDS = ("episode", "steps", "users", "G", "reward", "objective", "optimum", "gap",
              "mean_pai", "mean_latency", "loss", "epsilon", "temperature")


@dataclass(frozen=True)
class TrainResult:
    """Where a finished run left its files, and its headline numbers."""

    out_dir: Path
    episodes: int
    steps: int
    wall_time_s: float
    best_gap: float | None
    best_episode: int | None


def optimum(instance: Any) -> float:
    """The exact optimum (project's exact solver) used as the reference of every gap."""
    from gqap.solvers.registry import make_solver

    return float(make_solver("exact").solve(instance).objective)


class Trainer:
    """One training run writing into ``out_dir`` (see the module docstring)."""

    log_fields: tuple[str, ...] = LOG_FIELDS
    scope_kind: str | None = None  # a subclass's one scope (and network) kind

    def __init__(self, cfg: TrainConfig, out_dir: str | Path, *, base_dir: str | Path | None = None,
                 command: str = "") -> None:
        k = self.scope_kind
        if k is not None and (cfg.scope.kind != k or cfg.network.kind != k):
            raise GQAPError(f"config: the {k} trainer needs scope.kind = '{k}' and "
                            f"network.kind = '{k}'")
        self.cfg = cfg
        self.out = Path(out_dir)
        self.folder = RunFolder(self.out, self.log_fields)
        self.command = command
        torch.set_num_threads(cfg.run.threads)
        streams = np.random.SeedSequence(cfg.run.seed).spawn(5)
        self.U = cfg.env.max_users
        self.sampler, self.env = self.make_env(base_dir)
        self.env.np_random = np.random.default_rng(streams[0])
        self.rng_explore = np.random.default_rng(streams[1])
        self.rng_replay = np.random.default_rng(streams[2])
        self.schedules = Schedules(cfg)
        self.spec = self.make_spec()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(streams[3].generate_state(1)[0]))
            self.online = build_network(self.spec)
        self.init_meta: dict[str, Any] | None = None
        if cfg.run.init:
            weights, self.init_meta = initial_weights(cfg.run.init, self.spec, base_dir)
            self.online.load_state_dict(weights)
        self.target = copy.deepcopy(self.online)
        self.target.requires_grad_(False)
        self.opt = torch.optim.Adam(self.online.parameters(), lr=cfg.dqn.lr, foreach=True)
        self.replay = self.make_replay()
        self.eval_set, self.eval_opt = self.make_validation(streams[4], base_dir)
        self._opt_cache: dict[str, float] = {}
        self.episode = self.steps = self.updates = 0
        self.wall = 0.0
        self.best = BestNetwork(cfg.run.select)

    # -- the parts a scope's trainer replaces --------------------------------------------------
    def make_env(self, base_dir: str | Path | None) -> tuple[Any, Any]:
        """(episode sampler, environment) of the config's scope, checked against
        ``env.max_users``."""
        cfg = self.cfg
        sampler = EpisodeSampler(cfg.scope, base_dir)
        if sampler.max_users > cfg.env.max_users:
            raise GQAPError(f"config: the scope draws up to {sampler.max_users} users but "
                            f"env.max_users is {cfg.env.max_users}")
        return sampler, OffloadingEnv(sampler, max_users=self.U,
                                      reward_scale=cfg.env.reward_scale, split=cfg.env.split,
                                      scales=cfg.features)

    def make_spec(self) -> dict[str, Any]:
        """The network's architecture (checkpoint sidecars) from the config."""
        return network_spec(self.cfg.network, self.U, self.cfg.features.count)

    def make_replay(self) -> Any:
        """The prioritised dual replay memory of the transitions."""
        U, cfg = self.U, self.cfg
        fields = {"users": ((U, 3), np.float32), "n_users": ((), np.int16),
                  "glob": ((3,), np.float32), "b_max": ((), np.int16),
                  "ind": ((U,), np.int8), "cur": ((), np.int16), "action": ((), np.int8),
                  "reward": ((), np.float32), "discount": ((), np.float32),
                  "next_ind": ((U,), np.int8),
                  "next_cur": ((), np.int16), "done": ((), np.bool_)}
        return DualReplay(cfg.dqn.capacity, fields, cfg.dqn.terminal_fraction,
                          cfg.per.alpha, cfg.per.offset)

    def make_validation(self, stream: np.random.SeedSequence,
                        base_dir: str | Path | None) -> tuple[list[Any], list[float]]:
        """The fixed validation instances and their reference optima."""
        instances = validation_set(self.cfg, stream, base_dir)
        return instances, [optimum(x) for x in instances]

    # -- acting and learning -----------------------------------------------------------------
    def act(self, obs: dict[str, np.ndarray], mask: np.ndarray) -> int:
        """Hybrid epsilon-greedy / Boltzmann choice among the allowed actions."""
        def q_values() -> np.ndarray:
            with torch.no_grad():
                return self.online(*self.tensors(obs))[0].numpy().astype(np.float64)

        return explore(self.rng_explore, mask, self.schedules.epsilon(self.episode),
                       self.schedules.temperature(self.episode), q_values)

    @staticmethod
    def tensors(obs: dict[str, np.ndarray]) -> tuple[torch.Tensor, ...]:
        """A batch of observations as the network's forward() arguments."""
        return to_tensors(obs)

    def gradient_step(self, s: Any, a: Any, y: Any, w: Any, parts: Any) -> float:
        """One importance-weighted TD step of the online network toward the targets ``y``
        for actions ``a`` in states ``s``; the replay priorities of the sampled ``parts``
        become the new TD errors. Returns the loss."""
        d = self.cfg.dqn
        q = self.online(*s).gather(1, a[:, None])[:, 0]
        td = y - q
        loss = (torch.as_tensor(w) * td.pow(2)).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if d.lr_end > 0:
            for group in self.opt.param_groups:
                group["lr"] = self.schedules.learning_rate(self.episode)
        torch.nn.utils.clip_grad_norm_(self.online.parameters(), d.grad_clip, foreach=True)
        self.opt.step()
        self.replay.update_priorities(parts, td.detach().abs().numpy())
        self.updates += 1
        return float(loss.detach())

    def sample_batch(self) -> Any:
        """A prioritised mini-batch (``dqn.terminal_batch`` of its ``dqn.batch_size`` from the
        terminal memory), as the scope's replay returns it."""
        d = self.cfg.dqn
        return self.replay.sample(d.batch_size, d.terminal_batch,
                                  self.schedules.beta(self.episode), self.rng_replay)

    def learn(self) -> float:
        """One gradient step on a prioritised mini-batch; returns the loss."""
        d = self.cfg.dqn
        parts, f, w = self.sample_batch()
        if self.spec["kind"] == "set":  # permutation-invariant: trim padding to the batch
            u = int(f["n_users"].max())
            for k in ("users", "ind", "next_ind"):
                f[k] = f[k][:, :u]
        cs = self.cfg.features.count
        s = to_tensors(observe(f["users"], f["n_users"], f["glob"], f["ind"], f["cur"], cs))
        s2 = to_tensors(observe(f["users"], f["n_users"], f["glob"], f["next_ind"],
                                f["next_cur"], cs))
        a = torch.as_tensor(f["action"], dtype=torch.long)
        r = torch.as_tensor(f["reward"], dtype=torch.float32)
        done = torch.as_tensor(f["done"], dtype=torch.float32)
        discount = torch.as_tensor(f["discount"], dtype=torch.float32)
        grant_ok = torch.as_tensor((f["next_ind"] == 2).sum(1) < f["b_max"])
        with torch.no_grad():
            q_next = self.target(*s2)
            if d.double:
                q_sel = self.online(*s2)
                q_sel[:, 1] = torch.where(grant_ok, q_sel[:, 1], -torch.inf)
                v_next = q_next.gather(1, q_sel.argmax(1, keepdim=True))[:, 0]
            else:
                v_next = torch.maximum(q_next[:, 0],
                                       torch.where(grant_ok, q_next[:, 1], -torch.inf))
            y = r + discount * (1.0 - done) * v_next
        return self.gradient_step(s, a, y, w, parts)

    def count_step(self, losses: list[float]) -> None:
        """One environment step taken: a gradient step every ``train_every`` steps once
        ``learning_starts`` is reached (its loss appended), the target network refreshed every
        ``target_update`` steps. Every scope's episode loop calls it after each step."""
        d = self.cfg.dqn
        self.steps += 1
        if self.steps >= d.learning_starts and self.steps % d.train_every == 0:
            losses.append(self.learn())
        if self.steps % d.target_update == 0:
            self.target.load_state_dict(self.online.state_dict())

    def learning_columns(self, losses: list[float]) -> dict[str, float]:
        """The log row's learning columns: mean loss of the episode's gradient steps (NaN
        before learning starts), epsilon and temperature."""
        return {"loss": float(np.mean(losses)) if losses else float("nan"),
                "epsilon": self.schedules.epsilon(self.episode),
                "temperature": self.schedules.temperature(self.episode)}

    def run_episode(self) -> dict[str, Any]:
        """Play and learn from one episode; returns its log row."""
        env, d = self.env, self.cfg.dqn
        env.reset()
        inst = env.instance
        state = env.compact_state()
        total, losses = 0.0, []
        window = NStepWindow(d.n_step, d.gamma)
        while True:
            a = self.act(env.state.observation(), env.action_masks())
            _, r, term, _, info = env.step(a)
            nxt = env.compact_state()
            for (s0, a0), ret, disc, last in window.push((state, a), r, term):
                self.replay.add({"users": s0["users"], "n_users": s0["n_users"],
                                 "glob": s0["glob"], "b_max": inst.B_max, "ind": s0["ind"],
                                 "cur": s0["cur"], "action": a0, "reward": ret,
                                 "discount": disc, "next_ind": nxt["ind"],
                                 "next_cur": nxt["cur"], "done": term}, last)
            state = nxt
            total += r
            self.count_step(losses)
            if term:
                break
        key = inst.content_hash()
        if key not in self._opt_cache:
            if len(self._opt_cache) > 10_000:
                self._opt_cache.clear()
            self._opt_cache[key] = optimum(inst)
        opt = self._opt_cache[key]
        row = {"episode": self.episode + 1, "steps": self.steps, "users": inst.n_users,
               "G": inst.G, "reward": total, "objective": info["objective"], "optimum": opt,
               "gap": relative_gap(opt, info["objective"]), "mean_pai": info["mean_pai"],
               "mean_latency": info["mean_latency"], **self.learning_columns(losses)}
        self.episode += 1
        return row

    def evaluate(self) -> tuple[float, float, float, float, float]:
        """Greedy policy on the validation set: (sum gap, mean relative gap, mean gap per
        user, mean objective, median relative gap). ``run.select`` names the one that
        picks the best network (sum gap: optima near zero make single relative gaps
        explode; mean gap: the benchmark's headline metric)."""
        grants, _, _ = greedy_grants(self.online, self.eval_set,
                                  self.U if self.spec["kind"] == "mlp" else None,
                                  self.cfg.features)
        from gqap.evaluation import evaluate

        integer = self.cfg.env.split == "integer"
        vals = [evaluate(x, final_solution(x, g, integer)).objective
                for x, g in zip(self.eval_set, grants, strict=True)]
        return gap_scores(self.eval_opt, vals, [x.n_users for x in self.eval_set])

    # -- the run -----------------------------------------------------------------------------
    def train(self, *, resume: bool = False, progress: bool = True,
              stop_after: int | None = None) -> TrainResult:
        """Train to ``run.episodes`` (or only ``stop_after`` more episodes, for tests)."""
        self._prepare(resume)
        cfg = self.cfg.run
        target = cfg.episodes if stop_after is None else min(cfg.episodes,
                                                             self.episode + stop_after)
        bar = None
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=cfg.episodes, initial=self.episode, unit="ep", desc="train",
                       dynamic_ncols=True)
        t0 = time.perf_counter()
        with self.folder.logs() as logs:
            recent: list[float] = []
            while self.episode < target:
                row = self.run_episode()
                logs.episode(row)
                recent = (recent + [row["gap"]])[-200:]
                if self.episode % cfg.eval_every == 0 or self.episode == cfg.episodes:
                    self.wall += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    scores = self.evaluate()
                    logs.validation((self.episode, self.steps, self.wall, *scores))
                    self.best.offer(self.episode, scores, self.online)
                if bar is not None:
                    bar.update(1)
                    if self.episode % 50 == 0:
                        eps = self.schedules.epsilon(self.episode)
                        bar.set_postfix(gap=f"{np.mean(recent):.3f}", eps=f"{eps:.3f}",
                                        val=f"{self.best.gap:.4f}" if self.best.gap is not None
                                        else "-")
                if self.episode % cfg.snapshot_every == 0 or self.episode == target:
                    logs.flush()
                    self.wall += time.perf_counter() - t0
                    t0 = time.perf_counter()
                    self._snapshot()
        if bar is not None:
            bar.close()
        if self.episode >= cfg.episodes:
            self._finish()
        return TrainResult(self.out, self.episode, self.steps, self.wall, self.best.gap,
                           self.best.episode)

    # -- files ---------------------------------------------------------------------------------
    def _prepare(self, resume: bool) -> None:
        """Start the run's folder, or reopen it: the snapshot restored (if any), the logs
        cut back to it."""
        if not resume:
            self.folder.start(self.cfg)
            return
        if self.folder.reopen(self.cfg):
            self._restore()
        self.folder.truncate_logs(self.episode)

    def _snapshot(self) -> None:
        meta = {"episode": self.episode, "steps": self.steps, "updates": self.updates,
                "wall": self.wall, "best_gap": self.best.gap, "best_episode": self.best.episode,
                "best_scores": self.best.scores,
                "rng": {"env": self.env.np_random.bit_generator.state,
                        "explore": self.rng_explore.bit_generator.state,
                        "replay": self.rng_replay.bit_generator.state}}
        tensors = {"online": self.online.state_dict(), "target": self.target.state_dict(),
                   "opt": self.opt.state_dict(), "best": self.best.state or {}}
        self.folder.save_snapshot(tensors, meta, self.replay.state_dict())

    def _restore(self) -> None:
        state, meta, replay = self.folder.load_snapshot()
        self.online.load_state_dict(state["online"])
        self.target.load_state_dict(state["target"])
        self.opt.load_state_dict(state["opt"])
        self.best.state = state["best"] or None
        self.replay.load_state_dict(replay)
        if meta["episode"] == 0:
            return
        self.episode, self.steps, self.updates = meta["episode"], meta["steps"], meta["updates"]
        self.wall, self.best.gap, self.best.episode = (meta["wall"], meta["best_gap"],
                                                       meta["best_episode"])
        self.best.scores = meta.get("best_scores")
        self.env.np_random.bit_generator.state = meta["rng"]["env"]
        self.rng_explore.bit_generator.state = meta["rng"]["explore"]
        self.rng_replay.bit_generator.state = meta["rng"]["replay"]

    def checkpoint_meta(self, which: str) -> dict[str, Any]:
        """Sidecar content for a checkpoint of this run."""
        scope = self.cfg.scope.describe()
        if self.sampler.instance is not None:
            scope["instance_hash"] = self.sampler.instance.content_hash()
            scope["instance_name"] = self.sampler.instance.name
        return {"solver": "dqn" if self.spec["kind"] == "mlp" else "dqn-set",
                "which": which, "network": self.spec,
                "features": dataclasses.asdict(self.cfg.features),
                "env": dataclasses.asdict(self.cfg.env), "scope": scope,
                "config": self.cfg.to_dict(), "seed": self.cfg.run.seed,
                "episodes": self.episode if which == "final" else self.best.episode,
                "steps": self.steps, "train_wall_time_s": round(self.wall, 1),
                "train_wall_time_total_s": round(self.wall + (
                    (self.init_meta or {}).get("train_wall_time_total_s")
                    or (self.init_meta or {}).get("train_wall_time_s") or 0.0), 1),
                "init": self.init_meta,
                "validation": {"instances": len(self.eval_set),
                               "eval_seed": self.cfg.run.eval_seed,
                               "select": self.cfg.run.select, "episode": self.best.episode,
                               **(self.best.scores or {})},
                "git_commit": git_commit(), "torch": torch.__version__,
                "command": self.command}

    def _finish(self) -> None:
        save_checkpoint(self.out / "final.pt", self.online, self.checkpoint_meta("final"))
        if self.best.state is not None:
            best = build_network(self.spec)
            best.load_state_dict(self.best.state)
            save_checkpoint(self.out / "best.pt", best, self.checkpoint_meta("best"))
        plot_learning_curve(self.out, title=f"{self.cfg.scope.kind} scope")

