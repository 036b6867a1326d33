"""A run of the online family: one decision per period (the decision log).

A period's decision is the GPU count g of its batch, the granted users and one split point
per user (N for a denied user). Structure is checked here (whole, non-negative g; one
grant flag and one finite split point per user); every rule of the model (g within the
free GPUs, b <= B_max, splits in range, b >= 1 exactly when g >= 1) is the evaluator's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.errors import ValidationError


@dataclass(frozen=True, eq=False)
class PeriodDecision:
    """g GPUs for the period's batch, grant[i] and split[i] per user of the period."""

    gpus: int
    grant: np.ndarray
    split: np.ndarray

    def __post_init__(self) -> None:
        g = self.gpus
        if isinstance(g, bool) or not isinstance(g, int | np.integer):
            if not (isinstance(g, float) and g.is_integer()):
                raise ValidationError(f"gpus: must be a whole number, got {g!r}")
        if g < 0:
            raise ValidationError(f"gpus: must be >= 0, got {g}")
        object.__setattr__(self, "gpus", int(g))
        grant = np.asarray(self.grant)
        if grant.ndim != 1:
            raise ValidationError(f"granted: expected a 1-D list, got shape {grant.shape}")
        if grant.dtype != np.bool_:
            if grant.size and not np.all(np.isin(grant, (0, 1))):
                raise ValidationError("granted: values must be booleans or 0/1")
            grant = grant.astype(bool)
        try:
            split = np.array(self.split, dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValidationError(f"split_points: not a numeric list ({exc})") from None
        if split.shape != grant.shape:
            raise ValidationError(f"split_points: expected {grant.size} values like granted, "
                                  f"got shape {split.shape}")
        if not np.all(np.isfinite(split)):
            raise ValidationError("split_points: contains NaN or inf")
        grant = grant.copy()
        grant.flags.writeable = False
        split.flags.writeable = False
        object.__setattr__(self, "grant", grant)
        object.__setattr__(self, "split", split)

    @classmethod
    def deny(cls, n_users: int, N: int) -> PeriodDecision:
        """Everyone local: g = 0, nobody granted, every split at N."""
        return cls(0, np.zeros(n_users, dtype=bool), np.full(n_users, float(N)))

    @property
    def b(self) -> int:
        """Granted users (the batch size)."""
        return int(self.grant.sum())

    @property
    def n_users(self) -> int:
        """Users the decision covers."""
        return int(self.grant.size)

    def hold_s(self, header: Any) -> float:
        """D = (N - min granted n_i) L_e(b, g): how long the batch holds its GPUs (0 for an
        empty batch or no GPUs)."""
        if self.b == 0 or self.gpus == 0:
            return 0.0
        steps = header.N - float(self.split[self.grant].min())
        return max(steps, 0.0) * header.edge_latency(float(self.b), self.gpus)

    def occupied(self, header: Any) -> int:
        """Later decision moments the batch holds its GPUs through."""
        from gqap.online.pool import occupied_moments

        return occupied_moments(self.hold_s(header), header.K)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: gpus, granted, split_points (whole numbers as ints)."""
        whole = bool(np.all(self.split == np.round(self.split)))
        return {"gpus": self.gpus, "granted": [bool(v) for v in self.grant],
                "split_points": [int(v) if whole else float(v) for v in self.split]}


@dataclass(frozen=True, eq=False)
class OnlineSolution:
    """The decision log: one ``PeriodDecision`` per period, the policy that made it and its
    decision time per period (seconds; None when not measured, e.g. an offline method)."""

    periods: tuple[PeriodDecision, ...]
    policy: str = ""
    decision_times: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        periods = tuple(self.periods)
        for t, d in enumerate(periods):
            if not isinstance(d, PeriodDecision):
                raise ValidationError(f"periods[{t}]: expected a PeriodDecision")
        object.__setattr__(self, "periods", periods)
        if self.decision_times is not None:
            times = np.array(self.decision_times, dtype=np.float64)
            if times.shape != (len(periods),) or not np.all(np.isfinite(times)) or np.any(
                    times < 0):
                raise ValidationError(f"decision_times_s: expected {len(periods)} finite "
                                      "times >= 0, one per period")
            times.flags.writeable = False
            object.__setattr__(self, "decision_times", times)

    @property
    def n_periods(self) -> int:
        """Periods decided."""
        return len(self.periods)

    @property
    def granted(self) -> int:
        """Users granted over all periods."""
        return sum(d.b for d in self.periods)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: {"policy", "periods": [...], "decision_times_s": [...]}."""
        out: dict[str, Any] = {"policy": self.policy,
                               "periods": [d.to_dict() for d in self.periods]}
        if self.decision_times is not None:
            out["decision_times_s"] = [float(x) for x in self.decision_times]
        return out
