"""Which model the MILP and CP-SAT adapters build for an instance (one plan for both):
the ``Formulation`` the options ``model``, ``split`` and ``start`` select (kind, model
data of ``gqap.solvers.formulations``, warm start of ``gqap.solvers.warm_start``), and
what a model's answer claims for the instance (``split_mode``, ``instance_answer``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.family import Instance, Solution
from gqap.multi.instance import MultiInstance
from gqap.multi.reduction import MultiReduction, multi_to_gqap
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.reduction import (
    assignment_to_offloading,
    grant_to_assignment,
    offloading_to_gqap,
)
from gqap.offloading.solution import OffloadingSolution
from gqap.solvers.base import Status
from gqap.solvers.formulations import (
    BatchModelData,
    GQAPModelData,
    MultiModelData,
    batch_model_data,
    check_model_data,
    gqap_model_data,
    multi_model_data,
)
from gqap.solvers.warm_start import warm_start

MODELS = ("full", "fixed-split")  # offloading: integer splits (b-disaggregated) or N_hat


@dataclass(frozen=True)
class Formulation:
    """Which model the MILP and CP-SAT adapters build for an instance, on which data.

    ``kind``: 'batch-disaggregated' (offloading, full model: ``BatchModelData``),
    'count-disaggregated' (multi, full model: ``MultiModelData``), 'gqap' (a classic
    instance) or 'fixed-split' (an offloading or multi instance with its splits at N_hat,
    reduced to the GQAP ``gqap``; for multi through ``reduction``), both on
    ``GQAPModelData``. ``start`` is the warm start the options ask for.
    """

    kind: str
    instance: Instance
    data: GQAPModelData | BatchModelData | MultiModelData
    start: Solution | None
    gqap: GQAPInstance | None = None
    reduction: MultiReduction | None = None

    @property
    def sign(self) -> float:
        """+1 where the model's objective is the family's (a classic instance), -1 where it
        is minus the family's (the maximisation models and the reductions)."""
        return 1.0 if self.kind == "gqap" else -1.0

    def start_assignment(self) -> np.ndarray | None:
        """The warm start as an assignment of the GQAP (the 'gqap' and 'fixed-split'
        kinds), None without a start."""
        if self.start is None:
            return None
        if isinstance(self.start, OffloadingSolution):
            return grant_to_assignment(self.start.grant).assignment
        if self.reduction is not None:
            return self.reduction.to_gqap(self.start).assignment
        return self.start.assignment

    def from_assignment(self, assignment: np.ndarray) -> Solution:
        """The instance's solution of a GQAP assignment (read back through the reduction)."""
        sol = GQAPSolution(assignment)
        if self.reduction is not None:
            return self.reduction.to_multi(sol)
        if isinstance(self.instance, OffloadingInstance):
            return assignment_to_offloading(self.instance, sol)
        return sol


def formulation_kind(inst: Instance, model: str) -> str:
    """The ``Formulation.kind`` the option ``model`` ('full' or 'fixed-split') selects for
    ``inst``: 'batch-disaggregated' (offloading), 'count-disaggregated' (multi),
    'fixed-split' (either, at N_hat) or 'gqap' (a classic instance)."""
    if isinstance(inst, GQAPInstance):
        return "gqap"
    if model == "fixed-split":
        return "fixed-split"
    return "batch-disaggregated" if isinstance(inst, OffloadingInstance) \
        else "count-disaggregated"


def formulation(inst: Instance, model: str, split: str, start: str, solver: str) -> Formulation:
    """The model and data the options ``model`` ('full' or 'fixed-split'), ``split``
    ('integer' or 'real') and ``start`` select for ``inst``; the data is checked for finite
    coefficients (a one-line error naming ``solver`` when one overflows)."""
    warm = warm_start(inst, start, model == "fixed-split", split == "integer")
    kind = formulation_kind(inst, model)
    if kind == "batch-disaggregated":
        data = batch_model_data(inst, integer=split == "integer")
        check_model_data(solver, data)
        return Formulation(kind, inst, data, warm)
    if kind == "count-disaggregated":
        mdata = multi_model_data(inst, integer=split == "integer")
        check_model_data(solver, mdata)
        return Formulation(kind, inst, mdata, warm)
    reduction = multi_to_gqap(inst) if isinstance(inst, MultiInstance) else None
    if reduction is not None:
        gq = reduction.gqap
    else:
        gq = offloading_to_gqap(inst) if isinstance(inst, OffloadingInstance) else inst
    gdata = gqap_model_data(gq)
    check_model_data(solver, gdata)
    return Formulation(kind, inst, gdata, warm, gq, reduction)



def split_mode(kind: str, split: str) -> str | None:
    """What ``info["split_mode"]`` says for a model of ``kind``: the ``split`` option in the
    disaggregated models, 'fixed-N_hat' in the fixed-split one, None for a classic instance."""
    if kind.endswith("-disaggregated"):
        return split
    return "fixed-N_hat" if kind == "fixed-split" else None


def instance_answer(kind: str, status: Status, bound: float | None,
                    info: dict[str, Any]) -> tuple[Status, float | None]:
    """(status, bound) for the instance of a model's (status, bound). A fixed-split model
    is optimal for the restriction to N_hat only: its status and bound go to
    ``info["model_status"]`` and ``info["model_bound"]``, an optimum becomes feasible and no
    bound is claimed. Other kinds answer for the instance as they are."""
    if kind != "fixed-split":
        return status, bound
    info["model_status"] = str(status)
    info["model_bound"] = bound
    return (Status.FEASIBLE if status == Status.OPTIMAL else status), None
