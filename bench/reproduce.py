"""``gqap bench reproduce``: regenerate every folder of the committed results/ in one command.

Every study of ``bench.catalogue.STUDIES`` in turn: a swept study's config
(``bench/configs/NAME.toml``) is run or resumed into ``runs/NAME`` (stored runs are kept,
failed ones retried), then each study's report writes ``results/NAME`` (``Study.report``:
the sweep's tables and figures, or a figure that needs no sweep). Stale files of an earlier
report are removed, every folder gets a ``README.md`` naming the command that wrote it and
the machine it ran on, and the README's copied tables (``gqap.bench.readme``) are refreshed
when a README.md with such blocks sits beside ``results/``. Optional solvers whose modules
are missing are skipped with a note.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gqap.bench.catalogue import STUDIES
from gqap.bench.config import CONFIG_DIR, load_config
from gqap.errors import GQAPError
from gqap.io import write_text_atomic

REPORT_SUFFIXES = (".md", ".tex", ".csv", ".png")


def studies() -> tuple[str, ...]:
    """Every study ``reproduce`` knows, in the order it runs them."""
    return tuple(s.name for s in STUDIES)


def _remove_stale(out: Path, kept: set[Path], before: set[Path]) -> None:
    for stale in before - kept:
        stale.unlink()


def _report_files(out: Path) -> set[Path]:
    return ({p for p in out.glob("*") if p.suffix in REPORT_SUFFIXES} if out.exists()
            else set())


def reproduce(only: list[str] | None = None, runs_dir: Path = Path("runs"),
              results_dir: Path = Path("results"), workers: int | None = None,
              progress: bool = True) -> dict[str, float]:
    """Run and report every study (or those in ``only``); returns the wall time in seconds
    per study."""
    from gqap.bench.sweep import run_sweep

    known = {s.name: s for s in STUDIES}
    names = list(only or known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GQAPError(f"reproduce: unknown study {unknown[0]!r} (studies: "
                        f"{', '.join(known)})")
    times = {}
    failed = []
    for name in names:
        study = known[name]
        t0 = time.perf_counter()
        summary = None
        try:
            if study.swept:
                config = load_config(CONFIG_DIR / f"{name}.toml")
                summary = run_sweep(config, runs_dir / name, workers=workers,
                                    progress=progress, retry_failed=True)
            out = results_dir / name
            before = _report_files(out)
            report = study.report(runs_dir, out)
            _remove_stale(out, set(report.tables) | set(report.figures), before)
        except Exception as exc:  # noqa: BLE001 - one broken study must not stop the rest
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(name)
            continue
        times[name] = time.perf_counter() - t0
        if summary is None:
            files = [p for p in (*report.tables, *report.figures) if p.name != "README.md"]
            print(f"{name}: {len(files)} files in {out} ({times[name]:.0f} s)")
            continue
        skipped = ", ".join(label for label, _ in summary.skipped_solvers) or "none"
        print(f"{name}: {summary.planned - summary.dropped} runs ({summary.completed} new, "
              f"{summary.failed} failed), solvers skipped: {skipped}; {len(report.tables)} "
              f"tables and {len(report.figures)} figures in {out} ({times[name]:.0f} s)")
        for note in summary.notes + report.notes:
            print(f"  note: {note}", file=sys.stderr)
    print(f"total {sum(times.values()):.0f} s")
    _sync_readme(results_dir)
    if failed:
        raise GQAPError(f"reproduce: {', '.join(failed)} failed (see above); the others "
                        "were written")
    return times


def _sync_readme(results_dir: Path) -> None:
    """Refresh the copied tables of the README.md beside ``results_dir``, if it has any."""
    from gqap.bench.readme import BLOCK, synced

    readme = results_dir.resolve().parent / "README.md"
    if not readme.is_file():
        return
    text = readme.read_text()
    if not BLOCK.search(text):
        return
    try:
        new, stale = synced(text, readme.parent)
    except GQAPError as exc:
        print(f"README blocks not refreshed: {exc}", file=sys.stderr)
        return
    if stale:
        write_text_atomic(readme, new)
        print(f"{readme}: {len(stale)} copied table(s) refreshed")
