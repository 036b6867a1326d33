"""The public Python entry point: read or generate an instance, solve it with a named
solver, evaluate a solution, run a sweep, without knowing the module layout.

    import gqap
    inst = gqap.read("cordeau/20-15-35")                  # a file, or a shipped SET/NAME
    res = gqap.solve(inst, "tabu", time_limit=5, seed=0)  # a SolveResult, re-scored
    gqap.evaluate(inst, res.solution).objective
    gqap.sweep("default", out="runs/default")             # a config file, name or dict

``gqap/__init__.py`` forwards these names here on first use, so ``import gqap`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import GQAPError


def read(ref: str | Path) -> Any:
    """The instance in a file (JSON of any family, or Cordeau text) or the shipped
    instance ``SET/NAME`` (e.g. ``"fig11a/u20-c000"``)."""
    from gqap.io import read_instance

    return read_instance(ref)


def generate(family: str, *, seed: int = 0, **params: Any) -> Any:
    """A seeded instance of ``family`` (a name of ``gqap.family``: 'offloading',
    'classic', 'multi'); ``params`` are the family generator's keyword arguments (e.g.
    ``n_users=20`` or ``n_facilities=20, n_sites=15, capacity_ratio=0.35``). Same seed,
    same instance."""
    from gqap.family import family as family_spec
    from gqap.family import names

    if family not in names(aliases=True):
        raise GQAPError(f"generate: unknown family {family!r} ({', '.join(names())})")
    return family_spec(family).generate(np.random.default_rng(seed), seed=seed, **params)


def solve(instance: Any, solver: str = "exact", *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Any:
    """Solve ``instance`` (an instance, a file or ``SET/NAME``) with the registered
    ``solver``; returns a ``SolveResult`` whose objective the shared evaluator computed."""
    from gqap.solvers import make_solver

    inst = read(instance) if isinstance(instance, str | Path) else instance
    return make_solver(solver, **options).solve(inst, time_limit=time_limit, seed=seed)


def evaluate(instance: Any, solution: Any, latency_model: str = "paper") -> Any:
    """Objective, breakdown and constraint check of ``solution`` (an object or a file; a
    file written for another instance, by its recorded hash, is refused)."""
    from gqap.evaluation import evaluate as _evaluate
    from gqap.io import read_solution

    inst = read(instance) if isinstance(instance, str | Path) else instance
    sol = read_solution(solution, inst) if isinstance(solution, str | Path) else solution
    return _evaluate(inst, sol, latency_model)


def sweep(config: str | Path | dict[str, Any], out: str | Path, *, workers: int | None = None,
          progress: bool = False) -> Any:
    """Run (or resume) a benchmark sweep into ``out`` (``out/results.sqlite``): ``config``
    is a TOML file, the name of a shipped config ('default', 'fig11a', ...) or its content
    as a dict. Returns the sweep summary."""
    from gqap.bench.config import config_from_dict, load_config
    from gqap.bench.sweep import run_sweep

    cfg = config_from_dict(config) if isinstance(config, dict) else load_config(config)
    return run_sweep(cfg, out, workers=workers, progress=progress)


def available_solvers(family: str | None = None) -> list[str]:
    """Names of the registered solvers whose dependencies are installed."""
    from gqap.solvers import list_solvers

    return [s.name for s in list_solvers(family)]
