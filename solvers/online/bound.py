"""``online-bound``: an upper bound on the value of every run of a scenario, online or not
(status ``bound``, no solution), with its certificate.

Two bounds (``gqap.online.relaxation``): the snapshot bound (every period on all G GPUs,
the paper's promise) and the Lagrangean bound L(mu) over the capacity rows of the
configuration model. The multipliers are the duals of the capacity rows of the
configuration model's LP relaxation (HiGHS through SciPy); whatever their accuracy, the
bound reported is L(mu) recomputed from the scenario (``lagrangean_value``), valid for any
mu >= 0. ``info`` holds both bounds and the multipliers, so anyone can re-check the bound
with ``lagrangean_value``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.errors import GQAPError
from gqap.online.instance import OnlineInstance
from gqap.online.relaxation import (
    Configuration,
    configuration,
    lagrangean_value,
    snapshot_bound,
)
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.online.tables import tables_within


def lp_relaxation(conf: Configuration) -> tuple[float, np.ndarray]:
    """(value, capacity duals mu >= 0) of the configuration model's LP relaxation."""
    import scipy.sparse as sp
    from scipy.optimize import linprog

    k, T = conf.value.size, conf.n_periods
    one = sp.csr_matrix((np.ones(k), (conf.period, np.arange(k))), shape=(T, k))
    cap = sp.csr_matrix((conf.cap_vals, (conf.cap_rows, conf.cap_cols)), shape=(T, k))
    res = linprog(-conf.value, A_ub=cap, b_ub=np.full(T, float(conf.G)), A_eq=one,
                  b_eq=np.ones(T), bounds=(0, None), method="highs")
    if res.status != 0:
        raise GQAPError(f"online-bound: the LP relaxation failed ({res.message})")
    return float(-res.fun), np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)


@dataclass(frozen=True)
class BoundOptions:
    """``lagrangean``: also compute the Lagrangean bound (else the snapshot bound only)."""

    lagrangean: bool = True


class OnlineBoundSolver(Solver):
    """The snapshot bound and a Lagrangean bound over the per-moment capacity rows."""

    name = "online-bound"
    families = ("online",)
    bound_only = True
    Options = BoundOptions

    def _solve(self, instance: OnlineInstance, time_limit: float | None,
               seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        tables = tables_within(instance, deadline)
        if tables is None:  # no bound without every period's table
            return SolverOutput(None, Status.TIME_LIMIT, info={"cut": "period tables"})
        snap = snapshot_bound(instance, tables)
        info: dict = {"snapshot_bound": snap, "lagrangean_bound": None, "multipliers": None}
        bound = snap
        if self.options.lagrangean and not deadline.expired():
            lp_value, mu = lp_relaxation(configuration(instance, tables))
            lag = lagrangean_value(instance, mu, tables)
            info.update(lagrangean_bound=lag.value, lp_value=lp_value,
                        multipliers=[float(x) for x in mu])
            bound = min(bound, lag.value)
        info["bound_source"] = ("lagrangean" if info["lagrangean_bound"] is not None
                                and info["lagrangean_bound"] < snap else "snapshot")
        if instance.n_users:
            info["bound_per_user"] = bound / instance.n_users
        return SolverOutput(None, Status.BOUND, bound=bound, info=info)
