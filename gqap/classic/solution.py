"""A solution of the classic GQAP: the site of every facility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import ValidationError


@dataclass(frozen=True, eq=False)
class GQAPSolution:
    """assignment[i] = site of facility i."""

    assignment: np.ndarray

    def __post_init__(self) -> None:
        x = np.asarray(self.assignment)
        if x.ndim != 1:
            raise ValidationError(f"assignment: expected a 1-D array, got shape {x.shape}")
        if x.size and not np.issubdtype(x.dtype, np.integer):
            if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
                raise ValidationError("assignment: site indices must be integers")
        x = x.astype(np.int64)
        x.flags.writeable = False
        object.__setattr__(self, "assignment", x)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"assignment": [...]}."""
        return {"assignment": self.assignment.tolist()}
