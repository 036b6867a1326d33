"""What a study's pages say, computed from its cells (``bench.site.data.Cell``): the
per-size table, the solver to use per size and time budget, the counts behind the
summary's sentences, the performance profiles' measures and the bound methods' standing.

Definitions (each page says them where it shows them):

- a solver *reaches* an instance when every one of its runs reached the reference (within
  a share of 1e-6); its *time to the reference* there is the mean over those runs of the
  time until the best-so-far value first reached it (from the stored trajectory; where no
  trajectory was stored, the mean wall time of the runs);
- the *time budget* of a solver on a size is its mean wall time there (a time-limited
  search uses its limit); the solver to use for a budget is the one with the lowest mean
  gap among those whose mean time fits in it (5 % slack for the clock's overhead), the
  faster on equal gaps (within 0.01 % of the reference).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from gqap.bench.site.data import Cell, size_unit
from gqap.gaps import bound_gap

GAP_TIE = 1e-4  # gaps within 0.01 % of the reference count as equal
BUDGET_SLACK = 1.05  # a run at its limit plus the clock's overhead still fits that budget
MAX_SIZE_GROUPS = 8


@dataclass
class SizeRow:
    """One solver on one size (facilities or users): instances, runs, runs with a
    solution, runs that reached the reference (None: unknown), mean gap (fraction) and
    mean wall time over the runs with a solution (weighted by runs)."""

    family: str
    size: int
    solver: str
    instances: int
    runs: int
    solved: int
    reached: int | None
    gap: float | None
    time: float | None


def _weighted(pairs: list[tuple[float | None, int]]) -> float | None:
    pairs = [(v, w) for v, w in pairs if v is not None and math.isfinite(v) and w > 0]
    total = sum(w for _, w in pairs)
    return sum(v * w for v, w in pairs) / total if total else None


def solver_order(cells: list[Cell], order: list[str]) -> list[str]:
    """Solvers in ``order`` first, then the rest in order of appearance."""
    seen = list(dict.fromkeys(c.solver for c in cells))
    return [s for s in order if s in seen] + [s for s in seen if s not in order]


def size_rows(cells: list[Cell], order: list[str]) -> list[SizeRow]:
    """Per family, size and solver (in ``order``)."""
    groups: dict[tuple[str, int, str], list[Cell]] = defaultdict(list)
    for c in cells:
        groups[(c.family, c.size, c.solver)].append(c)
    rank = {s: i for i, s in enumerate(solver_order(cells, order))}
    out = []
    for (family, size, solver), cs in sorted(groups.items(),
                                             key=lambda kv: (kv[0][0], kv[0][1],
                                                             rank[kv[0][2]])):
        reached = None if any(c.reached is None for c in cs) else sum(c.reached or 0
                                                                      for c in cs)
        out.append(SizeRow(family, size, solver,
                           sum(1 for c in cs if c.instance is not None) or len(cs),
                           sum(c.runs for c in cs), sum(c.solved for c in cs), reached,
                           _weighted([(c.gap, c.solved) for c in cs]),
                           _weighted([(c.time, c.solved) for c in cs])))
    return out


def size_groups(sizes: list[int]) -> list[tuple[int, int]]:
    """The sizes as at most ``MAX_SIZE_GROUPS`` consecutive (low, high) ranges."""
    sizes = sorted(set(sizes))
    if len(sizes) <= MAX_SIZE_GROUPS:
        return [(s, s) for s in sizes]
    parts = np.array_split(np.array(sizes), MAX_SIZE_GROUPS)
    return [(int(p[0]), int(p[-1])) for p in parts if len(p)]


def group_name(group: tuple[int, int]) -> str:
    """'20' or '20-35'."""
    return str(group[0]) if group[0] == group[1] else f"{group[0]}-{group[1]}"


def budgets(times: list[float]) -> list[float]:
    """Powers of ten from the fastest to the slowest mean time (at most seven)."""
    times = [t for t in times if t is not None and t > 0 and math.isfinite(t)]
    if not times:
        return []
    lo = math.ceil(math.log10(min(times) / BUDGET_SLACK))
    hi = math.ceil(math.log10(max(times) / BUDGET_SLACK))
    hi = max(hi, lo)
    out = [10.0 ** k for k in range(lo, hi + 1)]
    return out[-7:]


def better(a: SizeRow, b: SizeRow | None) -> bool:
    """``a`` has the lower mean gap (beyond ``GAP_TIE``), or an equal gap in less time."""
    if b is None:
        return True
    if abs(a.gap - b.gap) > GAP_TIE:
        return a.gap < b.gap
    return (a.time or math.inf) < (b.time or math.inf)


@dataclass
class Pick:
    """The solver to use for one size group and time budget (None: nothing fits)."""

    group: tuple[int, int]
    budget: float
    row: SizeRow | None


def recommend(rows: list[SizeRow]) -> tuple[list[tuple[int, int]], list[float], list[Pick]]:
    """Size groups, budgets and the pick of each (group, budget) for one family's rows:
    the lowest mean gap among the solvers whose mean time fits the budget."""
    rows = [r for r in rows if r.gap is not None and r.time is not None]
    groups = size_groups([r.size for r in rows])
    limits = budgets([r.time for r in rows])
    picks = []
    for g in groups:
        at = [r for r in rows if g[0] <= r.size <= g[1]]
        merged: dict[str, list[SizeRow]] = defaultdict(list)
        for r in at:
            merged[r.solver].append(r)
        pooled = [SizeRow(r[0].family, g[0], s, sum(x.instances for x in r),
                          sum(x.runs for x in r), sum(x.solved for x in r), None,
                          _weighted([(x.gap, x.solved) for x in r]),
                          _weighted([(x.time, x.solved) for x in r]))
                  for s, r in merged.items()]
        for b in limits:
            best = None
            for r in pooled:
                if r.time <= b * BUDGET_SLACK and better(r, best):
                    best = r
            picks.append(Pick(g, b, best))
    return groups, limits, picks


@dataclass
class Standing:
    """One solver over a family's instances (or size cells): cells, cells where it is
    best (lowest mean gap, ties shared), cells every run of which reached the reference
    (None: unknown), mean gap and mean time over its cells with a solution."""

    solver: str
    cells: int
    wins: int
    reached: int | None
    gap: float | None
    time: float | None


def standings(cells: list[Cell], order: list[str]) -> list[Standing]:
    """Per solver with a solution somewhere, best first (wins, then mean gap)."""
    cells = [c for c in cells if c.solved and c.gap is not None]
    by_unit: dict[tuple[str | None, int, int | None], list[Cell]] = defaultdict(list)
    for c in cells:
        by_unit[(c.instance, c.size, c.sites)].append(c)
    wins: dict[str, int] = defaultdict(int)
    for cs in by_unit.values():
        low = min(c.gap for c in cs)
        for c in cs:
            if c.gap <= low + GAP_TIE:
                wins[c.solver] += 1
    out = []
    for s in solver_order(cells, order):
        cs = [c for c in cells if c.solver == s]
        reached = None if any(c.reached is None for c in cs) else sum(c.all_reached
                                                                      for c in cs)
        out.append(Standing(s, len(cs), wins[s], reached, _weighted([(c.gap, 1) for c in cs]),
                            _weighted([(c.time, 1) for c in cs])))
    out.sort(key=lambda st: (-st.wins / max(st.cells, 1),
                             st.gap if st.gap is not None else math.inf,
                             st.time if st.time is not None else math.inf))
    return out


def time_measure(c: Cell) -> float:
    """The performance profile's measure: the time to the reference where every run
    reached it (mean time to target, else mean wall time), else infinity."""
    if not c.all_reached:
        return math.inf
    t = c.ttt if c.ttt is not None else c.time
    return max(t, 1e-6) if t is not None and math.isfinite(t) else math.inf


@dataclass
class Profile:
    """A performance profile: per solver, the curve's (x, fraction) points; ``units``:
    the instances it is over; ``left_out``: instances no solver reached."""

    curves: dict[str, list[tuple[float, float]]]
    units: int
    left_out: int


def performance_profile(cells: list[Cell], order: list[str]) -> Profile | None:
    """Dolan and More's profile of the time to the reference over the instances at least
    one solver reached: per solver, the fraction of instances it reached within a factor
    tau of the fastest solver (x = tau, from 1); None without per-instance cells or with
    fewer than two solvers."""
    cells = [c for c in cells if c.instance is not None]
    solvers = solver_order(cells, order)
    if len(solvers) < 2:
        return None
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for c in cells:
        table[c.instance][c.solver] = time_measure(c)
    solved = {p: m for p, m in table.items() if min(m.values()) < math.inf}
    if not solved:
        return None
    curves: dict[str, list[tuple[float, float]]] = {}
    n = len(solved)
    for s in solvers:
        ratios = sorted(m.get(s, math.inf) / min(m.values()) for m in solved.values())
        finite = [r for r in ratios if r < math.inf]
        curves[s] = [(r, (i + 1) / n) for i, r in enumerate(finite)]
    return Profile(curves, n, len(table) - n)


def accuracy_profile(cells: list[Cell], order: list[str]) -> Profile | None:
    """Per solver, the fraction of instances whose mean gap is at most x (x a fraction;
    instances without a solution never count); None without per-instance cells."""
    cells = [c for c in cells if c.instance is not None]
    solvers = solver_order(cells, order)
    instances = {c.instance for c in cells}
    if not solvers or not instances or all(c.gap is None for c in cells):
        return None
    n = len(instances)
    curves = {}
    for s in solvers:
        gaps = sorted(max(c.gap, 0.0) for c in cells if c.solver == s and c.gap is not None)
        if gaps:
            curves[s] = [(g, (i + 1) / n) for i, g in enumerate(gaps)]
    return Profile(curves, n, 0) if curves else None


@dataclass
class BoundStanding:
    """A bound method over its instances: instances, instances where its bound is the
    tightest (ties shared), mean gap (best known - bound) / best known and mean time."""

    solver: str
    instances: int
    tightest: int
    gap: float | None
    time: float | None


def bound_standings(cells: list[Cell], order: list[str]) -> list[BoundStanding]:
    """Per method with a proven bound and no solution (bound-only runs), tightest first."""
    bound_cells = [c for c in cells if c.bound is not None and c.solved == 0
                   and c.instance is not None]
    if not bound_cells:
        return []
    by_inst: dict[str, list[Cell]] = defaultdict(list)
    for c in bound_cells:
        by_inst[c.instance].append(c)
    tight: dict[str, int] = defaultdict(int)
    for cs in by_inst.values():
        top = max(c.bound for c in cs) if cs[0].sense == "min" else min(c.bound for c in cs)
        for c in cs:
            if abs(c.bound - top) <= 1e-9 * max(1.0, abs(top)):
                tight[c.solver] += 1
    out = []
    for s in solver_order(bound_cells, order):
        cs = [c for c in bound_cells if c.solver == s]
        out.append(BoundStanding(s, len(cs), tight[s],
                                 _weighted([(bound_gap(c.reference, c.bound), 1) for c in cs]),
                                 _weighted([(c.time, 1) for c in cs])))
    out.sort(key=lambda b: (-b.tightest, b.gap if b.gap is not None else math.inf))
    return out


def kinds(cells: list[Cell]) -> str:
    """The reference kinds of ``cells`` in words ('best-known/optimal'), '-' for none."""
    return "/".join(sorted({c.kind for c in cells if c.kind and c.kind != "-"})) or "-"


def cd_matrix(cells: list[Cell], order: list[str]) -> tuple[list[str], list[str],
                                                            np.ndarray, list[str]]:
    """(instances, solvers, gaps, left_out) for the critical-difference diagram: the mean
    gap of every solver with a solution on every instance that all of them solved
    (solvers missing from more than a quarter of the instances are left out first)."""
    cells = [c for c in cells if c.instance is not None and c.gap is not None]
    solvers = solver_order(cells, order)
    instances = sorted({c.instance for c in cells})
    have = {(c.instance, c.solver): c.gap for c in cells}
    keep = [s for s in solvers
            if sum((p, s) in have for p in instances) >= 0.75 * len(instances)]
    left_out = [s for s in solvers if s not in keep]
    rows = [p for p in instances if all((p, s) in have for s in keep)]
    data = np.array([[have[(p, s)] for s in keep] for p in rows], dtype=float)
    return rows, keep, data.reshape(len(rows), len(keep)), left_out


def instance_groups(cells: list[Cell], order: list[str]) -> list[tuple[str, list[Cell]]]:
    """The family's cells split by the set of solvers that ran on an instance (a race
    over two sets with their own solvers and limits gets one verdict and profile per set;
    with one set, or more than three, a single group named '')."""
    per = [c for c in cells if c.instance is not None]
    ran: dict[str, set[str]] = defaultdict(set)
    for c in per:
        ran[c.instance].add(c.solver)
    kinds_of_sets = {frozenset(v) for v in ran.values()}
    if len(kinds_of_sets) <= 1 or len(kinds_of_sets) > 3:
        return [("", cells)]
    out = []
    for key in kinds_of_sets:
        names = {p for p, v in ran.items() if frozenset(v) == key}
        cs = [c for c in per if c.instance in names]
        lo, hi = min(c.size for c in cs), max(c.size for c in cs)
        unit = size_unit(cs[0].family)
        label = (f"{len(names)} instances of {lo}{'' if lo == hi else f'-{hi}'} {unit} "
                 f"raced by {', '.join(solver_order(cs, order))}")
        out.append((label, cs))
    out.sort(key=lambda g: min(c.size for c in g[1]))
    return out


def bound_profile(cells: list[Cell], order: list[str]) -> Profile | None:
    """Per bound method, the fraction of instances whose bound is within x of the
    reference ((reference - bound) / reference, a fraction)."""
    cells = [c for c in cells if c.bound is not None and c.solved == 0 and c.instance]
    if not cells:
        return None
    n = len({c.instance for c in cells})
    curves = {}
    for s in solver_order(cells, order):
        gaps = sorted(g for c in cells if c.solver == s
                      and (g := bound_gap(c.reference, c.bound)) is not None)
        curves[s] = [(g, (i + 1) / n) for i, g in enumerate(gaps)]
    return Profile(curves, n, 0)
