"""GPU latency profiles: per-denoising-step fits L(b) = k*b + h of the paper's Fig. 3.

The table is the content of ``shared/data/gpu_profile.csv`` (milliseconds), kept here so
that the generators work on a machine without the reference folder; a test checks that
both agree. Values are converted to seconds at the boundary of this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class GPUProfile:
    """Latency fits in seconds; ``edge`` is one (k, h) pair, ``users`` has one row per GPU class."""

    edge_k_s: float
    edge_h_s: float
    user_rows: tuple[int, ...]
    user_k_s: np.ndarray
    user_h_s: np.ndarray


# row, role, k (ms per image), h (ms)
_PAPER_TABLE_MS: tuple[tuple[int, str, float, float], ...] = (
    (0, "edge", 36.46043729, 13.76666215),
    (1, "unused", 54.34808898, 21.37799831),
    (2, "unused", 81.97367232, -8.38096836),
    (3, "user", 103.89720254, 15.59155424),
    (4, "user", 121.23045678, -1.08472203),
    (5, "user", 195.74602500, -67.00936667),
    (6, "user", 203.05215593, 3.77579322),
    (7, "user", 240.71490000, 29.25710000),
    (8, "user", 174.45748305, 65.11335508),
    (9, "user", 281.03919831, 14.82368051),
    (10, "user", 344.08706949, -38.25600085),
)


def _profile_from_rows(rows: list[tuple[int, str, float, float]]) -> GPUProfile:
    edge = [r for r in rows if r[1] == "edge"]
    users = [r for r in rows if r[1] == "user"]
    if len(edge) != 1 or not users:
        raise ValueError("a GPU profile needs exactly one 'edge' row and at least one 'user' row")
    return GPUProfile(
        edge_k_s=edge[0][2] / 1000.0,
        edge_h_s=edge[0][3] / 1000.0,
        user_rows=tuple(r[0] for r in users),
        user_k_s=np.array([r[2] for r in users]) / 1000.0,
        user_h_s=np.array([r[3] for r in users]) / 1000.0,
    )


PAPER_PROFILE: GPUProfile = _profile_from_rows(list(_PAPER_TABLE_MS))

# Rows 0-2 of the table are the edge-class GPUs: the multi-cluster family draws each site's
# class from them (row 0 is also the paper's edge row; its values are the same floats).
EDGE_CLASS_ROWS: tuple[int, ...] = tuple(r[0] for r in _PAPER_TABLE_MS[:3])
EDGE_CLASS_K_S: tuple[float, ...] = tuple(r[2] / 1000.0 for r in _PAPER_TABLE_MS[:3])
EDGE_CLASS_H_S: tuple[float, ...] = tuple(r[3] / 1000.0 for r in _PAPER_TABLE_MS[:3])


def read_profile_csv(path: str | Path) -> GPUProfile:
    """Read a profile CSV with columns row, role, k_ms_per_image, h_ms_constant."""
    from gqap.errors import FormatError

    try:
        with open(path, newline="") as fh:
            rows = [
                (int(r["row"]), r["role"].strip(), float(r["k_ms_per_image"]),
                 float(r["h_ms_constant"]))
                for r in csv.DictReader(fh)
            ]
        return _profile_from_rows(rows)
    except (KeyError, ValueError, TypeError) as exc:
        raise FormatError(f"{path}: not a GPU profile CSV ({exc})") from exc
