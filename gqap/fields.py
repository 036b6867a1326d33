"""Validation of the numbers a user gives: the one home of the bounds and checks every
family's instance, solution and generator applies (docs/FORMATS.md, "Numeric bounds").

Every non-zero real input lies within VALUE_MIN <= |x| <= VALUE_MAX, so any product or
quotient of up to ten inputs stays within [1e-300, 1e300]; counts (G, B_max) are at most
COUNT_MAX and denoising steps at most STEPS_MAX. Then every objective term the evaluators
form is below 1e100 in magnitude and even the square of an objective stays finite. Each
check raises a one-line ``ValidationError`` naming the field (and the index).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from gqap.errors import ValidationError

VALUE_MAX = 1e30
VALUE_MIN = 1e-30
COUNT_MAX = 10**9
STEPS_MAX = 10**6
_BOUND = f"non-zero values must lie within {VALUE_MIN:g} <= |x| <= {VALUE_MAX:g}"


def check_magnitude(name: str, arr: np.ndarray) -> None:
    """Refuse a value outside the bounds above, naming the field, the index and the bound."""
    mag = np.abs(arr)
    bad = (mag > VALUE_MAX) | ((mag < VALUE_MIN) & (mag != 0))
    if np.any(bad):
        idx = np.argwhere(bad)[0]
        x = float(arr[tuple(idx)])
        where = f" at index {idx.tolist()}" if arr.ndim else ""
        side = "exceeds" if abs(x) > VALUE_MAX else "is below"
        raise ValidationError(
            f"{name}: {x:g}{where} {side} the bound ({_BOUND}, so that the objective "
            "cannot overflow)")


def real_array(name: str, value: Any, shape: tuple[int, ...], *,
               nonneg: bool = False) -> np.ndarray:
    """Return a read-only float64 copy of ``value`` after checking type, shape, finiteness
    and the magnitude bounds (VALUE_MIN, VALUE_MAX)."""
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "iuf":
            kind = {"b": "booleans", "U": "strings", "S": "bytes"}.get(raw.dtype.kind)
            if kind is not None or raw.dtype.kind != "O":
                raise ValidationError(f"{name}: expected numbers, got {kind or raw.dtype}")
            for idx, v in np.ndenumerate(raw):
                if v is None or isinstance(v, bool | str | bytes):
                    kind = "null" if v is None else type(v).__name__
                    raise ValidationError(f"{name}: expected numbers, got {kind} at index "
                                          f"{list(idx)}")
        arr = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(f"{name}: not a numeric array ({exc})") from exc
    if arr.shape != shape:
        raise ValidationError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise ValidationError(f"{name}: contains NaN or inf (first at index {bad})")
    if nonneg and np.any(arr < 0):
        bad = np.argwhere(arr < 0)[0].tolist()
        raise ValidationError(f"{name}: must be >= 0 (negative at index {bad})")
    check_magnitude(name, arr)
    arr.flags.writeable = False
    return arr


def int_array(name: str, value: Any, shape: tuple[int, ...], *, low: int,
              high: int = COUNT_MAX) -> np.ndarray:
    """Read-only int64 copy of ``value``; every entry a whole number in ``low..high``."""
    arr = real_array(name, value, shape)
    if np.any(arr != np.round(arr)):
        bad = np.argwhere(arr != np.round(arr))[0].tolist()
        raise ValidationError(f"{name}: must hold integers (non-integer at index {bad})")
    if np.any(arr < low):
        bad = np.argwhere(arr < low)[0].tolist()
        raise ValidationError(f"{name}: must be >= {low} (at index {bad})")
    if np.any(arr > high):
        bad = np.argwhere(arr > high)[0].tolist()
        raise ValidationError(f"{name}: must be <= {high:,} (at index {bad})")
    out = arr.astype(np.int64)
    out.flags.writeable = False
    return out


def site_indices(name: str, value: Any, note: str = "") -> np.ndarray:
    """Read-only int64 copy of a solution's 1-D vector of site indices: whole numbers of a
    numeric type (``note`` says what else an index may be, e.g. -1 = denied). Their range
    is the evaluator's to check (a site outside the instance is a violation)."""
    x = np.asarray(value)
    if x.ndim != 1:
        raise ValidationError(f"{name}: expected a 1-D array, got shape {x.shape}")
    if x.size and not np.issubdtype(x.dtype, np.integer):
        if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number):
            raise ValidationError(f"{name}: expected integer site indices, got {x.dtype}")
        if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
            raise ValidationError(f"{name}: site indices must be integers{note}")
    x = x.astype(np.int64)
    x.flags.writeable = False
    return x


def real_scalar(name: str, value: Any, *, low: float | None = None,
                strict: bool = False) -> float:
    """A finite float within the bounds (and ``>= low``, or ``> low`` when ``strict``)."""
    if isinstance(value, bool | str | bytes):
        raise ValidationError(f"{name}: not a number ({value!r})")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError(f"{name}: not a number ({value!r:.60})") from exc
    if not math.isfinite(x):
        raise ValidationError(f"{name}: must be finite, got {value!r}")
    if low is not None and (x <= low if strict else x < low):
        raise ValidationError(f"{name}: must be {'>' if strict else '>='} {low}, got {value!r}")
    check_magnitude(name, np.asarray(x))
    return x


def integer(name: str, value: Any, *, low: int | None = None, high: int = COUNT_MAX) -> int:
    """A whole number (an integral float is accepted) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValidationError(f"{name}: must be an integer, got {value!r:.60}")
    if low is not None and value < low:
        raise ValidationError(f"{name}: must be >= {low}, got {value}")
    if value > high:
        shown = f"{value:,}" if value < 10**15 else f"a number of {len(str(value))} digits"
        raise ValidationError(f"{name}: must be <= {high:,}, got {shown}")
    return int(value)


def positive_count(name: str, value: Any) -> int:
    """A positive Python or numpy integer (no bool, no float); a one-line error otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValidationError(f"{name}: must be a positive integer, got {value!r}")
    return int(value)


def size_within(name: str, value: Any, high: int) -> int:
    """A positive integer size up to ``high`` (a generator's size limit)."""
    value = positive_count(name, value)
    if value > high:
        raise ValidationError(f"{name}: at most {high:,} in a generated instance, got {value:,}")
    return value


def digest(parts: list[bytes]) -> str:
    """SHA-256 of length-prefixed parts: the content hash of every family's instance."""
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()
