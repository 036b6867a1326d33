"""The ``ga`` adapter: the solve call builds the family's problem, then runs the loop."""

from __future__ import annotations

import time

from gqap.family import Instance
from gqap.solvers.base import Solver, SolverOutput
from gqap.solvers.ga.evolve import GAOptions, evolve
from gqap.solvers.ga.problems import PROBLEMS


class GASolver(Solver):
    """DEAP genetic algorithm: uniform crossover, per-gene mutation, tournament, elitism."""

    name = "ga"
    families = ("offloading", "classic", "multi")
    # 2: clock checked inside generations (chunks), vectorised grant repair; same runs as 1
    # wherever no limit cuts a generation.
    version = "2"
    Options = GAOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        start = time.perf_counter()  # the clock covers building the problem
        problem = PROBLEMS[instance.family](instance, self.options)
        return evolve(problem, self.options, time_limit, seed, start)
