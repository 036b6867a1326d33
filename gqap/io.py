"""Reading and writing instance and solution files (schemas in docs/FORMATS.md).

JSON files carry a ``format`` tag and a schema ``version``; the Cordeau text format of the
GQAP literature is read and written as well. Writes are atomic (temporary file, then
rename), so a failure never leaves a half-written file in place of a good one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import FormatError, GQAPError, ValidationError
from gqap.instances import GQAPInstance, Instance, OffloadingInstance
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.solutions import GQAPSolution, OffloadingSolution, Solution

SCHEMA_VERSION = 1
FORMAT_OFFLOADING = "gqap-bench/offloading"
FORMAT_GQAP = "gqap-bench/gqap"
FORMAT_SOLUTION = "gqap-bench/solution"
FORMAT_MULTI = "gqap-bench/multi"  # read and written by gqap.multi.format


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def dumps(obj: Any) -> str:
    """Deterministic JSON text (same object, same bytes) ending in a newline.

    Objects are indented one key per line; a list of scalars stays on one line and a
    matrix gets one row per line, so files stay small and readable.
    """
    return _dump(obj, 0) + "\n"


def _dump(obj: Any, depth: int) -> str:
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {_dump(v, depth + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list | tuple):
        if all(not isinstance(v, dict | list | tuple) for v in obj):
            return json.dumps(list(obj), allow_nan=False)
        rows = [inner + _dump(v, depth + 1) for v in obj]
        return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
    return json.dumps(obj, allow_nan=False)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_text(path: str | Path) -> str:
    p = Path(path)
    if not p.exists():
        raise GQAPError(f"{path}: no such file")
    if p.is_dir():
        raise GQAPError(f"{path}: is a folder, expected a file")
    try:
        return p.read_text()
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not a text file ({exc.reason})") from exc


def _read_json(path: str | Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}") from exc
    except ValueError as exc:
        raise FormatError(f"{path}: {exc}") from exc
    if not isinstance(obj, dict):
        raise FormatError(f"{path}: expected a JSON object at the top level")
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid number in an instance file")


def _get(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise FormatError(f"{where}: missing field '{key}'")
    return obj[key]


def _check_header(obj: dict[str, Any], expected: str, path: str | Path) -> None:
    fmt = obj.get("format")
    if fmt != expected:
        raise FormatError(f"{path}: format is {fmt!r}, expected {expected!r}")
    version = obj.get("version")
    if version != SCHEMA_VERSION:
        raise FormatError(f"{path}: schema version {version!r} is not supported "
                          f"(this gqap-bench reads version {SCHEMA_VERSION})")


def _provenance_block(prov: dict[str, Any] | None) -> dict[str, Any] | None:
    if not prov:
        return None
    block = {"name": prov.get("generator"), "version": prov.get("version"),
             "params": prov.get("params", {}), "seed": prov.get("seed")}
    for k, v in prov.items():
        if k not in ("generator", "version", "params", "seed"):
            block[k] = v
    return block


def _provenance_from_block(block: Any) -> dict[str, Any] | None:
    if not isinstance(block, dict):
        return None
    prov = {"generator": block.get("name"), "version": block.get("version"),
            "params": block.get("params", {}), "seed": block.get("seed")}
    prov.update({k: v for k, v in block.items() if k not in ("name", "version", "params", "seed")})
    return prov


# ---------------------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------------------
def instance_to_dict(inst: Instance | MultiInstance) -> dict[str, Any]:
    """The JSON object of an instance (schema version 1)."""
    if isinstance(inst, MultiInstance):
        from gqap.multi.format import multi_to_dict

        return multi_to_dict(inst)
    if isinstance(inst, OffloadingInstance):
        return {
            "format": FORMAT_OFFLOADING, "version": SCHEMA_VERSION, "name": inst.name,
            "generator": _provenance_block(inst.provenance),
            "params": inst.params(),
            "users": {"k_s": inst.k_user.tolist(), "h_s": inst.h_user.tolist(),
                      "alpha": inst.alpha.tolist(),
                      "request_time_s": inst.request_time.tolist()},
        }
    return {
        "format": FORMAT_GQAP, "version": SCHEMA_VERSION, "name": inst.name,
        "generator": _provenance_block(inst.provenance),
        "data": {"n": inst.n, "m": inst.m, "v": inst.v, "q": inst.q.tolist(),
                 "Q": inst.Q.tolist(), "a": inst.a.tolist(), "t": inst.t.tolist(),
                 "d": inst.d.tolist()},
    }


def instance_from_dict(obj: dict[str, Any],
                       path: str | Path = "<instance>") -> Instance | MultiInstance:
    """Build and validate an instance from its JSON object."""
    fmt = obj.get("format")
    if fmt == FORMAT_MULTI:
        from gqap.multi.format import multi_from_dict

        return multi_from_dict(obj, path)
    if fmt not in (FORMAT_OFFLOADING, FORMAT_GQAP):
        raise FormatError(f"{path}: format is {fmt!r}, expected {FORMAT_OFFLOADING!r}, "
                          f"{FORMAT_GQAP!r} or {FORMAT_MULTI!r}")
    _check_header(obj, fmt, path)
    name = obj.get("name") or Path(str(path)).stem
    prov = _provenance_from_block(obj.get("generator"))
    try:
        if fmt == FORMAT_OFFLOADING:
            params = dict(_get(obj, "params", str(path)))
            users = _get(obj, "users", str(path))
            edge = params.pop("edge", None)
            if not isinstance(edge, dict):
                raise FormatError(f"{path}: params.edge must be an object with k_s and h_s")
            known = {"N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits",
                     "s_m_bits", "G", "B_max", "convention"}
            unknown = set(params) - known
            if unknown:
                raise FormatError(f"{path}: unknown field params.{sorted(unknown)[0]}")
            return OffloadingInstance(
                k_user=_get(users, "k_s", f"{path}: users"),
                h_user=_get(users, "h_s", f"{path}: users"),
                alpha=_get(users, "alpha", f"{path}: users"),
                request_time=_get(users, "request_time_s", f"{path}: users"),
                k_edge=_get(edge, "k_s", f"{path}: params.edge"),
                h_edge=_get(edge, "h_s", f"{path}: params.edge"),
                name=name, provenance=prov, **params)
        data = _get(obj, "data", str(path))
        inst = GQAPInstance(q=_get(data, "q", f"{path}: data"), Q=_get(data, "Q", f"{path}: data"),
                            a=_get(data, "a", f"{path}: data"), t=_get(data, "t", f"{path}: data"),
                            d=_get(data, "d", f"{path}: data"), v=data.get("v", 1.0),
                            name=name, provenance=prov)
        for key, value in (("n", inst.n), ("m", inst.m)):
            if key in data and data[key] != value:
                raise FormatError(f"{path}: data.{key} = {data[key]} but the arrays have {value}")
        return inst
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    except TypeError as exc:
        raise FormatError(f"{path}: {exc}") from exc


def write_instance(inst: Instance | MultiInstance, path: str | Path) -> Path:
    """Write an instance as JSON (atomic)."""
    return write_text_atomic(path, dumps(instance_to_dict(inst)))


def read_cordeau(path: str | Path, name: str | None = None) -> GQAPInstance:
    """Read the literature text format: ``n m v``, t (n x n), d (m x m), a (n x m), q, Q."""
    tokens = _read_text(path).split()
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
    """Write a GQAP instance in the Cordeau text format (atomic)."""
    return write_text_atomic(path, cordeau_text(inst))


def read_instance(path: str | Path) -> Instance | MultiInstance:
    """Read an instance file: JSON (any family) or Cordeau text, told apart by content;
    ``path`` may also name a shipped instance as ``SET/NAME`` (``gqap.library``)."""
    from gqap.library import resolve_instance

    path = resolve_instance(path)
    text = _read_text(path)
    if text.lstrip()[:1] in ("{", "["):
        return instance_from_dict(_read_json(path), path)
    return read_cordeau(path)


# ---------------------------------------------------------------------------------------
# solutions
# ---------------------------------------------------------------------------------------
def solution_to_dict(sol: Solution | MultiSolution,
                     inst: Instance | MultiInstance | None = None,
                     **extra: Any) -> dict[str, Any]:
    """The JSON object of a solution file."""
    family = ("offloading" if isinstance(sol, OffloadingSolution) else
              "multi" if isinstance(sol, MultiSolution) else "gqap")
    obj: dict[str, Any] = {"format": FORMAT_SOLUTION, "version": SCHEMA_VERSION,
                           "family": family}
    if inst is not None:
        obj["instance"] = inst.name
        obj["instance_hash"] = inst.content_hash()
    obj.update(extra)
    obj.update(sol.to_dict())
    return obj


def solution_from_dict(obj: dict[str, Any],
                       path: str | Path = "<solution>") -> Solution | MultiSolution:
    """Read a solution object: a solution file, or ``gqap solve --json`` output."""
    body = obj.get("solution", obj)
    if not isinstance(body, dict):
        raise FormatError(f"{path}: 'solution' must be an object")
    if "version" in obj and obj.get("format") == FORMAT_SOLUTION:
        _check_header(obj, FORMAT_SOLUTION, path)
    try:
        if "assignment" in body:
            return GQAPSolution(np.asarray(body["assignment"]))
        if "grant" in body:
            return OffloadingSolution(np.asarray(body["grant"]),
                                      np.asarray(_get(body, "split_points", str(path))))
        if "site" in body:
            return MultiSolution(np.asarray(body["site"]),
                                 np.asarray(_get(body, "split_points", str(path))))
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    raise FormatError(f"{path}: a solution needs 'assignment' (GQAP), 'grant' and "
                      "'split_points' (offloading) or 'site' and 'split_points' (multi)")


def read_solution(path: str | Path) -> Solution | MultiSolution:
    """Read a solution file."""
    return solution_from_dict(_read_json(path), path)


def write_solution(sol: Solution | MultiSolution, path: str | Path,
                   inst: Instance | MultiInstance | None = None, **extra: Any) -> Path:
    """Write a solution file (atomic)."""
    return write_text_atomic(path, dumps(solution_to_dict(sol, inst, **extra)))
