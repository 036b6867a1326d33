"""Iterated tabu search for every family (Silva, Coelho and Darvish 2021; Cordeau et al. 2006).

GQAP: best-improvement tabu search over the shift (facility to another site) and swap
(two facilities on different sites exchange sites) neighbourhoods. Every move is priced in
O(1) from the contribution matrix of ``solvers.gqap_delta`` and the whole neighbourhood is
one numpy expression; applying a move updates the matrix in O(n m). Tight capacities are
crossed by strategic oscillation: the search minimises cost + lambda * overload, where
lambda grows while the current assignment is overloaded and shrinks while it is feasible,
so the search can cut through infeasible space and come back; only feasible assignments
count as best. Moving facility i off site p forbids putting it back on p for a random
tenure; a tabu move is allowed when it yields a feasible assignment better than the best
(aspiration; worked out only when the cheapest move could beat the best at all). A move is
applied as one small matrix product (``GQAPDelta.move``). After ``patience`` iterations
without a better round best a round ends; its best feasible assignment is offered to an
elite pool of up to 10 round bests that differ pairwise in at least n / 10 facilities'
sites (a newcomer closer to a member replaces it only if better; otherwise it enters,
displacing the worst member when the pool is full and it beats that one). Then the search
restarts: after a round that improved the best, from the best, kicked; after a failed
round, mostly (70 %) by path relinking between two random elite members (Mateus, Resende
and Silva 2011: walk from one to the other, each step moving the differing facility whose
move to its guide site is cheapest in penalised cost, and start at the best point of the
middle half of the path, so the search resumes between two good regions instead of around
one), else (20 %) from a random elite member, else from the best, kicked. Around the best
alone the search keeps revisiting one basin (40-09-95, 10 s: 3 of 10 seeds reached the
reference restarting from the best only, 9 with these restarts). A kick: half the time
the contents of two sites are exchanged (good assignments cluster facilities on few
sites, and no single shift or swap relocates a cluster), then random facilities move to
random sites, more of them after every round that failed to improve the best.
Before a round ends, its best assignment gets the best improving one-for-two exchange
(``GQAPDelta.one_for_two``: one facility moves to another site and two of that site's
facilities move to its site, both sites within capacity), again while one improves; if
any did, the round goes on from there. On tight capacities this is the step no shift or
swap takes: C14X6-1018's trap at 2,379,550, where 4 of 10 1-s runs stopped, is one such
exchange from the optimum (Lee & Ma, 1 s, seeds 10-19: 270 of 270 runs reach the
optimum, 265 without the exchanges; 40-09-95, 10 s, seeds 10-29: 18 of 20, 15 without).
All of this works around the best of the current segment: after ``restart_after`` (100)
rounds in a row that failed to improve it, the search starts a new segment from a random
assignment with an empty elite pool (the overall best is kept). On tight instances the
elite pool can gather in one basin that no relinking leaves (30-20-95, 10 s, seeds 10-29:
9 of 20 runs reached the reference without new segments, 14 of 20 with them; seeds 0-9: 5
of 10 either way). On Lee & Ma at 1 s they change nothing that 60 seeds can see
(C14X6-1018, seeds 0-59: 43 of 60 runs reach the optimum with them, 41 without).

Offloading: the same search over grant masks. Users interact only through b, so the
gains of granting over denying, g_i(b), come from the fast split routine
(``gqap.offloading.split.grant_gains``, vectorised over users) once per b the search visits; the
value of a mask is sum(denied QoE) + sum of the granted users' g_i(b). Moves: grant one
user (b + 1, only while b < B_max), deny one (b - 1), or exchange a granted and a denied
user (b fixed), each priced in O(1); exchanges are separable (cur - g_i + g_j), so the
best of all b (|I| - b) is found by two O(|I|) scans.

When it ends. Always at ``target``, at ``max_iterations`` if given, and at the time limit.
Besides, GQAP without a time limit runs 200 n + 2000 iterations (with one, the whole
budget is used, as is usual for literature runs); offloading ends after ``stop_after``
iterations without a new best (default 20 |I| + 200), with or without a time limit: its
landscape is far smaller, and a runtime that depends on the instance is what scaling
studies need.

Modules: ``solver`` (``TabuSolver``, one search per family), ``core`` (``TabuOptions``, the
termination rule, tie-breaking), ``classic`` (``GQAPSearch``), ``offloading``
(``MaskSearch``) and ``multi`` (``MultiSearch``).
"""
