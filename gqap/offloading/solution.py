"""A decision of the paper's offloading family: who is granted, and each user's split point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import ValidationError


@dataclass(frozen=True, eq=False)
class OffloadingSolution:
    """grant[i] says whether user i offloads; split[i] is its split point n_i (steps N..n_i+1
    run at the edge). Denied users carry n_i = N."""

    grant: np.ndarray
    split: np.ndarray

    def __post_init__(self) -> None:
        g = np.asarray(self.grant)
        s = np.asarray(self.split, dtype=np.float64)
        if g.ndim != 1 or s.shape != g.shape:
            raise ValidationError(
                f"split_points: expected shape {g.shape} like grant, got {s.shape}"
            )
        if g.dtype != np.bool_:
            if not np.all(np.isin(g, (0, 1))):
                raise ValidationError("grant: values must be booleans or 0/1")
            g = g.astype(bool)
        if not np.all(np.isfinite(s)):
            raise ValidationError("split_points: contains NaN or inf")
        g = g.copy()
        g.flags.writeable = False
        s = s.copy()
        s.flags.writeable = False
        object.__setattr__(self, "grant", g)
        object.__setattr__(self, "split", s)

    @property
    def b(self) -> int:
        """Number of granted users (the edge batch size)."""
        return int(self.grant.sum())

    @property
    def integer_splits(self) -> bool:
        """True when every split point is a whole number of steps."""
        return integer_steps(self.split)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"grant": [...], "split_points": [...]}; whole numbers as ints."""
        return {"grant": [bool(v) for v in self.grant],
                "split_points": split_points_list(self.split)}


def integer_steps(split: np.ndarray) -> bool:
    """True when every split point is a whole number of steps."""
    return bool(np.all(split == np.round(split)))


def split_points_list(split: np.ndarray) -> list[int] | list[float]:
    """Split points as a solution file writes them: ints when all are whole, else floats."""
    return [int(v) for v in split] if integer_steps(split) else [float(v) for v in split]
