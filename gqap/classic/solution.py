"""A solution of the classic GQAP: the site of every facility."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.fields import site_indices


@dataclass(frozen=True, eq=False)
class GQAPSolution:
    """assignment[i] = site of facility i."""

    assignment: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignment", site_indices("assignment", self.assignment))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"assignment": [...]}."""
        return {"assignment": self.assignment.tolist()}
