"""Aggregate tables of a sweep and their rendering (Markdown, LaTeX booktabs, CSV).

Every table is plain data (a ``Table``: caption, columns, raw rows); formatting happens
only when rendering, so the CSV keeps full precision. Statistics: mean, median and the
95% confidence interval of the mean (Student t) over the runs of a group.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.bench.references import FOUND_STATUSES

PM = "±"  # rendered as $\pm$ in LaTeX
PAPER_COMPLEXITY = {"dqn": "O(I)", "ga": "O(2 P M I)", "milp": "O(2^(2I))"}


# ---------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stats:
    """Mean, median and 95% confidence interval of the mean (NaN where undefined)."""

    n: int
    mean: float
    median: float
    lo: float
    hi: float

    @property
    def half(self) -> float:
        """Half-width of the confidence interval."""
        return (self.hi - self.lo) / 2


def stats(values: Iterable[float | None]) -> Stats:
    """Statistics of the finite values (None and NaN are left out)."""
    from scipy import stats as st

    x = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if x.size == 0:
        return Stats(0, math.nan, math.nan, math.nan, math.nan)
    mean, median = float(x.mean()), float(np.median(x))
    if x.size < 2:
        return Stats(1, mean, median, math.nan, math.nan)
    h = float(st.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Stats(int(x.size), mean, median, mean - h, mean + h)


def ok(row: dict[str, Any]) -> bool:
    """True when the run produced a scored solution."""
    return row["status"] in FOUND_STATUSES and row.get("objective") is not None


def failed(row: dict[str, Any]) -> bool:
    """True for errors and killed runs."""
    return row["status"] == "error" or bool(row.get("killed"))


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
def _number_format(spec: str, scale: float = 1.0) -> Callable[[Any], str]:
    def f(v: Any) -> str:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "-"
        return format(scale * v, spec)
    return f


def fmt_num(digits: int = 4) -> Callable[[Any], str]:
    """Formatter: fixed decimals, '-' for missing values."""
    return _number_format(f".{digits}f")


def fmt_sig(digits: int = 3) -> Callable[[Any], str]:
    """Formatter: significant digits, '-' for missing values."""
    return _number_format(f".{digits}g")


def fmt_pct(digits: int = 2) -> Callable[[Any], str]:
    """Formatter: a fraction shown in percent."""
    return _number_format(f".{digits}f", 100.0)


def fmt_interval(inner: Callable[[Any], str]) -> Callable[[Any], str]:
    """Formatter of a (lo, hi) pair: '[lo, hi]'."""
    def f(v: Any) -> str:
        if v is None or any(x is None or not math.isfinite(x) for x in v):
            return "-"
        return f"[{inner(v[0])}, {inner(v[1])}]"
    return f


def fmt_pm(inner: Callable[[Any], str]) -> Callable[[Any], str]:
    """Formatter of a (mean, half-width) pair: 'mean ± half'."""
    def f(v: Any) -> str:
        if v is None or v[0] is None or not math.isfinite(v[0]):
            return "-"
        if v[1] is None or not math.isfinite(v[1]):
            return inner(v[0])
        return f"{inner(v[0])} {PM} {inner(v[1])}"
    return f


def _text(v: Any) -> str:
    return "-" if v is None else str(v)


@dataclass
class Column:
    """A column: header, formatter for Markdown/LaTeX, and whether it holds numbers."""

    header: str
    fmt: Callable[[Any], str] = _text
    numeric: bool = False


@dataclass
class Table:
    """A named table with a caption; rows hold raw values."""

    name: str
    caption: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


def label_order(rows: list[dict[str, Any]], preferred: list[str]) -> list[str]:
    """Solver labels in config order, then any others alphabetically."""
    present = {r["label"] for r in rows}
    return [lab for lab in preferred if lab in present] + sorted(present - set(preferred))


def label_rank(rows: list[dict[str, Any]], preferred: list[str]) -> dict[str, int]:
    """Label -> its position in ``label_order`` (the sort key of every per-solver table)."""
    return {lab: i for i, lab in enumerate(label_order(rows, preferred))}


def group_by(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
             ) -> dict[Any, list[dict[str, Any]]]:
    """Rows grouped by ``key(row)``, in order of appearance."""
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out


# How a reference kind (gqap.bench.references) reads in a table: 'exact' is a proven
# optimum (an exact solver's, a run that proved optimality, or a shipped set's manifest).
KIND_LABELS = {"exact": "optimal", "best_known": "best-known", "proven_bound": "bound",
               "best_found": "best-found"}
KINDS_NOTE = ("reference kind: optimal = proven optimum, best-known = literature value, "
              "bound = best proven bound, best-found = best value any run found")


BOUND_NOTE = ("bound = the tightest proven lower bound on the optimum (a shipped set's manifest, "
              "a proof or any run's bound), open gap = (best known - bound) / best known in %: "
              "how far the best known solution could still be from the optimum")


def instance_bound(rows: list[dict[str, Any]]) -> tuple[float | None, float | None]:
    """(instance_bound, open_gap) of the rows of one instance (``bench.references.assign``
    gives every row of an instance the same); (None, None) when unknown."""
    r = next((r for r in rows if r.get("instance_bound") is not None), None)
    return (None, None) if r is None else (r["instance_bound"], r.get("open_gap"))


def kinds_text(rows: list[dict[str, Any]]) -> str:
    """The reference kinds of ``rows`` in words ('optimal/best-known'), '-' for none."""
    kinds = sorted({KIND_LABELS.get(r["reference_kind"], r["reference_kind"])
                    for r in rows if r.get("reference_kind")})
    return "/".join(kinds) or "-"


def summary_offloading(rows: list[dict[str, Any]], order: list[str],
                       family: str = "offloading") -> Table:
    """Per solver, user count and G (``family`` 'multi': the site count S): runs,
    failures, objective, gap and time statistics."""
    rows = [r for r in rows if r["family"] == family]
    rank = label_rank(rows, order)
    t = Table(f"summary_{family}",
              f"{family.capitalize()}: per solver and size, runs with a solution (solved) "
              "and failed or "
              "killed runs, mean objective per user, gap to the reference per user and "
              "relative (in %, positive = worse), and solve wall time; CI = 95% confidence "
              f"interval of the mean; {KINDS_NOTE}.",
              [Column("solver"), Column("users", numeric=True),
               Column("G" if family == "offloading" else "S", numeric=True),
               Column("runs", numeric=True), Column("solved", numeric=True),
               Column("failed", numeric=True),
               Column("obj/user", fmt_num(4), True), Column("gap/user", fmt_num(4), True),
               Column("gap/user CI", fmt_interval(fmt_num(4))),
               Column("gap % mean", fmt_pct(2), True), Column("gap % median", fmt_pct(2), True),
               Column("time s mean", fmt_sig(3), True), Column("time s median", fmt_sig(3), True),
               Column("time s CI", fmt_interval(fmt_sig(3))), Column("reference")])
    groups = group_by(rows, lambda r: (r["n_users_or_facilities"], r["gpus_or_sites"],
                                     rank.get(r["label"], 99), r["label"]))
    for (users, g, _, label), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        obj = stats(r["objective_per_user"] for r in good)
        gu = stats(r["gap_per_user"] for r in good)
        gr = stats(r["gap_rel"] for r in good)
        tm = stats(r["wall_time_s"] for r in good)
        t.rows.append([label, users, g, len(rs), len(good), sum(failed(r) for r in rs), obj.mean,
                       gu.mean,
                       (gu.lo, gu.hi), gr.mean, gr.median, tm.mean, tm.median, (tm.lo, tm.hi),
                       kinds_text(good)])
    return t


def summary_gqap(rows: list[dict[str, Any]], order: list[str]) -> Table:
    """Per GQAP instance and solver: cost, relative gap and time statistics."""
    rows = [r for r in rows if r["family"] == "gqap"]
    rank = label_rank(rows, order)
    t = Table("summary_gqap",
              "GQAP: per instance and solver, runs with a solution (solved) and failed or "
              "killed runs, mean and best cost, reference value, relative gap to the reference "
              "(in %, positive = worse) and solve wall time; CI = 95% confidence interval of "
              f"the mean; {KINDS_NOTE}; {BOUND_NOTE}.",
              [Column("instance"), Column("solver"), Column("n", numeric=True),
               Column("m", numeric=True), Column("runs", numeric=True),
               Column("solved", numeric=True), Column("failed", numeric=True),
               Column("cost mean", fmt_num(1), True),
               Column("cost best", fmt_num(1), True), Column("reference", fmt_num(1), True),
               Column("kind"), Column("bound", fmt_num(1), True),
               Column("open gap %", fmt_pct(3), True), Column("gap % mean", fmt_pct(3), True),
               Column("gap % CI", fmt_interval(fmt_pct(3))),
               Column("time s mean", fmt_sig(3), True), Column("time s median", fmt_sig(3), True)])
    groups = group_by(rows, lambda r: (r["instance"], rank.get(r["label"], 99), r["label"]))
    for (inst, _, label), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        cost = stats(r["objective"] for r in good)
        gr = stats(r["gap_rel"] for r in good)
        tm = stats(r["wall_time_s"] for r in good)
        best = min((r["objective"] for r in good), default=None)
        ref = next((r["reference"] for r in rs if r.get("reference") is not None), None)
        t.rows.append([inst, label, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                       len(rs), len(good), sum(failed(r) for r in rs), cost.mean, best, ref,
                       kinds_text(rs), *instance_bound(rs),
                       gr.mean, (gr.lo, gr.hi), tm.mean, tm.median])
    return t


def most_common(values: Iterable[Any]) -> Any:
    """The most frequent value (ties: the smallest)."""
    counts: dict[Any, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    return min(counts, key=lambda v: (-counts[v], v))


def objective_pivot(rows: list[dict[str, Any]], order: list[str], by: str) -> Table | None:
    """Mean objective per user (with 95% CI half-width) per solver against the user count
    (``by='users'``, at the most common G) or G (``by='G'``, at the most common user
    count): the data of the paper's Fig. 11; None when there is only one x value."""
    rows = [r for r in rows if r["family"] == "offloading"]
    if not rows:
        return None
    if by == "users":
        fixed = most_common(r["gpus_or_sites"] for r in rows)
        rows = [r for r in rows if r["gpus_or_sites"] == fixed]
        x_of, x_name, fixed_text = (lambda r: r["n_users_or_facilities"]), "users", f"G = {fixed}"
    else:
        fixed = most_common(r["n_users_or_facilities"] for r in rows)
        rows = [r for r in rows if r["n_users_or_facilities"] == fixed]
        x_of, x_name, fixed_text = (lambda r: r["gpus_or_sites"]), "G", f"{fixed} users"
    xs = sorted({x_of(r) for r in rows})
    if len(xs) < 2:
        return None
    labels = label_order(rows, order)
    t = Table(f"objective_vs_{'users' if by == 'users' else 'gpus'}",
              f"Mean objective per user (higher is better) {PM} half-width of the 95% "
              f"confidence interval, against {'the number of users' if by == 'users' else 'G'} "
              f"({fixed_text}); 'cases' = instances per row.",
              [Column(x_name, numeric=True), Column("cases", numeric=True)]
              + [Column(lab, fmt_pm(fmt_num(3)), True) for lab in labels])
    for x in xs:
        at = [r for r in rows if x_of(r) == x]
        cells = []
        for lab in labels:
            s = stats(r["objective_per_user"] for r in at if r["label"] == lab and ok(r))
            cells.append((s.mean, s.half) if s.n else None)
        t.rows.append([x, len({r["instance_hash"] for r in at}), *cells])
    return t


@dataclass(frozen=True)
class Fit:
    """Least-squares fit log10(time) = k log10(size) + c over the sizes of finished runs."""

    label: str
    sizes: tuple[int, ...]
    mean_times: tuple[float, ...]
    exponent: float
    intercept: float
    lo: float
    hi: float
    r2: float
    tail_exponent: float
    tail_from: int
    doubling: float
    doubling_r2: float


def runtime_fits(rows: list[dict[str, Any]], order: list[str]) -> list[Fit]:
    """One fit per solver label with finished runs at 3 or more sizes."""
    out = []
    from scipy import stats as st

    for lab in label_order(rows, order):
        by_size = group_by([r for r in rows if r["label"] == lab and ok(r)
                          and r["status"] != "time_limit" and r.get("wall_time_s")],
                         lambda r: r["n_users_or_facilities"])
        sizes = sorted(by_size)
        if len(sizes) < 3:
            continue
        times = [float(np.mean([r["wall_time_s"] for r in by_size[s]])) for s in sizes]
        res = st.linregress(np.log10(sizes), np.log10(times))
        h = float(st.t.ppf(0.975, len(sizes) - 2) * res.stderr)
        half = max(3, (len(sizes) + 1) // 2)
        tail = st.linregress(np.log10(sizes[-half:]), np.log10(times[-half:]))
        expo = st.linregress(sizes, np.log2(times))  # time ~ 2^(a I): the paper's B&B claim
        out.append(Fit(lab, tuple(sizes), tuple(times), float(res.slope), float(res.intercept),
                       float(res.slope) - h, float(res.slope) + h, float(res.rvalue ** 2),
                       float(tail.slope), sizes[-half], float(expo.slope),
                       float(expo.rvalue ** 2)))
    return out


def scaling_table(rows: list[dict[str, Any]], fits: list[Fit]) -> Table | None:
    """The measured counterpart of the paper's Table II: fitted runtime exponents."""
    if not fits:
        return None
    solver_of = {r["label"]: r["solver"] for r in rows}
    t = Table("runtime_scaling",
              "Measured runtime scaling (the paper's Table II, measured): least-squares fit of "
              "log10(mean solve time) against log10(size) over the sizes where runs finished "
              "within their limit (time ~ size^k): exponent k with its 95% confidence interval, "
              "k fitted on the larger half of the sizes only (constant overheads dominate "
              "small ones); and the exponential model time ~ 2^(a size) with its R^2, to "
              "compare with exponential claims.",
              [Column("solver"), Column("sizes"), Column("points", numeric=True),
               Column("exponent k", fmt_num(2), True), Column("k 95% CI", fmt_interval(fmt_num(2))),
               Column("R^2", fmt_num(3), True), Column("k large sizes", fmt_num(2), True),
               Column("from size", numeric=True), Column("a in 2^(a size)", fmt_sig(3), True),
               Column("R^2 exp", fmt_num(3), True), Column("time at largest s", fmt_sig(3), True),
               Column("paper's claim")])
    for f in fits:
        t.rows.append([f.label, f"{f.sizes[0]}-{f.sizes[-1]}", len(f.sizes), f.exponent,
                       (f.lo, f.hi), f.r2, f.tail_exponent, f.tail_from, f.doubling,
                       f.doubling_r2, f.mean_times[-1],
                       PAPER_COMPLEXITY.get(solver_of.get(f.label, ""), "-")])
    return t


def runtime_by_size(rows: list[dict[str, Any]], order: list[str]) -> Table | None:
    """Mean solve time per size (rows) and solver (columns); None with a single size."""
    sizes = sorted({r["n_users_or_facilities"] for r in rows})
    if len(sizes) < 2:
        return None
    labels = label_order(rows, order)
    t = Table("runtime_by_size", "Mean solve wall time in seconds per size (users or "
              "facilities) and solver; '-' where no run finished.",
              [Column("size", numeric=True)] + [Column(lab, fmt_sig(3), True) for lab in labels])
    for s in sizes:
        cells = []
        for lab in labels:
            st_ = stats(r["wall_time_s"] for r in rows if r["label"] == lab
                        and r["n_users_or_facilities"] == s and ok(r))
            cells.append(st_.mean if st_.n else None)
        t.rows.append([s, *cells])
    return t


def breakdown(rows: list[dict[str, Any]], order: list[str], max_instances: int) -> Table | None:
    """Per instance and solver: objective, mean PAI, mean end-to-end latency (the paper's
    Fig. 10); None when the sweep has more than ``max_instances`` offloading instances."""
    rows = [r for r in rows if r["family"] == "offloading"]
    names = sorted({r["instance"] for r in rows})
    if not names or len(names) > max_instances:
        return None
    rank = label_rank(rows, order)
    t = Table("instance_breakdown",
              "Per instance and solver (mean over seeds): objective, objective per user, mean "
              "PAI, mean end-to-end latency, granted users b and gap per user.",
              [Column("instance"), Column("solver"), Column("runs", numeric=True),
               Column("objective", fmt_num(3), True), Column("obj/user", fmt_num(4), True),
               Column("mean PAI", fmt_num(4), True), Column("mean latency s", fmt_num(3), True),
               Column("granted b", fmt_num(1), True), Column("gap/user", fmt_num(4), True)])
    groups = group_by(rows, lambda r: (r["instance"], rank[r["label"]], r["label"]))
    for (inst, _, lab), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        means = [stats(r[k] for r in good).mean for k in (
            "objective", "objective_per_user", "mean_pai", "mean_latency_s", "granted",
            "gap_per_user")]
        t.rows.append([inst, lab, len(rs), *means])
    return t


def dynamic_batch_table(rows: list[dict[str, Any]], order: list[str]) -> Table | None:
    """Paper (worst-case batch) vs dynamic-batch objective of the same stored solutions;
    rows need ``objective_dynamic`` (see ``bench.report``)."""
    rows = [r for r in rows if r.get("objective_dynamic") is not None]
    if not rows:
        return None
    rank = label_rank(rows, order)
    t = Table("dynamic_batch",
              "The paper's worst-case batch assumption (the edge batch stays at b for every "
              "step) against the dynamic-batch latency model (the batch shrinks as granted "
              "users finish their edge steps), for the same stored solutions: mean objective "
              "per user under each, the mean difference per user with its 95% CI, and that "
              "difference relative to |mean paper objective| in %.",
              [Column("solver"), Column("users", numeric=True), Column("runs", numeric=True),
               Column("obj/user paper", fmt_num(4), True),
               Column("obj/user dynamic", fmt_num(4), True),
               Column("difference/user", fmt_num(4), True),
               Column("difference CI", fmt_interval(fmt_num(4))),
               Column("change %", fmt_pct(2), True)])
    groups = group_by(rows, lambda r: (r["n_users_or_facilities"], rank[r["label"]], r["label"]))
    for (users, _, lab), rs in sorted(groups.items()):
        paper = stats(r["objective_per_user"] for r in rs)
        dyn = stats(r["objective_dynamic"] / users for r in rs)
        diff = stats((r["objective_dynamic"] - r["objective"]) / users for r in rs)
        # ratio of means: a mean of per-run ratios would be dominated by objectives near 0
        change = diff.mean / abs(paper.mean) if abs(paper.mean) > 1e-12 else None
        t.rows.append([lab, users, len(rs), paper.mean, dyn.mean, diff.mean, (diff.lo, diff.hi),
                       change])
    return t


def failures_table(rows: list[dict[str, Any]]) -> Table | None:
    """Every failed run (error or killed) with its message; None when there is none."""
    bad = [r for r in rows if failed(r)]
    if not bad:
        return None
    t = Table("failures", "Runs that failed (status error) or were killed for overrunning "
              "their time limit.",
              [Column("solver"), Column("instance"), Column("seed", numeric=True),
               Column("status"), Column("killed"), Column("time s", fmt_sig(3), True),
               Column("message")])
    for r in sorted(bad, key=lambda r: (r["label"], r["instance"], r["seed"])):
        t.rows.append([r["label"], r["instance"], r["seed"], r["status"],
                       "yes" if r.get("killed") else "no", r.get("wall_time_s"),
                       (r.get("error") or "")[:120]])
    return t


# ---------------------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------------------
def _cells(t: Table) -> list[list[str]]:
    return [[c.fmt(v) for c, v in zip(t.columns, row, strict=True)] for row in t.rows]


def to_markdown(t: Table) -> str:
    """GitHub Markdown: the caption as a paragraph, then the table."""
    from tabulate import tabulate

    body = tabulate(_cells(t), headers=[c.header for c in t.columns], tablefmt="github",
                    disable_numparse=True,
                    colalign=["right" if c.numeric else "left" for c in t.columns])
    return t.caption + "\n\n" + body + "\n"


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (tabulate's rules)."""
    from tabulate import LATEX_ESCAPE_RULES

    return "".join(LATEX_ESCAPE_RULES.get(ch, ch) for ch in text)


def to_latex(t: Table) -> str:
    """A booktabs ``table`` environment (needs \\usepackage{booktabs}); every cell and the
    caption are escaped."""
    from tabulate import tabulate

    body = tabulate(_cells(t), headers=[c.header for c in t.columns],
                    tablefmt="latex_booktabs", disable_numparse=True,
                    colalign=["right" if c.numeric else "left" for c in t.columns])
    body = body.replace(PM, r"$\pm$")
    caption = latex_escape(t.caption).replace(PM, r"$\pm$")
    return ("% generated by gqap bench report; needs \\usepackage{booktabs}\n"
            "\\begin{table}[htbp]\n\\centering\n\\small\n"
            f"\\caption{{{caption}}}\n\\label{{tab:{t.name.replace('_', '-')}}}\n"
            f"{body}\n\\end{{table}}\n")


def to_csv(t: Table) -> str:
    """CSV with raw values; a (mean, half-width) or (lo, hi) cell becomes two columns."""
    pair_cols = {i for i, _ in enumerate(t.columns)
                 if any(isinstance(row[i], tuple) for row in t.rows)}
    headers = []
    for i, c in enumerate(t.columns):
        if i in pair_cols:
            pm = c.fmt((1.0, 1.0)).find(PM) >= 0
            headers += ([f"{c.header} mean", f"{c.header} ci95 half"] if pm
                        else [f"{c.header} low", f"{c.header} high"])
        else:
            headers.append(c.header)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(headers)
    for row in t.rows:
        out = []
        for i, v in enumerate(row):
            if i in pair_cols:
                out += list(v) if isinstance(v, tuple) else ["", ""]
            else:
                out.append("" if v is None else v)
        w.writerow(["" if isinstance(v, float) and not math.isfinite(v) else v for v in out])
    return buf.getvalue()
