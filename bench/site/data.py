"""What the results site is built from: one record per run, or the report's tables.

A sweep folder holds every run in its store; a results folder (``results/NAME``) holds the
report's tables and, written by the report since the site exists, ``runs.csv``: one line
per run with what the site shows (``RUN_COLUMNS``: the run's cost, gap, times, its proven
bound, and its instance's reference, reference kind and certified bound). Studies reported
before that ship only aggregate tables; ``cells_from_tables`` reads those (per instance and
solver for GQAP, per size and solver for the offloading families), so their pages show what
the tables hold and say what is missing.

A ``Cell`` is one solver on one instance (or, from size-level tables, one size): the unit
of the summary, the performance profiles and the critical-difference diagram.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from gqap.bench.studies.common import REACHED_REL, run_bound
from gqap.bench.studies.ttt import target_value, time_to_target
from gqap.bench.tables import KIND_LABELS, ok
from gqap.errors import GQAPError
from gqap.family import FamilySpec, current, families
from gqap.family import family as family_spec
from gqap.family import names as family_names

RUNS_FILE = "runs.csv"
NEAR_PCT = 0.5  # the second time-to-target: 0.5 % worse than the reference (the race's)


@dataclass
class Run:
    """One run as the site shows it (times in seconds, gap_rel a fraction, positive =
    worse; kind in words: optimal, best-known, bound, best-found)."""

    instance: str
    family: str
    sense: str
    solver: str
    seed: int
    size: int
    sites: int | None
    time_limit: float | None
    status: str
    objective: float | None
    gap_rel: float | None
    reached: bool
    wall_time_s: float | None
    ttt_s: float | None
    ttt_near_s: float | None
    run_bound: float | None
    reference: float | None
    kind: str
    instance_bound: float | None


RUN_COLUMNS = tuple(f.name for f in fields(Run))
_INT = {"seed", "size", "sites"}
_FLOAT = {"time_limit", "objective", "gap_rel", "wall_time_s", "ttt_s", "ttt_near_s",
          "run_bound", "reference", "instance_bound"}


def _spec(family: str) -> FamilySpec | None:
    """The registered spec of ``family`` (an old name accepted), None for a family stored
    data names but this installation does not register."""
    name = current(family)
    return family_spec(name, warn=False) if name in family_names() else None


def per_instance(family: str) -> bool:
    """True for a family whose objective is not a sum over users (GQAP): its report tables
    go per instance, and the site shows the open gap to the certified bound."""
    spec = _spec(family)
    return spec is not None and not spec.per_user


def size_unit(family: str) -> str:
    """What a size counts in ``family``: its spec's ``size_unit`` (users when unknown)."""
    spec = _spec(family)
    return spec.size_unit if spec is not None else "users"


def secondary_title(family: str) -> str:
    """The word for ``family``'s second size parameter on pages (sites, G)."""
    spec = _spec(family)
    return (spec.secondary_title or spec.secondary) if spec is not None else "sites"


def summary_tables(folder: Path) -> list[tuple[FamilySpec, Path]]:
    """The report's summary table of each family in a results folder (``summary_NAME.csv``,
    an old name accepted): the per-instance ones first, then the per-size ones."""
    out = []
    for spec in sorted(families(), key=lambda f: f.per_user):
        path = next((p for p in (folder / f"summary_{n}.csv" for n in (spec.name, *spec.aliases))
                     if p.is_file()), None)
        if path is not None:
            out.append((spec, path))
    return out


def _reached(r: dict[str, Any]) -> bool:
    ref, gap = r.get("reference"), r.get("gap_abs")
    return ok(r) and gap is not None and gap <= REACHED_REL * max(1.0, abs(ref))


def _ttt(r: dict[str, Any], pct: float) -> float | None:
    if r.get("reference") is None:
        return None
    return time_to_target(r, target_value(r["reference"], r["sense"], pct))


def runs_from_rows(rows: Iterable[dict[str, Any]]) -> list[Run]:
    """The site's records of a report's rows (``bench.report.load``: current gaps)."""
    out = []
    for r in rows:
        out.append(Run(
            instance=r["instance"], family=r["family"], sense=r["sense"], solver=r["label"],
            seed=int(r["seed"]),
            size=int(r["n_users_or_facilities"]), sites=r.get("gpus_or_sites"),
            time_limit=r.get("time_limit"), status=str(r["status"]),
            objective=r.get("objective") if ok(r) else None, gap_rel=r.get("gap_rel"),
            reached=_reached(r), wall_time_s=r.get("wall_time_s"), ttt_s=_ttt(r, 0.0),
            ttt_near_s=_ttt(r, NEAR_PCT), run_bound=run_bound(r),
            reference=r.get("reference"),
            kind=KIND_LABELS.get(r.get("reference_kind") or "", r.get("reference_kind") or "-"),
            instance_bound=r.get("instance_bound")))
    out.sort(key=lambda x: (x.instance, x.solver, x.seed))
    return out


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return "" if not math.isfinite(v) else format(v, ".10g")
    return str(v)


def runs_csv(runs: list[Run]) -> str:
    """``runs.csv``'s text: ``RUN_COLUMNS``, floats to 10 significant digits."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RUN_COLUMNS)
    for r in runs:
        w.writerow([_cell_text(getattr(r, c)) for c in RUN_COLUMNS])
    return buf.getvalue()


def _parse(column: str, text: str) -> Any:
    if column in _INT:
        return int(text) if text else None
    if column in _FLOAT:
        return float(text) if text else None
    if column == "reached":
        return text == "1"
    return text


def read_runs_csv(path: Path) -> list[Run]:
    """The records of a ``runs.csv``; a file with other columns is refused by name."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != RUN_COLUMNS:
            raise GQAPError(f"{path}: expected the columns {', '.join(RUN_COLUMNS)}")
        try:
            return [Run(**{c: _parse(c, row[c]) for c in RUN_COLUMNS}) for row in reader]
        except ValueError as exc:
            raise GQAPError(f"{path}: line {reader.line_num}: {exc}") from None


# ---------------------------------------------------------------------------------------
# cells
# ---------------------------------------------------------------------------------------
@dataclass
class Cell:
    """One solver on one instance (``instance`` None: on one size of a size-level table):
    runs, runs with a solution, runs that reached the reference (None: unknown), mean gap
    (fraction) and mean wall time over the runs with a solution, mean time to the
    reference over the runs that reached it (None: not recorded), the best cost, the best
    bound a run proved, the instance's reference (kind in words) and certified bound."""

    solver: str
    family: str
    sense: str
    instance: str | None
    size: int
    sites: int | None
    runs: int
    solved: int
    reached: int | None
    gap: float | None
    time: float | None
    ttt: float | None
    best: float | None
    bound: float | None
    reference: float | None
    kind: str
    instance_bound: float | None
    time_limit: float | None = None

    @property
    def all_reached(self) -> bool:
        """Every run reached the reference (known to)."""
        return self.reached is not None and self.runs > 0 and self.reached == self.runs


def _mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None and math.isfinite(v)]
    return sum(xs) / len(xs) if xs else None


def cells_from_runs(runs: list[Run]) -> list[Cell]:
    """One cell per (instance, solver) of ``runs``."""
    groups: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for r in runs:
        groups[(r.instance, r.solver)].append(r)
    out = []
    for (inst, solver), rs in groups.items():
        good = [r for r in rs if r.objective is not None]
        sense_min = rs[0].sense == "min"
        costs = [r.objective for r in good]
        bounds = [r.run_bound for r in rs if r.run_bound is not None]
        best_bound = (max(bounds) if sense_min else min(bounds)) if bounds else None
        limits = {r.time_limit for r in rs}
        out.append(Cell(
            solver=solver, family=rs[0].family, sense=rs[0].sense, instance=inst, size=rs[0].size,
            sites=rs[0].sites, runs=len(rs), solved=len(good),
            reached=sum(r.reached for r in rs), gap=_mean(r.gap_rel for r in good),
            # the report's rule: the time of the runs with a solution; a bound-only
            # solver's cell (status bound) shows its runs' time instead
            time=_mean(r.wall_time_s for r in (good or [r for r in rs
                                                        if r.status == "bound"])),
            ttt=_mean(r.ttt_s for r in rs if r.reached) if any(
                r.ttt_s is not None for r in rs) else None,
            best=((min(costs) if sense_min else max(costs)) if costs else None),
            bound=best_bound, reference=rs[0].reference, kind=rs[0].kind,
            instance_bound=rs[0].instance_bound,
            time_limit=limits.pop() if len(limits) == 1 else None))
    out.sort(key=lambda c: (c.family, c.instance or "", c.solver))
    return out


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a report CSV (header -> text)."""
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _f(row: dict[str, str], key: str) -> float | None:
    v = row.get(key, "")
    try:
        return float(v) if v not in ("", None) else None
    except ValueError:
        return None


def _i(row: dict[str, str], key: str) -> int | None:
    v = _f(row, key)
    return None if v is None else int(v)


def cells_from_tables(folder: Path) -> list[Cell]:
    """Cells from a results folder's report tables, for studies without ``runs.csv``:
    a family reported per instance (GQAP: ``summary_gqap.csv``, with ``race_instances.csv``'s
    runs that reached the reference, ``ttt.csv``'s time to it and ``bounds.csv``'s proven
    bounds) per instance and solver, the families whose objective is a sum over users per
    size and solver (``summary_offloading.csv``, ``summary_multi.csv``)."""
    out: list[Cell] = []
    tables = summary_tables(folder)
    for spec, gq in tables:
        if spec.per_user:
            continue
        reached: dict[tuple[str, str], int] = {}
        if (folder / "race_instances.csv").is_file():
            for row in read_table(folder / "race_instances.csv"):
                reached[(row["instance"], row["solver"])] = _i(row, "reached") or 0
        ttt: dict[tuple[str, str], float | None] = {}
        if (folder / "ttt.csv").is_file():
            for row in read_table(folder / "ttt.csv"):
                if row["target"] == "ref":
                    ttt[(row["instance"], row["solver"])] = _f(row, "time mean s")
        bounds: dict[tuple[str, str], tuple[float, float | None]] = {}
        if (folder / "bounds.csv").is_file():  # the first seed's bound and its time
            for row in read_table(folder / "bounds.csv"):
                b = _f(row, "bound")
                if b is not None:
                    bounds[(row["instance"], row["method"])] = (b, _f(row, "wall s"))
        for row in read_table(gq):
            key = (row["instance"], row["solver"])
            runs, solved, gap = _i(row, "runs") or 0, _i(row, "solved") or 0, _f(row,
                                                                                 "gap % mean")
            kind = row.get("kind") or "-"
            if key in reached:
                got: int | None = reached[key]
            elif not solved:
                got = 0
            elif gap is not None and gap <= REACHED_REL and solved == runs and (
                    runs == 1 or kind == "best-found"):
                got = runs  # one run, or none can beat the reference: a mean gap of 0 is all
            else:
                got = None
            out.append(Cell(
                solver=row["solver"], family=spec.name, sense=spec.sense,
                instance=row["instance"], size=_i(row, "n") or 0, sites=_i(row, spec.secondary),
                runs=runs, solved=solved,
                reached=got, gap=gap, ttt=ttt.get(key),
                time=_f(row, "time s mean") if solved else bounds.get(key, (0, None))[1],
                best=_f(row, "cost best"), bound=bounds.get(key, (None,))[0],
                reference=_f(row, "reference"), kind=kind,
                instance_bound=_f(row, "bound")))
    for spec, path in tables:
        if not spec.per_user:
            continue
        for row in read_table(path):
            out.append(Cell(
                solver=row["solver"], family=spec.name, sense=spec.sense, instance=None,
                size=_i(row, "users") or 0, sites=_i(row, spec.secondary),
                runs=_i(row, "runs") or 0,
                solved=_i(row, "solved") or 0, reached=None, gap=_f(row, "gap % mean"),
                time=_f(row, "time s mean"), ttt=None, best=None, bound=None, reference=None,
                kind=row.get("reference") or "-", instance_bound=None))
    return out
