"""Closed-form split points against enumeration of every whole step."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_offloading

from gqap.split import grant_gains, optimal_split, split_objective


@pytest.mark.parametrize("seed", range(6))
def test_integer_split_is_argmax_of_enumeration(seed):
    inst = random_offloading(seed, 12, G=[1, 2, 4, 8, 16, 3][seed],
                             convention="paper" if seed % 2 else "authors-scripts")
    bs = np.arange(1, 19)
    n = optimal_split(inst, bs)  # (18, 12)
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=float)
    for j, b in enumerate(bs):
        c = inst.local_step_latency - inst.edge_step_latency(b)
        vals = split_objective(inst, grid[:, None], c[None, :])  # (steps, users)
        best = vals.max(axis=0)
        # the largest n reaching the best value (ties to the larger n)
        argmax = grid[len(grid) - 1 - np.argmax(vals[::-1] >= best - 1e-12, axis=0)]
        np.testing.assert_array_equal(n[j], argmax)


def test_real_split_beats_every_integer_and_stays_in_range():
    inst = random_offloading(3, 50)
    n = optimal_split(inst, 10, integer=False)
    assert np.all((n >= inst.N_hat) & (n <= inst.N))
    c = inst.local_step_latency - inst.edge_step_latency(10)
    grid = np.arange(inst.N_hat, inst.N + 1, dtype=float)
    best_int = split_objective(inst, grid[:, None], c[None, :]).max(axis=0)
    assert np.all(split_objective(inst, n, c) >= best_int - 1e-12)


def test_edge_slower_than_local_keeps_everything_local():
    inst = random_offloading(1, 8, G=1)
    huge_b = 1000  # L_e(1000, 1) is far above every local step latency
    np.testing.assert_array_equal(optimal_split(inst, huge_b), inst.N)


def test_gains_never_increase_with_b():
    inst = random_offloading(4, 30)
    _, gain = grant_gains(inst, np.arange(1, 60))
    assert np.all(np.diff(gain, axis=0) <= 1e-12)
