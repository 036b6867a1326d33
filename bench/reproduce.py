"""``gqap bench reproduce``: regenerate the committed results/ from the paper configs.

Each config in ``CONFIGS`` is run (or resumed: stored runs are kept, failed ones retried)
into ``runs/NAME`` and reported into ``results/NAME`` (stale files of an earlier report
are removed). Solvers whose modules do not exist yet are skipped with a note, so the
command works at every stage of the project and picks up new solvers when rerun.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gqap.bench.config import CONFIG_DIR, load_config
from gqap.errors import GQAPError

CONFIGS = ("fig11a", "fig11b", "fig11c", "fig10", "scaling", "literature")
REPORT_SUFFIXES = (".md", ".tex", ".csv", ".png")


def reproduce(only: list[str] | None = None, runs_dir: Path = Path("runs"),
              results_dir: Path = Path("results"), workers: int | None = None,
              progress: bool = True) -> dict[str, float]:
    """Run and report every paper config (or those in ``only``); returns the wall time
    in seconds per config."""
    from gqap.bench.report import write_report
    from gqap.bench.sweep import run_sweep

    names = list(only or CONFIGS)
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise GQAPError(f"reproduce: unknown config {unknown[0]!r} (configs: "
                        f"{', '.join(CONFIGS)})")
    times = {}
    failed = []
    for name in names:
        t0 = time.perf_counter()
        try:
            config = load_config(CONFIG_DIR / f"{name}.toml")
            sweep_dir = runs_dir / config.name
            summary = run_sweep(config, sweep_dir, workers=workers, progress=progress,
                                retry_failed=True)
            out = results_dir / config.name
            old = ({p for p in out.glob("*") if p.suffix in REPORT_SUFFIXES}
                   if out.exists() else set())
            report = write_report(sweep_dir, out)
            for stale in old - set(report.tables) - set(report.figures):
                stale.unlink()
        except Exception as exc:  # noqa: BLE001 - one broken config must not stop the rest
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(name)
            continue
        times[name] = time.perf_counter() - t0
        skipped = ", ".join(label for label, _ in summary.skipped_solvers) or "none"
        print(f"{name}: {summary.planned - summary.dropped} runs ({summary.completed} new, "
              f"{summary.failed} failed), solvers skipped: {skipped}; {len(report.tables)} "
              f"tables and {len(report.figures)} figures in {out} ({times[name]:.0f} s)")
        for note in summary.notes + report.notes:
            print(f"  note: {note}", file=sys.stderr)
    print(f"total {sum(times.values()):.0f} s")
    if failed:
        raise GQAPError(f"reproduce: {', '.join(failed)} failed (see above); the others "
                        "were written")
    return times
