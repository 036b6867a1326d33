"""``frontier``: per site count (G, S or m) and solver, the largest user count at which
every run proved its optimum within the time limit (the multi-cluster study)."""

from __future__ import annotations

from typing import Any

from gqap.bench.tables import (
    Column,
    Table,
    label_order,
)
from gqap.family import family as family_spec
from gqap.solvers.base import Status


def frontier(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per site count S (G for offloading, m for GQAP) and solver: the largest user count at
    which every run proved its optimum within the time limit, and proofs per run."""
    if not rows:
        return []
    family = rows[0]["family"]
    key = family_spec(family, warn=False).secondary
    t = Table("frontier",
              f"Proof frontier: per {key} and solver, the largest user count (facilities for "
              "GQAP) at which every run proved its optimum within the time limit ('-': none), "
              "the largest at which any run did, the smallest at which some run did not, and "
              "the runs proved out of the runs made; solvers that proved no run at all "
              "(heuristics) are left out.",
              [Column(key), Column("solver"), Column("all proved up to", numeric=True),
               Column("some proved up to", numeric=True),
               Column("first unproved", numeric=True), Column("proved", numeric=True),
               Column("runs", numeric=True)])
    provers = {r["label"] for r in rows if r["status"] == Status.OPTIMAL}
    labels = [lab for lab in label_order(rows, order) if lab in provers]
    for g in sorted({r["gpus_or_sites"] for r in rows}):
        for lab in labels:
            rs = [r for r in rows if r["gpus_or_sites"] == g and r["label"] == lab]
            if not rs:
                continue
            sizes = sorted({r["n_users_or_facilities"] for r in rs})
            proved = {u: [r["status"] == Status.OPTIMAL for r in rs
                          if r["n_users_or_facilities"] == u] for u in sizes}
            all_up = None
            for u in sizes:  # every size up to u fully proved
                if not all(proved[u]):
                    break
                all_up = u
            some = [u for u in sizes if any(proved[u])]
            unproved = [u for u in sizes if not all(proved[u])]
            t.rows.append([g, lab, all_up, max(some) if some else None,
                           min(unproved) if unproved else None,
                           sum(sum(p) for p in proved.values()), len(rs)])
    return [t]
