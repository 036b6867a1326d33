"""What the DQN tests of every scope check alike (test_dqn_train, test_dqn_checkpoints,
test_dqn_multi, test_online_dqn): a finished run's files, a network's weights, that a run
interrupted after a snapshot and resumed by a fresh trainer ends exactly where an
uninterrupted one does, and that a tampered checkpoint is refused."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import gqap.solvers as solvers
from gqap.errors import GQAPError
from gqap.solvers.dqn.checkpoints import CHECKPOINT_DIR
from gqap.solvers.dqn.curves import read_log

RUN_FILES = ("config.json", "train_log.csv", "eval_log.csv", "learning_curve.png",
             "final.pt", "final.json", "best.pt", "best.json")


def weights(trainer: Any) -> list[torch.Tensor]:
    """A copy of the trainer's online network's weights."""
    return [p.detach().clone() for p in trainer.online.state_dict().values()]


def finished_run_rows(out: Path) -> list[dict[str, str]]:
    """The train_log.csv rows of the finished run in ``out``, once every file a finished
    run writes is checked to be there and not empty."""
    for name in RUN_FILES:
        assert (out / name).stat().st_size > 0, name
    with open(out / "train_log.csv") as fh:
        return list(csv.DictReader(fh))


def assert_resumes_exactly(make: Callable[[Path], Any], tmp_path: Path,
                           stop_after: int) -> tuple[Any, Any]:
    """Train ``make(tmp_path / "a")`` to the end, and ``make(tmp_path / "b")`` for
    ``stop_after`` episodes, then resume it in a fresh trainer; asserts the same final
    weights (bit for bit), the same train log and the same eval log but for wall time.
    Returns (the uninterrupted trainer, the resumed one)."""
    a = make(tmp_path / "a")
    a.train(progress=False)
    b = make(tmp_path / "b")
    b.train(progress=False, stop_after=stop_after)  # interrupted after a snapshot ...
    b2 = make(tmp_path / "b")
    b2.train(resume=True, progress=False)  # ... and resumed in a fresh trainer
    for x, y in zip(weights(a), weights(b2), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0)
    assert (tmp_path / "a" / "train_log.csv").read_text() == \
        (tmp_path / "b" / "train_log.csv").read_text()
    ev_a, ev_b = (read_log(tmp_path / d / "eval_log.csv") for d in ("a", "b"))
    assert ev_a.keys() == ev_b.keys()
    for key in ev_a.keys() - {"wall_s"}:
        np.testing.assert_array_equal(ev_a[key], ev_b[key])
    return a, b2


def tamper(path: Path) -> None:
    """Flip one byte of ``path`` near its end (the weights of a .pt)."""
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 0xFF
    path.write_bytes(bytes(raw))


def assert_tampered_copy_refused(checkpoint: str, solver: str, instance: Any,
                                 tmp_path: Path) -> None:
    """A copy of shipped ``checkpoint`` solves ``instance`` with ``solver``; once its
    weights are tampered with, the solver refuses it (its SHA-256 differs from the
    sidecar's)."""
    for ext in ("pt", "json"):
        shutil.copy(CHECKPOINT_DIR / f"{checkpoint}.{ext}", tmp_path / f"copy.{ext}")
    pt = tmp_path / "copy.pt"
    assert solvers.solve(solver, instance, checkpoint=str(pt)).status == "feasible"
    tamper(pt)
    with pytest.raises(GQAPError, match="SHA-256"):
        solvers.solve(solver, instance, checkpoint=str(pt))
