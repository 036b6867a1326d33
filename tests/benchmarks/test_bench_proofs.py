"""Speed of the independent proof checker (``gqap bench verify-proof``): a shipped
``bnb`` proof record re-derived from its instance.

Run with ``--benchmark-enable``; in the normal suite it runs once, unchecked.
``extra_info`` records the bounds re-derived and the bounds per second, so a comparison
across machines or records reads throughput, not only seconds.
"""

from __future__ import annotations

import json

import pytest

from gqap.classic.proofs import read_record, verify_proof
from gqap.io import read_instance
from gqap.library import set_dir


@pytest.mark.parametrize("stem", ["C12X5-E-H", "C14X7-1020"])
def test_bench_verify_proof(benchmark, stem):
    """One shipped lee-ma record (the two with the most bounds: 228 and 201), read once,
    checked each round; the check's counts are the manifest's."""
    folder = set_dir("lee-ma")
    manifest = json.loads((folder / "manifest.json").read_text())
    proof = next(r["proof"] for r in manifest["instances"] if r["file"] == f"{stem}.txt")
    record = read_record(folder / proof["record"])
    inst = read_instance(folder / f"{stem}.txt")
    check = benchmark.pedantic(verify_proof, args=(record, inst), rounds=3, iterations=1)
    assert check.status == "optimal" and check.objective == proof["value"]
    assert check.nodes == proof["nodes"] and check.bounds_checked > 100
    seconds = benchmark.stats.stats.median if benchmark.stats else None
    benchmark.extra_info.update(
        bounds=check.bounds_checked,
        bounds_per_second=check.bounds_checked / seconds if seconds else None)
