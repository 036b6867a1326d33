"""The paper's MDP generalised to the multi-cluster family (docs/MULTI.md) as a Gymnasium
environment, plus its batched transition rule and the state features.

One step per user, in request order (instance index order). Action 0 denies the current
user; action 1 + s grants it on site s (0-based). A site is masked once it holds B_s users,
and the actions of sites the instance does not have (s >= S, up to ``max_sites``) are
always masked; deny is always allowed. The mask is part of the observation and of
``info``; the environment treats a masked action as deny (and says so in ``info``), since
Gymnasium's spaces cannot express masks. The episode ends after the last user, or as soon
as every site is full (the remaining users are denied).

State (docs in solvers/dqn/README.md, "Multi-cluster policy"):

- per user j (local sub-state): [alpha_j, L_j(1), r_j / K] and its status o_j in
  {0 pending, 1 current, 2 granted, 3 denied}, plus the site it was granted on;
- per (user j, site s): the shift delta_js and three gain features from the convex inner
  problem at the current counts (``gqap.multi.gain_table``): g_js(b_s + 1), the gain of j
  joining s now; m_js = g_js(b_s + 1) + e_s, that gain plus the change e_s it causes to
  the users already on s (the marginal objective of the grant); and
  g_js(b_s + 1) - g_js(b_s), j's own loss when another user joins (0 on a full site);
- per site s (global sub-state): the latency profile (k_s, h_s, G_s, slope and intercept
  of L_s(b)), B_s, the upload time per user (s_p + s_m) / (eta W_s) (the bandwidth), the
  count b_s, the remaining room B_s - b_s, e_s and a full flag;
- counts: pending users other than the current one, granted, denied, S, total room.

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

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gqap.errors import GQAPError
from gqap.multi import MultiInstance, MultiSolution, evaluate_multi, gain_table, generate_multi
from gqap.multi.split import best_splits
from gqap.solvers.dqn.config import FeatureScales, ScopeConfig
from gqap.solvers.dqn.env import CURRENT, DENIED, GRANTED, PENDING, episode_instance

MAX_SITES = 8
N_USER, N_PAIR, N_SITE_STATIC, N_SITE, N_COUNTS = 3, 4, 7, 11, 5
_CLIP = 10.0  # scaled gain features are clipped to [-10, 10]


@dataclass(frozen=True)
class EpisodeTables:
    """What the features of every state of one instance are built from (numpy float32):
    static user and site features, scaled shifts, the gain table g[b, j, s] (-inf where
    b = 0 or b > min(B_s, I)), batch limits, and the objective of denying everyone
    (``base``, float)."""

    users: np.ndarray     # (I, N_USER)
    sites: np.ndarray     # (S, N_SITE_STATIC)
    shift: np.ndarray     # (I, S), delta / scales.shift
    gain: np.ndarray      # (max_s min(B_s, I) + 1, I, S)
    B_max: np.ndarray     # (S,) int64
    base: float

    @property
    def n_users(self) -> int:
        """I."""
        return int(self.users.shape[0])

    @property
    def n_sites(self) -> int:
        """S."""
        return int(self.sites.shape[0])


def episode_tables(inst: MultiInstance, scales: FeatureScales,
                   integer: bool = True) -> tuple[EpisodeTables, Any]:
    """(tables, gain table object) of an instance (the gain table gives the final splits)."""
    gt = gain_table(inst, integer=integer)
    S = np.arange(inst.n_sites)
    intercept = inst.site_step_latency(S, 0.0)
    slope = inst.site_step_latency(S, 1.0) - intercept
    users = np.stack([inst.alpha / scales.alpha, inst.local_step_latency / scales.step_s,
                      inst.request_time / inst.K], axis=1).astype(np.float32)
    sites = np.stack([inst.k_site / (scales.edge_s * 16.0), inst.h_site / scales.edge_s,
                      inst.G / 16.0, slope / scales.edge_s, intercept / scales.edge_s,
                      inst.B_max / scales.count,
                      inst.transmission_latency(S, 1.0) / scales.upload_s],
                     axis=1).astype(np.float32)
    tables = EpisodeTables(users=users, sites=sites,
                           shift=(inst.shift_steps / scales.shift).astype(np.float32),
                           gain=np.asarray(gt.gain, dtype=np.float32),
                           B_max=inst.B_max.astype(np.int64),
                           base=float(gt.base))
    return tables, gt


@dataclass
class Packed:
    """Tables of B states padded to (U users, S sites) for vectorised features."""

    n: np.ndarray         # (B,) users
    S: np.ndarray         # (B,) sites
    users: np.ndarray     # (B, U, N_USER)
    sites: np.ndarray     # (B, S, N_SITE_STATIC)
    shift: np.ndarray     # (B, U, S)
    gain: np.ndarray      # (B, nb, U, S), -inf padding
    B_max: np.ndarray     # (B, S), 0 for missing sites


def pack(tables: list[EpisodeTables], users: int | None = None,
         sites: int | None = None) -> Packed:
    """Pad the tables of B states (repeats allowed) into batch arrays."""
    B = len(tables)
    n = np.array([t.n_users for t in tables], dtype=np.int64)
    S = np.array([t.n_sites for t in tables], dtype=np.int64)
    U = int(users or n.max())
    SS = int(sites or S.max())
    nb = max(t.gain.shape[0] for t in tables) + 1  # one more row: b + 1 on a full site
    out = Packed(n=n, S=S, users=np.zeros((B, U, N_USER), np.float32),
                 sites=np.zeros((B, SS, N_SITE_STATIC), np.float32),
                 shift=np.zeros((B, U, SS), np.float32),
                 gain=np.full((B, nb, U, SS), -np.inf, np.float32),
                 B_max=np.zeros((B, SS), np.int64))
    for r, t in enumerate(tables):
        i, s = t.n_users, t.n_sites
        out.users[r, :i] = t.users
        out.sites[r, :s] = t.sites
        out.shift[r, :i, :s] = t.shift
        out.gain[r, : t.gain.shape[0], :i, :s] = t.gain
        out.B_max[r, :s] = t.B_max
    return out


def features(p: Packed, x: np.ndarray, cur: np.ndarray, done: np.ndarray | None = None,
             scales: FeatureScales | None = None) -> dict[str, np.ndarray]:
    """Network input of B states: ``x`` (B, U) site of each decided user (-1 denied; any
    value for users at or after ``cur``), ``cur`` (B,) the current user (I when the
    episode is over). Returns numpy arrays: users (B, U, 3), status (B, U), site_of (B, U),
    pairs (B, U, S, 4), sites (B, S, 11), counts (B, 5), valid_users (B, U),
    valid_sites (B, S), action_mask (B, 1 + S), site_counts (B, S)."""
    sc = scales or FeatureScales()
    B, U = p.users.shape[:2]
    SS = p.sites.shape[1]
    x = np.asarray(x, dtype=np.int64)[:, :U]
    cur = np.asarray(cur, dtype=np.int64)
    j = np.arange(U)[None, :]
    valid_u = j < p.n[:, None]
    valid_s = np.arange(SS)[None, :] < p.S[:, None]
    decided = (j < cur[:, None]) & valid_u
    current = (j == cur[:, None]) & valid_u
    pending = (j > cur[:, None]) & valid_u
    granted = decided & (x >= 0)
    status = np.full((B, U), DENIED, dtype=np.int64)
    status[pending] = PENDING
    status[current] = CURRENT
    status[granted] = GRANTED
    site_of = np.where(granted, x, 0)
    on = granted[:, :, None] & (site_of[:, :, None] == np.arange(SS)[None, None, :])
    b = on.sum(axis=1)  # (B, S)
    full = (b >= p.B_max) | ~valid_s
    nb = p.gain.shape[1]
    idx_next = np.minimum(b + 1, nb - 1)[:, None, None, :]
    idx_now = np.maximum(b, 1)[:, None, None, :]
    g_next = np.take_along_axis(p.gain, np.broadcast_to(idx_next, (B, 1, U, SS)), 1)[:, 0]
    g_now = np.take_along_axis(p.gain, np.broadcast_to(idx_now, (B, 1, U, SS)), 1)[:, 0]
    open_ = ~full[:, None, :] & valid_u[:, :, None] & np.isfinite(g_next)
    with np.errstate(invalid="ignore"):
        loss = np.where(open_ & np.isfinite(g_now), g_next - g_now, 0.0)
    ext = (loss * on).sum(axis=1)  # (B, S): change of the users on s if one more joins
    g_next = np.where(open_, g_next, 0.0)
    marg = np.where(open_, g_next + ext[:, None, :], 0.0)
    pairs = np.stack([p.shift, g_next / sc.gain, marg / sc.gain, loss / sc.gain], axis=3)
    pairs = np.clip(pairs, -_CLIP, _CLIP).astype(np.float32)
    room = np.where(valid_s, p.B_max - b, 0)
    dyn = np.stack([b / sc.count, room / sc.count, np.clip(ext / sc.gain, -_CLIP, _CLIP),
                    full & valid_s], axis=2).astype(np.float32)
    n_granted = granted.sum(1)
    counts = np.stack([pending.sum(1), n_granted, decided.sum(1) - n_granted, p.S,
                       room.sum(1)], axis=1).astype(np.float32)
    live = cur < p.n if done is None else ~np.asarray(done, dtype=bool)
    mask = np.concatenate([live[:, None], ~full & live[:, None]], axis=1)
    return {"users": p.users, "status": status, "site_of": site_of, "pairs": pairs,
            "sites": np.concatenate([p.sites, dyn], axis=2), "counts": counts,
            "valid_users": valid_u, "valid_sites": valid_s, "action_mask": mask,
            "site_counts": b}


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
            "pairs": spaces.Box(-_CLIP, _CLIP, (U, S, N_PAIR), np.float32),
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
