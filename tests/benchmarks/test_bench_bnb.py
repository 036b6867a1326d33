"""Speed of the ``bnb`` branch and bound (issue 27): root bound time and node throughput
on fixed instances.

Run with ``--benchmark-enable``; in the normal suite each benchmark runs once, unchecked.
``extra_info`` records the root bound, the nodes, nodes per second and the kernel (numba
or numpy), so a comparison across machines reads throughput, not only seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from gqap.io import read_instance
from gqap.library import resolve_instance
from gqap.solvers import make_solver
from gqap.solvers.bnb import bound as B


def _read(ref: str):
    return read_instance(resolve_instance(ref))


@pytest.mark.parametrize("ref", ["lee-ma/C16X7-1115", "cordeau/20-15-35", "cordeau/50-10-65"])
@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_bench_bnb_root_bound(benchmark, ref, kernel):
    from gqap.solvers.bnb import kernels

    if kernel == "numba" and not kernels.AVAILABLE:
        pytest.skip("numba not installed")
    inst = _read(ref)
    P = B.problem(inst)
    nd = B.node(P, -np.ones(inst.n, dtype=np.int64))

    def root() -> float:
        M, nu, _, _ = B.ascent(nd, None, 60, inner=8, compiled=kernel == "numba")
        M, nu = np.round(M), np.round(nu)
        Lh = B.subproblems(nd, B.directed(nd, B.split(nd, M, nu, True)), True, nu,
                           kernel == "numba")
        return B.optimise_lambda(nd, Lh, None, np.inf, True, 4, kernel == "numba")[1]

    root()  # compile and warm caches outside the timing
    value = benchmark(root)
    assert np.isfinite(value)
    benchmark.extra_info.update(root_bound=value, kernel=kernel)


@pytest.mark.parametrize("ref", ["lee-ma/C12X4-F-H"])
def test_bench_bnb_nodes_per_second(benchmark, ref):
    inst = _read(ref)
    solver = make_solver("bnb", incumbent="none")
    solver.solve(inst, time_limit=30)   # compile outside the timing
    result = benchmark.pedantic(solver.solve, args=(inst,), kwargs={"time_limit": 2.0},
                                rounds=1, iterations=1)
    nodes = result.info["nodes"]
    assert nodes >= 1
    benchmark.extra_info.update(nodes=nodes, nodes_per_s=nodes / result.wall_time_s,
                                kernel=result.info["kernel"])
