"""Expanding a configuration into the runs of a sweep: (solver label, instance, seed).

Instances are loaded by ``bench.sources`` (shipped sets, sets generated from their
definition, files, seeded generation; filtered and deduplicated by content hash); solvers
are resolved in the registry (their options validated up front, optional ones skipped with a
reason when their module does not exist yet). Every run gets a deterministic ``run_id``
built from the resume key (label, instance hash, seed, config hash).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from gqap.bench.config import BenchConfig, SolverEntry
from gqap.bench.sources import InstanceRecord, load_instances
from gqap.errors import GQAPError
from gqap.family import family as family_spec

HARNESS_VERSION = 1  # bump when a change makes stored runs incomparable


@dataclass(frozen=True)
class Run:
    """One (solver label, instance, seed) of a sweep."""

    run_id: str
    label: str
    solver: str
    target: str | None
    families: tuple[str, ...]
    options: dict[str, Any]
    solver_version: str
    time_limit: float
    seed: int
    config_hash: str
    instance_hash: str
    variant: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        """The resume key: (label, instance hash, seed, config hash)."""
        return (self.label, self.instance_hash, self.seed, self.config_hash)


@dataclass(frozen=True)
class ReferenceJob:
    """An exact reference to compute once per (instance, split variant)."""

    instance_hash: str
    variant: str
    solver: str
    options: dict[str, Any]


@dataclass
class Plan:
    """The expanded sweep: instances by hash, runs, references to compute, and notes."""

    config: BenchConfig
    instances: dict[str, InstanceRecord]
    runs: list[Run]
    references: list[ReferenceJob]
    skipped_solvers: list[tuple[str, str]]
    notes: list[str]
    unsupported_pairs: int


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------
def _digest(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:n]


def run_id(label: str, instance_hash: str, seed: int, config_hash: str) -> str:
    """Deterministic id of a run: the same resume key always gives the same id."""
    return _digest([label, instance_hash, int(seed), config_hash], 20)


def split_variant(family: str, options: dict[str, Any]) -> str:
    """The problem variant a run solves: 'integer' or 'real' split points (families whose
    decisions carry split points), '' otherwise; gaps are measured against the reference
    of the same variant."""
    if not family_spec(family, warn=False).splits:
        return ""
    return str(options.get("split", "integer"))


# ---------------------------------------------------------------------------------------
# solvers
# ---------------------------------------------------------------------------------------
def resolve_solver(entry: SolverEntry) -> tuple[tuple[str, ...], str]:
    """(families, version) of a configured solver; raises GQAPError when it cannot run
    (unknown, module missing, bad options)."""
    from gqap.solvers.base import parse_options
    from gqap.solvers.registry import register, solver_class, solver_spec

    if entry.target is not None:
        register(entry.name, entry.target, entry.families or (), "from a bench config")
    spec = solver_spec(entry.name)
    if not spec.installed:
        raise GQAPError(spec.unavailable_reason())
    cls = solver_class(entry.name)
    options = parse_options(cls.Options, entry.name, entry.options)
    return tuple(entry.families or spec.families), str(cls.run_version(options))


def config_hash(entry: SolverEntry, time_limit: float, version: str) -> str:
    """Hash of everything that decides a run's outcome apart from instance and seed."""
    return _digest({"solver": entry.name, "target": entry.target,
                    "options": {k: str(v) for k, v in entry.options.items()},
                    "time_limit": time_limit, "version": version, "harness": HARNESS_VERSION})


def expand(config: BenchConfig) -> Plan:
    """Expand a configuration into its runs and the references they need."""
    instances, skipped_sources = load_instances(config)
    entries: list[tuple[SolverEntry, tuple[str, ...], str]] = []
    skipped = []
    for entry in config.solvers:
        try:
            families, version = resolve_solver(entry)
        except Exception as exc:  # noqa: BLE001 - a half-built optional solver is skipped
            if not entry.optional:
                raise
            why = str(exc) if isinstance(exc, GQAPError) else f"{type(exc).__name__}: {exc}"
            skipped.append((entry.label, why))
            continue
        entries.append((entry, families, version))
    known_params = {k for rec in instances.values() for k in rec.params}
    for entry, _, _ in entries:
        unknown = sorted(set(entry.where) - known_params)
        if unknown and instances:
            raise GQAPError(f"config {config.source}: solver {entry.label}: 'where' names "
                            f"unknown parameter {unknown[0]!r} (parameters: "
                            f"{', '.join(sorted(known_params))})")
    runs = []
    unsupported = 0
    variants: dict[str, set[str]] = defaultdict(set)
    for rec in instances.values():
        for entry, families, version in entries:
            if not entry.accepts(rec.family, families, rec.size, rec.params):
                unsupported += 1
                continue
            tl = entry.time_limit or config.time_limit
            chash = config_hash(entry, tl, version)
            variant = split_variant(rec.family, entry.options)
            variants[rec.hash].add(variant)
            for seed in entry.seeds or config.seeds:
                runs.append(Run(run_id(entry.label, rec.hash, seed, chash), entry.label,
                                entry.name, entry.target, families, dict(entry.options),
                                version, tl, seed, chash, rec.hash, variant))
    refs = []
    missing_ref_solvers = set()
    for h, vs in variants.items():
        rec = instances[h]
        if rec.reference_solver is None:
            continue
        try:
            from gqap.solvers.registry import solver_spec
            if not solver_spec(rec.reference_solver).installed:
                raise GQAPError("module missing")
        except GQAPError:
            missing_ref_solvers.add(rec.reference_solver)
            continue
        for v in sorted(vs):
            refs.append(ReferenceJob(h, v, rec.reference_solver, {"split": v} if v else {}))
    if not runs:
        raise GQAPError(f"config {config.source}: nothing to run: "
                        + _why_no_runs(instances, entries, skipped, skipped_sources))
    notes = skipped_sources + [
        f"reference solver {name} is not available; gaps fall back to best-known or "
        "best-found values" for name in sorted(missing_ref_solvers)]
    return Plan(config, instances, runs, refs, skipped, notes, unsupported)


def _why_no_runs(instances: dict[str, InstanceRecord],
                 entries: list[tuple[SolverEntry, tuple[str, ...], str]],
                 skipped: list[tuple[str, str]], skipped_sources: list[str]) -> str:
    """One line saying why a configuration expands into no runs."""
    if not instances:
        extra = f" ({skipped_sources[0]})" if skipped_sources else ""
        return "its instance sources hold no instance (filters left none)" + extra
    if not entries:
        return "every solver was skipped (" + "; ".join(
            f"{label}: {why}" for label, why in skipped) + ")"
    fams = sorted({r.family for r in instances.values()})
    sizes = sorted(r.size for r in instances.values())
    parts = []
    for entry, families, _ in entries:
        limits = [f"families {', '.join(families)}"]
        if entry.min_size is not None or entry.max_size is not None:
            limits.append(f"sizes {entry.min_size or 1}..{entry.max_size or 'any'}")
        if entry.where:
            limits.append(f"where {dict(entry.where)}")
        parts.append(f"{entry.label} takes {' and '.join(limits)}")
    return (f"no solver supports its instances (family {', '.join(fams)}, sizes "
            f"{sizes[0]}..{sizes[-1]}): " + "; ".join(parts))
