"""Versioned instance sets: a folder of instance files and a ``manifest.json`` that records
the generator, every file's parameters and seed, and its SHA-256.

Set definitions are data (name -> list of cases); ``write_set`` regenerates a set
byte-for-byte from its definition, and ``read_set`` refuses a folder whose files no
longer match their recorded hashes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import FormatError, GQAPError
from gqap.generators import (
    GQAP_GENERATOR_VERSION,
    OFFLOADING_GENERATOR_VERSION,
    generate_gqap,
    generate_offloading,
)
from gqap.instances import Instance
from gqap.io import _read_json, dumps, instance_to_dict, read_instance, write_text_atomic

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


_GENERATORS: dict[str, tuple[Callable[..., Instance], int]] = {
    "offloading": (generate_offloading, OFFLOADING_GENERATOR_VERSION),
    "gqap": (generate_gqap, GQAP_GENERATOR_VERSION),
}


def generate_case(case: Case, name: str) -> Instance:
    """Build the instance of one case (``numpy.random.default_rng(case.seed)``)."""
    gen, _ = _GENERATORS[case.generator]
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
    )
}


def get_set(name: str) -> SetDefinition:
    """The set definition called ``name``; unknown names raise a one-line error."""
    if name not in SETS:
        raise GQAPError(f"instance set: unknown {name!r}; known sets: {', '.join(SETS)}")
    return SETS[name]


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


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
                        "sha256": hashlib.sha256(text.encode()).hexdigest()})
    manifest = {
        "format": FORMAT_SET, "version": 1, "name": name, "set_version": spec.version,
        "description": spec.description,
        "generators": {g: {"version": _GENERATORS[g][1]}
                       for g in sorted({c.generator for c in cases})},
        "instances": entries,
    }
    return write_text_atomic(out / MANIFEST, dumps(manifest))


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
    obj = _read_json(path)
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
    """Name, version, description and instance count of a set folder."""
    obj = read_manifest(set_dir)
    return {"name": obj.get("name"), "set_version": obj.get("set_version"),
            "description": obj.get("description"), "instances": len(obj["instances"])}


def manifest_json(set_dir: str | Path) -> str:
    """The manifest as compact JSON (used as part of config hashes)."""
    return json.dumps(read_manifest(set_dir), sort_keys=True)
