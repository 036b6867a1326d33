"""Report tables of the classic family: the summary per instance and solver."""

from __future__ import annotations

from typing import Any

from gqap.bench.tables import (
    BOUND_NOTE,
    KINDS_NOTE,
    Column,
    Table,
    failed,
    fmt_interval,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    instance_bound,
    kinds_text,
    label_rank,
    ok,
    stats,
)

FAMILY = "classic"


def summary_tables(ctx: Any) -> list[Table | None]:
    """Per instance and solver."""
    return [summary_gqap(ctx.rows, ctx.order)]


def summary_gqap(rows: list[dict[str, Any]], order: list[str]) -> Table:
    """Per GQAP instance and solver: cost, relative gap and time statistics."""
    rows = [r for r in rows if r["family"] == FAMILY]
    rank = label_rank(rows, order)
    t = Table("summary_gqap",
              "GQAP: per instance and solver, runs with a solution (solved) and failed or "
              "killed runs, mean and best cost, reference value, relative gap to the reference "
              "(in %, positive = worse) and solve wall time; CI = 95% confidence interval of "
              f"the mean; {KINDS_NOTE}; {BOUND_NOTE}.",
              [Column("instance"), Column("solver"), Column("n", numeric=True),
               Column("m", numeric=True), Column("runs", numeric=True),
               Column("solved", numeric=True), Column("failed", numeric=True),
               Column("cost mean", fmt_num(1), True),
               Column("cost best", fmt_num(1), True), Column("reference", fmt_num(1), True),
               Column("kind"), Column("bound", fmt_num(1), True),
               Column("open gap %", fmt_pct(3), True), Column("gap % mean", fmt_pct(3), True),
               Column("gap % CI", fmt_interval(fmt_pct(3))),
               Column("time s mean", fmt_sig(3), True), Column("time s median", fmt_sig(3), True)])
    groups = group_by(rows, lambda r: (r["instance"], rank.get(r["label"], 99), r["label"]))
    for (inst, _, label), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        cost = stats(r["objective"] for r in good)
        gr = stats(r["gap_rel"] for r in good)
        tm = stats(r["wall_time_s"] for r in good)
        best = min((r["objective"] for r in good), default=None)
        ref = next((r["reference"] for r in rs if r.get("reference") is not None), None)
        t.rows.append([inst, label, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                       len(rs), len(good), sum(failed(r) for r in rs), cost.mean, best, ref,
                       kinds_text(rs), *instance_bound(rs),
                       gr.mean, (gr.lo, gr.hi), tm.mean, tm.median])
    return t
