"""A study's index.html: per family, the solver to use per size and time budget, who wins
by mean gap, the fastest to the reference and the tightest bounds, and where it ran."""

from __future__ import annotations

import re
from pathlib import Path

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site.data import Cell, size_unit
from gqap.bench.site.pages import StudyPages
from gqap.family import title as family_title

POOR_GAP = 0.05  # picks more than 5 % from the reference are greyed out


def summary(pages: StudyPages) -> Path:
    """index.html: who wins, the solver per size and budget, where it ran."""
    s = pages.s
    body = [f"<h1>{h.esc(s.title)}</h1>", _paragraphs(s.intro)]
    body.append(f'<p class="muted">Built from {s.source}. Regenerate: '
                f"<code>{h.esc(s.command)}</code>.</p>")
    if not s.cells:
        body.append('<p class="note">This study has no solver runs (its files are '
                    'figures and tables of the model or of the shipped checkpoints): '
                    'see <a href="figures.html">figures</a> and '
                    '<a href="tables.html">tables</a>.</p>')
    for fam in pages.families:
        body.append(family_summary(pages, fam))
    if s.provenance:
        body.append("<h2>Where it ran</h2><p class=\"muted\">Times are wall times on "
                    "the machine named; compare solvers by ratios within one sweep.</p>"
                    "<ul>" + "".join(f"<li>{h.esc(p)}</li>" for p in s.provenance)
                    + "</ul>")
    return pages.write_page("index.html", s.title, "\n".join(body), "index")


def verdict(pages: StudyPages, cells: list[Cell]) -> str:
    """The summary's sentences for one instance group: the best solvers by mean gap,
    the fastest to the reference, the tightest bounds."""
    s = pages.s
    per_instance = any(c.instance is not None for c in cells)
    what = "instances" if per_instance else "size cells (solver means per size)"
    items = []
    stand = an.standings(cells, s.order)
    for i, st in enumerate([st for j, st in enumerate(stand) if j == 0 or st.wins][:3]):
        reach = (f"; every run reached the reference on {st.reached} of {st.cells}"
                 if st.reached is not None else "")
        items.append(f"<li><b>{'Best' if i == 0 else 'Then'}: {h.swatch(st.solver)}</b>"
                     f" has the lowest mean gap on {st.wins} of {st.cells} {what} (mean "
                     f"gap {h.pct(st.gap)}, mean time {h.secs(st.time)}{reach}).</li>")
    prof = an.performance_profile(cells, s.order) if per_instance else None
    if prof:
        fastest = sorted(((sum(1 for x, _ in pts if x <= 1.0 + 1e-12), lab)
                          for lab, pts in prof.curves.items()), key=lambda t: -t[0])
        if fastest and fastest[0][0]:
            n, lab = fastest[0]
            items.append(f"<li><b>Fastest to the reference: {h.swatch(lab)}</b> on {n} "
                         f"of the {prof.units} instances some solver reached in every "
                         "run (the performance profile at tau = 1).</li>")
    for i, b in enumerate(an.bound_standings(cells, s.order)[:2]):
        items.append(f"<li><b>{'Tightest bound' if i == 0 else 'Then'}: "
                     f"{h.swatch(b.solver)}</b> on {b.tightest} of {b.instances} "
                     f"instances (mean gap of the bound to the reference "
                     f"{h.pct(b.gap, 3)}, mean time {h.secs(b.time)}).</li>")
    return '<div class="verdict"><ul>' + "".join(items) + "</ul></div>" if items else ""


def family_summary(pages: StudyPages, fam: str) -> str:
    """The summary's section of one family."""
    cells = [c for c in pages.s.cells if c.family == fam]
    kinds = an.kinds(cells)
    per_instance = any(c.instance is not None for c in cells)
    units = (f"{len({c.instance for c in cells})} instances" if per_instance else
             f"{len({(c.size, c.sites) for c in cells})} size cells")
    out = [f"<h2>{h.esc(family_title(fam))}: {units}, reference: "
           f"{h.esc(kinds)}</h2>"]
    out.append(pick_table(pages, fam, cells, kinds))
    for pre, gname, gcells in pages.groups(fam):
        if gname:
            out.append(f"<h3>{h.esc(gname[0].upper() + gname[1:])}</h3>")
        out.append(verdict(pages, gcells))
        for fam_, file, caption, _ in pages.figs:
            if fam_ == fam and file.startswith(pre) and (
                    "profile-time" in file or "profile-bound" in file):
                out.append(h.figure(file, caption))
    for fam_, file, caption, _ in pages.figs:
        if fam_ == fam and "gap-time" in file:
            out.append(h.figure(file, caption))
    out.append(f'<p>More: <a href="tables.html">tables</a> (gap and time per solver '
               f'and size{", per instance" if per_instance else ""}), '
               '<a href="figures.html">figures</a>'
               + (', <a href="instances.html">instances</a>' if per_instance else "")
               + ".</p>")
    return "\n".join(out)


def pick_table(pages: StudyPages, fam: str, cells: list[Cell], kinds: str) -> str:
    """The grid of size against time budget naming the solver to use."""
    rows = an.size_rows(cells, pages.s.order)
    groups, limits, picks = an.recommend(rows)
    if not picks:
        return ""
    unit = size_unit(fam)
    by = {(p.group, p.budget): p.row for p in picks}
    head = "".join(f'<th scope="col">&le; {h.esc(_budget_text(b))}</th>' for b in limits)
    lines = ['<h3>Which solver to use: per size and time budget</h3>'
             f'<p class="muted">Each cell: the solver with the lowest mean gap to the '
             f"reference ({h.esc(kinds)}) among those whose mean wall time on that size "
             "fits the budget, with its mean gap and time ('-': no solver is that fast; "
             f"greyed: more than 5 % from the reference). Rows: size ({unit}).</p>"
             f'<div class="scroll"><table class="pick" id="pick-{fam}">'
             f'<thead><tr><th scope="col">{unit}</th>{head}</tr></thead><tbody>']
    for g in groups:
        tds = []
        for b in limits:
            r = by.get((g, b))
            if r is None:
                tds.append('<td class="none">-</td>')
                continue
            colour = an_colour(r.solver)
            poor = ' class="poor"' if r.gap > POOR_GAP else ""
            tds.append(f'<td{poor} style="background:{colour}22" '
                       f'data-solver="{h.esc(r.solver)}"'
                       f' data-gap="{r.gap!r}" data-time="{r.time!r}">'
                       f"{h.swatch(r.solver)}<span class=\"gap\">{h.pct(r.gap)} in "
                       f"{h.secs(r.time)}</span></td>")
        lines.append(f"<tr><th scope=\"row\">{h.esc(an.group_name(g))}</th>"
                     + "".join(tds) + "</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _md_inline(text: str) -> str:
    """Escaped text with `code` spans and [links](url) of a README paragraph."""
    out = h.esc(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return out


def _paragraphs(blocks: list[str]) -> str:
    out = []
    for b in blocks:
        lines = b.splitlines()
        if all(line.startswith("- ") for line in lines):
            out.append("<ul>" + "".join(f"<li>{_md_inline(line[2:])}</li>" for line in lines)
                       + "</ul>")
        else:
            out.append(f"<p>{_md_inline(' '.join(lines))}</p>")
    return "\n".join(out)


def an_colour(solver: str) -> str:
    """The solver's palette colour (hex)."""
    from gqap.bench.figures.palette import style

    return style(solver).colour


def _budget_text(b: float) -> str:
    return f"{b:g} s" if b >= 1 else f"{b * 1e3:g} ms"
