"""Report tables of the offloading family: mean objective per user against the user
count and G (the paper's Fig. 11), the summary, the per-instance breakdown (Fig. 10) and
the dynamic-batch latency model against the paper's for the same stored solutions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gqap.bench.families.per_user import summary_per_user
from gqap.bench.store import ResultStore
from gqap.bench.tables import (
    PM,
    Column,
    Table,
    fmt_interval,
    fmt_num,
    fmt_pct,
    fmt_pm,
    group_by,
    label_order,
    label_rank,
    most_common,
    ok,
    stats,
)

FAMILY = "offloading"


def objective_tables(ctx: Any) -> list[Table | None]:
    """Mean objective per user against the user count and against G."""
    return [objective_pivot(ctx.rows, ctx.order, "users"),
            objective_pivot(ctx.rows, ctx.order, "G")]


def summary_tables(ctx: Any) -> list[Table | None]:
    """Per solver, user count and G."""
    return [summary_per_user(ctx.rows, ctx.order, FAMILY)]


def breakdown_tables(ctx: Any) -> list[Table | None]:
    """Per instance and solver, for sweeps of a handful of instances."""
    return [breakdown(ctx.rows, ctx.order, ctx.max_instances)]


def latency_tables(ctx: Any) -> list[Table | None]:
    """The dynamic-batch latency model against the paper's, where the report asks for it."""
    if not ctx.dynamic_batch:
        return []
    add_dynamic_batch(ctx.sweep_dir, ctx.rows)
    return [dynamic_batch_table(ctx.rows, ctx.order)]


def figures(ctx: Any, out: Path) -> list[Path]:
    """The paper's Fig. 11 curves (objective per user against the user count and against
    G) and Fig. 10's per-instance bars, each where the report wrote its table."""
    from gqap.bench.figures import breakdown as breakdown_figure
    from gqap.bench.figures import objective_curve

    made = []
    if "objective_vs_users" in ctx.tables:
        made.append(objective_curve.draw(ctx.rows, ctx.order, "users",
                                         out / "objective_vs_users.png", ctx.title))
    if "objective_vs_gpus" in ctx.tables:
        made.append(objective_curve.draw(ctx.rows, ctx.order, "G",
                                         out / "objective_vs_gpus.png", ctx.title))
    if "instance_breakdown" in ctx.tables:
        made.append(breakdown_figure.draw(ctx.rows, ctx.order, out / "instance_breakdown.png",
                                          ctx.title))
    return made


def latency_figures(ctx: Any, out: Path) -> list[Path]:
    """The paper's latency model against the dynamic-batch one, where the report wrote
    that table (after the shared figures)."""
    from gqap.bench.figures import dynamic_batch as dynamic_batch_figure

    if "dynamic_batch" not in ctx.tables:
        return []
    return [dynamic_batch_figure.draw(ctx.rows, ctx.order, out / "dynamic_batch.png")]


def add_dynamic_batch(sweep_dir: str | Path, rows: list[dict[str, Any]]) -> int:
    """Set ``objective_dynamic`` on every scored offloading row: its stored solution
    re-scored under the dynamic-batch latency model. Returns the number of rows scored."""
    from gqap.evaluation import evaluate
    from gqap.io import solution_from_dict

    cache: dict[str, Any] = {}
    n = 0
    with ResultStore.in_dir(sweep_dir, readonly=True) as store:
        for r in rows:
            if r["family"] != FAMILY or not ok(r) or not r.get("solution"):
                continue
            h = r["instance_hash"]
            if h not in cache:
                cache[h] = store.instance(h)
            sol = solution_from_dict(json.loads(r["solution"]))
            r["objective_dynamic"] = evaluate(cache[h], sol, "dynamic-batch").objective
            n += 1
    return n


def objective_pivot(rows: list[dict[str, Any]], order: list[str], by: str) -> Table | None:
    """Mean objective per user (with 95% CI half-width) per solver against the user count
    (``by='users'``, at the most common G) or G (``by='G'``, at the most common user
    count): the data of the paper's Fig. 11; None when there is only one x value."""
    rows = [r for r in rows if r["family"] == FAMILY]
    if not rows:
        return None
    if by == "users":
        fixed = most_common(r["gpus_or_sites"] for r in rows)
        rows = [r for r in rows if r["gpus_or_sites"] == fixed]
        x_of, x_name, fixed_text = (lambda r: r["n_users_or_facilities"]), "users", f"G = {fixed}"
    else:
        fixed = most_common(r["n_users_or_facilities"] for r in rows)
        rows = [r for r in rows if r["n_users_or_facilities"] == fixed]
        x_of, x_name, fixed_text = (lambda r: r["gpus_or_sites"]), "G", f"{fixed} users"
    xs = sorted({x_of(r) for r in rows})
    if len(xs) < 2:
        return None
    labels = label_order(rows, order)
    t = Table(f"objective_vs_{'users' if by == 'users' else 'gpus'}",
              f"Mean objective per user (higher is better) {PM} half-width of the 95% "
              f"confidence interval, against {'the number of users' if by == 'users' else 'G'} "
              f"({fixed_text}); 'cases' = instances per row.",
              [Column(x_name, numeric=True), Column("cases", numeric=True)]
              + [Column(lab, fmt_pm(fmt_num(3)), True) for lab in labels])
    for x in xs:
        at = [r for r in rows if x_of(r) == x]
        cells = []
        for lab in labels:
            s = stats(r["objective_per_user"] for r in at if r["label"] == lab and ok(r))
            cells.append((s.mean, s.half) if s.n else None)
        t.rows.append([x, len({r["instance_hash"] for r in at}), *cells])
    return t


def breakdown(rows: list[dict[str, Any]], order: list[str], max_instances: int) -> Table | None:
    """Per instance and solver: objective, mean PAI, mean end-to-end latency (the paper's
    Fig. 10); None when the sweep has more than ``max_instances`` offloading instances."""
    rows = [r for r in rows if r["family"] == FAMILY]
    names = sorted({r["instance"] for r in rows})
    if not names or len(names) > max_instances:
        return None
    rank = label_rank(rows, order)
    t = Table("instance_breakdown",
              "Per instance and solver (mean over seeds): objective, objective per user, mean "
              "PAI, mean end-to-end latency, granted users b and gap per user.",
              [Column("instance"), Column("solver"), Column("runs", numeric=True),
               Column("objective", fmt_num(3), True), Column("obj/user", fmt_num(4), True),
               Column("mean PAI", fmt_num(4), True), Column("mean latency s", fmt_num(3), True),
               Column("granted b", fmt_num(1), True), Column("gap/user", fmt_num(4), True)])
    groups = group_by(rows, lambda r: (r["instance"], rank[r["label"]], r["label"]))
    for (inst, _, lab), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        means = [stats(r[k] for r in good).mean for k in (
            "objective", "objective_per_user", "mean_pai", "mean_latency_s", "granted",
            "gap_per_user")]
        t.rows.append([inst, lab, len(rs), *means])
    return t


def dynamic_batch_table(rows: list[dict[str, Any]], order: list[str]) -> Table | None:
    """Paper (worst-case batch) vs dynamic-batch objective of the same stored solutions;
    rows need ``objective_dynamic`` (see ``add_dynamic_batch``)."""
    rows = [r for r in rows if r.get("objective_dynamic") is not None]
    if not rows:
        return None
    rank = label_rank(rows, order)
    t = Table("dynamic_batch",
              "The paper's worst-case batch assumption (the edge batch stays at b for every "
              "step) against the dynamic-batch latency model (the batch shrinks as granted "
              "users finish their edge steps), for the same stored solutions: mean objective "
              "per user under each, the mean difference per user with its 95% CI, and that "
              "difference relative to |mean paper objective| in %.",
              [Column("solver"), Column("users", numeric=True), Column("runs", numeric=True),
               Column("obj/user paper", fmt_num(4), True),
               Column("obj/user dynamic", fmt_num(4), True),
               Column("difference/user", fmt_num(4), True),
               Column("difference CI", fmt_interval(fmt_num(4))),
               Column("change %", fmt_pct(2), True)])
    groups = group_by(rows, lambda r: (r["n_users_or_facilities"], rank[r["label"]], r["label"]))
    for (users, _, lab), rs in sorted(groups.items()):
        paper = stats(r["objective_per_user"] for r in rs)
        dyn = stats(r["objective_dynamic"] / users for r in rs)
        diff = stats((r["objective_dynamic"] - r["objective"]) / users for r in rs)
        # ratio of means: a mean of per-run ratios would be dominated by objectives near 0
        change = diff.mean / abs(paper.mean) if abs(paper.mean) > 1e-12 else None
        t.rows.append([lab, users, len(rs), paper.mean, dyn.mean, diff.mean, (diff.lo, diff.hi),
                       change])
    return t
