"""Tables shared by the families whose objective is a sum over users (offloading, multi):
the summary per solver, user count and second size parameter."""

from __future__ import annotations

from typing import Any

from gqap.bench.tables import (
    KINDS_NOTE,
    Column,
    Table,
    failed,
    fmt_interval,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    kinds_text,
    label_rank,
    ok,
    stats,
)
from gqap.family import family as family_spec


def summary_per_user(rows: list[dict[str, Any]], order: list[str], family: str) -> Table:
    """``summary_FAMILY`` of a family whose objective is a sum over users: per solver, user
    count and the family's second size parameter (G, S): runs, failures, objective, gap
    and time statistics."""
    rows = [r for r in rows if r["family"] == family]
    rank = label_rank(rows, order)
    t = Table(f"summary_{family}",
              f"{family.capitalize()}: per solver and size, runs with a solution (solved) "
              "and failed or "
              "killed runs, mean objective per user, gap to the reference per user and "
              "relative (in %, positive = worse), and solve wall time; CI = 95% confidence "
              f"interval of the mean; {KINDS_NOTE}.",
              [Column("solver"), Column("users", numeric=True),
               Column(family_spec(family).secondary, numeric=True),
               Column("runs", numeric=True), Column("solved", numeric=True),
               Column("failed", numeric=True),
               Column("obj/user", fmt_num(4), True), Column("gap/user", fmt_num(4), True),
               Column("gap/user CI", fmt_interval(fmt_num(4))),
               Column("gap % mean", fmt_pct(2), True), Column("gap % median", fmt_pct(2), True),
               Column("time s mean", fmt_sig(3), True), Column("time s median", fmt_sig(3), True),
               Column("time s CI", fmt_interval(fmt_sig(3))), Column("reference")])
    groups = group_by(rows, lambda r: (r["n_users_or_facilities"], r["gpus_or_sites"],
                                     rank.get(r["label"], 99), r["label"]))
    for (users, g, _, label), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        obj = stats(r["objective_per_user"] for r in good)
        gu = stats(r["gap_per_user"] for r in good)
        gr = stats(r["gap_rel"] for r in good)
        tm = stats(r["wall_time_s"] for r in good)
        t.rows.append([label, users, g, len(rs), len(good), sum(failed(r) for r in rs), obj.mean,
                       gu.mean,
                       (gu.lo, gu.hi), gr.mean, gr.median, tm.mean, tm.median, (tm.lo, tm.hi),
                       kinds_text(good)])
    return t
