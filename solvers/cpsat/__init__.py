"""OR-Tools CP-SAT solver for the three families.

**GQAP.** Booleans x[i, k] (exactly one site per facility, linear capacities) and, for every
unordered pair p = (i, j) with a non-zero cost (``solvers.formulations``), booleans
y[p, k, h] tied to x by the RLT channelling equalities sum_k y[p, k, h] = x_jh and
sum_h y[p, k, h] = x_ik. With Boolean x these force y[p, k, h] = x_ik x_jh exactly, and they
give CP-SAT's linear relaxation the RLT level-1 strength; ``rlt_capacity=true`` adds the
capacity x variable products as well.

**Offloading.** ``model=full`` (default): the b-disaggregated model of
``solvers.formulations`` (exact, integer or real splits); ``model=fixed-split``: the
paper's variant, the 2-site GQAP of gqap.offloading.reduction.offloading_to_gqap with the GQAP model
above. As in ``milp``, a fixed-split result is ``feasible`` for the instance;
``info["model_status"]`` says whether the restriction was proven optimal.

**Multi-cluster.** ``model=full``: the count-disaggregated model of
``solvers.formulations`` (Booleans z per site and count, w per user, site and count, one
site per user); ``model=fixed-split``: the (S + 1)-site GQAP of ``gqap.multi.multi_to_gqap``
with every granted split at N_hat, ``feasible`` as for offloading.

**Integer costs.** CP-SAT needs integer objective coefficients. Integral costs are used as
they are (``info["cost_scale"] = 1``); otherwise every coefficient is multiplied by a
power of ten (``scale`` option, or automatically so that the largest is near 1e12) and
rounded. ``info["rounding_error_bound"]`` bounds how far any solution's scaled objective
can be from its true one (E); the reported bound is widened by E, and the status is
``optimal`` only when CP-SAT proved the scaled model optimal and 2E, the most by which
the returned solution can miss the true optimum, is at most 1e-9 of the objective.
Weights and capacities must be integers (or decimals that a power of ten up to 1e6 makes
integral); otherwise the solver raises a one-line error. So it does when a coefficient
overflows double precision or cannot be represented in CP-SAT's 64-bit integers
(``integer_costs``, ``integer_weights``).

**Time limit.** The whole call runs against one ``Deadline``: the model's size is counted
from its data first (``cpsat_size``), a model that cannot be built in what is left is not
built, and the build checks the clock; either way the answer is ``time_limit`` with
``info["time_limit_reason"]``. CP-SAT then gets what is left of the budget.

The package: ``scaling`` (integer costs and weights), ``models`` (the three CP-SAT models,
their sizes counted before building, the build against the deadline) and ``solver`` (the
adapter: options, the model the options select, the answer).
"""

from gqap.solvers.cpsat.models import (
    CPSize,
    build_batch_cpsat,
    build_gqap_cpsat,
    build_multi_cpsat,
    cpsat_size,
)
from gqap.solvers.cpsat.scaling import cost_scale, integer_costs, integer_weights
from gqap.solvers.cpsat.solver import CPModel, CPSATOptions, CPSATSolver, build_cp_model

__all__ = [
    "CPModel", "CPSATOptions", "CPSATSolver", "CPSize", "build_batch_cpsat", "build_cp_model",
    "build_gqap_cpsat", "build_multi_cpsat", "cost_scale", "cpsat_size", "integer_costs",
    "integer_weights",
]
