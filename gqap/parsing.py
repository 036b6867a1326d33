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


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return x


def number_list(kind: type, what: str) -> Callable[[str], list[Any]]:
    """An argparse type that reads comma-separated ``kind`` values (at least one)."""

    def parse(text: str) -> list[Any]:
        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what}, got {text!r}") from None
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
