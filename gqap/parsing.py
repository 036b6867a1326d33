"""Reading what a person types: KEY=VALUE pairs, positive numbers, comma-separated lists,
and tables of plain data turned into validated dataclasses (``dataclass_from_dict``).

The one place the command line, the harness and the trainer turn text into values, so
every command refuses the same mistakes with the same one-line message.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import numbers
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

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


def family_name(text: str) -> str:
    """argparse type: a family's name (an old name translated, with a deprecation line)."""
    from gqap.family import canonical, names

    if text not in names(aliases=True):
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from "
                                         f"{', '.join(names())})")
    return canonical(text)


def family_metavar() -> str:
    """The metavar of a family argument: the current names, as argparse shows choices."""
    from gqap.family import names

    return "{" + ",".join(names()) + "}"


def name_list(text: str) -> list[str]:
    """argparse type: comma-separated names (at least one)."""
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise argparse.ArgumentTypeError("expected comma-separated names")
    return values


# ---------------------------------------------------------------------------------------
# plain data -> a validated dataclass
# ---------------------------------------------------------------------------------------
_T = TypeVar("_T")


def dataclass_from_dict(cls: type[_T], data: Any, where: str, *, what: str = "key",
                        text: bool = False, fixed: dict[str, Any] | None = None,
                        convert: Callable[[str, Any], Any] | None = None) -> _T:
    """Build the dataclass ``cls`` from ``data`` (name -> value): the one way a table of a
    config file, a solver's options or a training config becomes checked, typed data.

    A name that is not a field is refused naming it (``what``: 'key', 'option') and the
    known ones; a field without a default must be given; each value is checked against its
    field's type hint (an int is accepted for a float, a list for a tuple), and with
    ``text`` a string is read as that type ('3', 'true', 'none'). ``convert(name, value)``
    may rewrite a value first (or raise ``ValueError``); ``fixed`` supplies fields the
    user does not write.
    ``ValueError`` and ``TypeError`` from the class's own checks become one-line
    ``GQAPError``s; every message starts with ``where``.
    """
    if not isinstance(data, dict):
        raise GQAPError(f"{where}: expected a table, got {_kind(data)}")
    fixed = fixed or {}
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init and f.name not in fixed}
    unknown = [k for k in data if k not in fields]
    if unknown:
        known = ", ".join(fields) or "none"
        raise GQAPError(f"{where}: unknown {what} {unknown[0]!r} (known: {known})")
    missing = [n for n, f in fields.items() if n not in data
               and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    if missing:
        raise GQAPError(f"{where}: needs {missing[0]!r}")
    hints = typing.get_type_hints(cls)
    kwargs = dict(fixed)
    for key, value in data.items():
        if convert is not None:
            try:
                value = convert(key, value)
            except ValueError as exc:  # the caller's own rule, said in its own words
                raise GQAPError(f"{where}: {exc}") from None
        kwargs[key] = typed_value(value, hints[key], f"{where}: {key}", text=text)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise GQAPError(f"{where}: {exc}") from None


def typed_value(value: Any, hint: Any, where: str, *, text: bool = False) -> Any:
    """``value`` checked against (with ``text``, a string read as) the type ``hint``:
    bool, int, float, str, X | None, tuple[X, ...], tuple[X, Y], dict, list or a class;
    a mismatch raises a one-line ``GQAPError`` naming ``where``. Other hints pass as given."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        if (text and type(None) in args and isinstance(value, str)
                and value.strip().lower() == "none"):
            return None
        options = [a for a in args if a is not type(None)]
        for option in options[:-1]:
            try:
                return typed_value(value, option, where, text=text)
            except GQAPError:
                continue
        return typed_value(value, options[-1], where, text=text) if options else value
    if text and isinstance(value, str) and hint in (bool, int, float):
        return _read_text(value.strip(), hint, where)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
    elif hint is float:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is tuple or hint is tuple:
        if isinstance(value, list | tuple):
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(typed_value(v, args[0], where, text=text) for v in value)
            if not args:
                return tuple(value)
            if len(value) == len(args):
                return tuple(typed_value(v, a, where, text=text)
                             for v, a in zip(value, args, strict=True))
    elif origin is dict or hint is dict:
        if isinstance(value, dict):
            return dict(value)
    elif origin is list or hint is list:
        if isinstance(value, list | tuple):
            return list(value)
    elif isinstance(hint, type):
        if isinstance(value, hint):
            return value
    else:
        return value
    raise GQAPError(f"{where} = {value!r} has the wrong type (expected {_describe(hint)})")


def _read_text(value: str, hint: type, where: str) -> Any:
    try:
        if hint is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        x = hint(value)
    except ValueError:
        raise GQAPError(f"{where}: cannot read {value!r} as {hint.__name__}") from None
    if isinstance(x, float) and not math.isfinite(x):
        raise GQAPError(f"{where}: must be a finite number, got {value!r}")
    return x


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join("none" if a is type(None) else _describe(a) for a in args)
    if origin is tuple or hint is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_describe(args[0])}"
        return f"a list of {len(args)} values" if args else "a list"
    if origin is dict or hint is dict:
        return "a table"
    if origin is list or hint is list:
        return "a list"
    return getattr(hint, "__name__", str(hint))


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string"}.get(type(value),
                                                                   type(value).__name__)
