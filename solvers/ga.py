"""Genetic algorithm for both families, built on DEAP's toolbox and operators.

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

from gqap.classic.evaluation import gqap_cost_batch, site_loads_batch
from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.family import Instance
from gqap.multi.evaluation import evaluate_multi_batch
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.multi.split import gain_table
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains
from gqap.solvers.base import Solver, SolverOutput
from gqap.solvers.gqap_delta import GQAPDelta
from gqap.solvers.options import SplitOptions
from gqap.solvers.termination import ITERATIONS, TIME_LIMIT, Progress, Termination

_TOL = 1e-9
_GAIN_CACHE_ROWS = 512  # batch sizes whose gains are kept (each row: one float per user)
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
        if self.population < 2:
            raise ValueError(f"population must be >= 2, got {self.population}")
        if self.generations < 0:
            raise ValueError(f"generations must be >= 0, got {self.generations}")
        for name in ("crossover", "mutation"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {getattr(self, name)}")
        if self.gene_rate is not None and not 0.0 < self.gene_rate <= 1.0:
            raise ValueError(f"gene_rate must lie in (0, 1], got {self.gene_rate}")
        if self.tournament < 1:
            raise ValueError(f"tournament must be >= 1, got {self.tournament}")
        if not 0 <= self.elite < self.population:
            raise ValueError(f"elite must lie in 0..population-1, got {self.elite}")
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number, got {self.target}")
        if self.stagnation is not None and self.stagnation < 1:
            raise ValueError(f"stagnation must be >= 1, got {self.stagnation}")


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
        problem = _PROBLEMS[instance.family](instance, self.options)
        return _evolve(problem, self.options, time_limit, seed, start)


class _Problem:
    """What the GA loop needs from a family: genes, operators, batch fitness, solution."""

    sense = "max"
    n_genes = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        raise NotImplementedError

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(repaired genes, fitness to maximise, objective or NaN where infeasible);
        ``expired()`` (optional) may cut a long repair short."""
        raise NotImplementedError

    def solution(self, genes: np.ndarray) -> Any:
        raise NotImplementedError

    def info(self, options: GAOptions) -> dict[str, Any]:
        """The family's own entries of the run's ``info``."""
        return {"split_mode": options.split}

    def fallback(self) -> tuple[np.ndarray, float] | None:
        """(genes, objective) to return when no feasible individual was ever seen."""
        return None


class _GQAPProblem(_Problem):
    sense = "min"

    def __init__(self, inst: GQAPInstance, options: GAOptions | None = None) -> None:
        self.inst = inst
        self.n_genes = inst.n
        self.delta = GQAPDelta(inst, np.zeros(inst.n, dtype=np.int64))
        # Any infeasible child must rank below every feasible one: span bounds every cost gap.
        vt = np.abs(inst.v * inst.t).sum()
        self.span = float(np.ptp(inst.a, axis=1).sum() + 2.0 * vt * np.abs(inst.d).max()) + 1.0
        C = self.delta.C
        # Price of one unit of overload in the repair: the mean cost spread per unit weight.
        self.lam = float(np.mean(C.max(axis=1) - C.min(axis=1))) / max(float(inst.q.mean()),
                                                                         1e-12)
        self.repairs = 0
        self.failed_repairs = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(0, self.inst.m, size=(size, self.inst.n))

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutUniformInt, low=0, up=self.inst.m - 1, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        inst = self.inst
        over = np.maximum(site_loads_batch(inst, X) - inst.Q, 0.0).sum(axis=1)
        for p in np.flatnonzero(over > _TOL):
            X[p] = self._repair(X[p], expired)
        over = np.maximum(site_loads_batch(inst, X) - inst.Q, 0.0).sum(axis=1)
        cost = gqap_cost_batch(inst, X)
        bad = over > _TOL
        penalised = np.where(bad, cost + self.span * (1.0 + over), cost)
        return X, -penalised, np.where(bad, np.nan, cost)

    def _repair(self, x: np.ndarray, expired: Any = None) -> np.ndarray:
        """Greedy repair: apply the move removing most overload per unit of added cost
        (stops unrepaired, counted as failed, once ``expired()`` says so)."""
        self.repairs += 1
        D = self.delta
        D.reset(x)
        n = self.inst.n
        upper = np.triu(np.ones((n, n), dtype=bool), 1)
        while D.overload > _TOL:
            if expired is not None and expired():
                self.failed_repairs += 1
                break
            S, dO, dC, dOs, _ = D.neighbourhood()
            dOs = np.where(upper & (D.x[:, None] != D.x[None, :]), dOs, 0.0)
            # Overload-reducing moves only, ranked by cost change + lam * overload change.
            rs = np.where(dO < -_TOL, S + self.lam * dO, np.inf)
            rw = np.where(dOs < -_TOL, dC + self.lam * dOs, np.inf)
            if not (np.isfinite(rs).any() or np.isfinite(rw).any()):
                self.failed_repairs += 1
                break
            if rs.min() <= rw.min():
                i, k = divmod(int(rs.argmin()), self.inst.m)
                D.shift(i, k)
            else:
                i, j = divmod(int(rw.argmin()), n)
                D.swap(i, j)
        return D.x.copy()

    def solution(self, genes: np.ndarray) -> GQAPSolution:
        return GQAPSolution(np.asarray(genes, dtype=np.int64))

    def info(self, options: GAOptions) -> dict[str, Any]:
        return {"failed_repairs": self.failed_repairs}

    def fallback(self) -> tuple[np.ndarray, float] | None:
        # No child was ever repaired into a fitting assignment: pack by first fit.
        packed = first_fit_decreasing(self.inst.q, self.inst.Q)
        if packed is None:
            return None
        return packed, float(gqap_cost_batch(self.inst, packed[None, :])[0])


class _OffloadingProblem(_Problem):
    sense = "max"

    def __init__(self, inst: OffloadingInstance, options: GAOptions) -> None:
        self.inst = inst
        self.integer = options.integer
        self.n_genes = inst.n_users
        self.b_max = inst.max_granted
        self.base = float(denied_qoe(inst).sum())
        self.gains: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.repairs = 0

    def table(self, bs: np.ndarray) -> None:
        """Best splits and gains for every b in ``bs`` not seen yet (one vectorised call)."""
        new = [int(b) for b in np.unique(bs) if b > 0 and int(b) not in self.gains]
        if new and len(self.gains) + len(new) > _GAIN_CACHE_ROWS:
            self.gains.clear()  # bounds memory on huge instances; rows are cheap to redo
            new = [int(b) for b in np.unique(bs) if b > 0]
        if new:
            split, gain = grant_gains(self.inst, np.array(new), integer=self.integer)
            for row, b in enumerate(new):
                self.gains[b] = (split[row], gain[row])

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Each individual has its own grant density, so many batch sizes b start alive.
        density = rng.uniform(0.0, 1.0, size=(size, 1))
        return (rng.uniform(size=(size, self.n_genes)) < density).astype(np.int64)

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutFlipBit, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = X.sum(axis=1)
        over = np.flatnonzero(b > self.b_max)
        if over.size:
            self.repairs += over.size
            if self.b_max == 0:
                X[over] = 0
            else:
                # Keep each over-full child's b_max highest-gain grants (gains at b = B_max)
                # by partial selection: O(|I|) per child.
                self.table(np.array([self.b_max]))
                gain = self.gains[self.b_max][1]
                keyed = np.where(X[over] == 1, gain[None, :], -np.inf)
                keep = np.argpartition(-keyed, self.b_max - 1, axis=1)[:, :self.b_max]
                X[over] = 0
                X[over[:, None], keep] = 1
            b = X.sum(axis=1)
        self.table(b)
        rows = np.zeros(X.shape)
        for bb in np.unique(b):
            if bb > 0:
                rows[b == bb] = self.gains[int(bb)][1]
        value = self.base + (X * rows).sum(axis=1)
        return X, value, value

    def solution(self, genes: np.ndarray) -> OffloadingSolution:
        grant = np.asarray(genes, dtype=bool)
        b = int(grant.sum())
        split = np.full(grant.size, float(self.inst.N))
        if b:
            self.table(np.array([b]))
            split = np.where(grant, self.gains[b][0], float(self.inst.N))
        return OffloadingSolution(grant, split)


class _MultiProblem(_Problem):
    sense = "max"

    def __init__(self, inst: MultiInstance, options: GAOptions) -> None:
        self.inst = inst
        self.n_genes = inst.n_users
        self.S = inst.n_sites
        self.table = gain_table(inst, integer=options.integer)
        self.users = np.arange(inst.n_users)
        self.repairs = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Each individual has its own grant density; granted users go to uniform sites.
        density = rng.uniform(0.0, 1.0, size=(size, 1))
        on = rng.uniform(size=(size, self.n_genes)) < density
        return np.where(on, rng.integers(1, self.S + 1, size=(size, self.n_genes)), 0)

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutUniformInt, low=0, up=self.S, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        site = X - 1
        inst, gain = self.inst, self.table.gain
        for s in range(self.S):
            on = site == s
            cap = int(inst.B_max[s])
            over = np.flatnonzero(on.sum(axis=1) > cap)
            if over.size == 0:
                continue
            self.repairs += over.size
            if cap == 0:
                site[over] = np.where(on[over], -1, site[over])
                continue
            # Keep the cap members with the highest gain at count B_s (partial selection).
            keyed = np.where(on[over], gain[min(cap, gain.shape[0] - 1), :, s][None, :],
                             -np.inf)
            keep = np.argpartition(-keyed, cap - 1, axis=1)[:, :cap]
            rows = site[over]
            rows[on[over]] = -1
            rows[np.arange(over.size)[:, None], keep] = s
            site[over] = rows
        counts = np.stack([(site == s).sum(axis=1) for s in range(self.S)], axis=1)
        col = np.maximum(site, 0)
        b = np.take_along_axis(counts, col, axis=1)
        split = np.where(site >= 0, self.table.split[b, self.users[None, :], col],
                         float(inst.N))
        value = evaluate_multi_batch(inst, site, split).objective
        return site + 1, value, value

    def solution(self, genes: np.ndarray) -> MultiSolution:
        return self.table.decision(np.asarray(genes, dtype=np.int64) - 1)


_PROBLEMS: dict[str, Any] = {"offloading": _OffloadingProblem, "classic": _GQAPProblem,
                             "multi": _MultiProblem}


def _assign(pop: list[_Individual], problem: _Problem,
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


def _evolve(problem: _Problem, options: GAOptions, time_limit: float | None,
            seed: int, start: float | None = None) -> SolverOutput:
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
