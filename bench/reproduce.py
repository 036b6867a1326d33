"""``gqap bench reproduce``: regenerate every folder of the committed results/ in one command.

Each study is either a sweep (a config in ``bench/configs``, run or resumed into
``runs/NAME`` -- stored runs are kept, failed ones retried -- and reported into
``results/NAME``) or a figure that needs no sweep (``bench.figures.FIGURES``: Fig. 8 from
the model, the DQN training curves and checkpoint table from the shipped checkpoints).
Stale files of an earlier report are removed, every folder gets a ``README.md`` naming the
command that wrote it and the machine it ran on, and the README's copied tables
(``gqap.bench.readme``) are refreshed when a README.md with such blocks sits beside
``results/``. Optional solvers whose modules are missing are skipped with a note.
"""

from __future__ import annotations

import importlib
import socket
import sys
import time
from pathlib import Path

from gqap.bench.config import CONFIG_DIR, load_config
from gqap.bench.sweep import machine_note
from gqap.errors import GQAPError
from gqap.io import write_text_atomic

# Sweeps, in the order they run (configs in bench/configs, results/NAME each).
CONFIGS = ("fig11a", "fig11b", "fig11c", "fig10", "scaling", "literature", "milp",
           "dqn-scaling", "multi", "multi-dqn", "lee-ma-proofs", "cordeau-bounds", "gqap-large",
           "online", "exact-gqap")
# Studies that need no sweep: results folder -> bench.figures.FIGURES name.
FIGURE_STUDIES = {"fig8": "fig8", "dqn-training": "fig9"}
REPORT_SUFFIXES = (".md", ".tex", ".csv", ".png")


def studies() -> tuple[str, ...]:
    """Every study ``reproduce`` knows, in the order it runs them."""
    return (*CONFIGS, *FIGURE_STUDIES)


def _remove_stale(out: Path, kept: set[Path], before: set[Path]) -> None:
    for stale in before - kept:
        stale.unlink()


def _report_files(out: Path) -> set[Path]:
    return ({p for p in out.glob("*") if p.suffix in REPORT_SUFFIXES} if out.exists()
            else set())


def _run_figure(name: str, results_dir: Path) -> tuple[int, Path]:
    from gqap.bench.figures import FIGURES

    figure = FIGURE_STUDIES[name]
    out = results_dir / name
    before = _report_files(out)
    module = importlib.import_module(FIGURES[figure])
    written = list(module.write(out))
    doc = (module.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    lines = [f"# {name}", "", doc, "",
             f"Written by `gqap bench reproduce --only {name}` (the same files as "
             f"`gqap figure {figure} --out {out}`); nothing here is written by any other "
             "command.", "", f"Machine: {socket.gethostname()}, {machine_note()}.", "",
             "Files:", ""]
    lines += [f"- `{p.name}`" for p in written]
    lines += [""] + [f"![{p.stem}]({p.name})" for p in written if p.suffix == ".png"]
    readme = write_text_atomic(out / "README.md", "\n".join(lines) + "\n")
    _remove_stale(out, {*written, readme}, before)
    return len(written), out


def reproduce(only: list[str] | None = None, runs_dir: Path = Path("runs"),
              results_dir: Path = Path("results"), workers: int | None = None,
              progress: bool = True) -> dict[str, float]:
    """Run and report every study (or those in ``only``); returns the wall time in seconds
    per study."""
    from gqap.bench.report import write_report
    from gqap.bench.sweep import run_sweep

    known = studies()
    names = list(only or known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise GQAPError(f"reproduce: unknown study {unknown[0]!r} (studies: "
                        f"{', '.join(known)})")
    times = {}
    failed = []
    for name in names:
        t0 = time.perf_counter()
        try:
            if name in FIGURE_STUDIES:
                n_files, out = _run_figure(name, results_dir)
                times[name] = time.perf_counter() - t0
                print(f"{name}: {n_files} files in {out} ({times[name]:.0f} s)")
                continue
            config = load_config(CONFIG_DIR / f"{name}.toml")
            sweep_dir = runs_dir / config.name
            summary = run_sweep(config, sweep_dir, workers=workers, progress=progress,
                                retry_failed=True)
            out = results_dir / config.name
            before = _report_files(out)
            report = write_report(sweep_dir, out, command=f"gqap bench reproduce --only {name}")
            _remove_stale(out, set(report.tables) | set(report.figures), before)
        except Exception as exc:  # noqa: BLE001 - one broken study must not stop the rest
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
