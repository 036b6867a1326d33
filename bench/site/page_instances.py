"""A study's instances.html (every instance with its reference, certified bound and best
solver) and one page per instance with every run on it."""

from __future__ import annotations

import math
from pathlib import Path

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site.data import NEAR_PCT, Cell, Run, per_instance, secondary_title, size_unit
from gqap.bench.site.pages import StudyPages
from gqap.family import title as family_title
from gqap.gaps import bound_gap


def instances(pages: StudyPages) -> list[Path]:
    """instances.html and one page per instance."""
    s = pages.s
    if not pages.slugs:
        return []
    by_inst: dict[str, list[Cell]] = {}
    for c in s.cells:
        if c.instance is not None:
            by_inst.setdefault(c.instance, []).append(c)
    rows = []
    for name, cs in sorted(by_inst.items()):
        c0 = cs[0]
        solved = [c for c in cs if c.gap is not None]
        best = min(solved, key=lambda c: (round(c.gap / an.GAP_TIE), c.time or math.inf),
                   default=None)
        rows.append([name, c0.family, c0.size, c0.sites, c0.reference, c0.kind,
                     c0.instance_bound, bound_gap(c0.reference, c0.instance_bound)
                     if per_instance(c0.family) else None,
                     None if best is None else best.solver])
    body = ["<h1>Instances</h1>", h.table(
        [h.Col("instance", pages.instance_link, html=True), h.Col("family"),
         h.Col("size", numeric=True), h.Col("sites", numeric=True),
         h.Col("reference", h.num, numeric=True), h.Col("kind"),
         h.Col("certified bound", h.num, numeric=True),
         h.Col("open gap %", lambda v: h.pct(v, 3), numeric=True),
         h.Col("best solver", lambda v: "-" if v is None else h.swatch(v), html=True)],
        rows, caption="Every instance with its reference (kind: optimal = proven "
        "optimum, best-known = literature value, bound = best proven bound, best-found = "
        "best value any run found), the certified lower bound and the open gap "
        "(reference - bound) / reference, and the solver with the lowest mean gap.",
        table_id="instances", filter_box=len(rows) > 30)]
    written = [pages.write_page("instances.html", "Instances", "\n".join(body),
                               "instances")]
    runs_by: dict[str, list[Run]] = {}
    for r in s.runs or ():
        runs_by.setdefault(r.instance, []).append(r)
    rank = {lab: i for i, lab in enumerate(an.solver_order(s.cells, s.order))}
    for name, cs in by_inst.items():
        written.append(instance_page(pages, name, cs, runs_by.get(name), rank))
    return written


def instance_page(pages: StudyPages, name: str, cs: list[Cell], runs: list[Run] | None,
                  rank: dict[str, int]) -> Path:
    """One instance: its reference, kind and bound, and every run."""
    c0 = cs[0]
    facts = [("family", family_title(c0.family)),
             ("size", f"{c0.size} {size_unit(c0.family)}"),
             (secondary_title(c0.family), c0.sites),
             ("reference", h.num(c0.reference)), ("reference kind", c0.kind),
             ("certified bound", h.num(c0.instance_bound))]
    if per_instance(c0.family):
        facts.append(("open gap", h.pct(bound_gap(c0.reference, c0.instance_bound), 3)))
    body = [f"<h1>{h.esc(name)}</h1>", '<table class="plain" id="facts"><tbody>'
            + "".join(f'<tr><th scope="row">{h.esc(k)}</th><td data-key="{h.esc(k)}">'
                      f"{h.esc(v)}</td></tr>" for k, v in facts) + "</tbody></table>"]
    if runs:
        runs = sorted(runs, key=lambda r: (rank.get(r.solver, 99), r.solver, r.seed))
        body.append(h.table(
            [h.Col("solver", h.swatch, html=True), h.Col("seed", numeric=True),
             h.Col("status"), h.Col("cost", h.num, numeric=True),
             h.Col("gap %", lambda v: h.pct(v, 3), numeric=True),
             h.Col("reached"), h.Col("wall s", h.sig, numeric=True),
             h.Col("limit s", h.sig, numeric=True),
             h.Col("time to ref. s", h.sig, numeric=True),
             h.Col(f"time to ref.+{NEAR_PCT:g}% s", h.sig, numeric=True),
             h.Col("bound proved", h.num, numeric=True)],
            [[r.solver, r.seed, r.status, r.objective, r.gap_rel,
              "yes" if r.reached else "no", r.wall_time_s, r.time_limit, r.ttt_s,
              r.ttt_near_s, r.run_bound] for r in runs],
            caption=f"Every run on this instance ({len(runs)}): status, cost, gap to the "
            "reference, whether it reached it, wall time and limit, the time until its "
            "best-so-far value first reached the reference and 0.5 % above it (from the "
            "stored trajectory), and the bound it proved.", table_id="runs"))
    else:
        body.append('<p class="note">Per-run data is not in this study\'s shipped '
                    "tables; per solver (from the report's per-instance table):</p>")
        cs = sorted(cs, key=lambda c: (rank.get(c.solver, 99), c.solver))
        body.append(h.table(
            [h.Col("solver", h.swatch, html=True), h.Col("runs", numeric=True),
             h.Col("solved", numeric=True), h.Col("reached", numeric=True),
             h.Col("gap % mean", lambda v: h.pct(v, 3), numeric=True),
             h.Col("best", h.num, numeric=True), h.Col("time s mean", h.sig, numeric=True),
             h.Col("time to ref. s", h.sig, numeric=True),
             h.Col("bound proved", h.num, numeric=True)],
            [[c.solver, c.runs, c.solved, c.reached, c.gap, c.best, c.time, c.ttt, c.bound]
             for c in cs], table_id="runs"))
    return pages.write_page(f"instances/{pages.slugs[name]}.html", name, "\n".join(body),
                           "instances")
