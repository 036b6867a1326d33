"""The exact and bound studies' tables: ``proofs`` (per classic instance, the exact method
that proved the optimum first, whether it equals the published one, the time to proof)
and ``bounds`` (per instance and method, the certified lower bound a run reached; per
instance the best of them and the open gap to the best known value)."""

from __future__ import annotations

import math
import statistics
from typing import Any

from gqap.bench.studies.common import (
    first_seed_runs,
    run_bound,
    same_value,
    stored_reference,
)
from gqap.bench.tables import (
    KINDS_NOTE,
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    instance_bound,
    kinds_text,
    label_rank,
    ok,
)
from gqap.gaps import bound_gap
from gqap.solvers.base import Status


def proofs(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per GQAP instance, the fastest run that proved the optimum and what it proved."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    t = Table("proofs",
              "Proven optima: per instance, the exact method whose run proved the optimum "
              "fastest (status optimal), the proven optimum, the published optimum (the "
              "set's reference; '-' for sets without one), whether they are equal, the time "
              "to proof (wall time of "
              "the solve call, model build included) and how many runs proved it; instances "
              "no run proved show the best bound any run reached.",
              [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
               Column("method"), Column("proven optimum", fmt_num(1), True),
               Column("published", fmt_num(1), True), Column("equal"),
               Column("time to proof s", fmt_sig(3), True), Column("runs proved"),
               Column("best bound", fmt_num(1), True)])
    by_method: dict[str, list[dict[str, Any]]] = {}
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        proved = [r for r in rs if r["status"] == Status.OPTIMAL and r.get("objective")
                  is not None]
        first = min(proved, key=lambda r: r.get("wall_time_s") or math.inf, default=None)
        ref = stored_reference(rs)
        if first is not None:
            by_method.setdefault(first["label"], []).append(first)
        t.rows.append([inst, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                       "-" if first is None else first["label"],
                       None if first is None else first["objective"], ref,
                       "-" if first is None or ref is None
                       else ("yes" if same_value(first["objective"], ref) else "no"),
                       None if first is None else first.get("wall_time_s"),
                       f"{len(proved)}/{len(rs)}", instance_bound(rs)[0]])
    s = Table("proofs_summary",
              "Proven optima per method (the fastest proof of each instance): instances, "
              "how many equal the published optimum, median and largest time to proof.",
              [Column("method"), Column("instances", numeric=True),
               Column("equal published", numeric=True), Column("median s", fmt_sig(3), True),
               Column("max s", fmt_sig(3), True)])
    rank = label_rank(rows, order)
    for lab in sorted(by_method, key=lambda lab: rank.get(lab, 99)):
        rs = by_method[lab]
        times = [r["wall_time_s"] for r in rs if r.get("wall_time_s") is not None]
        s.rows.append([lab, len(rs), sum(same_value(r["objective"], r.get("reference")) for r in rs
                                        if r.get("reference_kind") == "exact"
                                        and r.get("reference_stored")),
                       statistics.median(times) if times else None,
                       max(times) if times else None])
    proven = sum(1 for row in t.rows if row[3] != "-")
    s.rows.append(["all", proven, sum(1 for row in t.rows if row[6] == "yes"), None, None])
    return [t, s]


def bounds(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per GQAP instance and method the bound a run reached; per instance the best."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    rank = label_rank(rows, order)
    t = Table("bounds",
              "Certified lower bounds per instance and method (first seed): status, the bound "
              "the run proved (a proof's optimum, a bound-only run's bound or a branch and "
              "bound's best bound), the gap it leaves to the best known value "
              "(best known - bound) / best known in %, wall time and time limit.",
              [Column("instance"), Column("method"), Column("status"),
               Column("bound", fmt_num(1), True), Column("best known", fmt_num(1), True),
               Column("gap %", fmt_pct(3), True), Column("wall s", fmt_sig(4), True),
               Column("limit s", fmt_sig(4), True)])
    best_t = Table("bounds_best",
                   "Best certified lower bound per instance within this sweep's budgets: the "
                   "best known value and its kind, the best bound and the method that reached "
                   "it, and the open gap (best known - bound) / best known in %; "
                   f"{KINDS_NOTE}.",
                   [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
                    Column("best known", fmt_num(1), True), Column("kind"),
                    Column("best bound", fmt_num(1), True), Column("method"),
                    Column("open gap %", fmt_pct(3), True)])
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        known = [r.get("objective") for r in rs if ok(r)]
        if rs[0].get("reference_kind") in ("exact", "best_known", "best_found"):
            known.append(rs[0].get("reference"))
        known = [v for v in known if v is not None]
        best_known = min(known) if known else None
        top: tuple[float, str] | None = None
        for r in first_seed_runs(rs, rank):
            lab = r["label"]
            b = run_bound(r)
            if b is not None and (top is None or b > top[0]):
                top = (b, lab)
            t.rows.append([inst, lab, str(r["status"]), b, best_known,
                           bound_gap(best_known, b), r.get("wall_time_s"), r.get("time_limit")])
        best_t.rows.append([inst, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                            best_known, kinds_text(rs[:1]),
                            None if top is None else top[0], "-" if top is None else top[1],
                            None if top is None else bound_gap(best_known, top[0])])
    return [t, best_t]
