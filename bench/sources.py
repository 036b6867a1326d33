"""Loading the instances a configuration names, for the sweep's plan (``bench.grid``):
from a shipped set of the library (``gqap.library``, whose manifest may record reference
values and certified bounds), a set generated on the fly from its definition, files, or
seeded generation; each checked against its manifest's SHA-256, filtered, deduplicated by
content hash and recorded with its size parameters (``InstanceRecord``)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.config import ROOT, BenchConfig, InstanceSource
from gqap.errors import GQAPError
from gqap.family import Instance, family_of
from gqap.family import family as family_spec
from gqap.hashing import sha256_file


@dataclass(frozen=True)
class InstanceRecord:
    """A loaded instance with what the harness needs to know about it.

    ``best_known`` is a known reference value (a config's best-known file, or the manifest
    of a shipped set), stored under ``reference_kind``: 'best_known', or 'exact' for a
    proven optimum; ``reference_source`` says where it comes from. ``proven_bound`` is a
    certified lower bound a shipped set's manifest records (GQAP), described by
    ``bound_source``.
    """

    name: str
    instance: Instance = field(repr=False)
    hash: str
    family: str
    size: int
    secondary: int
    b_max: int | None
    params: dict[str, Any]
    origin: str
    reference_solver: str | None
    best_known: float | None = None
    reference_kind: str = "best_known"
    reference_source: str = "best-known file of the config"
    proven_bound: float | None = None
    bound_source: str = ""


def resolve_path(path: str, config_source: str) -> Path | None:
    """An existing path for ``path``: as given, beside the config file, or in the project
    root (in that order); None when none exists."""
    p = Path(path)
    candidates = [p] if p.is_absolute() else [
        p, Path(config_source).parent / p, ROOT / p]
    for c in candidates:
        if c.exists():
            return c
    return None


def instance_params(inst: Any) -> dict[str, Any]:
    """Size parameters used by filters, grouping and reports: the family's
    ``size_params`` (n_users, G, B_max for offloading; n, m for classic; n_users, S for
    multi)."""
    return family_of(inst).size_params(inst)


def default_reference_solver(family: str) -> str | None:
    """The reference solver of ``reference_solver = "auto"``: the family's reference
    solver where the solver supports the family, none otherwise (classic: the references
    come from a manifest, a best-known file, a proof or the best value found)."""
    from gqap.solvers.registry import solver_spec

    ref = family_spec(family, warn=False).reference_solver
    return ref if ref and family in solver_spec(ref).families else None


def _record(inst: Any, origin: str, ref: str | None,
            extra: dict[str, Any] | None = None) -> InstanceRecord:
    params = {**(extra or {}), **instance_params(inst)}
    if ref == "auto":
        ref = default_reference_solver(inst.family)
    return InstanceRecord(
        name=inst.name, instance=inst, hash=inst.content_hash(), family=inst.family,
        size=inst.size, secondary=params[family_of(inst).secondary],
        b_max=params.get("B_max"), params=params, origin=origin, reference_solver=ref)


def read_best_known(path: Path) -> dict[str, float]:
    """Instance name -> best-known objective from a CSV with an 'instance' column and a
    value column (best_known_cost, best_known, bks, reference or value)."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        value_col = next((c for c in ("best_known_cost", "best_known", "bks", "reference",
                                      "value") if c in cols), None)
        if "instance" not in cols or value_col is None:
            raise GQAPError(f"{path}: a best-known file needs an 'instance' column and one of "
                            "best_known_cost, best_known, bks, reference, value")
        out = {}
        for row in reader:
            try:
                out[row["instance"].strip()] = float(row[value_col])
            except (TypeError, ValueError) as exc:
                raise GQAPError(f"{path}: bad value {row[value_col]!r} for "
                                f"{row['instance']!r}") from exc
    return out


def _matches(params: dict[str, Any], where: dict[str, tuple[Any, ...]]) -> bool:
    return all(params.get(k) in v for k, v in where.items())


def _take_cases(items: list[tuple[dict[str, Any], Any]], cases: int | None) -> list[Any]:
    """Keep the first ``cases`` items of each parameter group (seeds and names excluded)."""
    if cases is None:
        return [it for _, it in items]
    seen: dict[str, int] = defaultdict(int)
    out = []
    for params, it in items:
        key = json.dumps({k: v for k, v in params.items() if k not in ("seed", "name")},
                         sort_keys=True, default=str)
        if seen[key] < cases:
            seen[key] += 1
            out.append(it)
    return out


def _check_where(src: InstanceSource, known: set[str], where: str) -> None:
    unknown = sorted(set(src.where) - known)
    if unknown:
        raise GQAPError(f"config {where}: 'where' names unknown parameter {unknown[0]!r} "
                        f"(parameters: {', '.join(sorted(known))})")


def _load_set(src: InstanceSource, where: str, config_source: str) -> list[InstanceRecord]:
    from gqap.instance_sets import (
        MANIFEST,
        generate_case,
        get_set,
        read_manifest,
        set_bounds,
        set_references,
    )
    from gqap.io import read_instance
    from gqap.library import set_dir, shipped_sets

    name = src.spec["set"]
    folder = (resolve_path(src.spec["dir"], config_source) if "dir" in src.spec
              else set_dir(name) if name in shipped_sets() else None)
    if folder is not None and (folder / MANIFEST).exists():
        rows = read_manifest(folder)["instances"]
        known = set_references(folder)
        lower = set_bounds(folder)
        items = [({**r.get("params", {}), "seed": r.get("seed"), "name": Path(r["file"]).stem},
                  r) for r in rows]
        _check_where(src, {k for p, _ in items for k in p} | {"n_users", "G", "B_max"}, where)
        chosen = _take_cases([(p, r) for p, r in items if _matches(p, src.where)], src.cases)
        out = []
        for row in chosen:
            path = folder / row["file"]
            _check_sha256(path, row["sha256"])
            rec = _record(read_instance(path), f"set {name} ({folder}/{row['file']})",
                          src.reference_solver, {**row.get("params", {}),
                                                 "seed": row.get("seed"),
                                                 "name": Path(row["file"]).stem})
            ref = known.get(Path(row["file"]).stem)
            if ref is not None:
                rec = InstanceRecord(**{
                    **rec.__dict__, "best_known": ref.value, "reference_kind": ref.harness_kind,
                    "reference_source": f"{ref.kind.replace('_', '-')}, manifest of set "
                                        f"{name}: {ref.source}"})
            bound = lower.get(Path(row["file"]).stem)
            if bound is not None:
                rec = InstanceRecord(**{
                    **rec.__dict__, "proven_bound": bound.value,
                    "bound_source": f"bound, manifest of set {name}: {bound.method} "
                                    f"({bound.date})"})
            out.append(rec)
        return out
    if "dir" in src.spec:
        raise GQAPError(f"config {where}: set folder {src.spec['dir']!r} has no {MANIFEST}")
    cases = get_set(name).cases()
    items = [({**c.params, "seed": c.seed}, c) for c in cases]
    _check_where(src, {k for p, _ in items for k in p}, where)
    chosen = _take_cases([(p, c) for p, c in items if _matches(p, src.where)], src.cases)
    return [_record(generate_case(c, f"{name}-{Path(c.file).stem}"),
                    f"set {name} (generated on the fly, seed {c.seed})", src.reference_solver,
                    {**c.params, "seed": c.seed}) for c in chosen]


def _check_sha256(path: Path, expected: str | None) -> None:
    """Refuse a file whose SHA-256 differs from the one its set's manifest records."""
    if expected is not None and sha256_file(path) != expected:
        raise GQAPError(f"{path}: SHA-256 differs from the manifest; the file was changed "
                        "after the set was written")


def _manifest_hashes(folder: Path) -> dict[str, str]:
    """File name -> SHA-256 from the folder's manifest.json ({} when there is none)."""
    from gqap.instance_sets import MANIFEST, read_manifest

    if not (folder / MANIFEST).is_file():
        return {}
    try:
        return {str(r["file"]): str(r["sha256"]) for r in read_manifest(folder)["instances"]}
    except (KeyError, TypeError) as exc:
        raise GQAPError(f"{folder / MANIFEST}: bad instance row ({exc})") from None


def _load_path(src: InstanceSource, where: str, config_source: str) -> list[InstanceRecord]:
    from gqap.io import read_instance

    base = resolve_path(src.spec["path"], config_source)
    if base is None:
        raise GQAPError(f"config {where}: path {src.spec['path']!r} not found (looked in the "
                        f"current folder, beside the config and in {ROOT})")
    if base.is_dir():
        pattern = src.spec.get("glob", "*")
        files = sorted(p for p in base.glob(pattern) if p.is_file()
                       and not p.name.startswith(".") and p.name != "manifest.json"
                       and p.suffix.lower() not in (".csv", ".md"))
        if not files:
            raise GQAPError(f"config {where}: no instance files match {pattern!r} in {base}")
    else:
        files = [base]
    hashes: dict[Path, dict[str, str]] = {}
    recs = []
    for f in files:  # a file listed in its folder's manifest must still match it
        known = hashes.setdefault(f.parent, _manifest_hashes(f.parent))
        _check_sha256(f, known.get(f.relative_to(f.parent).as_posix()))
        recs.append(_record(read_instance(f), str(f), src.reference_solver))
    _check_where(src, {k for r in recs for k in r.params}, where)
    return _take_cases([(r.params, r) for r in recs if _matches(r.params, src.where)],
                       src.cases)


def case_seed(*parts: int | float | str) -> int:
    """The generation seed of one generated case, derived from the source seed and the
    case's parameters (recorded with the instance); a word (the online family's arrival
    profile) counts by the first 4 bytes of its SHA-256."""
    ints = [int.from_bytes(hashlib.sha256(p.encode()).digest()[:4], "little")
            if isinstance(p, str) else int(round(p * 1000)) if isinstance(p, float) else int(p)
            for p in parts]
    return int(np.random.SeedSequence(ints).generate_state(1)[0])


def _load_generated(src: InstanceSource, where: str) -> list[InstanceRecord]:
    s = src.spec
    spec = family_spec(s["generate"], warn=False)
    grid = spec.grid
    out = []
    for values in itertools.product(*(s[a.key] for a in grid.axes)):
        for c in range(src.cases or 1):
            seed = case_seed(s["seed"], grid.tag, *values, c)
            params = {a.param: v for a, v in zip(grid.axes, values, strict=True)}
            try:
                inst = spec.generate(np.random.default_rng(seed), **params,
                                     name=grid.case_name(values, c, s["seed"]), seed=seed,
                                     **s.get("model", {}))
            except (GQAPError, TypeError) as exc:  # TypeError: an unknown generator option
                raise GQAPError(f"config {where}: {exc}") from exc
            extra = {"seed": seed, **{a.key: v for a, v in zip(grid.axes, values, strict=True)
                                      if a.key in grid.record}}
            out.append(_record(inst, f"generated {spec.name} seed {seed}",
                               src.reference_solver, extra))
    _check_where(src, {k for r in out for k in r.params}, where)
    return [r for r in out if _matches(r.params, src.where)]


def load_instances(config: BenchConfig) -> tuple[dict[str, InstanceRecord], list[str]]:
    """Every instance of the configuration by content hash, and the optional sources that
    were skipped (with the reason)."""
    out: dict[str, InstanceRecord] = {}
    skipped = []
    for i, src in enumerate(config.instances):
        where = f"{config.source}: instances[{i}]"
        try:
            if src.kind == "set":
                recs = _load_set(src, where, config.source)
            elif src.kind == "path":
                recs = _load_path(src, where, config.source)
            else:
                recs = _load_generated(src, where)
            best = {}
            if src.best_known:
                path = resolve_path(src.best_known, config.source)
                if path is None:
                    raise GQAPError(f"config {where}: best_known file {src.best_known!r} "
                                    "not found")
                best = read_best_known(path)
        except GQAPError as exc:
            if not src.optional:
                raise
            skipped.append(f"instances[{i}] skipped: {exc}")
            continue
        for rec in recs:
            value = best.get(rec.name)
            if value is not None:  # a config's own file overrides a manifest's value
                rec = InstanceRecord(**{**rec.__dict__, "best_known": value,
                                        "reference_kind": "best_known",
                                        "reference_source": "best-known file of the config"})
            out.setdefault(rec.hash, rec)
    return out, skipped
