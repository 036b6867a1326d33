"""The one objective evaluator of the suite: costs, objectives and constraint checks.

Every solver's solution is re-scored here; solvers may call the vectorised building blocks
(`granted_qoe`, `denied_qoe`, `gqap_cost_batch`) but never re-implement the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from gqap.errors import ValidationError
from gqap.instances import GQAPInstance, Instance, OffloadingInstance
from gqap.solutions import GQAPSolution, OffloadingSolution, Solution

if TYPE_CHECKING:  # gqap.multi builds on this module; it is imported where needed
    from gqap.multi.evaluation import MultiEvaluation
    from gqap.multi.instance import MultiInstance
    from gqap.multi.solution import MultiSolution

LatencyModel = Literal["paper", "dynamic-batch"]
LATENCY_MODELS: tuple[str, ...] = ("paper", "dynamic-batch")
SENSE = {"gqap": "min", "offloading": "max", "multi": "max"}
_TOL = 1e-9


def finite_objective(value: float, what: str = "objective") -> float:
    """``value`` as a float when finite; otherwise a ValidationError (the instance bounds of
    ``gqap.instances`` keep every objective finite, so this only guards against misuse)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValidationError(f"{what}: evaluates to {value} (not a finite number); the "
                              "instance's values are outside the documented bounds")
    return value


# ---------------------------------------------------------------------------------------
# General GQAP
# ---------------------------------------------------------------------------------------
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
    over = np.flatnonzero(loads > inst.Q + _TOL * np.maximum(1.0, inst.Q))
    violations = tuple(f"site {k}: load {loads[k]:g} > capacity {inst.Q[k]:g}" for k in over)
    return GQAPEvaluation(finite_objective(gqap_cost(inst, x)), loads, violations)


# ---------------------------------------------------------------------------------------
# Offloading
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OffloadingEvaluation:
    """Objective and per-user breakdown (seconds; PAI unitless) of one decision."""

    objective: float
    b: int
    l_R: np.ndarray
    l_T: np.ndarray
    l_E: np.ndarray
    l_L: np.ndarray
    pai: np.ndarray
    qoe: np.ndarray
    violations: tuple[str, ...]
    latency_model: str

    @property
    def feasible(self) -> bool:
        """True when b <= B_max, N_hat <= n_i <= N, and denied users sit at N."""
        return not self.violations

    @property
    def latency(self) -> np.ndarray:
        """End-to-end latency L_i = l_R + l_T + l_E + l_L per user."""
        return self.l_R + self.l_T + self.l_E + self.l_L


def denied_qoe(inst: OffloadingInstance) -> np.ndarray:
    """QoE of every user if denied: alpha F(N) - (l_R + N L_i(1))."""
    return (inst.alpha * inst.pai(inst.N)
            - (inst.round_trip + inst.N * inst.local_step_latency))


def granted_qoe(inst: OffloadingInstance, b: np.ndarray | float,
                split: np.ndarray) -> np.ndarray:
    """QoE of every user if granted with batch b and split ``split`` (paper latency model).

    Broadcasts: ``b`` scalar or a column (B, 1) against ``split`` of shape (I,) or (B, I).
    """
    b = np.asarray(b, dtype=np.float64)
    return (inst.alpha * inst.pai(split)
            - (inst.round_trip + inst.transmission_latency(b)
               + (inst.N - split) * inst.edge_step_latency(b)
               + split * inst.local_step_latency))


def offloading_violations(inst: OffloadingInstance, sol: OffloadingSolution) -> tuple[str, ...]:
    """Names of the violated constraints (empty when the decision is feasible)."""
    g, n = sol.grant, sol.split
    out = []
    if sol.b > inst.B_max:
        out.append(f"b <= B_max: {sol.b} users granted, B_max = {inst.B_max}")
    tol = _TOL * inst.N
    bad = np.flatnonzero((n < inst.N_hat - tol) | (n > inst.N + tol))
    if bad.size:
        out.append(f"N_hat <= n_i <= N: user {bad[0]} has n = {n[bad[0]]:g} "
                   f"({bad.size} users out of [{inst.N_hat}, {inst.N}])")
    bad = np.flatnonzero(~g & (np.abs(n - inst.N) > tol))
    if bad.size:
        out.append(f"denied users at n = N: user {bad[0]} is denied with n = {n[bad[0]]:g} "
                   f"({bad.size} users)")
    return tuple(out)


def dynamic_batch_edge_latency(inst: OffloadingInstance, grant: np.ndarray,
                               split: np.ndarray) -> np.ndarray:
    """l_E per user when the edge batch shrinks as granted users finish their edge steps.

    User i runs e_i = N - n_i edge steps; during the stretch where exactly r granted users
    still have steps left, every step costs L_e(r, G). With the e's sorted ascending,
    the k-th smallest finishes after sum_{j<=k} (e_(j) - e_(j-1)) L_e(b - j + 1).
    Real-valued e are handled as a piecewise-constant integral.
    """
    out = np.zeros(inst.n_users)
    idx = np.flatnonzero(grant)
    if idx.size == 0:
        return out
    e = np.maximum(inst.N - split[idx], 0.0)
    order = np.argsort(e, kind="stable")
    e_sorted = e[order]
    steps = np.diff(e_sorted, prepend=0.0)
    active = idx.size - np.arange(idx.size)
    cum = np.cumsum(steps * inst.edge_step_latency(active))
    out[idx[order]] = cum
    return out


def evaluate_offloading(inst: OffloadingInstance, sol: OffloadingSolution,
                        latency_model: LatencyModel = "paper") -> OffloadingEvaluation:
    """Objective sum_i alpha_i F(n_i) - L_i with the per-user breakdown and violations."""
    if sol.grant.shape != (inst.n_users,):
        raise ValidationError(
            f"grant: expected {inst.n_users} users, got {sol.grant.size}")
    if latency_model not in LATENCY_MODELS:
        raise ValidationError(
            f"latency model: must be one of {', '.join(LATENCY_MODELS)}, got {latency_model!r}")
    g, n = sol.grant, sol.split
    b = sol.b
    l_R = inst.round_trip.copy()
    l_T = np.where(g, inst.transmission_latency(b), 0.0)
    if latency_model == "paper":
        l_E = np.where(g, (inst.N - n) * inst.edge_step_latency(b), 0.0)
    else:
        l_E = dynamic_batch_edge_latency(inst, g, n)
    l_L = n * inst.local_step_latency
    pai = inst.pai(n)
    qoe = inst.alpha * pai - (l_R + l_T + l_E + l_L)
    return OffloadingEvaluation(
        objective=finite_objective(qoe.sum()), b=b, l_R=l_R, l_T=l_T, l_E=l_E, l_L=l_L, pai=pai,
        qoe=qoe, violations=offloading_violations(inst, sol), latency_model=latency_model)


def offloading_objective(inst: OffloadingInstance, sol: OffloadingSolution) -> float:
    """Objective value under the paper's latency model (no constraint check)."""
    return evaluate_offloading(inst, sol).objective


# ---------------------------------------------------------------------------------------
# Either family
# ---------------------------------------------------------------------------------------
def evaluate(inst: Instance | MultiInstance, sol: Solution | MultiSolution,
             latency_model: LatencyModel = "paper",
             ) -> GQAPEvaluation | OffloadingEvaluation | MultiEvaluation:
    """Score a solution of any family; raises ValidationError on a family mismatch."""
    if inst.family == "multi":
        from gqap.multi import MultiSolution, evaluate_multi

        if not isinstance(sol, MultiSolution):
            raise ValidationError("solution: a multi instance needs site and split_points")
        return evaluate_multi(inst, sol, latency_model)
    if isinstance(inst, OffloadingInstance):
        if not isinstance(sol, OffloadingSolution):
            raise ValidationError("solution: an offloading instance needs grant and split_points")
        return evaluate_offloading(inst, sol, latency_model)
    if not isinstance(sol, GQAPSolution):
        raise ValidationError("solution: a GQAP instance needs an assignment")
    if latency_model != "paper":
        raise ValidationError(
            "latency model: only the offloading and multi families have latency models")
    return evaluate_gqap(inst, sol)


def is_better(family: str, a: float, b: float) -> bool:
    """True when objective a is strictly better than b in the family's sense."""
    return a < b if SENSE[family] == "min" else a > b
