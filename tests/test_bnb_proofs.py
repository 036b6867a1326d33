"""The proofs recorded in the shipped manifests: every record shipped with a set checks
against its instance with the independent checker, its SHA-256 is the manifest's, and the
proven value is the instance's reference."""

from __future__ import annotations

import hashlib
import json

import pytest

from gqap.classic.proofs import read_record, verify_proof
from gqap.instance_sets import set_references
from gqap.io import read_instance
from gqap.library import set_dir

FAST = {"C5X24", "C10X5-E-H", "C12X3-F-G"}


def _proofs(name: str) -> list[tuple[str, dict]]:
    manifest = json.loads((set_dir(name) / "manifest.json").read_text())
    return [(row["file"].rsplit(".", 1)[0], row["proof"]) for row in manifest["instances"]
            if "proof" in row]


CASES = [(s, stem, proof) for s in ("lee-ma", "cordeau") for stem, proof in _proofs(s)]


def test_every_lee_ma_optimum_has_a_checked_proof_and_the_proved_cordeau_are_optimal():
    lee_ma = dict(_proofs("lee-ma"))
    refs = set_references(set_dir("lee-ma"))
    assert set(lee_ma) == set(refs)                       # all 27
    assert all(p["value"] == refs[k].value for k, p in lee_ma.items())
    cordeau = set_references(set_dir("cordeau"))
    for stem, proof in _proofs("cordeau"):
        assert cordeau[stem].kind == "optimal" and cordeau[stem].value == proof["value"]


@pytest.mark.parametrize("set_name,stem,proof",
                         [c for c in CASES if c[2]["record"] and c[1] in FAST],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_a_shipped_record_checks(set_name, stem, proof):
    _check(set_name, stem, proof)


@pytest.mark.slow
@pytest.mark.parametrize("set_name,stem,proof",
                         [c for c in CASES if c[2]["record"] and c[1] not in FAST],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_shipped_record_checks(set_name, stem, proof):
    _check(set_name, stem, proof)


def _check(set_name: str, stem: str, proof: dict) -> None:
    folder = set_dir(set_name)
    path = folder / proof["record"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == proof["record_sha256"]
    inst = read_instance(folder / f"{stem}.txt")
    check = verify_proof(read_record(path), inst)
    assert check.status == "optimal" and check.objective == proof["value"]
    assert check.nodes == proof["nodes"]
