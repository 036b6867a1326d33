"""Certified lower bounds for the GQAP: the ``bound`` solver.

A bound-only computation: the result holds a proven lower bound on the optimal cost and
no solution (status ``bound``, ``gqap.solvers.base.Status``). Methods (``method=``):

- ``lp-rlt1``: the LP relaxation of the Adams-Sherali level-1 (RLT) linearisation that
  ``milp`` builds by default (``solvers.formulations`` data: costs folded onto unordered
  pairs, product variables y[p, k, h] where capacities allow them, assignment rows times
  each x, and with ``rlt_capacity`` the capacity rows times each x where they can cut),
  built here as sparse arrays and solved by HiGHS (``scipy.optimize.linprog``).
- ``lp-gw``: the LP relaxation of the Glover-Woolsey linearisation (``milp
  linearisation=standard``); never stronger than ``lp-rlt1``.
- ``glb``: a Gilmore-Lawler-type bound. For facility i on site k, f[i, k] is its linear
  cost plus the least cost of its traffic with every other facility (each pair cost
  counted half), the others filling the sites' capacities as a continuous transportation
  problem (site k keeps Q_k - q_i); with product costs v t[i, j] (d[k, h] + d[h, k]) and
  nonnegative factors (the Cordeau and Lee & Ma instances, the suite's generator) the
  north-west corner rule solves it exactly (a Monge array). The master problem, a
  generalised assignment problem in f, is bounded by relaxing its assignment constraints
  with multipliers lambda (Ross-Soland: one continuous knapsack per site), raised by
  subgradient steps. O(n m) memory: it reaches the largest instances.
- ``lagrangean``: a Lagrangean relaxation of the RLT model solved by subgradient
  optimisation. The pair products are split between their two facilities, y[(i,k),(j,h)]
  costing c/2 + u in facility i's subproblem and c/2 - u in facility j's (u: multipliers
  of the symmetry constraints y_ikjh = y_jhik). For i on k, the subproblem places every
  other facility j on its cheapest site, except that the facilities sharing site k must fit
  its remaining capacity Q_k - q_i (a continuous knapsack); the master problem is bounded
  as in ``glb``. Subgradient steps on (u, lambda) (Polyak steps towards a local-search
  upper bound) raise it; it needs the pair arrays (n(n-1)/2 m^2 entries).
- ``best`` (default): ``glb``, then ``lagrangean`` for a share of the budget where its
  pair arrays fit (``max_pair_entries``), then ``lp-rlt1`` in what is left where the LP
  fits (``max_lp_columns``); the largest bound is reported.

**Validity in floating point.** Every bound is the value of a Lagrangean function, which
bounds the optimum for *any* multipliers, so no optimality tolerance of an LP code enters:
the LP bound is recomputed here from the duals HiGHS returns,
b^T y + sum_j min(0, (c - A^T y)_j) with each variable in [0, 1], whatever their accuracy.
From each computed value a first-order bound on its floating-point rounding error is
subtracted (``info["margin"]``); when every cost is an integer below 2^53 the optimum is
an integer and the bound is rounded up (``info["bound_raw"]`` keeps the value before). The
LP relaxation of an infeasible instance is reported ``infeasible`` only when HiGHS says so.

Modules: ``solver`` (``BoundOptions``, ``BoundSolver``: the methods against one deadline),
``certificate`` (``BoundResult``, ``certify``, ``integral_costs``, the local-search
``upper_bound``, ``continuous_knapsack`` and ``Subgradient``, the steps both subgradient
methods take), ``glb``, ``lagrangean``, ``lp`` (``lp_arrays``, ``dual_bound``, ``solve_lp``,
``lp_bound``) and ``lp_child`` (the HiGHS child process, a script).
"""
