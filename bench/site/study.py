"""What one study's pages are built from (``Study``), read from a results folder (its
README, tables and ``runs.csv``) or from a sweep folder's store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gqap.bench.site.data import (
    RUNS_FILE,
    Cell,
    Run,
    cells_from_runs,
    cells_from_tables,
    read_runs_csv,
    read_table,
    summary_tables,
)
from gqap.errors import GQAPError


@dataclass
class Study:
    """What one study's pages are built from."""

    name: str
    title: str
    intro: list[str]
    provenance: list[str]
    command: str
    runs: list[Run] | None
    cells: list[Cell]
    order: list[str]
    source: str
    tables: list[tuple[str, str, Path]] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    exponents: dict[str, float] = field(default_factory=dict)


def _readme(folder: Path) -> tuple[str, list[str], list[str]]:
    """(title, intro paragraphs, provenance lines) of a results folder's README.md."""
    path = folder / "README.md"
    if not path.is_file():
        return folder.name, [], []
    title, intro, prov = folder.name, [], []
    blocks = path.read_text().split("\n\n")
    for block in blocks:
        text = block.strip()
        if text.startswith("# ") and title == folder.name:
            title = text[2:].strip()
        elif text.startswith("## ") or text.startswith("|") or text.startswith("!["):
            break
        elif text.startswith("- sweep"):
            prov += [line[2:] for line in text.splitlines() if line.startswith("- ")]
        elif text.startswith("Sweeps (") or text.startswith("Files:"):
            continue
        elif text:
            intro.append(text)
    return title, intro, prov


def _captions(folder: Path) -> dict[str, str]:
    """Table name -> caption: the first paragraph of each NAME.md beside NAME.csv."""
    out = {}
    for md in folder.glob("*.md"):
        if md.name == "README.md":
            continue
        first = md.read_text().strip().split("\n\n")[0]
        if not first.startswith("|"):
            out[md.stem] = first.replace("\n", " ")
    return out


def _order_from_tables(folder: Path) -> list[str]:
    order: list[str] = []
    for _, path in summary_tables(folder):
        for row in read_table(path):
            if row["solver"] not in order:
                order.append(row["solver"])
    return order


def _exponents(folder: Path) -> dict[str, float]:
    path = folder / "runtime_scaling.csv"
    if not path.is_file():
        return {}
    out = {}
    for row in read_table(path):
        try:
            out[row["solver"]] = float(row["exponent k"])
        except (KeyError, ValueError):
            continue
    return out


def study_from_results(folder: Path) -> Study:
    """A study from a results folder: ``runs.csv`` where the report wrote one, else the
    report's tables (the pages say which)."""
    title, intro, prov = _readme(folder)
    runs_path = folder / RUNS_FILE
    runs = read_runs_csv(runs_path) if runs_path.is_file() else None
    order = _order_from_tables(folder)
    if runs is not None:
        cells = cells_from_runs(runs)
        source = (f"every run ({len(runs):,} lines of <code>{RUNS_FILE}</code>, written by "
                  "the study's report)")
    else:
        cells = cells_from_tables(folder)
        source = ("the report's tables (this study was reported before the report wrote "
                  f"<code>{RUNS_FILE}</code>; rerun the command below to add it)")
    captions = _captions(folder)
    tables = [(p.stem, captions.get(p.stem, ""), p) for p in sorted(folder.glob("*.csv"))
              if p.name != RUNS_FILE]
    return Study(folder.name, title, intro, prov, f"gqap bench reproduce --only {folder.name}",
                 runs, cells, order, source, tables, sorted(folder.glob("*.png")),
                 _exponents(folder))


def study_from_sweep(sweep_dir: Path) -> Study:
    """A study from a sweep folder's store (every run, current references)."""
    from gqap.bench.report import load, provenance
    from gqap.bench.site.data import runs_from_rows
    from gqap.bench.tables import runtime_fits

    data = load(sweep_dir)
    if not data.rows:
        raise GQAPError(f"{sweep_dir}: no runs stored yet; nothing to report")
    runs = runs_from_rows(data.rows)
    title = str(data.settings.get("title") or data.name)
    intro = [str(data.settings["note"])] if data.settings.get("note") else []
    prov = [line[2:] for line in provenance(data).splitlines() if line.startswith("- ")]
    fits = {f.label: f.exponent for f in runtime_fits(data.rows, data.order)}
    return Study(data.name, title, intro, prov, f"gqap bench report {sweep_dir} --format html",
                 runs, cells_from_runs(runs), data.order,
                 f"every run ({len(runs):,} runs in the sweep's store)", exponents=fits)
