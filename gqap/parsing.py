"""Reading what a person types: KEY=VALUE pairs, positive numbers, comma-separated lists.

The one place the command line, the harness and the trainer turn text into values, so
every command refuses the same mistakes with the same one-line message.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import Any

from gqap.errors import GQAPError


def parse_key_values(pairs: Sequence[str] | None, what: str = "option") -> dict[str, str]:
    """Turn ['a=1', 'b=x'] into {'a': '1', 'b': 'x'}; a pair without '=' is an error."""
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise GQAPError(f"{what}: expected KEY=VALUE, got {pair!r}")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


SEED_MAX = 2**63 - 1  # seeds are stored as SQLite integers (signed 64 bits)


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return x


def finite_float(text: str) -> float:
    """argparse type: a finite number (no NaN, no infinity)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return x


def integer_in(low: int | None = None, high: int | None = None,
               what: str = "an integer") -> Callable[[str], int]:
    """An argparse type that reads a whole number within ``low..high`` (None: unbounded)."""

    def parse(text: str) -> int:
        try:
            x = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if (low is not None and x < low) or (high is not None and x > high):
            span = (f"{low}..{high}" if high is not None and low is not None else
                    f">= {low}" if low is not None else f"<= {high}")
            shown = text if len(text) <= 24 else f"{text[:20]}..."
            raise argparse.ArgumentTypeError(f"must be {span}, got {shown}")
        return x

    return parse


seed_int = integer_in(0, SEED_MAX, "a seed (an integer >= 0)")
seed_int.__doc__ = "argparse type: a seed, an integer in 0..2**63 - 1."
positive_int = integer_in(1, None, "a positive integer")
positive_int.__doc__ = "argparse type: an integer >= 1."
nonneg_int = integer_in(0, None, "an integer >= 0")
nonneg_int.__doc__ = "argparse type: an integer >= 0."


def number_list(kind: Callable[[str], Any], what: str) -> Callable[[str], list[Any]]:
    """An argparse type that reads comma-separated ``kind`` values (at least one); a
    ``kind`` that raises ``argparse.ArgumentTypeError`` has its message passed through."""

    def parse(text: str) -> list[Any]:
        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what}, got {text!r}") from None
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (in {text!r})") from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {what[:-1]}")
        return values

    return parse


def name_list(text: str) -> list[str]:
    """argparse type: comma-separated names (at least one)."""
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("expected comma-separated names")
    return values
