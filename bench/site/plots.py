"""The site's figures, each a PNG drawn from a study's cells or runs with the solvers'
palette styles (``bench.figures.palette``), axes with units and the reference kind in the
title. Each ``draw_*`` returns the path written, or a reason why the figure was skipped.
"""

from __future__ import annotations

import contextlib
import io
import math
import textwrap
import warnings
from pathlib import Path

import numpy as np

from gqap.bench.figures.common import plt, save
from gqap.bench.figures.palette import styles
from gqap.bench.site.analysis import Profile, SizeRow, cd_matrix, solver_order
from gqap.bench.site.data import Cell, Run, size_unit

# the 7.6 x 4 in figures: two title lines above, the legend outside on the right
MARGINS = {"left": 0.12, "right": 0.76, "bottom": 0.13, "top": 0.86}
CD_MIN_INSTANCES = 10
CD_MIN_SOLVERS = 3
DPI = 100


def _title(ax, text: str, size: int = 9) -> None:
    ax.set_title(textwrap.fill(text, 95), fontsize=size)


def _marks(ax, xs: list[float], ys: list[float], st, label: str) -> None:
    """At most about 20 of a curve's points marked in the solver's marker (more would only
    cost drawing time), and its legend entry: line and marker."""
    every = max(1, len(xs) // 20)
    ax.plot(xs[::every], ys[::every], st.marker, color=st.colour, ms=4, alpha=0.8)
    ax.plot([], [], color=st.colour, marker=st.marker, lw=1.6, ms=4, label=label)


def _legend(ax) -> None:
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


def draw_profile(profile: Profile, path: Path, title: str, xlabel: str, log_x: bool,
                 start: float, scale: float = 1.0) -> Path:
    """A step curve per solver: fraction of instances (y) within x (x times ``scale``)."""
    fig, ax = plt().subplots(figsize=(7.6, 4.0))
    profile = Profile({s: [(scale * x, y) for x, y in pts] for s, pts in
                       profile.curves.items()}, profile.units, profile.left_out)
    sty = styles(list(profile.curves))
    right = max((x for pts in profile.curves.values() for x, _ in pts
                 if math.isfinite(x)), default=start * 10)
    right = max(right * (1.6 if log_x else 1.05), start * 2 if log_x else start + 1e-3)
    for s, pts in profile.curves.items():
        xs = [start] + [max(x, start) for x, _ in pts] + [right]
        ys = [0.0] + [y for _, y in pts] + [pts[-1][1] if pts else 0.0]
        ax.step(xs, ys, where="post", color=sty[s].colour, lw=1.6)
        _marks(ax, [max(x, start) for x, _ in pts], [y for _, y in pts], sty[s], s)
    if log_x:
        ax.set_xscale("log")
    else:
        ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlim(start * 0.93 if log_x else start - 0.02 * right, right)  # a line at the
    # left edge (a solver always at the reference, or always the fastest) stays visible
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"fraction of the {profile.units} instances")
    _title(ax, title)
    ax.grid(alpha=0.3, which="both")
    _legend(ax)
    return save(fig, path, dpi=DPI, margins=MARGINS)


def draw_ecdf(runs: list[Run], order: list[str], path: Path, kinds: str) -> Path | str:
    """Per solver, the fraction of (instance, run) pairs whose best-so-far value reached
    the reference by time t (runs that never did count, so a curve can end below 1)."""
    have = [r for r in runs if r.ttt_s is not None or r.reached is False]
    solvers = [s for s in solver_order(_as_cells(runs), order)
               if any(r.solver == s and r.ttt_s is not None for r in runs)]
    if not solvers:
        return "no run stored a best-so-far trajectory"
    seeds = {}
    for r in runs:
        seeds.setdefault(r.solver, set()).add(r.seed)
    if max(len(v) for v in seeds.values()) < 2:
        return "one seed per instance: the curve over runs would repeat the profile"
    fig, ax = plt().subplots(figsize=(7.6, 4.0))
    sty = styles(solvers)
    times = [r.ttt_s for r in have if r.ttt_s is not None]
    lo = max(min((t for t in times if t > 0), default=1e-3) / 2, 1e-4)
    hi = max(max(times, default=1.0), max((r.time_limit or 0) for r in runs)) * 1.2
    for s in solvers:
        rs = [r for r in runs if r.solver == s]
        hit = sorted(max(r.ttt_s, lo) for r in rs if r.ttt_s is not None)
        ys = [(i + 1) / len(rs) for i in range(len(hit))]
        ax.step([lo, *hit, hi], [0.0, *ys, ys[-1] if ys else 0.0], where="post",
                color=sty[s].colour, lw=1.6)
        _marks(ax, hit, ys, sty[s], f"{s} ({len(hit)}/{len(rs)} runs)")
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("time from the start of the solve call (s, log)")
    ax.set_ylabel("fraction of runs that reached the reference")
    _title(ax, f"Time to target over all instances and seeds (target: the reference, "
           f"{kinds})")
    ax.grid(alpha=0.3, which="both")
    _legend(ax)
    return save(fig, path, dpi=DPI, margins=MARGINS)


def _as_cells(runs: list[Run]) -> list[Cell]:
    from gqap.bench.site.data import cells_from_runs

    return cells_from_runs(runs)


def draw_runtime(rows: list[SizeRow], order: list[str], path: Path, family: str,
                 exponents: dict[str, float]) -> Path | str:
    """Mean wall time against size per solver, log-log; ``exponents`` (label -> k of
    time ~ size^k, from the report's fit) are named in the legend."""
    rows = [r for r in rows if r.family == family and r.time and r.time > 0]
    solvers = [s for s in solver_order_rows(rows, order)
               if len({r.size for r in rows if r.solver == s}) >= 2]
    if not solvers:
        return "fewer than two sizes per solver"
    fig, ax = plt().subplots(figsize=(7.6, 4.0))
    sty = styles(solvers)
    for s in solvers:
        pts = sorted((r.size, r.time) for r in rows if r.solver == s)
        k = exponents.get(s)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=sty[s].marker,
                color=sty[s].colour, lw=1.4, ms=5,
                label=s + (f" (k = {k:.2f})" if k is not None else ""))
    ax.set_xscale("log")
    ax.set_yscale("log")
    unit = size_unit(family)
    ax.set_xlabel(f"size ({unit}, log)")
    ax.set_ylabel("mean solve wall time (s, log)")
    _title(ax, "Runtime scaling: mean wall time per size over the runs with a solution"
           + ("; k: fitted exponent of time ~ size^k" if exponents else ""))
    ax.grid(alpha=0.3, which="both")
    _legend(ax)
    return save(fig, path, dpi=DPI, margins=MARGINS)


def solver_order_rows(rows: list[SizeRow], order: list[str]) -> list[str]:
    """Solvers of ``rows`` in ``order`` first, then in order of appearance."""
    seen = list(dict.fromkeys(r.solver for r in rows))
    return [s for s in order if s in seen] + [s for s in seen if s not in order]


def draw_cd(cells: list[Cell], order: list[str], path: Path, kinds: str) -> Path | str:
    """The critical-difference diagram of the solvers' mean gaps per instance (Friedman
    test, Nemenyi post-hoc, from autorank); a reason string where it is skipped."""
    instances, solvers, data, left_out = cd_matrix(cells, order)
    dropped = f" ({', '.join(left_out)} left out: no solution on many instances)" \
        if left_out else ""
    if len(solvers) < CD_MIN_SOLVERS:
        return (f"{len(solvers)} solvers with a solution on the same instances (at least "
                f"{CD_MIN_SOLVERS} needed){dropped}")
    if len(instances) < CD_MIN_INSTANCES:
        return (f"{len(instances)} instances solved by every solver (at least "
                f"{CD_MIN_INSTANCES} needed for the Friedman test to say much){dropped}")
    try:
        import pandas as pd
        from autorank import autorank, plot_stats
    except ImportError:
        return "autorank is not installed (pip install 'gqap-bench[site]')"
    frame = pd.DataFrame(data, columns=solvers)
    if float(np.ptp(data)) == 0.0:
        return "every solver has the same gap on every instance"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # autorank prints and warns about its choices
        result = autorank(frame, alpha=0.05, order="ascending", force_mode="nonparametric")
        fig, ax = plt().subplots(figsize=(7.6, 0.6 + 0.35 * len(solvers)))
        plot_stats(result, allow_insignificant=True, ax=ax)
    p = getattr(result, "pvalue", None)
    _title(ax, f"Critical difference (Nemenyi, alpha 0.05): mean rank of the mean gap "
           f"(lower is better) over {len(instances)} instances; Friedman p = {p:.2g} "
           f"(reference: {kinds}){dropped}" if p is not None else "Critical difference", 8)
    fig.set_size_inches(7.6, max(1.6, 0.9 + 0.35 * len(solvers)))
    return save(fig, path, dpi=DPI)


def draw_budget_gaps(rows: list[SizeRow], order: list[str], path: Path, family: str,
                     kinds: str) -> Path | str:
    """Mean gap (%) against mean wall time (s), one point per solver and size: the
    trade-off a budget chooses on (lower left is better)."""
    rows = [r for r in rows if r.family == family and r.gap is not None and r.time]
    if not rows:
        return "no solver with both a gap and a time"
    solvers = solver_order_rows(rows, order)
    sty = styles(solvers)
    sizes = sorted({r.size for r in rows})
    area = {s: 16 + 80 * i / max(1, len(sizes) - 1) for i, s in enumerate(sizes)}
    fig, ax = plt().subplots(figsize=(7.6, 4.0))
    for s in solvers:
        pts = [r for r in rows if r.solver == s]
        ax.scatter([r.time for r in pts], [100 * r.gap for r in pts],
                   s=[area[r.size] for r in pts], marker=sty[s].marker, color=sty[s].colour,
                   alpha=0.8, label=s)
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=0.1)
    gaps = [100 * r.gap for r in rows]
    ax.set_ylim(min(0.0, min(gaps)) * 1.5 - 0.01, max(gaps) * 2 + 0.1)  # every point shows,
    # and no empty negative half where no solver beat the reference
    ax.set_xlabel("mean solve wall time (s, log)")
    ax.set_ylabel("mean gap to the reference (%, symlog)")
    unit = size_unit(family)
    _title(ax, f"Gap against time per solver and size (marker area: {unit} "
           f"{sizes[0]}..{sizes[-1]}; reference: {kinds}); lower left is better")
    ax.grid(alpha=0.3, which="both")
    _legend(ax)
    return save(fig, path, dpi=DPI, margins=MARGINS)
