"""``lookahead``: roll out sampled futures and keep the first decision that does best.

A policy may know the arrival profile, not the arrivals. At each period the candidates are
the period's undominated (g, m) options that score best under the trained prices (plus the
priced and the myopic choice); each is followed over ``horizon`` sampled future periods by
the priced policy, on ``samples`` futures shared by all candidates (common random
numbers), and what the batches still hold after the horizon is charged at the trained
price. The candidate with the best mean wins, and the exact per-period decision for it is
returned. Future periods come from ``gqap.online.generator.sample_period``'s draw: a Poisson
count from the rate profile, then users drawn as the generator draws them; their exact
tables (``pool`` per user count, each from its own seed) are solved at reset, the likely
counts first, for up to 50 decision budgets, the others on first use, so a decision
mostly costs table look-ups, not solves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gqap.online.generator import draw_period
from gqap.online.instance import OnlineHeader, PeriodRequests
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.online.pool import PoolState, advance
from gqap.online.solution import PeriodDecision
from gqap.solvers.online.priced import PricedPolicy, priced_choice
from gqap.solvers.online_policy import OnlinePolicy, PolicySolver, RunOptions

RESET_BUDGETS = 50  # reset may solve sampled periods for this many decision budgets


class LookaheadPolicy(OnlinePolicy):
    """Rollouts of the priced policy over sampled futures, one decision at a time."""

    name = "lookahead"

    def __init__(self, horizon: int = 3, samples: int = 8, candidates: int = 6,
                 pool: int = 8, reset_limit_s: float | None = None) -> None:
        self.horizon, self.samples, self.n_candidates, self.pool = (
            horizon, samples, candidates, pool)
        self.reset_limit_s = reset_limit_s
        self.base = PricedPolicy("trained")

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:
        """Start a run: solve the likely sampled periods while the reset budget lasts."""
        self.header = header
        self.base.reset(header, seed)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.library: dict[tuple[int, int], PeriodTable] = {}
        # Likely counts first (Poisson probability above 1e-3 at the profile's lowest or
        # highest rate, ordered by their share over the horizon), for up to RESET_BUDGETS
        # decision budgets; the rest are solved on first use. Each table has its own seed,
        # so what was solved when never changes a decision, only its time.
        from scipy.stats import poisson

        start = time.perf_counter()
        limit = RESET_BUDGETS * header.budget_s
        if self.reset_limit_s is not None:
            limit = min(limit, self.reset_limit_s)
        rates = header.arrivals.rate_at(np.arange(header.n_periods))
        lo = int(poisson.ppf(1e-3, max(float(rates.min()), 1e-9)))
        hi = int(poisson.isf(1e-3, float(rates.max())))
        counts = np.arange(lo, hi + 1)
        share = poisson.pmf(counts[:, None], np.maximum(rates, 1e-9)[None, :]).mean(axis=1)
        for n in counts[np.argsort(-share, kind="stable")]:
            for k in range(self.pool):
                if time.perf_counter() - start > limit:
                    return
                self._solved(int(n), k)

    def _solved(self, n: int, k: int) -> PeriodTable:
        """Table k of the sampled periods with n users (drawn from its own seed)."""
        if (n, k) not in self.library:
            rng = np.random.default_rng((self.seed, n, k))
            self.library[(n, k)] = PeriodProblem(
                self.header, draw_period(rng, self.header, 0, n)).values()
        return self.library[(n, k)]

    def _table(self, t: int) -> PeriodTable:
        """A sampled future period t: a count from the profile, one of ``pool`` tables of
        that count."""
        n = int(self.rng.poisson(self.header.arrivals.rate_at(t)))
        return self._solved(n, int(self.rng.integers(self.pool)))

    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""
        h, t = self.header, requests.t
        problem = PeriodProblem(h, requests)
        table = problem.values(g_max=pool.free)
        charge = self.base.charge(t, table.m_max)
        options = table.options(pool.free)
        score = [table.value[g, m] - g * charge[m] for g, m in options]
        order = np.argsort(score, kind="stable")[::-1]
        candidates = [options[i] for i in order[: self.n_candidates]]
        myopic = (pool.free, table.m_max) if problem.b_lim else (0, 0)
        if myopic not in candidates:
            candidates.append(myopic)
        horizon = min(self.horizon, h.n_periods - 1 - t)
        if len(candidates) == 1 or horizon <= 0:
            return problem.decision(*candidates[0])
        futures = [[self._table(t + k) for k in range(1, horizon + 1)]
                   for _ in range(self.samples)]
        cum = np.concatenate([[0.0], np.cumsum(self.base.p)])
        T = h.n_periods
        totals = np.zeros(len(candidates))
        for path in futures:
            for c, (g, m) in enumerate(candidates):
                value = table.value[g, m]
                busy = advance(pool.busy, g, m)
                for k, tab in enumerate(path, start=1):
                    free = h.G - (busy[0] if busy else 0)
                    ch = self.base.charge(t + k, tab.m_max)
                    g2, m2 = priced_choice(tab, free, ch)
                    value += tab.value[g2, m2]
                    busy = advance(busy, g2, m2)
                # what is still held after the horizon, at the trained price
                s0 = t + horizon + 1  # busy[j]: GPUs held at moment s0 + j
                for j, b in enumerate(busy):
                    s = s0 + j
                    if s >= T:
                        break
                    value -= b * (cum[s + 1] - cum[s])
                totals[c] += value
        g, m = candidates[int(np.argmax(totals))]
        return problem.decision(g, m)


@dataclass(frozen=True)
class LookaheadOptions(RunOptions):
    """``horizon`` future periods, ``samples`` futures, ``candidates`` first decisions
    compared, ``pool`` cached sampled periods per user count."""

    horizon: int = 3
    samples: int = 8
    candidates: int = 6
    pool: int = 8

    def __post_init__(self) -> None:
        super().__post_init__()
        for key in ("horizon", "samples", "candidates", "pool"):
            if getattr(self, key) < 1:
                raise ValueError(f"{key} must be >= 1, got {getattr(self, key)}")


class LookaheadSolver(PolicySolver):
    """Sampled-future rollouts of the priced policy."""

    name = "lookahead"
    version = "2"  # tables solved at reset for up to 50 budgets (10 in 1): same decisions
    Options = LookaheadOptions

    def make_policy(self) -> OnlinePolicy:
        """A fresh policy configured from ``self.options``."""
        o = self.options
        return LookaheadPolicy(o.horizon, o.samples, o.candidates, o.pool)

    def policy_for(self, time_limit: float | None) -> OnlinePolicy:
        """The rollout policy, its reset given at most a fifth of the time limit."""
        policy = self.make_policy()
        policy.reset_limit_s = None if time_limit is None else 0.2 * time_limit
        return policy
