"""Validation scores of a greedy policy against per-instance references, the same five
numbers for every scope (the columns of ``eval_log.csv`` after episode, steps, wall_s):
the sum gap (sum of shortfalls over sum of |reference|: references near zero make single
relative gaps explode), the mean and median relative gap, the mean shortfall per user, and
the mean objective. ``run.select`` names the one that picks a run's best network
(``BestNetwork``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from gqap.gaps import relative_gap  # (reference, value): positive = worse

EVAL_FIELDS = ("episode", "steps", "wall_s", "sum_gap", "mean_gap", "user_gap",
               "mean_objective", "median_gap")
SCORE_FIELDS = EVAL_FIELDS[3:]


def gap_scores(reference: Sequence[float], values: Sequence[float],
               users: Sequence[int]) -> tuple[float, float, float, float, float]:
    """(sum gap, mean relative gap, mean gap per user, mean objective, median relative gap)
    of ``values`` against ``reference``, instance by instance (``users``: the divisor of
    each instance's gap per user)."""
    ref, vals, users = np.array(reference), np.array(values), np.array(users)
    gaps = [relative_gap(o, v) for o, v in zip(ref, vals, strict=True)]
    return (float((ref - vals).sum() / np.abs(ref).sum()), float(np.mean(gaps)),
            float(np.mean((ref - vals) / users)), float(vals.mean()),
            float(np.median(gaps)))


class BestNetwork:
    """The network of the run with the lowest validation score so far (``select``: which
    of ``SCORE_FIELDS``; the first validation always counts): what ``best.pt`` saves."""

    def __init__(self, select: str) -> None:
        self.select = select
        self.gap: float | None = None  # its ``select`` score
        self.episode: int | None = None
        self.scores: dict[str, float] | None = None
        self.state: dict[str, Any] | None = None  # a copy of its weights

    def offer(self, episode: int, scores: Sequence[float], network: Any) -> None:
        """Keep ``network``'s weights if ``scores`` (``SCORE_FIELDS`` in order) beat the
        best so far."""
        named = dict(zip(SCORE_FIELDS, scores, strict=True))
        if self.gap is None or named[self.select] < self.gap:
            self.gap, self.episode, self.scores = named[self.select], episode, named
            self.state = copy.deepcopy(network.state_dict())
