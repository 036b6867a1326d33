"""Integer costs and weights for CP-SAT, which takes integer coefficients only.

Integral costs are used as they are; otherwise every coefficient is multiplied by a power
of ten (or the ``scale`` option) and rounded, and each rounding error is bounded so that
the adapter can widen its bound and withhold a proof that rounding could hide. Weights and
capacities become integers with the same feasible assignments. Every failure is a one-line
``GQAPError``.
"""

from __future__ import annotations

import math

import numpy as np

from gqap.errors import GQAPError

_AUTO_SCALE_TARGET = 1e12  # largest scaled |coefficient| when costs are not integers
INT_LIMIT = 2.0 ** 62  # CP-SAT's integers are 64-bit; sums of terms must stay inside


def cost_scale(coefs: np.ndarray, scale: float | None = None) -> float:
    """1 for integral costs, else the power of ten putting max |coef| near 1e12 (or ``scale``).

    A one-line error when the coefficients are not finite or so small that no power of
    ten a double can hold brings them near 1e12.
    """
    c = np.asarray(coefs, dtype=np.float64)
    if c.size and not np.all(np.isfinite(c)):
        raise GQAPError("solver cpsat: cost coefficients overflow double precision; they "
                        "cannot be scaled to integers")
    if scale is not None:
        return float(scale)
    big = float(np.abs(c).max()) if c.size else 0.0
    if big == 0.0 or (np.all(c == np.round(c)) and big < 2.0 ** 53):
        return 1.0
    exponent = math.floor(math.log10(_AUTO_SCALE_TARGET) - math.log10(big))
    if exponent > 300:
        raise GQAPError(f"solver cpsat: costs are at most {big:.3g} in size; scaling them to "
                        f"integers needs 1e{exponent}, beyond double precision")
    return 10.0 ** exponent


def integer_costs(values: np.ndarray, s: float, terms: int) -> np.ndarray:
    """``values`` x ``s`` rounded, checked to fit CP-SAT's 64-bit integers when up to
    ``terms`` of them are summed (one-line error otherwise)."""
    scaled = np.round(np.asarray(values, dtype=np.float64) * s)
    big = float(np.abs(scaled).max()) if scaled.size else 0.0
    if not math.isfinite(big) or big * max(terms, 1) >= INT_LIMIT:
        raise GQAPError(f"solver cpsat: costs scaled by {s:g} reach {big:.3g}; {max(terms, 1)} "
                        "of them cannot be summed in 64-bit integers (use a smaller scale)")
    return scaled


def integer_weights(q: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer weights and capacities with the same feasible assignments (floor of scaled Q).

    A capacity beyond 64-bit integers binds nothing and becomes the total weight, so only
    the weights must fit; a one-line error when they do not.
    """
    q, Q = np.asarray(q, dtype=np.float64), np.asarray(Q, dtype=np.float64)
    for power in range(7):
        s = 10.0 ** power
        qs = q * s
        rounded = np.round(qs)
        # Relative test: a tiny weight must not pass as the integer 0.
        if np.all((np.abs(qs - rounded) <= 1e-9 * np.abs(qs)) & ((rounded != 0) | (q == 0))):
            total = float(np.round(qs).sum())
            if not math.isfinite(total) or total >= INT_LIMIT:
                raise GQAPError(f"solver cpsat: facility weights sum to {q.sum():.3g}, beyond "
                                "CP-SAT's 64-bit integers")
            qi = np.round(qs).astype(np.int64)
            Qs = Q * s + 1e-9
            Qi = np.floor(np.where(Qs < INT_LIMIT, Qs, total)).astype(np.int64)
            return qi, Qi
    raise GQAPError("solver cpsat: facility weights must be integers (or decimals with at "
                    "most 6 places)")
