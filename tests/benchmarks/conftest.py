"""Shared inputs of the speed benchmarks (``pytest tests/benchmarks --benchmark-enable``).

Instances are built once per session from fixed seeds, so every run times the same work.
The committed baseline and the compare command are described in docs/BENCHMARKS.md.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from gqap.classic.generator import generate_gqap
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.offloading.generator import generate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import optimal_split


@cache
def offloading(n_users: int) -> OffloadingInstance:
    """The paper's scenario (G = 8, B_max = 18) with ``n_users`` users, seed 0."""
    return generate_offloading(np.random.default_rng(0), n_users, 8, 18, seed=0)


@cache
def offloading_solution(n_users: int) -> OffloadingSolution:
    """The earliest min(I, B_max) users granted with their optimal integer splits."""
    inst = offloading(n_users)
    grant = np.zeros(n_users, dtype=bool)
    grant[: inst.max_granted] = True
    split = np.where(grant, optimal_split(inst, int(grant.sum())), float(inst.N))
    return OffloadingSolution(grant, split)


@cache
def gqap(n: int, m: int) -> GQAPInstance:
    """A random Cordeau-style GQAP (capacity ratio 0.55), seed 0."""
    return generate_gqap(np.random.default_rng(0), n, m, 0.55, seed=0)


@cache
def gqap_population(n: int, m: int, size: int) -> np.ndarray:
    """``size`` random assignments of the (n, m) instance, seed 1."""
    return np.random.default_rng(1).integers(0, m, size=(size, n))


@pytest.fixture
def offloading_case():
    """Function returning (instance, solution) for a user count."""
    return lambda n_users: (offloading(n_users), offloading_solution(n_users))


@pytest.fixture
def gqap_case():
    """Function returning (instance, one assignment, a population) for (n, m, size)."""
    def make(n: int, m: int, size: int = 100):
        pop = gqap_population(n, m, size)
        return gqap(n, m), GQAPSolution(pop[0]), pop
    return make
