"""A decision of the multi-cluster family: each user's site (or -1, denied) and split point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import ValidationError
from gqap.fields import site_indices
from gqap.offloading.solution import OffloadingSolution, integer_steps, split_points_list

DENIED = -1


@dataclass(frozen=True, eq=False)
class MultiSolution:
    """site[i] = 0-based site of user i, or -1 (denied, all N steps local); split_points[i]
    is its split point n_i (steps N..n_i+1 run on the site). Denied users carry n_i = N.

    Site indices are only checked to be whole numbers here: a site outside 0..S-1 is
    reported by the evaluator as a violation, like a count above a site's batch limit.
    """

    site: np.ndarray
    split_points: np.ndarray

    def __post_init__(self) -> None:
        x = site_indices("site", self.site, " (-1 = denied)")
        try:
            n = np.array(self.split_points, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"split_points: not a numeric array ({exc})") from exc
        if n.shape != x.shape:
            raise ValidationError(
                f"split_points: expected shape {x.shape} like site, got {n.shape}")
        if not np.all(np.isfinite(n)):
            raise ValidationError("split_points: contains NaN or inf")
        x.flags.writeable = False
        n.flags.writeable = False
        object.__setattr__(self, "site", x)
        object.__setattr__(self, "split_points", n)

    @property
    def split(self) -> np.ndarray:
        """The split points (same name as ``OffloadingSolution.split``)."""
        return self.split_points

    @property
    def granted(self) -> np.ndarray:
        """Boolean mask of users placed on some site (site >= 0)."""
        return self.site >= 0

    def counts(self, n_sites: int) -> np.ndarray:
        """b_s: users placed on each of the sites 0..n_sites-1 (out-of-range ones ignored)."""
        x = self.site[(self.site >= 0) & (self.site < n_sites)]
        return np.bincount(x, minlength=n_sites)

    @property
    def integer_splits(self) -> bool:
        """True when every split point is a whole number of steps."""
        return integer_steps(self.split_points)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"site": [...], "split_points": [...]}; whole numbers as ints."""
        return {"site": [int(v) for v in self.site],
                "split_points": split_points_list(self.split_points)}

    def to_offloading(self) -> OffloadingSolution:
        """The paper's grant/split form; only for one-site decisions (sites -1 and 0)."""
        if np.any((self.site != DENIED) & (self.site != 0)):
            raise ValidationError("site: only a one-site decision (-1 or 0) is a paper decision")
        return OffloadingSolution(self.site == 0, self.split_points)


def solution_from_offloading(sol: OffloadingSolution) -> MultiSolution:
    """A paper decision as a one-site decision: granted users on site 0, denied at -1."""
    return MultiSolution(np.where(sol.grant, 0, DENIED), sol.split)
