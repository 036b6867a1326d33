"""Gaps, one function per meaning (docs/MODEL.md section 3).

- ``relative_gap(reference, value, sense)``: how much worse ``value`` is than a reference
  value (an optimum, a best-known or best-found value), relative to |reference|; positive
  means worse for minimisation and maximisation alike. Every report, study table and
  training log measures solution quality with it.
- ``bound_gap(incumbent, bound)``: how far a solver's incumbent may still be from the
  optimum it has bracketed, |incumbent - bound| / |incumbent| (the MIP gap of a
  branch-and-bound run); never signed, never against a reference.
"""

from __future__ import annotations

import math

NEAR_ZERO = 1e-9  # |reference| below this: a relative gap to ~0 means nothing


def absolute_gap(reference: float | None, value: float | None,
                 sense: str = "max") -> float | None:
    """``value`` minus ``reference`` signed so that positive is worse (``sense`` 'max' or
    'min'); None when either is missing or not finite."""
    if value is None or reference is None or not (math.isfinite(reference)
                                                   and math.isfinite(value)):
        return None
    return (reference - value) if sense == "max" else (value - reference)


def relative_gap(reference: float | None, value: float | None,
                 sense: str = "max") -> float | None:
    """``absolute_gap / |reference|``: positive = worse; None when either is missing or
    |reference| < ``NEAR_ZERO``. ``sense`` defaults to 'max' (the offloading families)."""
    gap = absolute_gap(reference, value, sense)
    if gap is None or abs(reference) < NEAR_ZERO:
        return None
    return gap / abs(reference)


def bound_gap(incumbent: float | None, bound: float | None) -> float | None:
    """|incumbent - bound| / max(|incumbent|, 1e-10): the share by which a proven bound still
    brackets the incumbent (0 = proven optimal); None when either is missing."""
    if incumbent is None or bound is None:
        return None
    return abs(incumbent - bound) / max(abs(incumbent), 1e-10)
