"""Shared fixtures: the reference folder beside the project and small instance builders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gqap.generators import generate_offloading
from gqap.instances import OffloadingInstance

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORDEAU = SHARED / "data" / "gqap" / "cordeau"


@pytest.fixture
def cordeau_dir() -> Path:
    """The shared Cordeau folder; tests using it skip with a reason when it is absent."""
    if not CORDEAU.is_dir():
        pytest.skip(f"reference instances not found at {CORDEAU} (../shared is absent)")
    return CORDEAU


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
