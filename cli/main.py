"""The ``gqap`` command line: generate, inspect, solve and evaluate instances.

Further command groups (``bench``, ``train``, ``figure``) live next to the code they drive
and are attached through ``PLUGINS``: each module exposes ``register(subparsers)``.
Errors print one line to stderr and exit non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gqap.cli.common import check_out, fmt, json_text
from gqap.errors import GQAPError, InputError
from gqap.family import families, family_of, upper
from gqap.parsing import (
    family_metavar,
    family_name,
    parse_key_values,
    positive_float,
    positive_int,
    seed_int,
)

PLUGINS = ("gqap.bench.cli", "gqap.bench.figures_cli", "gqap.solvers.dqn.cli")


# ---------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------
def _add_generate_family(gsub: Any, spec: Any) -> None:
    """The ``gqap generate NAME`` parser of a family (its own, or the generic one); an old
    name runs the same command after a deprecation line."""
    from gqap.cli.generate import add_generic

    add = upper(spec.cli, "add_generate") or add_generic(spec)
    add(gsub, spec.name, spec.aliases)


def instance_info(inst: Any) -> dict[str, Any]:
    """Family, sizes and basic statistics of an instance, as plain values (the family's
    ``describe``; at least its name, size and content hash)."""
    spec = family_of(inst)
    describe = upper(spec.cli, "describe")
    if describe is not None:
        return describe(inst)
    return {"family": spec.name, "name": inst.name, "size": inst.size,
            "content_hash": inst.content_hash()}


def _cmd_generate_set(args: argparse.Namespace) -> int:
    from gqap.instance_sets import SETS, get_set, write_set

    if args.list or not args.name:
        for s in SETS.values():
            print(f"{s.name:10s} v{s.version}  {len(s.cases()):5d} files  {s.description}")
        return 0 if args.list else 2
    get_set(args.name)
    out = args.output or f"instances/{args.name}"
    path = write_set(args.name, out, progress=True)
    print(f"wrote {len(get_set(args.name).cases())} instances and {path}")
    return 0


# ---------------------------------------------------------------------------------------
# info
# ---------------------------------------------------------------------------------------
def _cmd_info(args: argparse.Namespace) -> int:
    from gqap.instance_sets import MANIFEST, set_summary, verify_set
    from gqap.io import read_instance
    from gqap.library import shipped_sets

    path = Path(args.file)
    if not path.exists() and args.file in shipped_sets():  # a shipped set by name
        path = shipped_sets()[args.file]
    if path.is_dir() and (path / MANIFEST).exists():
        problems = verify_set(path)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise GQAPError(f"{problems[0]}{more}")
        info = {"instance_set": str(path), **set_summary(path),
                "sha256": "every file matches the manifest"}
    else:
        info = instance_info(read_instance(path))
    if args.json:
        print(json_text(info, indent=1))
    else:
        for key, value in info.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {fmt(v)}" for k, v in value.items())
            elif isinstance(value, list):
                value = " ".join(fmt(v) for v in value)
            print(f"{key:28s} {fmt(value)}")
    return 0


# ---------------------------------------------------------------------------------------
# solve / evaluate / solvers
# ---------------------------------------------------------------------------------------
def _cmd_solve(args: argparse.Namespace) -> int:
    from gqap.io import read_instance, write_no_solution, write_solution
    from gqap.solvers import make_solver

    check_out(args.out)
    inst = read_instance(args.file)
    options = parse_key_values(args.opt)
    if args.threads is not None:
        options["threads"] = args.threads
    solver = make_solver(args.solver, **options)
    result = solver.solve(inst, time_limit=args.time_limit, seed=args.seed)
    if args.out and result.solution is not None:
        write_solution(result.solution, args.out, inst, solver=result.solver,
                       status=str(result.status), objective=result.objective)
    elif args.out:  # never leave an older solution behind: record this run's outcome
        write_no_solution(args.out, inst, solver=result.solver, status=str(result.status),
                          objective=None, bound=result.bound)
    if args.json:
        print(json_text(result.to_dict()))
    else:
        rows = [("solver", result.solver), ("instance", result.instance),
                ("status", result.status), ("objective", result.objective),
                ("bound", result.bound), ("wall time (s)", result.wall_time_s)]
        spec = family_of(inst)
        rows += upper(spec.cli, "solve_rows", lambda inst, result: [])(inst, result)
        if spec.per_user and result.objective is not None:
            rows.append(("objective per user", result.objective / inst.n_users))
        rows += [(k, v) for k, v in result.info.items()
                 if isinstance(v, int | float | str | bool) or v is None]
        for key, value in rows:
            print(f"{key:22s} {fmt(value)}")
    sys.stdout.flush()
    if result.status == "error":
        raise GQAPError(f"solver {result.solver}: status error ({_error_reason(result.info)})"
                        + (f"; {args.out} records it" if args.out else ""))
    if result.solution is None and result.status != "bound":  # bound: a bound, by design
        raise GQAPError(f"solver {result.solver}: no solution (status {result.status})"
                        + (f"; {args.out} now records the status and no solution"
                           if args.out else ""))
    return 0


def _error_reason(info: dict[str, Any]) -> str:
    """Why a solve ended in status error, from what the solver and the evaluator recorded."""
    if info.get("violations"):
        claimed = info.get("claimed_status")
        return (f"its {claimed + ' ' if claimed else ''}solution breaks a constraint: "
                f"{info['violations'][0]}")
    if info.get("claimed_status"):
        return f"it claimed {info['claimed_status']} without a solution"
    for key in ("model_error", "backend_status", "error", "message"):
        if info.get(key):
            return f"{key.replace('_', ' ')}: {' '.join(str(info[key]).split())[:200]}"
    return "the solver reported an error"


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from gqap.evaluation import evaluate, family_words
    from gqap.io import read_instance, read_solution

    inst = read_instance(args.file)
    spec = family_of(inst)
    if not spec.latency_models and args.latency_model != "paper":
        raise GQAPError(f"--latency-model {args.latency_model}: only the "
                        f"{family_words(latency=True)} families have latency models")
    sol = read_solution(args.solution, inst)
    try:
        ev = evaluate(inst, sol, args.latency_model)
    except GQAPError as exc:  # a solution that does not fit the instance: name the file
        raise type(exc)(f"{args.solution}: {exc}") from None
    out: dict[str, Any] = {"instance": inst.name, "family": inst.family,
                           "objective": ev.objective, "feasible": ev.feasible,
                           "violations": list(ev.violations)}
    out.update(upper(spec.cli, "evaluation_fields", lambda i, s, e: {})(inst, sol, ev))
    per_user = None
    if args.per_user:
        table = upper(spec.cli, "per_user")
        if table is None:
            raise GQAPError(f"--per-user: the {spec.name} family has no per-user breakdown")
        headers, rows = table(inst, sol, ev)
        per_user = {"headers": headers, "rows": rows}
    if args.json:
        if args.per_user:
            out["per_user"] = [dict(zip(per_user["headers"], row, strict=True))
                               for row in per_user["rows"].tolist()]
        print(json_text(out))
    else:
        for key, value in out.items():
            if key == "violations":
                value = "; ".join(value) or "none"
            elif isinstance(value, dict):
                value = ", ".join(f"{k} {fmt(v)}" for k, v in value.items())
            elif isinstance(value, list):
                value = " ".join(fmt(v) for v in value)
            print(f"{key:16s} {fmt(value)}")
        if args.per_user:
            print(tabulate(per_user["rows"], headers=per_user["headers"], floatfmt=".4g"))
    if not ev.feasible:
        sys.stdout.flush()
        raise GQAPError(f"{args.solution}: infeasible for {inst.name or args.file}: "
                        f"{ev.violations[0]}"
                        + (f" (and {len(ev.violations) - 1} more)" if len(ev.violations) > 1
                           else ""))
    return 0


def _cmd_solvers(args: argparse.Namespace) -> int:
    from gqap.solvers import list_solvers

    specs = list_solvers(args.family, installed_only=False)
    width = max((len("/".join(s.families)) for s in specs), default=0)
    for spec in specs:
        line = f"{spec.name:12s} {'/'.join(spec.families):{width}s} {spec.summary}"
        if not spec.installed:
            line += (f"  [unavailable: pip install 'gqap-bench[{spec.extra}]']" if spec.extra
                     else "  [unavailable]")
        print(line)
    return 0


def _cmd_doc(args: argparse.Namespace) -> int:
    from gqap.package_data import package_dir

    docs = {p.stem.upper(): p for p in sorted(package_dir("gqap.docs").glob("*.md"))}
    if not args.name:
        for name, path in docs.items():
            title = path.read_text(encoding="utf-8").lstrip("# ").splitlines()[0]
            print(f"{name:14s} {title}")
        return 0
    key = Path(args.name).stem.upper()
    if key not in docs:
        raise GQAPError(f"doc: no document {args.name!r} (documents: {', '.join(docs)})")
    sys.stdout.write(docs[key].read_text(encoding="utf-8"))
    return 0


# ---------------------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------------------
class UsageError(GQAPError):
    """A command line argparse refused (exit status 2, one line)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (``gqap: error: ...``, exit status 2)
    instead of argparse's usage block; subcommand parsers inherit the behaviour."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        """Raise a UsageError naming the subcommand and pointing at its --help."""
        where = self.prog.removeprefix("gqap").strip()
        raise UsageError(f"{where + ': ' if where else ''}{message} "
                         f"(see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, plugins included."""
    p = Parser(
        prog="gqap", description="gqap-bench: instances, solvers and benchmarks for the "
        "generalized quadratic assignment problem and diffusion-model offloading.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    gen = sub.add_parser("generate", help="generate instances or instance sets",
                         description="Generate seeded instances; same seed, same bytes.")
    gsub = gen.add_subparsers(dest="kind", metavar="KIND", required=True)
    for spec in families():
        _add_generate_family(gsub, spec)
    g = gsub.add_parser("set", help="a shipped, versioned instance set",
                        description="Write a named instance set and its manifest.json.")
    g.add_argument("name", nargs="?", help="set name (see --list)")
    g.add_argument("--list", action="store_true", help="list the set definitions")
    g.add_argument("-o", "--output", help="output folder (default instances/NAME)")
    g.set_defaults(func=_cmd_generate_set)

    i = sub.add_parser("info", help="family, sizes and statistics of an instance",
                       description="Describe an instance file (JSON or Cordeau text) or an "
                       "instance-set folder.")
    i.add_argument("file", help="instance file or set folder")
    i.add_argument("--json", action="store_true", help="print one JSON object")
    i.set_defaults(func=_cmd_info)

    s = sub.add_parser("solve", help="solve an instance with a registered solver",
                       description="Solve an instance; the objective is re-scored by the "
                       "shared evaluator. Exit status 0 with a solution (or a bound-only "
                       "solver's status bound); 1 when the solver "
                       "ends without one (infeasible, time limit) or errs, and then --out "
                       "records the status and no solution; 2 on a usage error.")
    s.add_argument("file", help="instance file (JSON or Cordeau text)")
    s.add_argument("--solver", required=True, help="solver name (see 'gqap solvers')")
    s.add_argument("--time-limit", type=positive_float, default=None, help="seconds")
    s.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    s.add_argument("--opt", action="append", metavar="KEY=VALUE",
                   help="solver option, repeatable (e.g. --opt split=real)")
    s.add_argument("--threads", type=positive_int, default=None,
                   help="worker threads, for solvers with a 'threads' option (milp, cpsat)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--out", help="also write the solution to this file (or, without a "
                   "solution, the status; an older solution is never left there)")
    s.set_defaults(func=_cmd_solve)

    e = sub.add_parser("evaluate", help="score a solution file",
                       description="Objective, breakdown and constraint check of a solution; "
                       "exit status 1 (and one line naming the first violation) when the "
                       "solution is infeasible.")
    e.add_argument("file", help="instance file")
    e.add_argument("solution", help="solution file (or 'gqap solve --json' output)")
    from gqap.evaluation import LATENCY_MODELS, family_words

    e.add_argument("--latency-model", choices=list(LATENCY_MODELS), default=LATENCY_MODELS[0],
                   help=f"latency model of the {family_words(latency=True)} families "
                   f"(default {LATENCY_MODELS[0]})")
    e.add_argument("--per-user", action="store_true",
                   help="the per-user breakdown (multi: with each user's site and shift; "
                   "classic: per facility)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=_cmd_evaluate)

    ls = sub.add_parser("solvers", help="list the registered solvers",
                        description="List registered solvers and the families they support.")
    ls.add_argument("--family", type=family_name, metavar=family_metavar(),
                    help="only this family")
    ls.set_defaults(func=_cmd_solvers)

    d = sub.add_parser("doc", help="print one of the suite's documents (MODEL, FORMATS, ...)",
                       description="Print a document shipped with the package; without a "
                       "name, list them.")
    d.add_argument("name", nargs="?", help="document name, e.g. MODEL")
    d.set_defaults(func=_cmd_doc)

    for module in PLUGINS:
        if importlib.util.find_spec(module.split(".")[0]) is None:
            continue
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module).register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gqap`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "generate" and args.kind != "set":
            args.kind = family_name(args.kind)  # an old name: the deprecation line
        return int(args.func(args) or 0)
    except GQAPError as exc:
        if debug:
            raise
        print(f"gqap: error: {_one_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError | InputError) else 1
    except MemoryError as exc:
        if debug:
            raise
        print(f"gqap: error: out of memory ({_one_line(exc) or 'the input is too large'})",
              file=sys.stderr)
        return 1
    except OSError as exc:  # the environment (a file, a disk), not a bug: one line
        if isinstance(exc, BrokenPipeError):
            return 0
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"gqap: error: {where}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gqap: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns bugs into one line
        if debug:
            raise
        print(f"gqap: internal error: {type(exc).__name__}: {_one_line(exc)} (rerun with "
              "--debug for the traceback)", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (later lines joined, whitespace collapsed)."""
    return " ".join(str(exc).split())
