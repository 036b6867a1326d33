"""The online family as the DQN's MDP (scope ``online``): one step per period.

Action a is a price p_a (``env.price_levels``) per GPU and occupied decision moment. The
exact per-period method does the rest: the (g <= free, m) maximising
V_t(g, m) - g p_a min(m + 1, T - t) (``PeriodTable.priced``; moments past the horizon cost
nothing), then the exact decision for that (g, m) (``PeriodProblem.decision``): grants
and split points. Every step is feasible by construction, and the episode is a
``gqap.online.episode.Episode``, so the evaluator scores each period and would refuse a
broken decision. Reward: reward_scale (value of the period - its all-local value V_t(0, 0)).
The all-local value depends on no decision, so the best policy is the one for the plain
value, and the returns stay near 0 when little can be gained.

With ``exact=False`` (training) the environment skips building the decision and scoring
it: the period's value is V_t(g, m) and the pool advances by g GPUs for m moments
(``gqap.online.pool.advance``), which is what the exact decision does (the priced (g, m)
never has V_t(g, m) = V_t(g, m - 1), so its batch occupies exactly m later moments); a
test checks both modes give the same rewards. The periods' full tables are then kept per
training scenario, so a scenario met again costs no solve.

Observation (``view_period``, fixed scales, float32): the moment (t / T, periods
left, saturating at 30), the pool (G / 16, free / G, free GPUs at 1, 2, 3, 5, 8 and 12
moments ahead if nothing new starts), the period (users / 20, the rate now and its mean
over the next 8 periods / 10, the myopic gain V_t(free, M) - V_t(0, 0) over 10), then
per price level what it would do: g / G, m / 12 and the gain V_t(g, m) - V_t(0, 0) over 10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from gqap.online.episode import Episode
from gqap.online.generator import generate_online
from gqap.online.instance import OnlineHeader, OnlineInstance, PeriodRequests
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.online.pool import PoolState, advance
from gqap.solvers.dqn.config import ScopeConfig

AHEAD = (1, 2, 3, 5, 8, 12)  # moments ahead whose free GPUs the state shows
N_STATE = 4 + len(AHEAD) + 4
PER_LEVEL = 3
VALUE_SCALE, RATE_SCALE, G_SCALE, M_SCALE, USERS_SCALE, LEFT_CAP = 10.0, 10.0, 16.0, 12.0, \
    20.0, 30


def n_features(levels: int) -> int:
    """Width of the observation for ``levels`` price levels."""
    return N_STATE + PER_LEVEL * levels


@dataclass
class PeriodView:
    """One period as the policy sees it: the exact problem, its table on the free GPUs, the
    (g, m) each price level picks and the feature vector."""

    problem: PeriodProblem | None  # None when the table came from a cache (training)
    table: PeriodTable
    choices: list[tuple[int, int]]
    x: np.ndarray


def view_period(header: OnlineHeader, requests: PeriodRequests, pool: PoolState,
                levels: tuple[float, ...] | list[float],
                full: PeriodTable | None = None) -> PeriodView:
    """The period's exact table, each level's (g, m) and the observation. ``full``: the
    period's table for every g <= G, computed before; its rows g <= free are the table on
    the free GPUs (the last column binds nothing either way), so no problem is built."""
    if full is None:
        problem: PeriodProblem | None = PeriodProblem(header, requests)
        table = problem.values(g_max=pool.free)
    else:
        problem = None
        table = PeriodTable(full.value[: pool.free + 1], full.b[: pool.free + 1])
    T, t, G = header.n_periods, requests.t, header.G
    moments = np.minimum(np.arange(table.m_max + 1) + 1, T - t).astype(np.float64)
    choices = [table.priced(pool.free, p * moments) for p in levels]
    base = table.value[0, 0]
    rates = header.arrivals.rate_at(np.minimum(np.arange(t, t + 9), T - 1))
    state = [t / T, min(T - 1 - t, LEFT_CAP) / LEFT_CAP, G / G_SCALE, pool.free / G,
             *(pool.free_at(k) / G for k in AHEAD),
             requests.n_users / USERS_SCALE, float(rates[0]) / RATE_SCALE,
             float(rates[1:].mean()) / RATE_SCALE,
             (table.value[pool.free, table.m_max] - base) / VALUE_SCALE]
    per = [(g / G, m / M_SCALE, (table.value[g, m] - base) / VALUE_SCALE) for g, m in choices]
    x = np.array(state + [v for row in per for v in row], dtype=np.float32)
    return PeriodView(problem, table, choices, x)


def training_scenario(scope: ScopeConfig, seed: int) -> OnlineInstance:
    """Scenario of seed ``seed``: G uniform on ``scope.G``, the rate uniform on
    ``scope.rate``, then a constant-profile scenario of ``scope.periods`` periods, all from
    ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    G = int(rng.integers(scope.G[0], scope.G[1] + 1))
    rate = round(float(rng.uniform(*scope.rate)), 3)
    return generate_online(rng, scope.periods, rate, G, seed=seed)


class OnlineDQNEnv(gym.Env):
    """Episodes over training scenarios (or a given one), one step per period."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, scope: ScopeConfig, levels: tuple[float, ...],
                 reward_scale: float = 0.1, exact: bool = True) -> None:
        self.scope, self.levels, self.reward_scale = scope, tuple(levels), reward_scale
        self.exact = exact
        self.tables: dict[str, list[PeriodTable | None]] = {}
        self.observation_space = spaces.Box(-np.inf, np.inf, (n_features(len(levels)),),
                                            np.float32)
        self.action_space = spaces.Discrete(len(levels))
        self.instance: OnlineInstance | None = None
        self.episode: Episode | None = None
        self.view: PeriodView | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None,
              ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode on ``options["instance"]``, else on training scenario
        ``train_seed + k``, k drawn from the environment's generator."""
        super().reset(seed=seed)
        inst = (options or {}).get("instance")
        if inst is None:
            k = int(self.np_random.integers(self.scope.train_scenarios))
            inst = training_scenario(self.scope, self.scope.train_seed + k)
        self.instance = inst
        self.episode = Episode(inst)
        obs, _ = self.episode.reset()
        self.busy, self.total, self.t = obs.pool.busy, 0.0, 0
        self.view = self._view(obs.requests, obs.pool)
        return self.view.x, {"instance": inst.name, "G": inst.G,
                             "rate": inst.header.arrivals.rate}

    def action_masks(self) -> np.ndarray:
        """Every price level is allowed in every state."""
        return np.ones(len(self.levels), dtype=bool)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Decide the period at price level ``action``; the next period's observation
        (zeros after the last period)."""
        view, episode, inst = self.view, self.episode, self.instance
        if view is None or episode is None or inst is None:
            raise RuntimeError("OnlineDQNEnv.step: reset first")
        t, T = self.t, inst.n_periods
        g, m = view.choices[int(action)]
        if self.exact:
            obs, value, done, _, info = episode.step(view.problem.decision(g, m))
            pool = None if done else obs.pool
        else:  # the table's value and hold (see the module docstring)
            value, done, info = float(view.table.value[g, m]), t + 1 >= T, {"t": t}
            self.busy = advance(self.busy, g, m)
            pool = None if done else PoolState(t + 1, inst.G, self.busy)
        self.total += value
        self.t = t + 1
        reward = self.reward_scale * (value - float(view.table.value[0, 0]))
        info = {**info, "value": value, "gpus": g, "moments": m, "objective": self.total}
        if done:
            self.view = None
            return np.zeros(self.observation_space.shape, dtype=np.float32), reward, True, \
                False, info
        self.view = self._view(inst.period(t + 1), pool)
        return self.view.x, reward, False, False, info

    def _view(self, requests: PeriodRequests, pool: PoolState) -> PeriodView:
        """The period's view; in the fast mode from the scenario's cached full tables."""
        inst = self.instance
        if self.exact or inst.provenance is None or inst.provenance.get("seed") is None:
            return view_period(inst.header, requests, pool, self.levels)
        tables = self.tables.setdefault(inst.name, [None] * inst.n_periods)
        t = requests.t
        if tables[t] is None:
            tables[t] = PeriodProblem(inst.header, requests).values()
        return view_period(inst.header, requests, pool, self.levels, tables[t])
