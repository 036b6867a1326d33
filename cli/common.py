"""What the command line's modules share: output helpers (plain text, strict JSON, files
written atomically) and argparse types of number lists."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gqap.io import plain_json
from gqap.parsing import finite_float, nonneg_int, number_list, positive_float, positive_int


def nonneg_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    x = finite_float(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


pos_list = number_list(positive_int, "positive integers")
nonneg_list = number_list(nonneg_int, "integers >= 0")
posf_list = number_list(positive_float, "positive numbers")


# ---------------------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------------------
def fmt(x: Any) -> str:
    """A value as the plain-text output shows it: '-' for None, floats to 6 digits."""
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def json_text(obj: Any, indent: int | None = None) -> str:
    """Standard JSON (RFC 8259) for printing: never NaN or Infinity (those become null)."""
    return json.dumps(plain_json(obj), indent=indent, allow_nan=False)


def check_out(out: str | None) -> None:
    """Refuse an output path that cannot become a file before any work is done."""
    if out:
        from gqap.io import check_writable

        check_writable(out)


def emit(text: str, out: str | None) -> None:
    """Write ``text`` to the file ``out`` (atomic; says so on stderr), or to stdout."""
    if out:
        from gqap.io import write_text_atomic

        write_text_atomic(out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
