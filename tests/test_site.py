"""The results site: the palette, runs.csv, who-wins arithmetic, and the pages written for
a sweep and for the shipped results/ (links resolve, values on the page equal the rows)."""

from __future__ import annotations

import csv
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import ROOT

from gqap.bench.config import config_from_dict
from gqap.bench.figures.common import colors
from gqap.bench.figures.palette import KNOWN, style, styles
from gqap.bench.report import load, write_report
from gqap.bench.site import analysis as an
from gqap.bench.site import plots
from gqap.bench.site.build import write_site, write_sweep_site
from gqap.bench.site.data import (
    RUN_COLUMNS,
    RUNS_FILE,
    Cell,
    cells_from_runs,
    read_runs_csv,
    runs_csv,
    runs_from_rows,
)
from gqap.bench.sweep import run_sweep
from gqap.cli import main
from gqap.errors import GQAPError

RESULTS = ROOT / "results"


# ---------------------------------------------------------------------------------------
# page reading helpers
# ---------------------------------------------------------------------------------------
class Page(HTMLParser):
    """Links, images, scripts, tables (rows of (text, data-v)) of one HTML page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path, self.refs, self.tables = path, [], {}
        self._table, self._row, self._cell = None, None, None
        self.feed(path.read_text())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key])
        if tag == "table":
            self._table = a.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = {"head": [], "rows": []}
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [a.get("data-v"), ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((self._cell[1].strip(), self._cell[0]))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[self._table]
            if not t["head"]:
                t["head"] = [text for text, _ in self._row]
            else:
                t["rows"].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def column(self, table: str, header: str) -> list[str | None]:
        """The data-v values (else the text) of one column of the table whose id is
        ``table`` or, for 'cells-'/'pick-', starts with it (the GQAP family's id)."""
        if table not in self.tables:
            table = next(t for t in self.tables if t.startswith(table))
        t = self.tables[table]
        i = t["head"].index(header)
        return [row[i][1] if row[i][1] is not None else row[i][0] for row in t["rows"]]


def dead_links(folder: Path) -> list[str]:
    """Every relative href/src of every page under ``folder`` that names no file."""
    bad = []
    for page in folder.rglob("*.html"):
        for ref in Page(page).refs:
            url = urlparse(ref)
            if url.scheme or ref.startswith("#") or ref.startswith("data:"):
                if url.scheme in ("http", "https"):
                    bad.append(f"{page}: network link {ref}")
                continue
            target = (page.parent / unquote(url.path)).resolve()
            if not target.is_file():
                bad.append(f"{page}: {ref}")
    return bad


def _num(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


# ---------------------------------------------------------------------------------------
# palette
# ---------------------------------------------------------------------------------------
def _study_labels(folder: Path) -> set[str]:
    labels = set()
    for name, key in (("summary_gqap", "solver"), ("summary_offloading", "solver"),
                      ("summary_multi", "solver"), ("bounds", "method")):
        path = folder / f"{name}.csv"
        if path.is_file():
            with path.open() as fh:
                labels |= {row[key] for row in csv.DictReader(fh)}
    return labels


def test_every_shipped_study_gets_distinct_colours_and_markers():
    studies = [p for p in RESULTS.iterdir() if p.is_dir()]
    assert len(studies) >= 10
    for folder in studies:
        labels = sorted(_study_labels(folder))
        assert all(lab in KNOWN for lab in labels), (folder.name, labels)
        st = styles(labels)
        assert len({s.colour for s in st.values()}) == len(labels), folder.name
        assert len({s.marker for s in st.values()}) == len(labels), folder.name


def test_styles_are_stable_and_unknown_labels_avoid_the_others():
    # the figure that gave exact and dqn-set the same blue, now two colours
    assert colors(["exact", "dqn-set"])["exact"] != colors(["exact", "dqn-set"])["dqn-set"]
    # one label, one style, whatever else is in the figure
    assert styles(["tabu", "ga"])["tabu"] == styles(["exact", "milp", "tabu"])["tabu"] \
        == style("tabu")
    labels = ["tabu", "ga", *[f"mine-{i}" for i in range(8)]]
    st = styles(labels)
    assert len({s.colour for s in st.values()}) == len(labels)
    assert len({s.marker for s in st.values()}) == len(labels)
    assert styles(labels) == st  # the same set, the same answer


# ---------------------------------------------------------------------------------------
# a small GQAP race with seeds, a bound method and a reference solver
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def race(tmp_path_factory):
    out = tmp_path_factory.mktemp("race")
    cfg = config_from_dict({
        "name": "site-race", "time_limit": 20, "seeds": [0, 1],
        "solvers": [{"name": "brute-force", "seeds": [0]},
                    {"name": "tabu", "options": {"max_iterations": 300}},
                    {"name": "tabu", "label": "tabu-short", "options": {"max_iterations": 2}},
                    {"name": "bound", "label": "glb", "options": {"method": "glb"},
                     "seeds": [0]}],
        "instances": [{"set": "tiny-gqap"}],
        "report": {"title": "Site test race", "hooks": ["race"]}})
    run_sweep(cfg, out, workers=2, progress=False)
    return out


def test_runs_csv_holds_one_line_per_run_and_reads_back(race, tmp_path):
    data = load(race)
    runs = runs_from_rows(data.rows)
    assert len(runs) == len(data.rows) == 3 * (1 + 2 + 2 + 1)
    rep = write_report(race, tmp_path / "rep", figures=False)
    path = tmp_path / "rep" / RUNS_FILE
    assert path in rep.tables
    back = read_runs_csv(path)
    assert len(back) == len(runs)
    for got, want in zip(back, runs, strict=True):  # floats to 10 significant digits
        for column in RUN_COLUMNS:
            a, b = getattr(got, column), getattr(want, column)
            assert a == (pytest.approx(b, rel=1e-9) if isinstance(b, float) else b), column
    by_key = {(r["instance"], r["label"], r["seed"]): r for r in data.rows}
    for run in back:
        row = by_key[(run.instance, run.solver, run.seed)]
        for key, value in (("objective", run.objective), ("wall_time_s", run.wall_time_s),
                           ("reference", run.reference), ("gap_rel", run.gap_rel)):
            assert value == (None if row[key] is None or run.objective is None and
                             key == "objective" else pytest.approx(row[key], rel=1e-9))
        if run.solver == "brute-force":
            assert run.kind == "optimal" and run.reached and run.run_bound == run.objective
        if run.solver == "glb":
            assert run.objective is None and run.run_bound <= run.reference
        if run.solver.startswith("tabu") and run.reached:
            assert 0 <= run.ttt_s <= run.wall_time_s
    # markdown/latex only: no runs.csv
    write_report(race, tmp_path / "md", formats=["markdown"], figures=False)
    assert not (tmp_path / "md" / RUNS_FILE).exists()


def test_a_runs_csv_with_other_columns_is_refused(tmp_path):
    bad = tmp_path / RUNS_FILE
    bad.write_text("instance,solver\nx,y\n")
    with pytest.raises(GQAPError, match="expected the columns"):
        read_runs_csv(bad)
    good = tmp_path / "ok.csv"
    good.write_text(runs_csv([]))
    assert good.read_text().strip() == ",".join(RUN_COLUMNS)


def test_sweep_html_report_pages_links_and_values(race, tmp_path):
    index = write_sweep_site(race, tmp_path / "html")
    out = index.parent
    for name in ("index.html", "tables.html", "figures.html", "instances.html",
                 "assets/site.css", "assets/sort.js", "profile-time.png", "profile-gap.png",
                 "ttt-ecdf.png", "runtime.png"):
        assert (out / name).is_file(), name
    assert dead_links(out) == []
    runs = runs_from_rows(load(race).rows)
    # every instance page lists every run of that instance with the stored values
    for inst in {r.instance for r in runs}:
        page = Page(out / "instances" / f"{inst}.html")
        mine = sorted((r for r in runs if r.instance == inst), key=lambda r: (r.solver, r.seed))
        got = sorted(zip(page.column("runs", "solver"),
                         [int(s) for s in page.column("runs", "seed")],
                         [_num(v) for v in page.column("runs", "cost")],
                         [_num(v) for v in page.column("runs", "wall s")], strict=True))
        assert got == [(r.solver, r.seed, r.objective, pytest.approx(r.wall_time_s, rel=1e-9))
                       for r in mine]
    # the per-instance table equals the cells computed from the runs
    cells = {(c.instance, c.solver): c for c in cells_from_runs(runs)}
    page = Page(out / "tables.html")
    rows = zip(page.column("cells-", "instance"), page.column("cells-", "solver"),
               page.column("cells-", "gap % mean"), page.column("cells-", "reached"),
               strict=True)
    seen = 0
    for inst, solver, gap, reached in rows:
        c = cells[(inst, solver)]
        assert _num(gap) == (None if c.gap is None else pytest.approx(c.gap, rel=1e-9))
        assert int(reached) == c.reached
        seen += 1
    assert seen == len(cells)
    # the summary names the reference kind, the pick table and the winner
    summary = (out / "index.html").read_text()
    assert "reference: optimal" in summary
    assert re.search(r'id="pick-(gqap|classic)"', summary) and "Tightest bound" in summary
    # too few instances for a critical-difference diagram: said, not drawn
    figures = (out / "figures.html").read_text()
    assert "critical-difference diagram" in figures and "at least 10 needed" in figures
    assert not (out / "cd.png").exists()


def test_cli_report_html_and_help(race, tmp_path, capsys):
    assert main(["bench", "report", str(race), "--format", "html", "--out",
                 str(tmp_path / "h")]) == 0
    assert "index.html" in capsys.readouterr().out
    assert (tmp_path / "h" / "index.html").is_file()
    assert not (tmp_path / "h" / "summary_gqap.md").exists()  # html only
    with pytest.raises(SystemExit):
        main(["bench", "report", "--help"])
    text = capsys.readouterr().out
    assert "95% CI" in text and "95%%" not in text and "html" in text


# ---------------------------------------------------------------------------------------
# who wins
# ---------------------------------------------------------------------------------------
def _cell(inst, solver, gap, time, reached=1, runs=1, ttt=None, size=10):
    return Cell(solver=solver, family="gqap", sense="min", instance=inst, size=size, sites=3,
                runs=runs, solved=runs, reached=reached, gap=gap, time=time, ttt=ttt,
                best=None, bound=None, reference=100.0, kind="optimal", instance_bound=None)


def test_performance_profile_ratios_to_the_fastest():
    cells = [_cell("a", "x", 0.0, 1.0), _cell("a", "y", 0.0, 4.0),
             _cell("b", "x", 0.0, 2.0, ttt=0.5), _cell("b", "y", 0.0, 1.0),
             _cell("c", "x", 0.1, 1.0, reached=0), _cell("c", "y", 0.0, 3.0),
             _cell("d", "x", 0.2, 1.0, reached=0), _cell("d", "y", 0.3, 1.0, reached=0)]
    prof = an.performance_profile(cells, ["x", "y"])
    assert (prof.units, prof.left_out) == (3, 1)  # d: reached by nobody
    # x: a at ratio 1, b at 0.5 / 1 -> 1 (its time to target is 0.5 s), c never
    assert prof.curves["x"] == [(1.0, 1 / 3), (1.0, 2 / 3)]
    # y: a 4x, b 2x (1 / 0.5), c 1x
    assert prof.curves["y"] == [(1.0, 1 / 3), (2.0, 2 / 3), (4.0, 1.0)]
    acc = an.accuracy_profile(cells, ["x", "y"])
    assert acc.curves["y"] == [(0.0, 0.25), (0.0, 0.5), (0.0, 0.75), (0.3, 1.0)]


def test_recommend_picks_the_lowest_gap_that_fits_each_budget():
    cells = [_cell(f"i{k}", s, g, t, size=sz) for k, (s, g, t, sz) in enumerate([
        ("fast", 0.05, 0.002, 10), ("slow", 0.0, 0.9, 10), ("mid", 0.01, 0.03, 10),
        ("fast", 0.02, 0.004, 20), ("slow", 0.0, 9.5, 20)])]
    rows = an.size_rows(cells, [])
    groups, limits, picks = an.recommend(rows)
    assert groups == [(10, 10), (20, 20)]
    assert limits == [0.01, 0.1, 1.0, 10.0]
    got = {(p.group[0], p.budget): (p.row.solver if p.row else None) for p in picks}
    assert got == {(10, 0.01): "fast", (10, 0.1): "mid", (10, 1.0): "slow",
                   (10, 10.0): "slow", (20, 0.01): "fast", (20, 0.1): "fast",
                   (20, 1.0): "fast", (20, 10.0): "slow"}
    # a run at its limit plus the clock's overhead still fits that budget
    assert an.recommend(an.size_rows([_cell("a", "s", 0.0, 10.2)], []))[2][0].budget == 10.0


def test_standings_share_ties_and_order_by_wins_gap_time():
    cells = [_cell("a", "x", 0.0, 2.0), _cell("a", "y", 0.0, 1.0), _cell("a", "z", 0.1, 0.1),
             _cell("b", "x", 0.0, 2.0), _cell("b", "y", 0.01, 1.0), _cell("b", "z", 0.2, 0.1)]
    st = an.standings(cells, ["x", "y", "z"])
    assert [(s.solver, s.wins, s.cells) for s in st] == [("x", 2, 2), ("y", 1, 2),
                                                          ("z", 0, 2)]
    assert st[1].gap == pytest.approx(0.005)


def test_cd_diagram_needs_instances_and_solvers(tmp_path):
    few = [_cell(f"i{k}", s, 0.01 * k, 1.0) for k in range(4) for s in ("x", "y", "z")]
    assert "at least 10 needed" in plots.draw_cd(few, [], tmp_path / "a.png", "optimal")
    two = [_cell(f"i{k}", s, 0.01 * k, 1.0) for k in range(12) for s in ("x", "y")]
    assert "at least 3 needed" in plots.draw_cd(two, [], tmp_path / "b.png", "optimal")
    pytest.importorskip("autorank")
    many = [_cell(f"i{k}", s, g * (1 + k % 3), 1.0) for k in range(12)
            for s, g in (("x", 0.0), ("y", 0.01), ("z", 0.05))]
    assert plots.draw_cd(many, [], tmp_path / "c.png", "optimal") == tmp_path / "c.png"


# ---------------------------------------------------------------------------------------
# the site of the shipped results/
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return write_site(RESULTS, out), out


def test_site_links_every_study_with_its_command(shipped_site):
    rep, out = shipped_site
    studies = sorted(p.name for p in RESULTS.iterdir() if (p / "README.md").is_file())
    assert sorted(rep.pages) == studies
    index = Page(rep.index)
    assert sorted(index.column("studies", "study")) == studies
    assert index.column("studies", "regenerate") == [
        f"gqap bench reproduce --only {s}" for s in index.column("studies", "study")]
    for s in studies:
        assert (out / s / "index.html").is_file()
    assert dead_links(out) == []
    # text is escaped once: fig11c's title has an ampersand
    assert "DRL-convex vs Branch &amp; Bound" in rep.index.read_text()
    for page in out.rglob("*.html"):
        assert "&amp;amp;" not in page.read_text() and "&amp;#x27;" not in page.read_text()


def test_site_pages_carry_the_shipped_values(shipped_site):
    _, out = shipped_site
    lit = RESULTS / "literature"
    with (lit / "summary_gqap.csv").open() as fh:
        rows = {(r["instance"], r["solver"]): r for r in csv.DictReader(fh)}
    page = Page(out / "literature" / "tables.html")
    got = list(zip(page.column("cells-", "instance"), page.column("cells-", "solver"),
                   page.column("cells-", "gap % mean"),
                   page.column("cells-", "time s mean"),
                   page.column("cells-", "reference"), strict=True))
    assert len(got) == len(rows)
    for inst, solver, gap, time, ref in got:
        r = rows[(inst, solver)]
        for shown, stored in ((gap, r["gap % mean"]), (time, r["time s mean"]),
                              (ref, r["reference"])):
            assert _num(shown) == (pytest.approx(float(stored), rel=1e-9) if stored else None)
    # each instance page of the race names its reference, its kind and every solver
    page = Page(out / "literature" / "instances" / "30-20-95.html")
    facts = {row[0][0]: row[1][0] for row in [page.tables["facts"]["head"] and
                                             [(page.tables["facts"]["head"][0], None),
                                              (page.tables["facts"]["head"][1], None)]]
             + page.tables["facts"]["rows"]}
    ref = float(rows[("30-20-95", "tabu")]["reference"])
    assert facts["reference"] == f"{ref:,.1f}" and facts["reference kind"] == "best-known"
    shown = page.column("runs", "solver")  # one line per run (the study ships runs.csv)
    assert sorted(set(shown)) == sorted(s for (i, s) in rows if i == "30-20-95")
    assert len(shown) == sum(int(r["runs"]) for (i, _), r in rows.items() if i == "30-20-95")
    # a study reported with runs.csv is read per run, one without says so
    for study in (p for p in RESULTS.iterdir() if (p / "README.md").is_file()):
        text = (out / study.name / "index.html").read_text()
        if (study / RUNS_FILE).is_file():
            n = sum(1 for _ in (study / RUNS_FILE).open()) - 1
            assert f"every run ({n:,} lines" in text
        elif (study / "summary_gqap.csv").is_file():
            assert "the report's tables" in text


def test_cli_site_writes_one_folder_per_study(tmp_path, capsys):
    import shutil

    results = tmp_path / "results"
    shutil.copytree(RESULTS / "fig10", results / "fig10")
    shutil.copytree(RESULTS / "fig8", results / "fig8")  # figures only, no runs
    (results / "stray").mkdir()  # no README.md: not a study
    assert main(["bench", "site", "--results", str(results), "--out",
                 str(tmp_path / "site"), "--workers", "2"]) == 0
    assert "2 studies" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        "assets", "fig10", "fig8", "index.html"]
    assert dead_links(tmp_path / "site") == []
    assert "fig8.png" in (tmp_path / "site" / "fig8" / "figures.html").read_text()
    # fig10 ships runs.csv: its one instance page lists its five runs
    page = Page(next((tmp_path / "site" / "fig10" / "instances").glob("*.html")))
    assert len(page.column("runs", "solver")) == 5


def test_site_refuses_a_folder_without_studies(tmp_path, capsys):
    with pytest.raises(GQAPError, match="no study folders"):
        write_site(tmp_path, tmp_path / "out")
    assert main(["bench", "site", "--results", str(tmp_path / "nope")]) != 0
    assert "no such folder" in capsys.readouterr().err


def test_every_figure_caption_names_the_reference_kind(shipped_site):
    _, out = shipped_site
    for page in (out / "literature" / "figures.html", out / "multi" / "figures.html"):
        text = page.read_text()
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S)
        site_caps = [c for c in captions if "wall time per size" not in c]  # runtime: none
        assert site_caps and all(re.search(r"optimal|best-known|bound|best-found", c)
                                 for c in site_caps), page


def test_gap_values_are_finite_or_absent(race):
    for c in cells_from_runs(runs_from_rows(load(race).rows)):
        assert c.gap is None or math.isfinite(c.gap)
