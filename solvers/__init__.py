"""Solver adapters behind one interface (see solvers.base) and their registry."""

from gqap.family import Instance
from gqap.solvers.base import Deadline, Solver, SolveResult, SolverOutput, Status
from gqap.solvers.registry import list_solvers, make_solver, register, solver_class, solver_spec

__all__ = [
    "Deadline", "Solver", "SolverOutput", "SolveResult", "Status", "list_solvers",
    "make_solver", "register", "solve", "solver_class", "solver_spec",
]


def solve(name: str, instance: Instance, *, time_limit: float | None = None, seed: int = 0,
          **options) -> SolveResult:
    """Solve ``instance`` with the registered solver ``name`` (pymoo's ``minimize``)."""
    return make_solver(name, **options).solve(instance, time_limit=time_limit, seed=seed)
