"""What the study tables share: reading a row's stored JSON, whether a run reached its
reference, the model a run solved, summed gaps and bounds, an instance's stored reference
and its first-seed run per solver."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from gqap.bench.tables import (
    Table,
    ok,
)
from gqap.solvers.base import Status

Hook = Callable[[list[dict[str, Any]], list[str]], list[Table]]
REACHED_REL = 1e-6  # a run reaches the reference when within this share of it


def stored_json(text: Any) -> dict[str, Any]:
    """A row's ``info`` or ``options`` (stored JSON text) as a dict ({} when unreadable)."""
    if isinstance(text, dict):
        return text
    try:
        out = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}


def reached(r: dict[str, Any]) -> bool:
    """True when a scored run's objective is within ``REACHED_REL`` of its reference."""
    ref, gap = r.get("reference"), r.get("gap_abs")
    return ok(r) and gap is not None and gap <= REACHED_REL * max(1.0, abs(ref))


def model_label(r: dict[str, Any]) -> str:
    """The model a run solved: 'gqap' for the classic family, else its ``model`` option."""
    if r["family"] == "classic":
        return "gqap"  # the classic family's one MILP model
    return str(stored_json(r.get("options")).get("model", "full"))


def sum_gap(rows: list[dict[str, Any]]) -> float | None:
    """sum(gap_abs) / sum |reference| over rows with a reference (None without one)."""
    rows = [r for r in rows if r.get("gap_abs") is not None and r.get("reference")]
    ref_sum = sum(abs(r["reference"]) for r in rows)
    return sum(r["gap_abs"] for r in rows) / ref_sum if ref_sum else None


def stored_reference(rows: list[dict[str, Any]]) -> float | None:
    """An instance's reference as its set records it (an optimum or a best-known value,
    not one this sweep found), read from the instance's rows; None when the set has none."""
    return next((r["reference"] for r in rows if r.get("reference_kind") in
                 ("exact", "best_known") and r.get("reference_stored")), None)


def first_seed_runs(rows: list[dict[str, Any]], rank: dict[str, int]) -> list[dict[str, Any]]:
    """Per solver label, its run with the lowest seed; labels in ``rank`` order (unranked
    ones last, in order of appearance)."""
    firsts: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["seed"]):
        firsts.setdefault(r["label"], r)
    return [firsts[lab] for lab in sorted(firsts, key=lambda lab: rank.get(lab, 99))]


def run_bound(r: dict[str, Any]) -> float | None:
    """The proven lower bound a GQAP run reached (a proof's optimum, else its bound)."""
    if r["status"] == Status.OPTIMAL and r.get("objective") is not None:
        return float(r["objective"])
    b = r.get("bound")
    if r["status"] in (Status.BOUND, Status.FEASIBLE, Status.TIME_LIMIT) and b is not None \
            and math.isfinite(b):
        return float(b)
    return None


def same_value(a: float | None, b: float | None) -> bool:
    """True when both values are given and agree to 1e-9 relative."""
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))
