"""MILP solver ``milp`` (PuLP; CBC or HiGHS) for the three families, split the way PuLP splits
its own solver layer:

- ``model``: the PuLP models built from ``gqap.solvers.formulations``' data and the build
  against the solve call's deadline;
- ``size``: their exact sizes (``ModelSize``), counted with numpy before anything is
  built, and the build-time floors checked against the deadline;
- ``backend``: what a backend is (``Backend``: ``available()``, ``solve``) and its answer
  (``BackendResult``, already a ``Status``);
- ``cbc`` and ``highs``: one module per backend with its explicit status mapping, each run
  in a child process supervised by ``gqap.solvers.process``;
- ``solver``: the adapter (``MILPSolver``, ``MILPOptions``, ``lp_relaxation``).

**GQAP.** The 0-1 quadratic program of ``solvers.formulations`` (costs folded onto
unordered pairs p = (i, j), i < j) is linearised with continuous product variables
y[p, k, h] = x_ik x_jh, created once per unordered pair (product symmetry), for every site
combination that capacities allow:

- ``linearisation=rlt`` (default; Adams-Sherali level 1 as used for the GQAP by Pessoa,
  Hahn, Guignard and Zhu 2010): each assignment constraint multiplied by each x,
  sum_k y[p, k, h] = x_jh and sum_h y[p, k, h] = x_ik, and, with ``rlt_capacity`` (default
  on), each capacity constraint multiplied by each x_jh,
  sum_{i != j} q_i y[(i,k),(j,h)] <= (Q_k - q_j [k = h]) x_jh (left out where it cannot
  cut, i.e. when every other facility fits anyway). With binary x these equalities force
  y = x_ik x_jh, so y needs no integrality.
- ``linearisation=standard`` (Glover-Woolsey): y only for products with a non-zero cost,
  y >= x_ik + x_jh - 1 for positive costs, y <= x_ik and y <= x_jh for negative ones (the
  sides that cannot bind under minimisation are left out; the LP bound is unchanged).
  The RLT equalities imply all three Glover-Woolsey inequalities, so the RLT LP bound is
  never weaker; ``lp_bound=true`` reports the LP-relaxation bound of the chosen model in
  ``info["lp_bound"]`` so the harness can compare them.

**Offloading.** ``model=full`` (default): the b-disaggregated model of
``solvers.formulations`` (z_b one-hot over the number of granted users, w_ib = user i
granted when b is chosen, each w weighted by the user's gain at its best split for that b,
from gqap.offloading.split.grant_gains); its optimum is the exact optimum with integer (or, with
``split=real``, real) split points. ``model=fixed-split``: the paper's Branch & Bound,
splits fixed at N_hat, i.e. the 2-site GQAP of gqap.offloading.reduction.offloading_to_gqap
(Proposition 1) solved with the GQAP model above. Its solution is only optimal for that
restriction, so the status is ``feasible`` (``info["model_status"]`` says whether the
restricted model was proven optimal, ``info["model_bound"]`` gives its bound).

**Multi-cluster.** ``model=full``: the count-disaggregated model of
``solvers.formulations`` (z_sb one-hot over the count of each site, w_isb = user i on site
s at that count, weighted by the gain table, one site per user); exact with integer (or
real) splits, proofs by branch and bound. ``model=fixed-split``: the (S + 1)-site GQAP of
``gqap.multi.multi_to_gqap`` (every split at N_hat), ``feasible`` as for offloading.

Status is ``optimal`` only when the backend proved it. The time limit is wall clock from
the start of the call, model build included (``info["build_time_s"]``): a model that cannot
be built in the budget is not built (``info["time_limit_reason"]``).
"""

from gqap.solvers.milp.backend import Backend, BackendResult
from gqap.solvers.milp.model import BuiltModel, build_model, plan_model
from gqap.solvers.milp.size import ModelSize
from gqap.solvers.milp.solver import BACKENDS, MILPOptions, MILPSolver, lp_relaxation

__all__ = [
    "BACKENDS", "Backend", "BackendResult", "BuiltModel", "MILPOptions", "MILPSolver",
    "ModelSize", "build_model", "lp_relaxation", "plan_model",
]
