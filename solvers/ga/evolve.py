"""The GA loop on DEAP's toolbox and its options (package doc): uniform crossover, the
family's mutation, tournament selection, elitism; the clock read every chunk of genes,
DEAP's ``random`` draws on the solve's own stream.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from deap import base, tools

from gqap.solvers.base import SolverOutput
from gqap.solvers.ga.problems import Problem
from gqap.solvers.options import SplitOptions, check_at_least
from gqap.solvers.termination import ITERATIONS, TIME_LIMIT, Progress, Termination

_CHUNK_GENES = 1 << 19  # genes built, varied or scored between two looks at the clock


@dataclass(frozen=True)
class GAOptions(SplitOptions):
    """Population size, generations, crossover / mutation probabilities (per pair / per
    child), per-gene mutation rate (default 1/n), tournament size, elite count, an optional
    target objective and an optional stagnation limit (generations without a better best)."""

    population: int = 100
    generations: int = 200
    crossover: float = 0.8
    mutation: float = 0.3
    gene_rate: float | None = None
    tournament: int = 3
    elite: int = 1
    target: float | None = None
    stagnation: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, 2, "population")
        check_at_least(self, 0, "generations")
        for name in ("crossover", "mutation"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.gene_rate is not None and not 0.0 < self.gene_rate <= 1.0:
            raise ValueError(f"gene_rate must lie in (0, 1], got {self.gene_rate}")
        check_at_least(self, 1, "tournament")
        if not 0 <= self.elite < self.population:
            raise ValueError(f"elite must lie in 0..population-1, got {self.elite}")
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number, got {self.target}")
        check_at_least(self, 1, "stagnation")


class _Fitness(base.Fitness):
    """Single objective, maximised: GQAP stores minus the penalised cost."""

    weights = (1.0,)


class _Individual(list):
    """A DEAP individual: a list of genes with a fitness (no global ``creator`` classes)."""

    def __init__(self, genes: Any = ()) -> None:
        super().__init__(genes)
        self.fitness = _Fitness()


def _clone(ind: _Individual) -> _Individual:
    """Shallow copy of genes and fitness: genes are ints, so deepcopy's cost buys nothing."""
    out = _Individual(ind)
    if ind.fitness.valid:
        out.fitness.values = ind.fitness.values
    return out


@contextmanager
def deap_random(rng: random.Random) -> Iterator[None]:
    """Run DEAP's operators on ``rng``'s stream, restoring the ``random`` module afterwards."""
    saved = random.getstate()
    random.setstate(rng.getstate())
    try:
        yield
    finally:
        rng.setstate(random.getstate())
        random.setstate(saved)


def _assign(pop: list[_Individual], problem: Problem,
            expired: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate individuals at once; write repaired genes and fitness back."""
    X = np.array(pop, dtype=np.int64).reshape(len(pop), problem.n_genes)
    X, fit, obj = problem.evaluate(X, expired)
    for ind, genes, f in zip(pop, X.tolist(), fit.tolist(), strict=True):
        ind[:] = genes
        ind.fitness.values = (f,)
    return X, obj


def _vary(parents: list[_Individual], toolbox: base.Toolbox, options: GAOptions,
          chunk: int, expired: Any) -> list[_Individual] | None:
    """DEAP's ``algorithms.varAnd`` (same draws in the same order) with the clock read
    every ``chunk`` individuals; None when it expired."""
    offspring = []
    for k, ind in enumerate(parents):
        if k % chunk == 0 and expired():
            return None
        offspring.append(toolbox.clone(ind))
    for i in range(1, len(offspring), 2):
        if (i - 1) % chunk < 2 and expired():
            return None
        if random.random() < options.crossover:
            offspring[i - 1], offspring[i] = toolbox.mate(offspring[i - 1], offspring[i])
            del offspring[i - 1].fitness.values, offspring[i].fitness.values
    for i in range(len(offspring)):
        if i % chunk == 0 and expired():
            return None
        if random.random() < options.mutation:
            offspring[i], = toolbox.mutate(offspring[i])
            del offspring[i].fitness.values
    return offspring


def evolve(problem: Problem, options: GAOptions, time_limit: float | None,
            seed: int, start: float | None = None) -> SolverOutput:
    """Run the GA on ``problem`` from ``seed`` until the options' or the clock's stop;
    ``start`` is when the solve call's clock started (default: now)."""
    rng = np.random.default_rng(seed)
    py_rng = random.Random(seed)
    rate = options.gene_rate or 1.0 / max(1, problem.n_genes)
    toolbox = base.Toolbox()
    toolbox.register("clone", _clone)
    toolbox.register("mate", tools.cxUniform, indpb=0.5)
    problem.register_mutation(toolbox, rate)
    toolbox.register("select", tools.selTournament, tournsize=options.tournament)
    term = Termination(time_limit=time_limit, max_iterations=options.generations or None,
                       target=options.target, stagnation=options.stagnation)
    prog = Progress(term, problem.sense, start=start)
    best_genes: np.ndarray | None = None
    evaluations = 0
    # Individuals handled between two looks at the clock (the whole population when small).
    chunk = max(1, _CHUNK_GENES // max(1, problem.n_genes))

    def expired() -> bool:
        return prog.remaining() <= 0

    def offer(X: np.ndarray, obj: np.ndarray) -> None:
        nonlocal best_genes
        ok = np.flatnonzero(np.isfinite(obj))
        if ok.size:
            k = ok[np.argmin(obj[ok])] if problem.sense == "min" else ok[np.argmax(obj[ok])]
            if prog.record(float(obj[k])):
                best_genes = X[k].copy()

    def score(individuals: list[_Individual]) -> bool:
        """Evaluate in chunks, offering each; False when the clock cut it."""
        nonlocal evaluations
        for lo in range(0, len(individuals), chunk):
            if lo and expired():
                return False
            X, obj = _assign(individuals[lo:lo + chunk], problem, expired)
            evaluations += X.shape[0]
            offer(X, obj)
        return True

    search_start = time.perf_counter()
    pop: list[_Individual] = []
    reason = None
    for lo in range(0, options.population, chunk):
        # The first chunk is always built and scored, so a run always has a best.
        if lo and expired():
            reason = TIME_LIMIT
            break
        rows = problem.random_population(rng, min(chunk, options.population - lo))
        part = [_Individual(row) for row in rows.tolist()]
        score(part)
        pop.extend(part)
    if reason is None:
        reason = None if options.generations else ITERATIONS
        reason = reason or prog.stop_reason()
    while reason is None:
        with deap_random(py_rng):
            elite = tools.selBest(pop, options.elite) if options.elite else []
            parents = toolbox.select(pop, len(pop) - len(elite))
            children = _vary(parents, toolbox, options, chunk, expired)
        # Evaluate every child: repair may rewrite genes and varAnd keeps some fitnesses.
        if children is None or not score(children):
            reason = TIME_LIMIT  # the cut generation is dropped; its scored children count
            break
        pop = [toolbox.clone(ind) for ind in elite] + children
        prog.step()
        reason = prog.stop_reason()
    search_s = time.perf_counter() - search_start

    info = prog.info(reason)
    gens = prog.iteration
    info.update(generations=gens, evaluations=evaluations, search_s=search_s,
                generations_per_s=gens / search_s if search_s > 0 else None,
                evaluations_per_s=evaluations / search_s if search_s > 0 else None,
                population=options.population, repairs=problem.repairs)
    info.update(problem.info(options))
    if best_genes is None and (fallback := problem.fallback()) is not None:
        best_genes, value = fallback
        prog.record(value)
        info.update(prog.info(reason), fallback="first_fit_decreasing")
    solution = problem.solution(best_genes) if best_genes is not None else None
    return SolverOutput(solution, prog.status(reason), info=info)
