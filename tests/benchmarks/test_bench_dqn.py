"""Speed of the DQN policies (the paper's Table II claim: O(I) forward passes per solve).

Run with ``--benchmark-enable``; in the normal suite each benchmark runs once, unchecked.
Targets on the project's 2-core machine: dqn at 20 users <= 10 ms, dqn-set at 200 users
<= 0.5 s (one forward pass per user step; checkpoint loading is cached after the first).
"""

from __future__ import annotations

import pytest

from gqap.solvers import make_solver

from .conftest import offloading

TARGET_S = {("dqn", 20): 0.01, ("dqn-set", 200): 0.5}


@pytest.mark.parametrize(("solver", "n_users"), [("dqn", 20), ("dqn-set", 20),
                                                 ("dqn-set", 200)])
def test_bench_dqn_solve(benchmark, solver, n_users):
    inst = offloading(n_users)
    s = make_solver(solver)
    s.solve(inst)  # load and verify the checkpoint once, outside the timing
    result = benchmark(s.solve, inst)
    assert result.status == "feasible"
    assert result.info["forward_passes"] <= n_users
    target = TARGET_S.get((solver, n_users))
    benchmark.extra_info.update(target_s=target, forward_passes=result.info["forward_passes"])
    if target is not None and not benchmark.disabled:
        assert benchmark.stats.stats.median <= target
