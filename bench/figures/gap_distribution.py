"""Box plots of the gap to the reference per solver: per user for the offloading families,
relative (%) for GQAP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.bench.figures.common import plt, save
from gqap.bench.tables import label_order, ok

PANELS = (("offloading", "gap_per_user", "gap to reference per user", 1.0),
          ("multi", "gap_per_user", "gap to reference per user", 1.0),
          ("gqap", "gap_rel", "relative gap to reference (%)", 100.0))


def has_data(rows: list[dict[str, Any]]) -> bool:
    """True when some scored run has a gap to draw."""
    return any(ok(r) and r.get(key) is not None for fam, key, _, _ in PANELS
               for r in rows if r["family"] == fam)


def draw(rows: list[dict[str, Any]], order: list[str], path: Path, title: str = "") -> Path:
    """One panel per family with gaps: a box per solver label."""
    panels = []
    for family, key, ylabel, scale in PANELS:
        fam = [r for r in rows if r["family"] == family and ok(r) and r.get(key) is not None]
        if fam:
            labels = label_order(fam, order)
            data = [[scale * r[key] for r in fam if r["label"] == lab] for lab in labels]
            panels.append((family, labels, data, ylabel))
    fig, axes = plt().subplots(1, len(panels), figsize=(6.4 * len(panels), 4.2),
                               squeeze=False)
    for ax, (family, labels, data, ylabel) in zip(axes[0], panels, strict=True):
        ax.boxplot(data, showfliers=True, flierprops={"markersize": 2})
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{family}: gap distribution (0 = reference)", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=10)
    return save(fig, path)
