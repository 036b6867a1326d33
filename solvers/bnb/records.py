"""The branch and bound's files: its proof record and its checkpoint (gzip-compressed JSON).

The record is a nested JSON object (gzip-compressed), the checkpoint the same object with
the open nodes marked ``open`` and every pending parent's multipliers kept; a branched
node's multipliers (``search.Mult``) are written as ``msg`` and ``nu`` (flattened) and, in
a checkpoint, ``mult_lam``, ``mult_value`` and ``mult_used`` (``read_mult`` reads them
back).
"""

from __future__ import annotations

import gzip
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

RECORD_FORMAT = "gqap-bench/bnb-proof"
CHECKPOINT_FORMAT = "gqap-bench/bnb-checkpoint"
RECORD_VERSION = 1


def number(x: float, integral: bool) -> Any:
    """``x`` as the record writes it: an int for integral data, a string for an
    infinity, None for NaN."""
    if not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return int(round(x)) if integral else float(x)


def serial_tree(rec: dict[str, Any], checkpoint: bool, integer: bool) -> dict[str, Any]:
    """The search tree ``rec`` as JSON (module doc): a node's ``_mult`` (a ``search.Mult``:
    M, nu, lam, value, used) written where a child used it or, in a checkpoint, always."""
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if key == "_mult":
            if value.used or checkpoint:
                kind = np.int64 if integer else np.float64
                out["msg"] = value.M.astype(kind).ravel().tolist()
                out["nu"] = value.nu.astype(kind).ravel().tolist()
                if checkpoint:
                    out["mult_lam"] = value.lam.tolist()
                    out["mult_value"] = value.value if math.isfinite(value.value) else None
                    out["mult_used"] = value.used
        elif key == "children":
            out[key] = [serial_tree(c, checkpoint, integer) for c in value]
        elif key in ("msg", "nu"):
            out[key] = np.asarray(value).ravel().tolist()
        else:
            out[key] = value
    return out


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


def write_gz_json(path: str | Path, obj: dict[str, Any], level: int = 9) -> Path:
    """Write ``obj`` as gzip-compressed JSON (``level`` 1-9), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # json.dumps, not json.dump: only the one-shot encoder is the C one; streaming a
    # 235 MB checkpoint (cordeau/30-07-75 after 10 minutes) took 281 s, this 12 s
    text = json.dumps(obj, separators=(",", ":"))
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=level) as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


def read_gz_json(path: str | Path) -> dict[str, Any]:
    """Read a (possibly gzip-compressed) JSON file."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)
