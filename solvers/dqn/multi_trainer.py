"""PER-DQN training of the multi-cluster policy (``scope.kind = "multi"``).

The same algorithm as ``trainer.Trainer`` (hybrid epsilon-greedy / Boltzmann exploration,
prioritised terminal and non-terminal memories sampled 1 : 7, target network, n-step and
double-DQN targets, CSV logs, validation, snapshots for ``--resume``, ``best`` by a
validation gap); what differs is the MDP (multi_env.py), the network (multi_network.py)
and three things that follow from them:

- **Potential.** The network learns f(s, a) = Q(s, a) - c(s) with
  c(s) = reward_scale (J(s) - P(s)): J(s) the objective if every undecided user were
  denied now, P(s) the eq. 21 rewards paid so far. Both are known functions of the state
  (P through the counts at each past decision), so with gamma = 1 this is the same
  Q-function written around a known, action-independent baseline: the greedy action,
  argmax_a Q = argmax_a f, and the TD error are unchanged. Stored rewards are
  r + gamma^n c(s_{t+n}) - c(s_t) (c = 0 after the last step), so f's targets are the
  change of J over the n steps plus f at s_{t+n}: the network no longer has to track the
  latency already spent, which grows with the user count.
- **Replay by episode.** A transition stores its episode id, the site vector and the
  current user; the episode's tables (features and gain table, multi_features.EpisodeTables)
  are kept once per episode in a bank while any of its transitions is in a memory, and
  the features are rebuilt when a mini-batch is drawn.
- **Reference.** Validation instances are small (``scope.eval_users``, ``eval_sites``)
  and scored against their exact optimum; the training log against the myopic greedy rule
  (both in multi_reference.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from gqap.errors import GQAPError
from gqap.gaps import relative_gap
from gqap.multi import evaluate_multi
from gqap.solvers.dqn.multi_env import (
    MultiEpisodeSampler,
    MultiOffloadingEnv,
    final_multi_solution,
)
from gqap.solvers.dqn.multi_features import EpisodeTables, features, pack
from gqap.solvers.dqn.multi_network import multi_tensors
from gqap.solvers.dqn.multi_policy import greedy_sites
from gqap.solvers.dqn.multi_reference import (
    multi_validation_set,
    myopic_greedy,
    reference_optimum,
)
from gqap.solvers.dqn.nstep import NStepWindow
from gqap.solvers.dqn.replay import DualReplay
from gqap.solvers.dqn.trainer import Trainer
from gqap.solvers.dqn.validation import gap_scores

MULTI_LOG_FIELDS = ("episode", "steps", "users", "sites", "reward", "objective", "greedy",
                    "gap", "granted", "mean_pai", "mean_latency", "loss", "epsilon",
                    "temperature")


# ---------------------------------------------------------------------------------------
# replay by episode
# ---------------------------------------------------------------------------------------
class EpisodeReplay:
    """DualReplay of compact transitions plus the bank of episode tables they refer to
    (an episode's tables are dropped once none of its transitions is stored)."""

    def __init__(self, capacity: int, max_users: int, terminal_fraction: float,
                 alpha: float, offset: float) -> None:
        U = max_users
        fields = {"ep": ((), np.int64), "x": ((U,), np.int8), "cur": ((), np.int16),
                  "action": ((), np.int8), "reward": ((), np.float32),
                  "discount": ((), np.float32), "next_x": ((U,), np.int8),
                  "next_cur": ((), np.int16), "done": ((), np.bool_)}
        self.memory = DualReplay(capacity, fields, terminal_fraction, alpha, offset)
        self.bank: dict[int, EpisodeTables] = {}
        self.refs: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.memory)

    def register(self, ep: int, tables: EpisodeTables) -> None:
        """Make an episode's tables available to its transitions."""
        self.bank[ep] = tables
        self.refs.setdefault(ep, 0)

    def _release(self, ep: int, k: int = 1) -> None:
        self.refs[ep] -= k
        if self.refs[ep] <= 0:
            del self.refs[ep]
            del self.bank[ep]

    def add(self, transition: dict[str, Any], done: bool) -> None:
        """Store a transition (in the terminal memory when ``done``)."""
        mem = self.memory.terminal if done else self.memory.other
        if mem.size == mem.capacity:  # the oldest transition is overwritten
            self._release(int(mem.data["ep"][mem.pos]))
        mem.add(transition)
        self.refs[int(transition["ep"])] += 1

    def finish_episode(self, ep: int) -> None:
        """Drop an episode's tables if none of its transitions was stored."""
        if self.refs.get(ep, 1) == 0:
            self._release(ep, 0)

    def sample(self, batch: int, n_terminal: int, beta: float, rng: np.random.Generator,
               ) -> tuple[list, dict[str, np.ndarray], np.ndarray, list[EpisodeTables]]:
        """As DualReplay.sample, plus each transition's episode tables."""
        parts, f, w = self.memory.sample(batch, n_terminal, beta, rng)
        return parts, f, w, [self.bank[int(e)] for e in f["ep"]]

    def update_priorities(self, parts: list, td_error: np.ndarray) -> None:
        """Spread a batch's TD errors back to their memories."""
        self.memory.update_priorities(parts, td_error)

    def state_dict(self) -> dict[str, Any]:
        """The memories' arrays plus the bank, flattened (``bank.*``)."""
        out = self.memory.state_dict()
        eps = sorted(self.bank)
        tabs = [self.bank[e] for e in eps]
        out["bank.ep"] = np.array(eps, dtype=np.int64)
        out["bank.shape"] = np.array([[t.n_users, t.n_sites, t.gain.shape[0]] for t in tabs],
                                     dtype=np.int64).reshape(-1, 3)
        out["bank.base"] = np.array([t.base for t in tabs])
        for key in ("users", "sites", "shift", "gain", "B_max"):
            arrs = [getattr(t, key).ravel() for t in tabs]
            out[f"bank.{key}"] = np.concatenate(arrs) if arrs else np.zeros(0)
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""
        self.memory.load_state_dict({k: v for k, v in state.items()
                                     if not k.startswith("bank.")})
        self.bank, self.refs = {}, {}
        pos = dict.fromkeys(("users", "sites", "shift", "gain", "B_max"), 0)

        def take(key: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
            k = int(np.prod(shape))
            a = np.asarray(state[f"bank.{key}"][pos[key]: pos[key] + k], dtype=dtype)
            pos[key] += k
            return a.reshape(shape)

        for ep, (n, S, nb), base in zip(state["bank.ep"], state["bank.shape"],
                                        state["bank.base"], strict=True):
            self.bank[int(ep)] = EpisodeTables(
                users=take("users", (n, 3), np.float32), sites=take("sites", (S, 7), np.float32),
                shift=take("shift", (n, S), np.float32), gain=take("gain", (nb, n, S), np.float32),
                B_max=take("B_max", (S,), np.int64), base=float(base))
        for mem in (self.memory.terminal, self.memory.other):
            eps, counts = np.unique(mem.data["ep"][: mem.size], return_counts=True)
            for e, c in zip(eps.tolist(), counts.tolist(), strict=True):
                self.refs[e] = self.refs.get(e, 0) + c


# ---------------------------------------------------------------------------------------
# the trainer
# ---------------------------------------------------------------------------------------
class MultiTrainer(Trainer):
    """One training run of the multi-cluster policy writing into ``out_dir``."""

    log_fields = MULTI_LOG_FIELDS
    scope_kind = "multi"

    @property
    def integer(self) -> bool:
        """Whether split points are integers (``env.split``)."""
        return self.cfg.env.split == "integer"

    def make_env(self, base_dir: str | Path | None) -> tuple[Any, Any]:
        """(episode sampler, environment) of the multi scope, checked against
        ``env.max_users`` and ``env.max_sites``."""
        cfg = self.cfg
        sampler = MultiEpisodeSampler(cfg.scope)
        if sampler.max_users > cfg.env.max_users or sampler.max_sites > cfg.env.max_sites:
            raise GQAPError(f"config: the scope draws up to {sampler.max_users} users "
                            f"and {sampler.max_sites} sites but env.max_users is "
                            f"{cfg.env.max_users} and env.max_sites {cfg.env.max_sites}")
        return sampler, MultiOffloadingEnv(sampler, max_users=self.U,
                                           max_sites=cfg.env.max_sites,
                                           reward_scale=cfg.env.reward_scale,
                                           split=cfg.env.split, scales=cfg.features)

    def make_replay(self) -> Any:
        """The dual replay of transitions, with each episode's tables kept once."""
        cfg = self.cfg
        return EpisodeReplay(cfg.dqn.capacity, self.U, cfg.dqn.terminal_fraction,
                             cfg.per.alpha, cfg.per.offset)

    def make_validation(self, stream: np.random.SeedSequence,
                        base_dir: str | Path | None) -> tuple[list[Any], list[float]]:
        """The validation instances and their references (exact optima where the exact
        solver supports the family, see ``reference_optimum``; their sources in
        ``self.reference``)."""
        instances = multi_validation_set(self.cfg, stream)
        refs = [reference_optimum(x) for x in instances]
        self.reference = sorted({src for _, src in refs})
        return instances, [v for v, _ in refs]

    # -- acting and learning -----------------------------------------------------------------
    @staticmethod
    def tensors(obs: dict[str, np.ndarray]) -> tuple[torch.Tensor, ...]:
        """A batch of multi-cluster observations as the network's forward() arguments."""
        return multi_tensors(obs)

    def learn(self) -> float:
        """One gradient step on a prioritised mini-batch; returns the loss."""
        d = self.cfg.dqn
        parts, f, w, tabs = self.sample_batch()
        p = pack(tabs)
        U = p.users.shape[1]
        sc = self.cfg.features
        o1 = features(p, f["x"][:, :U], f["cur"], None, sc)
        o2 = features(p, f["next_x"][:, :U], f["next_cur"], f["done"], sc)
        s, s2 = multi_tensors(o1), multi_tensors(o2)
        a = torch.as_tensor(f["action"], dtype=torch.long)
        r = torch.as_tensor(f["reward"], dtype=torch.float32)
        done = torch.as_tensor(f["done"], dtype=torch.bool)
        discount = torch.as_tensor(f["discount"], dtype=torch.float32)
        mask2 = torch.as_tensor(o2["action_mask"])
        with torch.no_grad():
            q_next = self.target(*s2)
            if d.double:
                sel = self.online(*s2).masked_fill(~mask2, -torch.inf).argmax(1, keepdim=True)
                v_next = q_next.gather(1, sel)[:, 0]
            else:
                v_next = q_next.masked_fill(~mask2, -torch.inf).amax(1)
            v_next = torch.where(done, torch.zeros_like(v_next), v_next)
            y = r + discount * v_next
        return self.gradient_step(s, a, y, w, parts)

    def run_episode(self) -> dict[str, Any]:
        """Play and learn from one episode; returns its log row."""
        env, d = self.env, self.cfg.dqn
        _, info = env.reset()
        inst, ep = env.instance, self.episode
        self.replay.register(ep, env.state.tables[0])
        x, cur = env.compact_state()
        pot = info["potential"]
        total, losses = 0.0, []
        window = NStepWindow(d.n_step, d.gamma)
        while True:
            a = self.act(env.state.observation(), env.state.action_mask()[0])
            _, r, term, _, info = env.step(a)
            nx, ncur = env.compact_state()
            npot = info["potential"]
            for (x0, c0, p0, a0), ret, disc, last in window.push((x, cur, pot, a), r, term):
                shaped = ret + (0.0 if term else disc * npot) - p0
                self.replay.add({"ep": ep, "x": _pad(x0, self.U), "cur": c0, "action": a0,
                                 "reward": shaped, "discount": disc,
                                 "next_x": _pad(nx, self.U), "next_cur": ncur, "done": term},
                                last)
            x, cur, pot = nx, ncur, npot
            total += r
            self.count_step(losses)
            if term:
                break
        self.replay.finish_episode(ep)
        greedy, _ = myopic_greedy(inst, env.state.gain_tables[0])
        row = {"episode": self.episode + 1, "steps": self.steps, "users": inst.n_users,
               "sites": inst.n_sites, "reward": total, "objective": info["objective"],
               "greedy": greedy, "gap": relative_gap(greedy, info["objective"]),
               "granted": int((info["site"] >= 0).sum()), "mean_pai": info["mean_pai"],
               "mean_latency": info["mean_latency"], **self.learning_columns(losses)}
        self.episode += 1
        return row

    def evaluate(self) -> tuple[float, float, float, float, float]:
        """Greedy policy on the validation set against the reference optimum: (sum gap,
        mean relative gap, mean gap per user, mean objective, median relative gap)."""
        sites, _, _ = greedy_sites(self.online, self.eval_set, self.cfg.features,
                                   integer=self.integer)
        vals = [evaluate_multi(x, final_multi_solution(x, s, self.integer)).objective
                for x, s in zip(self.eval_set, sites, strict=True)]
        return gap_scores(self.eval_opt, vals, [x.n_users for x in self.eval_set])

    def checkpoint_meta(self, which: str) -> dict[str, Any]:
        """Sidecar content: the base trainer's plus the solver name and the reference."""
        meta = super().checkpoint_meta(which)
        meta["solver"] = "dqn-multi"
        s, r = self.cfg.scope, self.cfg.run
        meta["validation"].update(
            reference=self.reference, users=list(s.eval_users), sites=list(s.eval_sites),
            seeds=[r.eval_seed, r.eval_seed + r.eval_instances - 1] if r.eval_seed >= 0
            else None)
        return meta


def _pad(x: np.ndarray, U: int) -> np.ndarray:
    out = np.full(U, -1, dtype=np.int8)
    out[: x.size] = x
    return out
