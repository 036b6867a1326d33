"""The paper's Fig. 10: per instance, grouped bars per solver of (a) objective, (b) mean
PAI and (c) mean end-to-end latency (the only module that draws it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.figures.common import colors, plt, save
from gqap.bench.tables import label_order, ok, stats


def draw(rows: list[dict[str, Any]], order: list[str], path: Path, title: str = "") -> Path:
    """Three panels of grouped bars, one group per offloading instance."""
    rows = [r for r in rows if r["family"] == "offloading" and ok(r)]
    names = sorted({r["instance"] for r in rows})
    labels = label_order(rows, order)
    palette = colors(labels)
    fig, axes = plt().subplots(1, 3, figsize=(13, 4.2))
    width = 0.8 / max(len(labels), 1)
    for ax, key, ylabel in zip(axes, ("objective", "mean_pai", "mean_latency_s"),
                               ("(a) objective", "(b) mean PAI", "(c) mean E2E latency (s)"),
                               strict=True):
        for j, lab in enumerate(labels):
            vals = [stats(r[key] for r in rows if r["instance"] == n and r["label"] == lab).mean
                    for n in names]
            ax.bar(np.arange(len(names)) + (j - (len(labels) - 1) / 2) * width, vals, width,
                   label=lab, color=palette[lab])
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=7)
        ax.set_title(ylabel, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=7)
    fig.suptitle(title or "Solvers on the same cases: objective, mean PAI, mean latency",
                 fontsize=10)
    return save(fig, path)
