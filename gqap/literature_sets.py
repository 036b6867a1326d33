"""The literature's GQAP sets (Cordeau et al. 2006, Lee & Ma 2004) as shipped instance sets:
the published files copied byte for byte and a manifest whose references come from the
literature's tables (``references_from_csv``, ``literature_manifest``); ``LITERATURE``
holds each set's description and sources, and ``import_literature_set`` is the
maintainer's tool that wrote the shipped manifests. Reading a shipped set is
``gqap.instance_sets``' (the same manifest format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.errors import FormatError, GQAPError
from gqap.hashing import sha256_file
from gqap.instance_sets import FORMAT_SET, MANIFEST, REFERENCE_KINDS, keep_annotations
from gqap.io import dumps, write_text_atomic

_CSV_KINDS = {"optimal": "optimal", "best-known": "best_known", "best_known": "best_known"}
_ENUMERATED = "confirmed by exhaustive enumeration"


def references_from_csv(path: str | Path, source: str = "") -> dict[str, dict[str, Any]]:
    """Instance name -> reference row from a literature table (the bks.csv / optimal.csv
    layout: instance, n_facilities, n_sites, best_known_cost or optimal_cost, status, and
    optionally source, note, optimal_assignment as space-separated 0-based sites).

    ``source`` is used for rows without a 'source' column. Notes are kept verbatim.
    """
    import csv

    path = Path(path)
    out: dict[str, dict[str, Any]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path}:{line}"
            try:
                value_text = row.get("optimal_cost") or row.get("best_known_cost")
                kind = _CSV_KINDS[(row.get("status") or "").strip()]
                ref: dict[str, Any] = {
                    "n": int(row["n_facilities"]), "m": int(row["n_sites"]),
                    "value": _number(float(value_text or "")), "kind": kind,
                    "source": (row.get("source") or "").strip() or source,
                    "notes": (row.get("note") or "").strip()}
                sites = (row.get("optimal_assignment") or "").split()
            except (KeyError, TypeError, ValueError) as exc:
                raise FormatError(f"{where}: bad reference row ({exc})") from exc
            if sites:
                ref["optimal_assignment"] = [int(s) for s in sites]
                ref["confirmed_by_enumeration"] = _ENUMERATED in ref["notes"]
            out[row["instance"].strip()] = ref
    return out


def _number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)


def literature_manifest(folder: str | Path, name: str, description: str,
                        source: dict[str, Any], references: dict[str, dict[str, Any]],
                        set_version: int = 1) -> dict[str, Any]:
    """The manifest of a folder of literature instance files (Cordeau text format) with
    their reference values: every ``*.txt`` file, its SHA-256, its size (n, m, checked
    against the file's header and the table) and its reference row from ``references``
    (instance name -> value, kind, source, notes, optionally optimal_assignment and
    confirmed_by_enumeration; see ``references_from_csv``)."""
    from gqap.classic.format import read_cordeau

    folder = Path(folder)
    files = sorted(folder.glob("*.txt"))
    names = {f.stem for f in files}
    if not files:
        raise GQAPError(f"{folder}: no *.txt instance files")
    if names != set(references):
        extra = sorted(names ^ set(references))
        raise GQAPError(f"{folder}: files and reference table differ on {', '.join(extra)}")
    rows = []
    for f in files:
        ref = dict(references[f.stem])
        inst = read_cordeau(f)
        if (ref.pop("n", inst.n), ref.pop("m", inst.m)) != (inst.n, inst.m):
            raise GQAPError(f"{f}: the reference table's size differs from the file header "
                            f"({inst.n} facilities, {inst.m} sites)")
        if ref.get("kind") not in REFERENCE_KINDS:
            raise GQAPError(f"{f.stem}: reference kind must be one of "
                            f"{', '.join(REFERENCE_KINDS)}, got {ref.get('kind')!r}")
        rows.append({"file": f.name, "sha256": sha256_file(f),
                     "params": {"n": inst.n, "m": inst.m}, "reference": ref})
    kept = keep_annotations(folder, [{k: r[k] for k in ("file", "sha256")} for r in rows])
    for row, old in zip(rows, kept, strict=True):
        for key in ("bound", "proof"):  # a bound or proof recorded for the same bytes stays
            if key in old:
                row[key] = old[key]
        ref, before = row["reference"], old.get("reference")
        if ("proof" in old and isinstance(before, dict) and before.get("kind") == "optimal"
                and ref.get("kind") == "best_known" and before.get("value") == ref.get("value")):
            row["reference"] = before  # the table's best-known value, proved optimal here
    return {"format": FORMAT_SET, "version": 1, "name": name, "set_version": set_version,
            "description": description, "source": source, "instances": rows}


def write_literature_manifest(folder: str | Path, name: str, description: str,
                              source: dict[str, Any], references: dict[str, dict[str, Any]],
                              set_version: int = 1) -> Path:
    """Write ``literature_manifest(...)`` as the folder's manifest.json (atomic)."""
    obj = literature_manifest(folder, name, description, source, references, set_version)
    return write_text_atomic(Path(folder) / MANIFEST, dumps(obj))


_LICENCE = "public literature data, redistributed with source recorded"
LITERATURE: dict[str, dict[str, Any]] = {
    "cordeau": {
        "table": "bks.csv",
        "description": "Cordeau, Gaudioso, Laporte and Moccia (2006): the 21 literature GQAP "
                       "instances (20-50 facilities, 6-20 sites, named n-m-capacity ratio %) "
                       "with their best-known costs",
        "row_source": "",
        "source": {
            "citation": "J.-F. Cordeau, M. Gaudioso, G. Laporte, L. Moccia (2006). A memetic "
                        "heuristic for the generalized quadratic assignment problem. INFORMS "
                        "Journal on Computing 18(4), 433-443.",
            "files": "the instance files in their original text format as redistributed in "
                     "the public GQAP instance archives, copied byte for byte (line endings "
                     "included) from the project's reference data data/gqap/cordeau/",
            "references": "best-known costs with their status, source and note from the "
                          "bks.csv table distributed with those files (columns "
                          "best_known_cost, status, source, note); none is a proven optimum",
            "convention": "file header 'n m v'; the unit traffic cost v (2 in every file) is "
                          "read as written; cost = sum_i a[i, x_i] + v sum_{i,j} t[i, j] "
                          "d[x_i, x_j] over ordered pairs",
            "licence": _LICENCE,
        },
    },
    "lee-ma": {
        "table": "optimal.csv",
        "description": "Lee and Ma (2004): 27 GQAP instances (5-16 facilities, 3-30 sites) "
                       "with proven optimal costs and optimal assignments",
        "row_source": "C.-G. Lee, Z. Ma (2004), exact branch-and-bound; values as "
                      "redistributed with the instance files",
        "source": {
            "citation": "C.-G. Lee, Z. Ma (2004). The generalized quadratic assignment "
                        "problem. Research report, Department of Mechanical and Industrial "
                        "Engineering, University of Toronto.",
            "files": "the instance files in the Cordeau text format as redistributed in the "
                     "public GQAP instance archives, copied byte for byte from the project's "
                     "reference data data/gqap/lee-ma/",
            "references": "optimal costs, status, optimal assignments (0-based sites) and "
                          "note from the optimal.csv table distributed with those files "
                          "(columns optimal_cost, status, optimal_assignment, note); 14 of "
                          "the optima are also confirmed by exhaustive enumeration",
            "convention": "file header 'n m v'; the unit traffic cost v is read as written "
                          "(v = 5 in every header) and the optimal values use it",
            "licence": _LICENCE,
        },
    },
}


def import_literature_set(name: str, data_dir: str | Path, out_dir: str | Path) -> Path:
    """Copy a literature set's ``*.txt`` files byte for byte from ``data_dir`` into
    ``out_dir`` and write its manifest from the reference table beside them (``LITERATURE``
    names the table, description and source). A maintainer's tool: the shipped manifests
    of instances/literature/ were written with it; nothing reads ``data_dir`` at run time."""
    import shutil

    if name not in LITERATURE:
        raise GQAPError(f"literature set: unknown {name!r}; known: {', '.join(LITERATURE)}")
    spec = LITERATURE[name]
    data, out = Path(data_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(data.glob("*.txt")):
        shutil.copyfile(f, out / f.name)
    refs = references_from_csv(data / spec["table"], spec["row_source"])
    return write_literature_manifest(out, name, spec["description"], spec["source"], refs)
