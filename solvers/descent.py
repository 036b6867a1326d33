"""Steepest-ascent local search for the multi-cluster family: the 1-opt reference point.

Start with every user denied; at each step apply the single best of all user moves (deny a
granted user, grant a denied user on a site with room, move a granted user to another
site), priced in O(1) each from the gain sums of ``solvers.multi_delta``; stop at the first
decision no move improves (a local optimum) or at the time limit. Granted users take their
best split for the final counts, as in every solver of the family. No randomness: the seed
is accepted and ignored, and ties go to the lowest user, then deny, then the lowest site.

Why it is in the suite: it is the simplest search a learned or constructive method must
beat. On the family's generator defaults it ends 0.3 % from the proven optimum on average
in milliseconds (results/multi-dqn; 1.2 % over results/multi, where few users on many sites
leave it furthest off), the bar ``dqn-multi`` is measured against.
"""

from __future__ import annotations

import numpy as np

from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED
from gqap.multi.split import gain_table
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.multi_delta import MultiDelta
from gqap.solvers.options import SplitOptions

# A move must gain more than this, relative to the objective's scale, to count: float
# noise in the gain sums must not make the search cycle between equal decisions.
_MIN_GAIN = 1e-12


class DescentSolver(Solver):
    """Best-improvement 1-opt search (deny / grant / move one user) from everyone denied."""

    name = "descent"
    families = ("multi",)
    version = "1"
    Options = SplitOptions

    def _solve(self, instance: Instance, time_limit: float | None,
               seed: int) -> SolverOutput:
        assert isinstance(instance, MultiInstance)
        deadline = Deadline(time_limit)  # the gain table counts against the budget
        table = gain_table(instance, integer=self.options.integer)
        state = MultiDelta(table, np.full(instance.n_users, DENIED, dtype=np.int64))
        scale = max(1.0, abs(state.value))
        moves, cut = 0, False
        while True:
            if deadline.expired():
                cut = True
                break
            deltas = state.move_deltas()
            i, c = np.unravel_index(int(np.argmax(deltas)), deltas.shape)
            if deltas[i, c] <= _MIN_GAIN * scale:
                break
            state.move(int(i), int(c) - 1)
            moves += 1
        solution = table.decision(state.x)
        info = {"split_mode": self.options.split, "moves": moves,
                "counts": solution.counts(instance.n_sites).tolist()}
        return SolverOutput(solution, Status.TIME_LIMIT if cut else Status.FEASIBLE, info=info)
