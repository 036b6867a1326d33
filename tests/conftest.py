"""Shared fixtures: the shipped literature sets and small instance builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gqap.multi import MultiInstance, generate_multi
from gqap.offloading.generator import generate_offloading
from gqap.offloading.instance import OffloadingInstance

ROOT = Path(__file__).resolve().parents[1]


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
