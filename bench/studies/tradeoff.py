"""``tradeoff``: per solver and size, mean gap to the reference against mean solve time,
and the speed-up over ``SPEEDUP_BASE``; the points of ``bench.figures.tradeoff``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gqap.bench.tables import (
    Column,
    Table,
    fmt_pct,
    fmt_sig,
    group_by,
    label_order,
    ok,
    stats,
)
from gqap.family import family as family_spec

SPEEDUP_BASE = "tabu"  # the solver the trade-off table measures speed-ups against


@dataclass(frozen=True)
class TradeoffPoint:
    """One solver on one size: mean relative gap (a fraction, positive = worse) and mean
    solve wall time over the runs with a solution and a reference."""

    label: str
    group: float  # S (multi) or G (offloading) or m (GQAP)
    users: int
    runs: int
    gap: float
    time_s: float


def tradeoff_points(rows: list[dict[str, Any]], order: list[str]) -> list[TradeoffPoint]:
    """Mean gap and mean solve time per solver label and (group, users) cell, in label
    order then by group and users; runs without a solution or reference are left out."""
    rows = [r for r in rows if ok(r) and r.get("reference") is not None
            and r.get("gap_rel") is not None]
    points = []
    for lab in label_order(rows, order):
        cells = group_by([r for r in rows if r["label"] == lab],
                         lambda r: (r["gpus_or_sites"], r["n_users_or_facilities"]))
        for (g, u), rs in sorted(cells.items()):
            points.append(TradeoffPoint(lab, g, int(u), len(rs),
                                        stats(r["gap_rel"] for r in rs).mean,
                                        stats(r["wall_time_s"] for r in rs).mean))
    return points


def tradeoff(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """The trade-off table: per size and solver, mean gap, mean time and the speed-up over
    ``SPEEDUP_BASE`` on the same cell (its mean time / the solver's)."""
    points = tradeoff_points(rows, order)
    if not points:
        return []
    key = family_spec(rows[0]["family"], warn=False).secondary
    base = {(p.group, p.users): p.time_s for p in points if p.label == SPEEDUP_BASE}
    t = Table("tradeoff",
              "Trade-off between solution quality and time: per size and solver, mean "
              "relative gap to the reference in % (positive = worse) and mean solve wall "
              f"time; speed-up = {SPEEDUP_BASE}'s mean time on the same cell / the solver's "
              f"('-' where {SPEEDUP_BASE} did not run). One point of the trade-off figure "
              "per line.",
              [Column(key), Column("users", numeric=True), Column("solver"),
               Column("runs", numeric=True), Column("gap % mean", fmt_pct(2), True),
               Column("time s mean", fmt_sig(3), True),
               Column(f"speed-up vs {SPEEDUP_BASE}", fmt_sig(3), True)])
    for p in sorted(points, key=lambda p: (p.group, p.users)):
        ref = base.get((p.group, p.users))
        speed = ref / p.time_s if ref is not None and p.time_s > 0 else None
        t.rows.append([p.group, p.users, p.label, p.runs, p.gap, p.time_s, speed])
    return [t]
