"""The MILP study's tables: ``time_to_proof`` (per size, model and solver, how many runs
proved their optimum and how fast; per classic instance, incumbent, proven bound and the
gaps to bound and reference) and ``lp_bounds`` (LP-relaxation bounds of the
linearisations and the share of the standard linearisation's gap each closes)."""

from __future__ import annotations

import math
import statistics
from typing import Any

from gqap.bench.studies.common import (
    REACHED_REL,
    model_label,
    stored_json,
    sum_gap,
)
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
    label_rank,
    ok,
)
from gqap.family import family as family_spec
from gqap.gaps import bound_gap
from gqap.solvers.base import Status


def _proven(r: dict[str, Any]) -> bool:
    """Proved its model's optimum: ``optimal``, or for a fixed-split model (whose optimum
    is not the instance's) ``info.model_status`` optimal."""
    if model_label(r) == "fixed-split":
        return stored_json(r.get("info")).get("model_status") == "optimal"
    return r["status"] == Status.OPTIMAL


def _restricted_optima(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Instance hash -> the fixed-split model's optimum as any run proved it (best first)."""
    out: dict[str, float] = {}
    for r in rows:
        if model_label(r) == "fixed-split" and _proven(r) and r.get("objective") is not None:
            h = r["instance_hash"]
            out[h] = max(out.get(h, -math.inf), r["objective"])
    return out


def _lp_run(r: dict[str, Any]) -> bool:
    """A run that solved an LP relaxation before its MIP (its time is not a proof time)."""
    return bool(stored_json(r.get("options")).get("lp_bound"))


def time_to_proof(rows: list[dict[str, Any]], order: list[str]) -> list[Table]:
    """Proofs per (users, model, solver); per GQAP instance incumbent, bound and gaps.
    Runs that solved an LP relaxation first (``lp_bound``) are left to ``lp_bounds``."""
    out = []
    rows = [r for r in rows if not _lp_run(r)]
    off = [r for r in rows if family_spec(r["family"], warn=False).splits]  # model option
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
        groups = group_by(off, lambda r: (r["n_users_or_facilities"], model_label(r),
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
            sizes = [stored_json(r.get("info")).get("n_variables") for r in rs]
            sizes = [s for s in sizes if s is not None]
            t.rows.append([users, model, lab, f"{len(times)}/{len(rs)}",
                           statistics.median(times) if times else None,
                           max(times) if times else None,
                           f"{match}/{len(refs)}" if refs else "-",
                           sum_gap([r for r in rs if ok(r)]),
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
            info = stored_json(r.get("info"))
            t.rows.append([r["instance"], r["label"], str(r["status"]), r.get("objective"),
                           r.get("bound"), bound_gap(r.get("objective"), r.get("bound")),
                           r.get("reference"), kinds_text([r]), r.get("gap_rel"),
                           *instance_bound([r]),
                           r.get("wall_time_s"), info.get("build_time_s"),
                           str(info.get("backend_status", "-"))[:60]])
        out.append(t)
    return out


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
    lp = [r for r in rows if _lp_run(r) and "lp_bound" in stored_json(r.get("info"))]
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
        std = next((stored_json(r["info"]).get("lp_bound") for r in rs
                    if _linearisation(stored_json(r["info"])) == "standard"), None)
        for r in sorted(rs, key=lambda r: rank[r["label"]]):
            info = stored_json(r["info"])
            if model_label(r) == "fixed-split":
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
