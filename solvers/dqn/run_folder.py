"""The folder of one training run (``--out``), the same for every scope: ``config.json``,
``train_log.csv`` (one row per episode, the scope's columns), ``eval_log.csv`` (one row per
validation, ``validation.EVAL_FIELDS``) and the resume snapshot (``resume/state.pt``:
networks, optimiser and the trainer's counters as JSON; ``resume/replay.npz``: the replay
memories), each written through a temporary file so that an interrupted write loses nothing.

A new run refuses a folder that already holds one; a resumed run refuses a folder without
a run or whose config differs, and cuts the logs back to the snapshot it continues from.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from gqap.errors import GQAPError
from gqap.io import dumps, write_text_atomic
from gqap.solvers.dqn.config import TrainConfig, config_from_dict
from gqap.solvers.dqn.validation import EVAL_FIELDS


class RunLogs:
    """The two CSV logs of a run, open for appending."""

    def __init__(self, log_fh: TextIO, eval_fh: TextIO, log_fields: tuple[str, ...]) -> None:
        self._fhs = (log_fh, eval_fh)
        self._log = csv.DictWriter(log_fh, log_fields)
        self._eval = csv.DictWriter(eval_fh, EVAL_FIELDS)

    def episode(self, row: dict[str, Any]) -> None:
        """One episode's row (written to disk every 100 episodes and at ``flush``)."""
        self._log.writerow({k: _fmt(v) for k, v in row.items()})
        if row["episode"] % 100 == 0:
            self._fhs[0].flush()

    def validation(self, values: tuple[Any, ...]) -> None:
        """One validation's row (``EVAL_FIELDS`` in order), written to disk at once."""
        self._eval.writerow({k: _fmt(v) for k, v in zip(EVAL_FIELDS, values, strict=True)})
        self._fhs[1].flush()

    def flush(self) -> None:
        """Write the episode rows so far to disk (before a snapshot)."""
        self._fhs[0].flush()


class RunFolder:
    """The files of one training run in ``out`` (see the module docstring)."""

    def __init__(self, out: str | Path, log_fields: tuple[str, ...]) -> None:
        self.out = Path(out)
        self.log_fields = log_fields

    def start(self, cfg: TrainConfig) -> None:
        """A new run: refused where ``out`` holds one; writes config.json and the log
        headers."""
        self.out.mkdir(parents=True, exist_ok=True)
        if (self.out / "config.json").exists() or (self.out / "train_log.csv").exists():
            raise GQAPError(f"--out: {self.out} already holds a training run; pass --resume "
                            "to continue it or choose another folder")
        write_text_atomic(self.out / "config.json", dumps(cfg.to_dict()))
        for name, fields in (("train_log.csv", self.log_fields), ("eval_log.csv", EVAL_FIELDS)):
            with open(self.out / name, "w", newline="") as fh:
                csv.DictWriter(fh, fields).writeheader()

    def reopen(self, cfg: TrainConfig) -> bool:
        """A resumed run: refused where ``out`` holds no run or one started with another
        config; returns whether a snapshot is there to continue from."""
        self.out.mkdir(parents=True, exist_ok=True)
        cfg_path = self.out / "config.json"
        if not cfg_path.exists():
            raise GQAPError(f"--resume: {self.out} holds no training run (config.json "
                            "missing)")
        saved = config_from_dict(json.loads(cfg_path.read_text()), str(cfg_path))
        if saved != cfg:
            raise GQAPError(f"--resume: the config differs from the one the run in "
                            f"{self.out} started with ({cfg_path})")
        return (self.out / "resume" / "state.pt").exists()

    def truncate_logs(self, episode: int) -> None:
        """Drop the log rows written after ``episode`` (the snapshot the run resumes from)."""
        for name in ("train_log.csv", "eval_log.csv"):
            path = self.out / name
            if not path.exists():
                continue
            lines = path.read_text().splitlines(keepends=True)
            keep = lines[:1] + [ln for ln in lines[1:] if int(ln.split(",", 1)[0]) <= episode]
            write_text_atomic(path, "".join(keep))

    @contextmanager
    def logs(self) -> Iterator[RunLogs]:
        """Both logs open for appending while the block runs."""
        with open(self.out / "train_log.csv", "a", newline="") as log_fh, \
                open(self.out / "eval_log.csv", "a", newline="") as eval_fh:
            yield RunLogs(log_fh, eval_fh, self.log_fields)

    def save_snapshot(self, tensors: dict[str, Any], meta: dict[str, Any],
                      replay: dict[str, Any]) -> None:
        """Write the snapshot: state dicts (``tensors``), the counters (``meta``, JSON) and
        the replay memories' arrays; the state file is replaced last."""
        d = self.out / "resume"
        d.mkdir(exist_ok=True)
        torch.save({**tensors, "meta": json.dumps(meta)}, d / "state.pt.tmp")
        with open(d / "replay.npz.tmp", "wb") as fh:
            np.savez(fh, **replay)
        (d / "replay.npz.tmp").replace(d / "replay.npz")
        (d / "state.pt.tmp").replace(d / "state.pt")

    def load_snapshot(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """(state dicts, counters, replay arrays) of the snapshot ``save_snapshot`` wrote."""
        d = self.out / "resume"
        state = torch.load(d / "state.pt", map_location="cpu", weights_only=True)
        meta = json.loads(state.pop("meta"))
        with np.load(d / "replay.npz") as z:
            replay = {k: z[k] for k in z.files}
        return state, meta, replay


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return str(v)
