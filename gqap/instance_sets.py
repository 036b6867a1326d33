"""Versioned instance sets: a folder of instance files and a ``manifest.json`` that records
the generator, every file's parameters and seed, and its SHA-256.

Set definitions are data (name -> list of cases); ``write_set`` regenerates a set
byte-for-byte from its definition, and ``read_set`` refuses a folder whose files no
longer match their recorded hashes. A manifest row may carry what is known of its
instance: reference value, certified bound, checked proof (``set_references``,
``set_bounds``, ``annotate_manifest``). The literature's sets are shipped in the same
format; ``gqap.literature_sets`` imports them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import FormatError, GQAPError
from gqap.family import Instance, family
from gqap.hashing import sha256_bytes, sha256_file
from gqap.io import dumps, instance_to_dict, read_instance, read_json, write_text_atomic

MANIFEST = "manifest.json"
FORMAT_SET = "gqap-bench/instance-set"


@dataclass(frozen=True)
class Case:
    """One instance of a set: file name, generator name, generator keyword args, seed."""

    file: str
    generator: str
    params: dict[str, Any]
    seed: int


@dataclass(frozen=True)
class SetDefinition:
    """A named, versioned list of cases."""

    name: str
    version: int
    description: str
    cases: Callable[[], list[Case]] = field(repr=False)


def generate_case(case: Case, name: str) -> Instance:
    """Build the instance of one case (``numpy.random.default_rng(case.seed)``) with the
    generator of the family ``case.generator`` names (an old family name included: it is
    what the shipped manifests record)."""
    gen = family(case.generator, warn=False).generate
    return gen(np.random.default_rng(case.seed), name=name, seed=case.seed, **case.params)


def _fig11a() -> list[Case]:
    return [Case(f"u{u:02d}-c{c:03d}.json", "offloading",
                 {"n_users": u, "G": 8, "B_max": 18}, 1000 * u + c)
            for u in (4, 8, 12, 16, 20) for c in range(100)]


def _fig11b() -> list[Case]:
    return [Case(f"g{g:02d}-c{c:03d}.json", "offloading",
                 {"n_users": 20, "G": g, "B_max": 18}, 100_000 + 1000 * g + c)
            for g in range(2, 17, 2) for c in range(100)]


def _tiny() -> list[Case]:
    # Small enough for brute force; B_max below the user count in half of them.
    spec = [(4, 8, 18), (4, 2, 2), (6, 8, 18), (6, 4, 3), (8, 8, 18), (8, 16, 5)]
    return [Case(f"u{u}-g{g:02d}-b{bm:02d}.json", "offloading",
                 {"n_users": u, "G": g, "B_max": bm}, 7 + i)
            for i, (u, g, bm) in enumerate(spec)]


def _tiny_gqap() -> list[Case]:
    spec = [(6, 3, 0.6), (8, 4, 0.5), (10, 4, 0.8)]
    return [Case(f"{n}-{m}-{int(r * 100)}.json", "gqap",
                 {"n_facilities": n, "n_sites": m, "capacity_ratio": r}, 11 + i)
            for i, (n, m, r) in enumerate(spec)]


# The large tier: Cordeau-style instances beyond the literature's sizes (the literature
# stops at 50 facilities and 20 sites), one per size and capacity ratio.
LARGE_SIZES = ((50, 10), (100, 20), (150, 30), (200, 40))
LARGE_RATIOS = (0.35, 0.55, 0.75, 0.95)


def _gqap_large() -> list[Case]:
    return [Case(f"{n}-{m}-{int(round(r * 100))}.json", "gqap",
                 {"n_facilities": n, "n_sites": m, "capacity_ratio": r},
                 2_000_000 + 1000 * n + int(round(r * 100)))
            for n, m in LARGE_SIZES for r in LARGE_RATIOS]


def _scaling() -> list[Case]:
    users = (4, 8, 16, 32, 64, 128, 200, 500, 1000)
    return [Case(f"u{u:04d}-c{c}.json", "offloading",
                 {"n_users": u, "G": 8, "B_max": 18}, 500_000 + 10 * u + c)
            for u in users for c in range(5)]


SETS: dict[str, SetDefinition] = {
    s.name: s for s in (
        SetDefinition("tiny", 1, "six small offloading instances (4-8 users) for tests", _tiny),
        SetDefinition("tiny-gqap", 1, "three small random GQAPs (6x3, 8x4, 10x4) for tests",
                      _tiny_gqap),
        SetDefinition("fig11a", 1, "paper Fig. 11(a): users 4..20 step 4, G = 8, "
                      "B_max = 18, 100 cases each", _fig11a),
        SetDefinition("fig11b", 1, "paper Fig. 11(b): 20 users, G = 2..16 step 2, "
                      "B_max = 18, 100 cases each", _fig11b),
        SetDefinition("scaling", 1, "runtime scaling: 4..1000 users, G = 8, B_max = 18, "
                      "5 cases each", _scaling),
        SetDefinition("gqap-large", 1, "large tier: 16 Cordeau-style GQAPs beyond the "
                      "literature's sizes (50x10, 100x20, 150x30, 200x40 facilities x sites; "
                      "capacity ratios 35, 55, 75, 95 %)", _gqap_large),
    )
}


def get_set(name: str) -> SetDefinition:
    """The set definition called ``name``; unknown names raise a one-line error."""
    if name not in SETS:
        raise GQAPError(f"instance set: unknown {name!r}; known sets: {', '.join(SETS)}")
    return SETS[name]


def write_set(name: str, out_dir: str | Path, progress: bool = False) -> Path:
    """Generate every case of set ``name`` into ``out_dir`` and write its manifest."""
    spec = get_set(name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cases = spec.cases()
    entries = []
    it: Any = cases
    if progress:
        from tqdm import tqdm
        it = tqdm(cases, desc=f"set {name}", unit="file")
    for case in it:
        inst = generate_case(case, f"{name}-{Path(case.file).stem}")
        text = dumps(instance_to_dict(inst))
        write_text_atomic(out / case.file, text)
        entries.append({"file": case.file, "generator": case.generator,
                        "params": case.params, "seed": case.seed,
                        "sha256": sha256_bytes(text.encode())})
    manifest = {
        "format": FORMAT_SET, "version": 1, "name": name, "set_version": spec.version,
        "description": spec.description,
        "generators": {g: {"version": family(g, warn=False).generator_version}
                       for g in sorted({c.generator for c in cases})},
        "instances": keep_annotations(out, entries),
    }
    return write_text_atomic(out / MANIFEST, dumps(manifest))


# Per-instance fields recorded after a set is written (how good its instances are known to
# be): the reference value, the certified lower bound and a checked proof record.
# Regenerating a set keeps them for every file whose bytes are unchanged.
ANNOTATIONS = ("reference", "bound", "proof")


def keep_annotations(folder: Path, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with the annotations the manifest already in ``folder`` records for the
    same file with the same SHA-256."""
    try:
        old = read_manifest(folder)["instances"] if (folder / MANIFEST).exists() else []
    except (FormatError, GQAPError):
        return entries
    known = {(r.get("file"), r.get("sha256")): r for r in old if isinstance(r, dict)}
    out = []
    for e in entries:
        row = known.get((e["file"], e["sha256"]), {})
        out.append({**e, **{k: row[k] for k in ANNOTATIONS if k in row and k not in e}})
    return out


def without_annotations(manifest: dict[str, Any]) -> dict[str, Any]:
    """A copy of a manifest without the per-instance annotations (what a set's definition
    and files alone determine)."""
    rows = [{k: v for k, v in r.items() if k not in ANNOTATIONS} for r in manifest["instances"]]
    return {**manifest, "instances": rows}


@dataclass(frozen=True)
class SetEntry:
    """A manifest row with the path of its file."""

    path: Path
    file: str
    params: dict[str, Any]
    seed: int | None
    sha256: str


def read_manifest(set_dir: str | Path) -> dict[str, Any]:
    """The manifest of an instance-set folder, checked for format and version."""
    path = Path(set_dir) / MANIFEST
    obj = read_json(path)
    if obj.get("format") != FORMAT_SET or obj.get("version") != 1:
        raise FormatError(f"{path}: not a version-1 gqap-bench instance-set manifest")
    if not isinstance(obj.get("instances"), list):
        raise FormatError(f"{path}: 'instances' must be a list")
    return obj


def iter_set(set_dir: str | Path, verify: bool = True) -> Iterator[tuple[SetEntry, Instance]]:
    """Yield (entry, instance) for every file of a set, checking hashes unless told not to."""
    set_dir = Path(set_dir)
    for row in read_manifest(set_dir)["instances"]:
        try:
            entry = SetEntry(set_dir / row["file"], row["file"], row.get("params", {}),
                             row.get("seed"), row["sha256"])
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{set_dir / MANIFEST}: bad instance row {row!r}") from exc
        if verify and entry.path.exists() and sha256_file(entry.path) != entry.sha256:
            raise FormatError(f"{entry.path}: SHA-256 differs from the manifest; the file was "
                              "changed after the set was written")
        yield entry, read_instance(entry.path)


def read_set(set_dir: str | Path, verify: bool = True) -> list[Instance]:
    """All instances of a set folder, in manifest order."""
    return [inst for _, inst in iter_set(set_dir, verify)]


def set_summary(set_dir: str | Path) -> dict[str, Any]:
    """Name, version, description and instance count of a set folder; for a set with
    reference values (a literature set) also its citation and how many references of
    each kind it records, and how many certified lower bounds."""
    obj = read_manifest(set_dir)
    out = {"name": obj.get("name"), "set_version": obj.get("set_version"),
           "description": obj.get("description"), "instances": len(obj["instances"])}
    source = obj.get("source")
    if isinstance(source, dict) and source.get("citation"):
        out["source"] = source["citation"]
    refs = set_references(set_dir)
    if refs:
        kinds = [r.kind for r in refs.values()]
        out["references"] = {k: kinds.count(k) for k in REFERENCE_KINDS if k in kinds}
    bounds = set_bounds(set_dir)
    if bounds:
        out["bounds"] = len(bounds)
    return out


def manifest_json(set_dir: str | Path) -> str:
    """The manifest as compact JSON (used as part of config hashes)."""
    return json.dumps(read_manifest(set_dir), sort_keys=True)


# ---------------------------------------------------------------------------------------
# annotations: reference values, certified bounds and proofs recorded in a manifest
# ---------------------------------------------------------------------------------------
REFERENCE_KINDS = ("optimal", "best_known")


@dataclass(frozen=True)
class Reference:
    """The reference value of a shipped instance, as its manifest records it.

    ``kind`` is 'optimal' (a proven optimum) or 'best_known'; ``notes`` carries every
    caveat of the source (a disputed value, a header convention). Proven optima may come
    with their ``optimal_assignment`` (0-based sites) and whether exhaustive enumeration
    confirmed them. A best-known value this suite found (a generated set's) comes with the
    ``assignment`` that costs it and ``obtained``: how it was found (solver, options, seed,
    time limit, command, date).
    """

    value: float
    kind: str
    source: str
    notes: str = ""
    optimal_assignment: tuple[int, ...] | None = None
    confirmed_by_enumeration: bool = False
    assignment: tuple[int, ...] | None = None
    obtained: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def harness_kind(self) -> str:
        """The kind under which the benchmark harness stores this value ('exact' for a
        proven optimum, 'best_known' otherwise; see ``gqap.bench.references``)."""
        return "exact" if self.kind == "optimal" else "best_known"


def set_references(set_dir: str | Path) -> dict[str, Reference]:
    """File stem -> ``Reference`` for every manifest row that records a reference value
    (empty for generated sets, which carry none)."""
    set_dir = Path(set_dir)
    out: dict[str, Reference] = {}
    for row in read_manifest(set_dir)["instances"]:
        ref = row.get("reference") if isinstance(row, dict) else None
        if ref is None:
            continue
        try:
            assignment = ref.get("optimal_assignment")
            found = ref.get("assignment")
            obtained = ref.get("obtained", {})
            if not isinstance(obtained, dict):
                raise TypeError("'obtained' must be an object")
            out[Path(row["file"]).stem] = Reference(
                value=float(ref["value"]), kind=str(ref["kind"]),
                source=str(ref.get("source", "")), notes=str(ref.get("notes", "")),
                optimal_assignment=None if assignment is None else tuple(
                    int(s) for s in assignment),
                confirmed_by_enumeration=bool(ref.get("confirmed_by_enumeration", False)),
                assignment=None if found is None else tuple(int(s) for s in found),
                obtained=dict(obtained))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FormatError(f"{set_dir / MANIFEST}: bad reference in row "
                              f"{row.get('file')!r} ({exc})") from exc
        if out[Path(row["file"]).stem].kind not in REFERENCE_KINDS:
            raise FormatError(f"{set_dir / MANIFEST}: reference kind of {row['file']!r} must "
                              f"be one of {', '.join(REFERENCE_KINDS)}")
    return out


BOUND_FIELDS = ("value", "method", "budget_s", "command", "date")


@dataclass(frozen=True)
class Bound:
    """A certified lower bound on a shipped GQAP instance's optimum, as its manifest records
    it: the value, the method that proved it (``gqap.solvers.bounds``, or a branch and bound
    of ``milp`` / ``cpsat`` / ``brute-force``), the time budget of that computation in
    seconds, the command that wrote it and the date; ``details`` holds the rest (solver,
    options, seconds taken, status)."""

    value: float
    method: str
    budget_s: float | None
    command: str
    date: str
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _bound_from_row(where: str, obj: Any) -> Bound:
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: 'bound' must be an object with {', '.join(BOUND_FIELDS)}")
    missing = [k for k in BOUND_FIELDS if k not in obj]
    if missing:
        raise FormatError(f"{where}: bound lacks {', '.join(missing)}")
    try:
        value = float(obj["value"])
        budget = None if obj["budget_s"] is None else float(obj["budget_s"])
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{where}: bound value and budget_s must be numbers ({exc})") from None
    if not np.isfinite(value):
        raise FormatError(f"{where}: bound value must be finite, got {obj['value']!r}")
    details = {k: v for k, v in obj.items() if k not in BOUND_FIELDS}
    return Bound(value, str(obj["method"]), budget, str(obj["command"]), str(obj["date"]),
                 details)


def set_bounds(set_dir: str | Path) -> dict[str, Bound]:
    """File stem -> ``Bound`` for every manifest row that records a certified lower bound
    (a 'bound' object beside its 'reference')."""
    set_dir = Path(set_dir)
    out: dict[str, Bound] = {}
    for row in read_manifest(set_dir)["instances"]:
        if isinstance(row, dict) and row.get("bound") is not None:
            out[Path(row["file"]).stem] = _bound_from_row(
                f"{set_dir / MANIFEST}: row {row.get('file')!r}", row["bound"])
    return out


def annotate_manifest(set_dir: str | Path, *, bounds: dict[str, dict[str, Any]] | None = None,
                      references: dict[str, dict[str, Any]] | None = None,
                      proofs: dict[str, dict[str, Any]] | None = None) -> Path:
    """Record per-instance bounds, references and checked proof records (file stem -> the
    manifest object) in the manifest of ``set_dir``, keeping everything else byte for
    byte; atomic. A bound must carry ``BOUND_FIELDS`` and stay at or below the instance's
    reference value (a bound above it would mean the reference is not attainable: refused,
    naming both)."""
    set_dir = Path(set_dir)
    obj = read_manifest(set_dir)
    rows = {Path(r["file"]).stem: r for r in obj["instances"]}
    for what, given in (("bound", bounds or {}), ("reference", references or {}),
                        ("proof", proofs or {})):
        unknown = sorted(set(given) - set(rows))
        if unknown:
            raise GQAPError(f"{set_dir / MANIFEST}: no instance {unknown[0]!r} to record a "
                            f"{what} for")
    for stem, ref in (references or {}).items():
        if ref.get("kind") not in REFERENCE_KINDS or "value" not in ref:
            raise GQAPError(f"{stem}: a reference needs a value and a kind in "
                            f"{', '.join(REFERENCE_KINDS)}")
        rows[stem]["reference"] = ref
    for stem, b in (bounds or {}).items():
        bound = _bound_from_row(stem, b)
        ref = rows[stem].get("reference")
        if isinstance(ref, dict) and ref.get("value") is not None and \
                bound.value > float(ref["value"]):
            raise GQAPError(f"{stem}: bound {bound.value:.10g} exceeds the reference value "
                            f"{float(ref['value']):.10g} ({ref.get('kind')}); not recorded")
        rows[stem]["bound"] = b
    for stem, proof in (proofs or {}).items():
        rows[stem]["proof"] = proof
    return write_text_atomic(set_dir / MANIFEST, dumps(obj))


def verify_set(set_dir: str | Path) -> list[str]:
    """Check every file of a set folder against its manifest's SHA-256; one line per
    missing or changed file (an empty list when all match)."""
    set_dir = Path(set_dir)
    problems = []
    for row in read_manifest(set_dir)["instances"]:
        try:
            path, expected = set_dir / row["file"], row["sha256"]
        except (KeyError, TypeError) as exc:
            raise FormatError(f"{set_dir / MANIFEST}: bad instance row {row!r}") from exc
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif sha256_file(path) != expected:
            problems.append(f"{path}: SHA-256 differs from the manifest")
    return problems
