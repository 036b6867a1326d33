"""The period tables of a scenario within a time limit, shared by the offline references."""

from __future__ import annotations

from gqap.online.instance import OnlineInstance
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.solvers.base import Deadline


def tables_within(inst: OnlineInstance, deadline: Deadline) -> list[PeriodTable] | None:
    """Every period's table (``PeriodProblem.values``), or None once the deadline expires."""
    tables = []
    for users in inst.periods():
        if deadline.expired():
            return None
        tables.append(PeriodProblem(inst.header, users).values())
    return tables
