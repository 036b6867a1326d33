"""Box plots of the gap to the reference per solver, one panel per family: per user where
the objective is a sum over users (``FamilySpec.per_user``), relative (%) otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.bench.figures.common import colors, plt, reference_caption, save
from gqap.bench.tables import label_order, ok
from gqap.family import families


def family_panels() -> list[tuple[str, str, str, float]]:
    """(family, gap column, axis label, scale) per registered family."""
    return [(f.name, "gap_per_user", "gap to reference per user", 1.0) if f.per_user else
            (f.name, "gap_rel", "relative gap to reference (%)", 100.0) for f in families()]


def has_data(rows: list[dict[str, Any]]) -> bool:
    """True when some scored run has a gap to draw."""
    return any(ok(r) and r.get(key) is not None for fam, key, _, _ in family_panels()
               for r in rows if r["family"] == fam)


def draw(rows: list[dict[str, Any]], order: list[str], path: Path, title: str = "") -> Path:
    """One panel per family with gaps: a box per solver label."""
    panels = []
    for family, key, ylabel, scale in family_panels():
        fam = [r for r in rows if r["family"] == family and ok(r) and r.get(key) is not None]
        if fam:
            labels = label_order(fam, order)
            data = [[scale * r[key] for r in fam if r["label"] == lab] for lab in labels]
            panels.append((family, labels, data, ylabel, reference_caption(fam)))
    fig, axes = plt().subplots(1, len(panels), figsize=(6.4 * len(panels), 4.2),
                               squeeze=False)
    for ax, (family, labels, data, ylabel, kinds) in zip(axes[0], panels, strict=True):
        box = ax.boxplot(data, showfliers=True, flierprops={"markersize": 2},
                         patch_artist=True)
        for patch, colour in zip(box["boxes"], colors(labels).values(), strict=True):
            patch.set(facecolor=colour, alpha=0.35, edgecolor=colour)
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{family}: gap distribution (0 = the reference; {kinds})", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=10)
    return save(fig, path)
