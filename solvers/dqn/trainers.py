"""The trainer of a training config: ``Trainer`` (trainer.py) for the paper's scopes,
``MultiTrainer`` (multi_trainer.py, a ``Trainer`` subclass) for the multi-cluster one,
``OnlineTrainer`` (online_trainer.py, another) for the online family."""

from __future__ import annotations

from pathlib import Path

from gqap.solvers.dqn.config import TrainConfig
from gqap.solvers.dqn.multi_trainer import MultiTrainer
from gqap.solvers.dqn.online_trainer import OnlineTrainer
from gqap.solvers.dqn.trainer import Trainer


def make_trainer(cfg: TrainConfig, out_dir: str | Path, *, base_dir: str | Path | None = None,
                 command: str = "") -> Trainer:
    """The trainer for the config's scope: ``Trainer``, or ``MultiTrainer`` for the
    multi-cluster scope (multi_trainer.py), ``OnlineTrainer`` for the online one."""
    if cfg.scope.kind == "multi":
        return MultiTrainer(cfg, out_dir, base_dir=base_dir, command=command)
    if cfg.scope.kind == "online":
        return OnlineTrainer(cfg, out_dir, base_dir=base_dir, command=command)
    return Trainer(cfg, out_dir, base_dir=base_dir, command=command)
