"""Time to target: the targets (the reference and 0.5 % worse), each run's best-so-far
trajectory as stored in ``info.history``, the time it first reached a target, the
empirical TTT curve and the groups the tables and plots (``bench.figures.ttt``) share."""

from __future__ import annotations

from typing import Any

from gqap.bench.studies.common import (
    REACHED_REL,
    stored_json,
)
from gqap.bench.tables import (
    label_rank,
    ok,
)

TTT_TARGETS = (0.0, 0.5)  # the race's targets: the reference and 0.5 % worse than it


def target_value(reference: float, sense: str, pct: float) -> float:
    """The objective ``pct`` % worse than ``reference`` (``pct`` = 0: the reference)."""
    shift = pct / 100.0 * abs(reference)
    return reference + shift if sense == "min" else reference - shift


def target_name(pct: float) -> str:
    """How a target reads in tables and file names: 'ref' or 'ref+0.5%'."""
    return "ref" if pct == 0 else f"ref+{pct:g}%"


def trajectory(r: dict[str, Any]) -> list[tuple[float, float]] | None:
    """The (seconds, best objective) points of a run's stored best-so-far history (seconds
    from the start of its solve call), or None when the run stored none (a solver without
    a trajectory, such as ``external``, or a killed run)."""
    hist = stored_json(r.get("info")).get("history")
    if not isinstance(hist, list):
        return None
    return [(float(p[1]), float(p[2])) for p in hist
            if isinstance(p, list | tuple) and len(p) >= 3 and p[2] is not None]


def time_to_target(r: dict[str, Any], target: float) -> float | None:
    """Seconds from the start of the solve call until the run's best-so-far value first
    reached ``target`` (within a share of 1e-6), read from its stored trajectory; None when
    it never did, failed, or stored no trajectory."""
    hist = trajectory(r) if ok(r) else None
    tol = REACHED_REL * max(1.0, abs(target))
    for seconds, best in hist or ():
        if (best <= target + tol) if r["sense"] == "min" else (best >= target - tol):
            return seconds
    return None


def ttt_curve(times: list[float | None], runs: int) -> list[tuple[float, float]]:
    """The empirical distribution of the time to target: one point (t, k / runs) per run
    that reached it, k of them by time t (ties share the last k); runs that never reached
    it (None) count in ``runs`` only, so the curve ends below 1 when some missed."""
    reached = sorted(t for t in times if t is not None)
    if runs < len(reached) or runs < 1:
        raise ValueError(f"ttt_curve: {len(reached)} reached times for {runs} runs")
    points: list[tuple[float, float]] = []
    for k, t in enumerate(reached, start=1):
        if points and points[-1][0] == t:
            points[-1] = (t, k / runs)
        else:
            points.append((t, k / runs))
    return points


def ttt_groups(rows: list[dict[str, Any]], order: list[str]
               ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """GQAP rows with a reference by instance, then by solver label (config order): the
    curves of one time-to-target panel. Labels whose runs stored no trajectory at all are
    left out (they have no curve)."""
    rows = [r for r in rows if r["family"] == "classic" and r.get("reference") is not None]
    rank = label_rank(rows, order)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in sorted(rows, key=lambda r: (r["instance"], rank[r["label"]], r["seed"])):
        out.setdefault(r["instance"], {}).setdefault(r["label"], []).append(r)
    for inst in out:
        out[inst] = {lab: rs for lab, rs in out[inst].items()
                     if any(trajectory(r) is not None for r in rs)}
    return {inst: g for inst, g in out.items() if g}
