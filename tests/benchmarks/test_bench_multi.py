"""Speed of the multi-cluster exact solver against a plain enumeration (issue 14 targets).

Run with ``--benchmark-enable``; in the normal suite each benchmark runs once, unchecked,
and the plain enumeration runs only where it is quick. Targets (B_s = 18, generator
defaults, seed 0): proven optimum at S = 3 and 100 users <= 0.2 s, S = 4 and 100 users
<= 5 s, S = 5 and 50 users <= 60 s. With benchmarks enabled each case also times, once,
the plain method the issue measured (every count vector priced by the per-site top-b bound
in numpy, then assignments best bound first until the bound falls to the incumbent) and
records both times and their ratio in ``extra_info``:

    .venv/bin/python -m pytest tests/benchmarks/test_bench_multi.py --benchmark-enable \
        --benchmark-only --benchmark-json=multi.json
"""

from __future__ import annotations

import time
from functools import cache

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from gqap.multi import MultiInstance, gain_table, generate_multi
from gqap.solvers import make_solver

TARGET_S = {(3, 100): 0.2, (4, 100): 5.0, (5, 50): 60.0}
PLAIN_WHEN_DISABLED = {(3, 100)}  # quick enough for the normal suite


@cache
def instance(sites: int, users: int) -> MultiInstance:
    """Generator defaults (B_s = 18, delta_max = 40), seed 0."""
    return generate_multi(np.random.default_rng(0), users, sites, seed=0)


def plain_enumeration(inst: MultiInstance) -> tuple[float, int]:
    """(optimum, assignments solved) by the plain method: every count vector's per-site
    top-b bound (u = 0) in numpy, then assignments in decreasing bound order until the next
    bound cannot beat the incumbent."""
    table = gain_table(inst)
    S, b_max = inst.n_sites, inst.max_granted
    top = np.zeros((table.gain.shape[0], S))
    for s in range(S):
        for b in range(1, int(b_max[s]) + 1):
            top[b, s] = np.sort(table.gain[b, :, s])[::-1][:b].sum()
    grids = np.meshgrid(*[np.arange(int(k) + 1) for k in b_max], indexing="ij")
    V = np.stack([g.ravel() for g in grids], axis=1)
    V = V[V.sum(axis=1) <= inst.n_users]
    bound = table.base + top[V, np.arange(S)].sum(axis=1)
    best, solved = table.base, 0
    for k in np.argsort(-bound, kind="stable"):
        if bound[k] <= best:
            break
        if V[k].sum() == 0:
            continue
        M, _ = table.gain_matrix(V[k])
        r, c = linear_sum_assignment(M, maximize=True)
        best = max(best, table.base + float(M[r, c].sum()))
        solved += 1
    return best, solved


@pytest.mark.parametrize("sites,users", sorted(TARGET_S))
def test_bench_multi_exact(benchmark, sites, users):
    inst = instance(sites, users)
    solver = make_solver("exact")
    result = benchmark(solver.solve, inst)
    assert result.status == "optimal"
    benchmark.extra_info.update(
        target_s=TARGET_S[(sites, users)], vectors_total=result.info["vectors_total"],
        vectors_examined=result.info["vectors_examined"],
        vectors_enumerated=result.info["vectors_enumerated"])
    if benchmark.disabled and (sites, users) not in PLAIN_WHEN_DISABLED:
        return
    start = time.perf_counter()
    plain, solved = plain_enumeration(inst)
    plain_s = time.perf_counter() - start
    assert abs(plain - result.objective) <= 1e-9 * max(1.0, abs(plain))
    if not benchmark.disabled:
        median = benchmark.stats.stats.median
        benchmark.extra_info.update(plain_s=plain_s, plain_assignments=solved,
                                    speedup_over_plain=plain_s / median)
        assert median <= TARGET_S[(sites, users)]
