"""``race``: the literature race: per solver, instances and runs that reach the reference;
per instance, best, mean and worst cost over seeds and the mean time to the best; and the
time-to-target tables (``ttt``, ``ttt_summary``) at the targets of ``studies.ttt``."""

from __future__ import annotations

from typing import Any

from gqap.bench.studies.common import (
    reached,
    stored_json,
)
from gqap.bench.studies.ttt import (
    TTT_TARGETS,
    target_name,
    target_value,
    time_to_target,
    ttt_groups,
)
from gqap.bench.tables import (
    BOUND_NOTE,
    KINDS_NOTE,
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    instance_bound,
    kinds_text,
    label_order,
    label_rank,
    ok,
    stats,
)


def race(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """The literature race: per solver and per instance, who reaches the reference."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    labels = label_order(rows, order)
    per_solver = Table(
        "race",
        "Literature race: per solver, instances, runs (instances x seeds), runs and "
        "instances (best over seeds) that reach the reference (within a share of 1e-6), "
        "mean relative gap of all runs and of the best run per instance in %, mean time "
        "to the run's best solution and mean wall time, and the mean open gap of its "
        f"instances; {KINDS_NOTE}; {BOUND_NOTE}.",
        [Column("solver"), Column("instances", numeric=True), Column("runs", numeric=True),
         Column("runs reached", numeric=True), Column("instances reached", numeric=True),
         Column("gap % mean", fmt_pct(3), True), Column("best gap % mean", fmt_pct(3), True),
         Column("time to best s", fmt_sig(3), True), Column("wall s", fmt_sig(3), True),
         Column("reference"), Column("open gap % mean", fmt_pct(3), True)])
    per_instance = Table(
        "race_instances",
        "Literature race per instance and solver: runs, runs reaching the reference, best, "
        "mean and worst cost over the seeds, the reference, the best bound and open gap, "
        "gap of the best run in %, the mean time to each run's best solution, and the "
        "search's mean speed in steps per second (tabu iterations, GA generations: it "
        "tells how much search a machine gives the same time limit, so races on "
        f"different machines can be compared); {KINDS_NOTE}; {BOUND_NOTE}.",
        [Column("instance"), Column("solver"), Column("runs", numeric=True),
         Column("reached", numeric=True), Column("best", fmt_num(1), True),
         Column("mean", fmt_num(1), True), Column("worst", fmt_num(1), True),
         Column("reference", fmt_num(1), True), Column("kind"),
         Column("bound", fmt_num(1), True), Column("open gap %", fmt_pct(3), True),
         Column("best gap %", fmt_pct(3), True), Column("time to best s", fmt_sig(3), True),
         Column("steps/s", fmt_sig(3), True)])
    rank = label_rank(rows, order)
    groups = group_by(rows, lambda r: (r["instance"], rank[r["label"]], r["label"]))
    best_of: dict[str, list[dict[str, Any]]] = {lab: [] for lab in labels}
    for (inst, _, lab), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        best = min(good, key=lambda r: r["objective"], default=None)
        if best is not None:
            best_of[lab].append(best)
        costs = [r["objective"] for r in good]
        per_instance.rows.append([
            inst, lab, len(rs), sum(reached(r) for r in rs),
            min(costs) if costs else None, stats(costs).mean, max(costs) if costs else None,
            next((r["reference"] for r in rs if r.get("reference") is not None), None),
            kinds_text(rs), *instance_bound(rs), None if best is None else best.get("gap_rel"),
            stats(stored_json(r.get("info")).get("time_to_best_s") for r in good).mean,
            stats(_steps_per_s(r) for r in good).mean])
    for lab in labels:
        rs = [r for r in rows if r["label"] == lab]
        per_solver.rows.append([
            lab, len({r["instance_hash"] for r in rs}), len(rs), sum(reached(r) for r in rs),
            sum(reached(r) for r in best_of[lab]),
            stats(r["gap_rel"] for r in rs if ok(r)).mean,
            stats(r["gap_rel"] for r in best_of[lab]).mean,
            stats(stored_json(r.get("info")).get("time_to_best_s") for r in rs if ok(r)).mean,
            stats(r["wall_time_s"] for r in rs if ok(r)).mean, kinds_text(rs),
            stats(instance_bound(g)[1] for g in group_by(
                rs, lambda r: r["instance_hash"]).values()).mean])
    return [per_solver, per_instance, *ttt_tables(rows, order)]


def _steps_per_s(row: dict[str, Any]) -> float | None:
    """A run's search speed as its solver reports it (tabu iterations or GA generations
    per second of search), else None."""
    info = stored_json(row.get("info"))
    return info.get("iterations_per_s", info.get("generations_per_s"))


def ttt_tables(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Time to target from the stored trajectories: per instance, solver and target (the
    reference and 0.5 % above it), the runs, how many reached it and how fast; then per
    solver and target over all its instances."""
    groups = ttt_groups(rows, order)
    if not groups:
        return []
    cols = [Column("runs", numeric=True), Column("reached", numeric=True),
            Column("time mean s", fmt_sig(3), True), Column("time median s", fmt_sig(3), True),
            Column("time max s", fmt_sig(3), True)]
    per = Table("ttt",
                "Time to target per instance, solver and target (ref = the reference, "
                "ref+0.5% = 0.5 % worse than it): runs, runs whose best-so-far value reached "
                "the target (within a share of 1e-6), and the mean, median and largest time "
                "from the start of the solve call until it did, over the runs that reached it "
                "(read from each run's stored trajectory; the time-to-target plots ttt-*.png "
                "draw the same times).",
                [Column("instance"), Column("solver"), Column("target"),
                 Column("target value", fmt_num(1), True), *cols])
    total = Table("ttt_summary",
                  "Time to target per solver and target over all instances: instances, runs, "
                  "runs that reached the target, instances where every run reached it, and "
                  "the mean and median time to it over the runs that reached it.",
                  [Column("solver"), Column("target"), Column("instances", numeric=True),
                   Column("runs", numeric=True), Column("reached", numeric=True),
                   Column("all runs reached", numeric=True),
                   Column("time mean s", fmt_sig(3), True),
                   Column("time median s", fmt_sig(3), True)])
    acc: dict[tuple[str, float], list[Any]] = {}
    for inst, by_label in groups.items():
        for lab, rs in by_label.items():
            ref = rs[0]["reference"]
            for pct in TTT_TARGETS:
                value = target_value(ref, rs[0]["sense"], pct)
                times = [time_to_target(r, value) for r in rs]
                hit = [t for t in times if t is not None]
                s = stats(hit)
                per.rows.append([inst, lab, target_name(pct), value, len(rs), len(hit),
                                 s.mean, s.median, max(hit) if hit else None])
                a = acc.setdefault((lab, pct), [0, 0, 0, []])
                a[0] += 1
                a[1] += len(rs)
                a[2] += len(hit) == len(rs)
                a[3] += hit
    rank = label_rank(rows, order)
    for (lab, pct), (n_inst, runs, all_hit, hit) in sorted(
            acc.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1])):
        s = stats(hit)
        total.rows.append([lab, target_name(pct), n_inst, runs, len(hit), all_hit, s.mean,
                           s.median])
    return [per, total]
