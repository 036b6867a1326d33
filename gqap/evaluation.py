"""The one door to the evaluators: ``evaluate(instance, solution)`` scores a solution of any
family with that family's evaluator (``gqap.family``), and the few rules all evaluators
share (finite objectives, the feasibility tolerance, the latency models, the sense).

Each family's formulas live in its own ``evaluation`` module (``gqap.classic.evaluation``,
``gqap.offloading.evaluation``, ``gqap.multi.evaluation``); solvers may call their
vectorised building blocks but never re-implement the formulas.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gqap.errors import ValidationError
from gqap.family import Instance, Solution, family, family_of

LatencyModel = Literal["paper", "dynamic-batch"]
LATENCY_MODELS: tuple[str, ...] = ("paper", "dynamic-batch")
TOL = 1e-9  # relative tolerance of every capacity and range check


@dataclass(frozen=True)
class UserEvaluation:
    """Objective and per-user breakdown (seconds; PAI unitless) of one decision of a family
    whose objective is a sum of QoE over users (offloading, multi): round trip l_R,
    transmission l_T, edge l_E and local l_L latency, PAI and QoE per user."""

    objective: float
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
        """True when no constraint is violated."""
        return not self.violations

    @property
    def latency(self) -> np.ndarray:
        """End-to-end latency L_i = l_R + l_T + l_E + l_L per user."""
        return self.l_R + self.l_T + self.l_E + self.l_L


def finite_objective(value: float, what: str = "objective") -> float:
    """``value`` as a float when finite; otherwise a ValidationError (the instance bounds of
    ``gqap.fields`` keep every objective finite, so this only guards against misuse)."""
    value = float(value)
    if not math.isfinite(value):
        raise ValidationError(f"{what}: evaluates to {value} (not a finite number); the "
                              "instance's values are outside the documented bounds")
    return value


def split_violations(N_hat: int, N: int, split: np.ndarray,
                     denied: np.ndarray) -> list[str]:
    """The split rules of the paper's model as violations: N_hat <= n_i <= N for every
    user, and n_i = N for the ``denied`` ones (both within TOL * N)."""
    out = []
    tol = TOL * N
    bad = np.flatnonzero((split < N_hat - tol) | (split > N + tol))
    if bad.size:
        out.append(f"N_hat <= n_i <= N: user {bad[0]} has n = {split[bad[0]]:g} "
                   f"({bad.size} users out of [{N_hat}, {N}])")
    bad = np.flatnonzero(denied & (np.abs(split - N) > tol))
    if bad.size:
        out.append(f"denied users at n = N: user {bad[0]} is denied with n = "
                   f"{split[bad[0]]:g} ({bad.size} users)")
    return out


def check_latency_model(latency_model: str) -> None:
    """Refuse a latency model that is not one of ``LATENCY_MODELS``."""
    if latency_model not in LATENCY_MODELS:
        raise ValidationError(
            f"latency model: must be one of {', '.join(LATENCY_MODELS)}, got {latency_model!r}")


def evaluate(inst: Instance, sol: Solution, latency_model: LatencyModel = "paper") -> Any:
    """Score a solution of any family (its family's evaluation object: objective, feasible,
    violations and the family's breakdown); raises ValidationError on a family mismatch or
    a latency model the family does not have."""
    spec = family_of(inst)
    if not isinstance(sol, spec.solution_type):
        raise ValidationError(f"solution: {spec.solution_hint}")
    if not spec.latency_models and latency_model != "paper":
        raise ValidationError(f"latency model: only the {family_words(latency=True)} "
                              "families have latency models")
    return spec.evaluate(inst, sol, latency_model)


def family_words(*, latency: bool = False) -> str:
    """The registered family names in words ('offloading and multi'); with ``latency``
    only those that have latency models."""
    from gqap.family import families

    names = [f.name for f in families() if f.latency_models or not latency]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


class _Sense(Mapping[str, str]):
    """Family name (or old alias) -> 'min' or 'max', read from the registry."""

    def __getitem__(self, name: str) -> str:
        return family(name, warn=False).sense

    def __iter__(self) -> Iterator[str]:
        from gqap.family import families

        return iter([f.name for f in families()])

    def __len__(self) -> int:
        from gqap.family import families

        return len(families())


SENSE: Mapping[str, str] = _Sense()


def is_better(family_name: str, a: float, b: float) -> bool:
    """True when objective a is strictly better than b in the family's sense."""
    return a < b if SENSE[family_name] == "min" else a > b
