"""The classic family's files: JSON ``gqap-bench/gqap`` (docs/FORMATS.md) and the Cordeau
text format of the GQAP literature (``n m v``, then t, d, a, q and Q).

The JSON tag keeps the family's first name: it is a file format's identity, and every
shipped file carries it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import FormatError, ValidationError
from gqap.io import read_text, write_text_atomic
from gqap.schema import (
    get_field,
    instance_header,
    instance_object,
    known_fields,
    naming_the_file,
    numbers,
    object_field,
)

FORMAT_CLASSIC = "gqap-bench/gqap"
_DATA = ("n", "m", "v", "q", "Q", "a", "t", "d")


def classic_to_dict(inst: GQAPInstance) -> dict[str, Any]:
    """The JSON object of a classic instance (schema version 1)."""
    return instance_object(FORMAT_CLASSIC, inst, data={
        "n": inst.n, "m": inst.m, "v": inst.v, "q": inst.q.tolist(), "Q": inst.Q.tolist(),
        "a": inst.a.tolist(), "t": inst.t.tolist(), "d": inst.d.tolist()})


def classic_from_dict(obj: dict[str, Any], path: str | Path = "<instance>") -> GQAPInstance:
    """Build and validate a classic instance from its JSON object."""
    name, prov = instance_header(obj, FORMAT_CLASSIC, ("data",), path)
    with naming_the_file(path):
        data = object_field(obj, "data", path)
        known_fields(data, _DATA, "data.", path)
        where = f"{path}: data"
        inst = GQAPInstance(
            q=get_field(data, "q", where), Q=get_field(data, "Q", where),
            a=get_field(data, "a", where), t=get_field(data, "t", where),
            d=get_field(data, "d", where), v=data.get("v", 1.0), name=name, provenance=prov)
        for key, value in (("n", inst.n), ("m", inst.m)):
            if key in data and data[key] != value:
                raise FormatError(f"{path}: data.{key} = {data[key]!r:.40} but the arrays "
                                  f"have {value}")
        return inst


def solution_from_dict(body: dict[str, Any], path: str | Path) -> GQAPSolution:
    """A classic solution from a solution body: ``assignment`` (0-based sites)."""
    return GQAPSolution(numbers(body, "assignment", path, indices=True))


def read_cordeau(path: str | Path, name: str | None = None) -> GQAPInstance:
    """Read the literature text format: ``n m v``, t (n x n), d (m x m), a (n x m), q, Q."""
    tokens = read_text(path).split()
    if len(tokens) < 3:
        raise FormatError(f"{path}: Cordeau header needs 'n m v', found {len(tokens)} values")
    try:
        n, m = int(tokens[0]), int(tokens[1])
        v = float(tokens[2])
        values = np.array(tokens[3:], dtype=np.float64)
    except ValueError as exc:
        raise FormatError(f"{path}: non-numeric value in Cordeau file ({exc})") from exc
    if n < 1 or m < 1:
        raise FormatError(f"{path}: Cordeau header gives n = {n}, m = {m}; both must be >= 1")
    need = n * n + m * m + n * m + n + m
    if values.size != need:
        raise FormatError(f"{path}: expected {need} values after the header for n = {n}, "
                          f"m = {m}, found {values.size}")
    if not np.all(np.isfinite(values)) or not math.isfinite(v):
        raise FormatError(f"{path}: contains NaN or inf")
    parts = np.split(values, np.cumsum([n * n, m * m, n * m, n]))
    try:
        return GQAPInstance(q=parts[3], Q=parts[4], a=parts[2].reshape(n, m),
                            t=parts[0].reshape(n, n), d=parts[1].reshape(m, m), v=v,
                            name=name or Path(path).stem,
                            provenance={"generator": "cordeau-file", "source": Path(path).name})
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc


def cordeau_text(inst: GQAPInstance) -> str:
    """The instance in the Cordeau text format (integers printed without a decimal point)."""
    def fmt(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else repr(float(x))

    lines = [f"{inst.n} {inst.m} {fmt(inst.v)}"]
    for mat in (inst.t, inst.d, inst.a):
        lines.extend(" ".join(fmt(x) for x in row) for row in mat)
    lines.append(" ".join(fmt(x) for x in inst.q))
    lines.append(" ".join(fmt(x) for x in inst.Q))
    return "\n".join(lines) + "\n"


def write_cordeau(inst: GQAPInstance, path: str | Path) -> Path:
    """Write a classic instance in the Cordeau text format (atomic)."""
    return write_text_atomic(path, cordeau_text(inst))


def looks_like_cordeau(text: str) -> bool:
    """True when the file starts with a number (the Cordeau header 'n m v')."""
    first = text.split(None, 1)[0]
    try:
        float(first)
    except ValueError:
        return False
    return True
