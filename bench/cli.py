"""``gqap bench``: run sweeps, write reports, reproduce the committed results.

Attached to the ``gqap`` command through ``gqap.cli.PLUGINS``; heavy imports stay inside
the handlers so ``gqap --help`` remains fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError
from gqap.parsing import (
    family_metavar,
    family_name,
    finite_float,
    name_list,
    nonneg_int,
    number_list,
    parse_key_values,
    positive_float,
    positive_int,
    seed_int,
)

_int_list = number_list(positive_int, "positive integers")
_nonneg_list = number_list(nonneg_int, "integers >= 0")
_seed_list = number_list(seed_int, "seeds")


def _axis_list(key: str, kind: Callable[[str], Any], what: str) -> Callable[[str], list[Any]]:
    """argparse type: comma-separated values of the grid axis ``key``, held to the rule the
    family registry gives that axis (``Axis.check``: what a capacity ratio, a rate or a
    profile may be is said once, by its family)."""
    parse = number_list(kind, what)

    def checked(text: str) -> list[Any]:
        from gqap.family import families

        values = parse(text)
        for axis in (a for spec in families() for a in spec.grid.axes if a.key == key):
            problem = axis.check(tuple(values)) if axis.check else None
            if problem:
                raise argparse.ArgumentTypeError(problem)
        return values

    return checked


def _families_with(key: str) -> str:
    """The families whose harness grid has the axis ``key`` (for a quick flag's help)."""
    from gqap.family import families

    return ", ".join(spec.name for spec in families()
                     if any(a.key == key for a in spec.grid.axes))


_ratio_list = _axis_list("capacity_ratio", finite_float, "capacity ratios")
_rate_list = _axis_list("rate", finite_float, "arrival rates")
_profile_list = _axis_list("profile", str, "arrival profiles")


def _sweep_folder(out: Path, what: str) -> Path:
    """Refuse a sweep or report folder that exists as a file, before any work is done."""
    for p in (out, *out.parents):
        if p.exists():
            if not p.is_dir():
                raise GQAPError(f"{what}: {out}" + (" is a file" if p == out else
                                f" cannot be a folder, {p} is a file")
                                + "; expected a folder")
            break
    return out


def _solver_options(pairs: list[str] | None) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for pair in pairs or ():
        solver, sep, rest = pair.partition(":")
        if not sep or not solver:
            raise GQAPError(f"--opt: expected SOLVER:KEY=VALUE, got {pair!r}")
        out.setdefault(solver, {}).update(parse_key_values([rest], "--opt"))
    return out


def _config_from_args(args: argparse.Namespace) -> Any:
    from gqap.bench.config import QUICK_AXES, load_config, quick_config

    quick_flags = ("family", *QUICK_AXES, "cases", "solvers", "time_limit", "seeds",
                   "instance_seed", "opt", "name")
    given = [f for f in quick_flags if getattr(args, f) not in (None, [])]
    if args.config:
        if given:
            raise GQAPError(f"bench run: --{given[0].replace('_', '-')} describes a quick "
                            "sweep; give either CONFIG or the quick flags, not both")
        return load_config(args.config)
    if not args.family or not args.solvers:
        raise GQAPError("bench run: give a CONFIG file (e.g. bench/configs/default.toml) or "
                        "at least --family and --solvers")
    return quick_config(family=args.family, solvers=args.solvers,
                        **{flag: getattr(args, flag) for flag in QUICK_AXES},
                        cases=10 if args.cases is None else args.cases,
                        time_limit=args.time_limit or 60.0, seeds=args.seeds,
                        instance_seed=args.instance_seed or 0,
                        options=_solver_options(args.opt), name=args.name or "quick")


def _cmd_run(args: argparse.Namespace) -> int:
    from gqap.bench.sweep import run_sweep

    if args.out:
        _sweep_folder(Path(args.out), "bench run --out")
    config = _config_from_args(args)
    out = _sweep_folder(Path(args.out or Path("runs") / config.name), "bench run --out")
    if args.executor != "dask" and args.scheduler:
        raise GQAPError("bench run: --scheduler needs --executor dask")
    summary = run_sweep(config, out, executor=args.executor, workers=args.workers,
                        scheduler=args.scheduler, progress=not args.no_progress,
                        retry_failed=args.retry_failed)
    for label, why in summary.skipped_solvers:
        print(f"skipped solver {label}: {why}", file=sys.stderr)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    dropped = (f", {summary.dropped} not run (skipped solvers)" if summary.dropped else "")
    print(f"{summary.completed} new runs stored ({summary.failed} failed), "
          f"{summary.already_stored} of {summary.planned} already stored{dropped}, "
          f"{summary.references_computed} references computed, in {summary.wall_s:.1f} s")
    print(f"results: {summary.db_path}")
    if not args.no_report:
        from gqap.bench.report import write_report

        rep = write_report(out, out / "report")
        _print_report(rep)
        if rep.tables:  # the same report as pages: one file to open
            from gqap.bench.site.build import write_sweep_site

            print(f"html report: {write_sweep_site(out, out / 'report')}")
    return 0


def _print_report(rep: Any) -> None:
    if rep.tables:
        print("tables:")
        for p in rep.tables:
            print(f"  {p}")
    if rep.figures:
        print("figures:")
        for p in rep.figures:
            print(f"  {p}")
    for note in rep.notes:
        print(f"note: {note}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from gqap.bench.report import write_report

    formats = args.format or ["markdown", "latex", "csv"]
    html = "html" in formats
    formats = [f for f in formats if f != "html"]
    folder = Path(args.dir)
    if not folder.is_dir():
        raise GQAPError(f"bench report: {folder} is not a folder" if folder.exists() else
                        f"bench report: {folder}: no such folder")
    if not (folder / "results.sqlite").is_file():
        raise GQAPError(f"bench report: {folder}: no results.sqlite here (not a sweep folder)")
    out = _sweep_folder(Path(args.out) if args.out else folder / "report", "bench report --out")
    if formats:
        rep = write_report(Path(args.dir), out, formats=formats, figures=not args.no_figures,
                           dynamic_batch=args.dynamic_batch)
        _print_report(rep)
    if html:
        from gqap.bench.site.build import write_sweep_site

        print(f"html report: {write_sweep_site(folder, out)} (opens from the file system)")
    return 0


def _cmd_site(args: argparse.Namespace) -> int:
    import time

    from gqap.bench.site.build import write_site

    t0 = time.perf_counter()
    out = _sweep_folder(Path(args.out), "bench site --out")
    rep = write_site(Path(args.results), out, workers=args.workers)
    pages = sum(len(p) for p in rep.pages.values())
    for note in rep.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{len(rep.pages)} studies, {pages} pages in {time.perf_counter() - t0:.1f} s; "
          f"open {rep.index}")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from gqap.bench.reproduce import reproduce

    _sweep_folder(Path(args.runs), "bench reproduce --runs")
    _sweep_folder(Path(args.results), "bench reproduce --results")
    only = [*(args.only or []), *args.study] or None
    reproduce(only=only, runs_dir=Path(args.runs), results_dir=Path(args.results),
              workers=args.workers, progress=not args.no_progress)
    return 0


def _cmd_bounds(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from gqap.bench import annotate

    folder = Path(args.dir)
    if not (folder / "results.sqlite").is_file():
        raise GQAPError(f"bench bounds: {folder}: no results.sqlite here (not a sweep folder)")
    found = annotate.collect(folder, args.set)
    rows = [[("-" if v is None else f"{v:.10g}" if isinstance(v, float) else v) for v in row]
            for row in annotate.describe(found)]
    print(tabulate(rows, headers=["instance", "reference", "kind", "best found", "bound",
                                  "by", "open gap %"], tablefmt="github",
                   disable_numparse=True))
    missing = annotate.not_run(found)
    if missing:
        print(f"note: {len(missing)} instances of {args.set} have no stored run "
              f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})",
              file=sys.stderr)
    if args.write_manifest or args.write_references:
        command = args.command or (f"gqap bench bounds {args.dir} --set {args.set}"
                                   + (" --write-manifest" if args.write_manifest else "")
                                   + (" --write-references" if args.write_references else ""))
        done = annotate.write(folder, args.set, command, bounds=args.write_manifest,
                              references=args.write_references)
        print(f"manifest of {args.set}: {len(done['bounds'])} bounds and "
              f"{len(done['references'])} references written")
    return 0


def _cmd_verify_proof(args: argparse.Namespace) -> int:
    from gqap.classic.proofs import ProofError, read_record, verify_proof
    from gqap.io import read_instance
    from gqap.library import resolve_instance, shipped_sets

    record = read_record(args.record)
    meta = record.get("instance") or {}
    if args.instance:
        inst = read_instance(resolve_instance(args.instance))
    else:
        inst = None
        for folder in shipped_sets().values():
            for path in sorted(folder.glob(f"{meta.get('name', '')}.*")):
                if path.name == "manifest.json":
                    continue
                cand = read_instance(path)
                if cand.content_hash() == meta.get("content_hash"):
                    inst = cand
                    break
            if inst is not None:
                break
        if inst is None:
            raise GQAPError(f"bench verify-proof: no shipped instance named "
                            f"{meta.get('name')!r} with the record's content hash; give "
                            "--instance PATH")
    try:
        check = verify_proof(record, inst)
    except ProofError as exc:
        raise GQAPError(str(exc)) from None
    what = (f"optimum {check.objective:.10g}" if check.status == "optimal"
            else "no feasible assignment")
    leaves = ", ".join(f"{v} {k}" for k, v in sorted(check.leaves.items()))
    print(f"{args.record}: proof checked ({inst.name}): {what}; {check.nodes} nodes, "
          f"leaves {leaves}; {check.bounds_checked} bounds re-derived, "
          f"{check.completions_enumerated} completions enumerated")
    if args.write_manifest:
        from gqap.bench.annotate import record_proof

        if not args.set:
            raise GQAPError("bench verify-proof: --write-manifest needs --set NAME")
        command = args.command or f"gqap bench verify-proof {args.record} --set {args.set} " \
            "--write-manifest"
        proof = record_proof(args.set, args.record, record, check, command,
                             int(args.max_kb * 1024))
        print(f"manifest of {args.set}: proof of {meta.get('name')} recorded"
              + (f" with the record {proof['record']}" if proof["record"] else
                 f" (record of {proof['record_bytes']:,} bytes not shipped: above "
                 f"{args.max_kb:g} KB)"))
    return 0


def _formats(text: str) -> list[str]:
    names = {"latex": "latex", "tex": "latex", "markdown": "markdown", "md": "markdown",
             "csv": "csv", "html": "html"}
    out = []
    for v in name_list(text):
        if v not in names:
            raise argparse.ArgumentTypeError(f"unknown format {v!r} (latex, markdown, csv, "
                                             "html)")
        out.append(names[v])
    return out


def register(subparsers: Any) -> None:
    """Add ``gqap bench run|report|reproduce|site|bounds|verify-proof``."""
    from gqap.online import PROFILES

    bench = subparsers.add_parser("bench", help="benchmark sweeps and reports",
                                  description="Run benchmark sweeps into a results store "
                                  "and write tables and figures from it.")
    sub = bench.add_subparsers(dest="bench_command", metavar="ACTION", required=True)

    r = sub.add_parser(
        "run", help="run (or resume) a sweep",
        description="Run every (solver, instance, seed) of a configuration in worker "
        "processes with enforced time limits, storing one row per run in "
        "DIR/results.sqlite; rerunning skips stored runs. Without CONFIG the quick flags "
        "describe a sweep over generated instances.",
        epilog="example: gqap bench run --family offloading --users 4,8,12 --cases 10 "
        "--solvers exact,baseline1 --time-limit 10 --seeds 0 --out runs/quick")
    r.add_argument("config", nargs="?", help="TOML config (a path, or a name in bench/configs)")
    r.add_argument("--out", help="sweep folder (default runs/CONFIG_NAME)")
    r.add_argument("--workers", type=positive_int, help="worker processes (default: config, "
                   "else CPU count)")
    r.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local process pool (default) or a Dask cluster")
    r.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--no-report", action="store_true", help="do not write DIR/report (the "
                   "tables, figures and DIR/report/index.html)")
    r.add_argument("--retry-failed", action="store_true",
                   help="run stored error rows again (killed runs stay)")
    q = r.add_argument_group("quick sweep (instead of CONFIG)")
    q.add_argument("--family", type=family_name, metavar=family_metavar(),
                   help="instance family")
    q.add_argument("--solvers", type=name_list, help="comma-separated solver names")
    q.add_argument("--users", type=_int_list, help="user counts, e.g. 4,8,12 "
                   f"({_families_with('users')})")
    q.add_argument("--gpus", type=_int_list, help="edge GPU counts G (default 8)")
    q.add_argument("--bmax", type=_nonneg_list, help="B_max values (default 18)")
    q.add_argument("--facilities", type=_int_list,
                   help=f"facility counts ({_families_with('facilities')})")
    q.add_argument("--sites", type=_int_list, help=f"site counts ({_families_with('sites')})")
    q.add_argument("--capacity-ratio", type=_ratio_list,
                   help=f"capacity ratios ({_families_with('capacity_ratio')})")
    q.add_argument("--periods", type=_int_list,
                   help=f"horizons T in periods ({_families_with('periods')})")
    q.add_argument("--rate", type=_rate_list,
                   help=f"arrival rates, users per period ({_families_with('rate')})")
    q.add_argument("--profile", type=_profile_list,
                   help=f"arrival profiles: {', '.join(PROFILES)} ({_families_with('profile')})")
    q.add_argument("--cases", type=positive_int, help="instances per size (default 10)")
    q.add_argument("--time-limit", type=positive_float, help="seconds per run (default 60)")
    q.add_argument("--seeds", type=_seed_list, help="solver seeds, e.g. 0,1 (default 0)")
    q.add_argument("--instance-seed", type=seed_int, help="seed of the instance generation "
                   "(default 0; recorded with every instance)")
    q.add_argument("--opt", action="append", metavar="SOLVER:KEY=VALUE",
                   help="solver option, repeatable (e.g. ga:population=50)")
    q.add_argument("--name", help="sweep name (default quick)")
    r.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", help="tables and figures from a sweep folder",
                       description="Aggregate tables (mean, median, 95% CI of gap and time "
                       "per solver and size) and the figures the data supports; with "
                       "--format html a static site (OUT/index.html: who wins per size and "
                       "time budget, sortable tables, performance profiles, one page per "
                       "instance) that opens from the file system.")
    p.add_argument("dir", help="sweep folder holding results.sqlite")
    p.add_argument("--format", type=_formats, help="latex, markdown, csv and/or html, "
                   "comma-separated (default latex, markdown and csv)")
    p.add_argument("--out", help="output folder (default DIR/report)")
    p.add_argument("--no-figures", action="store_true", help="tables only")
    p.add_argument("--dynamic-batch", action=argparse.BooleanOptionalAction, default=None,
                   help="re-score stored solutions under the dynamic-batch latency model "
                   "(default: as the sweep's config says, on)")
    p.set_defaults(func=_cmd_report)

    d = sub.add_parser("reproduce", help="regenerate every folder of results/",
                       description="Run (or resume) every study's sweep into runs/ and write "
                       "its tables and figures into results/NAME, draw the figures that "
                       "need no sweep (fig8, dqn-training), and refresh the tables the "
                       "README copies.")
    d.add_argument("study", nargs="*", help="study names, as --only (e.g. online)")
    d.add_argument("--only", type=name_list, help="comma-separated study names (fig11a, "
                   "fig11b, fig11c, fig10, scaling, literature, milp, dqn-scaling, online, "
                   "fig8, dqn-training, ...)")
    d.add_argument("--runs", default="runs", help="sweep folders (default runs)")
    d.add_argument("--results", default="results", help="output folder (default results)")
    d.add_argument("--workers", type=positive_int,
                   help="worker processes (default CPU count)")
    d.add_argument("--no-progress", action="store_true", help="no progress bars")
    d.set_defaults(func=_cmd_reproduce)

    w = sub.add_parser("site", help="the static HTML site of every study under results/",
                       description="Build one static site (no server, works offline) from "
                       "every study folder under RESULTS: an index linking each study with "
                       "the command that regenerates it, and per study a summary (the "
                       "solver to use per size and time budget), sortable tables, "
                       "performance profiles, time-to-target and critical-difference "
                       "figures and one page per instance.",
                       epilog="example: gqap bench site && xdg-open site/index.html")
    w.add_argument("--results", default="results", help="the studies (default results)")
    w.add_argument("--out", default="site", help="output folder (default site)")
    w.add_argument("--workers", type=positive_int, help="processes writing the studies "
                   "(default 1)")
    w.set_defaults(func=_cmd_site)

    b = sub.add_parser("bounds", help="best certified bounds of a sweep, into a set manifest",
                       description="Per instance of a shipped GQAP set, the best lower bound "
                       "any stored run of the sweep proved (a proof, a bound-only run, a "
                       "branch and bound's bound) and the best solution found; with "
                       "--write-manifest the bounds go into the set's manifest as 'bound' "
                       "objects beside the references (a stronger recorded bound stays).")
    b.add_argument("dir", help="sweep folder holding results.sqlite")
    b.add_argument("--set", required=True, help="shipped set name (e.g. cordeau, lee-ma)")
    b.add_argument("--write-manifest", action="store_true",
                   help="record the bounds in the set's manifest")
    b.add_argument("--write-references", action="store_true",
                   help="record the best solutions as best-known references (sets whose "
                   "references this suite finds; literature references are never replaced)")
    b.add_argument("--command", help="the command to record as how the values were obtained "
                   "(default: this command)")
    b.set_defaults(func=_cmd_bounds)

    v = sub.add_parser("verify-proof", help="check a branch and bound proof record",
                       description="Re-derive every step of a proof record written by the "
                       "bnb solver (record=PATH) from the instance alone, with code "
                       "independent of the solver (gqap.classic.proofs): the optimum's assignment "
                       "and value, the tree's coverage, every leaf's bound, enumeration, "
                       "capacity or symmetry argument. A record that does not check is "
                       "refused with the first failing node named (exit 1).")
    v.add_argument("record", help="proof record (.json or .json.gz)")
    v.add_argument("--instance", help="the instance (a file or SET/NAME; default: the "
                   "shipped instance the record names)")
    v.add_argument("--write-manifest", action="store_true",
                   help="record the checked proof in the shipped set's manifest (and the "
                   "proven optimum as its reference of kind optimal), copying the record "
                   "into the set's proofs/ folder when it is small enough")
    v.add_argument("--set", help="the shipped set whose manifest --write-manifest writes")
    v.add_argument("--max-kb", type=float, default=600.0,
                   help="largest record copied into the set, in KB (default 600)")
    v.add_argument("--command", help="the command to record as how the proof was obtained "
                   "(default: this command)")
    v.set_defaults(func=_cmd_verify_proof)
