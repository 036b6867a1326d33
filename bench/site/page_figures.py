"""The figures of one study: drawn into its folder (performance, gap and bound profiles and
the critical-difference diagram per instance group; gap against time, time-to-target
curves and runtime scaling per family), and figures.html listing them with what was not
drawn and why."""

from __future__ import annotations

import shutil
from pathlib import Path

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site import plots
from gqap.bench.site.data import Cell
from gqap.bench.site.pages import StudyPages
from gqap.family import title as family_title


def draw(pages: StudyPages) -> None:
    """Draw every figure of the study into its folder (and copy the report's PNGs)."""
    s = pages.s
    pages.out.mkdir(parents=True, exist_ok=True)
    for fam in pages.families:
        cells = [c for c in s.cells if c.family == fam]
        kinds = an.kinds(cells)
        rows = an.size_rows(cells, s.order)
        per_instance = any(c.instance is not None for c in cells)
        fam_pre = f"{fam}-" if len(pages.families) > 1 else ""
        for pre, gname, gcells in pages.groups(fam):
            draw_group(pages, fam, pre, gname, gcells, per_instance)
        pages.add(fam, "gap against time", plots.draw_budget_gaps(
            rows, s.order, pages.out / f"{fam_pre}gap-time.png", fam, kinds),
            "Mean gap against mean wall time, one point per solver and size (marker "
            f"area grows with size; reference: {h.esc(kinds)}). The solvers nearest the "
            "lower left are the ones the budget table picks.")
        if s.runs is not None:
            fam_runs = [r for r in s.runs if r.family == fam]
            pages.add(fam, "time-to-target curves", plots.draw_ecdf(
                fam_runs, s.order, pages.out / f"{fam_pre}ttt-ecdf.png", kinds),
                "Time to target pooled over every instance and seed (an ECDF, as COCO "
                "and the time-to-target literature draw it): the fraction of runs whose "
                f"best-so-far value reached the reference ({h.esc(kinds)}) by time t.")
        else:
            pages.skipped.append((fam, "time-to-target curves over runs", "per-run "
                                 "times are not in this study's shipped tables"
                                 + ("; the report's ttt-*.png below were drawn from "
                                    "the store" if any(p.name.startswith("ttt")
                                                       for p in s.figures) else "")))
        pages.add(fam, "runtime scaling", plots.draw_runtime(
            rows, s.order, pages.out / f"{fam_pre}runtime.png", fam, dict(s.exponents)),
            "Mean solve wall time per size, log-log, over the runs with a solution "
            "(time-limited searches sit at their limit); k: the report's fitted "
            "exponent of time ~ size^k where it fitted one.")
    if pages.copy_figures:
        for p in s.figures:
            shutil.copy2(p, pages.out / f"report-{p.name}")


def draw_group(pages: StudyPages, fam: str, pre: str, gname: str, cells: list[Cell],
               per_instance: bool) -> None:
    """The profiles and the critical-difference diagram of one instance group."""
    s, kinds = pages.s, an.kinds(cells)
    if not per_instance:
        for what in ("performance profile", "gap profile", "critical-difference diagram"):
            pages.skipped.append((fam, what, "needs per-instance data (this study's "
                                 "shipped tables are per size)"))
        return
    where = f" ({h.esc(gname)})" if gname else ""
    prof = an.performance_profile(cells, s.order)
    if prof:
        pages.add(fam, "performance profile", plots.draw_profile(
            prof, pages.out / f"{pre}profile-time.png",
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
        pages.skipped.append((fam, "performance profile", "no solver reached the "
                             "reference in every run of an instance"))
    acc = an.accuracy_profile(cells, s.order)
    if acc:
        pages.add(fam, "gap profile", plots.draw_profile(
            acc, pages.out / f"{pre}profile-gap.png",
            f"Gap profile (reference: {kinds}) over {acc.units} instances",
            "mean gap to the reference on the instance (%, symlog)", False, 0.0, 100.0),
            f"For each solver, the fraction of the {acc.units} instances{where} whose "
            f"mean gap to the reference ({h.esc(kinds)}) is at most x; a curve that "
            "starts high at 0 reaches the reference often, one that ends below 1 has "
            "instances without a solution.", gname)
    bprof = an.bound_profile(cells, s.order)
    if bprof:
        pages.add(fam, "bound profile", plots.draw_profile(
            bprof, pages.out / f"{pre}profile-bound.png",
            f"Bound profile (reference: {kinds}) over {bprof.units} instances",
            "gap of the bound: (reference - bound) / reference (%, symlog)", False, 0.0,
            100.0),
            "For each bound method, the fraction of the instances whose certified "
            f"lower bound is within x of the reference ({h.esc(kinds)}): higher and "
            "further left is tighter.", gname)
    pages.add(fam, "critical-difference diagram", plots.draw_cd(
        cells, s.order, pages.out / f"{pre}cd.png", kinds),
        "Critical-difference diagram (autorank: Friedman test, Nemenyi post-hoc) of "
        f"the solvers' mean gaps to the reference ({h.esc(kinds)}) per instance{where}: "
        "ranked by mean rank (1 = lowest gap); solvers joined by a bar are not "
        "significantly different at alpha 0.05.",
        gname)


def figures_page(pages: StudyPages) -> Path:
    """figures.html: every figure with its caption, and what was not drawn."""
    s = pages.s
    body = [f"<h1>Figures: {h.esc(s.title)}</h1>"]
    for fam in pages.families:
        body.append(f"<h2>{h.esc(family_title(fam))}</h2>")
        body += [h.figure(file, cap) for f, file, cap, _ in pages.figs if f == fam]
        skipped = [(n, why) for f, n, why in pages.skipped if f == fam]
        if skipped:
            body.append('<p class="note">Not drawn: ' + "; ".join(
                f"{h.esc(n)} ({h.esc(why)})" for n, why in skipped) + ".</p>")
    if s.figures and pages.copy_figures:
        body.append("<h2>The report's figures</h2><p class=\"muted\">As the study's report "
                    "drew them from its store (the PNGs in its results folder; a report "
                    "older than the palette may colour solvers differently).</p>")
        kinds = h.esc(an.kinds(s.cells))
        body += [h.figure(f"report-{p.name}", f"{h.esc(p.stem)} (the report's figure; "
                          f"reference: {kinds})" if s.cells else h.esc(p.stem))
                 for p in s.figures]
    return pages.write_page("figures.html", f"Figures: {s.title}", "\n".join(body),
                           "figures")
