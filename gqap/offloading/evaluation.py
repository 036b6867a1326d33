"""The evaluator of the paper's offloading family: objective, per-user breakdown and
constraint violations under the paper's or the dynamic-batch latency model.

Every solver's solution is re-scored here; solvers may call the vectorised building blocks
(``granted_qoe``, ``denied_qoe``) but never re-implement the formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.errors import ValidationError
from gqap.evaluation import (
    LatencyModel,
    UserEvaluation,
    check_latency_model,
    finite_objective,
    split_violations,
)
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.paper import shrinking_batch_latency


@dataclass(frozen=True, kw_only=True)
class OffloadingEvaluation(UserEvaluation):
    """A decision's objective and per-user breakdown, with b, the granted users; feasible
    when b <= B_max, N_hat <= n_i <= N and denied users sit at N."""

    b: int

    @property
    def granted(self) -> int:
        """Users granted the edge (b)."""
        return self.b


def denied_qoe(inst: OffloadingInstance) -> np.ndarray:
    """QoE of every user if denied: alpha F(N) - (l_R + N L_i(1))."""
    return inst.denied_qoe()


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
    out += split_violations(inst.N_hat, inst.N, n, ~g)
    return tuple(out)


def dynamic_batch_edge_latency(inst: OffloadingInstance, grant: np.ndarray,
                               split: np.ndarray) -> np.ndarray:
    """l_E per user when the edge batch shrinks as granted users finish their edge steps
    (``gqap.paper.shrinking_batch_latency`` over the granted users; 0 for the denied)."""
    out = np.zeros(inst.n_users)
    idx = np.flatnonzero(grant)
    if idx.size:
        out[idx] = shrinking_batch_latency(inst.N - split[idx], inst.edge_step_latency)
    return out


def evaluate_offloading(inst: OffloadingInstance, sol: OffloadingSolution,
                        latency_model: LatencyModel = "paper") -> OffloadingEvaluation:
    """Objective sum_i alpha_i F(n_i) - L_i with the per-user breakdown and violations."""
    if sol.grant.shape != (inst.n_users,):
        raise ValidationError(
            f"grant: expected {inst.n_users} users, got {sol.grant.size}")
    check_latency_model(latency_model)
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
