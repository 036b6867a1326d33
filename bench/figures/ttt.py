"""Time-to-target plots (Aiex, Resende and Ribeiro's figure of the GRASP and iterated-tabu
literature): per instance, the empirical distribution of the time a run needs to reach a
target value, one curve per solver; x: seconds from the start of the solve call, y: the
fraction of the runs that reached the target by then. Runs that never reach it count as
not reached, so a curve ends below 1. One figure per target (the reference and 0.5 %
above it, ``bench.studies.TTT_TARGETS``) and per time limit, read from the best-so-far
trajectories the runs stored (``bench.studies.ttt_groups``), never from new runs.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

from gqap.bench.figures.common import colors, markers, plt, reference_caption, save
from gqap.bench.studies.ttt import (
    TTT_TARGETS,
    target_name,
    target_value,
    time_to_target,
    ttt_curve,
    ttt_groups,
)
from gqap.bench.tables import label_order

COLUMNS = 6  # panels per row


def has_data(rows: list[dict[str, Any]]) -> bool:
    """True when some GQAP run with a reference stored a trajectory."""
    return bool(ttt_groups(rows, []))


def file_name(pct: float, limit: float | None, several: bool) -> str:
    """'ttt-ref.png', 'ttt-ref+0.5pct.png'; with ``several`` time limits '-10s' is added."""
    name = "ttt-" + target_name(pct).replace("%", "pct")
    if several:
        name += "-" + ("nolimit" if limit is None else f"{limit:g}s")
    return name + ".png"


def draw(rows: list[dict[str, Any]], order: list[str], out_dir: Path,
         title: str = "") -> list[Path]:
    """Write one figure per target and time limit into ``out_dir``; returns the files."""
    limits = sorted({r.get("time_limit") for r in rows if r["family"] == "classic"},
                    key=lambda v: math.inf if v is None else v)
    written = []
    for limit in limits:
        at = [r for r in rows if r.get("time_limit") == limit]
        groups = ttt_groups(at, order)
        if not groups:
            continue
        for pct in TTT_TARGETS:
            path = Path(out_dir) / file_name(pct, limit, len(limits) > 1)
            written.append(_figure(groups, order, pct, limit, path, title))
    return written


def _figure(groups: dict[str, dict[str, list[dict[str, Any]]]], order: list[str], pct: float,
            limit: float | None, path: Path, title: str) -> Path:
    instances = list(groups)
    labels = label_order([r for g in groups.values() for rs in g.values() for r in rs], order)
    palette, shape = colors(labels), markers(labels)
    ncols = min(COLUMNS, len(instances))
    nrows = math.ceil(len(instances) / ncols)
    fig, axes = plt().subplots(nrows, ncols, figsize=(2.9 * ncols, 2.3 * nrows + 0.6),
                               squeeze=False)
    every = [t for g in groups.values() for rs in g.values() for r in rs
             if (t := time_to_target(r, target_value(r["reference"], r["sense"], pct)))
             is not None]
    lo = max(min((t for t in every if t > 0), default=1e-3) / 2, 1e-4)
    hi = limit or max(every, default=1.0)
    for ax, inst in zip(axes.flat, instances, strict=False):
        for lab, rs in groups[inst].items():
            value = target_value(rs[0]["reference"], rs[0]["sense"], pct)
            times = [time_to_target(r, value) for r in rs]
            points = ttt_curve(times, len(rs))
            xs = [lo] + [max(t, lo) for t, _ in points] + [hi]
            ys = [0.0] + [y for _, y in points] + [points[-1][1] if points else 0.0]
            hit = sum(t is not None for t in times)
            ax.step(xs, ys, where="post", color=palette[lab], lw=1.3,
                    label=f"{lab} ({hit}/{len(rs)})")
            ax.plot([max(t, lo) for t, _ in points], [y for _, y in points], shape[lab],
                    ms=3, color=palette[lab])
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(inst, fontsize=8)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=5, loc="upper left")
    for ax in list(axes.flat)[len(instances):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("fraction reached", fontsize=7)
    for ax in axes[-1, :]:
        ax.set_xlabel("seconds (log)", fontsize=7)
    what = "the reference" if pct == 0 else f"{pct:g} % above the reference"
    lim = "" if limit is None else f", {limit:g} s per run"
    every_row = [r for g in groups.values() for rs in g.values() for r in rs]
    text = (f"{title + ': ' if title else ''}time to target, target = {what}{lim} "
            f"({reference_caption(every_row)}; runs that never reach it count as not "
            "reached)")
    fig.suptitle(textwrap.fill(text, width=int(24 * ncols)), fontsize=9)
    return save(fig, path)
