"""Write the static results site: one folder per study (summary, tables, figures,
instances, one page per instance) and, for ``gqap bench site``, an index of every study
under results/ with the command that regenerates it. Pages link each other and the
assets by relative paths, so the folder opens from the file system with no server and no
network.
"""

from __future__ import annotations

import math
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site import plots
from gqap.bench.site.data import (
    NEAR_PCT,
    RUNS_FILE,
    Cell,
    Run,
    cells_from_runs,
    cells_from_tables,
    is_gqap,
    read_runs_csv,
    read_table,
    size_unit,
)
from gqap.errors import GQAPError
from gqap.gaps import bound_gap
from gqap.io import write_text_atomic
from gqap.package_data import package_dir

POOR_GAP = 0.05  # picks more than 5 % from the reference are greyed out
ROW_CAP = 400  # rows of a shipped table shown on a page (the CSV beside it has all)
FAMILY_ORDER = ("classic", "gqap", "offloading", "multi")
FAMILY_WORDS = {"classic": "GQAP", "gqap": "GQAP", "offloading": "offloading (one edge cluster)",
                "multi": "multi-cluster offloading"}


@dataclass
class Study:
    """What one study's pages are built from."""

    name: str
    title: str
    intro: list[str]
    provenance: list[str]
    command: str
    runs: list[Run] | None
    cells: list[Cell]
    order: list[str]
    source: str
    tables: list[tuple[str, str, Path]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    exponents: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------
def _readme(folder: Path) -> tuple[str, list[str], list[str]]:
    """(title, intro paragraphs, provenance lines) of a results folder's README.md."""
    path = folder / "README.md"
    if not path.is_file():
        return folder.name, [], []
    title, intro, prov = folder.name, [], []
    blocks = path.read_text().split("\n\n")
    for block in blocks:
        text = block.strip()
        if text.startswith("# ") and title == folder.name:
            title = text[2:].strip()
        elif text.startswith("## ") or text.startswith("|") or text.startswith("!["):
            break
        elif text.startswith("- sweep"):
            prov += [line[2:] for line in text.splitlines() if line.startswith("- ")]
        elif text.startswith("Sweeps (") or text.startswith("Files:"):
            continue
        elif text:
            intro.append(text)
    return title, intro, prov


def _captions(folder: Path) -> dict[str, str]:
    """Table name -> caption: the first paragraph of each NAME.md beside NAME.csv."""
    out = {}
    for md in folder.glob("*.md"):
        if md.name == "README.md":
            continue
        first = md.read_text().strip().split("\n\n")[0]
        if not first.startswith("|"):
            out[md.stem] = first.replace("\n", " ")
    return out


def _order_from_tables(folder: Path) -> list[str]:
    order: list[str] = []
    for name in ("summary_gqap", "summary_classic", "summary_offloading", "summary_multi"):
        path = folder / f"{name}.csv"
        if path.is_file():
            for row in read_table(path):
                if row["solver"] not in order:
                    order.append(row["solver"])
    return order


def _exponents(folder: Path) -> dict[str, float]:
    path = folder / "runtime_scaling.csv"
    if not path.is_file():
        return {}
    out = {}
    for row in read_table(path):
        try:
            out[row["solver"]] = float(row["exponent k"])
        except (KeyError, ValueError):
            continue
    return out


def study_from_results(folder: Path) -> Study:
    """A study from a results folder: ``runs.csv`` where the report wrote one, else the
    report's tables (the pages say which)."""
    title, intro, prov = _readme(folder)
    runs_path = folder / RUNS_FILE
    runs = read_runs_csv(runs_path) if runs_path.is_file() else None
    order = _order_from_tables(folder)
    if runs is not None:
        cells = cells_from_runs(runs)
        source = (f"every run ({len(runs):,} lines of <code>{RUNS_FILE}</code>, written by "
                  "the study's report)")
    else:
        cells = cells_from_tables(folder)
        source = ("the report's tables (this study was reported before the report wrote "
                  f"<code>{RUNS_FILE}</code>; rerun the command below to add it)")
    captions = _captions(folder)
    tables = [(p.stem, captions.get(p.stem, ""), p) for p in sorted(folder.glob("*.csv"))
              if p.name != RUNS_FILE]
    return Study(folder.name, title, intro, prov, f"gqap bench reproduce --only {folder.name}",
                 runs, cells, order, source, tables, sorted(folder.glob("*.png")),
                 _exponents(folder))


def study_from_sweep(sweep_dir: Path) -> Study:
    """A study from a sweep folder's store (every run, current references)."""
    from gqap.bench.report import _provenance, load
    from gqap.bench.site.data import runs_from_rows
    from gqap.bench.tables import runtime_fits

    data = load(sweep_dir)
    if not data.rows:
        raise GQAPError(f"{sweep_dir}: no runs stored yet; nothing to report")
    runs = runs_from_rows(data.rows)
    title = str(data.settings.get("title") or data.name)
    intro = [str(data.settings["note"])] if data.settings.get("note") else []
    prov = [line[2:] for line in _provenance(data).splitlines() if line.startswith("- ")]
    fits = {f.label: f.exponent for f in runtime_fits(data.rows, data.order)}
    return Study(data.name, title, intro, prov, f"gqap bench report {sweep_dir} --format html",
                 runs, cells_from_runs(runs), data.order,
                 f"every run ({len(runs):,} runs in the sweep's store)", exponents=fits)


# ---------------------------------------------------------------------------------------
# pages of one study
# ---------------------------------------------------------------------------------------
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


class StudyPages:
    """Writes one study's folder: index.html (summary), tables.html, figures.html,
    instances.html and instances/NAME.html."""

    def __init__(self, study: Study, out: Path, root: str, up: tuple[str, str] | None,
                 copy_figures: bool = True) -> None:
        self.s, self.out, self.root, self.up = study, out, root, up
        self.copy_figures = copy_figures
        self.figs: list[tuple[str, str, str, str]] = []  # (family, file, caption, group)
        self.skipped: list[tuple[str, str, str]] = []  # (family, figure, reason)
        self.families = sorted({c.family for c in study.cells},
                               key=lambda f: FAMILY_ORDER.index(f)
                               if f in FAMILY_ORDER else 9)
        names = sorted({c.instance for c in study.cells if c.instance is not None})
        self.slugs: dict[str, str] = {}
        for name in names:
            base, k = h.slug(name), 1
            candidate = base
            while candidate in self.slugs.values():
                k += 1
                candidate = f"{base}-{k}"
            self.slugs[name] = candidate

    # -- frame -----------------------------------------------------------------------
    def nav(self, here: str, depth: int = 0) -> list[tuple[str, str, bool]]:
        """The top bar's links from a page ``depth`` folders below the study's."""
        pre = "../" * depth
        links = []
        if self.up:
            links.append((pre + self.up[0], self.up[1], False))
        links += [(pre + "index.html", f"{self.s.name}: summary", here == "index"),
                  (pre + "tables.html", "tables", here == "tables"),
                  (pre + "figures.html", "figures", here == "figures")]
        if self.slugs:
            links.append((pre + "instances.html", "instances", here == "instances"))
        return links

    def write_page(self, rel: str, title: str, body: str, here: str) -> Path:
        """Write one page of the study at ``rel`` (relative to its folder)."""
        depth = rel.count("/")
        root = self.root + "../" * depth
        footer = (f"Built by <code>gqap bench site</code> / <code>gqap bench report "
                  f"--format html</code> from {self.s.source}. Regenerate the study: "
                  f"<code>{h.esc(self.s.command)}</code>.")
        return write_text_atomic(self.out / rel, h.page(f"{title} | {self.s.name}", body,
                                                        root, self.nav(here, depth), footer))

    # -- figures ---------------------------------------------------------------------
    def groups(self, fam: str) -> list[tuple[str, str, list[Cell]]]:
        """(file prefix, name, cells) of each instance group of family ``fam``."""
        cells = [c for c in self.s.cells if c.family == fam]
        groups = an.instance_groups(cells, self.s.order)
        fam_pre = f"{fam}-" if len(self.families) > 1 else ""
        return [(f"{fam_pre}{f'g{i + 1}-' if len(groups) > 1 else ''}", name, cs)
                for i, (name, cs) in enumerate(groups)]

    def add(self, fam: str, name: str, result: Path | str | None, caption: str,
            group: str = "") -> None:
        """Record a drawn figure (a path) or why it was skipped (a reason string)."""
        if isinstance(result, Path):
            self.figs.append((fam, result.name, caption, group))
        elif result:
            self.skipped.append((fam, f"{name} ({group})" if group else name, result))

    def draw(self) -> None:
        """Draw every figure of the study into its folder (and copy the report's PNGs)."""
        s = self.s
        self.out.mkdir(parents=True, exist_ok=True)
        for fam in self.families:
            cells = [c for c in s.cells if c.family == fam]
            kinds = an.kinds(cells)
            rows = an.size_rows(cells, s.order)
            per_instance = any(c.instance is not None for c in cells)
            fam_pre = f"{fam}-" if len(self.families) > 1 else ""
            for pre, gname, gcells in self.groups(fam):
                self.draw_group(fam, pre, gname, gcells, per_instance)
            self.add(fam, "gap against time", plots.draw_budget_gaps(
                rows, s.order, self.out / f"{fam_pre}gap-time.png", fam, kinds),
                "Mean gap against mean wall time, one point per solver and size (marker "
                f"area grows with size; reference: {h.esc(kinds)}). The solvers nearest the "
                "lower left are the ones the budget table picks.")
            if s.runs is not None:
                fam_runs = [r for r in s.runs if r.family == fam]
                self.add(fam, "time-to-target curves", plots.draw_ecdf(
                    fam_runs, s.order, self.out / f"{fam_pre}ttt-ecdf.png", kinds),
                    "Time to target pooled over every instance and seed (an ECDF, as COCO "
                    "and the time-to-target literature draw it): the fraction of runs whose "
                    f"best-so-far value reached the reference ({h.esc(kinds)}) by time t.")
            else:
                self.skipped.append((fam, "time-to-target curves over runs", "per-run "
                                     "times are not in this study's shipped tables"
                                     + ("; the report's ttt-*.png below were drawn from "
                                        "the store" if any(p.name.startswith("ttt")
                                                           for p in s.figures) else "")))
            self.add(fam, "runtime scaling", plots.draw_runtime(
                rows, s.order, self.out / f"{fam_pre}runtime.png", fam, dict(s.exponents)),
                "Mean solve wall time per size, log-log, over the runs with a solution "
                "(time-limited searches sit at their limit); k: the report's fitted "
                "exponent of time ~ size^k where it fitted one.")
        if self.copy_figures:
            for p in s.figures:
                shutil.copy2(p, self.out / f"report-{p.name}")

    def draw_group(self, fam: str, pre: str, gname: str, cells: list[Cell],
                   per_instance: bool) -> None:
        """The profiles and the critical-difference diagram of one instance group."""
        s, kinds = self.s, an.kinds(cells)
        if not per_instance:
            for what in ("performance profile", "gap profile", "critical-difference diagram"):
                self.skipped.append((fam, what, "needs per-instance data (this study's "
                                     "shipped tables are per size)"))
            return
        where = f" ({h.esc(gname)})" if gname else ""
        prof = an.performance_profile(cells, s.order)
        if prof:
            self.add(fam, "performance profile", plots.draw_profile(
                prof, self.out / f"{pre}profile-time.png",
                f"Performance profile of the time to the reference ({kinds}) over "
                f"{prof.units} instances", "tau: time / the fastest solver's time on the "
                "instance (log)", True, 1.0),
                "Dolan-More performance profile: for each solver, the fraction of the "
                f"{prof.units} instances{where} it reached (every run at the reference, "
                f"{h.esc(kinds)}) within a factor tau of the fastest solver's time to the "
                "reference there (time to target from the stored trajectory, else wall "
                "time). At tau = 1: how often a solver is the fastest; the right end: how "
                "often it gets there at all."
                + (f" {prof.left_out} instances no solver reached are left out."
                   if prof.left_out else ""), gname)
        elif not an.bound_standings(cells, s.order):
            self.skipped.append((fam, "performance profile", "no solver reached the "
                                 "reference in every run of an instance"))
        acc = an.accuracy_profile(cells, s.order)
        if acc:
            self.add(fam, "gap profile", plots.draw_profile(
                acc, self.out / f"{pre}profile-gap.png",
                f"Gap profile (reference: {kinds}) over {acc.units} instances",
                "mean gap to the reference on the instance (%, symlog)", False, 0.0, 100.0),
                f"For each solver, the fraction of the {acc.units} instances{where} whose "
                f"mean gap to the reference ({h.esc(kinds)}) is at most x; a curve that "
                "starts high at 0 reaches the reference often, one that ends below 1 has "
                "instances without a solution.", gname)
        bprof = an.bound_profile(cells, s.order)
        if bprof:
            self.add(fam, "bound profile", plots.draw_profile(
                bprof, self.out / f"{pre}profile-bound.png",
                f"Bound profile (reference: {kinds}) over {bprof.units} instances",
                "gap of the bound: (reference - bound) / reference (%, symlog)", False, 0.0,
                100.0),
                "For each bound method, the fraction of the instances whose certified "
                f"lower bound is within x of the reference ({h.esc(kinds)}): higher and "
                "further left is tighter.", gname)
        self.add(fam, "critical-difference diagram", plots.draw_cd(
            cells, s.order, self.out / f"{pre}cd.png", kinds),
            "Critical-difference diagram (autorank: Friedman test, Nemenyi post-hoc) of "
            f"the solvers' mean gaps to the reference ({h.esc(kinds)}) per instance{where}: "
            "ranked by mean rank (1 = lowest gap); solvers joined by a bar are not "
            "significantly different at alpha 0.05.",
            gname)

    # -- summary ---------------------------------------------------------------------
    def summary(self) -> Path:
        """index.html: who wins, the solver per size and budget, where it ran."""
        s = self.s
        body = [f"<h1>{h.esc(s.title)}</h1>", _paragraphs(s.intro)]
        body.append(f'<p class="muted">Built from {s.source}. Regenerate: '
                    f"<code>{h.esc(s.command)}</code>.</p>")
        if not s.cells:
            body.append('<p class="note">This study has no solver runs (its files are '
                        'figures and tables of the model or of the shipped checkpoints): '
                        'see <a href="figures.html">figures</a> and '
                        '<a href="tables.html">tables</a>.</p>')
        for fam in self.families:
            body.append(self.family_summary(fam))
        if s.provenance:
            body.append("<h2>Where it ran</h2><p class=\"muted\">Times are wall times on "
                        "the machine named; compare solvers by ratios within one sweep.</p>"
                        "<ul>" + "".join(f"<li>{h.esc(p)}</li>" for p in s.provenance)
                        + "</ul>")
        return self.write_page("index.html", s.title, "\n".join(body), "index")

    def verdict(self, cells: list[Cell]) -> str:
        """The summary's sentences for one instance group: the best solvers by mean gap,
        the fastest to the reference, the tightest bounds."""
        s = self.s
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

    def family_summary(self, fam: str) -> str:
        """The summary's section of one family."""
        cells = [c for c in self.s.cells if c.family == fam]
        kinds = an.kinds(cells)
        per_instance = any(c.instance is not None for c in cells)
        units = (f"{len({c.instance for c in cells})} instances" if per_instance else
                 f"{len({(c.size, c.sites) for c in cells})} size cells")
        out = [f"<h2>{h.esc(FAMILY_WORDS.get(fam, fam))}: {units}, reference: "
               f"{h.esc(kinds)}</h2>"]
        out.append(self.pick_table(fam, cells, kinds))
        for pre, gname, gcells in self.groups(fam):
            if gname:
                out.append(f"<h3>{h.esc(gname[0].upper() + gname[1:])}</h3>")
            out.append(self.verdict(gcells))
            for fam_, file, caption, _ in self.figs:
                if fam_ == fam and file.startswith(pre) and (
                        "profile-time" in file or "profile-bound" in file):
                    out.append(h.figure(file, caption))
        for fam_, file, caption, _ in self.figs:
            if fam_ == fam and "gap-time" in file:
                out.append(h.figure(file, caption))
        out.append(f'<p>More: <a href="tables.html">tables</a> (gap and time per solver '
                   f'and size{", per instance" if per_instance else ""}), '
                   '<a href="figures.html">figures</a>'
                   + (', <a href="instances.html">instances</a>' if per_instance else "")
                   + ".</p>")
        return "\n".join(out)

    def pick_table(self, fam: str, cells: list[Cell], kinds: str) -> str:
        """The grid of size against time budget naming the solver to use."""
        rows = an.size_rows(cells, self.s.order)
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

    # -- tables ----------------------------------------------------------------------
    def tables(self) -> Path:
        """tables.html: per solver and size, per instance, and every shipped table."""
        s = self.s
        body = [f"<h1>Tables: {h.esc(s.title)}</h1>",
                '<p class="muted">Click a column header to sort; gaps are relative to the '
                "reference in % (positive = worse), times are mean wall times in seconds."
                "</p>"]
        for fam in self.families:
            cells = [c for c in s.cells if c.family == fam]
            kinds = an.kinds(cells)
            rows = an.size_rows(cells, s.order)
            unit = size_unit(fam)
            body.append(f"<h2>{h.esc(FAMILY_WORDS.get(fam, fam))}: gap and time per solver "
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
                body.append(f"<h2>{h.esc(FAMILY_WORDS.get(fam, fam))}: per instance and "
                            "solver</h2>")
                body.append(h.table(
                    [h.Col("instance", self.instance_link, html=True),
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
            body.append(self.shipped_table(name, caption, path))
        return self.write_page("tables.html", f"Tables: {s.title}", "\n".join(body), "tables")

    def instance_link(self, name: str) -> str:
        """A link to the page of instance ``name``."""
        return f'<a href="instances/{h.esc(self.slugs[name])}.html">{h.esc(name)}</a>'

    def shipped_table(self, name: str, caption: str, path: Path) -> str:
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

    # -- figures page ----------------------------------------------------------------
    def figures_page(self) -> Path:
        """figures.html: every figure with its caption, and what was not drawn."""
        s = self.s
        body = [f"<h1>Figures: {h.esc(s.title)}</h1>"]
        for fam in self.families:
            body.append(f"<h2>{h.esc(FAMILY_WORDS.get(fam, fam))}</h2>")
            body += [h.figure(file, cap) for f, file, cap, _ in self.figs if f == fam]
            skipped = [(n, why) for f, n, why in self.skipped if f == fam]
            if skipped:
                body.append('<p class="note">Not drawn: ' + "; ".join(
                    f"{h.esc(n)} ({h.esc(why)})" for n, why in skipped) + ".</p>")
        if s.figures and self.copy_figures:
            body.append("<h2>The report's figures</h2><p class=\"muted\">As the study's report "
                        "drew them from its store (the PNGs in its results folder; a report "
                        "older than the palette may colour solvers differently).</p>")
            kinds = h.esc(an.kinds(s.cells))
            body += [h.figure(f"report-{p.name}", f"{h.esc(p.stem)} (the report's figure; "
                              f"reference: {kinds})" if s.cells else h.esc(p.stem))
                     for p in s.figures]
        return self.write_page("figures.html", f"Figures: {s.title}", "\n".join(body),
                               "figures")

    # -- instances -------------------------------------------------------------------
    def instances(self) -> list[Path]:
        """instances.html and one page per instance."""
        s = self.s
        if not self.slugs:
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
                         if is_gqap(c0.family) else None,
                         None if best is None else best.solver])
        body = ["<h1>Instances</h1>", h.table(
            [h.Col("instance", self.instance_link, html=True), h.Col("family"),
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
        written = [self.write_page("instances.html", "Instances", "\n".join(body),
                                   "instances")]
        runs_by: dict[str, list[Run]] = {}
        for r in s.runs or ():
            runs_by.setdefault(r.instance, []).append(r)
        rank = {lab: i for i, lab in enumerate(an.solver_order(s.cells, s.order))}
        for name, cs in by_inst.items():
            written.append(self.instance_page(name, cs, runs_by.get(name), rank))
        return written

    def instance_page(self, name: str, cs: list[Cell], runs: list[Run] | None,
                      rank: dict[str, int]) -> Path:
        """One instance: its reference, kind and bound, and every run."""
        c0 = cs[0]
        facts = [("family", FAMILY_WORDS.get(c0.family, c0.family)),
                 ("size", f"{c0.size} {size_unit(c0.family)}"),
                 ("sites" if c0.family != "offloading" else "G", c0.sites),
                 ("reference", h.num(c0.reference)), ("reference kind", c0.kind),
                 ("certified bound", h.num(c0.instance_bound))]
        if is_gqap(c0.family):
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
        return self.write_page(f"instances/{self.slugs[name]}.html", name, "\n".join(body),
                               "instances")

    def write(self) -> list[Path]:
        """Draw the figures and write every page; returns the pages."""
        self.draw()
        return [self.summary(), self.tables(), self.figures_page(), *self.instances()]


def an_colour(solver: str) -> str:
    """The solver's palette colour (hex)."""
    from gqap.bench.figures.palette import style

    return style(solver).colour


def _budget_text(b: float) -> str:
    return f"{b:g} s" if b >= 1 else f"{b * 1e3:g} ms"


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


# ---------------------------------------------------------------------------------------
# whole sites
# ---------------------------------------------------------------------------------------
def copy_assets(out: Path) -> None:
    """The stylesheet and the table sorter into ``out/assets``."""
    src = package_dir("gqap.bench.site") / "assets"
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in h.ASSETS:
        shutil.copy2(src / name, out / "assets" / name)


def write_sweep_site(sweep_dir: str | Path, out_dir: str | Path) -> Path:
    """The HTML report of one sweep folder into ``out_dir``; returns its index.html."""
    study = study_from_sweep(Path(sweep_dir))
    out = Path(out_dir)
    copy_assets(out)
    StudyPages(study, out, "", None, copy_figures=False).write()
    return out / "index.html"


@dataclass
class SiteReport:
    """What ``write_site`` wrote: the index, the pages per study, and notes."""

    index: Path
    pages: dict[str, list[Path]]
    notes: list[str]


def study_folders(results_dir: Path, out: Path) -> list[Path]:
    """The study folders under ``results_dir`` (those with a README.md), skipping the
    site's own output folder."""
    out_r = out.resolve()
    return [p for p in sorted(results_dir.iterdir())
            if p.is_dir() and (p / "README.md").is_file() and p.resolve() != out_r]


def _write_study(folder: Path, out: Path) -> tuple[list[Path], list[Any], str | None]:
    """One study's folder of the site: its pages, its index row and a note."""
    study = study_from_results(folder)
    sp = StudyPages(study, out / folder.name, "../", ("../index.html", "all studies"))
    note = (f"{folder.name}: no {RUNS_FILE}; pages built from its tables"
            if study.runs is None and study.cells else None)
    return sp.write(), _index_row(study), note


def write_site(results_dir: str | Path, out_dir: str | Path,
               workers: int | None = None) -> SiteReport:
    """The site of every study under ``results_dir`` into ``out_dir``; with ``workers`` >
    1 the studies are written by that many processes (the figures are most of the time;
    on a machine shared with other jobs one process was as fast)."""
    results = Path(results_dir)
    if not results.is_dir():
        raise GQAPError(f"bench site: {results}: no such folder")
    out = Path(out_dir)
    folders = study_folders(results, out)
    if not folders:
        raise GQAPError(f"bench site: {results}: no study folders (NAME/README.md) here")
    copy_assets(out)
    workers = min(workers or 1, len(folders))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            done = list(pool.map(_write_study, folders, [out] * len(folders)))
    else:
        done = [_write_study(folder, out) for folder in folders]
    pages = {folder.name: d[0] for folder, d in zip(folders, done, strict=True)}
    rows = [d[1] for d in done]
    notes = [d[2] for d in done if d[2]]
    body = ["<h1>gqap-bench results</h1>",
            '<p class="lead">Every study under <code>results/</code>: who wins, on what, '
            "against which reference. Open a study for its summary (the solver to use per "
            "size and time budget), sortable tables, performance profiles and one page per "
            "instance.</p>",
            h.table([h.Col("study", lambda v: f'<a href="{h.esc(v)}/index.html">{h.esc(v)}'
                           "</a>", html=True),
                     h.Col("what"), h.Col("families"), h.Col("instances", numeric=True),
                     h.Col("solvers", numeric=True), h.Col("runs", numeric=True),
                     h.Col("reference"),
                     h.Col("best (lowest mean gap)", lambda v: "-" if not v else
                           h.swatch(v), html=True),
                     h.Col("data"), h.Col("regenerate", lambda v: f"<code>{h.esc(v)}</code>",
                                          html=True)],
                    rows, caption="Studies; 'data': per run (runs.csv) or the report's "
                    "tables. Regenerate a study with its command, then this site with "
                    "<code>gqap bench site</code>.", table_id="studies")]
    index = write_text_atomic(out / "index.html", h.page(
        "gqap-bench results", "\n".join(body), "", [("index.html", "all studies", True)],
        "Built by <code>gqap bench site</code> from the folders of <code>results/</code>."))
    return SiteReport(index, pages, notes)


def _index_row(study: Study) -> list[Any]:
    cells = study.cells
    stand = an.standings(cells, study.order)
    instances = len({c.instance for c in cells if c.instance is not None}) or None
    runs = len(study.runs) if study.runs is not None else (sum(c.runs for c in cells) or None)
    return [study.name, study.title, ", ".join(sorted({c.family for c in cells})) or "-",
            instances, len({c.solver for c in cells}) or None, runs, an.kinds(cells),
            stand[0].solver if stand else "",
            "per run" if study.runs is not None else ("tables" if cells else "figures"),
            study.command]
