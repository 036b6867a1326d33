"""The paper's Table II measured, as a figure: log-log mean solve time against size per
solver, with the fitted exponent k of time ~ size^k (``bench.tables.runtime_fits``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.figures.common import colors, markers, plt, save
from gqap.bench.tables import Fit, label_order


def draw(rows: list[dict[str, Any]], fits: list[Fit], order: list[str], path: Path,
         title: str = "") -> Path:
    """Mean solve time against size, one line and fitted exponent per solver label."""
    labels = label_order(rows, order)
    palette, shape = colors(labels), markers(labels)
    fig, ax = plt().subplots(figsize=(8.4, 4.2))
    for f in fits:
        c = palette[f.label]
        ax.loglog(f.sizes, f.mean_times, shape[f.label], ms=5, color=c)
        xs = np.array([f.sizes[0], f.sizes[-1]], dtype=float)
        ax.loglog(xs, 10 ** (f.intercept + f.exponent * np.log10(xs)), "-", color=c,
                  label=f"{f.label}: k = {f.exponent:.2f} [{f.lo:.2f}, {f.hi:.2f}]")
    ax.set_xlabel("size (users or facilities)")
    ax.set_ylabel("mean solve wall time (s)")
    ax.set_title(title or "Runtime scaling: time ~ size^k (fit over finished runs)",
                 fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return save(fig, path)
