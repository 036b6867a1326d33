"""The paper's MDP generalised to the multi-cluster family (docs/MULTI.md) as a Gymnasium
environment, plus its batched transition rule and its episode sampler. The state each
step observes is built by multi_features.py (its docstring lists the features).

One step per user, in request order (instance index order). Action 0 denies the current
user; action 1 + s grants it on site s (0-based). A site is masked once it holds B_s users,
and the actions of sites the instance does not have (s >= S, up to ``max_sites``) are
always masked; deny is always allowed. The mask is part of the observation and of
``info``; the environment treats a masked action as deny (and says so in ``info``), since
Gymnasium's spaces cannot express masks. The episode ends after the last user, or as soon
as every site is full (the remaining users are denied).

Reward (eq. 21 generalised, times ``reward_scale`` = 0.1): a non-terminal step pays
alpha_t F_{t,s}(n_t) where n_t is user t's best split on s at s's current count (user t
included), or alpha_t F(N) when denied. The terminal step pays the objective of the final
decision, scored once by the shared evaluator (``gqap.multi.evaluate_multi``) with every
granted user at its best split for the final counts, minus everything paid before; the
rewards sum to reward_scale x objective.

The env also reports ``info["potential"]`` = reward_scale (J(s) - P(s)): J(s) the objective
of stopping now (pending users denied) and P(s) the rewards paid so far. The trainer
learns Q - potential (an exact re-parametrisation of the same Q-function, see
multi_trainer.py).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gqap.errors import GQAPError
from gqap.multi import MultiInstance, MultiSolution, evaluate_multi, gain_table, generate_multi
from gqap.multi.split import best_splits
from gqap.solvers.dqn.config import FeatureScales, ScopeConfig
from gqap.solvers.dqn.env import DENIED, episode_instance
from gqap.solvers.dqn.multi_features import (
    CLIP,
    N_COUNTS,
    N_PAIR,
    N_SITE,
    N_USER,
    Packed,
    episode_tables,
    features,
    pack,
)

MAX_SITES = 8


class MultiDecisionBatch:
    """Lock-step state of B multi-cluster episodes: the MDP's transition rule, shared by
    the environment (B = 1), the trainer's validation and the solver. Finished rows
    ignore further actions."""

    def __init__(self, instances: list[MultiInstance], scales: FeatureScales,
                 integer: bool = True, max_sites: int | None = None) -> None:
        if max_sites is not None:
            big = [x for x in instances if x.n_sites > max_sites]
            if big:
                raise GQAPError(f"instance {big[0].name or '?'} has {big[0].n_sites} sites; "
                                f"this policy allows at most {max_sites}")
        self.instances = list(instances)
        self.scales = scales
        self.integer = integer
        built = [episode_tables(x, scales, integer) for x in instances]
        self.tables = [t for t, _ in built]
        self.gain_tables = [g for _, g in built]
        self.packed = pack(self.tables)
        B, U = len(instances), self.packed.users.shape[1]
        self.x = np.full((B, U), -1, dtype=np.int64)
        self.cur = np.zeros(B, dtype=np.int64)
        self.counts = np.zeros(self.packed.B_max.shape, dtype=np.int64)
        self.done = np.zeros(B, dtype=bool)

    def observation(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Features of the given rows (default all)."""
        if rows is None:
            return features(self.packed, self.x, self.cur, self.done, self.scales)
        p = self.packed
        sub = Packed(p.n[rows], p.S[rows], p.users[rows], p.sites[rows], p.shift[rows],
                     p.gain[rows], p.B_max[rows])
        return features(sub, self.x[rows], self.cur[rows], self.done[rows], self.scales)

    def action_mask(self) -> np.ndarray:
        """(B, 1 + S) booleans: [deny, site 0, ...]; all False for finished rows."""
        live = ~self.done
        open_ = (self.counts < self.packed.B_max) & live[:, None]
        return np.concatenate([live[:, None], open_], axis=1)

    def step(self, actions: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Apply one action per given row (default: every unfinished row): 0 deny, 1 + s
        site s. Returns the rows that finished. A masked action raises ValueError."""
        rows = np.flatnonzero(~self.done) if rows is None else np.asarray(rows, dtype=np.int64)
        a = np.asarray(actions, dtype=np.int64).reshape(-1)
        if a.shape != rows.shape:
            raise ValueError(f"expected {rows.size} actions, got {a.size}")
        if rows.size == 0:
            return rows
        mask = self.action_mask()[rows]
        if np.any((a < 0) | (a >= mask.shape[1])) or not np.all(mask[np.arange(rows.size), a]):
            raise ValueError("action not allowed by the action mask (or finished episode)")
        t = self.cur[rows]
        self.x[rows, t] = a - 1
        g = rows[a > 0]
        np.add.at(self.counts, (g, a[a > 0] - 1), 1)
        self.cur[rows] += 1
        all_full = np.all(self.counts[rows] >= self.packed.B_max[rows], axis=1)
        finished = rows[(self.cur[rows] >= self.packed.n[rows]) | all_full]
        for r in finished:  # the users left are denied
            self.x[r, self.cur[r]:] = -1
            self.cur[r] = self.packed.n[r]
        self.done[finished] = True
        return finished

    def sites(self, row: int) -> np.ndarray:
        """Site of each user of a row (-1 denied; undecided users count as denied)."""
        n = int(self.packed.n[row])
        x = self.x[row, :n].copy()
        x[np.arange(n) >= self.cur[row]] = -1
        return x

    def value_now(self, row: int) -> float:
        """J(s): the objective if every undecided user of the row were denied now."""
        x = self.sites(row)
        gt = self.gain_tables[row]
        return float(gt.objective(x))


def final_multi_solution(inst: MultiInstance, site: np.ndarray, integer: bool = True,
                         gt: Any = None) -> MultiSolution:
    """Site vector -> decision with every granted user at its best split for the final
    counts (integer from the gain table, else the real-valued closed form)."""
    site = np.asarray(site, dtype=np.int64)
    if integer:
        return (gt or gain_table(inst)).decision(site)
    counts = np.bincount(site[site >= 0], minlength=inst.n_sites)
    split = np.full(inst.n_users, float(inst.N))
    users = np.flatnonzero(site >= 0)
    if users.size:
        n = best_splits(inst, counts[None, :].astype(float), integer=False)
        split[users] = n[users, site[users]]
    return MultiSolution(site, split)


class MultiEpisodeSampler:
    """Draws each episode's instance from a ``multi`` scope: user count, site count and
    every site's batch limit uniform on their ranges, then ``generate_multi``."""

    def __init__(self, scope: ScopeConfig) -> None:
        self.scope = scope
        self.instance = None  # no fixed instance (the trainer's sidecar code asks)

    @property
    def max_users(self) -> int:
        """The largest user count this sampler produces."""
        return self.scope.users[1]

    @property
    def max_sites(self) -> int:
        """The largest site count this sampler produces."""
        return self.scope.sites[1]

    def sample(self, rng: np.random.Generator, users: tuple[int, int] | None = None,
               sites: tuple[int, int] | None = None) -> MultiInstance:
        """One episode's instance drawn with ``rng`` (ranges default to the scope's)."""
        s = self.scope
        u_lo, u_hi = users or s.users
        s_lo, s_hi = sites or s.sites
        n = int(rng.integers(u_lo, u_hi + 1))
        S = int(rng.integers(s_lo, s_hi + 1))
        b_max = rng.integers(s.B_max[0], s.B_max[1] + 1, size=S).tolist()
        return generate_multi(rng, n, S, B_max=b_max, delta_max=s.delta_max,
                              name=f"train-u{n}-x{S}")


class MultiOffloadingEnv(gym.Env):
    """Gymnasium environment of the multi-cluster MDP (see the module docstring).

    ``source``: a MultiEpisodeSampler (drawn with the env's own RNG at every reset) or one
    fixed instance; ``reset(options={"instance": inst})`` plays a given instance once.
    Observations are padded to ``max_users`` x ``max_sites``; ``info`` and the observation
    carry ``action_mask`` ([deny, site 0, ..., site max_sites - 1]); at the end ``info``
    also holds ``objective``, ``site``, ``split``, ``counts``, ``mean_pai`` and
    ``mean_latency`` (evaluator values, unscaled), and every step ``potential``.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, source: MultiEpisodeSampler | MultiInstance | None = None, *,
                 max_users: int = 50, max_sites: int = MAX_SITES, reward_scale: float = 0.1,
                 split: str = "integer", scales: FeatureScales | None = None) -> None:
        super().__init__()
        if source is None:
            source = MultiEpisodeSampler(ScopeConfig(kind="multi", users=(1, max_users),
                                                     sites=(1, max_sites)))
        if isinstance(source, MultiEpisodeSampler):
            if source.max_users > max_users or source.max_sites > max_sites:
                raise ValueError(f"sampler draws up to {source.max_users} users and "
                                 f"{source.max_sites} sites; the env holds {max_users} "
                                 f"and {max_sites}")
        elif source.n_users > max_users or source.n_sites > max_sites:
            raise ValueError(f"instance has {source.n_users} users and {source.n_sites} "
                             f"sites; the env holds {max_users} and {max_sites}")
        if split not in ("integer", "real"):
            raise ValueError(f"split must be 'integer' or 'real', got {split!r}")
        self.source = source
        self.max_users, self.max_sites = max_users, max_sites
        self.reward_scale = reward_scale
        self.integer = split == "integer"
        self.scales = scales or FeatureScales()
        U, S = max_users, max_sites
        inf = np.float32(np.inf)
        self.observation_space = spaces.Dict({
            "users": spaces.Box(0.0, inf, (U, N_USER), np.float32),
            "status": spaces.MultiDiscrete(np.full(U, 4)),
            "site_of": spaces.MultiDiscrete(np.full(U, S)),
            "pairs": spaces.Box(-CLIP, CLIP, (U, S, N_PAIR), np.float32),
            "sites": spaces.Box(-inf, inf, (S, N_SITE), np.float32),
            "counts": spaces.Box(0.0, inf, (N_COUNTS,), np.float32),
            "valid_users": spaces.MultiBinary(U),
            "valid_sites": spaces.MultiBinary(S),
            "action_mask": spaces.MultiBinary(S + 1),
        })
        self.action_space = spaces.Discrete(S + 1)
        self.instance: MultiInstance | None = None
        self.state: MultiDecisionBatch | None = None
        self._paid = 0.0

    # -- Gymnasium API ----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, np.ndarray], dict]:
        """Start an episode: ``options['instance']`` or one drawn from the source."""
        super().reset(seed=seed)
        inst = episode_instance(self.source, MultiEpisodeSampler, self.np_random, options)
        if inst.n_users > self.max_users or inst.n_sites > self.max_sites:
            raise ValueError(f"instance has {inst.n_users} users and {inst.n_sites} sites; "
                             f"the env holds {self.max_users} and {self.max_sites}")
        self.instance = inst
        self.state = MultiDecisionBatch([inst], self.scales, self.integer)
        self._paid = 0.0
        return self._obs(), {"action_mask": self.action_masks(),
                             "potential": self.potential()}

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        """Deny (0) or grant on site action - 1; returns the eq. 21 reward (scaled). A masked
        action (a full site, or a site the instance lacks) denies the user and is reported
        in ``info["masked_action"]``."""
        st, inst = self.state, self.instance
        if st is None or st.done[0]:
            raise RuntimeError("step() called without reset() or after the episode ended")
        a = int(action)
        if not 0 <= a <= self.max_sites:
            raise ValueError(f"action must be 0 (deny) or 1..{self.max_sites} (a site), "
                             f"got {action!r}")
        info: dict[str, Any] = {}
        if not self.action_masks()[a]:  # a full or missing site: the user is denied
            info["masked_action"] = a
            a = 0
        t = int(st.cur[0])
        st.step(np.array([a]), np.array([0]))
        if st.done[0]:
            sol = final_multi_solution(inst, st.sites(0), self.integer, st.gain_tables[0])
            ev = evaluate_multi(inst, sol)
            raw = ev.objective - self._paid
            self._paid = ev.objective
            info.update(objective=ev.objective, site=sol.site, split=sol.split_points,
                        counts=ev.counts, mean_pai=float(ev.pai.mean()),
                        mean_latency=float(ev.latency.mean()))
        else:
            if a == 0:
                raw = float(inst.alpha[t] * inst.pai_shifted(inst.N))
            else:
                s = a - 1
                n_t = self._split(t, s, int(st.counts[0, s]))
                raw = float(inst.alpha[t] * inst.pai(t, s, n_t))
            self._paid += raw
        info["action_mask"] = self.action_masks()
        info["potential"] = self.potential()
        return self._obs(), self.reward_scale * raw, bool(st.done[0]), False, info

    # -- extras -------------------------------------------------------------------------------
    def _split(self, t: int, s: int, b: int) -> float:
        if self.integer:
            return float(self.state.gain_tables[0].split[b, t, s])
        return float(best_splits(self.instance, float(b), integer=False)[t, s])

    def potential(self) -> float:
        """reward_scale (J(s) - P(s)): stopping now minus what was paid; 0 once done."""
        if self.state.done[0]:
            return 0.0
        return self.reward_scale * (self.state.value_now(0) - self._paid)

    def action_masks(self) -> np.ndarray:
        """[deny, site 0, ..., site max_sites - 1] allowed in the current state."""
        m = np.zeros(self.max_sites + 1, dtype=bool)
        mask = self.state.action_mask()[0]
        m[: mask.size] = mask
        return m

    def compact_state(self) -> tuple[np.ndarray, int]:
        """(site of each user, -1 for denied and undecided users; current user index)."""
        return self.state.sites(0), int(self.state.cur[0])

    def _obs(self) -> dict[str, np.ndarray]:
        o = self.state.observation()
        U, S = self.max_users, self.max_sites

        def pad(a: np.ndarray, shape: tuple[int, ...], fill: Any = 0) -> np.ndarray:
            out = np.full(shape, fill, dtype=a.dtype)
            out[tuple(slice(0, k) for k in a.shape)] = a
            return out

        return {"users": pad(o["users"][0], (U, N_USER)),
                "status": pad(o["status"][0], (U,), DENIED),
                "site_of": pad(o["site_of"][0], (U,)),
                "pairs": pad(o["pairs"][0], (U, S, N_PAIR)),
                "sites": pad(o["sites"][0], (S, N_SITE)),
                "counts": o["counts"][0],
                "valid_users": pad(o["valid_users"][0].astype(np.int8), (U,)),
                "valid_sites": pad(o["valid_sites"][0].astype(np.int8), (S,)),
                "action_mask": self.action_masks().astype(np.int8)}
