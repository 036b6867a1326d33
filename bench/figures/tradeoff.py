"""The trade-off figure: mean gap to the reference against mean solve time, one point per
solver and size (``bench.studies.tradeoff_points``), one colour per solver, the marker's
size growing with the user count and its shape naming the site count. Points lower and
further left are better; a solver that is fast but inexact sits high on the left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.bench.figures.common import colors, plt, reference_caption, save
from gqap.bench.studies.tradeoff import tradeoff_points

MARKERS = "os^Dvp*hX<>"


def draw(rows: list[dict[str, Any]], order: list[str], path: Path, title: str = "",
         key: str = "S") -> Path:
    """Gap (%, symmetric-log axis: zero gaps stay visible) against time (log axis)."""
    points = tradeoff_points(rows, order)
    labels = list(dict.fromkeys(p.label for p in points))
    palette = colors(labels)
    groups = sorted({p.group for p in points})
    shape = {g: MARKERS[i % len(MARKERS)] for i, g in enumerate(groups)}
    users = sorted({p.users for p in points})
    size = {u: 14 + 70 * i / max(1, len(users) - 1) for i, u in enumerate(users)}
    fig, ax = plt().subplots(figsize=(8.4, 4.8))
    for p in points:
        ax.scatter(max(p.time_s, 1e-6), 100 * p.gap, s=size[p.users], marker=shape[p.group],
                   color=palette[p.label], alpha=0.75, edgecolors="none")
    for lab in labels:  # legend entries: colour per solver
        ax.scatter([], [], color=palette[lab], label=lab, s=30)
    for g in groups:  # shape per site count
        ax.scatter([], [], color="0.4", marker=shape[g], label=f"{key} = {g:g}", s=30)
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=0.1)
    low = min((100 * p.gap for p in points), default=0.0)
    ax.set_ylim(bottom=min(0.0, low) * 1.5 - 0.01)  # no empty negative half when none is
    ax.set_xlabel("mean solve wall time (s)")
    ax.set_ylabel("mean gap to the reference (%, symlog)")
    ax.set_title(title or "Gap against solve time, one point per solver and size\n"
                 f"(marker size: users {users[0]}..{users[-1]}; {reference_caption(rows)})",
                 fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return save(fig, path)
