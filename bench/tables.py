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


def most_common(values: Iterable[Any]) -> Any:
    """The most frequent value (ties: the smallest)."""
    counts: dict[Any, int] = defaultdict(int)
    for v in values:
        counts[v] += 1
    return min(counts, key=lambda v: (-counts[v], v))


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
