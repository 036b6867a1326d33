"""The ``bound`` solver: runs the methods its options name against one deadline and reports
the largest certified bound (status ``bound``, no solution)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status
from gqap.solvers.bounds.certificate import BoundResult, integral_costs, upper_bound
from gqap.solvers.bounds.glb import glb_bound, product_structure
from gqap.solvers.bounds.lagrangean import lagrangean_bound
from gqap.solvers.bounds.lp import lp_bound
from gqap.solvers.formulations import check_model_data, gqap_model_data
from gqap.solvers.options import check_at_least, check_choices

METHODS = ("best", "glb", "lagrangean", "lp-rlt1", "lp-gw")
LP_METHODS = ("highs", "highs-ds", "highs-ipm", "highs-ipx")


@dataclass(frozen=True)
class BoundOptions:
    """Options of ``bound``.

    method: 'best' (Gilmore-Lawler-type, Lagrangean, then the RLT LP in the time left; the
    largest), 'glb' (Gilmore-Lawler-type), 'lagrangean', 'lp-rlt1' (LP relaxation of the
    RLT level-1 model) or 'lp-gw' (of Glover-Woolsey);
    rlt_capacity: the RLT LP includes the capacity x variable products (as ``milp``);
    lp_method: HiGHS's LP algorithm ('highs' chooses, 'highs-ds' dual simplex, 'highs-ipm'
    interior point, all through scipy; 'highs-ipx': interior point through highspy, without
    presolve or crossover, stopping at a 1e-6 optimality tolerance, the milp extra);
    max_iterations: Lagrangean subgradient iterations at most;
    lagrangean_share: with 'best' and a time limit, the share of what is left the Lagrangean
    may use before the LP; max_lp_columns: 'best' skips an LP with more columns (it could not
    be solved in time); max_pair_entries: 'best' skips the Lagrangean when its pair arrays
    (n(n-1)/2 m^2 entries, three of them in memory) would be larger.
    """

    method: str = "best"
    rlt_capacity: bool = True
    lp_method: str = "highs-ipm"
    max_iterations: int = 5000
    lagrangean_share: float = 0.5
    max_lp_columns: int = 400_000
    max_pair_entries: int = 8_000_000

    def __post_init__(self) -> None:
        check_choices(self, method=METHODS, lp_method=LP_METHODS)
        check_at_least(self, 0, "max_iterations")
        if not 0.0 < self.lagrangean_share <= 1.0:
            raise ValueError(f"lagrangean_share must lie in (0, 1], got {self.lagrangean_share}")
        check_at_least(self, 1, "max_lp_columns", "max_pair_entries")


class BoundSolver(Solver):
    """Certified lower bound on a GQAP's optimum (LP relaxations, Lagrangean); no solution."""

    name = "bound"
    families = ("classic",)
    Options = BoundOptions
    bound_only = True

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        opts: BoundOptions = self.options
        assert isinstance(instance, GQAPInstance)
        info: dict[str, Any] = {"method": opts.method, "bounds": {}, "seconds": {},
                                "statuses": {}}
        results: list[BoundResult] = []
        try:
            data = None
            plan = self._plan(opts, instance)
            info["plan"] = plan
            if plan != ["glb"] or not product_structure(instance):
                data = gqap_model_data(instance)
                check_model_data("bound", data)
                info["integral_costs"] = integral_costs(data)
            up = None
            if any(m in plan for m in ("glb", "lagrangean")):
                left = deadline.remaining()
                up = upper_bound(instance, deadline, max_seconds=min(2.0, 0.05 * left))
                info["upper_heuristic"] = up
            for method in plan:
                if deadline.expired():
                    info["statuses"][method] = "not started: no time left"
                    continue
                if method == "glb":
                    res = glb_bound(instance, deadline, opts.max_iterations, data, up)
                elif method == "lagrangean":
                    share = opts.lagrangean_share if plan[-1] != method else 1.0
                    left = deadline.remaining()
                    sub = Deadline(None if math.isinf(left) else left * share)
                    res = lagrangean_bound(instance, sub, opts.max_iterations, data, up)
                else:
                    lin = "rlt" if method == "lp-rlt1" else "standard"
                    try:
                        res = lp_bound(instance, deadline, lin, opts.rlt_capacity,
                                       opts.lp_method, data)
                    except DeadlineExpired as exc:
                        res = BoundResult(method, None, status=f"time limit: {exc}")
                results.append(res)
                if res.infeasible:
                    break
        except DeadlineExpired as exc:
            info["time_limit_reason"] = str(exc)
        except MemoryError as exc:
            raise GQAPError(f"solver bound: out of memory ({exc})") from None
        for res in results:
            info["bounds"][res.method] = res.bound
            info["seconds"][res.method] = res.seconds
            info["statuses"][res.method] = res.status
            for key, value in res.info.items():
                info[f"{res.method}.{key}"] = value
        if any(r.infeasible for r in results):
            return SolverOutput(None, Status.INFEASIBLE, info=info)
        found = [r for r in results if r.bound is not None]
        if not found:
            return SolverOutput(None, Status.TIME_LIMIT if time_limit is not None
                                else Status.ERROR, info=info)
        best = max(found, key=lambda r: r.bound)
        info.update(bound_method=best.method, bound_raw=best.raw, margin=best.margin)
        return SolverOutput(None, Status.BOUND, bound=best.bound, info=info)

    @staticmethod
    def _plan(opts: BoundOptions, inst: GQAPInstance) -> list[str]:
        """The methods to run: the one asked for, or for 'best' the Gilmore-Lawler-type
        bound, the Lagrangean while its pair arrays stay within ``max_pair_entries`` and
        the RLT LP while it has at most ``max_lp_columns`` columns (counted from the
        dimensions: every product a column)."""
        if opts.method != "best":
            return [opts.method]
        pairs = inst.n * (inst.n - 1) // 2 * inst.m * inst.m
        plan = ["glb"]
        if pairs <= opts.max_pair_entries:
            plan.append("lagrangean")
        if inst.n * inst.m + pairs <= opts.max_lp_columns:
            plan.append("lp-rlt1")
        return plan
