"""GPU latency profiles: per-denoising-step fits L(b) = k*b + h of the paper's Fig. 3.

The paper's table ships as package data, ``gqap/gpu_profile.csv`` (milliseconds; rows 0-2
edge-class GPUs, rows 3-10 the user devices; source: Yang et al., IEEE TMC 2025, Fig. 3 and
the authors' profiling data, see docs/MODEL.md), read through ``importlib.resources``.
Values are converted to seconds at the boundary of this module.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

PROFILE_FILE = "gpu_profile.csv"


@dataclass(frozen=True)
class GPUProfile:
    """Latency fits in seconds; ``edge`` is one (k, h) pair, ``users`` has one row per GPU class."""

    edge_k_s: float
    edge_h_s: float
    user_rows: tuple[int, ...]
    user_k_s: np.ndarray
    user_h_s: np.ndarray


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


def _read_rows(text: str, where: str) -> list[tuple[int, str, float, float]]:
    from gqap.errors import FormatError

    try:
        return [(int(r["row"]), r["role"].strip(), float(r["k_ms_per_image"]),
                 float(r["h_ms_constant"])) for r in csv.DictReader(io.StringIO(text))]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise FormatError(f"{where}: not a GPU profile CSV ({exc})") from exc


# row, role, k (ms per image), h (ms) of the paper's profile
_PAPER_TABLE_MS: tuple[tuple[int, str, float, float], ...] = tuple(_read_rows(
    resources.files("gqap").joinpath(PROFILE_FILE).read_text(encoding="utf-8"),
    f"gqap/{PROFILE_FILE}"))

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
        return _profile_from_rows(_read_rows(Path(path).read_text(encoding="utf-8"), str(path)))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a GPU profile CSV ({exc})") from exc
