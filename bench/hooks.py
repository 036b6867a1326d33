"""Study tables a config asks for by name (``[report] hooks = [...]``), read from stored rows.

The data-driven tables of ``bench.tables`` suit every sweep; a study that needs a measure
they lack names a hook here instead of solving instances itself, so it keeps the harness's
time-limit guard, resume, references and store:

- ``gap_summary``: gaps to the reference per solver and group (users, G or S) and over
  all: mean and median relative gap, sum gap, gap per user, share solved to the reference
  (the DQN study's table).
- ``time_to_proof``: per size, model and solver, how many runs proved their optimum and
  how fast; per GQAP instance, incumbent, proven bound and the gaps to bound and reference
  (the MILP study's tables).
- ``lp_bounds``: LP-relaxation bounds of the linearisations (runs of ``milp`` with
  ``lp_bound = true``) and the share of the standard linearisation's gap each closes.
- ``race``: the literature race: per solver, instances and runs that reach the reference;
  per instance, best, mean and worst cost over seeds and the mean time to the best; time to
  target (``ttt``, ``ttt_summary``; the plots of ``bench.figures.ttt``) at the reference and
  0.5 % above it, read from the best-so-far trajectory each run stores in ``info.history``.
- ``frontier``: per site count (G, m) and solver, the largest user count at which every
  run proved its optimum within the time limit (the multi-cluster study's frontier).
- ``proofs``: per GQAP instance, the exact method that proved the optimum first, the proven
  optimum, whether it equals the published one, and the time to proof (the Lee & Ma study).
- ``bounds``: per GQAP instance and method, the certified lower bound a run reached and its
  time; per instance the best of them, the method and the open gap to the best known value
  (the Cordeau and large-tier bound studies).
- ``tradeoff``: per solver and size (S or G, users), mean gap to the reference against
  mean solve time, and the speed-up over a chosen solver (``tabu``); the points of the
  trade-off figure (``bench.figures.tradeoff``; the multi-cluster and dqn-multi studies).

A hook is ``hook(rows, order) -> list[Table]``; rows are the report's rows (current gaps,
status as ``Status``, ``info`` and ``options`` as stored JSON text).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gqap.bench.tables import (
    BOUND_NOTE,
    KINDS_NOTE,
    Column,
    Table,
    fmt_num,
    fmt_pct,
    fmt_sig,
    group_by,
    instance_bound,
    kinds_text,
    label_order,
    label_rank,
    ok,
    stats,
)
from gqap.family import family as family_spec
from gqap.gaps import bound_gap
from gqap.solvers.base import Status

Hook = Callable[[list[dict[str, Any]], list[str]], list[Table]]
REACHED_REL = 1e-6  # a run reaches the reference when within this share of it


def _json(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        out = json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}


def _reached(r: dict[str, Any]) -> bool:
    ref, gap = r.get("reference"), r.get("gap_abs")
    return ok(r) and gap is not None and gap <= REACHED_REL * max(1.0, abs(ref))


def _model(r: dict[str, Any]) -> str:
    if r["family"] == "classic":
        return "gqap"  # the classic family's one MILP model
    return str(_json(r.get("options")).get("model", "full"))


def _sum_gap(rows: list[dict[str, Any]]) -> float | None:
    """sum(gap_abs) / sum |reference| over rows with a reference (None without one)."""
    rows = [r for r in rows if r.get("gap_abs") is not None and r.get("reference")]
    ref_sum = sum(abs(r["reference"]) for r in rows)
    return sum(r["gap_abs"] for r in rows) / ref_sum if ref_sum else None


# ---------------------------------------------------------------------------------------
# gap_summary
# ---------------------------------------------------------------------------------------
def gap_summary(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Gaps to the reference per solver and group, with an 'all' line per solver."""
    rows = [r for r in rows if r["family"] != "classic" and ok(r) and r.get("reference")
            is not None]
    if not rows:
        return []
    users = {r["n_users_or_facilities"] for r in rows}
    seconds = {family_spec(r["family"], warn=False).secondary for r in rows}
    second = seconds.pop() if len(seconds) == 1 else "G"
    key, by = (("users", lambda r: r["n_users_or_facilities"]) if len(users) > 1
               else (second, lambda r: r["gpus_or_sites"]))
    labels = label_order(rows, order)
    t = Table("gap_summary",
              "Gap to the reference per solver and "
              f"{'user count' if key == 'users' else key}: mean and median relative gap "
              "(ref - value) / |ref| in % (references with |ref| < 1e-9 left out), sum gap "
              "sum(ref - value) / sum |ref| in % (robust to references near 0), mean gap per "
              "user, share of runs that reach the reference, mean objective and reference, "
              f"mean solve time; {KINDS_NOTE}.",
              [Column(key), Column("solver"), Column("runs", numeric=True),
               Column("gap % mean", fmt_pct(2), True), Column("gap % median", fmt_pct(2), True),
               Column("sum gap %", fmt_pct(2), True), Column("gap/user", fmt_num(4), True),
               Column("reached %", fmt_pct(0), True), Column("mean obj.", fmt_num(3), True),
               Column("mean ref.", fmt_num(3), True), Column("s/solve", fmt_sig(3), True),
               Column("reference")])
    groups = sorted({by(r) for r in rows})
    for g in [*groups, "all"]:
        at = rows if g == "all" else [r for r in rows if by(r) == g]
        for lab in labels:
            rs = [r for r in at if r["label"] == lab]
            if not rs:
                continue
            rel = stats(r["gap_rel"] for r in rs)
            t.rows.append([g, lab, len(rs), rel.mean, rel.median, _sum_gap(rs),
                           stats(r["gap_per_user"] for r in rs).mean,
                           sum(_reached(r) for r in rs) / len(rs),
                           stats(r["objective"] for r in rs).mean,
                           stats(r["reference"] for r in rs).mean,
                           stats(r["wall_time_s"] for r in rs).mean, kinds_text(rs)])
    return [t]


# ---------------------------------------------------------------------------------------
# time_to_proof
# ---------------------------------------------------------------------------------------
def _proven(r: dict[str, Any]) -> bool:
    """Proved its model's optimum: ``optimal``, or for a fixed-split model (whose optimum
    is not the instance's) ``info.model_status`` optimal."""
    if _model(r) == "fixed-split":
        return _json(r.get("info")).get("model_status") == "optimal"
    return r["status"] == Status.OPTIMAL


def _restricted_optima(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Instance hash -> the fixed-split model's optimum as any run proved it (best first)."""
    out: dict[str, float] = {}
    for r in rows:
        if _model(r) == "fixed-split" and _proven(r) and r.get("objective") is not None:
            h = r["instance_hash"]
            out[h] = max(out.get(h, -math.inf), r["objective"])
    return out


def _lp_run(r: dict[str, Any]) -> bool:
    """A run that solved an LP relaxation before its MIP (its time is not a proof time)."""
    return bool(_json(r.get("options")).get("lp_bound"))


def time_to_proof(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Proofs per (users, model, solver); per GQAP instance incumbent, bound and gaps.
    Runs that solved an LP relaxation first (``lp_bound``) are left to ``lp_bounds``."""
    out = []
    rows = [r for r in rows if not _lp_run(r)]
    off = [r for r in rows if r["family"] != "classic"]
    if off:
        restricted = _restricted_optima(off)
        rank = label_rank(off, order)
        t = Table("time_to_proof",
                  "Time to a proven optimum: per user count, model and solver, runs that "
                  "proved their model's optimum, median and largest wall time of those "
                  "(model build included), runs whose value equals the reference (full "
                  "model: the exact solver's optimum; fixed-split: the restricted model's "
                  "optimum as proved in this sweep), the loss against the full model's "
                  "optimum as a sum gap sum(opt - value) / sum |opt| in % (robust to optima "
                  "near 0), and the median model size.",
                  [Column("users", numeric=True), Column("model"), Column("solver"),
                   Column("proven"), Column("median time s", fmt_sig(3), True),
                   Column("max time s", fmt_sig(3), True), Column("= reference"),
                   Column("loss vs full opt. %", fmt_pct(3), True),
                   Column("variables", fmt_sig(5), True)])
        groups = group_by(off, lambda r: (r["n_users_or_facilities"], _model(r),
                                        rank[r["label"]], r["label"]))
        for (users, model, _, lab), rs in sorted(groups.items()):
            times = [r["wall_time_s"] for r in rs if _proven(r) and r.get("wall_time_s")]
            if model == "fixed-split":
                refs = [(r["objective"], restricted.get(r["instance_hash"])) for r in rs]
            else:
                refs = [(r["objective"], r.get("reference")) for r in rs
                        if r.get("reference_kind") == "exact"]
            refs = [(v, ref) for v, ref in refs if ref is not None]
            match = sum(v is not None and abs(v - ref) <= REACHED_REL * max(1.0, abs(ref))
                        for v, ref in refs)
            sizes = [_json(r.get("info")).get("n_variables") for r in rs]
            sizes = [s for s in sizes if s is not None]
            t.rows.append([users, model, lab, f"{len(times)}/{len(rs)}",
                           statistics.median(times) if times else None,
                           max(times) if times else None,
                           f"{match}/{len(refs)}" if refs else "-",
                           _sum_gap([r for r in rs if ok(r)]),
                           statistics.median(sizes) if sizes else None])
        out.append(t)
    gq = [r for r in rows if r["family"] == "classic"]
    if gq:
        rank = label_rank(gq, order)
        t = Table("time_to_proof_gqap",
                  "GQAP: per instance and solver (first seed), status, incumbent, the proven "
                  "bound, the gap between them |incumbent - bound| / |incumbent| in %, the "
                  "reference and the gap to it in %, the instance's best bound and open gap, "
                  "wall time of the call and of the model "
                  f"build, and the backend's own status; {KINDS_NOTE}; {BOUND_NOTE}.",
                  [Column("instance"), Column("solver"), Column("status"),
                   Column("incumbent", fmt_num(1), True), Column("bound", fmt_num(1), True),
                   Column("gap to bound %", fmt_pct(2), True),
                   Column("reference", fmt_num(1), True), Column("kind"),
                   Column("gap to ref. %", fmt_pct(2), True),
                   Column("best bound", fmt_num(1), True), Column("open gap %", fmt_pct(3), True),
                   Column("wall s", fmt_sig(4), True), Column("build s", fmt_sig(3), True),
                   Column("backend status")])
        for r in sorted(gq, key=lambda r: (r["instance"], rank[r["label"]], r["seed"])):
            if r["seed"] != min(x["seed"] for x in gq if x["label"] == r["label"]
                                and x["instance_hash"] == r["instance_hash"]):
                continue
            info = _json(r.get("info"))
            t.rows.append([r["instance"], r["label"], str(r["status"]), r.get("objective"),
                           r.get("bound"), bound_gap(r.get("objective"), r.get("bound")),
                           r.get("reference"), kinds_text([r]), r.get("gap_rel"),
                           *instance_bound([r]),
                           r.get("wall_time_s"), info.get("build_time_s"),
                           str(info.get("backend_status", "-"))[:60]])
        out.append(t)
    return out


# ---------------------------------------------------------------------------------------
# lp_bounds
# ---------------------------------------------------------------------------------------
def _linearisation(info: dict[str, Any]) -> str | None:
    """The linearisation a stored run used (runs stored before the option's rename say
    'linearization')."""
    return info.get("linearisation", info.get("linearization"))


def _linearisation_label(info: dict[str, Any]) -> str:
    lin = _linearisation(info)
    if lin is None:
        return str(info.get("model", "-"))
    return lin + (" + capacity products" if lin == "rlt" and info.get("rlt_capacity") else "")


def lp_bounds(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """LP bound per instance and linearisation, with the share of the standard
    linearisation's gap to the optimum it closes."""
    lp = [r for r in rows if _lp_run(r) and "lp_bound" in _json(r.get("info"))]
    if not lp:
        return []
    restricted = _restricted_optima(rows)
    t = Table("lp_bounds",
              "LP-relaxation bounds of the linearisations (runs of milp with lp_bound = true, "
              "first seed): the bound in the family's sense, the optimum it bounds (GQAP: the "
              "reference; fixed-split offloading: the restricted model's optimum proved in "
              "this sweep), the share of the standard linearisation's gap to that optimum the "
              "bound closes (in %), LP time and model size.",
              [Column("instance"), Column("solver"), Column("linearisation"),
               Column("LP bound", fmt_sig(8), True), Column("optimum", fmt_sig(8), True),
               Column("optimum from"), Column("gap closed %", fmt_num(1), True),
               Column("LP time s", fmt_sig(3), True), Column("variables", numeric=True),
               Column("constraints", numeric=True), Column("LP status")])
    rank = label_rank(lp, order)
    firsts = {}
    for r in sorted(lp, key=lambda r: r["seed"]):
        firsts.setdefault((r["instance_hash"], r["label"]), r)
    by_instance = group_by(list(firsts.values()), lambda r: r["instance_hash"])
    for _, rs in sorted(by_instance.items(), key=lambda kv: kv[1][0]["instance"]):
        std = next((_json(r["info"]).get("lp_bound") for r in rs
                    if _linearisation(_json(r["info"])) == "standard"), None)
        for r in sorted(rs, key=lambda r: rank[r["label"]]):
            info = _json(r["info"])
            if _model(r) == "fixed-split":
                opt, source = restricted.get(r["instance_hash"]), "fixed-split proof"
            else:
                opt, source = r.get("reference"), kinds_text([r])
            bound, closed = info.get("lp_bound"), None
            if None not in (bound, std, opt):
                sign = 1.0 if r["sense"] == "min" else -1.0  # towards the optimum
                room = sign * (opt - std)
                if room > 1e-9 * max(1.0, abs(opt)):
                    closed = 100.0 * sign * (bound - std) / room
            t.rows.append([r["instance"], r["label"], _linearisation_label(info), bound,
                           opt, source if opt is not None else "-", closed,
                           info.get("lp_time_s"), info.get("n_variables"),
                           info.get("n_constraints"), str(info.get("lp_status", "-"))[:40]])
    return [t]


# ---------------------------------------------------------------------------------------
# race
# ---------------------------------------------------------------------------------------
def race(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """The literature race: per solver and per instance, who reaches the reference."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    labels = label_order(rows, order)
    per_solver = Table(
        "race",
        "Literature race: per solver, instances, runs (instances x seeds), runs and "
        "instances (best over seeds) that reach the reference (within a share of 1e-6), "
        "mean relative gap of all runs and of the best run per instance in %, mean time "
        "to the run's best solution and mean wall time, and the mean open gap of its "
        f"instances; {KINDS_NOTE}; {BOUND_NOTE}.",
        [Column("solver"), Column("instances", numeric=True), Column("runs", numeric=True),
         Column("runs reached", numeric=True), Column("instances reached", numeric=True),
         Column("gap % mean", fmt_pct(3), True), Column("best gap % mean", fmt_pct(3), True),
         Column("time to best s", fmt_sig(3), True), Column("wall s", fmt_sig(3), True),
         Column("reference"), Column("open gap % mean", fmt_pct(3), True)])
    per_instance = Table(
        "race_instances",
        "Literature race per instance and solver: runs, runs reaching the reference, best, "
        "mean and worst cost over the seeds, the reference, the best bound and open gap, "
        "gap of the best run in %, the mean time to each run's best solution, and the "
        "search's mean speed in steps per second (tabu iterations, GA generations: it "
        "tells how much search a machine gives the same time limit, so races on "
        f"different machines can be compared); {KINDS_NOTE}; {BOUND_NOTE}.",
        [Column("instance"), Column("solver"), Column("runs", numeric=True),
         Column("reached", numeric=True), Column("best", fmt_num(1), True),
         Column("mean", fmt_num(1), True), Column("worst", fmt_num(1), True),
         Column("reference", fmt_num(1), True), Column("kind"),
         Column("bound", fmt_num(1), True), Column("open gap %", fmt_pct(3), True),
         Column("best gap %", fmt_pct(3), True), Column("time to best s", fmt_sig(3), True),
         Column("steps/s", fmt_sig(3), True)])
    rank = label_rank(rows, order)
    groups = group_by(rows, lambda r: (r["instance"], rank[r["label"]], r["label"]))
    best_of: dict[str, list[dict[str, Any]]] = {lab: [] for lab in labels}
    for (inst, _, lab), rs in sorted(groups.items()):
        good = [r for r in rs if ok(r)]
        best = min(good, key=lambda r: r["objective"], default=None)
        if best is not None:
            best_of[lab].append(best)
        costs = [r["objective"] for r in good]
        per_instance.rows.append([
            inst, lab, len(rs), sum(_reached(r) for r in rs),
            min(costs) if costs else None, stats(costs).mean, max(costs) if costs else None,
            next((r["reference"] for r in rs if r.get("reference") is not None), None),
            kinds_text(rs), *instance_bound(rs), None if best is None else best.get("gap_rel"),
            stats(_json(r.get("info")).get("time_to_best_s") for r in good).mean,
            stats(_steps_per_s(r) for r in good).mean])
    for lab in labels:
        rs = [r for r in rows if r["label"] == lab]
        per_solver.rows.append([
            lab, len({r["instance_hash"] for r in rs}), len(rs), sum(_reached(r) for r in rs),
            sum(_reached(r) for r in best_of[lab]),
            stats(r["gap_rel"] for r in rs if ok(r)).mean,
            stats(r["gap_rel"] for r in best_of[lab]).mean,
            stats(_json(r.get("info")).get("time_to_best_s") for r in rs if ok(r)).mean,
            stats(r["wall_time_s"] for r in rs if ok(r)).mean, kinds_text(rs),
            stats(instance_bound(g)[1] for g in group_by(
                rs, lambda r: r["instance_hash"]).values()).mean])
    return [per_solver, per_instance, *ttt_tables(rows, order)]


def _steps_per_s(row: dict[str, Any]) -> float | None:
    """A run's search speed as its solver reports it (tabu iterations or GA generations
    per second of search), else None."""
    info = _json(row.get("info"))
    return info.get("iterations_per_s", info.get("generations_per_s"))


# ---------------------------------------------------------------------------------------
# time to target (the race's TTT tables; bench.figures.ttt draws the curves)
# ---------------------------------------------------------------------------------------
TTT_TARGETS = (0.0, 0.5)  # the race's targets: the reference and 0.5 % worse than it


def target_value(reference: float, sense: str, pct: float) -> float:
    """The objective ``pct`` % worse than ``reference`` (``pct`` = 0: the reference)."""
    shift = pct / 100.0 * abs(reference)
    return reference + shift if sense == "min" else reference - shift


def target_name(pct: float) -> str:
    """How a target reads in tables and file names: 'ref' or 'ref+0.5%'."""
    return "ref" if pct == 0 else f"ref+{pct:g}%"


def trajectory(r: dict[str, Any]) -> list[tuple[float, float]] | None:
    """The (seconds, best objective) points of a run's stored best-so-far history (seconds
    from the start of its solve call), or None when the run stored none (a solver without
    a trajectory, such as ``external``, or a killed run)."""
    hist = _json(r.get("info")).get("history")
    if not isinstance(hist, list):
        return None
    return [(float(p[1]), float(p[2])) for p in hist
            if isinstance(p, list | tuple) and len(p) >= 3 and p[2] is not None]


def time_to_target(r: dict[str, Any], target: float) -> float | None:
    """Seconds from the start of the solve call until the run's best-so-far value first
    reached ``target`` (within a share of 1e-6), read from its stored trajectory; None when
    it never did, failed, or stored no trajectory."""
    hist = trajectory(r) if ok(r) else None
    tol = REACHED_REL * max(1.0, abs(target))
    for seconds, best in hist or ():
        if (best <= target + tol) if r["sense"] == "min" else (best >= target - tol):
            return seconds
    return None


def ttt_curve(times: list[float | None], runs: int) -> list[tuple[float, float]]:
    """The empirical distribution of the time to target: one point (t, k / runs) per run
    that reached it, k of them by time t (ties share the last k); runs that never reached
    it (None) count in ``runs`` only, so the curve ends below 1 when some missed."""
    reached = sorted(t for t in times if t is not None)
    if runs < len(reached) or runs < 1:
        raise ValueError(f"ttt_curve: {len(reached)} reached times for {runs} runs")
    points: list[tuple[float, float]] = []
    for k, t in enumerate(reached, start=1):
        if points and points[-1][0] == t:
            points[-1] = (t, k / runs)
        else:
            points.append((t, k / runs))
    return points


def ttt_groups(rows: list[dict[str, Any]], order: list[str]
               ) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """GQAP rows with a reference by instance, then by solver label (config order): the
    curves of one time-to-target panel. Labels whose runs stored no trajectory at all are
    left out (they have no curve)."""
    rows = [r for r in rows if r["family"] == "classic" and r.get("reference") is not None]
    rank = label_rank(rows, order)
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in sorted(rows, key=lambda r: (r["instance"], rank[r["label"]], r["seed"])):
        out.setdefault(r["instance"], {}).setdefault(r["label"], []).append(r)
    for inst in out:
        out[inst] = {lab: rs for lab, rs in out[inst].items()
                     if any(trajectory(r) is not None for r in rs)}
    return {inst: g for inst, g in out.items() if g}


def ttt_tables(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Time to target from the stored trajectories: per instance, solver and target (the
    reference and 0.5 % above it), the runs, how many reached it and how fast; then per
    solver and target over all its instances."""
    groups = ttt_groups(rows, order)
    if not groups:
        return []
    cols = [Column("runs", numeric=True), Column("reached", numeric=True),
            Column("time mean s", fmt_sig(3), True), Column("time median s", fmt_sig(3), True),
            Column("time max s", fmt_sig(3), True)]
    per = Table("ttt",
                "Time to target per instance, solver and target (ref = the reference, "
                "ref+0.5% = 0.5 % worse than it): runs, runs whose best-so-far value reached "
                "the target (within a share of 1e-6), and the mean, median and largest time "
                "from the start of the solve call until it did, over the runs that reached it "
                "(read from each run's stored trajectory; the time-to-target plots ttt-*.png "
                "draw the same times).",
                [Column("instance"), Column("solver"), Column("target"),
                 Column("target value", fmt_num(1), True), *cols])
    total = Table("ttt_summary",
                  "Time to target per solver and target over all instances: instances, runs, "
                  "runs that reached the target, instances where every run reached it, and "
                  "the mean and median time to it over the runs that reached it.",
                  [Column("solver"), Column("target"), Column("instances", numeric=True),
                   Column("runs", numeric=True), Column("reached", numeric=True),
                   Column("all runs reached", numeric=True),
                   Column("time mean s", fmt_sig(3), True),
                   Column("time median s", fmt_sig(3), True)])
    acc: dict[tuple[str, float], list[Any]] = {}
    for inst, by_label in groups.items():
        for lab, rs in by_label.items():
            ref = rs[0]["reference"]
            for pct in TTT_TARGETS:
                value = target_value(ref, rs[0]["sense"], pct)
                times = [time_to_target(r, value) for r in rs]
                hit = [t for t in times if t is not None]
                s = stats(hit)
                per.rows.append([inst, lab, target_name(pct), value, len(rs), len(hit),
                                 s.mean, s.median, max(hit) if hit else None])
                a = acc.setdefault((lab, pct), [0, 0, 0, []])
                a[0] += 1
                a[1] += len(rs)
                a[2] += len(hit) == len(rs)
                a[3] += hit
    rank = label_rank(rows, order)
    for (lab, pct), (n_inst, runs, all_hit, hit) in sorted(
            acc.items(), key=lambda kv: (rank[kv[0][0]], kv[0][1])):
        s = stats(hit)
        total.rows.append([lab, target_name(pct), n_inst, runs, len(hit), all_hit, s.mean,
                           s.median])
    return [per, total]


# ---------------------------------------------------------------------------------------
# proofs and bounds
# ---------------------------------------------------------------------------------------
def _same(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def proofs(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per GQAP instance, the fastest run that proved the optimum and what it proved."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    t = Table("proofs",
              "Proven optima: per instance, the exact method whose run proved the optimum "
              "fastest (status optimal), the proven optimum, the published optimum (the "
              "set's reference; '-' for sets without one), whether they are equal, the time "
              "to proof (wall time of "
              "the solve call, model build included) and how many runs proved it; instances "
              "no run proved show the best bound any run reached.",
              [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
               Column("method"), Column("proven optimum", fmt_num(1), True),
               Column("published", fmt_num(1), True), Column("equal"),
               Column("time to proof s", fmt_sig(3), True), Column("runs proved"),
               Column("best bound", fmt_num(1), True)])
    by_method: dict[str, list[dict[str, Any]]] = {}
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        proved = [r for r in rs if r["status"] == Status.OPTIMAL and r.get("objective")
                  is not None]
        first = min(proved, key=lambda r: r.get("wall_time_s") or math.inf, default=None)
        ref = next((r["reference"] for r in rs if r.get("reference_kind") in
                    ("exact", "best_known") and r.get("reference_stored")), None)
        if first is not None:
            by_method.setdefault(first["label"], []).append(first)
        t.rows.append([inst, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                       "-" if first is None else first["label"],
                       None if first is None else first["objective"], ref,
                       "-" if first is None or ref is None
                       else ("yes" if _same(first["objective"], ref) else "no"),
                       None if first is None else first.get("wall_time_s"),
                       f"{len(proved)}/{len(rs)}", instance_bound(rs)[0]])
    s = Table("proofs_summary",
              "Proven optima per method (the fastest proof of each instance): instances, "
              "how many equal the published optimum, median and largest time to proof.",
              [Column("method"), Column("instances", numeric=True),
               Column("equal published", numeric=True), Column("median s", fmt_sig(3), True),
               Column("max s", fmt_sig(3), True)])
    rank = label_rank(rows, order)
    for lab in sorted(by_method, key=lambda lab: rank.get(lab, 99)):
        rs = by_method[lab]
        times = [r["wall_time_s"] for r in rs if r.get("wall_time_s") is not None]
        s.rows.append([lab, len(rs), sum(_same(r["objective"], r.get("reference")) for r in rs
                                        if r.get("reference_kind") == "exact"
                                        and r.get("reference_stored")),
                       statistics.median(times) if times else None,
                       max(times) if times else None])
    proven = sum(1 for row in t.rows if row[3] != "-")
    s.rows.append(["all", proven, sum(1 for row in t.rows if row[6] == "yes"), None, None])
    return [t, s]


def _run_bound(r: dict[str, Any]) -> float | None:
    """The proven lower bound a GQAP run reached (a proof's optimum, else its bound)."""
    if r["status"] == Status.OPTIMAL and r.get("objective") is not None:
        return float(r["objective"])
    b = r.get("bound")
    if r["status"] in (Status.BOUND, Status.FEASIBLE, Status.TIME_LIMIT) and b is not None \
            and math.isfinite(b):
        return float(b)
    return None


def bounds(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per GQAP instance and method the bound a run reached; per instance the best."""
    rows = [r for r in rows if r["family"] == "classic"]
    if not rows:
        return []
    rank = label_rank(rows, order)
    t = Table("bounds",
              "Certified lower bounds per instance and method (first seed): status, the bound "
              "the run proved (a proof's optimum, a bound-only run's bound or a branch and "
              "bound's best bound), the gap it leaves to the best known value "
              "(best known - bound) / best known in %, wall time and time limit.",
              [Column("instance"), Column("method"), Column("status"),
               Column("bound", fmt_num(1), True), Column("best known", fmt_num(1), True),
               Column("gap %", fmt_pct(3), True), Column("wall s", fmt_sig(4), True),
               Column("limit s", fmt_sig(4), True)])
    best_t = Table("bounds_best",
                   "Best certified lower bound per instance within this sweep's budgets: the "
                   "best known value and its kind, the best bound and the method that reached "
                   "it, and the open gap (best known - bound) / best known in %; "
                   f"{KINDS_NOTE}.",
                   [Column("instance"), Column("n", numeric=True), Column("m", numeric=True),
                    Column("best known", fmt_num(1), True), Column("kind"),
                    Column("best bound", fmt_num(1), True), Column("method"),
                    Column("open gap %", fmt_pct(3), True)])
    for inst, rs in sorted(group_by(rows, lambda r: r["instance"]).items()):
        firsts: dict[str, dict[str, Any]] = {}
        for r in sorted(rs, key=lambda r: r["seed"]):
            firsts.setdefault(r["label"], r)
        known = [r.get("objective") for r in rs if ok(r)]
        if rs[0].get("reference_kind") in ("exact", "best_known", "best_found"):
            known.append(rs[0].get("reference"))
        known = [v for v in known if v is not None]
        best_known = min(known) if known else None
        top: tuple[float, str] | None = None
        for lab in sorted(firsts, key=lambda lab: rank.get(lab, 99)):
            r = firsts[lab]
            b = _run_bound(r)
            if b is not None and (top is None or b > top[0]):
                top = (b, lab)
            t.rows.append([inst, lab, str(r["status"]), b, best_known,
                           bound_gap(best_known, b), r.get("wall_time_s"), r.get("time_limit")])
        best_t.rows.append([inst, rs[0]["n_users_or_facilities"], rs[0]["gpus_or_sites"],
                            best_known, kinds_text(rs[:1]),
                            None if top is None else top[0], "-" if top is None else top[1],
                            None if top is None else bound_gap(best_known, top[0])])
    return [t, best_t]


# ---------------------------------------------------------------------------------------
# frontier
# ---------------------------------------------------------------------------------------
def frontier(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Per site count S (G for offloading, m for GQAP) and solver: the largest user count at
    which every run proved its optimum within the time limit, and proofs per run."""
    if not rows:
        return []
    family = rows[0]["family"]
    key = family_spec(family, warn=False).secondary
    t = Table("frontier",
              f"Proof frontier: per {key} and solver, the largest user count (facilities for "
              "GQAP) at which every run proved its optimum within the time limit ('-': none), "
              "the largest at which any run did, the smallest at which some run did not, and "
              "the runs proved out of the runs made; solvers that proved no run at all "
              "(heuristics) are left out.",
              [Column(key), Column("solver"), Column("all proved up to", numeric=True),
               Column("some proved up to", numeric=True),
               Column("first unproved", numeric=True), Column("proved", numeric=True),
               Column("runs", numeric=True)])
    provers = {r["label"] for r in rows if r["status"] == Status.OPTIMAL}
    labels = [lab for lab in label_order(rows, order) if lab in provers]
    for g in sorted({r["gpus_or_sites"] for r in rows}):
        for lab in labels:
            rs = [r for r in rows if r["gpus_or_sites"] == g and r["label"] == lab]
            if not rs:
                continue
            sizes = sorted({r["n_users_or_facilities"] for r in rs})
            proved = {u: [r["status"] == Status.OPTIMAL for r in rs
                          if r["n_users_or_facilities"] == u] for u in sizes}
            all_up = None
            for u in sizes:  # every size up to u fully proved
                if not all(proved[u]):
                    break
                all_up = u
            some = [u for u in sizes if any(proved[u])]
            unproved = [u for u in sizes if not all(proved[u])]
            t.rows.append([g, lab, all_up, max(some) if some else None,
                           min(unproved) if unproved else None,
                           sum(sum(p) for p in proved.values()), len(rs)])
    return [t]


# ---------------------------------------------------------------------------------------
# tradeoff
# ---------------------------------------------------------------------------------------

SPEEDUP_BASE = "tabu"  # the solver the trade-off table measures speed-ups against


@dataclass(frozen=True)
class TradeoffPoint:
    """One solver on one size: mean relative gap (a fraction, positive = worse) and mean
    solve wall time over the runs with a solution and a reference."""

    label: str
    group: float  # S (multi) or G (offloading) or m (GQAP)
    users: int
    runs: int
    gap: float
    time_s: float


def tradeoff_points(rows: list[dict[str, Any]], order: list[str]) -> list[TradeoffPoint]:
    """Mean gap and mean solve time per solver label and (group, users) cell, in label
    order then by group and users; runs without a solution or reference are left out."""
    rows = [r for r in rows if ok(r) and r.get("reference") is not None
            and r.get("gap_rel") is not None]
    points = []
    for lab in label_order(rows, order):
        cells = group_by([r for r in rows if r["label"] == lab],
                         lambda r: (r["gpus_or_sites"], r["n_users_or_facilities"]))
        for (g, u), rs in sorted(cells.items()):
            points.append(TradeoffPoint(lab, g, int(u), len(rs),
                                        stats(r["gap_rel"] for r in rs).mean,
                                        stats(r["wall_time_s"] for r in rs).mean))
    return points


def tradeoff(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """The trade-off table: per size and solver, mean gap, mean time and the speed-up over
    ``SPEEDUP_BASE`` on the same cell (its mean time / the solver's)."""
    points = tradeoff_points(rows, order)
    if not points:
        return []
    key = family_spec(rows[0]["family"], warn=False).secondary
    base = {(p.group, p.users): p.time_s for p in points if p.label == SPEEDUP_BASE}
    t = Table("tradeoff",
              "Trade-off between solution quality and time: per size and solver, mean "
              "relative gap to the reference in % (positive = worse) and mean solve wall "
              f"time; speed-up = {SPEEDUP_BASE}'s mean time on the same cell / the solver's "
              f"('-' where {SPEEDUP_BASE} did not run). One point of the trade-off figure "
              "per line.",
              [Column(key), Column("users", numeric=True), Column("solver"),
               Column("runs", numeric=True), Column("gap % mean", fmt_pct(2), True),
               Column("time s mean", fmt_sig(3), True),
               Column(f"speed-up vs {SPEEDUP_BASE}", fmt_sig(3), True)])
    for p in sorted(points, key=lambda p: (p.group, p.users)):
        ref = base.get((p.group, p.users))
        speed = ref / p.time_s if ref is not None and p.time_s > 0 else None
        t.rows.append([p.group, p.users, p.label, p.runs, p.gap, p.time_s, speed])
    return [t]


HOOKS: dict[str, Hook] = {"gap_summary": gap_summary, "time_to_proof": time_to_proof,
                          "lp_bounds": lp_bounds, "race": race, "frontier": frontier,
                          "proofs": proofs, "bounds": bounds,
                          "tradeoff": tradeoff}
