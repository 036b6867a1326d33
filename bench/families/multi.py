"""Report tables of the multi-cluster family: the summary per solver, user count and S."""

from __future__ import annotations

from typing import Any

from gqap.bench.families.per_user import summary_per_user
from gqap.bench.tables import Table


def summary_tables(ctx: Any) -> list[Table | None]:
    """Per solver, user count and site count S."""
    return [summary_per_user(ctx.rows, ctx.order, "multi")]
