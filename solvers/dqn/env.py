"""The paper's MDP (Section V-C1) as a Gymnasium environment, plus its batched state.

One step per user, in request order (instance index order): action 1 grants the current
user's request, 0 denies it. The state has a local sub-state per user,
[alpha_i, L_i(1), k_i; o_i] with o_i in {0 pending, 1 current, 2 granted, 3 denied}, and
a global sub-state [B_max, k_e/G, h_e; pending, granted, denied]. Users are cyclically
shifted so that the current one comes first (then the later users, then the earlier
ones); slots beyond the user count are padding (zero features, o = 3, ``valid`` 0) at the
end. The episode ends when every user is handled or when the grant count reaches B_max
(the rest are denied). The grant action is masked once B_max users are granted (only
reachable with B_max = 0; otherwise the episode has ended).

Reward (eq. 21, times ``reward_scale`` = 0.1): a non-terminal step pays alpha_t F(n_t).
The final b is unknown then, so n_t is the optimal split of user t at the current grant
count (user t included); a denied user has n_t = N. The terminal step pays the episode's
objective, from the shared evaluator with every granted user's split optimal for the final
b (gqap.offloading.split), minus everything paid before. The rewards therefore sum to
reward_scale * objective exactly (up to float rounding).

Features are divided by fixed scales (``FeatureScales``): alpha / 50, L_i(1) / 0.1 s,
k_i / K, B_max / 20, the edge slope (k_e/G in the paper's convention) and intercept (h_e)
/ 0.01 s, counts / 20. Fixed divisors keep the policy a pure function of the instance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.io import read_instance
from gqap.offloading.generator import generate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import optimal_split
from gqap.solvers.dqn.config import FeatureScales, ScopeConfig, TrainConfig

PENDING, CURRENT, GRANTED, DENIED = 0, 1, 2, 3
N_LOCAL, N_GLOBAL = 3, 6


def static_features(inst: OffloadingInstance,
                    scales: FeatureScales) -> tuple[np.ndarray, np.ndarray]:
    """Normalised static parts: per user (I, 3) [alpha, L_i(1), k_i] and global (3,)
    [B_max, edge slope, edge intercept], float32."""
    users = np.stack([inst.alpha / scales.alpha,
                      inst.local_step_latency / scales.step_s,
                      inst.request_time / inst.K], axis=1).astype(np.float32)
    intercept = float(inst.edge_step_latency(0.0))
    slope = float(inst.edge_step_latency(1.0)) - intercept
    glob = np.array([inst.B_max / scales.count, slope / scales.edge_s,
                     intercept / scales.edge_s], dtype=np.float32)
    return users, glob


def observe(users: np.ndarray, n_users: np.ndarray, glob: np.ndarray, ind: np.ndarray,
            cur: np.ndarray, count_scale: float) -> dict[str, np.ndarray]:
    """Network input of B states from their compact form (unrotated, padded arrays).

    users (B, U, 3), n_users (B,), glob (B, 3), ind (B, U), cur (B,) -> ``local`` (B, U, 3)
    and ``indicator`` (B, U) rotated so that user ``cur`` comes first, ``global`` (B, 6),
    ``valid`` (B, U) marking real users.
    """
    B, U = ind.shape
    n = np.asarray(n_users, dtype=np.int64)[:, None]
    j = np.arange(U)[None, :]
    valid = j < n
    src = np.where(valid, (np.asarray(cur, dtype=np.int64)[:, None] + j) % np.maximum(n, 1), j)
    local = np.take_along_axis(users, src[:, :, None], axis=1)
    rot = np.take_along_axis(ind, src, axis=1)
    pending = ((ind == PENDING) | (ind == CURRENT)) & valid
    granted = ind == GRANTED
    denied = (ind == DENIED) & valid
    counts = np.stack([pending.sum(1), granted.sum(1), denied.sum(1)], axis=1) / count_scale
    return {"local": local.astype(np.float32, copy=False), "indicator": rot.astype(np.int64),
            "global": np.concatenate([glob, counts], axis=1).astype(np.float32),
            "valid": valid}


class DecisionBatch:
    """Lock-step state of B episodes padded to ``max_users``: the MDP's transition rule.

    The environment runs one of these (B = 1); the solver runs a whole batch, so both
    follow the same rule. Rows finish independently; finished rows ignore further actions.
    """

    def __init__(self, instances: Sequence[OffloadingInstance], max_users: int,
                 scales: FeatureScales) -> None:
        B, U = len(instances), max_users
        self.instances = list(instances)
        self.scales = scales
        self.users = np.zeros((B, U, N_LOCAL), dtype=np.float32)
        self.glob = np.zeros((B, 3), dtype=np.float32)
        self.n = np.array([inst.n_users for inst in instances], dtype=np.int64)
        too_big = np.flatnonzero(self.n > U)
        if too_big.size:
            i = int(too_big[0])
            raise GQAPError(f"instance {instances[i].name or i!s} has {self.n[i]} users; this "
                            f"policy is padded for at most {U}")
        self.b_max = np.array([inst.B_max for inst in instances], dtype=np.int64)
        self.ind = np.full((B, U), DENIED, dtype=np.int8)
        for r, inst in enumerate(instances):
            u, g = static_features(inst, scales)
            self.users[r, : inst.n_users] = u
            self.glob[r] = g
            self.ind[r, : inst.n_users] = PENDING
        self.ind[:, 0] = CURRENT
        self.cur = np.zeros(B, dtype=np.int64)
        self.granted = np.zeros(B, dtype=np.int64)
        self.done = np.zeros(B, dtype=bool)

    def action_mask(self) -> np.ndarray:
        """(B, 2) booleans: [deny allowed, grant allowed]; all False for finished rows."""
        live = ~self.done
        return np.stack([live, live & (self.granted < self.b_max)], axis=1)

    def observation(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Network input of the given rows (default all)."""
        r = slice(None) if rows is None else rows
        return observe(self.users[r], self.n[r], self.glob[r], self.ind[r], self.cur[r],
                       self.scales.count)

    def step(self, actions: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Apply one action per given row (default: every unfinished row); returns the
        rows that finished with this step. A masked action raises ValueError."""
        rows = np.flatnonzero(~self.done) if rows is None else np.asarray(rows, dtype=np.int64)
        a = np.asarray(actions, dtype=np.int64).reshape(-1)
        if a.shape != rows.shape:
            raise ValueError(f"expected {rows.size} actions, got {a.size}")
        if rows.size == 0:
            return rows
        mask = self.action_mask()[rows]
        if np.any((a < 0) | (a > 1)) or not np.all(mask[np.arange(rows.size), a]):
            raise ValueError("action not allowed by the action mask (or finished episode)")
        t = self.cur[rows]
        self.ind[rows, t] = np.where(a == 1, GRANTED, DENIED)
        self.granted[rows] += a
        finished = (t + 1 >= self.n[rows]) | ((a == 1) & (self.granted[rows] >= self.b_max[rows]))
        fin, cont = rows[finished], rows[~finished]
        if fin.size:
            sub = self.ind[fin]
            sub[sub == PENDING] = DENIED
            self.ind[fin] = sub
            self.done[fin] = True
        if cont.size:
            self.cur[cont] += 1
            self.ind[cont, self.cur[cont]] = CURRENT
        return fin

    def grants(self, row: int) -> np.ndarray:
        """Grant mask (n_users,) of a row; pending users count as denied."""
        return self.ind[row, : self.n[row]] == GRANTED

    def compact(self, row: int) -> dict[str, Any]:
        """The row's state in replay form (unrotated arrays, copies)."""
        return {"users": self.users[row].copy(), "n_users": int(self.n[row]),
                "glob": self.glob[row].copy(), "ind": self.ind[row].copy(),
                "cur": int(self.cur[row])}


def final_solution(inst: OffloadingInstance, grant: np.ndarray,
                   integer: bool = True) -> OffloadingSolution:
    """Grant mask -> solution with every granted split optimal for the final b."""
    b = int(grant.sum())
    split = np.full(inst.n_users, float(inst.N))
    if b:
        split = np.where(grant, optimal_split(inst, b, integer=integer), split)
    return OffloadingSolution(grant, split)


class EpisodeSampler:
    """Draws the instance of each episode from the scope (paper Section VI-C):
    ``general`` random G, user count and users; ``gpu`` fixed G; ``specific`` one file.
    The user count is uniform unless ``scope.users_power`` > 0 (weights n^-p)."""

    def __init__(self, scope: ScopeConfig, base_dir: str | Path | None = None) -> None:
        self.scope = scope
        self.instance: OffloadingInstance | None = None
        if scope.kind == "specific":
            self.instance = load_scope_instance(scope.instance, base_dir)

    @property
    def max_users(self) -> int:
        """The largest user count this sampler produces."""
        if self.instance is not None:
            return self.instance.n_users
        return self.scope.users[1]

    def sample(self, rng: np.random.Generator) -> OffloadingInstance:
        """One episode's instance, drawn with ``rng``."""
        if self.instance is not None:
            return self.instance
        s = self.scope
        if s.users_power:
            counts = np.arange(s.users[0], s.users[1] + 1)
            w = counts.astype(float) ** -s.users_power
            n = int(rng.choice(counts, p=w / w.sum()))
        else:
            n = int(rng.integers(s.users[0], s.users[1] + 1))
        G = int(rng.integers(s.G[0], s.G[1] + 1)) if s.kind == "general" else s.gpu_G
        b_max = int(rng.integers(s.B_max[0], s.B_max[1] + 1))
        return generate_offloading(rng, n, G, b_max, name=f"train-u{n}-g{G}")


def load_scope_instance(path: str, base_dir: str | Path | None = None) -> OffloadingInstance:
    """Read the specific scope's instance: ``path`` as given, else relative to base_dir."""
    p = Path(path)
    if not p.exists() and base_dir is not None and (Path(base_dir) / p).exists():
        p = Path(base_dir) / p
    inst = read_instance(p)
    if not isinstance(inst, OffloadingInstance):
        raise GQAPError(f"scope.instance: {path} is not an offloading instance")
    return inst


def episode_instance(source: Any, sampler: type, rng: np.random.Generator,
                     options: dict[str, Any] | None) -> Any:
    """The instance an episode plays (the envs' ``reset``): ``options["instance"]`` when
    given, else one drawn with ``rng`` from ``source`` when it is a ``sampler``, else
    ``source`` itself (one fixed instance)."""
    inst = (options or {}).get("instance")
    if inst is None:
        inst = source.sample(rng) if isinstance(source, sampler) else source
    return inst


class OffloadingEnv(gym.Env):
    """Gymnasium environment of the paper's grant/deny MDP (see the module docstring).

    ``source``: an EpisodeSampler (drawn with the env's own RNG at every reset) or one
    fixed instance. ``reset(options={"instance": inst})`` plays a given instance once.
    ``info`` carries ``action_mask``; at the end also ``objective``, ``grant``, ``split``,
    ``b``, ``mean_pai`` and ``mean_latency`` (evaluator values, unscaled).
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, source: EpisodeSampler | OffloadingInstance | None = None, *,
                 max_users: int = 20, reward_scale: float = 0.1, split: str = "integer",
                 scales: FeatureScales | None = None) -> None:
        super().__init__()
        if source is None:
            source = EpisodeSampler(ScopeConfig(users=(1, max_users)))
        if isinstance(source, EpisodeSampler) and source.max_users > max_users:
            raise ValueError(f"sampler draws up to {source.max_users} users; max_users is "
                             f"{max_users}")
        if split not in ("integer", "real"):
            raise ValueError(f"split must be 'integer' or 'real', got {split!r}")
        self.source = source
        self.max_users = max_users
        self.reward_scale = reward_scale
        self.integer = split == "integer"
        self.scales = scales or FeatureScales()
        U = max_users
        self.observation_space = spaces.Dict({
            "local": spaces.Box(0.0, np.inf, (U, N_LOCAL), np.float32),
            "indicator": spaces.MultiDiscrete(np.full(U, 4)),
            "global": spaces.Box(-np.inf, np.inf, (N_GLOBAL,), np.float32),
            "valid": spaces.MultiBinary(U),
        })
        self.action_space = spaces.Discrete(2)
        self.instance: OffloadingInstance | None = None
        self.state: DecisionBatch | None = None
        self._paid = 0.0

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Start an episode: the given ``options['instance']`` or one drawn from the source."""
        super().reset(seed=seed)
        inst = episode_instance(self.source, EpisodeSampler, self.np_random, options)
        self.instance = inst
        self.state = DecisionBatch([inst], self.max_users, self.scales)
        self._paid = 0.0
        return self._obs(), {"action_mask": self.action_masks()}

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        """Grant (1) or deny (0) the current user; returns the paper's scaled reward."""
        st, inst = self.state, self.instance
        if st is None or st.done[0]:
            raise RuntimeError("step() called without reset() or after the episode ended")
        t = int(st.cur[0])
        a = int(action)
        if a not in (0, 1):
            raise ValueError(f"action must be 0 (deny) or 1 (grant), got {action!r}")
        st.step(np.array([a]), np.array([0]))
        info: dict[str, Any] = {}
        if st.done[0]:
            sol = final_solution(inst, st.grants(0), self.integer)
            ev = evaluate(inst, sol)
            raw = ev.objective - self._paid
            info.update(objective=ev.objective, grant=sol.grant, split=sol.split, b=sol.b,
                        mean_pai=float(ev.pai.mean()), mean_latency=float(ev.latency.mean()))
        else:
            n_t = float(inst.N)
            if a == 1:
                n_t = float(optimal_split(inst, int(st.granted[0]), integer=self.integer)[t])
            raw = float(inst.alpha[t] * inst.pai(n_t))
            self._paid += raw
        info["action_mask"] = self.action_masks()
        return self._obs(), self.reward_scale * raw, bool(st.done[0]), False, info

    # -- extras -------------------------------------------------------------------------------
    def action_masks(self) -> np.ndarray:
        """[deny allowed, grant allowed] for the current state."""
        return self.state.action_mask()[0].copy()

    def compact_state(self) -> dict[str, Any]:
        """The current state in the replay's compact form."""
        return self.state.compact(0)

    def _obs(self) -> dict[str, np.ndarray]:
        o = self.state.observation()
        return {"local": o["local"][0], "indicator": o["indicator"][0],
                "global": o["global"][0], "valid": o["valid"][0].astype(np.int8)}


def validation_set(cfg: TrainConfig, stream: np.random.SeedSequence,
                   base_dir: str | Path | None = None) -> list[Any]:
    """The run's fixed validation instances: drawn from the scope with uniform user counts,
    instance i from ``default_rng(run.eval_seed + i)`` when eval_seed >= 0, else all from
    ``stream`` (spawned from the run seed). The specific scope validates on its instance."""
    sampler = EpisodeSampler(dataclasses.replace(cfg.scope, users_power=0.0), base_dir)
    if cfg.scope.kind == "specific":
        return [sampler.sample(np.random.default_rng(stream))]
    n = cfg.run.eval_instances
    if cfg.run.eval_seed >= 0:
        return [sampler.sample(np.random.default_rng(cfg.run.eval_seed + i)) for i in range(n)]
    rng = np.random.default_rng(stream)
    return [sampler.sample(rng) for _ in range(n)]
