"""``gap_summary``: gaps to the reference per solver and group (users, G or S) and over
all: mean and median relative gap, sum gap, gap per user, share solved to the reference
(the DQN studies' table)."""

from __future__ import annotations

from typing import Any

from gqap.bench.studies.common import (
    reached,
    sum_gap,
)
from gqap.bench.tables import (
    KINDS_NOTE,
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    kinds_text,
    label_order,
    ok,
    stats,
)
from gqap.family import family as family_spec


def gap_summary(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Gaps to the reference per solver and group, with an 'all' line per solver."""
    rows = [r for r in rows if family_spec(r["family"], warn=False).per_user and ok(r)
            and r.get("reference") is not None]
    if not rows:
        return []
    users = {r["n_users_or_facilities"] for r in rows}
    seconds = {family_spec(r["family"], warn=False).secondary for r in rows}
    second = seconds.pop() if len(seconds) == 1 else "G"
    key, by = (("users", lambda r: r["n_users_or_facilities"]) if len(users) > 1
               else (second, lambda r: r["gpus_or_sites"]))
    labels = label_order(rows, order)
    t = Table("gap_summary",
              "Gap to the reference per solver and "
              f"{'user count' if key == 'users' else key}: mean and median relative gap "
              "(ref - value) / |ref| in % (references with |ref| < 1e-9 left out), sum gap "
              "sum(ref - value) / sum |ref| in % (robust to references near 0), mean gap per "
              "user, share of runs that reach the reference, mean objective and reference, "
              f"mean solve time; {KINDS_NOTE}.",
              [Column(key), Column("solver"), Column("runs", numeric=True),
               Column("gap % mean", fmt_pct(2), True), Column("gap % median", fmt_pct(2), True),
               Column("sum gap %", fmt_pct(2), True), Column("gap/user", fmt_num(4), True),
               Column("reached %", fmt_pct(0), True), Column("mean obj.", fmt_num(3), True),
               Column("mean ref.", fmt_num(3), True), Column("s/solve", fmt_sig(3), True),
               Column("reference")])
    groups = sorted({by(r) for r in rows})
    for g in [*groups, "all"]:
        at = rows if g == "all" else [r for r in rows if by(r) == g]
        for lab in labels:
            rs = [r for r in at if r["label"] == lab]
            if not rs:
                continue
            rel = stats(r["gap_rel"] for r in rs)
            t.rows.append([g, lab, len(rs), rel.mean, rel.median, sum_gap(rs),
                           stats(r["gap_per_user"] for r in rs).mean,
                           sum(reached(r) for r in rs) / len(rs),
                           stats(r["objective"] for r in rs).mean,
                           stats(r["reference"] for r in rs).mean,
                           stats(r["wall_time_s"] for r in rs).mean, kinds_text(rs)])
    return [t]
