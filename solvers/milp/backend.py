"""What every MILP backend is: a name, an ``available()`` check and ``solve``.

A backend receives a built PuLP model and the solve call's ``Deadline``, runs in a child
process supervised by ``gqap.solvers.process``, and answers with a ``BackendResult`` whose
``outcome`` is already a ``Status``: each backend maps its own status codes explicitly
(``optimal`` only when the backend proved it; PuLP's own status, which calls a
time-limited run "Optimal", is never used).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from gqap.solvers.base import Deadline, DeadlineExpired, Status
from gqap.solvers.milp.size import WRITE_TO_BUILD_FLOOR

SOLVE_FLOOR_S = 0.05  # below this much time left, a backend is not started


@dataclass
class BackendResult:
    """A backend's answer in backend-neutral terms (model values, minimisation)."""

    outcome: Status
    raw_status: str
    values: dict[str, float] | None = None
    objective: float | None = None
    bound: float | None = None
    solve_time_s: float = 0.0
    start_value: float | None = None  # model value of a warm start the backend accepted
    write_time_s: float = 0.0


class Backend(ABC):
    """A MILP backend (PuLP's solver-adapter idea: one small class per backend)."""

    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def available(cls) -> bool:
        """True when the backend can run here (checked without loading it in-process)."""

    @classmethod
    def unavailable_reason(cls) -> str:
        """One line saying why the backend cannot run ('' when it can)."""
        return "" if cls.available() else f"MILP backend {cls.name} is not available"

    @abstractmethod
    def solve(self, prob: Any, deadline: Deadline, *, mip: bool, threads: int, gap: float,
              start: dict[str, float] | None, msg: bool,
              build_time_s: float = 0.0) -> BackendResult:
        """Solve ``prob`` (its LP relaxation with ``mip=False``) within ``deadline``."""


def write_mps(prob: Any, path: str, deadline: Deadline,
              build_time_s: float) -> tuple[Any, float]:
    """Write ``prob`` as MPS (PuLP's renamed form) unless the deadline cannot allow it.

    Writing takes about as long as building; it is not started when less than
    ``WRITE_TO_BUILD_FLOOR`` x the build time (or no time at all) is left, and the
    deadline is checked again once it is written. Returns ``prob.writeMPS``'s answer and the
    seconds the write took; raises ``DeadlineExpired`` instead of overrunning.
    """
    if deadline.remaining() < max(WRITE_TO_BUILD_FLOOR * build_time_s, SOLVE_FLOOR_S):
        raise DeadlineExpired(f"no time left to write the model ({build_time_s:.2f} s to "
                              f"build it, {max(deadline.remaining(), 0.0):.2f} s left)")
    t0 = time.perf_counter()
    answer = prob.writeMPS(path, rename=1)
    seconds = time.perf_counter() - t0
    if deadline.remaining() < SOLVE_FLOOR_S:
        raise DeadlineExpired(f"no time left to solve after writing the model "
                              f"({seconds:.2f} s)")
    return answer, seconds
