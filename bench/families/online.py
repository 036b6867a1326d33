"""Report tables and figures of the online family (docs/ONLINE.md).

Per scenario cell (profile, horizon, G, arrival rate) and policy: the value per user, the
gain over ``myopic``, the regret to the hindsight optimum (where ``hindsight`` proved it)
and to the best bound, saying which bound. The best bound of a scenario is the smallest of:
``online-bound``'s (the Lagrangean or the snapshot bound, re-checkable from its
multipliers), a proven hindsight optimum, and the bound of a ``hindsight`` MILP that did
not close its gap (HiGHS's). Regret = (reference - value) / |reference|, in %.

Tables: ``online_summary`` (every policy in every cell), ``online_targets`` (the issue's
targets: the best online policy against ``myopic`` and against the best bound, per cell
of the constant profile), ``online_promise`` (what the paper's snapshot model promises
against what a run can get). Figures: ``online_value_vs_load.png`` (value per user against
the arrival rate, one panel per G) and ``online_occupancy.png`` (busy GPUs at each moment
of one scenario, ``myopic`` against the best policy).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gqap.bench.store import ResultStore
from gqap.bench.tables import (
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    label_order,
    most_common,
    ok,
    stats,
)
from gqap.solvers.base import Status

FAMILY = "online"
REFERENCES = ("hindsight", "online-bound")  # solvers that are not online policies
BASELINE = "myopic"
TARGET_GAIN = 0.08  # the targets: >= 8 % over myopic per cell, <= 8 % from the bound
TARGET_GAP = 0.08
# The target cells: (profile, periods, G, rate).
TARGET_CELLS = {("constant", 120, G, rate) for G in (8, 16) for rate in (4.0, 10.0)}


@dataclass
class Scenario:
    """One stored scenario: its cell, users, and the references its rows give."""

    hash: str
    cell: tuple[str, int, int, float]  # profile, periods, G, rate
    users: int
    hindsight: float | None = None
    bound: float | None = None
    bound_source: str = ""
    snapshot: float | None = None
    lagrangean: float | None = None

    def offer(self, value: float | None, source: str) -> None:
        """Keep ``value`` as the best bound when it is smaller."""
        if value is not None and math.isfinite(value) and (self.bound is None
                                                            or value < self.bound):
            self.bound, self.bound_source = value, source


def _scenarios(ctx: Any, rows: list[dict[str, Any]]) -> dict[str, Scenario]:
    with ResultStore.in_dir(ctx.sweep_dir, readonly=True) as store:
        meta = {m["instance_hash"]: json.loads(m["params"]) for m in store.instance_rows()
                if m["family"] == FAMILY}
    out = {}
    for h, p in meta.items():
        out[h] = Scenario(h, (str(p["profile"]), int(p["periods"]), int(p["G"]),
                              float(p["rate"])), int(p["n_users"]))
    for r in rows:
        s = out.get(r["instance_hash"])
        if s is None:
            continue
        info = _info(r)
        if r["solver"] == "online-bound" and r["status"] == Status.BOUND:
            s.snapshot, s.lagrangean = info.get("snapshot_bound"), info.get("lagrangean_bound")
            s.offer(r.get("bound"), str(info.get("bound_source", "online-bound")))
        elif r["solver"] == "hindsight":
            if r["status"] == Status.OPTIMAL and r.get("objective") is not None:
                s.hindsight = r["objective"]
                s.offer(r["objective"], "hindsight")
            elif r.get("bound") is not None:
                s.offer(r["bound"], "hindsight MILP bound")
    return out


def _info(row: dict[str, Any]) -> dict[str, Any]:
    """A row's ``info`` (stored as JSON text)."""
    info = row.get("info") or {}
    return json.loads(info) if isinstance(info, str) else info


def regret(reference: float | None, value: float | None) -> float | None:
    """(reference - value) / |reference| (None when either is missing or |ref| ~ 0)."""
    if reference is None or value is None or abs(reference) < 1e-9:
        return None
    return (reference - value) / abs(reference)


def _negated(x: float | None) -> float | None:
    return None if x is None else -x


def _policy_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["family"] == FAMILY and r["solver"] not in REFERENCES]


def _values(rows: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """(instance hash, label) -> mean value per user over the label's solver seeds."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        if ok(r):
            acc[(r["instance_hash"], r["label"])].append(r["objective"])
    return {k: sum(v) / len(v) for k, v in acc.items()}


def _per_user(value: float | None, s: Scenario) -> float | None:
    return None if value is None or not s.users else value / s.users


def _cell_name(cell: tuple[str, int, int, float]) -> list[Any]:
    profile, periods, G, rate = cell
    return [profile, periods, G, rate]


_CELL_COLUMNS = [Column("profile"), Column("periods", numeric=True), Column("G", numeric=True),
                 Column("rate", fmt_sig(3), True)]


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
def summary_tables(ctx: Any) -> list[Table | None]:
    """Every policy in every cell; the issue's targets; the snapshot promise."""
    rows = [r for r in ctx.rows if r["family"] == FAMILY]
    if not rows:
        return []
    scen = _scenarios(ctx, rows)
    return [summary(rows, ctx.order, scen), targets(rows, ctx.order, scen),
            promise(rows, ctx.order, scen)]


def summary(rows: list[dict[str, Any]], order: list[str],
            scen: dict[str, Scenario]) -> Table:
    """``online_summary``: per cell and policy."""
    policies = _policy_rows(rows)
    values = _values(policies)
    labels = label_order(policies, order)
    t = Table("online_summary",
              "Online family: per scenario cell (profile, periods, G, arrival rate) and "
              "policy, scenarios run and failed, mean value per user (higher is better), "
              f"mean gain over {BASELINE} per user (in %), mean regret to the hindsight "
              "optimum (where hindsight proved it; n = scenarios) and to the best bound (in "
              "%, positive = below it), the bound that was best most often, and the decision "
              "times (p99 and max over the runs, ms) with the overruns of the per-period "
              "budget.",
              [*_CELL_COLUMNS, Column("policy"), Column("scenarios", numeric=True),
               Column("failed", numeric=True), Column("value/user", fmt_num(4), True),
               Column(f"vs {BASELINE} %", fmt_pct(1), True),
               Column("regret hindsight %", fmt_pct(1), True),
               Column("n hindsight", numeric=True),
               Column("regret bound %", fmt_pct(1), True), Column("bound"),
               Column("p99 ms", fmt_sig(3), True), Column("max ms", fmt_sig(3), True),
               Column("overruns", numeric=True)])
    cells = sorted({s.cell for s in scen.values()})
    for cell in cells:
        hashes = [h for h, s in scen.items() if s.cell == cell]
        for label in labels:
            runs = [r for r in policies if r["label"] == label and r["instance_hash"] in hashes]
            if not runs:
                continue
            mine = {h: values.get((h, label)) for h in hashes}
            per_user = stats(_per_user(v, scen[h]) for h, v in mine.items())
            gain = stats(_negated(regret(values.get((h, BASELINE)), v))
                         for h, v in mine.items())
            hind = [regret(scen[h].hindsight, v) for h, v in mine.items()]
            hind = [x for x in hind if x is not None]
            bound = stats(regret(scen[h].bound, v) for h, v in mine.items())
            infos = [_info(r) for r in runs if ok(r)]
            p99 = max((i.get("decision_p99_s") or 0.0 for i in infos), default=math.nan)
            mx = max((i.get("decision_max_s") or 0.0 for i in infos), default=math.nan)
            t.rows.append([*_cell_name(cell), label, len({r["instance_hash"] for r in runs}),
                           sum(not ok(r) for r in runs), per_user.mean, gain.mean,
                           (sum(hind) / len(hind)) if hind else None, len(hind),
                           bound.mean, most_common(scen[h].bound_source for h in hashes),
                           1000 * p99, 1000 * mx,
                           sum(int(i.get("overruns") or 0) for i in infos)])
    return t


def best_policies(rows: list[dict[str, Any]], scen: dict[str, Scenario],
                  ) -> dict[tuple[str, int, int, float], tuple[str, float]]:
    """Per cell, the online policy (not myopic) with the best mean value per user."""
    values = _values(_policy_rows(rows))
    out = {}
    for cell in {s.cell for s in scen.values()}:
        hashes = [h for h, s in scen.items() if s.cell == cell]
        means = {}
        for label in {lab for (_, lab) in values}:
            got = [_per_user(values.get((h, label)), scen[h]) for h in hashes]
            if label != BASELINE and got and all(v is not None for v in got):
                means[label] = sum(got) / len(got)
        if means:
            best = max(means, key=means.get)
            out[cell] = (best, means[best])
    return out


def targets(rows: list[dict[str, Any]], order: list[str], scen: dict[str, Scenario]) -> Table:
    """``online_targets``: the issue's two targets on its cells (``TARGET_CELLS``)."""
    values = _values(_policy_rows(rows))
    best = best_policies(rows, scen)
    t = Table("online_targets",
              "The issue's targets on its cells (constant profile, 120 periods, G in {8, 16} "
              "x rate in {4, 10}): the best shipped online policy (best mean value per user) "
              f"against {BASELINE} (gain per user, target >= {TARGET_GAIN:.0%} in every cell) "
              "and its mean regret to the bounds (target <= "
              f"{TARGET_GAP:.0%} on average over the cells): to online-bound's (Lagrangean or "
              "snapshot, re-checkable from its multipliers) and to the best bound (also a "
              "hindsight optimum or an unfinished hindsight MILP's bound, HiGHS's), naming "
              "it; n = scenarios.",
              [*_CELL_COLUMNS, Column("best policy"), Column("scenarios", numeric=True),
               Column("value/user", fmt_num(4), True),
               Column(f"{BASELINE}/user", fmt_num(4), True),
               Column(f"gain over {BASELINE} %", fmt_pct(1), True), Column("gain met"),
               Column("regret online-bound %", fmt_pct(1), True),
               Column("regret best bound %", fmt_pct(1), True), Column("best bound")])
    lag_gaps, best_gaps = [], []
    for cell in sorted(c for c in best if c in TARGET_CELLS):
        label, _ = best[cell]
        hashes = [h for h, s in scen.items() if s.cell == cell]
        v = [values.get((h, label)) for h in hashes]
        m = [values.get((h, BASELINE)) for h in hashes]
        pu = stats(_per_user(x, scen[h]) for h, x in zip(hashes, v, strict=True))
        mu = stats(_per_user(x, scen[h]) for h, x in zip(hashes, m, strict=True))
        gain = (pu.mean - mu.mean) / abs(mu.mean) if mu.n and mu.mean else None
        lag = stats(regret(min((b for b in (scen[h].lagrangean, scen[h].snapshot)
                                if b is not None), default=None), x)
                    for h, x in zip(hashes, v, strict=True))
        gap = stats(regret(scen[h].bound, x) for h, x in zip(hashes, v, strict=True))
        lag_gaps += [lag.mean] if lag.n else []
        best_gaps += [gap.mean] if gap.n else []
        t.rows.append([*_cell_name(cell), label, len(hashes), pu.mean, mu.mean, gain,
                       "-" if gain is None else ("yes" if gain >= TARGET_GAIN else "NO"),
                       lag.mean, gap.mean, most_common(scen[h].bound_source for h in hashes)])
    if best_gaps:
        mean_lag = sum(lag_gaps) / len(lag_gaps) if lag_gaps else None
        mean_best = sum(best_gaps) / len(best_gaps)
        verdict = ("met" if mean_best <= TARGET_GAP else "NOT met") + " (mean over the cells)"
        t.rows.append(["average", None, None, None, verdict, None, None, None, None, None,
                       mean_lag, mean_best, None])
    return t


def promise(rows: list[dict[str, Any]], order: list[str], scen: dict[str, Scenario]) -> Table:
    """``online_promise``: the paper's snapshot promise against what runs get, per user."""
    values = _values(_policy_rows(rows))
    best = best_policies(rows, scen)
    t = Table("online_promise",
              "What the paper's snapshot model promises (every period finds all G GPUs "
              "free) against the Lagrangean bound, the hindsight optimum (where proved), the "
              f"best online policy and {BASELINE}, mean value per user per cell.",
              [*_CELL_COLUMNS, Column("scenarios", numeric=True),
               Column("snapshot", fmt_num(3), True), Column("Lagrangean", fmt_num(3), True),
               Column("hindsight", fmt_num(3), True), Column("best policy"),
               Column("best", fmt_num(3), True), Column(BASELINE, fmt_num(3), True)])
    for cell in sorted({s.cell for s in scen.values()}):
        hashes = [h for h, s in scen.items() if s.cell == cell]
        col = (lambda f, hs=hashes: stats(_per_user(f(scen[h]), scen[h]) for h in hs))  # noqa: E731
        snap, lag = col(lambda s: s.snapshot), col(lambda s: s.lagrangean)
        hind = col(lambda s: s.hindsight)
        label = best.get(cell, ("-", None))[0]
        b = stats(_per_user(values.get((h, label)), scen[h]) for h in hashes)
        m = stats(_per_user(values.get((h, BASELINE)), scen[h]) for h in hashes)
        t.rows.append([*_cell_name(cell), len(hashes), snap.mean, lag.mean,
                       hind.mean if hind.n == len(hashes) else None, label, b.mean, m.mean])
    return t


# ---------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------
def figures(ctx: Any, out: Path) -> list[Path]:
    """Value per user against load, and pool occupancy of myopic against the best policy."""
    rows = [r for r in ctx.rows if r["family"] == FAMILY]
    if not rows:
        return []
    scen = _scenarios(ctx, rows)
    made = [value_vs_load(rows, ctx.order, scen, out / "online_value_vs_load.png"),
            occupancy(ctx, rows, scen, out / "online_occupancy.png")]
    return [p for p in made if p is not None]


def value_vs_load(rows: list[dict[str, Any]], order: list[str], scen: dict[str, Scenario],
                  path: Path) -> Path | None:
    """Mean value per user against the arrival rate (constant profile), a panel per G."""
    from gqap.bench.figures.common import colors, plt, save

    values = _values(_policy_rows(rows))
    cells = [s.cell for s in scen.values() if s.cell[0] == "constant"]
    panels = sorted({(c[1], c[2]) for c in cells})
    panels = [p for p in panels if len({c[3] for c in cells if c[1:3] == p}) >= 2]
    if not panels:
        return None
    labels = label_order(_policy_rows(rows), order)
    palette = colors(labels + ["bound"])
    fig, axes = plt().subplots(1, len(panels), figsize=(4.6 * len(panels), 4.0), squeeze=False)
    for ax, (periods, G) in zip(axes[0], panels, strict=True):
        rates = sorted({c[3] for c in cells if c[1:3] == (periods, G)})
        for label in [*labels, "bound"]:
            xs, ys = [], []
            for rate in rates:
                hashes = [h for h, s in scen.items() if s.cell == ("constant", periods, G, rate)]
                if label == "bound":
                    st = stats(_per_user(scen[h].bound, scen[h]) for h in hashes)
                else:
                    st = stats(_per_user(values.get((h, label)), scen[h]) for h in hashes)
                if st.n == len(hashes) and st.n:
                    xs.append(rate)
                    ys.append(st.mean)
            if xs:
                ax.plot(xs, ys, marker="o", ms=3.5, label=label, color=palette[label],
                        linestyle="--" if label == "bound" else "-")
        ax.set_xlabel("arrival rate (users per period)")
        ax.set_title(f"G = {G}, {periods} periods")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("value per user (higher is better)")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    return save(fig, path)


def occupancy(ctx: Any, rows: list[dict[str, Any]], scen: dict[str, Scenario],
              path: Path) -> Path | None:
    """Pool occupancy over one scenario, myopic against the best policy: the GPUs earlier
    batches still hold at each decision moment, and the share of each period's users
    granted (constant profile: the longest horizon, rate 10 where there is one, the
    smallest G)."""
    from gqap.bench.figures.common import plt, save
    from gqap.evaluation import evaluate
    from gqap.io import solution_from_dict

    best = best_policies(rows, scen)
    runs = {(r["instance_hash"], r["label"]): r for r in _policy_rows(rows)
            if ok(r) and r.get("solution")}
    choices = [(s.cell[1], s.cell[3] == 10.0, -s.cell[2], s.cell[3], h)
               for h, s in scen.items() if s.cell[0] == "constant"
               and s.cell in best and (h, BASELINE) in runs
               and (h, best[s.cell][0]) in runs]
    if not choices:
        return None
    h = max(choices)[-1]
    s = scen[h]
    label = best[s.cell][0]
    with ResultStore.in_dir(ctx.sweep_dir, readonly=True) as store:
        inst = store.instance(h)
    window = min(inst.n_periods, 60)
    fig, (top, bottom) = plt().subplots(2, 1, figsize=(9.0, 5.2), sharex=True)
    sizes = inst.period_sizes()
    for lab, colour in ((BASELINE, "tab:red"), (label, "tab:blue")):
        sol = solution_from_dict(json.loads(runs[(h, lab)]["solution"]))
        ev = evaluate(inst, sol)
        held = inst.G - ev.free  # GPUs held by earlier batches when the period decides
        top.step(range(window), held[:window], where="post", color=colour,
                 label=f"{lab}: {ev.objective / inst.n_users:.2f} per user, no free GPU at "
                       f"{int((ev.free == 0).sum())} of {inst.n_periods} moments")
        share = np.divide(ev.b, sizes, out=np.zeros(inst.n_periods), where=sizes > 0)
        bottom.step(range(window), share[:window], where="post", color=colour,
                    label=f"{lab}: {ev.granted / inst.n_users:.0%} of users granted")
    top.axhline(inst.G, color="grey", linestyle=":", linewidth=1)
    top.set_ylabel("GPUs held by\nearlier batches")
    top.set_title(f"{inst.name}: G = {inst.G}, rate {s.cell[3]:g} (first {window} periods)")
    top.legend(fontsize=7, loc="lower right")
    bottom.set_ylabel("share of the period's\nusers granted")
    bottom.set_xlabel("decision moment (period)")
    bottom.legend(fontsize=7, loc="upper right")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    return save(fig, path)
