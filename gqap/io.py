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


def _umask() -> int:
    """The process umask, read without changing it where /proc tells it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting, then restore at once
    os.umask(mask)
    return mask


def check_writable(path: str | Path, what: str = "output") -> Path:
    """Refuse, before any work is done, an output path that cannot become a file: an
    existing folder, or a parent that is a file."""
    path = Path(path)
    if path.is_dir():
        raise GQAPError(f"{path}: is a folder; the {what} needs a file name")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise GQAPError(f"{path}: {parent} is a file, not a folder")
            break
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename.

    The file gets the mode an ordinary ``open`` would give it (0o666 less the umask), or
    keeps the mode of the file it replaces. A path that cannot be written (a folder, a
    parent that is a file, no permission) raises a one-line GQAPError.
    """
    path = check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = (path.stat().st_mode & 0o7777 if path.exists()
                else 0o666 & ~_umask())
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise GQAPError(f"{path}: cannot write ({exc.strerror or exc})") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, mode)  # mkstemp creates 0o600
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise GQAPError(f"{path}: cannot write ({exc.strerror or exc})") from exc
        raise
    return path


def _read_text(path: str | Path) -> str:
    """The text of a file (UTF-8, a leading byte-order mark dropped); a missing path, a
    folder, an unreadable, binary or empty file is a one-line error."""
    p = Path(path)
    if not p.exists():
        raise GQAPError(f"{path}: no such file")
    if p.is_dir():
        raise GQAPError(f"{path}: is a folder, expected a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise GQAPError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from exc
    if "\x00" in text:
        raise FormatError(f"{path}: not a text file (contains NUL bytes)")
    if not text.strip():
        raise FormatError(f"{path}: empty file")
    return text


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _read_json(path: str | Path, what: str = "JSON object") -> dict[str, Any]:
    text = _read_text(path)
    try:
        obj = json.loads(text, parse_constant=_reject_constant,
                         object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: "
                          f"{exc.msg}") from exc
    except RecursionError as exc:
        raise FormatError(f"{path}: JSON nested too deeply") from exc
    except ValueError as exc:
        raise FormatError(f"{path}: {exc}") from exc
    if not isinstance(obj, dict):
        raise FormatError(f"{path}: expected a {what} at the top level, got "
                          f"{_json_kind(obj)}")
    return obj


def _json_kind(obj: Any) -> str:
    if obj is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(obj), type(obj).__name__)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid number (standard JSON has no NaN or Infinity)")


def _get(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise FormatError(f"{where}: missing field '{key}'")
    return obj[key]


def _check_header(obj: dict[str, Any], expected: str, path: str | Path) -> None:
    fmt = obj.get("format")
    if fmt != expected:
        raise FormatError(f"{path}: format is {fmt!r}, expected {expected!r}")
    version = obj.get("version")
    if type(version) is not int or version != SCHEMA_VERSION:
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
    body = "params" if fmt == FORMAT_OFFLOADING else "data"
    _known(obj, {"format", "version", "name", "generator", body}
           | ({"users"} if fmt == FORMAT_OFFLOADING else set()), "", path)
    name = obj.get("name") or Path(str(path)).stem
    if not isinstance(name, str):
        raise FormatError(f"{path}: name must be a string, got {_json_kind(name)}")
    prov = _provenance_from_block(obj.get("generator"))
    try:
        if fmt == FORMAT_OFFLOADING:
            params = dict(_object(obj, "params", path))
            users = _object(obj, "users", path)
            edge = params.pop("edge", None)
            if not isinstance(edge, dict):
                raise FormatError(f"{path}: params.edge must be an object with k_s and h_s")
            _known(params, {"N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits",
                            "s_m_bits", "G", "B_max", "convention"}, "params.", path)
            _known(users, {"k_s", "h_s", "alpha", "request_time_s"}, "users.", path)
            _known(edge, {"k_s", "h_s"}, "params.edge.", path)
            return OffloadingInstance(
                k_user=_get(users, "k_s", f"{path}: users"),
                h_user=_get(users, "h_s", f"{path}: users"),
                alpha=_get(users, "alpha", f"{path}: users"),
                request_time=_get(users, "request_time_s", f"{path}: users"),
                k_edge=_get(edge, "k_s", f"{path}: params.edge"),
                h_edge=_get(edge, "h_s", f"{path}: params.edge"),
                name=name, provenance=prov, **params)
        data = _object(obj, "data", path)
        _known(data, {"n", "m", "v", "q", "Q", "a", "t", "d"}, "data.", path)
        inst = GQAPInstance(q=_get(data, "q", f"{path}: data"), Q=_get(data, "Q", f"{path}: data"),
                            a=_get(data, "a", f"{path}: data"), t=_get(data, "t", f"{path}: data"),
                            d=_get(data, "d", f"{path}: data"), v=data.get("v", 1.0),
                            name=name, provenance=prov)
        for key, value in (("n", inst.n), ("m", inst.m)):
            if key in data and data[key] != value:
                raise FormatError(f"{path}: data.{key} = {data[key]!r:.40} but the arrays "
                                  f"have {value}")
        return inst
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    except TypeError as exc:
        raise FormatError(f"{path}: {exc}") from exc


def _object(obj: dict[str, Any], key: str, path: str | Path) -> dict[str, Any]:
    """The JSON object ``obj[key]``; missing or of another JSON type is a FormatError."""
    value = _get(obj, key, str(path))
    if not isinstance(value, dict):
        raise FormatError(f"{path}: {key} must be an object, got {_json_kind(value)}")
    return value


def _known(obj: dict[str, Any], names: set[str], prefix: str, path: str | Path) -> None:
    """Refuse the first key of ``obj`` that is not in ``names``, by its full name."""
    unknown = sorted(set(obj) - names)
    if unknown:
        raise FormatError(f"{path}: unknown field {prefix}{unknown[0]}")


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


def _looks_like_cordeau(text: str) -> bool:
    """True when the file starts with a number (the Cordeau header 'n m v')."""
    first = text.split(None, 1)[0]
    try:
        float(first)
    except ValueError:
        return False
    return True


def read_instance(path: str | Path) -> Instance | MultiInstance:
    """Read an instance file: JSON (any family) or Cordeau text, told apart by content
    (a Cordeau file starts with a number, anything else is read as JSON); ``path`` may
    also name a shipped instance as ``SET/NAME`` (``gqap.library``)."""
    from gqap.library import resolve_instance

    path = resolve_instance(path)
    text = _read_text(path)
    if _looks_like_cordeau(text):
        return read_cordeau(path)
    return instance_from_dict(_read_json(path, "JSON object (an instance)"), path)


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


def _numbers(body: dict[str, Any], key: str, path: str | Path, *,
             booleans: bool = False) -> np.ndarray:
    """``body[key]`` as an array, after checking that it is a list of JSON numbers (or of
    booleans, where ``booleans``); anything else is a one-line FormatError."""
    value = _get(body, key, str(path))
    if not isinstance(value, list):
        raise FormatError(f"{path}: {key} must be an array, got {_json_kind(value)}")
    for i, v in enumerate(value):
        if isinstance(v, bool):
            ok = booleans
        else:
            ok = isinstance(v, int | float) and (not booleans or v in (0, 1))
        if not ok:
            shown = repr(v) if isinstance(v, int | float) else _json_kind(v)
            raise FormatError(f"{path}: {key}[{i}] must be "
                              f"{'true, false, 0 or 1' if booleans else 'a number'}, got {shown}")
    if booleans:
        return np.asarray(value, dtype=bool)
    try:
        return np.asarray(value, dtype=np.float64)
    except OverflowError as exc:
        raise FormatError(f"{path}: {key}: a number is too large ({exc})") from exc


def solution_from_dict(obj: dict[str, Any],
                       path: str | Path = "<solution>") -> Solution | MultiSolution:
    """Read a solution object: a solution file, or ``gqap solve --json`` output.

    A result without a solution (``"solution": null``, written by ``gqap solve --out``
    when the solver found none) is refused, naming its status."""
    body = obj.get("solution", obj)
    if body is None or (body is obj and "status" in obj
                        and not {"assignment", "grant", "site"} & set(obj)):
        raise FormatError(f"{path}: holds no solution (the solver's status was "
                          f"{obj.get('status')!r})")
    if not isinstance(body, dict):
        raise FormatError(f"{path}: 'solution' must be an object, got {_json_kind(body)}")
    if "version" in obj and obj.get("format") == FORMAT_SOLUTION:
        _check_header(obj, FORMAT_SOLUTION, path)
    elif "format" in obj and obj.get("format") != FORMAT_SOLUTION:
        raise FormatError(f"{path}: format is {obj.get('format')!r}, expected "
                          f"{FORMAT_SOLUTION!r} (is this an instance file?)")
    try:
        if "assignment" in body:
            x = _numbers(body, "assignment", path)
            if x.size and np.any(np.abs(x) > 2**53):
                raise FormatError(f"{path}: assignment: site indices must be small integers")
            return GQAPSolution(x)
        if "grant" in body:
            return OffloadingSolution(_numbers(body, "grant", path, booleans=True),
                                      _numbers(body, "split_points", path))
        if "site" in body:
            x = _numbers(body, "site", path)
            if x.size and np.any(np.abs(x) > 2**53):
                raise FormatError(f"{path}: site: site indices must be small integers")
            return MultiSolution(x, _numbers(body, "split_points", path))
    except ValidationError as exc:
        raise ValidationError(f"{path}: {exc}") from exc
    raise FormatError(f"{path}: a solution needs 'assignment' (GQAP), 'grant' and "
                      "'split_points' (offloading) or 'site' and 'split_points' (multi)")


def read_solution(path: str | Path,
                  instance: Instance | MultiInstance | None = None) -> Solution | MultiSolution:
    """Read a solution file; with ``instance``, refuse a file whose recorded
    ``instance_hash`` names another instance (one line naming both hashes)."""
    obj = _read_json(path, "JSON object (a solution)")
    sol = solution_from_dict(obj, path)
    recorded = obj.get("instance_hash")
    if instance is not None and recorded is not None:
        actual = instance.content_hash()
        if recorded != actual:
            raise ValidationError(
                f"{path}: written for the instance with hash {recorded}, but "
                f"{instance.name or 'this instance'} has hash {actual}")
    return sol


def write_no_solution(path: str | Path, inst: Instance | MultiInstance | None = None,
                      **extra: Any) -> Path:
    """Write a result file that records a run without a solution (``"solution": null``
    and, in ``extra``, e.g. the solver and its status) in place of ``path`` (atomic), so
    that no older solution stays there; ``read_solution`` refuses it by its status."""
    obj: dict[str, Any] = {"format": FORMAT_SOLUTION, "version": SCHEMA_VERSION,
                           "family": inst.family if inst is not None else None}
    if inst is not None:
        obj["instance"] = inst.name
        obj["instance_hash"] = inst.content_hash()
    obj.update(extra)
    obj["solution"] = None
    return write_text_atomic(path, dumps(obj))


def write_solution(sol: Solution | MultiSolution, path: str | Path,
                   inst: Instance | MultiInstance | None = None, **extra: Any) -> Path:
    """Write a solution file (atomic)."""
    return write_text_atomic(path, dumps(solution_to_dict(sol, inst, **extra)))
