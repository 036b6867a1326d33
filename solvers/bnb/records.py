"""The branch and bound's files: its proof record and its checkpoint (gzip-compressed JSON).

The record is a nested JSON object (gzip-compressed), the checkpoint the same object with
the open nodes marked ``open`` and every pending parent's multipliers kept; a branched
node's multipliers (``search.Mult``) are written as ``msg`` and ``nu`` (flattened) and, in
a checkpoint, ``mult_lam``, ``mult_value`` and ``mult_used`` (``read_mult`` reads them
back).
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RECORD_FORMAT = "gqap-bench/bnb-proof"
CHECKPOINT_FORMAT = "gqap-bench/bnb-checkpoint"
RECORD_VERSION = 1
_SEPARATORS = (",", ":")
_WRITE_CHARS = 1 << 20


def number(x: float, integral: bool) -> Any:
    """``x`` as the record writes it: an int for integral data, a string for an
    infinity, None for NaN."""
    if not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return int(round(x)) if integral else float(x)


@dataclass(frozen=True)
class SearchTree:
    """The live search tree as a record or checkpoint writes it (``serial_tree``), left
    unconverted until ``write_gz_json`` writes it node by node: a long proof's tree with
    every node's multipliers as JSON lists would not fit in memory twice (cordeau/50-10-75
    was killed at 12.5 GB writing its 15-minute checkpoint in one piece)."""

    root: dict[str, Any]
    checkpoint: bool
    integer: bool

    def to_json(self) -> dict[str, Any]:
        """The whole tree as plain JSON data."""
        return serial_tree(self.root, self.checkpoint, self.integer)


def _node_items(rec: dict[str, Any], checkpoint: bool, integer: bool,
                ) -> Iterator[tuple[str, Any]]:
    """A node's fields as written, in order; ``children`` still the live child nodes."""
    for key, value in rec.items():
        if key == "_mult":
            if value.used or checkpoint:
                kind = np.int64 if integer else np.float64
                yield "msg", value.M.astype(kind).ravel().tolist()
                yield "nu", value.nu.astype(kind).ravel().tolist()
                if checkpoint:
                    yield "mult_lam", value.lam.tolist()
                    yield "mult_value", value.value if math.isfinite(value.value) else None
                    yield "mult_used", value.used
        elif key in ("msg", "nu"):
            yield key, np.asarray(value).ravel().tolist()
        else:
            yield key, value


def serial_tree(rec: dict[str, Any], checkpoint: bool, integer: bool) -> dict[str, Any]:
    """The search tree ``rec`` as JSON (module doc): a node's ``_mult`` (a ``search.Mult``:
    M, nu, lam, value, used) written where a child used it or, in a checkpoint, always."""
    return {key: [serial_tree(c, checkpoint, integer) for c in value]
            if key == "children" else value
            for key, value in _node_items(rec, checkpoint, integer)}


def _tree_chunks(rec: dict[str, Any], checkpoint: bool, integer: bool) -> Iterator[str]:
    """The JSON text of ``serial_tree(rec, ...)``, one node's fields at a time."""
    yield "{"
    for i, (key, value) in enumerate(_node_items(rec, checkpoint, integer)):
        yield ("," if i else "") + json.dumps(key) + ":"
        if key == "children":
            yield "["
            for j, child in enumerate(value):
                if j:
                    yield ","
                yield from _tree_chunks(child, checkpoint, integer)
            yield "]"
        else:
            yield json.dumps(value, separators=_SEPARATORS)
    yield "}"


def json_chunks(obj: Any) -> Iterator[str]:
    """The text of ``json.dumps(obj, separators=(",", ":"))``, with every ``SearchTree``
    in ``obj`` written as its ``to_json()``, in pieces of at most one node's fields. Each
    piece goes through the C encoder: ``json.dump`` streams through the pure-Python one
    (a 235 MB checkpoint of cordeau/30-07-75 took 281 s that way, 12 s in pieces)."""
    if isinstance(obj, SearchTree):
        yield from _tree_chunks(obj.root, obj.checkpoint, obj.integer)
    elif isinstance(obj, dict) and any(isinstance(v, (dict, SearchTree)) for v in obj.values()):
        yield "{"
        for i, (key, value) in enumerate(obj.items()):
            yield ("," if i else "") + json.dumps(key) + ":"
            yield from json_chunks(value)
        yield "}"
    else:
        yield json.dumps(obj, separators=_SEPARATORS)


def read_mult(rec: dict[str, Any], f: int, m: int,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool]:
    """Take a checkpointed node's multipliers out of ``rec`` (``f`` free facilities, ``m``
    sites): (M, nu, lambda, value, used), the fields of ``search.Mult`` after F."""
    value = rec.pop("mult_value")
    return (np.asarray(rec.pop("msg"), dtype=np.float64).reshape(f, m, f),
            np.asarray(rec.pop("nu"), dtype=np.float64).reshape(f, m, m),
            np.asarray(rec.pop("mult_lam"), dtype=np.float64),
            -math.inf if value is None else float(value),
            bool(rec.pop("mult_used")))


def _write_text(fh: Any, obj: dict[str, Any]) -> None:
    """Write ``json_chunks(obj)`` to the text file ``fh`` in few large writes (gzip's
    per-call cost adds up)."""
    buf: list[str] = []
    size = 0
    for piece in json_chunks(obj):
        buf.append(piece)
        size += len(piece)
        if size >= _WRITE_CHARS:
            fh.write("".join(buf))
            buf, size = [], 0
    fh.write("".join(buf))


def write_gz_json(path: str | Path, obj: dict[str, Any], level: int = 9) -> Path:
    """Write ``obj`` as gzip-compressed JSON (``level`` 1-9), atomically; a ``SearchTree``
    in it is written node by node (``json_chunks``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=level) as fh:
        _write_text(fh, obj)
    os.replace(tmp, path)
    return path


def write_seconds(obj: dict[str, Any], level: int) -> float:
    """Seconds that ``write_gz_json(PATH, obj, level)`` spends encoding and compressing,
    measured by writing ``obj`` the same way to the null device."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as raw, gzip.GzipFile(
            fileobj=raw, mode="wb", compresslevel=level) as gz, io.TextIOWrapper(
            gz, encoding="utf-8") as fh:
        _write_text(fh, obj)
    return time.perf_counter() - start


@dataclass(frozen=True)
class TreeSize:
    """What a tree's writing time grows with: its nodes and the numbers of the multipliers
    (``msg``, ``nu``, ``lam``) that a record and that a checkpoint of it hold."""

    nodes: int = 0
    record_numbers: int = 0
    checkpoint_numbers: int = 0


def tree_size(root: dict[str, Any]) -> TreeSize:
    """The size of the live search tree ``root`` (one walk of its nodes, no encoding)."""
    nodes = rec_numbers = ck_numbers = 0
    stack = [root]
    while stack:
        rec = stack.pop()
        nodes += 1
        mult = rec.get("_mult")
        if mult is not None:
            k = mult.M.size + mult.nu.size
            ck_numbers += k + mult.lam.size
            if mult.used:
                rec_numbers += k
        for key in ("msg", "nu", "lam"):
            value = rec.get(key)
            if value is not None:
                k = len(value) if isinstance(value, list) else value.size
                rec_numbers += k
                ck_numbers += k
        children = rec.get("children")
        if children:
            stack.extend(children)
    return TreeSize(nodes, rec_numbers, ck_numbers)


def read_gz_json(path: str | Path) -> dict[str, Any]:
    """Read a (possibly gzip-compressed) JSON file."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
