"""The JSON schema every gqap-bench file shares, and the helpers each family's ``format``
module reads and writes its body with (docs/FORMATS.md): the header (``format`` tag,
schema ``version``, ``name``, the ``generator`` block of an instance's provenance), fields
checked and named in one-line errors (``get_field``, ``object_field``, ``known_fields``,
``numbers``), and ``naming_the_file`` for the model's own checks. ``gqap.io`` reads and
writes the files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import FormatError, ValidationError
from gqap.family import Instance

SCHEMA_VERSION = 1


def json_kind(obj: Any) -> str:
    """The JSON type of a parsed value in words ('an array', 'null') for messages."""
    if obj is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(obj), type(obj).__name__)


def get_field(obj: dict[str, Any], key: str, where: str) -> Any:
    """``obj[key]``; a missing field is a FormatError naming it."""
    if key not in obj:
        raise FormatError(f"{where}: missing field '{key}'")
    return obj[key]


def check_header(obj: dict[str, Any], expected: str, path: str | Path) -> None:
    """Refuse a file whose ``format`` tag is not ``expected`` or whose schema ``version``
    this gqap-bench does not read."""
    fmt = obj.get("format")
    if fmt != expected:
        raise FormatError(f"{path}: format is {fmt!r}, expected {expected!r}")
    version = obj.get("version")
    if type(version) is not int or version != SCHEMA_VERSION:
        raise FormatError(f"{path}: schema version {version!r} is not supported "
                          f"(this gqap-bench reads version {SCHEMA_VERSION})")


def provenance_block(prov: dict[str, Any] | None) -> dict[str, Any] | None:
    """An instance's provenance as the file's ``generator`` block (None when it has none)."""
    if not prov:
        return None
    block = {"name": prov.get("generator"), "version": prov.get("version"),
             "params": prov.get("params", {}), "seed": prov.get("seed")}
    for k, v in prov.items():
        if k not in ("generator", "version", "params", "seed"):
            block[k] = v
    return block


def provenance_from_block(block: Any) -> dict[str, Any] | None:
    """The provenance recorded by a file's ``generator`` block (None when absent)."""
    if not isinstance(block, dict):
        return None
    prov = {"generator": block.get("name"), "version": block.get("version"),
            "params": block.get("params", {}), "seed": block.get("seed")}
    prov.update({k: v for k, v in block.items() if k not in ("name", "version", "params", "seed")})
    return prov


def object_field(obj: dict[str, Any], key: str, path: str | Path) -> dict[str, Any]:
    """The JSON object ``obj[key]``; missing or of another JSON type is a FormatError."""
    value = get_field(obj, key, str(path))
    if not isinstance(value, dict):
        raise FormatError(f"{path}: {key} must be an object, got {json_kind(value)}")
    return value


def known_fields(obj: dict[str, Any], names: Any, prefix: str, path: str | Path) -> None:
    """Refuse the first key of ``obj`` that is not in ``names``, by its full name."""
    unknown = sorted(set(obj) - set(names))
    if unknown:
        raise FormatError(f"{path}: unknown field {prefix}{unknown[0]}")


def instance_header(obj: dict[str, Any], fmt: str, body: Any,
                    path: str | Path) -> tuple[str, dict[str, Any] | None]:
    """Check an instance object's header (format tag, version) and that its top level holds
    only the common fields and ``body``; returns its name (the file's stem when it has
    none) and its provenance."""
    check_header(obj, fmt, path)
    known_fields(obj, {"format", "version", "name", "generator", *body}, "", path)
    name = obj.get("name") or Path(str(path)).stem
    if not isinstance(name, str):
        raise FormatError(f"{path}: name must be a string, got {json_kind(name)}")
    return name, provenance_from_block(obj.get("generator"))


def instance_object(fmt: str, inst: Instance, **body: Any) -> dict[str, Any]:
    """The JSON object of an instance: the common header, then the family's ``body``."""
    return {"format": fmt, "version": SCHEMA_VERSION, "name": inst.name,
            "generator": provenance_block(inst.provenance), **body}


@contextmanager
def naming_the_file(path: str | Path) -> Iterator[None]:
    """Within: a ValidationError gets the file's path in front, a TypeError (a field of
    the wrong kind) becomes a FormatError naming the file."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    except TypeError as exc:
        raise FormatError(f"{path}: {exc}") from exc


def numbers(body: dict[str, Any], key: str, path: str | Path, *,
            booleans: bool = False, indices: bool = False) -> np.ndarray:
    """``body[key]`` as an array, after checking that it is a list of JSON numbers (or of
    booleans, where ``booleans``; small whole numbers, where ``indices``); anything else is
    a one-line FormatError."""
    value = get_field(body, key, str(path))
    if not isinstance(value, list):
        raise FormatError(f"{path}: {key} must be an array, got {json_kind(value)}")
    for i, v in enumerate(value):
        if isinstance(v, bool):
            ok = booleans
        else:
            ok = isinstance(v, int | float) and (not booleans or v in (0, 1))
        if not ok:
            shown = repr(v) if isinstance(v, int | float) else json_kind(v)
            raise FormatError(f"{path}: {key}[{i}] must be "
                              f"{'true, false, 0 or 1' if booleans else 'a number'}, got {shown}")
    if booleans:
        return np.asarray(value, dtype=bool)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except OverflowError as exc:
        raise FormatError(f"{path}: {key}: a number is too large ({exc})") from exc
    if indices and arr.size and np.any(np.abs(arr) > 2**53):
        raise FormatError(f"{path}: {key}: site indices must be small integers")
    return arr
