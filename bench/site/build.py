"""Write the static results site: one folder per study (summary, tables, figures,
instances, one page per instance; ``write_study``) and, for ``gqap bench site``, an index of
every study under results/ with the command that regenerates it. Pages link each other and
the assets by relative paths, so the folder opens from the file system with no server and
no network.

Where things are: ``data`` (runs and cells), ``study`` (what a study's pages are built
from), ``analysis`` (profiles, standings, picks), ``plots``, ``html`` (the page frame and
tables), ``pages`` (what one study's pages share) and one module per page kind
(``page_summary``, ``page_tables``, ``page_figures``, ``page_instances``).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site import page_figures, page_instances, page_summary, page_tables
from gqap.bench.site.data import RUNS_FILE
from gqap.bench.site.pages import StudyPages
from gqap.bench.site.study import Study, study_from_results, study_from_sweep
from gqap.errors import GQAPError
from gqap.io import write_text_atomic
from gqap.package_data import package_dir


def write_study(pages: StudyPages) -> list[Path]:
    """Draw one study's figures and write its pages (summary, tables, figures, instances);
    returns the pages."""
    page_figures.draw(pages)
    return [page_summary.summary(pages), page_tables.tables(pages),
            page_figures.figures_page(pages), *page_instances.instances(pages)]


def copy_assets(out: Path) -> None:
    """The stylesheet and the table sorter into ``out/assets``."""
    src = package_dir("gqap.bench.site") / "assets"
    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in h.ASSETS:
        shutil.copy2(src / name, out / "assets" / name)


def write_sweep_site(sweep_dir: str | Path, out_dir: str | Path) -> Path:
    """The HTML report of one sweep folder into ``out_dir``; returns its index.html."""
    study = study_from_sweep(Path(sweep_dir))
    out = Path(out_dir)
    copy_assets(out)
    write_study(StudyPages(study, out, "", None, copy_figures=False))
    return out / "index.html"


@dataclass
class SiteReport:
    """What ``write_site`` wrote: the index, the pages per study, and notes."""

    index: Path
    pages: dict[str, list[Path]]
    notes: list[str]


def study_folders(results_dir: Path, out: Path) -> list[Path]:
    """The study folders under ``results_dir`` (those with a README.md), skipping the
    site's own output folder."""
    out_r = out.resolve()
    return [p for p in sorted(results_dir.iterdir())
            if p.is_dir() and (p / "README.md").is_file() and p.resolve() != out_r]


def _write_study(folder: Path, out: Path) -> tuple[list[Path], list[Any], str | None]:
    """One study's folder of the site: its pages, its index row and a note."""
    study = study_from_results(folder)
    sp = StudyPages(study, out / folder.name, "../", ("../index.html", "all studies"))
    note = (f"{folder.name}: no {RUNS_FILE}; pages built from its tables"
            if study.runs is None and study.cells else None)
    return write_study(sp), _index_row(study), note


def write_site(results_dir: str | Path, out_dir: str | Path,
               workers: int | None = None) -> SiteReport:
    """The site of every study under ``results_dir`` into ``out_dir``; with ``workers`` >
    1 the studies are written by that many processes (the figures are most of the time;
    on a machine shared with other jobs one process was as fast)."""
    results = Path(results_dir)
    if not results.is_dir():
        raise GQAPError(f"bench site: {results}: no such folder")
    out = Path(out_dir)
    folders = study_folders(results, out)
    if not folders:
        raise GQAPError(f"bench site: {results}: no study folders (NAME/README.md) here")
    copy_assets(out)
    workers = min(workers or 1, len(folders))
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            done = list(pool.map(_write_study, folders, [out] * len(folders)))
    else:
        done = [_write_study(folder, out) for folder in folders]
    pages = {folder.name: d[0] for folder, d in zip(folders, done, strict=True)}
    rows = [d[1] for d in done]
    notes = [d[2] for d in done if d[2]]
    body = ["<h1>gqap-bench results</h1>",
            '<p class="lead">Every study under <code>results/</code>: who wins, on what, '
            "against which reference. Open a study for its summary (the solver to use per "
            "size and time budget), sortable tables, performance profiles and one page per "
            "instance.</p>",
            h.table([h.Col("study", lambda v: f'<a href="{h.esc(v)}/index.html">{h.esc(v)}'
                           "</a>", html=True),
                     h.Col("what"), h.Col("families"), h.Col("instances", numeric=True),
                     h.Col("solvers", numeric=True), h.Col("runs", numeric=True),
                     h.Col("reference"),
                     h.Col("best (lowest mean gap)", lambda v: "-" if not v else
                           h.swatch(v), html=True),
                     h.Col("data"), h.Col("regenerate", lambda v: f"<code>{h.esc(v)}</code>",
                                          html=True)],
                    rows, caption="Studies; 'data': per run (runs.csv) or the report's "
                    "tables. Regenerate a study with its command, then this site with "
                    "<code>gqap bench site</code>.", table_id="studies")]
    index = write_text_atomic(out / "index.html", h.page(
        "gqap-bench results", "\n".join(body), "", [("index.html", "all studies", True)],
        "Built by <code>gqap bench site</code> from the folders of <code>results/</code>."))
    return SiteReport(index, pages, notes)


def _index_row(study: Study) -> list[Any]:
    cells = study.cells
    stand = an.standings(cells, study.order)
    instances = len({c.instance for c in cells if c.instance is not None}) or None
    runs = len(study.runs) if study.runs is not None else (sum(c.runs for c in cells) or None)
    return [study.name, study.title, ", ".join(sorted({c.family for c in cells})) or "-",
            instances, len({c.solver for c in cells}) or None, runs, an.kinds(cells),
            stand[0].solver if stand else "",
            "per run" if study.runs is not None else ("tables" if cells else "figures"),
            study.command]
