"""``hindsight``: the best run of a scenario knowing every period in advance (offline, proven
optimal): the reference an online policy's regret is measured against.

Both methods solve the configuration model of ``gqap.online.relaxation`` exactly: a run is
a choice of (g_t, m_t) per period, worth the exact per-period value V_t(g_t, m_t), with the
pool's capacity at every decision moment. Moments beyond the horizon are free, so period t
only distinguishes m up to T - 1 - t (``PeriodTable.capped``).

- ``dp``: dynamic programming over pool states, the busy profile (GPUs held at each coming
  moment) after each period, memoised; only undominated options are tried
  (``PeriodTable.options``: fewer busy GPUs never hurt). Small cases: the state count grows
  with G and the hold lengths (``max_states`` refuses beyond it).
- ``milp``: the same model as a MILP (SciPy's HiGHS, relative gap 0), for longer horizons;
  ``optimal`` only when HiGHS closes the gap, otherwise ``time_limit`` with its incumbent
  and its bound.
- ``auto``: ``dp`` while it stays within ``auto_states`` pool states, then ``milp``.

The decision of each period is the exact per-period decision for its (g, m).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from gqap.errors import GQAPError
from gqap.online.instance import OnlineInstance
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.online.pool import advance
from gqap.online.relaxation import configuration
from gqap.online.solution import OnlineSolution
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status
from gqap.solvers.online.tables import tables_within

METHODS = ("auto", "dp", "milp")


class TooManyStates(GQAPError):
    """The DP met more pool states than it was allowed."""


def horizon_tables(inst: OnlineInstance, deadline: Deadline | None = None,
                   ) -> list[PeriodTable] | None:
    """Each period's table with moments beyond the horizon merged (``capped``); None when
    the deadline expires first."""
    T = inst.n_periods
    tables = tables_within(inst, deadline or Deadline(None))
    return None if tables is None else [tab.capped(T - 1 - t) for t, tab in enumerate(tables)]


def solve_dp(inst: OnlineInstance, tables: list[PeriodTable], deadline: Deadline,
             max_states: int) -> tuple[float, list[tuple[int, int]], int]:
    """(optimum, (g, m) per period, states visited) by memoised DP over busy profiles."""
    T, G = inst.n_periods, inst.G
    options = [tab.options(G) for tab in tables]
    memo: list[dict[tuple[int, ...], tuple[float, int]]] = [{} for _ in range(T)]
    count = 0

    def best(t: int, busy: tuple[int, ...]) -> float:
        nonlocal count
        if t == T:
            return 0.0
        busy = busy[: T - t]  # moments from the horizon on never matter
        hit = memo[t].get(busy)
        if hit is not None:
            return hit[0]
        count += 1
        if count % 1024 == 0:
            deadline.check("hindsight dp")
            if count > max_states:
                raise TooManyStates(f"hindsight: more than {max_states:,} pool states; use "
                                "--opt method=milp or raise max_states")
        free = G - (busy[0] if busy else 0)
        value = tables[t].value
        top, arg = -np.inf, 0
        for i, (g, m) in enumerate(options[t]):
            if g > free:
                continue
            v = value[g, m] + best(t + 1, advance(busy, g, m))
            if v > top:
                top, arg = v, i
        memo[t][busy] = (top, arg)
        return top

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * T + 100))
    try:
        value = best(0, ())
    finally:
        sys.setrecursionlimit(limit)
    choices, busy = [], ()
    for t in range(T):
        busy = busy[: T - t]
        g, m = options[t][memo[t][busy][1]]
        choices.append((g, m))
        busy = advance(busy, g, m)
    return float(value), choices, count


def solve_milp(inst: OnlineInstance, tables: list[PeriodTable], deadline: Deadline,
               ) -> tuple[float | None, list[tuple[int, int]] | None, float | None, bool]:
    """(incumbent value, its (g, m) per period, HiGHS's bound, proven optimal)."""
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    conf = configuration(inst, tables)
    k, T = conf.value.size, conf.n_periods
    one = sp.csr_matrix((np.ones(k), (conf.period, np.arange(k))), shape=(T, k))
    cap = sp.csr_matrix((conf.cap_vals, (conf.cap_rows, conf.cap_cols)), shape=(T, k))
    options = {"mip_rel_gap": 0.0}
    remaining = deadline.remaining()
    if np.isfinite(remaining):
        options["time_limit"] = max(remaining, 0.01)
    res = milp(-conf.value, integrality=np.ones(k), bounds=Bounds(0, 1), options=options,
               constraints=[LinearConstraint(one, 1, 1),
                            LinearConstraint(cap, -np.inf, float(conf.G))])
    bound = None if getattr(res, "mip_dual_bound", None) is None else -float(res.mip_dual_bound)
    if res.x is None:
        return None, None, bound, False
    choices = []
    for t in range(T):
        cols = np.flatnonzero(conf.period == t)
        j = cols[int(np.argmax(res.x[cols]))]
        choices.append((int(conf.gpus[j]), int(conf.moments[j])))
    value = float(sum(tables[t].value[g, m] for t, (g, m) in enumerate(choices)))
    return value, choices, bound, res.status == 0


@dataclass(frozen=True)
class HindsightOptions:
    """``method``: auto, dp or milp; ``max_states``: the DP's limit on pool states
    (``auto_states`` when ``auto`` tries it first)."""

    method: str = "auto"
    max_states: int = 2_000_000
    auto_states: int = 100_000

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got "
                             f"{self.method!r}")
        if self.max_states < 1 or self.auto_states < 1:
            raise ValueError("max_states and auto_states must be >= 1")


class HindsightSolver(Solver):
    """The offline optimum over the whole horizon (DP over pool states, or a MILP)."""

    name = "hindsight"
    families = ("online",)
    Options = HindsightOptions

    def _solve(self, instance: OnlineInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        tables = horizon_tables(instance, deadline)
        if tables is None:
            return SolverOutput(None, Status.TIME_LIMIT, info={"cut": "period tables"})
        method = self.options.method
        info: dict = {"method": method}
        choices = None
        if method in ("auto", "dp"):
            limit = self.options.auto_states if method == "auto" else self.options.max_states
            try:
                value, choices, states = solve_dp(instance, tables, deadline, limit)
                info.update(method="dp", states=states)
                status, bound = Status.OPTIMAL, value
            except DeadlineExpired:
                return SolverOutput(None, Status.TIME_LIMIT, info=info)
            except TooManyStates:
                if method == "dp":
                    raise
                info["dp"] = f"more than {limit:,} pool states; solved as a MILP"
        if choices is None:
            info["method"] = "milp"
            value, choices, bound, proven = solve_milp(instance, tables, deadline)
            status = Status.OPTIMAL if proven else Status.TIME_LIMIT
            info["milp_bound"] = bound
            if choices is None:
                return SolverOutput(None, status, bound=bound, info=info)
        info["choices"] = [list(c) for c in choices]
        decisions = []
        for t, (g, m) in enumerate(choices):
            problem = PeriodProblem(instance.header, instance.period(t))
            last = m >= tables[t].m_max  # the merged column: no cap binds there
            decisions.append(problem.decision(g, None if last else m))
        return SolverOutput(OnlineSolution(tuple(decisions), "hindsight"), status,
                            bound=bound, info=info)
