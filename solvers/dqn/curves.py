"""Learning curves of a training run: its CSV logs read back, smoothed, plotted (paper
Fig. 9) and written as the ``NAME.curves.csv`` shipped beside a checkpoint."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gqap.io import write_text_atomic


def read_log(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a training or evaluation CSV as float arrays (blank cells are NaN)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return {}
    return {k: np.array([float(r[k]) if r[k] != "" else np.nan for r in rows])
            for k in rows[0]}


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (shorter windows at the start)."""
    if y.size == 0:
        return y
    c = np.cumsum(np.insert(np.nan_to_num(y), 0, 0.0))
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def plot_learning_curve(run_dirs: str | Path | list, out: str | Path | None = None,
                        title: str = "", labels: list[str] | None = None,
                        progress_cb: Callable[[str], None] | None = None) -> Path:
    """Paper Fig. 9: smoothed episode return per run (one panel each) with the validation gap.

    ``run_dirs``: one training folder or a list; ``out`` defaults to the first folder's
    ``learning_curve.png``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dirs = [Path(run_dirs)] if isinstance(run_dirs, str | Path) else [Path(p) for p in run_dirs]
    out = Path(out) if out else dirs[0] / "learning_curve.png"
    cols = min(3, len(dirs))
    rows = -(-len(dirs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 3.9 * rows), squeeze=False)
    for ax in axes.flat[len(dirs):]:
        ax.set_visible(False)
    for k, (ax, d) in enumerate(zip(axes.flat, dirs, strict=False)):
        log = read_log(d / "train_log.csv")
        ev = read_log(d / "eval_log.csv") if (d / "eval_log.csv").exists() else {}
        if log:
            ep, rew = log["episode"], log["reward"]
            w = max(1, min(1000, ep.size // 50))
            ax.plot(ep, rew, color="0.85", lw=0.5, label="episode return")
            ax.plot(ep, smooth(rew, w), color="C0", lw=1.5, label=f"smoothed ({w} episodes)")
        ax.set_xlabel("episode")
        ax.set_ylabel("return (0.1 x objective)")
        name = labels[k] if labels else (title or d.name)
        ax.set_title(name)
        if ev:
            ax2 = ax.twinx()
            ax2.plot(ev["episode"], 100 * ev["sum_gap"], color="C3", marker=".", lw=1,
                     label="validation gap")
            ax2.set_ylabel("greedy validation gap (%), sum(opt-v)/sum|opt|", color="C3")
            ax2.set_ylim(bottom=0)
        ax.legend(loc="lower right", fontsize=7)
        if progress_cb:
            progress_cb(str(d))
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def write_training_curves(run_dirs: list[str | Path], path: str | Path,
                          first_phase: int = 1) -> Path:
    """The training curves of a checkpoint's phases (one run folder per phase, in order,
    numbered from ``first_phase``: a phase whose logs are lost is left out, not renumbered)
    as ``NAME.curves.csv`` beside a shipped checkpoint (columns phase, kind, window,
    episode, value; read by gqap.bench.figures.fig9): the episode return smoothed over
    episodes / 50 episodes at every 10th episode, and the validation sum gap."""
    lines = ["phase,kind,window,episode,value"]
    for phase, d in enumerate(run_dirs, start=first_phase):
        log = read_log(Path(d) / "train_log.csv")
        ev = read_log(Path(d) / "eval_log.csv")
        ep, ret = log["episode"], log["reward"]
        w = max(1, ep.size // 50)
        sm = smooth(ret, w)
        lines += [f"{phase},return_smoothed,{w},{int(e)},{v:.6g}"
                  for e, v in zip(ep[9::10], sm[9::10], strict=True)]
        lines += [f"{phase},validation_sum_gap,,{int(e)},{v:.6g}"
                  for e, v in zip(ev.get("episode", []), ev.get("sum_gap", []), strict=True)]
    return write_text_atomic(Path(path), "\n".join(lines) + "\n")
