"""Gap references and gap arithmetic (MODEL.md section 3).

The reference of a run is the best one available for its instance and problem variant
(integer or real split points), in this order:

- ``exact``: the proven optimum (offloading and multi: the exact solver, computed once per
  instance; GQAP: a reference solver such as brute force; GQAP and multi: also a run that
  proved optimality);
- ``best_known``: a value from a reference file (the literature's best-known costs);
- ``proven_bound``: the tightest bound any GQAP or multi run proved (gaps to it are upper
  bounds);
- ``best_found``: the best value any run found (these gaps change as runs land, so they are
  recomputed whenever runs are added and at report time).

Gaps are ``gqap.gaps``'s, signed so that a positive gap means worse than the reference, for
minimisation and maximisation alike: ``gap_abs`` = (ref - value) for max, (value - ref) for
min; ``gap_per_user`` = gap_abs / number of users (facilities for GQAP); ``gap_rel`` =
``gqap.gaps.relative_gap``, left empty when |ref| < 1e-9 (a relative gap to ~0 means
nothing).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from gqap.gaps import absolute_gap, relative_gap
from gqap.solvers.base import Status

REFERENCE_KINDS = ("exact", "best_known", "proven_bound", "best_found")
FOUND_STATUSES = (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT)


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
    bound = None
    for r in rows:
        obj = r.get("objective")
        if obj is None or r.get("status") not in FOUND_STATUSES:
            continue
        if found is None or _better(sense, obj, found):
            found = obj
        if family != "offloading":  # GQAP, multi: runs may prove an optimum or a bound
            if r["status"] == Status.OPTIMAL and (proven is None or _better(sense, obj, proven)):
                proven = obj
            b = r.get("bound")
            if b is not None and math.isfinite(b) and (bound is None or _better(sense, bound, b)):
                bound = b
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


def assign(rows: list[dict[str, Any]],
           stored: dict[tuple[str, str], dict[str, float]]) -> list[dict[str, Any]]:
    """Copies of ``rows`` with reference, reference_kind and gaps filled in; ``stored`` maps
    (instance_hash, variant) -> {kind: value}; variant '' applies to every variant."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["instance_hash"], r["variant"])].append(r)
    out = []
    for (h, variant), members in groups.items():
        refs = {**stored.get((h, ""), {}), **stored.get((h, variant), {})}
        first = members[0]
        value, kind = choose(first["sense"], first["family"], refs, members)
        for r in members:
            ga, gu, gr = gaps(r["sense"], r.get("objective"), value,
                              r["n_users_or_facilities"])
            out.append({**r, "reference": value, "reference_kind": kind, "gap_abs": ga,
                        "gap_per_user": gu, "gap_rel": gr})
    return out
