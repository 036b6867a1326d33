"""Speed of the metaheuristics (issue 5 targets).

Run with ``--benchmark-enable``; in the normal suite each benchmark runs once, unchecked.
Targets: tabu evaluates at least 1,000,000 moves per second on a 30 x 20 GQAP (whole
search: neighbourhood pricing, move choice and matrix updates); the GA's generations per
second at 20 users (offloading, population 100) are reported, without a target.
"""

from __future__ import annotations

from gqap.solvers import make_solver

TABU_ITERATIONS = 2000
MOVES_PER_S_TARGET = 1_000_000


def test_bench_tabu_moves_per_second(benchmark, gqap_case):
    inst, _, _ = gqap_case(30, 20)
    solver = make_solver("tabu", max_iterations=TABU_ITERATIONS)
    result = benchmark(solver.solve, inst, seed=0)
    info = result.info
    assert result.status == "feasible" and info["iterations"] == TABU_ITERATIONS
    # Moves per iteration: n (m - 1) shifts plus the swaps between different sites.
    assert info["evaluated_moves"] >= TABU_ITERATIONS * 30 * 19
    benchmark.extra_info.update(evaluated_moves=info["evaluated_moves"],
                                solver_moves_per_s=info["moves_per_s"],
                                iterations_per_s=info["iterations_per_s"],
                                target_moves_per_s=MOVES_PER_S_TARGET)
    if not benchmark.disabled:
        rate = info["evaluated_moves"] / benchmark.stats.stats.median
        benchmark.extra_info["moves_per_s"] = rate
        assert rate >= MOVES_PER_S_TARGET


def test_bench_ga_generations_per_second(benchmark, offloading_case):
    inst, _ = offloading_case(20)
    solver = make_solver("ga")  # the paper's configuration: 100 individuals, 200 generations
    result = benchmark(solver.solve, inst, seed=0)
    assert result.status == "feasible" and result.info["generations"] == 200
    benchmark.extra_info["solver_generations_per_s"] = result.info["generations_per_s"]
    if not benchmark.disabled:
        benchmark.extra_info["generations_per_s"] = 200 / benchmark.stats.stats.median
