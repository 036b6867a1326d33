"""The ``milp`` solver adapter: options, the time budget, the backend call, the result.

The whole call runs against one ``Deadline`` started at its top. Before any model data is
computed, ``quick_seconds_floor`` (dimensions only) and then ``ModelSize`` (exact counts
from the model data) give a lower bound on the time building and writing the model take;
when it exceeds what is left, nothing is built and the answer is ``time_limit`` with
``info["time_limit_reason"]`` saying why. Otherwise the model is built against the
deadline and handed to the backend, which stops at the same deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.evaluation import SENSE, evaluate
from gqap.family import Instance
from gqap.gaps import bound_gap
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status, parse_options
from gqap.solvers.formulations import LINEARISATIONS
from gqap.solvers.milp.backend import Backend, BackendResult
from gqap.solvers.milp.cbc import CBCBackend
from gqap.solvers.milp.highs import HighsBackend
from gqap.solvers.milp.model import (
    PROVABLE_RANGE,
    BuiltModel,
    ModelPlan,
    build_model,
    plan_model,
)
from gqap.solvers.milp.size import quick_seconds_floor
from gqap.solvers.model_choice import MODELS, formulation_kind, instance_answer, split_mode
from gqap.solvers.options import SPLIT_MODES, check_at_least, check_choices
from gqap.solvers.warm_start import check_start_option

BACKENDS: dict[str, type[Backend]] = {"cbc": CBCBackend, "highs": HighsBackend}


@dataclass(frozen=True)
class MILPOptions:
    """Options of ``milp``.

    model: offloading and multi, 'full' (disaggregated, default) or 'fixed-split' (N_hat);
    split: 'integer' or 'real' split points in the full model; linearisation: 'rlt' or
    'standard' (GQAP and fixed-split); rlt_capacity: add capacity x variable products;
    backend: 'cbc' or 'highs'; threads: backend threads; gap: relative MIP gap at which the
    backend may stop and claim optimality; start: 'none', 'greedy' or a solution file to
    warm-start from; lp_bound: also solve the LP relaxation and report its bound; msg:
    show the backend's log.
    """

    model: str = "full"
    split: str = "integer"
    linearisation: str = "rlt"
    rlt_capacity: bool = True
    backend: str = "cbc"
    threads: int = 1
    gap: float = 1e-9
    start: str = "none"
    lp_bound: bool = False
    msg: bool = False
    RENAMED: ClassVar[dict[str, str]] = {"linearization": "linearisation"}

    def __post_init__(self) -> None:
        check_choices(self, model=MODELS, split=SPLIT_MODES, linearisation=LINEARISATIONS,
                      backend=tuple(BACKENDS))
        check_at_least(self, 1, "threads")
        if not 0.0 <= self.gap < 1.0:
            raise ValueError(f"gap must lie in [0, 1), got {self.gap}")
        check_start_option(self.start)


def backend(name: str) -> Backend:
    """The backend called ``name``; a one-line error when it cannot run here."""
    cls = BACKENDS[name]
    if not cls.available():
        raise GQAPError(cls.unavailable_reason())
    return cls()


def _plan(instance: Instance, opts: MILPOptions, deadline: Deadline) -> ModelPlan:
    """The model plan, or ``DeadlineExpired`` when the model cannot be built in time."""
    if isinstance(instance, GQAPInstance) and opts.model != "full":
        raise GQAPError(f"solver milp: model={opts.model} applies to offloading and multi "
                        "instances only")
    left = deadline.remaining()
    floor = quick_seconds_floor(instance, opts.model, opts.linearisation)
    if floor > left:
        raise DeadlineExpired(f"refused: preparing and building the model takes at least "
                              f"{floor:.2f} s, more than the {max(left, 0.0):.2f} s left")
    plan = plan_model(instance, opts.model, opts.split, opts.linearisation, opts.rlt_capacity,
                      opts.start)
    left = deadline.remaining()
    need = plan.size.build_seconds_floor()
    if need > left:
        s = plan.size
        raise DeadlineExpired(f"refused: the model has {s.variables:,} columns, "
                              f"{s.constraints:,} rows and {s.nonzeros:,} non-zeros; "
                              f"building and writing it takes at least {need:.2f} s, more than "
                              f"the {max(left, 0.0):.2f} s left")
    return plan


def relaxation_bound(built: BuiltModel, opts: MILPOptions, deadline: Deadline,
                     build_time_s: float = 0.0) -> dict[str, Any]:
    """Solve the LP relaxation of ``built``: {lp_bound (family sense, None if not solved),
    lp_status, lp_time_s}."""
    t0 = time.perf_counter()
    lp = backend(opts.backend).solve(built.prob, deadline, mip=False, start=None,
                                     threads=opts.threads, gap=opts.gap, msg=opts.msg,
                                     build_time_s=build_time_s)
    bound = built.family_value(lp.objective) if lp.outcome == Status.OPTIMAL else None
    status = lp.raw_status
    if bound is not None and not built.resolves(lp.objective):
        bound, status = None, f"{status}; not a bound: {_range_reason(built)}"
    return {"lp_bound": bound, "lp_status": status, "lp_time_s": time.perf_counter() - t0}


def _range_reason(built: BuiltModel) -> str:
    return (f"objective coefficients span {built.coefficient_range:.3g} (max / min non-zero, "
            f"more than {PROVABLE_RANGE:.0e}) and the value is below the backend's resolution "
            "of the largest")


def lp_relaxation(instance: Instance, time_limit: float | None = None,
                  **options: Any) -> dict[str, Any]:
    """LP-relaxation bound of the model that ``milp`` with ``options`` would solve.

    For the harness's strength comparisons; returns the ``relaxation_bound`` fields plus
    build time and model size. Options are those of ``milp`` (``lp_bound`` is implied).
    A model that cannot be built and solved within ``time_limit`` gives ``lp_bound`` None
    and ``lp_status`` saying why.
    """
    opts = parse_options(MILPOptions, "milp", options)
    deadline = Deadline(time_limit)
    try:
        plan = _plan(instance, opts, deadline)
        built = build_model(instance, plan, opts.linearisation, opts.rlt_capacity, deadline)
        build_time = deadline.elapsed()
        out = {"build_time_s": build_time, "n_variables": plan.size.variables,
               "n_constraints": plan.size.constraints, "n_nonzeros": plan.size.nonzeros}
        out.update(relaxation_bound(built, opts, deadline, build_time))
    except DeadlineExpired as exc:
        return {"lp_bound": None, "lp_status": f"time limit: {exc}",
                "lp_time_s": None, "build_time_s": deadline.elapsed()}
    return out


class MILPSolver(Solver):
    """RLT- (or standard-) linearised MILP through PuLP with CBC or HiGHS."""

    name = "milp"
    families = ("offloading", "classic", "multi")
    Options = MILPOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        opts: MILPOptions = self.options
        engine = backend(opts.backend)
        model = formulation_kind(instance, opts.model)
        disaggregated = model.endswith("-disaggregated")
        info: dict[str, Any] = {
            "backend": opts.backend,
            "model": model,
            "linearisation": None if disaggregated else opts.linearisation,
            "rlt_capacity": opts.rlt_capacity
            if not disaggregated and opts.linearisation == "rlt" else None,
            "split_mode": split_mode(model, opts.split),
            "threads": opts.threads, "gap_tolerance": opts.gap, "start": opts.start,
        }
        plan: ModelPlan | None = None
        try:
            plan = _plan(instance, opts, deadline)
            info.update(n_variables=plan.size.variables, n_constraints=plan.size.constraints,
                        n_nonzeros=plan.size.nonzeros)
            if plan.start is not None:
                info["start_objective"] = evaluate(instance, plan.start).objective
            built = build_model(instance, plan, opts.linearisation, opts.rlt_capacity, deadline)
            build_time = deadline.elapsed()
            info["build_time_s"] = build_time
            info["objective_scale"] = built.scale
            lp_bound = None
            if opts.lp_bound:
                lp_info = relaxation_bound(built, opts, deadline, build_time)
                info.update(lp_info)
                lp_bound = lp_info["lp_bound"]
            res = engine.solve(built.prob, deadline, mip=True, start=built.start,
                               threads=opts.threads, gap=opts.gap, msg=opts.msg,
                               build_time_s=build_time)
        except DeadlineExpired as exc:
            # Cut before the backend answered: no solution of its own, no bound.
            info.setdefault("build_time_s", None)
            info["time_limit_reason"] = str(exc)
            start = plan.start if plan is not None else None
            info["solution_from"] = "start" if start is not None else None
            return SolverOutput(start, Status.TIME_LIMIT, info=info)
        return _result(instance, opts, built, res, lp_bound, info, model)


def _result(instance: Instance, opts: MILPOptions, built: BuiltModel, res: BackendResult,
            lp_bound: float | None, info: dict[str, Any], model: str) -> SolverOutput:
    """The solver's answer from the backend's: family sense, bounds, status."""
    info["backend_status"] = res.raw_status
    if built.start is not None and opts.backend == "cbc":
        info["start_accepted"] = res.start_value is not None  # from CBC's log
    info["write_time_s"] = res.write_time_s
    info["solve_time_s"] = res.solve_time_s
    incumbent = built.family_value(res.objective)
    bound = built.family_value(res.bound)
    if lp_bound is not None:  # keep the stronger of the MIP and LP bounds
        tighter = min if SENSE[instance.family] == "max" else max
        bound = lp_bound if bound is None else tighter(bound, lp_bound)
    info["incumbent"] = incumbent
    info["best_bound"] = bound
    info["mip_gap"] = bound_gap(incumbent, bound)

    solution = built.decode(res.values) if res.values is not None else None
    status = res.outcome
    if solution is None and status == Status.TIME_LIMIT:
        solution = built.start_solution
        info["solution_from"] = "start" if solution is not None else None
    if not built.resolves(res.objective if res.objective is not None else res.bound) and (
            status == Status.OPTIMAL or bound is not None):
        # Keep the (re-scored) solution, claim neither its optimality nor the bound.
        info["unproven_reason"] = _range_reason(built)
        info["claimed_status"], info["claimed_bound"] = str(status), bound
        bound = None
        if status == Status.OPTIMAL:
            status = Status.FEASIBLE
    status, bound = instance_answer(model, status, bound, info)
    return SolverOutput(solution, status, bound=bound, info=info)
