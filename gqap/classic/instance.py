"""The classic GQAP instance (MODEL.md section 1): n facilities with weights q, m sites with
capacities Q, installation costs a, traffic t and distances d.

Arrays are stored as read-only float64 copies, so an instance can be shared by solvers
and worker processes without anyone changing it underneath the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.errors import ValidationError
from gqap.fields import digest, real_array, real_scalar


class FacilitiesAndSites:
    """n facilities with weights ``q`` on m sites with capacities ``Q``: the sizes of a
    GQAP, shared by the instance and the model data solvers fold from it (a mixin of
    dataclasses that declare ``q`` and ``Q``)."""

    q: np.ndarray
    Q: np.ndarray

    @property
    def n(self) -> int:
        """Number of facilities."""
        return int(self.q.size)

    @property
    def m(self) -> int:
        """Number of sites."""
        return int(self.Q.size)


@dataclass(frozen=True, eq=False)
class GQAPInstance(FacilitiesAndSites):
    """General GQAP: n facilities with weights q, m sites with capacities Q.

    Cost of an assignment x: sum_i a[i, x_i] + v * sum_{i,j} t[i, j] * d[x_i, x_j] over all
    ordered pairs (MODEL.md section 1); minimised subject to the site capacities.
    """

    q: np.ndarray
    Q: np.ndarray
    a: np.ndarray
    t: np.ndarray
    d: np.ndarray
    v: float = 1.0
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: str = field(default="classic", init=False, repr=False)

    def __post_init__(self) -> None:
        q = np.asarray(self.q)
        if q.ndim != 1 or q.size == 0:
            raise ValidationError(
                f"q: expected a non-empty 1-D array of weights, got shape {q.shape}")
        Q = np.asarray(self.Q)
        if Q.ndim != 1 or Q.size == 0:
            raise ValidationError(
                f"Q: expected a non-empty 1-D array of capacities, got shape {Q.shape}")
        n, m = q.size, Q.size
        object.__setattr__(self, "q", real_array("q", self.q, (n,), nonneg=True))
        object.__setattr__(self, "Q", real_array("Q", self.Q, (m,), nonneg=True))
        object.__setattr__(self, "a", real_array("a", self.a, (n, m)))
        object.__setattr__(self, "t", real_array("t", self.t, (n, n)))
        object.__setattr__(self, "d", real_array("d", self.d, (m, m)))
        object.__setattr__(self, "v", real_scalar("v", self.v))
        if self.q.sum() > self.Q.sum():
            raise ValidationError(
                f"Q: total capacity {self.Q.sum():g} is below total weight {self.q.sum():g}; "
                "no feasible assignment exists"
            )
        if self.q.max() > self.Q.max():
            raise ValidationError(
                f"q: facility {int(self.q.argmax())} weighs {self.q.max():g}, more than the "
                f"largest capacity {self.Q.max():g}; no feasible assignment exists"
            )

    @property
    def size(self) -> int:
        """The instance's size for scaling plots: the facility count."""
        return self.n

    def content_hash(self) -> str:
        """SHA-256 of the numerical content (name and provenance excluded)."""
        return digest([b"gqap", *(np.ascontiguousarray(x).tobytes() for x in
                                   (self.q, self.Q, self.a, self.t, self.d)),
                        repr(self.v).encode()])
