"""Fig. 8 of the paper: optimal offloaded steps N - n* against the accuracy weight alpha.

(a) G = 8 edge GPUs, several edge batch sizes b and local GPUs (profile rows);
(b) one local GPU, several G and batch sizes. Every point is ``gqap.offloading.split.optimal_split``
of a one-curve ``OffloadingInstance`` whose users differ only in alpha.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.figures.common import plt, save
from gqap.io import write_text_atomic
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.split import optimal_split
from gqap.profiles import PAPER_PROFILE

ALPHAS = np.logspace(-1, 4, 201)  # 0.1 .. 10^4, 40 points a decade
# (a): the fastest, a middle and the slowest user GPU of the profile at G = 8.
PANEL_A = {"G": (8,), "gpu_rows": (3, 6, 10), "batch": (1, 10, 20)}
# (b): in the paper convention L_e depends on b / G only, so the batch sizes are chosen to
# give nine different ratios (b = 10 at G = 4 would repeat b = 20 at G = 8).
PANEL_B = {"G": (4, 8, 16), "gpu_rows": (6,), "batch": (1, 8, 24)}
COLUMNS = ("panel", "G", "batch_size", "gpu_row", "local_step_latency_s",
           "edge_step_latency_s", "alpha", "split_point", "offloaded_steps", "split_mode",
           "convention")


def _curve_instance(gpu_row: int, G: int, alphas: np.ndarray,
                    convention: str) -> OffloadingInstance:
    """Users that differ only in alpha, all on the local GPU of profile row ``gpu_row``."""
    p = PAPER_PROFILE
    j = p.user_rows.index(gpu_row)
    k = alphas.size
    return OffloadingInstance(
        k_user=np.full(k, p.user_k_s[j]), h_user=np.full(k, p.user_h_s[j]), alpha=alphas,
        request_time=np.zeros(k), k_edge=p.edge_k_s, h_edge=p.edge_h_s, G=G,
        B_max=max(PANEL_A["batch"] + PANEL_B["batch"]), convention=convention,
        name=f"fig8-row{gpu_row}-G{G}")


def fig8_rows(split: str = "integer", convention: str = "paper",
              alphas: np.ndarray = ALPHAS) -> list[dict[str, Any]]:
    """The figure's data: one row per (panel, G, batch size, local GPU, alpha)."""
    rows = []
    for panel, spec in (("a", PANEL_A), ("b", PANEL_B)):
        spec: dict[str, tuple[int, ...]]
        for G in spec["G"]:
            for gpu_row in spec["gpu_rows"]:
                inst = _curve_instance(gpu_row, G, alphas, convention)
                n = optimal_split(inst, np.array(spec["batch"]), integer=split == "integer")
                for bi, b in enumerate(spec["batch"]):
                    for alpha, nb in zip(alphas, n[bi], strict=True):
                        rows.append({
                            "panel": panel, "G": G, "batch_size": b, "gpu_row": gpu_row,
                            "local_step_latency_s": float(inst.local_step_latency[0]),
                            "edge_step_latency_s": inst.edge_step_latency(b),
                            "alpha": float(alpha), "split_point": float(nb),
                            "offloaded_steps": float(inst.N - nb), "split_mode": split,
                            "convention": convention})
    return rows


def rows_to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with ``COLUMNS``; floats with 12 significant digits."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([format(r[c], ".12g") if isinstance(r[c], float) else r[c] for c in COLUMNS])
    return buf.getvalue()


def plot_fig8(rows: list[dict[str, Any]], path: Path) -> Path:
    """Two panels like the paper's: (a) batch size x local GPU at G = 8, (b) G x batch size."""
    styles = ("-", "--", ":")
    colors = plt().get_cmap("tab10")
    fig, axes = plt().subplots(1, 2, figsize=(12, 5.6), sharey=True)
    curves: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        curves.setdefault((r["panel"], r["G"], r["batch_size"], r["gpu_row"]), []).append(r)
    for (panel, G, b, gpu_row), pts in curves.items():
        ax = axes[0 if panel == "a" else 1]
        if panel == "a":
            color, style = PANEL_A["batch"].index(b), styles[PANEL_A["gpu_rows"].index(gpu_row)]
            ms = 1000 * pts[0]["local_step_latency_s"]
            label = f"b = {b}, local row {gpu_row} ({ms:.0f} ms/step)"
        else:
            color, style = PANEL_B["G"].index(G), styles[PANEL_B["batch"].index(b)]
            label = f"G = {G}, b = {b}"
        ax.plot([p["alpha"] for p in pts], [p["offloaded_steps"] for p in pts],
                style, color=colors(color), lw=1.6, label=label)
    split, conv = rows[0]["split_mode"], rows[0]["convention"]
    axes[0].set_title(f"(a) G = {PANEL_A['G'][0]}: batch size and local GPU")
    row_b = PANEL_B["gpu_rows"][0]
    axes[1].set_title(f"(b) local GPU row {row_b}: edge GPUs G and batch size")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel(r"accuracy weight $\alpha_i$")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
                  frameon=False)
    axes[0].set_ylabel(r"optimal offloaded steps $N - n^*$")
    fig.suptitle(f"Fig. 8: optimal offloaded denoising steps vs alpha "
                 f"(N = 200, N_hat = 80, {split} split points, {conv} convention)", fontsize=10)
    return save(fig, path)


def write(out_dir: str | Path, split: str = "integer",
          convention: str = "paper") -> list[Path]:
    """Write fig8.csv (the data) and fig8.png into ``out_dir``; returns both paths."""
    out = Path(out_dir)
    rows = fig8_rows(split, convention)
    csv_path = out / "fig8.csv"
    write_text_atomic(csv_path, rows_to_csv(rows))
    return [csv_path, plot_fig8(rows, out / "fig8.png")]
