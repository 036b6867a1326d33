"""The exact solver against enumeration of grant masks with each mask's best splits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import random_offloading

from gqap.evaluation import denied_qoe, granted_qoe
from gqap.split import optimal_split
from solvers import solve


def mask_enumeration(inst, integer=True):
    best = -np.inf
    for mask in itertools.product([False, True], repeat=inst.n_users):
        grant = np.array(mask)
        b = int(grant.sum())
        if b > inst.B_max:
            continue
        n = optimal_split(inst, max(b, 1), integer=integer)
        val = np.where(grant, granted_qoe(inst, b, n), denied_qoe(inst)).sum()
        best = max(best, val)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_exact_equals_mask_enumeration(seed):
    inst = random_offloading(seed, 1 + seed % 9, G=1 + seed % 8, B_max=seed % 5,
                             convention=("paper", "authors-scripts")[seed % 2])
    for split in ("integer", "real"):
        r = solve("exact", inst, split=split)
        assert r.status == "optimal"
        ref = mask_enumeration(inst, split == "integer")
        assert r.objective == pytest.approx(ref, rel=1e-12, abs=1e-9)
        assert r.bound == pytest.approx(r.objective, rel=1e-12)
        assert r.solution.b == r.info["b"] <= inst.B_max


def test_certificate_values_match_evaluator():
    inst = random_offloading(7, 40, B_max=40)
    r = solve("exact", inst)
    values = dict(r.info["b_values"])
    assert values[r.info["b"]] == pytest.approx(r.objective, rel=1e-12)
    assert max(values.values()) == pytest.approx(r.objective, rel=1e-12)
    # The scan stopped before B_max because of the positive-gain bound.
    if r.info["stopped_at_b"] is not None:
        assert r.info["stop_bound"] <= r.objective + 1e-9
