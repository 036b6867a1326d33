"""The evaluator of the classic GQAP: cost, site loads and capacity violations.

Every solver's solution is re-scored here; solvers may call the vectorised building blocks
(``gqap_cost_batch``, ``site_loads_batch``) but never re-implement the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import ValidationError
from gqap.evaluation import TOL, finite_objective


@dataclass(frozen=True)
class GQAPEvaluation:
    """Cost, per-site load and the sites whose capacity is exceeded."""

    objective: float
    loads: np.ndarray
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when every site's load is within its capacity."""
        return not self.violations


def gqap_cost(inst: GQAPInstance, x: np.ndarray) -> float:
    """sum_i a[i, x_i] + v * sum_{i,j} t[i, j] d[x_i, x_j] over all ordered pairs."""
    x = np.asarray(x, dtype=np.int64)
    linear = inst.a[np.arange(inst.n), x].sum()
    return float(linear + inst.v * np.einsum("ij,ij->", inst.t, inst.d[np.ix_(x, x)]))


def gqap_cost_batch(inst: GQAPInstance, X: np.ndarray) -> np.ndarray:
    """Costs of P assignments at once (X has shape (P, n))."""
    X = np.asarray(X, dtype=np.int64)
    linear = inst.a[np.arange(inst.n)[None, :], X].sum(axis=1)
    D = inst.d[X[:, :, None], X[:, None, :]]
    return linear + inst.v * np.einsum("ij,pij->p", inst.t, D)


def site_loads(inst: GQAPInstance, x: np.ndarray) -> np.ndarray:
    """Total facility weight placed on each site."""
    return np.bincount(np.asarray(x, dtype=np.int64), weights=inst.q, minlength=inst.m)


def site_loads_batch(inst: GQAPInstance, X: np.ndarray) -> np.ndarray:
    """Per-site loads of P assignments, shape (P, m)."""
    X = np.asarray(X, dtype=np.int64)
    P = X.shape[0]
    flat = (X + inst.m * np.arange(P)[:, None]).ravel()
    return np.bincount(flat, weights=np.tile(inst.q, P), minlength=P * inst.m).reshape(P, inst.m)


def evaluate_gqap(inst: GQAPInstance, sol: GQAPSolution) -> GQAPEvaluation:
    """Score an assignment and name every overloaded site."""
    x = sol.assignment
    if x.shape != (inst.n,):
        raise ValidationError(f"assignment: expected {inst.n} sites, got {x.size}")
    if x.size and (x.min() < 0 or x.max() >= inst.m):
        raise ValidationError(f"assignment: site indices must lie in 0..{inst.m - 1}")
    loads = site_loads(inst, x)
    over = np.flatnonzero(loads > inst.Q + TOL * np.maximum(1.0, inst.Q))
    violations = tuple(f"site {k}: load {loads[k]:g} > capacity {inst.Q[k]:g}" for k in over)
    return GQAPEvaluation(finite_objective(gqap_cost(inst, x)), loads, violations)
