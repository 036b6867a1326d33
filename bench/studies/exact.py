"""The exact methods' race (``exact_race``): per classic instance and exact method, the
root bound and its gaps, the nodes, the time to proof or the bound at the budget; and
``bnb``'s root bound against the RLT1 LP, paired in one sweep (``root_vs_lp``). Both are
the exact-gqap study's (issue 27)."""

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
from gqap.gaps import bound_gap, relative_gap
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


def root_vs_lp(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """bnb's root bound against the RLT1 LP bound, paired per GQAP instance in one sweep
    (issue 27): each bound and its time, how far the root lies below the LP, and the
    ratios of the times. Pairs the first-seed run of ``bnb`` with ``root_only`` and the
    first-seed run of ``bound`` with ``method = "lp-rlt1"`` (the first label in ``order``
    when there are several)."""
    rank = label_rank(rows, order)
    t = Table("root_vs_lp",
              "bnb's root bound (its ascent, Volume and Adam phases; bnb with root_only) "
              "against the RLT1 LP bound (bound with method lp-rlt1) per GQAP instance, "
              "both from this sweep: each bound; how far the root lies below the LP, "
              "(LP - root) / LP in % (negative: above it); "
              "the root's own seconds (info.root_seconds) and the LP's (its build and "
              "solve, info.seconds); the wall time of each solve call (bnb's includes its "
              "tabu incumbent); and the ratios root / LP of both.",
              [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
               Column("LP bound", fmt_num(1), True), Column("root bound", fmt_num(1), True),
               Column("root below LP %", fmt_pct(3), True),
               Column("LP s", fmt_sig(3), True), Column("root s", fmt_sig(3), True),
               Column("root s / LP s", fmt_sig(2), True),
               Column("LP wall s", fmt_sig(3), True), Column("bnb wall s", fmt_sig(3), True),
               Column("wall ratio", fmt_sig(2), True)])
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        if rs[0]["family"] != "classic":
            continue
        roots = [r for r in rs if r.get("solver") == "bnb" and ok(r)
                 and stored_json(r.get("options")).get("root_only")]
        lps = [r for r in rs if r.get("solver") == "bound" and r["status"] == Status.BOUND
               and stored_json(r.get("options")).get("method") == "lp-rlt1"]
        if not roots or not lps:
            continue
        root_run, lp_run = first_seed_runs(roots, rank)[0], first_seed_runs(lps, rank)[0]
        info, lp_info = stored_json(root_run.get("info")), stored_json(lp_run.get("info"))
        root, lp = info.get("root_bound"), lp_run.get("bound")
        root_s = info.get("root_seconds")
        lp_s = stored_json(lp_info.get("seconds")).get("lp-rlt1")
        t.rows.append([inst, root_run["n_users_or_facilities"], root_run["gpus_or_sites"],
                       # a lower bound is better the higher it is: sense 'max'
                       lp, root, relative_gap(lp, root, "max"), lp_s, root_s,
                       _ratio(root_s, lp_s),
                       lp_run.get("wall_time_s"), root_run.get("wall_time_s"),
                       _ratio(root_run.get("wall_time_s"), lp_run.get("wall_time_s"))])
    return [t] if t.rows else []


def _ratio(a: Any, b: Any) -> float | None:
    """a / b when both are positive numbers, else None."""
    if isinstance(a, int | float) and isinstance(b, int | float) and a > 0 and b > 0:
        return float(a) / float(b)
    return None
