"""Mean objective per user under the paper's worst-case batch model and under the
dynamic-batch latency model, per solver, for the same stored solutions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.figures.common import plt, save
from gqap.bench.tables import label_order, stats


def draw(rows: list[dict[str, Any]], order: list[str], path: Path, title: str = "") -> Path:
    """Paired bars per solver label (rows need ``objective_dynamic``)."""
    rows = [r for r in rows if r.get("objective_dynamic") is not None]
    labels = label_order(rows, order)
    fig, ax = plt().subplots(figsize=(6.4, 4.2))
    x = np.arange(len(labels))
    paper = [stats(r["objective_per_user"] for r in rows if r["label"] == lab).mean
             for lab in labels]
    dyn = [stats(r["objective_dynamic"] / r["n_users_or_facilities"] for r in rows
                 if r["label"] == lab).mean for lab in labels]
    ax.bar(x - 0.2, paper, 0.4, label="paper (batch fixed at b)")
    ax.bar(x + 0.2, dyn, 0.4, label="dynamic batch")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean objective per user")
    ax.set_title(title or "Worst-case vs dynamic batch latency, same solutions", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    return save(fig, path)
