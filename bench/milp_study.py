"""Where exact MILP / CP-SAT stop scaling: time to a proven optimum of milp (CBC, HiGHS) and
cpsat on offloading instances and on a literature GQAP.

    python -m gqap.bench.milp_study --out results/milp [--time-limit 600] [--cases 5]
        [--sizes 4,8,12,16,20] [--threads 1] [--no-cordeau] [--no-lp-bounds]

Offloading: the first ``--cases`` instances of each size of the shipped fig11a set (G = 8,
B_max = 18), each with both offloading models: ``full`` (integer splits; reference: the
exact solver) and ``fixed-split`` (the paper's B&B, splits at N_hat; proof of the
restricted model, ``info["model_status"]``). GQAP: Cordeau 20-15-35 from the shipped
library (``--cordeau``: a shipped SET/NAME or a file) with its reference value from the
set's manifest (or from bks.csv beside a file); the incumbent and the proven bound at the
limit are reported. With LP bounds on (default), the LP relaxation of the RLT
linearisation (with and without the capacity products) and of the standard one is solved
(``--lp-backend``, CBC's Clp by default) for the Cordeau instance and the fixed-split
models, so their strength can be compared. Every solve goes through the solver
interface (objective re-scored by the evaluator). Writes ``runs.csv`` (one row per
solve), ``lp_bounds.csv``, ``summary.md`` (the tables) and ``study.json`` (settings and
every result) to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT / "instances" / "fig11a"
DEFAULT_CORDEAU = "cordeau/20-15-35"  # a shipped instance (gqap.library)
SOLVERS: dict[str, tuple[str, dict[str, Any]]] = {
    "milp-cbc": ("milp", {"backend": "cbc"}),
    "milp-highs": ("milp", {"backend": "highs"}),
    "cpsat": ("cpsat", {}),
}
MODELS = ("full", "fixed-split")
RUN_COLUMNS = ("family", "instance", "size", "model", "solver", "status", "proven",
               "time_to_proof_s", "wall_time_s", "build_time_s", "objective", "bound",
               "gap_to_bound", "reference", "reference_kind", "matches_reference",
               "backend_status", "n_variables", "n_constraints", "time_limit_s")
LP_COLUMNS = ("instance", "size", "backend", "linearization", "rlt_capacity", "lp_bound", "optimum",
              "optimum_kind", "gap_closed_pct", "lp_time_s", "n_variables", "n_constraints",
              "lp_status")
LP_VARIANTS = (("rlt", True), ("rlt", False), ("standard", True))


def offloading_instances(set_dir: Path, sizes: Sequence[int], cases: int) -> list[Any]:
    """The first ``cases`` instances of each user count in ``sizes`` from a set folder."""
    from gqap.instance_sets import iter_set

    if not (set_dir / "manifest.json").is_file():
        raise GQAPError(f"instance set: {set_dir} has no manifest.json (pass --set)")
    picked: dict[int, list[Any]] = {u: [] for u in sizes}
    for _, inst in iter_set(set_dir):
        if inst.family == "offloading" and inst.n_users in picked \
                and len(picked[inst.n_users]) < cases:
            picked[inst.n_users].append(inst)
    missing = [u for u, found in picked.items() if len(found) < cases]
    if missing:
        raise GQAPError(f"instance set: {set_dir} has fewer than {cases} instances with "
                        f"{', '.join(map(str, missing))} users")
    return [inst for u in sizes for inst in picked[u]]


def cordeau_path(ref: str | Path) -> Path:
    """The file of ``ref``: an existing path, else the shipped instance SET/NAME it names;
    the path as given when neither exists (the caller reports it as not found)."""
    from gqap.library import shipped_instance

    path = Path(ref)
    if path.exists():
        return path
    try:
        return shipped_instance(str(ref)) or path
    except GQAPError:
        return path


def read_bks(path: Path) -> float | None:
    """Reference cost of ``path``'s instance: from the manifest of the set folder holding it
    (a shipped literature set), else from bks.csv beside it; None if neither has it."""
    from gqap.instance_sets import MANIFEST, set_references

    if (path.parent / MANIFEST).is_file():
        ref = set_references(path.parent).get(path.stem)
        return None if ref is None else ref.value
    bks = path.parent / "bks.csv"
    if not bks.is_file():
        return None
    with bks.open() as f:
        for row in csv.DictReader(f):
            if row.get("instance") == path.stem:
                return float(row["best_known_cost"])
    return None


def run_row(result: Any, *, family: str, size: int, model: str, label: str,
            reference: float | None, reference_kind: str) -> dict[str, Any]:
    """One table row from a SolveResult; 'proven' reads the restricted model's status for
    the fixed-split model."""
    info = result.info
    proven = (info.get("model_status") == "optimal" if model == "fixed-split"
              else str(result.status) == "optimal")
    bound = info.get("model_bound") if model == "fixed-split" else result.bound
    obj = result.objective
    gap = None
    if obj is not None and bound is not None:
        gap = abs(obj - bound) / max(abs(obj), 1e-10)
    match = None
    if reference is not None and obj is not None:
        match = bool(abs(obj - reference) <= 1e-6 * max(1.0, abs(reference)))
    return {
        "family": family, "instance": result.instance, "size": size, "model": model,
        "solver": label, "status": info.get("model_status", str(result.status)),
        "proven": proven, "time_to_proof_s": result.wall_time_s if proven else None,
        "wall_time_s": result.wall_time_s, "build_time_s": info.get("build_time_s"),
        "objective": obj, "bound": bound, "gap_to_bound": gap, "reference": reference,
        "reference_kind": reference_kind, "matches_reference": match,
        "backend_status": info.get("backend_status"), "n_variables": info.get("n_variables"),
        "n_constraints": info.get("n_constraints"), "time_limit_s": result.time_limit,
    }


def fixed_split_reference(inst: Any) -> float | None:
    """Brute-force optimum of the fixed-split model (all grant masks) for up to 20 users."""
    import numpy as np

    from gqap.evaluation import gqap_cost_batch, site_loads_batch
    from gqap.reduction import offloading_to_gqap

    if inst.n_users > 20:
        return None
    gq = offloading_to_gqap(inst)
    masks = (np.arange(2 ** gq.n)[:, None] >> np.arange(gq.n)[None, :]) & 1
    best = np.inf
    for chunk in np.array_split(masks, max(1, masks.shape[0] // 8192)):
        X = 1 - chunk  # bit set = grant = site 0
        ok = np.all(site_loads_batch(gq, X) <= gq.Q, axis=1)
        if ok.any():
            best = min(best, float(gqap_cost_batch(gq, X[ok]).min()))
    return -best


def run_offloading(instances: Sequence[Any], time_limit: float, threads: int,
                   seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every solver x model on every instance; (rows, full results)."""
    from tqdm import tqdm

    from gqap.solvers import make_solver, solve

    rows, full = [], []
    jobs = [(inst, model, label) for inst in instances for model in MODELS for label in SOLVERS]
    refs: dict[tuple[str, str], float | None] = {}
    for inst in instances:
        refs[inst.name, "full"] = solve("exact", inst).objective
        refs[inst.name, "fixed-split"] = fixed_split_reference(inst)
    for inst, model, label in tqdm(jobs, desc="offloading", unit="solve", file=sys.stderr):
        name, opts = SOLVERS[label]
        solver = make_solver(name, model=model, threads=threads, **opts)
        result = solver.solve(inst, time_limit=time_limit, seed=seed)
        ref = refs[inst.name, model]
        kind = "exact solver" if model == "full" else (
            "mask enumeration" if ref is not None else "")
        rows.append(run_row(result, family="offloading", size=inst.n_users, model=model,
                            label=label, reference=ref, reference_kind=kind))
        full.append({"model": model, "solver": label, **result.to_dict()})
    return rows, full


def run_cordeau(path: Path, time_limit: float, threads: int,
                seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every solver on one Cordeau-format GQAP; (rows, full results)."""
    from gqap.io import read_cordeau
    from gqap.solvers import make_solver

    if not path.is_file():
        raise GQAPError(f"cordeau instance: {path} not found (pass --cordeau or --no-cordeau)")
    inst = read_cordeau(path)
    bks = read_bks(path)
    rows, full = [], []
    for label, (name, opts) in SOLVERS.items():
        print(f"cordeau {inst.name}: {label}, {time_limit:g} s", file=sys.stderr, flush=True)
        result = make_solver(name, threads=threads, **opts).solve(
            inst, time_limit=time_limit, seed=seed)
        rows.append(run_row(result, family="gqap", size=inst.n, model="gqap", label=label,
                            reference=bks, reference_kind="best-known"
                            if bks is not None else ""))
        full.append({"model": "gqap", "solver": label, **result.to_dict()})
    return rows, full


def run_lp_bounds(gqaps: Sequence[tuple[Any, int, float | None, str]], time_limit: float,
                  backend: str = "cbc") -> list[dict[str, Any]]:
    """LP bounds of the three linearisations for (instance, size, optimum, kind)."""
    from gqap.solvers.mip import lp_relaxation

    rows = []
    for inst, size, opt, kind in gqaps:
        for lin, cap in LP_VARIANTS:
            print(f"LP bound {inst.name}: {lin}{'' if cap else ' (no capacity products)'}",
                  file=sys.stderr, flush=True)
            out = lp_relaxation(inst, time_limit=time_limit, backend=backend,
                                linearization=lin, rlt_capacity=cap)
            rows.append({"instance": inst.name, "size": size, "backend": backend,
                         "linearization": lin,
                         "rlt_capacity": cap, "lp_bound": out["lp_bound"], "optimum": opt,
                         "optimum_kind": kind, "gap_closed_pct": None,
                         "lp_time_s": out["lp_time_s"], "n_variables": out["n_variables"],
                         "n_constraints": out["n_constraints"], "lp_status": out["lp_status"]})
    # Share of the standard linearisation's gap that each bound closes.
    for row in rows:
        std = next(r for r in rows if r["instance"] == row["instance"]
                   and r["linearization"] == "standard")
        if None not in (row["lp_bound"], std["lp_bound"], row["optimum"]) \
                and row["optimum"] - std["lp_bound"] > 1e-9 * max(1.0, abs(row["optimum"])):
            row["gap_closed_pct"] = 100.0 * (row["lp_bound"] - std["lp_bound"]) / (
                row["optimum"] - std["lp_bound"])
    return rows


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with full precision; None becomes an empty cell."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    return buf.getvalue()


def _num(x: Any, digits: int = 4) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if x.is_integer() and abs(x) >= 1000:
            return f"{x:.0f}"
        return f"{x:.{digits}g}"
    return str(x)


def summary_markdown(rows: Sequence[dict[str, Any]], lp_rows: Sequence[dict[str, Any]],
                     settings: dict[str, Any]) -> str:
    """The study's tables: offloading time to proof by size, the GQAP run, the LP bounds."""
    from tabulate import tabulate

    out = ["# Time to a proven optimum: milp (CBC, HiGHS) and cpsat\n",
           f"Command: `{settings['command']}`  ",
           f"Time limit {settings['time_limit_s']:g} s per solve, {settings['threads']} "
           f"thread(s) per solver, seed {settings['seed']}; {settings['machine']}. Measured "
           "while other jobs shared the machine (run under `nice -n 10`): compare solvers "
           "by ratios within this run, not by absolute seconds.\n"]
    off = [r for r in rows if r["family"] == "offloading"]
    if off:
        out.append("## Offloading (fig11a, G = 8, B_max = 18)\n")
        out.append("`full`: integer split points, b-disaggregated model, reference = exact "
                   "solver. `fixed-split`: the paper's B&B (splits at N_hat, 2-site GQAP with "
                   "the RLT linearisation), reference = enumeration of all grant masks. "
                   "Time = wall time of the solve call, model build included.\n")
        body = []
        for size in sorted({r["size"] for r in off}):
            for model in MODELS:
                for label in SOLVERS:
                    sel = [r for r in off if r["size"] == size and r["model"] == model
                           and r["solver"] == label]
                    if not sel:
                        continue
                    times = [r["time_to_proof_s"] for r in sel if r["proven"]]
                    refs = [r for r in sel if r["matches_reference"] is not None]
                    body.append([size, model, label, f"{len(times)}/{len(sel)}",
                                 _num(statistics.median(times), 3) if times else "",
                                 _num(max(times), 3) if times else "",
                                 f"{sum(r['matches_reference'] for r in refs)}/{len(refs)}"
                                 if refs else "",
                                 _num(statistics.median(r["n_variables"] for r in sel), 5)])
        out.append(tabulate(body, ["users", "model", "solver", "proven", "median time (s)",
                                   "max time (s)", "= reference", "variables"],
                            tablefmt="github"))
        out.append("")
    gq = [r for r in rows if r["family"] == "gqap"]
    if gq:
        out.append(f"## GQAP {gq[0]['instance']} (RLT linearisation)\n")
        body = [[r["solver"], r["status"], _num(r["objective"], 7), _num(r["bound"], 7),
                 "" if r["gap_to_bound"] is None else f"{100 * r['gap_to_bound']:.2f}%",
                 _num(r["reference"], 7),
                 "" if r["objective"] is None or r["reference"] is None
                 else f"{100 * (r['objective'] - r['reference']) / r['reference']:.2f}%",
                 _num(r["wall_time_s"], 4), _num(r["build_time_s"], 3), r["backend_status"]]
                for r in gq]
        out.append(tabulate(body, ["solver", "status", "incumbent", "bound", "gap to bound",
                                   "best-known", "gap to best-known", "wall (s)",
                                   "build (s)", "backend status"], tablefmt="github"))
        out.append("")
    if lp_rows:
        out.append(f"## LP-relaxation bounds of the linearisations ({settings['lp_backend']})\n")
        out.append("Gap closed = share of the standard (Glover-Woolsey) LP gap to the optimum "
                   "(or best-known) that the bound closes.\n")
        body = [[r["instance"], r["linearization"] + ("" if r["linearization"] == "standard"
                                                      else (" + capacity products"
                                                            if r["rlt_capacity"] else "")),
                 _num(r["lp_bound"], 8), _num(r["optimum"], 8), r["optimum_kind"],
                 "" if r["gap_closed_pct"] is None else f"{r['gap_closed_pct']:.1f}%",
                 _num(r["lp_time_s"], 3), r["n_variables"], r["n_constraints"]]
                for r in lp_rows]
        out.append(tabulate(body, ["instance", "linearisation", "LP bound", "optimum",
                                   "optimum from", "gap closed", "LP time (s)", "variables",
                                   "constraints"], tablefmt="github"))
        out.append("")
    return "\n".join(out) + "\n"


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") \
            from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and write its tables; errors print one line and exit 1."""
    from gqap.parsing import positive_float

    parser = argparse.ArgumentParser(prog="python -m gqap.bench.milp_study",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "milp",
                        help="output folder (default results/milp)")
    parser.add_argument("--time-limit", type=positive_float, default=600.0,
                        help="seconds per solve (default 600)")
    parser.add_argument("--sizes", type=_int_list, default=[4, 8, 12, 16, 20],
                        help="offloading user counts (default 4,8,12,16,20)")
    parser.add_argument("--cases", type=_positive_int, default=5,
                        help="offloading instances per size (default 5)")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET,
                        help="offloading instance-set folder (default instances/fig11a)")
    parser.add_argument("--cordeau", type=cordeau_path, default=DEFAULT_CORDEAU,
                        help="Cordeau-format GQAP: a shipped SET/NAME or a file (default "
                        "cordeau/20-15-35)")
    parser.add_argument("--no-cordeau", action="store_true", help="skip the GQAP instance")
    parser.add_argument("--no-lp-bounds", action="store_true",
                        help="skip the LP-relaxation bound comparison")
    parser.add_argument("--lp-backend", choices=("cbc", "highs"), default="cbc",
                        help="backend for the LP bounds (default cbc: Clp's dual simplex was "
                        "faster than HiGHS on the Cordeau RLT relaxation)")
    parser.add_argument("--threads", type=_positive_int, default=1,
                        help="threads per solver (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    args = parser.parse_args(argv)
    try:
        from gqap.io import dumps, read_cordeau, write_text_atomic
        from gqap.reduction import offloading_to_gqap

        command = "python -m gqap.bench.milp_study " + " ".join(
            argv if argv is not None else sys.argv[1:])
        settings = {"command": command.strip(), "time_limit_s": args.time_limit,
                    "threads": args.threads, "seed": args.seed, "sizes": args.sizes,
                    "cases": args.cases, "set": str(args.set.name),
                    "lp_backend": None if args.no_lp_bounds else args.lp_backend,
                    "cordeau": None if args.no_cordeau else args.cordeau.name,
                    "machine": f"{platform.machine()}, Python {platform.python_version()}",
                    "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        instances = offloading_instances(args.set, args.sizes, args.cases)
        if not args.no_cordeau and not args.cordeau.is_file():
            raise GQAPError(f"cordeau instance: {args.cordeau} not found "
                            "(pass --cordeau or --no-cordeau)")
        args.out.mkdir(parents=True, exist_ok=True)
        rows, full = run_offloading(instances, args.time_limit, args.threads, args.seed)
        lp_targets = []
        if not args.no_lp_bounds:
            for inst in instances:
                ref = next(r["reference"] for r in rows if r["instance"] == inst.name
                           and r["model"] == "fixed-split")
                lp_targets.append((offloading_to_gqap(inst), inst.n_users,
                                   None if ref is None else -ref,
                                   "" if ref is None else "mask enumeration"))
        if not args.no_cordeau:
            gq_rows, gq_full = run_cordeau(args.cordeau, args.time_limit, args.threads,
                                           args.seed)
            rows += gq_rows
            full += gq_full
            if not args.no_lp_bounds:
                bks = read_bks(args.cordeau)
                lp_targets.append((read_cordeau(args.cordeau), gq_rows[0]["size"], bks,
                                   "best-known" if bks is not None else ""))
        lp_rows = (run_lp_bounds(lp_targets, args.time_limit, args.lp_backend)
                   if lp_targets else [])
        settings["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        write_text_atomic(args.out / "runs.csv", to_csv(rows, RUN_COLUMNS))
        write_text_atomic(args.out / "lp_bounds.csv", to_csv(lp_rows, LP_COLUMNS))
        summary = summary_markdown(rows, lp_rows, settings)
        write_text_atomic(args.out / "summary.md", summary)
        write_text_atomic(args.out / "study.json",
                          dumps({"settings": settings, "runs": rows, "lp_bounds": lp_rows,
                                 "results": full}))
        sys.stdout.write(summary)
        print(f"wrote {args.out}/runs.csv, lp_bounds.csv, summary.md, study.json",
              file=sys.stderr)
    except GQAPError as exc:
        print(f"milp_study: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
