"""Gap references and gap arithmetic (MODEL.md section 3).

The reference of a run is the best one available for its instance and problem variant
(integer or real split points), in this order:

- ``exact``: the proven optimum (offloading and multi: the exact solver, computed once per
  instance; GQAP: a reference solver such as brute force; GQAP and multi: also a run that
  proved optimality);
- ``best_known``: a value from a reference file (the literature's best-known costs);
- ``proven_bound``: the tightest bound proved for a GQAP or multi instance, by any run (a
  ``bound`` row of the bound-only ``bound`` solver, or a branch and bound's bound) or, for a
  shipped GQAP set, recorded in its manifest (gaps to it are upper bounds);
- ``best_found``: the best value any run found (these gaps change as runs land, so they are
  recomputed whenever runs are added and at report time).

Gaps are ``gqap.gaps``'s, signed so that a positive gap means worse than the reference, for
minimisation and maximisation alike: ``gap_abs`` = (ref - value) for max, (value - ref) for
min; ``gap_per_user`` = gap_abs / number of users (facilities for GQAP); ``gap_rel`` =
``gqap.gaps.relative_gap``, left empty when |ref| < 1e-9 (a relative gap to ~0 means
nothing).

Besides the reference, every GQAP and multi row gets ``instance_bound`` (the tightest proven
bound on the instance's optimum: a stored ``proven_bound``, a proven optimum, or any run's
bound) and ``open_gap``, ``gqap.gaps.bound_gap`` between the best known solution value (the
reference value, or a better solution a run found) and that bound: how far the best known
solution could still be from the optimum (0 once it is proven optimal).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from gqap.family import family as family_spec
from gqap.gaps import absolute_gap, bound_gap, relative_gap
from gqap.solvers.base import Status

REFERENCE_KINDS = ("exact", "best_known", "proven_bound", "best_found")
FOUND_STATUSES = (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)
# Statuses whose 'bound' is a proven bound on the optimum ('bound': a bound-only run).
BOUND_STATUSES = (*FOUND_STATUSES, Status.BOUND)


def gaps(sense: str, value: float | None, reference: float | None,
         size: int) -> tuple[float | None, float | None, float | None]:
    """(gap_abs, gap_per_user, gap_rel) of ``value`` against ``reference``; positive = worse."""
    gap_abs = absolute_gap(reference, value, sense)
    if gap_abs is None:
        return None, None, None
    return gap_abs, gap_abs / max(size, 1), relative_gap(reference, value, sense)


def _better(sense: str, a: float, b: float) -> bool:
    return a > b if sense == "max" else a < b


def choose(sense: str, family: str, stored: dict[str, float],
           rows: Iterable[dict[str, Any]]) -> tuple[float | None, str | None]:
    """The best reference for one (instance, variant): ``stored`` maps kind -> value
    (exact, best_known), ``rows`` are the runs of that instance and variant."""
    found = None
    proven = None
    proves = family_spec(family, warn=False).bounds
    rows = list(rows)
    for r in rows:
        obj = r.get("objective")
        if obj is None or r.get("status") not in FOUND_STATUSES:
            continue
        if found is None or _better(sense, obj, found):
            found = obj
        if proves:  # a family whose runs may prove an optimum or a bound
            if r["status"] == Status.OPTIMAL and (proven is None or _better(sense, obj, proven)):
                proven = obj
    bound = best_bound(sense, family, stored, rows, solutions=False)
    if stored.get("exact") is not None:
        return stored["exact"], "exact"
    if proven is not None:
        return proven, "exact"
    if stored.get("best_known") is not None:
        return stored["best_known"], "best_known"
    if bound is not None:
        return bound, "proven_bound"
    if found is not None:
        return found, "best_found"
    return None, None


def best_bound(sense: str, family: str, stored: dict[str, float],
               rows: Iterable[dict[str, Any]], solutions: bool = True) -> float | None:
    """The tightest proven bound on the optimum of one instance of a family with bounds
    (``FamilySpec.bounds``: classic, multi; None otherwise): a stored ``proven_bound``,
    every run's bound (statuses ``BOUND_STATUSES``)
    and, with ``solutions``, a stored exact optimum (unless a run found a better solution,
    which disproves it) and every proven optimum's value."""
    if not family_spec(family, warn=False).bounds:
        return None
    tighter = max if sense == "min" else min
    rows = list(rows)
    found = [stored.get("proven_bound")]
    exact = stored.get("exact")
    if solutions and exact is not None and not any(
            r.get("objective") is not None and r.get("status") in FOUND_STATUSES
            and _better(sense, r["objective"], exact) for r in rows):
        found.append(exact)
    for r in rows:
        if r.get("status") in BOUND_STATUSES:
            found.append(r.get("bound"))
        if solutions and r.get("status") == Status.OPTIMAL:
            found.append(r.get("objective"))
    found = [float(b) for b in found if b is not None and math.isfinite(b)]
    return tighter(found) if found else None


def _best_solution(sense: str, rows: list[dict[str, Any]], value: float | None,
                   kind: str | None) -> float | None:
    """The best known solution value: the reference unless it is a bound, or a better
    value a run found."""
    best = value if kind in ("exact", "best_known", "best_found") else None
    for r in rows:
        obj = r.get("objective")
        if obj is not None and r.get("status") in FOUND_STATUSES and \
                (best is None or _better(sense, obj, best)):
            best = obj
    return best


def assign(rows: list[dict[str, Any]],
           stored: dict[tuple[str, str], dict[str, float]]) -> list[dict[str, Any]]:
    """Copies of ``rows`` with reference, reference_kind, gaps, instance_bound, open_gap and
    reference_stored filled in; ``stored`` maps (instance_hash, variant) -> {kind: value};
    variant '' applies to every variant."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["instance_hash"], r["variant"])].append(r)
    out = []
    for (h, variant), members in groups.items():
        refs = {**stored.get((h, ""), {}), **stored.get((h, variant), {})}
        first = members[0]
        value, kind = choose(first["sense"], first["family"], refs, members)
        lower = best_bound(first["sense"], first["family"], refs, members)
        # True when the reference is a stored value (an exact solver's, a shipped set's
        # manifest or a best-known file), not one a run of this sweep found or proved.
        stored_ref = kind is not None and refs.get(kind) == value
        best = _best_solution(first["sense"], members, value, kind)
        open_gap = bound_gap(best, lower) if lower is not None else None
        for r in members:
            ga, gu, gr = gaps(r["sense"], r.get("objective"), value,
                              r["n_users_or_facilities"])
            out.append({**r, "reference": value, "reference_kind": kind, "gap_abs": ga,
                        "gap_per_user": gu, "gap_rel": gr, "instance_bound": lower,
                        "open_gap": open_gap, "reference_stored": stored_ref})
    return out
