"""The ``cpsat`` adapter: options, the model the options select, CP-SAT's answer.

The whole call runs against one ``Deadline``; the model is refused or cut when it cannot be
built in time (``models``), CP-SAT gets what is left after its load allowance, and its
status becomes the suite's: ``optimal`` only when CP-SAT proved the scaled model and the
rounding error cannot hide a better solution.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.family import Instance, Solution
from gqap.gaps import bound_gap
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status
from gqap.solvers.cpsat.models import (
    CPSize,
    build_batch_cpsat,
    build_gqap_cpsat,
    build_multi_cpsat,
    cpsat_size,
    fits,
    import_cp_model,
    quick_seconds_floor,
)
from gqap.solvers.model_choice import (
    MODELS,
    formulation,
    formulation_kind,
    instance_answer,
    split_mode,
)
from gqap.solvers.options import SPLIT_MODES, check_at_least, check_choices
from gqap.solvers.warm_start import check_start_option

_PROOF_TOL = 1e-9  # 2E must stay below this fraction of the objective for "optimal"
# CP-SAT copies and checks the model before its own clock starts: 1.5 s for 700,000
# Booleans here (Cordeau-sized GQAP 60 x 20), so that much of the budget is kept back.
_LOAD_SECONDS_PER_VARIABLE = 2.0e-6


@dataclass(frozen=True)
class CPSATOptions:
    """Options of ``cpsat``.

    model: offloading and multi, 'full' (default) or 'fixed-split'; split: 'integer' or 'real'
    split points in the full model; threads: CP-SAT workers (1 is deterministic for a seed);
    scale: multiply costs by this before rounding (default: 1 for integral costs, else a
    power of ten); rlt_capacity: add the capacity x variable products (GQAP); start: 'none',
    'greedy' or a solution file used as a hint; msg: show CP-SAT's search log.
    """

    model: str = "full"
    split: str = "integer"
    threads: int = 1
    scale: float | None = None
    rlt_capacity: bool = False
    start: str = "none"
    msg: bool = False

    def __post_init__(self) -> None:
        check_choices(self, model=MODELS, split=SPLIT_MODES)
        check_at_least(self, 1, "threads")
        if self.scale is not None and not (self.scale > 0 and math.isfinite(self.scale)):
            raise ValueError(f"scale must be a positive number, got {self.scale}")
        check_start_option(self.start)


@dataclass
class CPModel:
    """A CP-SAT minimisation model; family objective = sign * (offset + scaled value / scale)."""

    model: Any
    sign: float
    offset: float
    scale: float
    integral: bool
    rounding_error: float
    decode: Any  # callable: CpSolver -> Solution
    size: CPSize
    start_solution: Solution | None = None

    def family_value(self, v: float | None) -> float | None:
        """Scaled model value -> objective in the instance family's sense."""
        return None if v is None else self.sign * (self.offset + v / self.scale)


def build_cp_model(inst: Instance, opts: CPSATOptions,
                   deadline: Deadline | None = None) -> CPModel:
    """The CP-SAT model the options select for ``inst``.

    With a ``deadline``, a model whose size shows it cannot be built in the time left is
    refused before building, and the build checks the clock; both raise ``DeadlineExpired``.
    """
    if deadline is not None:
        floor, left = quick_seconds_floor(inst, opts.model), deadline.remaining()
        if floor > left:
            raise DeadlineExpired(f"refused: preparing and building the model takes at least "
                                  f"{floor:.2f} s, more than the {max(left, 0.0):.2f} s left")
    form = formulation(inst, opts.model, opts.split, opts.start, "cpsat")
    start = form.start
    if form.kind == "batch-disaggregated":
        data = form.data
        size = cpsat_size(data)
        fits(size, deadline)
        model, w, s, integral, err = build_batch_cpsat(
            data, opts.scale, None if start is None else start.grant, deadline)

        def decode(solver: Any) -> Solution:
            grant = np.zeros(data.n_users, dtype=bool)
            for (i, _b), v in w.items():
                if solver.BooleanValue(v):
                    grant[i] = True
            return data.solution(grant)

        return CPModel(model, -1.0, -data.base, s, integral, err, decode, size,
                       None if start is None else data.solution(start.grant))

    if form.kind == "count-disaggregated":
        mdata = form.data
        size = cpsat_size(mdata)
        fits(size, deadline)
        site0 = None if start is None else np.asarray(start.site, dtype=np.int64)
        model, w, s, integral, err = build_multi_cpsat(mdata, opts.scale, site0, deadline)

        def decode_multi(solver: Any) -> Solution:
            site = np.full(mdata.n_users, -1, dtype=np.int64)
            for (i, t, _c), v in w.items():
                if solver.BooleanValue(v):
                    site[i] = t
            return mdata.solution(site)

        return CPModel(model, -1.0, -mdata.base, s, integral, err, decode_multi, size,
                       None if site0 is None else mdata.solution(site0))

    data = form.data
    size = cpsat_size(data)
    fits(size, deadline)
    assignment = form.start_assignment()
    model, x, s, integral, err = build_gqap_cpsat(data, opts.scale, opts.rlt_capacity,
                                                  assignment, deadline)

    def decode_gqap(solver: Any) -> Solution:
        a = np.zeros(data.n, dtype=np.int64)
        for (i, k), v in x.items():
            if solver.BooleanValue(v):
                a[i] = k
        return form.from_assignment(a)

    return CPModel(model, form.sign, 0.0, s, integral, err, decode_gqap, size,
                   None if assignment is None else form.from_assignment(assignment))


class CPSATSolver(Solver):
    """CP-SAT with RLT channelling (GQAP) or the b-disaggregated model (offloading)."""

    name = "cpsat"
    families = ("offloading", "classic", "multi")
    Options = CPSATOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        cp_model = import_cp_model()

        opts: CPSATOptions = self.options
        if isinstance(instance, GQAPInstance) and opts.model != "full":
            raise GQAPError(f"solver cpsat: model={opts.model} applies to offloading and "
                            "multi instances only")
        model = formulation_kind(instance, opts.model)
        info: dict[str, Any] = {
            "backend": "cp-sat",
            "model": model,
            "split_mode": split_mode(model, opts.split),
            "threads": opts.threads, "start": opts.start,
        }
        try:
            cm = build_cp_model(instance, opts, deadline)
        except DeadlineExpired as exc:
            info.update(build_time_s=None, time_limit_reason=str(exc), solution_from=None)
            return SolverOutput(None, Status.TIME_LIMIT, info=info)
        proto = cm.model.Proto()
        info.update({
            "cost_scale": cm.scale, "costs_integral": cm.integral,
            "rounding_error_bound": cm.rounding_error,
            "build_time_s": deadline.elapsed(),
            "n_variables": len(proto.variables), "n_constraints": len(proto.constraints),
            "load_allowance_s": cm.size.variables * _LOAD_SECONDS_PER_VARIABLE,
        })
        if cm.start_solution is not None:
            info["start_objective"] = evaluate(instance, cm.start_solution).objective
        # What CP-SAT spends loading the model comes before its own time limit starts.
        left = deadline.remaining() - cm.size.variables * _LOAD_SECONDS_PER_VARIABLE
        if left < 0.05:
            info["backend_status"] = "not started: no time left after the build"
            info["time_limit_reason"] = "no time left to solve after the build"
            info["solution_from"] = "start" if cm.start_solution is not None else None
            return SolverOutput(cm.start_solution, Status.TIME_LIMIT, info=info)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = opts.threads
        solver.parameters.random_seed = int(seed)
        solver.parameters.log_search_progress = opts.msg
        if math.isfinite(left):
            solver.parameters.max_time_in_seconds = max(left - 0.1, 0.01)
        t0 = time.perf_counter()
        code = solver.Solve(cm.model)
        info["solve_time_s"] = time.perf_counter() - t0
        name = solver.StatusName(code)
        info["backend_status"] = name
        has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        solution = cm.decode(solver) if has_solution else None
        incumbent = cm.family_value(solver.ObjectiveValue()) if has_solution else None
        bound = None
        if has_solution:  # without a solution CP-SAT reports 0, which need not be a bound
            raw = solver.BestObjectiveBound()
            if math.isfinite(raw):
                # Widen by the rounding error so the bound holds for the true costs.
                bound = cm.family_value(raw) - cm.sign * cm.rounding_error
        info.update(incumbent=incumbent, best_bound=bound,
                    mip_gap=bound_gap(incumbent, bound))
        if code == cp_model.OPTIMAL:
            true_obj = evaluate(instance, solution).objective
            slack = 2.0 * cm.rounding_error
            if slack <= _PROOF_TOL * max(1.0, abs(true_obj)):
                status = Status.OPTIMAL
            else:
                status = Status.FEASIBLE
                info["not_proven"] = (f"scaled costs proven optimal, but rounding can hide up "
                                      f"to {slack:.3g}; raise scale")
        elif code == cp_model.FEASIBLE:
            status = Status.TIME_LIMIT if time_limit is not None else Status.FEASIBLE
        elif code == cp_model.INFEASIBLE:
            status = Status.INFEASIBLE
        elif code == cp_model.UNKNOWN and time_limit is not None:
            status = Status.TIME_LIMIT
            solution = cm.start_solution
            info["solution_from"] = "start" if solution is not None else None
        else:  # MODEL_INVALID, or UNKNOWN without a limit
            status = Status.ERROR
            info["model_error"] = cm.model.Validate() or None
        status, bound = instance_answer(model, status, bound, info)
        return SolverOutput(solution, status, bound=bound, info=info)
