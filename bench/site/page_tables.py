"""A study's tables.html: gap and time per solver and size, per instance and solver, and
every table of the report as a sortable table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site.data import read_table, size_unit
from gqap.bench.site.pages import StudyPages
from gqap.family import title as family_title

ROW_CAP = 400  # rows of a shipped table shown on a page (the CSV beside it has all)


def tables(pages: StudyPages) -> Path:
    """tables.html: per solver and size, per instance, and every shipped table."""
    s = pages.s
    body = [f"<h1>Tables: {h.esc(s.title)}</h1>",
            '<p class="muted">Click a column header to sort; gaps are relative to the '
            "reference in % (positive = worse), times are mean wall times in seconds."
            "</p>"]
    for fam in pages.families:
        cells = [c for c in s.cells if c.family == fam]
        kinds = an.kinds(cells)
        rows = an.size_rows(cells, s.order)
        unit = size_unit(fam)
        body.append(f"<h2>{h.esc(family_title(fam))}: gap and time per solver "
                    "and size</h2>")
        body.append(h.table(
            [h.Col("solver", h.swatch, html=True), h.Col(f"size ({unit})", numeric=True),
             h.Col("instances", numeric=True), h.Col("runs", numeric=True),
             h.Col("solved", numeric=True), h.Col("reached", numeric=True),
             h.Col("gap % mean", lambda v: h.pct(v), numeric=True),
             h.Col("time s mean", h.sig, numeric=True)],
            [[r.solver, r.size, r.instances, r.runs, r.solved, r.reached, r.gap, r.time]
             for r in rows],
            caption=f"Per solver and size: instances (or size cells), runs, runs with a "
            f"solution, runs that reached the reference ({h.esc(kinds)}; '-': not in "
            "the shipped tables), mean gap and mean wall time over the runs with a "
            "solution.", table_id=f"size-{fam}"))
        if any(c.instance is not None for c in cells):
            body.append(f"<h2>{h.esc(family_title(fam))}: per instance and "
                        "solver</h2>")
            body.append(h.table(
                [h.Col("instance", pages.instance_link, html=True),
                 h.Col("solver", h.swatch, html=True), h.Col("size", numeric=True),
                 h.Col("runs", numeric=True), h.Col("solved", numeric=True),
                 h.Col("reached", numeric=True),
                 h.Col("gap % mean", lambda v: h.pct(v, 3), numeric=True),
                 h.Col("time s mean", h.sig, numeric=True),
                 h.Col("time to ref. s", h.sig, numeric=True),
                 h.Col("best", h.num, numeric=True),
                 h.Col("reference", h.num, numeric=True), h.Col("kind"),
                 h.Col("bound proved", h.num, numeric=True)],
                [[c.instance, c.solver, c.size, c.runs, c.solved, c.reached, c.gap, c.time,
                  c.ttt, c.best, c.reference, c.kind, c.bound]
                 for c in cells if c.instance is not None],
                caption="Per instance and solver: runs, with a solution, reaching the "
                "reference; mean gap and wall time; mean time to the reference over the "
                "runs that reached it (from the stored trajectories); best cost; the "
                "reference and its kind; the best bound a run of the solver proved.",
                table_id=f"cells-{fam}", filter_box=True))
    for name, caption, path in s.tables:
        body.append(shipped_table(pages, name, caption, path))
    return pages.write_page("tables.html", f"Tables: {s.title}", "\n".join(body), "tables")


def shipped_table(pages: StudyPages, name: str, caption: str, path: Path) -> str:
    """One CSV of the results folder as a sortable table (capped)."""
    rows = read_table(path)
    if not rows:
        return ""
    cols = list(rows[0])
    numeric = [all(_is_number(r[c]) or r[c] == "" for r in rows) and
               any(r[c] != "" for r in rows) for c in cols]
    shown = rows[:ROW_CAP]
    more = (f" Showing the first {ROW_CAP} of {len(rows):,} rows; the study's "
            f"<code>{h.esc(path.name)}</code> has all." if len(rows) > ROW_CAP else "")
    spec = [h.Col(c, (lambda v: _short(v)) if isnum else (lambda v: v or "-"),
                  numeric=isnum) for c, isnum in zip(cols, numeric, strict=True)]
    data = [[(float(r[c]) if isnum and r[c] != "" else (None if isnum else r[c]))
             for c, isnum in zip(cols, numeric, strict=True)] for r in shown]
    return (f"<h2 id=\"t-{h.esc(name)}\">{h.esc(name)} <span class=\"muted\">(report table"
            f" <code>{h.esc(path.name)}</code>)</span></h2>"
            + h.table(spec, data, caption=h.esc(caption) + more, table_id=f"t-{name}-tbl",
                      filter_box=len(shown) > 30))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _short(v: Any) -> str:
    if v is None:
        return "-"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v)}"
    return f"{v:.6g}"
