"""Shared fixtures: the shipped literature sets and small instance builders."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from gqap.multi import MultiInstance, generate_multi
from gqap.offloading.generator import generate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.online import OnlineHeader, PeriodDecision, from_periods, score_period
from gqap.solvers.base import Deadline

ROOT = Path(__file__).resolve().parents[1]


class ExpiresAfter(Deadline):
    """A deadline that runs out after ``k`` checks (no clock involved)."""

    def __init__(self, k: int) -> None:
        super().__init__(1.0)
        self.left = k

    def expired(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.fixture
def cordeau_dir() -> Path:
    """The folder of the shipped Cordeau et al. (2006) set (instances/literature/cordeau)."""
    from gqap.library import set_dir

    return set_dir("cordeau")


@pytest.fixture
def lee_ma_dir() -> Path:
    """The folder of the shipped Lee & Ma (2004) set (instances/literature/lee-ma)."""
    from gqap.library import set_dir

    return set_dir("lee-ma")


def hand_instance(**changes) -> OffloadingInstance:
    """Two users with round numbers so every latency term can be computed by hand.

    F(n) = sigmoid(n) (a_F = 1, b_F = 0); l_R = [0.75, 0.5]; each granted user's l_T = 2 b;
    L_e(b) = b/2 + 0.5 (paper) or (b + 0.5)/2 (authors); L_i(1) = 2 for both users.
    """
    kw = dict(k_user=[1.0, 2.0], h_user=[1.0, 0.0], alpha=[2.0, 3.0],
              request_time=[0.25, 0.5], k_edge=1.0, h_edge=0.5, G=2, B_max=2, N=10,
              N_hat=4, a_F=1.0, b_F=0.0, K=1.0, W_max_hz=1.0, eta=1.0, s_p_bits=0.5,
              s_m_bits=1.5)
    kw.update(changes)
    return OffloadingInstance(**kw)


def random_offloading(seed: int, n_users: int, **kw) -> OffloadingInstance:
    """A generator instance with the given seed."""
    return generate_offloading(np.random.default_rng(seed), n_users, seed=seed, **kw)


def small_offloading(k: int, base: int) -> OffloadingInstance:
    """Case k of a family of small instances: 4..20 users, random G, B_max from 0 to a
    little above |I|, conventions alternating; ``base`` picks the family."""
    rng = np.random.default_rng(10 * base + k)
    n = int(rng.integers(4, 21))
    return random_offloading(base + k, n, G=int(rng.integers(1, 17)),
                             B_max=int(rng.integers(0, n + 3)),
                             convention=("paper", "authors-scripts")[k % 2])


def gqap_optimum(inst) -> float:
    """Minimum capacity-feasible cost by the brute-force solver (tested against itertools)."""
    from gqap.solvers import solve

    result = solve("brute-force", inst)
    assert result.status == "optimal"
    return float(result.objective)


def small_multi(seed: int) -> MultiInstance:
    """A small multi-cluster instance: 5..24 users on 1..4 sites, limits from 0 to above the
    user count, both latency conventions, shifts of 0, 40 or 120 steps."""
    rng = np.random.default_rng(seed)
    users, sites = int(rng.integers(5, 25)), int(rng.integers(1, 5))
    return generate_multi(rng, users, sites, seed=seed,
                          B_max=[int(x) for x in rng.integers(0, users // 2 + 3, sites)],
                          convention=("paper", "authors-scripts")[seed % 2],
                          delta_max=float(rng.choice([0.0, 40.0, 120.0])))


def tiny_online(seed: int):
    """Three periods of 1-2 users, G = 2, N = 6: small enough for brute force, K short
    enough that batches outlast periods."""
    rng = np.random.default_rng(seed)
    header = OnlineHeader(k_edge=0.04, h_edge=0.06, n_periods=3, G=2, B_max=2, N=6,
                          N_hat=3, a_F=0.8, b_F=2.0, K=0.25, W_max_hz=1e6, eta=10.0,
                          s_p_bits=216.0, s_m_bits=4.4e5,
                          convention=("paper", "authors-scripts")[seed % 2])
    periods = []
    for _ in range(3):
        n = int(rng.integers(1, 3))
        periods.append({"k_s": rng.uniform(0.0, 0.1, n).tolist(),
                        "h_s": rng.uniform(0.05, 0.15, n).tolist(),
                        "alpha": rng.uniform(0.0, 2.0, n).tolist(),
                        "request_time_s": np.sort(rng.uniform(0, 0.25, n)).tolist()})
    return from_periods(header, periods, name=f"tiny-{seed}")


def brute_hindsight(inst) -> float:
    """Best total over every decision sequence; free GPUs by absolute moments."""
    h = inst.header
    per_period = []
    for t in range(inst.n_periods):
        users = inst.period(t)
        n = users.n_users
        options = [PeriodDecision.deny(n, h.N)]
        for g in range(1, h.G + 1):
            for r in range(1, min(n, h.B_max) + 1):
                for chosen in itertools.combinations(range(n), r):
                    for ns in itertools.product(range(h.N_hat, h.N + 1), repeat=r):
                        grant = np.zeros(n, dtype=bool)
                        grant[list(chosen)] = True
                        split = np.full(n, float(h.N))
                        split[list(chosen)] = ns
                        options.append(PeriodDecision(g, grant, split))
        scored = [(d, score_period(h, users, d, h.G)) for d in options]
        per_period.append([(d.gpus, s.hold_s, s.value) for d, s in scored])

    def best(t, batches):
        if t == inst.n_periods:
            return 0.0
        tau = (t + 1) * h.K
        free = h.G - sum(g for start, end, g in batches if start < tau and end > tau + 1e-9)
        out = -np.inf
        for g, hold, value in per_period[t]:
            if g <= free:
                out = max(out, value + best(t + 1, batches + [(tau, tau + hold, g)]))
        return out

    return best(0, [])
