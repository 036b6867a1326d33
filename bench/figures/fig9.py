"""Fig. 9 of the paper from the shipped checkpoints, and the table of those checkpoints.

Every shipped checkpoint ``NAME.pt`` of ``gqap.solvers.dqn`` has its sidecar ``NAME.json``
(scope, network, episodes, steps, training wall time, validation gap, the training command)
and its training curves ``NAME.curves.csv`` (columns phase, kind, window, episode, value:
the episode return smoothed over ``window`` episodes, every 10th episode, and the greedy
validation sum gap sum(opt - v) / sum|opt| at each validation, for every training phase).
Nothing is retrained: ``write`` draws one panel per checkpoint and phase (fig9.png), writes
the curves it drew (fig9.csv) and the checkpoint table (checkpoints.md).

The curve files of the four checkpoints shipped on 2026-11-22 hold the record their
training runs left in results/dqn/fig9.csv (commit 2a6040e), written by the then study
command from each run's train_log.csv and eval_log.csv; the runs' raw logs were not kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from gqap.bench.figures.common import plt, save
from gqap.errors import GQAPError
from gqap.io import write_text_atomic
from gqap.package_data import package_dir

CURVE_COLUMNS = ("checkpoint", "phase", "kind", "window", "episode", "value")


def checkpoint_dir() -> Path:
    """The folder of the shipped checkpoints (package data of gqap.solvers.dqn)."""
    return package_dir("gqap.solvers.dqn") / "checkpoints"


def sidecars(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Checkpoint name -> its sidecar (the JSON beside each .pt), in name order."""
    folder = folder or checkpoint_dir()
    out = {}
    for pt in sorted(folder.glob("*.pt")):
        side = pt.with_suffix(".json")
        if side.is_file():
            out[pt.stem] = {**json.loads(side.read_text()), "_size": pt.stat().st_size}
    return out


def read_curves(folder: Path | None = None) -> list[dict[str, Any]]:
    """Every row of every ``NAME.curves.csv`` beside a shipped checkpoint."""
    folder = folder or checkpoint_dir()
    rows = []
    for name in sidecars(folder):
        path = folder / f"{name}.curves.csv"
        if not path.is_file():
            continue
        with path.open(newline="") as fh:
            for r in csv.DictReader(fh):
                try:
                    rows.append({"checkpoint": name, "phase": int(r["phase"]),
                                 "kind": r["kind"], "window": r["window"],
                                 "episode": int(r["episode"]), "value": float(r["value"])})
                except (KeyError, ValueError) as exc:
                    raise GQAPError(f"{path}: bad curve row {r!r} ({exc})") from None
    return rows


def plot_fig9(rows: list[dict[str, Any]], path: Path) -> Path:
    """One panel per checkpoint and phase: smoothed return, validation gap on a twin axis."""
    panels: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        panels[(r["checkpoint"], r["phase"])].append(r)
    phases = defaultdict(int)
    for name, phase in panels:
        phases[name] = max(phases[name], phase)
    keys = sorted(panels)
    cols = min(3, len(keys))
    n_rows = -(-len(keys) // cols)
    fig, axes = plt().subplots(n_rows, cols, figsize=(5.6 * cols, 3.9 * n_rows), squeeze=False)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    for ax, key in zip(axes.flat, keys, strict=False):
        pts = panels[key]
        ret = [p for p in pts if p["kind"] == "return_smoothed"]
        gap = [p for p in pts if p["kind"] == "validation_sum_gap"]
        if ret:
            ax.plot([p["episode"] for p in ret], [p["value"] for p in ret], color="C0", lw=1.3,
                    label=f"return, smoothed over {ret[0]['window']} episodes")
        ax.set_xlabel("episode")
        ax.set_ylabel("return (0.1 x objective)")
        name, phase = key
        shipped = " (shipped)" if phase == phases[name] else ""
        ax.set_title(f"{name}, phase {phase}{shipped}" if phases[name] > 1 else name,
                     fontsize=10)
        if gap:
            ax2 = ax.twinx()
            ax2.plot([p["episode"] for p in gap], [100 * p["value"] for p in gap], color="C3",
                     marker=".", lw=1, label="validation gap")
            ax2.set_ylabel("validation sum gap (%)", color="C3")
            # A gap to a reference policy (the online scope's priced) may be negative.
            ax2.set_ylim(bottom=min(0.0, 110 * min(p["value"] for p in gap)))
        ax.legend(loc="lower right", fontsize=7)
    fig.suptitle("Fig. 9: training curves of the shipped DQN checkpoints", fontsize=10)
    return save(fig, path, dpi=120)


def curves_csv(rows: list[dict[str, Any]]) -> str:
    """The curves drawn, as CSV (``CURVE_COLUMNS``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CURVE_COLUMNS)
    for r in rows:
        w.writerow([format(r[c], ".6g") if isinstance(r[c], float) else r[c]
                    for c in CURVE_COLUMNS])
    return buf.getvalue()


def checkpoint_table(meta: dict[str, dict[str, Any]]) -> str:
    """Markdown table of the checkpoints: scope, episodes, steps, training time, validation
    gap, size and the command that trained each."""
    lines = ["Shipped DQN checkpoints, read from their sidecars (training on CPU, one torch "
             "thread, `nice -n 10`, while other jobs shared the two cores: wall times are "
             "upper bounds for an idle machine).", "",
             "| checkpoint | network | scope | episodes (best / run) | env steps | "
             "training wall time (all phases) | validation sum gap | size | command |",
             "|" + "---|" * 9]
    for name, m in meta.items():
        scope = m.get("scope", {})
        where = {"general": f"general, users {scope.get('users')}, G {scope.get('G')}",
                 "gpu": f"gpu, G = {scope.get('gpu_G')}, users {scope.get('users')}",
                 "specific": f"specific, {scope.get('instance_name', scope.get('instance'))}",
                 "multi": f"multi, users {scope.get('users')}, S {scope.get('sites')}",
                 "online": f"online, rate {scope.get('rate')}, {scope.get('periods')} periods",
                 }.get(scope.get("kind"), str(scope.get("kind")))
        init = m.get("init") or {}
        first = f"phase 1: {init['episodes']} (best), then " if init.get("episodes") else ""
        validation = m.get("validation") or {}
        gap = validation.get("sum_gap")
        # The online scope validates against a policy (priced), not the optimum.
        ref = validation.get("reference")
        against = f" to {', '.join(ref) if isinstance(ref, list) else ref}" if ref else ""
        wall = m.get("train_wall_time_total_s") or m.get("train_wall_time_s") or 0.0
        lines.append(
            f"| {name} | {m['network']['kind']} | {where} | {first}{m['episodes']} / "
            f"{m['config']['run']['episodes']} | {(init.get('steps') or 0) + m['steps']} | "
            f"{wall / 60:.1f} min | {'-' if gap is None else f'{100 * gap:.2f}%{against}'} | "
            f"{m['_size'] / 1e6:.2f} MB | `{m.get('command', '-')}` |")
    return "\n".join(lines) + "\n"


def write(out_dir: str | Path, folder: str | Path | None = None) -> list[Path]:
    """Write fig9.png, fig9.csv and checkpoints.md into ``out_dir`` from the checkpoints in
    ``folder`` (default: the shipped ones)."""
    out = Path(out_dir)
    src = Path(folder) if folder else checkpoint_dir()
    meta = sidecars(src)
    if not meta:
        raise GQAPError(f"fig9: no checkpoints (NAME.pt with NAME.json) in {src}")
    rows = read_curves(src)
    if not rows:
        raise GQAPError(f"fig9: no training curves (NAME.curves.csv) beside the checkpoints "
                        f"in {src}")
    return [plot_fig9(rows, out / "fig9.png"),
            write_text_atomic(out / "fig9.csv", curves_csv(rows)),
            write_text_atomic(out / "checkpoints.md", checkpoint_table(meta))]
