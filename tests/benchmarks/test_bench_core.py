"""Speed of the hot paths every solver and the harness lean on: the evaluator (both
families, both latency models), batched GQAP costs and loads, split points over arrays of
batch sizes, and the gains of granting. Each asserts its result so a fast wrong answer
cannot pass."""

from __future__ import annotations

import numpy as np
import pytest

from gqap.classic.evaluation import gqap_cost, gqap_cost_batch, site_loads_batch
from gqap.evaluation import evaluate
from gqap.offloading.split import grant_gains, optimal_split


@pytest.mark.parametrize("n_users", [20, 1000])
@pytest.mark.parametrize("model", ["paper", "dynamic-batch"])
def test_bench_evaluate_offloading(benchmark, offloading_case, n_users, model):
    inst, sol = offloading_case(n_users)
    ev = benchmark(evaluate, inst, sol, model)
    assert ev.feasible and ev.b == min(n_users, 18) and ev.qoe.shape == (n_users,)


@pytest.mark.parametrize(("n", "m"), [(20, 15), (50, 10)])
def test_bench_evaluate_gqap(benchmark, gqap_case, n, m):
    inst, sol, _ = gqap_case(n, m)
    ev = benchmark(evaluate, inst, sol)
    assert ev.objective == pytest.approx(gqap_cost(inst, sol.assignment))


def test_bench_gqap_cost_batch(benchmark, gqap_case):
    inst, _, pop = gqap_case(30, 20, 200)
    costs = benchmark(gqap_cost_batch, inst, pop)
    assert costs.shape == (200,)
    assert costs[7] == pytest.approx(gqap_cost(inst, pop[7]))


def test_bench_site_loads_batch(benchmark, gqap_case):
    inst, _, pop = gqap_case(30, 20, 200)
    loads = benchmark(site_loads_batch, inst, pop)
    assert loads.shape == (200, 20)
    assert np.allclose(loads.sum(axis=1), inst.q.sum())


@pytest.mark.parametrize("n_users", [20, 1000])
def test_bench_optimal_split_over_batch_sizes(benchmark, offloading_case, n_users):
    inst, _ = offloading_case(n_users)
    bs = np.arange(1, 19)
    n = benchmark(optimal_split, inst, bs)
    assert n.shape == (18, n_users) and np.all((n >= inst.N_hat) & (n <= inst.N))
    assert np.array_equal(n[4], optimal_split(inst, 5))


@pytest.mark.parametrize("n_users", [20, 1000])
def test_bench_grant_gains(benchmark, offloading_case, n_users):
    inst, _ = offloading_case(n_users)
    bs = np.arange(1, 19)
    n, gain = benchmark(grant_gains, inst, bs)
    assert gain.shape == (18, n_users)
    assert np.all(np.diff(gain, axis=0) <= 1e-12)  # gains never grow with b
