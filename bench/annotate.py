"""``gqap bench bounds``: the best certified bound (and best solution) a sweep stored for
each instance of a shipped GQAP set, and writing them into the set's manifest.

The bound of a stored run is what it proved about the optimum: the optimum itself for a
run with status ``optimal``, else its ``bound`` (status ``bound`` of the bound-only solver,
or a branch and bound stopped at its limit). Errors prove nothing. Instances are matched to
the manifest by content hash, so renamed files or other sets' instances never mix.

Written manifest objects (``gqap.instance_sets.annotate_manifest``):

- ``bound``: {value, method, budget_s, command, date} plus solver, label, options, status,
  seed, wall_s and the sweep folder; a stronger bound already in the manifest is kept;
- ``reference`` (``write_references``, for sets whose references this suite finds, such as
  the large tier): {value, kind 'best_known', source, notes, assignment, obtained} with
  how it was found; a literature reference (not written by this suite) is never replaced,
  nor is a better value already recorded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gqap.bench.references import FOUND_STATUSES
from gqap.errors import GQAPError
from gqap.solvers.base import Status

SOURCE_PREFIX = "gqap-bench"  # references written by this suite start their source so


@dataclass(frozen=True)
class Annotation:
    """For one instance of a set: the best bound and best solution a sweep stored."""

    stem: str
    instance_hash: str
    reference: float | None
    reference_kind: str | None
    bound: float | None
    bound_row: dict[str, Any] | None
    best: float | None
    best_row: dict[str, Any] | None

    @property
    def open_gap(self) -> float | None:
        """(best known - bound) / best known, the best known being the better of the
        reference and the best stored solution."""
        known = [v for v in (self.best, self.reference if self.reference_kind in
                             ("exact", "best_known", "best_found") else None) if v is not None]
        if not known or self.bound is None:
            return None
        top = min(known)
        return abs(top - self.bound) / max(abs(top), 1e-10)


def run_bound(row: dict[str, Any]) -> float | None:
    """The lower bound a stored GQAP run proved: its optimum when ``optimal``, else its
    bound (statuses bound, feasible, time_limit); None otherwise."""
    if row["status"] == Status.OPTIMAL and row.get("objective") is not None:
        return float(row["objective"])
    b = row.get("bound")
    if row["status"] in (Status.BOUND, Status.FEASIBLE, Status.TIME_LIMIT) and b is not None \
            and math.isfinite(float(b)):
        return float(b)
    return None


def _json(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def collect(sweep_dir: str | Path, set_name: str,
            folder: str | Path | None = None) -> list[Annotation]:
    """Per instance of the shipped set ``set_name`` (manifest order; ``folder``: another
    copy of the set), the best bound and the best solution stored in ``sweep_dir``;
    instances the sweep never ran have neither."""
    from gqap.bench.report import load
    from gqap.instance_sets import iter_set
    from gqap.library import set_dir

    rows = [r for r in load(sweep_dir).rows if r["family"] == "classic"]
    by_hash: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_hash.setdefault(r["instance_hash"], []).append(r)
    out = []
    for entry, inst in iter_set(set_dir(set_name) if folder is None else folder):
        h = inst.content_hash()
        rs = by_hash.get(h, [])
        # the strongest bound; among equal ones (proofs) the fastest run
        bound_row = max((r for r in rs if run_bound(r) is not None),
                        key=lambda r: (run_bound(r), -(r.get("wall_time_s") or 0.0)),
                        default=None)
        found = [r for r in rs if r["status"] in FOUND_STATUSES
                 and r.get("objective") is not None]
        best_row = min(found, key=lambda r: r["objective"], default=None)
        first = rs[0] if rs else {}
        out.append(Annotation(
            Path(entry.file).stem, h, first.get("reference"),
            first.get("reference_kind"), None if bound_row is None else run_bound(bound_row),
            bound_row, None if best_row is None else float(best_row["objective"]), best_row))
    return out


def _method(row: dict[str, Any]) -> str:
    options = _json(row.get("options")) or {}
    opts = ", ".join(f"{k}={v}" for k, v in sorted(options.items()))
    how = {Status.OPTIMAL: "proof of optimality", Status.BOUND: "certified bound",
           }.get(row["status"], "best bound of a branch and bound stopped at its limit")
    return f"{row['solver']}" + (f" ({opts})" if opts else "") + f": {how}"


def bound_object(a: Annotation, command: str, sweep_dir: str | Path) -> dict[str, Any]:
    """The manifest's 'bound' object for an annotation with a bound."""
    r = a.bound_row
    assert r is not None and a.bound is not None
    value = int(a.bound) if float(a.bound).is_integer() else a.bound
    return {"value": value, "method": _method(r), "budget_s": r.get("time_limit"),
            "command": command, "date": str(r.get("finished_at", ""))[:10],
            "solver": r["solver"], "label": r["label"], "options": _json(r.get("options")),
            "status": str(r["status"]), "seed": r["seed"],
            "solver_version": r.get("solver_version"),
            "wall_s": None if r.get("wall_time_s") is None else round(r["wall_time_s"], 3),
            "sweep": str(sweep_dir)}


def reference_object(a: Annotation, command: str, sweep_dir: str | Path) -> dict[str, Any]:
    """The manifest's 'reference' object (kind best_known) for an annotation with a best
    solution: its value, assignment and how it was found."""
    r = a.best_row
    assert r is not None and a.best is not None
    sol = _json(r.get("solution")) or {}
    assignment = sol.get("assignment") if isinstance(sol, dict) else None
    value = int(a.best) if float(a.best).is_integer() else a.best
    return {"value": value, "kind": "best_known",
            "source": f"{SOURCE_PREFIX}: best solution found by any solver in the long runs "
                      f"of {Path(sweep_dir).name}",
            "notes": f"found by {r['label']} (solver {r['solver']}), seed {r['seed']}, "
                     f"time limit {r.get('time_limit')} s; not proven optimal",
            "assignment": assignment,
            "obtained": {"solver": r["solver"], "label": r["label"],
                         "options": _json(r.get("options")), "seed": r["seed"],
                         "solver_version": r.get("solver_version"),
                         "time_limit_s": r.get("time_limit"),
                         "wall_s": None if r.get("wall_time_s") is None
                         else round(r["wall_time_s"], 3),
                         "command": command, "date": str(r.get("finished_at", ""))[:10],
                         "sweep": str(sweep_dir)}}


def write(sweep_dir: str | Path, set_name: str, command: str, bounds: bool = True,
          references: bool = False, folder: str | Path | None = None) -> dict[str, list[str]]:
    """Write the sweep's best bounds (and with ``references`` its best solutions) into the
    manifest of the shipped set ``set_name`` (``folder``: another copy of the set); returns
    {'bounds': stems, 'references': stems} actually written (a stronger bound or better
    reference already recorded stays; an equal reference recorded without its assignment
    or solver version is recorded again from the sweep's run). A bound above the
    instance's reference value is refused with one line."""
    from gqap.instance_sets import annotate_manifest, set_bounds, set_references
    from gqap.library import set_dir

    folder = set_dir(set_name) if folder is None else Path(folder)
    found = collect(sweep_dir, set_name, folder)
    old_bounds, old_refs = set_bounds(folder), set_references(folder)
    new_bounds: dict[str, dict[str, Any]] = {}
    new_refs: dict[str, dict[str, Any]] = {}
    for a in found:
        if references and a.best is not None:
            old = old_refs.get(a.stem)
            ours = old is None or old.source.startswith(SOURCE_PREFIX)
            if ours and (old is None or a.best < old.value
                         or (a.best == old.value and (old.assignment is None
                                                      or "solver_version" not in old.obtained))):
                new_refs[a.stem] = reference_object(a, command, sweep_dir)
        if bounds and a.bound is not None:
            old_b = old_bounds.get(a.stem)
            if old_b is None or a.bound > old_b.value:
                new_bounds[a.stem] = bound_object(a, command, sweep_dir)
    if not new_bounds and not new_refs:
        return {"bounds": [], "references": []}
    annotate_manifest(folder, bounds=new_bounds, references=new_refs)
    return {"bounds": sorted(new_bounds), "references": sorted(new_refs)}


def check_bounds(set_name: str) -> list[str]:
    """One line per instance of a shipped set whose recorded bound exceeds its reference
    value (an empty list when every bound is at or below it)."""
    from gqap.instance_sets import set_bounds, set_references
    from gqap.library import set_dir

    folder = set_dir(set_name)
    refs = set_references(folder)
    bad = []
    for stem, b in set_bounds(folder).items():
        ref = refs.get(stem)
        if ref is not None and b.value > ref.value:
            bad.append(f"{set_name}/{stem}: bound {b.value:.10g} > reference {ref.value:.10g}")
    return bad


def describe(found: list[Annotation]) -> list[list[Any]]:
    """Rows for printing: instance, reference, kind, best found, bound, method, open gap %."""
    out = []
    for a in found:
        method = "-" if a.bound_row is None else a.bound_row["label"]
        gap = a.open_gap
        out.append([a.stem, a.reference, a.reference_kind or "-", a.best, a.bound, method,
                    None if gap is None else 100.0 * gap])
    return out


def not_run(found: list[Annotation]) -> list[str]:
    """Stems of the instances the sweep has no row for."""
    return [a.stem for a in found if a.bound_row is None and a.best_row is None]



def record_proof(set_name: str, record_file: str | Path, record: dict[str, Any],
                 check: Any, command: str, max_bytes: int,
                 folder: str | Path | None = None) -> dict[str, Any]:
    """Record a checked proof (``gqap.classic.proofs.verify_proof``'s ``check`` of ``record``) in
    the manifest of the shipped set ``set_name``: the record is copied into the set's
    proofs/ folder when it has at most ``max_bytes`` bytes (else only its SHA-256 and size
    are kept, and the command that writes it again); a proven optimum becomes the
    instance's reference of kind optimal where the set had only a best-known value.
    Returns the manifest's 'proof' object."""
    import datetime
    import hashlib
    import shutil

    from gqap.instance_sets import annotate_manifest, set_references
    from gqap.library import set_dir

    folder = set_dir(set_name) if folder is None else Path(folder)
    stem = str((record.get("instance") or {}).get("name", ""))
    if not (folder / f"{stem}.txt").exists() and not any(folder.glob(f"{stem}.*")):
        raise GQAPError(f"set {set_name}: no instance {stem!r} for this proof record")
    src = Path(record_file)
    data = src.read_bytes()
    shipped = None
    if len(data) <= max_bytes:
        target = folder / "proofs" / f"{stem}.proof.json.gz"
        target.parent.mkdir(exist_ok=True)
        if src.resolve() != target.resolve():
            shutil.copyfile(src, target)
        shipped = f"proofs/{target.name}"
    proof = {"status": check.status, "value": check.objective,
             "method": "bnb branch and bound (Lagrangean RLT1-type bounds); record checked by "
                       "gqap bench verify-proof",
             "record": shipped, "record_sha256": hashlib.sha256(data).hexdigest(),
             "record_bytes": len(data), "nodes": check.nodes, "leaves": dict(check.leaves),
             "bounds_checked": check.bounds_checked, "command": command,
             "date": datetime.date.today().isoformat()}
    refs = set_references(folder)
    new_ref = {}
    old = refs.get(stem)
    if check.status == "optimal" and old is not None and old.kind != "optimal":
        if check.objective > old.value:
            raise GQAPError(f"{stem}: proven optimum {check.objective:.10g} above the "
                            f"reference {old.value:.10g}; the record cannot be right")
        value = (int(check.objective) if float(check.objective).is_integer()
                 else check.objective)
        new_ref[stem] = {"value": value, "kind": "optimal",
                         "source": f"{SOURCE_PREFIX}: proved optimal by bnb (proof record "
                                   "checked by gqap bench verify-proof)",
                         "notes": f"was best-known {old.value:.10g} ({old.source})",
                         "assignment": record.get("assignment")}
    annotate_manifest(folder, references=new_ref, proofs={stem: proof})
    return proof
