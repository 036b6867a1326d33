"""The exact methods' race (``exact_race``): per classic instance and exact method, the
root bound and its gaps, the nodes, the time to proof or the bound at the budget (the
exact-gqap study, issue 27)."""

from __future__ import annotations

import math
from typing import Any

from gqap.bench.studies.common import first_seed_runs, run_bound, stored_json, stored_reference
from gqap.bench.tables import (
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    instance_bound,
    label_rank,
    ok,
)
from gqap.gaps import bound_gap
from gqap.solvers.base import Status


def exact_race(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Exact methods on the GQAP side by side (issue 27): per instance and method the root
    bound and its gap, the nodes, the time to proof or, unproved, the bound at the budget
    and the gap it leaves."""
    rows = [r for r in rows if r["family"] == "classic" and r["status"] != Status.BOUND]
    if not rows:
        return []
    t = Table("exact_race",
              "Exact GQAP methods per instance (first seed): status; the root bound (bnb: "
              "the bound of its dual ascent at the root; milp: the LP relaxation when it "
              "reports one) and its gap to the best known value (best known - root) / best "
              "known in %, and how far it lies below the instance's best certified bound (the "
              "set's recorded bound, e.g. the RLT1 LP, or a proof) in %; nodes (bnb: the "
              "tree's nodes); the time to proof (wall time of the "
              "solve call) for a proof, else the bound at the budget and its gap to the best "
              "known value; the best known value and its kind (optimal: a proven optimum).",
              [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
               Column("method"), Column("status"), Column("root bound", fmt_num(1), True),
               Column("root gap %", fmt_pct(3), True),
               Column("root below bound %", fmt_pct(3), True), Column("root s", fmt_sig(3), True),
               Column("nodes", numeric=True), Column("time to proof s", fmt_sig(3), True),
               Column("final bound", fmt_num(1), True), Column("final gap %", fmt_pct(3), True),
               Column("best known", fmt_num(1), True), Column("kind")])
    rank = label_rank(rows, order)
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        known = [r["objective"] for r in rs if ok(r) and r.get("objective") is not None]
        ref = stored_reference(rs)
        if ref is not None:
            known.append(ref)
        best = min(known) if known else None
        proved = any(r["status"] == Status.OPTIMAL for r in rs)
        kind = "optimal" if proved or any(r.get("reference_kind") == "exact" for r in rs) \
            else "best-known"
        certified = instance_bound(rs)[0]
        for r in first_seed_runs(rs, rank):
            lab = r["label"]
            info = stored_json(r.get("info"))
            root = info.get("root_bound", info.get("lp_bound"))
            root = float(root) if isinstance(root, int | float) and math.isfinite(root) else None
            optimal = r["status"] == Status.OPTIMAL
            final = None if optimal else run_bound(r)
            t.rows.append([inst, r["n_users_or_facilities"], r["gpus_or_sites"], lab,
                           str(r["status"]), root, bound_gap(best, root),
                           None if root is None or certified is None
                           else bound_gap(certified, root), info.get("root_seconds"),
                           info.get("nodes"),
                           r.get("wall_time_s") if optimal else None, final,
                           None if optimal else bound_gap(best, final), best, kind])
    return [t]
