"""Genetic algorithm for the three families, built on DEAP's toolbox and operators.

Paper configuration by default: population 100, 200 generations (Section VI-C).

Encoding and operators. GQAP: one gene per facility holding its site; offloading: one
bit per user (granted or not). Both are fixed-length assignment vectors, so position-wise
operators keep every child a valid assignment: uniform crossover (``tools.cxUniform``,
each gene from either parent with probability 1/2, no positional bias as with one-point
crossover on an arbitrary facility order), per-gene mutation with probability 1/n
(``tools.mutUniformInt``: a random site; ``tools.mutFlipBit`` for grant bits), and
tournament selection of size 3 (``tools.selTournament``) rather than the paper's roulette:
roulette needs positive fitness and is scale-dependent, while offloading objectives are
negative and GQAP is minimised; tournaments only compare. The best individual always
survives (elitism).

Multi-cluster: one gene per user holding 0 (denied) or 1 + its site, the same operators
(``tools.mutUniformInt`` over 0..S). A child with more than B_s users on a site loses the
users with the lowest gain there (gains at count B_s) until it fits; every granted user
takes its best split for its site's count (the gain table, ``gqap.multi.split``) and the
population is scored at once by ``evaluate_multi_batch``.

Capacity. GQAP: repair, then penalty. Each overloaded child is repaired greedily: among
the shifts and swaps that reduce the overload, the one with the least cost change plus
lambda times overload change is applied until the assignment fits (``solvers.gqap_delta``
prices the moves); the repaired genes replace the child's (Lamarckian). A child the
repair cannot fix keeps a fitness worse than every feasible one (cost plus a dominating
overload penalty). Offloading: a child granting
more than B_max users loses its lowest-gain grants (gains at b = B_max) until b = B_max.

Fitness is vectorised over the population: ``gqap_cost_batch`` and ``site_loads_batch``
for GQAP; for offloading every user's best split and gain g_i(b) come from
``gqap.offloading.split.grant_gains`` once per distinct b (cached for the run), and an individual's
value is sum(denied QoE) + sum over its granted users of g_i(b).

Time. The clock starts at the top of the solve call. Every loop checks it at a bounded
interval: the initial population and each generation are built, varied and scored in
chunks of about ``_CHUNK_GENES`` genes (a handful of individuals on huge instances, the
whole population on small ones), and a GQAP repair checks it at every step. A generation
cut by the clock is dropped (its scored children still count for the best), so a run ends
within one chunk's work of the limit.

Randomness. DEAP's operators draw from the ``random`` module. Each solve owns a
``random.Random(seed)``; around every call into DEAP its state is swapped into the module
and taken back out afterwards, restoring the caller's module state, so the same seed gives
the same run and nothing leaks into, or is disturbed by, other users of ``random`` (not
thread-safe: do not run two solves in threads of one process). The initial population
comes from ``numpy.random.default_rng(seed)``.

The package: ``problems`` (one ``Problem`` per family: encoding, mutation, repair, batch
fitness, decision), ``evolve`` (``GAOptions`` and the DEAP loop, its clock and its random
streams) and ``solver`` (``GASolver``).
"""

from gqap.solvers.ga.evolve import GAOptions, deap_random
from gqap.solvers.ga.problems import PROBLEMS, Problem
from gqap.solvers.ga.solver import GASolver

__all__ = ["PROBLEMS", "GAOptions", "GASolver", "Problem", "deap_random"]
