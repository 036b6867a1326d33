"""Reading and writing instance and solution files (schemas in docs/FORMATS.md).

JSON files carry a ``format`` tag and a schema ``version``; each family reads and writes
its own instance body (its ``format`` module, found through ``gqap.family`` by the tag)
with the helpers of ``gqap.schema``, and a family may add a text format (the classic
family reads and writes the Cordeau text format of the GQAP literature). Writes are atomic
(temporary file, then rename), so a failure never leaves a half-written file in place of a
good one.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import FormatError, GQAPError, InvalidInput, ValidationError, as_input_error
from gqap.family import FamilySpec, Instance, Solution, families, family_of, family_of_format
from gqap.schema import SCHEMA_VERSION, check_header, json_kind, naming_the_file

FORMAT_SOLUTION = "gqap-bench/solution"


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


def plain_json(x: Any) -> Any:
    """``x`` as plain JSON values: numpy scalars and arrays unwrapped, tuples as lists, keys
    as strings, non-finite floats as None (standard JSON has no NaN or Infinity)."""
    if isinstance(x, dict):
        return {str(k): plain_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain_json(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain_json(x.tolist())
    if isinstance(x, np.generic):
        return plain_json(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


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


def read_text(path: str | Path) -> str:
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


def read_json(path: str | Path, what: str = "JSON object") -> dict[str, Any]:
    """The JSON object in a file: standard JSON only (no NaN), no duplicate keys, an object
    at the top level; anything else is a one-line FormatError."""
    text = read_text(path)
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
                          f"{json_kind(obj)}")
    return obj


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid number (standard JSON has no NaN or Infinity)")


# ---------------------------------------------------------------------------------------
# instances
# ---------------------------------------------------------------------------------------
def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """The JSON object of an instance of any family (schema version 1)."""
    return family_of(inst).instance_to_dict(inst)


def instance_from_dict(obj: dict[str, Any], path: str | Path = "<instance>") -> Instance:
    """Build and validate an instance of any family from its JSON object (the family is
    the one whose format tag the object carries)."""
    fmt = obj.get("format")
    spec = family_of_format(fmt)
    if spec is None:
        tags = [repr(f.instance_format) for f in families()]
        raise FormatError(f"{path}: format is {fmt!r}, expected "
                          f"{', '.join(tags[:-1])} or {tags[-1]}")
    with family_input(spec):
        return spec.instance_from_dict(obj, path)


@contextmanager
def family_input(spec: FamilySpec) -> Iterator[None]:
    """Within: bad input of a family whose ``input_exit_status`` is 2 is raised as an
    ``InputError`` of the same kind and message."""
    try:
        yield
    except GQAPError as exc:
        if spec.input_exit_status == 2:
            raise as_input_error(exc) from exc
        raise


def write_instance(inst: Instance, path: str | Path) -> Path:
    """Write an instance as JSON (atomic)."""
    return write_text_atomic(path, dumps(instance_to_dict(inst)))


def read_instance(path: str | Path) -> Instance:
    """Read an instance file: JSON (any family) or a family's text format (the Cordeau
    text of the classic family), told apart by content; ``path`` may also name a shipped
    instance as ``SET/NAME`` (``gqap.library``)."""
    from gqap.library import resolve_instance

    path = resolve_instance(path)
    text = read_text(path)
    for spec in families():
        if spec.text_format is not None and spec.text_format.sniff(text):
            return spec.text_format.read(path)
    return instance_from_dict(read_json(path, "JSON object (an instance)"), path)


# ---------------------------------------------------------------------------------------
# solutions
# ---------------------------------------------------------------------------------------
def _family_of_solution(sol: Solution) -> FamilySpec:
    for spec in families():
        if isinstance(sol, spec.solution_type):
            return spec
    raise GQAPError(f"solution: {type(sol).__name__} is no family's solution type")


def solution_format(spec: FamilySpec) -> str:
    """The ``format`` tag of a family's solution files (its own, or the shared one)."""
    return spec.solution_format or FORMAT_SOLUTION


def solution_to_dict(sol: Solution, inst: Instance | None = None,
                     **extra: Any) -> dict[str, Any]:
    """The JSON object of a solution file."""
    spec = _family_of_solution(sol)
    obj: dict[str, Any] = {"format": solution_format(spec), "version": SCHEMA_VERSION,
                           "family": spec.name}
    if inst is not None:
        obj["instance"] = inst.name
        obj["instance_hash"] = inst.content_hash()
    obj.update(extra)
    obj.update(sol.to_dict())
    return obj


def solution_from_dict(obj: dict[str, Any], path: str | Path = "<solution>") -> Solution:
    """Read a solution object: a solution file, or ``gqap solve --json`` output.

    The family is the one whose first solution key the body holds. A result without a
    solution (``"solution": null``, written by ``gqap solve --out`` when the solver found
    none) is refused, naming its status."""
    specs = families()
    body = obj.get("solution", obj)
    if body is None or (body is obj and "status" in obj
                        and not {f.solution_keys[0] for f in specs} & set(obj)):
        raise FormatError(f"{path}: holds no solution (the solver's status was "
                          f"{obj.get('status')!r})")
    if not isinstance(body, dict):
        raise FormatError(f"{path}: 'solution' must be an object, got {json_kind(body)}")
    tags = [FORMAT_SOLUTION, *(f.solution_format for f in specs if f.solution_format)]
    if "version" in obj and obj.get("format") in tags:
        check_header(obj, obj["format"], path)
    elif "format" in obj and obj.get("format") not in tags:
        raise FormatError(f"{path}: format is {obj.get('format')!r}, expected "
                          f"{' or '.join(repr(t) for t in tags)} (is this an instance file?)")
    for spec in specs:
        if spec.solution_keys[0] in body:
            with family_input(spec), naming_the_file(path):
                return spec.solution_from_dict(body, path)
    needs = [" and ".join(repr(k) for k in f.solution_keys) + f" ({f.name})" for f in specs]
    raise FormatError(f"{path}: a solution needs {', '.join(needs[:-1])} or {needs[-1]}")


def read_solution(path: str | Path,
                  instance: Instance | None = None) -> Solution:
    """Read a solution file; with ``instance``, refuse a file whose recorded
    ``instance_hash`` names another instance (one line naming both hashes)."""
    obj = read_json(path, "JSON object (a solution)")
    sol = solution_from_dict(obj, path)
    recorded = obj.get("instance_hash")
    if instance is not None and recorded is not None:
        actual = instance.content_hash()
        if recorded != actual:
            kind = (InvalidInput if family_of(instance).input_exit_status == 2
                    else ValidationError)
            raise kind(
                f"{path}: written for the instance with hash {recorded}, but "
                f"{instance.name or 'this instance'} has hash {actual}")
    return sol


def write_no_solution(path: str | Path, inst: Instance | None = None,
                      **extra: Any) -> Path:
    """Write a result file that records a run without a solution (``"solution": null``
    and, in ``extra``, e.g. the solver and its status) in place of ``path`` (atomic), so
    that no older solution stays there; ``read_solution`` refuses it by its status."""
    spec = family_of(inst) if inst is not None else None
    obj: dict[str, Any] = {"format": FORMAT_SOLUTION if spec is None else solution_format(spec),
                           "version": SCHEMA_VERSION,
                           "family": spec.name if spec is not None else None}
    if inst is not None:
        obj["instance"] = inst.name
        obj["instance_hash"] = inst.content_hash()
    obj.update(extra)
    obj["solution"] = None
    return write_text_atomic(path, dumps(obj))


def write_solution(sol: Solution, path: str | Path,
                   inst: Instance | None = None, **extra: Any) -> Path:
    """Write a solution file (atomic)."""
    return write_text_atomic(path, dumps(solution_to_dict(sol, inst, **extra)))
