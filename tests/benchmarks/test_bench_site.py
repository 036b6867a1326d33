"""Speed of the results site (issue 28: the site of all of results/ in under a minute):
``gqap bench site`` on the shipped results/, one process, every page and figure written.

Run with ``--benchmark-enable``; in the normal suite it runs once, with its output checked:

    .venv/bin/python -m pytest tests/benchmarks/test_bench_site.py --benchmark-enable \
        --benchmark-only
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gqap.bench.site.build import write_site

RESULTS = Path(__file__).resolve().parents[2] / "results"


def test_site_of_all_results(benchmark, tmp_path):
    studies = sorted(p.name for p in RESULTS.iterdir() if (p / "README.md").is_file())
    out = tmp_path / "site"

    def build():
        shutil.rmtree(out, ignore_errors=True)
        return write_site(RESULTS, out)

    report = benchmark.pedantic(build, rounds=1, iterations=1)
    assert sorted(report.pages) == studies
    assert report.index.is_file()
    for name in studies:
        assert (out / name / "index.html").is_file(), name
    benchmark.extra_info.update(studies=len(studies),
                                pages=sum(len(p) for p in report.pages.values()))
