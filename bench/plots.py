"""Figures of a sweep (matplotlib, Agg backend): the paper's Fig. 10 and 11 as the data
allows, runtime scaling with fitted exponents, gap distributions, dynamic-batch effect.

Each function takes plain rows (and the tables' fits), writes one PNG and returns its
path; callers decide which figures the data supports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.tables import Fit, label_order, most_common, ok, stats


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _colors(labels: list[str]) -> dict[str, Any]:
    plt = _plt()
    cmap = plt.get_cmap("tab10")
    return {lab: cmap(i % 10) for i, lab in enumerate(labels)}


def _save(fig: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    _plt().close(fig)
    return path


def objective_curve(rows: list[dict[str, Any]], order: list[str], by: str, path: Path,
                    title: str = "") -> Path:
    """Mean objective per user with 95% CI bars against users (at the most common G) or G
    (at the most common user count): the paper's Fig. 11(a)/(c) or (b)."""
    plt = _plt()
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
    colors = _colors(labels)
    fig, ax = plt.subplots(figsize=(8.0, 4.2))
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
            ax.errorbar(xs, ys, yerr=es, marker="o", ms=4, capsize=3, label=lab,
                        color=colors[lab])
    if xs_all and max(xs_all) / max(min(xs_all), 1) > 20:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("mean objective per user")
    ax.set_title(title or f"Mean objective per user vs {xlabel} ({note})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _save(fig, path)


def runtime_scaling(rows: list[dict[str, Any]], fits: list[Fit], order: list[str],
                    path: Path, title: str = "") -> Path:
    """Log-log mean solve time against size per solver, with the fitted exponent."""
    plt = _plt()
    labels = label_order(rows, order)
    colors = _colors(labels)
    fig, ax = plt.subplots(figsize=(8.4, 4.2))
    for f in fits:
        c = colors[f.label]
        ax.loglog(f.sizes, f.mean_times, "o", ms=4, color=c)
        xs = np.array([f.sizes[0], f.sizes[-1]], dtype=float)
        ax.loglog(xs, 10 ** (f.intercept + f.exponent * np.log10(xs)), "-", color=c,
                  label=f"{f.label}: k = {f.exponent:.2f} [{f.lo:.2f}, {f.hi:.2f}]")
    ax.set_xlabel("size (users or facilities)")
    ax.set_ylabel("mean solve wall time (s)")
    ax.set_title(title or "Runtime scaling: time ~ size^k (fit over finished runs)",
                 fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return _save(fig, path)


def gap_distribution(rows: list[dict[str, Any]], order: list[str], path: Path,
                     title: str = "") -> Path:
    """Box plots of the gap per solver: per user for offloading, relative (%) for GQAP."""
    plt = _plt()
    panels = []
    for family, key, ylabel, scale in (
            ("offloading", "gap_per_user", "gap to reference per user", 1.0),
            ("gqap", "gap_rel", "relative gap to reference (%)", 100.0)):
        fam = [r for r in rows if r["family"] == family and ok(r) and r.get(key) is not None]
        if fam:
            labels = label_order(fam, order)
            data = [[scale * r[key] for r in fam if r["label"] == lab] for lab in labels]
            panels.append((family, labels, data, ylabel))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.4 * len(panels), 4.2), squeeze=False)
    for ax, (family, labels, data, ylabel) in zip(axes[0], panels, strict=True):
        ax.boxplot(data, showfliers=True, flierprops={"markersize": 2})
        ax.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(f"{family}: gap distribution (0 = reference)", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def breakdown(rows: list[dict[str, Any]], order: list[str], path: Path,
              title: str = "") -> Path:
    """The paper's Fig. 10: per instance, grouped bars per solver of (a) objective,
    (b) mean PAI, (c) mean end-to-end latency."""
    plt = _plt()
    rows = [r for r in rows if r["family"] == "offloading" and ok(r)]
    names = sorted({r["instance"] for r in rows})
    labels = label_order(rows, order)
    colors = _colors(labels)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    width = 0.8 / max(len(labels), 1)
    for ax, key, ylabel in zip(axes, ("objective", "mean_pai", "mean_latency_s"),
                               ("(a) objective", "(b) mean PAI", "(c) mean E2E latency (s)"),
                               strict=True):
        for j, lab in enumerate(labels):
            vals = [stats(r[key] for r in rows if r["instance"] == n and r["label"] == lab).mean
                    for n in names]
            ax.bar(np.arange(len(names)) + (j - (len(labels) - 1) / 2) * width, vals, width,
                   label=lab, color=colors[lab])
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=7)
        ax.set_title(ylabel, fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=7)
    fig.suptitle(title or "Solvers on the same cases: objective, mean PAI, mean latency",
                 fontsize=10)
    return _save(fig, path)


def dynamic_batch(rows: list[dict[str, Any]], order: list[str], path: Path,
                  title: str = "") -> Path:
    """Mean objective per user under the paper's worst-case batch model and the
    dynamic-batch model, per solver (same stored solutions)."""
    plt = _plt()
    rows = [r for r in rows if r.get("objective_dynamic") is not None]
    labels = label_order(rows, order)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
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
    return _save(fig, path)
