"""``gqap bench report``: tables and figures from a sweep folder's results store; and the
report of a study that needs no sweep (``write_figure_report``, ``bench.catalogue``).

Gaps are recomputed from the stored references and runs (best-found references move as
runs land). Only the tables and figures the data supports are written: a curve needs two
or more x values, a runtime fit three or more sizes, the per-instance breakdown (the
paper's Fig. 10) a handful of instances. ``README.md`` in the output folder shows every
table and figure with the sweeps they come from.
"""

from __future__ import annotations

import importlib
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gqap.bench import references, tables
from gqap.bench.figures import gap_distribution, runtime_scaling, ttt
from gqap.bench.figures import tradeoff as tradeoff_figure
from gqap.bench.store import DB_NAME, ResultStore
from gqap.bench.studies import HOOKS
from gqap.errors import GQAPError
from gqap.family import families, upper
from gqap.family import family as family_spec
from gqap.io import write_text_atomic

FORMATS = {"markdown": ("md", tables.to_markdown), "latex": ("tex", tables.to_latex),
           "csv": ("csv", tables.to_csv)}


@dataclass
class Report:
    """What a report wrote."""

    out_dir: Path
    tables: list[Path] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class SweepData:
    """Rows with current gaps, solver label order, report settings and sweep records."""

    rows: list[dict[str, Any]]
    order: list[str]
    settings: dict[str, Any]
    sweeps: list[dict[str, Any]]
    name: str


def load(sweep_dir: str | Path) -> SweepData:
    """Read a sweep folder; gaps are recomputed against the current references."""
    db = Path(sweep_dir) / DB_NAME
    if not db.exists():
        raise GQAPError(f"{sweep_dir}: no {DB_NAME} here (run 'gqap bench run' first)")
    with ResultStore(db, readonly=True) as store:
        rows = references.assign(store.rows(), store.references())
        sweeps = store.sweeps()
    config = json.loads(sweeps[-1]["config"]) if sweeps else {}
    order = []
    for s in config.get("solvers", []):
        entry = {"name": s} if isinstance(s, str) else s
        order.append(entry.get("label", entry.get("name")))
    settings = config.get("report", {}) if isinstance(config.get("report"), dict) else {}
    return SweepData(rows, order, settings, sweeps, config.get("name", Path(sweep_dir).name))


@dataclass
class ReportContext:
    """What a family's report hooks (``bench.families``) get: the rows with current gaps,
    the label order, the report settings and the sweep folder; for its figures also the
    report's title and the names of the tables it writes."""

    rows: list[dict[str, Any]]
    order: list[str]
    sweep_dir: Path
    dynamic_batch: bool
    max_instances: int
    title: str = ""
    tables: set[str] = field(default_factory=set)  # filled in once the tables are made


SLOTS = ("objective_tables", "summary_tables", "breakdown_tables")


def family_tables(slot: str, ctx: ReportContext) -> list[Any]:
    """Every family's tables of one slot, families in registry order."""
    return [t for spec in families() for t in upper(spec.report, slot, lambda ctx: [])(ctx)]


def family_figures(slot: str, ctx: ReportContext, out: Path) -> list[Path]:
    """Every family's figures of one slot (``figures`` before the shared figures,
    ``latency_figures`` after them), families in registry order."""
    return [p for spec in families()
            for p in upper(spec.report, slot, lambda ctx, out: [])(ctx, out)]


def provenance(data: SweepData) -> str:
    """One Markdown list line per sweep of the store: when, where, how and how many runs."""
    lines = []
    for s in data.sweeps:
        wall = f"{s['wall_s']:.0f} s" if s.get("wall_s") is not None else "unfinished"
        machine = f" ({s['machine']})" if s.get("machine") else ""
        lines.append(f"- sweep {s['sweep_id']} ({s['config_name']}): {s['started_at']} on "
                     f"{s['host']}{machine}, {s['executor']} executor, {s['workers']} "
                     f"workers, {s['planned']} runs planned, {s['already_stored']} already "
                     f"stored, {s['completed']} new ({s['failed']} failed), wall {wall}")
    return "\n".join(lines)


def write_report(sweep_dir: str | Path, out_dir: str | Path,
                 formats: list[str] | tuple[str, ...] = ("markdown", "latex", "csv"),
                 figures: bool = True, dynamic_batch: bool | None = None,
                 command: str = "") -> Report:
    """Write the tables (in ``formats``) and figures of a sweep folder into ``out_dir``;
    its README.md names ``command`` (the command that wrote the folder, when it is not a
    plain ``gqap bench report``) and each sweep with the machine conditions it ran under."""
    data = load(sweep_dir)
    out = Path(out_dir)
    rep = Report(out)
    rows, order = data.rows, data.order
    title = str(data.settings.get("title", ""))
    if not rows:
        rep.notes.append(f"{sweep_dir}: no runs stored yet; nothing to report")
        return rep
    if dynamic_batch is None:
        dynamic_batch = bool(data.settings.get("dynamic_batch", True))
    fits = tables.runtime_fits(rows, order)
    ctx = ReportContext(rows, order, Path(sweep_dir), dynamic_batch,
                        int(data.settings.get("breakdown_max_instances", 10)), title)
    candidates = [
        *(t for slot in SLOTS for t in family_tables(slot, ctx)),
        tables.scaling_table(rows, fits),
        tables.runtime_by_size(rows, order),
        *family_tables("latency_tables", ctx),
    ]
    hooks = data.settings.get("hooks", [])  # the study tables the config names
    for name in [hooks] if isinstance(hooks, str) else hooks:
        if name in HOOKS:
            candidates += HOOKS[name](rows, order)
        else:
            rep.notes.append(f"report hook {name!r} is unknown here; skipped")
    candidates.append(tables.failures_table(rows))
    made = [t for t in candidates if t is not None and t.rows]
    for t in made:
        for fmt in formats:
            ext, render = FORMATS[fmt]
            rep.tables.append(write_text_atomic(out / f"{t.name}.{ext}", render(t)))
    if "csv" in formats:  # one line per run: what the results site reads (bench.site)
        from gqap.bench.site.data import RUNS_FILE, runs_csv, runs_from_rows

        rep.tables.append(write_text_atomic(out / RUNS_FILE, runs_csv(runs_from_rows(rows))))
    names = ctx.tables = {t.name for t in made}
    if figures:
        rep.figures += family_figures("figures", ctx, out)  # figures a family draws itself
        if fits:
            rep.figures.append(runtime_scaling.draw(rows, fits, order,
                                                    out / "runtime_scaling.png"))
        if gap_distribution.has_data(rows):
            rep.figures.append(gap_distribution.draw(rows, order,
                                                     out / "gap_distribution.png"))
        if "tradeoff" in names:  # gap against time, one point per solver and size
            key = family_spec(rows[0]["family"], warn=False).secondary
            rep.figures.append(tradeoff_figure.draw(rows, order, out / "tradeoff.png",
                                                    key=key))
        if "ttt" in names:  # the race's time-to-target plots, from stored trajectories
            rep.figures += ttt.draw(rows, order, out, title)
        rep.figures += family_figures("latency_figures", ctx, out)
    written_by = (f"Written by `{command}` (sweeps into `{sweep_dir}`, then its report); "
                  "nothing here is written by another command." if command else
                  f"Written by `gqap bench report` on `{sweep_dir}`.")
    index = [f"# {title or data.name}", "",
             f"{len(rows)} runs of {len({r['label'] for r in rows})} solvers on "
             f"{len({r['instance_hash'] for r in rows})} instances. {written_by}", ""]
    if data.settings.get("note"):
        index += [str(data.settings["note"]), ""]
    index += ["Sweeps (times are wall times on the machine named; compare solvers by ratios "
              "within one sweep):", "", provenance(data), ""]
    for t in made:
        index += [f"## {t.name}", "", tables.to_markdown(t), ""]
    for f in rep.figures:
        index += [f"![{f.stem}]({f.name})", ""]
    rep.tables.append(write_text_atomic(out / "README.md", "\n".join(index)))
    return rep


def write_figure_report(figure: str, out_dir: str | Path, command: str) -> Report:
    """Draw figure ``figure`` of ``bench.figures.FIGURES`` (from the model or the shipped
    data, no sweep) into ``out_dir`` with a README.md naming ``command`` and the machine."""
    from gqap.bench.figures import FIGURES
    from gqap.bench.sweep import machine_note

    out = Path(out_dir)
    module = importlib.import_module(FIGURES[figure])
    written = list(module.write(out))
    doc = (module.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    lines = [f"# {out.name}", "", doc, "",
             f"Written by `{command}` (the same files as `gqap figure {figure} --out {out}`); "
             "nothing here is written by any other command.", "",
             f"Machine: {socket.gethostname()}, {machine_note()}.", "", "Files:", ""]
    lines += [f"- `{p.name}`" for p in written]
    lines += [""] + [f"![{p.stem}]({p.name})" for p in written if p.suffix == ".png"]
    readme = write_text_atomic(out / "README.md", "\n".join(lines) + "\n")
    rep = Report(out, [p for p in written if p.suffix != ".png"],
                 [p for p in written if p.suffix == ".png"])
    rep.tables.append(readme)
    return rep
