"""Speed of the exact solver and of the split-point closed form (issue 3 targets).

Run with ``--benchmark-enable``; in the normal suite each benchmark runs once, unchecked.
Targets on the project's 2-core machine: exact at 20 users <= 1 ms, at 100,000 users <= 1 s.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from gqap.offloading.generator import generate_offloading
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.split import optimal_split
from gqap.solvers import make_solver

TARGET_S = {20: 1e-3, 100_000: 1.0}


@cache
def instance(n_users: int) -> OffloadingInstance:
    """The paper's scenario; B_max = 18 at 20 users (the authors' value), |I| above."""
    b_max = 18 if n_users == 20 else n_users
    return generate_offloading(np.random.default_rng(0), n_users, B_max=b_max, seed=0)


def check_target(benchmark, n_users: int) -> None:
    target = TARGET_S.get(n_users)
    benchmark.extra_info["target_s"] = target
    if target is not None and not benchmark.disabled:
        assert benchmark.stats.stats.median <= target


@pytest.mark.parametrize("n_users", [20, 1_000, 10_000, 100_000])
def test_bench_exact(benchmark, n_users):
    inst = instance(n_users)
    solver = make_solver("exact")
    result = benchmark(solver.solve, inst)
    assert result.status == "optimal" and result.solution.b == result.info["b"]
    benchmark.extra_info.update(b=result.info["b"], b_examined=result.info["b_examined"],
                                gain_evaluations=result.info["gain_evaluations"])
    check_target(benchmark, n_users)


@pytest.mark.parametrize("n_users", [20, 100_000])
def test_bench_optimal_split(benchmark, n_users):
    inst = instance(n_users)
    n = benchmark(optimal_split, inst, 10)
    assert n.shape == (n_users,) and np.all((n >= inst.N_hat) & (n <= inst.N))


def growth_exponent(json_path: str) -> tuple[dict[int, float], float]:
    """Medians (s) of ``test_bench_exact`` per user count from a ``--benchmark-json`` file
    and the least-squares slope of log(median) against log(users) over 1,000 .. 100,000."""
    import json

    with open(json_path) as f:
        benches = json.load(f)["benchmarks"]
    medians = {int(b["params"]["n_users"]): b["stats"]["median"] for b in benches
               if b["name"].startswith("test_bench_exact[")}
    large = sorted(n for n in medians if n >= 1000)
    slope = np.polyfit(np.log(large), np.log([medians[n] for n in large]), 1)[0]
    return medians, float(slope)


if __name__ == "__main__":  # python tests/benchmarks/test_bench_exact.py BENCH.json
    import sys

    med, k = growth_exponent(sys.argv[1])
    for users, m in sorted(med.items()):
        print(f"exact, {users:>7,} users: median {m * 1e3:9.3f} ms")
    print(f"fitted growth exponent (1,000 .. 100,000 users): {k:.2f}")
