"""The paper's Fig. 11(a)/(c) and (b): mean objective per user with 95% CI bars against the
number of users (at the most common G) or against G (at the most common user count)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gqap.bench.figures.common import colors, markers, plt, save
from gqap.bench.tables import label_order, most_common, ok, stats


def draw(rows: list[dict[str, Any]], order: list[str], by: str, path: Path,
         title: str = "") -> Path:
    """Mean objective per user against users (``by='users'``) or G (``by='G'``)."""
    rows = [r for r in rows if r["family"] == "offloading"]
    if by == "users":
        fixed = most_common(r["gpus_or_sites"] for r in rows)
        rows = [r for r in rows if r["gpus_or_sites"] == fixed]
        x_of: Callable[[dict[str, Any]], int] = lambda r: r["n_users_or_facilities"]  # noqa: E731
        xlabel, note = "number of users", f"G = {fixed}"
    else:
        fixed = most_common(r["n_users_or_facilities"] for r in rows)
        rows = [r for r in rows if r["n_users_or_facilities"] == fixed]
        x_of, xlabel, note = (lambda r: r["gpus_or_sites"]), "GPUs at the edge G", f"{fixed} users"
    labels = label_order(rows, order)
    palette, shape = colors(labels), markers(labels)
    fig, ax = plt().subplots(figsize=(8.0, 4.2))
    xs_all = sorted({x_of(r) for r in rows})
    for lab in labels:
        xs, ys, es = [], [], []
        for x in xs_all:
            s = stats(r["objective_per_user"] for r in rows
                      if r["label"] == lab and x_of(r) == x and ok(r))
            if s.n:
                xs.append(x)
                ys.append(s.mean)
                es.append(s.half if math.isfinite(s.half) else 0.0)
        if xs:
            ax.errorbar(xs, ys, yerr=es, marker=shape[lab], ms=5, capsize=3, label=lab,
                        color=palette[lab])
    if xs_all and max(xs_all) / max(min(xs_all), 1) > 20:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean objective per user")
    ax.set_title(title or f"Mean objective per user vs {xlabel} ({note})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return save(fig, path)
