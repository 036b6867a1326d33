"""The ``gqap`` command line: generate, inspect, solve and evaluate instances.

Further command groups (``bench``, ``train``, ``figure``) live next to the code they drive
and are attached through ``PLUGINS``: each module exposes ``register(subparsers)``.
Errors print one line to stderr and exit non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.parsing import (
    finite_float,
    nonneg_int,
    number_list,
    parse_key_values,
    positive_float,
    positive_int,
    seed_int,
)

PLUGINS = ("gqap.bench.cli", "gqap.bench.figures_cli", "gqap.solvers.dqn.cli")


def _nonneg_float(text: str) -> float:
    x = finite_float(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


_pos_list = number_list(positive_int, "positive integers")
_nonneg_list = number_list(nonneg_int, "integers >= 0")
_posf_list = number_list(positive_float, "positive numbers")


# ---------------------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------------------
def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def _strict(x: Any) -> Any:
    """Plain JSON values: numpy scalars and arrays unwrapped, non-finite floats as null."""
    if isinstance(x, dict):
        return {str(k): _strict(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_strict(v) for v in x]
    if isinstance(x, np.ndarray):
        return _strict(x.tolist())
    if isinstance(x, np.generic):
        return _strict(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def json_text(obj: Any, indent: int | None = None) -> str:
    """Standard JSON (RFC 8259) for printing: never NaN or Infinity (those become null)."""
    return json.dumps(_strict(obj), indent=indent, allow_nan=False)


def _check_out(out: str | None) -> None:
    """Refuse an output path that cannot become a file before any work is done."""
    if out:
        from gqap.io import check_writable

        check_writable(out)


def _emit(text: str, out: str | None) -> None:
    if out:
        from gqap.io import write_text_atomic

        write_text_atomic(out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


# ---------------------------------------------------------------------------------------
# generate
# ---------------------------------------------------------------------------------------
def _cmd_generate_offloading(args: argparse.Namespace) -> int:
    from gqap.generators import generate_offloading
    from gqap.io import dumps, instance_to_dict

    _check_out(args.output)
    model = {k: v for k, v in (("N", args.N), ("N_hat", args.N_hat),
                               ("convention", args.convention)) if v is not None}
    inst = generate_offloading(np.random.default_rng(args.seed), args.users, args.gpus,
                               args.bmax, b_hat=args.b_hat, kappa=args.kappa,
                               name=args.name or "", seed=args.seed, **model)
    _emit(dumps(instance_to_dict(inst)), args.output)
    return 0


def _cmd_generate_gqap(args: argparse.Namespace) -> int:
    from gqap.generators import generate_gqap
    from gqap.io import cordeau_text, dumps, instance_to_dict

    _check_out(args.output)
    inst = generate_gqap(np.random.default_rng(args.seed), args.facilities, args.sites,
                         args.capacity_ratio, name=args.name or "", seed=args.seed)
    text = cordeau_text(inst) if args.format == "cordeau" else dumps(instance_to_dict(inst))
    _emit(text, args.output)
    return 0




def _points(text: str) -> list[list[float]]:
    """argparse type: points 'x,y;x,y;...' (finite numbers)."""
    points = []
    for part in text.split(";"):
        if not part.strip():
            continue
        xy = part.split(",")
        if len(xy) != 2:
            raise argparse.ArgumentTypeError(f"expected points 'x,y;x,y;...', got {part!r}")
        points.append([finite_float(v) for v in xy])
    if not points:
        raise argparse.ArgumentTypeError("expected at least one point 'x,y'")
    return points


def _one_or_list(values: list[Any] | None) -> Any:
    """A scalar for one value (the generator's 'every site'), else the per-site list."""
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


def _cmd_generate_multi(args: argparse.Namespace) -> int:
    from gqap.io import dumps, instance_to_dict
    from gqap.multi.generator import generate_multi

    _check_out(args.output)
    # sizes first, before any per-site list is checked (the generator repeats the checks)
    from gqap.generators import size_within
    from gqap.multi.generator import MAX_SHIFTS, MAX_SITES, MAX_USERS

    size_within("users", args.users, MAX_USERS)
    size_within("sites", args.sites, MAX_SITES)
    if args.users * args.sites > MAX_SHIFTS:
        raise GQAPError(f"users x sites: the shift matrix may hold at most "
                        f"{MAX_SHIFTS:,} entries, got {args.users * args.sites:,}")
    for flag, values in (("--gpus", args.gpus), ("--bmax", args.bmax),
                         ("--bandwidth", args.bandwidth), ("--site-rows", args.site_rows)):
        if values is not None and len(values) not in (1, args.sites):
            raise GQAPError(f"{flag}: expected one value (every site) or {args.sites} "
                            f"(one per site), got {len(values)}")
    for flag, points, rows in (("--centres", args.centres, args.sites),
                               ("--positions", args.positions, args.users)):
        if points is not None and len(points) != rows:
            raise GQAPError(f"{flag}: expected {rows} points, got {len(points)}")
    from gqap.generators import check_alpha_rule, check_model
    from gqap.instances import VALUE_MAX
    from gqap.multi.generator import MODEL_DEFAULTS

    if args.delta_max is not None and args.delta_max > VALUE_MAX:
        raise GQAPError(f"--delta-max: at most {VALUE_MAX:g} (the bound of shift_steps), got "
                        f"{args.delta_max:g}")
    check_alpha_rule(20 if args.b_hat is None else args.b_hat,
                     0.05 if args.kappa is None else args.kappa)
    check_model({**MODEL_DEFAULTS, **{k: getattr(args, k) for k in MODEL_DEFAULTS
                                      if getattr(args, k) is not None}})
    kwargs: dict[str, Any] = {}
    for key, value in (("G", _one_or_list(args.gpus)), ("G_choices", args.gpu_choices),
                       ("B_max", _one_or_list(args.bmax)),
                       ("W_hz", _one_or_list(args.bandwidth)),
                       ("site_rows", _one_or_list(args.site_rows)),
                       ("delta_max", args.delta_max), ("centres", args.centres),
                       ("positions", args.positions), ("b_hat", args.b_hat),
                       ("kappa", args.kappa), ("N", args.N), ("N_hat", args.N_hat),
                       ("a_F", args.a_F), ("b_F", args.b_F), ("K", args.K),
                       ("eta", args.eta), ("s_p_bits", args.s_p_bits),
                       ("s_m_bits", args.s_m_bits), ("convention", args.convention)):
        if value is not None:  # left out: the generator's default, recorded as such
            kwargs[key] = value
    inst = generate_multi(np.random.default_rng(args.seed), args.users, args.sites,
                          name=args.name or "", seed=args.seed, **kwargs)
    _emit(dumps(instance_to_dict(inst)), args.output)
    return 0


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
def _stats(x: np.ndarray) -> dict[str, float]:
    return {"min": float(x.min()), "mean": float(x.mean()), "max": float(x.max())}


def _multi_info(inst: Any) -> dict[str, Any]:
    sites = np.arange(inst.n_sites)
    nearest = inst.shift_steps.argmin(axis=1)
    return {
        "family": "multi", "name": inst.name, "users": inst.n_users, "sites": inst.n_sites,
        "N": inst.N, "N_hat": inst.N_hat, "convention": inst.convention,
        "site_G": inst.G.tolist(), "site_B_max": inst.B_max.tolist(),
        "site_W_hz": inst.W_hz.tolist(),
        "site_step_latency_b1_s": inst.site_step_latency(sites, 1).tolist(),
        "site_step_latency_bmax_s": inst.site_step_latency(
            sites, np.maximum(1, inst.max_granted)).tolist(),
        "local_step_latency_s": _stats(inst.local_step_latency),
        "alpha": _stats(inst.alpha),
        "request_time_s": {"min": float(inst.request_time.min()),
                           "max": float(inst.request_time.max())},
        "shift_steps": _stats(inst.shift_steps),
        "shift_to_nearest_site": _stats(inst.shift_steps.min(axis=1)),
        "users_nearest_site": np.bincount(nearest, minlength=inst.n_sites).tolist(),
        "content_hash": inst.content_hash(),
    }


def instance_info(inst: Any) -> dict[str, Any]:
    """Family, sizes and basic statistics of an instance, as plain values; for the
    multi-cluster family also per-site G, B_max, link and step latency and the shift
    statistics (all shifts, each user's shift to its nearest site, users per nearest site)."""
    from gqap.instances import OffloadingInstance

    if inst.family == "multi":
        return _multi_info(inst)
    if isinstance(inst, OffloadingInstance):
        lat = inst.local_step_latency
        edge1 = inst.edge_step_latency(1)
        return {
            "family": "offloading", "name": inst.name, "users": inst.n_users, "G": inst.G,
            "B_max": inst.B_max, "N": inst.N, "N_hat": inst.N_hat,
            "convention": inst.convention,
            "edge_step_latency_b1_s": edge1,
            "edge_step_latency_bmax_s": inst.edge_step_latency(max(1, inst.max_granted)),
            "local_step_latency_s": {"min": lat.min(), "mean": lat.mean(), "max": lat.max()},
            "alpha": {"min": inst.alpha.min(), "mean": inst.alpha.mean(),
                      "max": inst.alpha.max()},
            "request_time_s": {"min": inst.request_time.min(),
                               "max": inst.request_time.max()},
            "content_hash": inst.content_hash(),
        }
    return {
        "family": "gqap", "name": inst.name, "facilities": inst.n, "sites": inst.m,
        "v": inst.v, "capacity_ratio": inst.q.sum() / inst.Q.sum(),
        "weight": {"min": inst.q.min(), "total": inst.q.sum()},
        "capacity": {"min": inst.Q.min(), "max": inst.Q.max(), "total": inst.Q.sum()},
        "traffic_density": float(np.count_nonzero(inst.t)) / inst.t.size,
        "content_hash": inst.content_hash(),
    }


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
                value = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            elif isinstance(value, list):
                value = " ".join(_fmt(v) for v in value)
            print(f"{key:28s} {_fmt(value)}")
    return 0


# ---------------------------------------------------------------------------------------
# solve / evaluate / solvers
# ---------------------------------------------------------------------------------------
def _cmd_solve(args: argparse.Namespace) -> int:
    from gqap.io import read_instance, write_no_solution, write_solution
    from gqap.solvers import make_solver

    _check_out(args.out)
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
        if inst.family == "offloading" and result.solution is not None:
            rows.append(("granted users b", result.solution.b))
        if inst.family == "multi" and result.solution is not None:
            rows.append(("users per site b_s", " ".join(
                str(c) for c in result.solution.counts(inst.n_sites))))
        if inst.family != "gqap" and result.objective is not None:
            rows.append(("objective per user", result.objective / inst.n_users))
        rows += [(k, v) for k, v in result.info.items()
                 if isinstance(v, int | float | str | bool) or v is None]
        for key, value in rows:
            print(f"{key:22s} {_fmt(value)}")
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

    from gqap.evaluation import GQAPEvaluation, evaluate
    from gqap.io import read_instance, read_solution

    inst = read_instance(args.file)
    if inst.family == "gqap" and args.latency_model != "paper":
        raise GQAPError(f"--latency-model {args.latency_model}: only the offloading and multi "
                        "families have latency models")
    sol = read_solution(args.solution, inst)
    try:
        ev = evaluate(inst, sol, args.latency_model)
    except GQAPError as exc:  # a solution that does not fit the instance: name the file
        raise type(exc)(f"{args.solution}: {exc}") from None
    out: dict[str, Any] = {"instance": inst.name, "family": inst.family,
                           "objective": ev.objective, "feasible": ev.feasible,
                           "violations": list(ev.violations)}
    if isinstance(ev, GQAPEvaluation):
        out["loads"] = ev.loads.tolist()
    else:
        out["latency_model"] = ev.latency_model
        if inst.family == "multi":
            out["users_per_site"] = ev.counts.tolist()
            out["denied"] = int(np.count_nonzero(sol.site == -1))
        else:
            out["b"] = ev.b
        out.update({"mean_pai": float(ev.pai.mean()), "mean_latency_s": float(ev.latency.mean()),
                    "totals_s": {"l_R": float(ev.l_R.sum()), "l_T": float(ev.l_T.sum()),
                                 "l_E": float(ev.l_E.sum()), "l_L": float(ev.l_L.sum())}})
    if args.per_user and isinstance(ev, GQAPEvaluation):
        x = sol.assignment
        per_user = {"headers": ["facility", "site", "weight", "cost a"],
                    "rows": np.column_stack([np.arange(inst.n), x, inst.q,
                                             inst.a[np.arange(inst.n), x]])}
    elif args.per_user and inst.family == "multi":
        site = sol.site
        on = (site >= 0) & (site < inst.n_sites)
        shift = np.where(on, inst.shift_steps[np.arange(inst.n_users), np.where(on, site, 0)],
                         0.0)
        per_user = {"headers": ["user", "site", "shift", "n", "l_R", "l_T", "l_E", "l_L", "PAI",
                                "QoE"],
                    "rows": np.column_stack([np.arange(inst.n_users), site, shift,
                                             sol.split_points, ev.l_R, ev.l_T, ev.l_E, ev.l_L,
                                             ev.pai, ev.qoe])}
    elif args.per_user:
        per_user = {"headers": ["user", "grant", "n", "l_R", "l_T", "l_E", "l_L", "PAI", "QoE"],
                    "rows": np.column_stack([np.arange(inst.n_users), sol.grant, sol.split,
                                             ev.l_R, ev.l_T, ev.l_E, ev.l_L, ev.pai, ev.qoe])}
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
                value = ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
            elif isinstance(value, list):
                value = " ".join(_fmt(v) for v in value)
            print(f"{key:16s} {_fmt(value)}")
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
    g = gsub.add_parser("offloading", help="one instance of the paper's scenario",
                        description="One offloading instance (paper Section VI-B).")
    g.add_argument("--users", type=int, default=20, help="number of users (default 20)")
    g.add_argument("--gpus", type=int, default=8, help="edge GPUs G (default 8)")
    g.add_argument("--bmax", type=int, default=18, help="max granted users B_max (default 18)")
    g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    g.add_argument("--convention", choices=["paper", "authors-scripts"], default=None,
                   help="edge latency convention (default paper)")
    g.add_argument("--N", type=positive_int, default=None,
                   help="total denoising steps (default 200)")
    g.add_argument("--N-hat", dest="N_hat", type=int, default=None,
                   help="steps that must run locally (default 80)")
    g.add_argument("--b-hat", type=positive_int, default=20,
                   help="batch used by the alpha rule (default 20)")
    g.add_argument("--kappa", type=positive_float, default=0.05,
                   help="alpha rule's kappa (default 0.05)")
    g.add_argument("--name", help="instance name (default derived from the parameters)")
    g.add_argument("-o", "--output", help="output file (default stdout)")
    g.set_defaults(func=_cmd_generate_offloading)

    g = gsub.add_parser("gqap", help="a random Cordeau-style GQAP",
                        description="A random GQAP in the style of Cordeau et al. (2006).")
    g.add_argument("--facilities", type=int, required=True, help="number of facilities n")
    g.add_argument("--sites", type=int, required=True, help="number of sites m")
    g.add_argument("--capacity-ratio", type=float, required=True,
                   help="sum(q)/sum(Q) in (0, 1]")
    g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    g.add_argument("--format", choices=["json", "cordeau"], default="json",
                   help="file format (default json)")
    g.add_argument("--name", help="instance name")
    g.add_argument("-o", "--output", help="output file (default stdout)")
    g.set_defaults(func=_cmd_generate_gqap)

    g = gsub.add_parser("multi", help="a multi-cluster offloading instance (docs/MULTI.md)",
                        description="One multi-cluster instance: S edge sites, each with its "
                        "own GPU class, GPU count, batch limit, link and accuracy shifts. "
                        "Options left out take the generator's defaults; per-site options "
                        "take one value (every site) or one per site, comma-separated.")
    g.add_argument("--users", type=positive_int, default=20, help="number of users (default 20)")
    g.add_argument("--sites", type=positive_int, default=2, help="number of sites S (default 2)")
    g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    g.add_argument("--gpus", type=_pos_list, metavar="G[,G...]",
                   help="GPUs per site (default: drawn from --gpu-choices)")
    g.add_argument("--gpu-choices", type=_pos_list, metavar="G,G,...",
                   help="GPU counts a site's G is drawn from (default 2,4,8,16)")
    g.add_argument("--bmax", type=_nonneg_list, metavar="B[,B...]",
                   help="batch limit B_max per site (default 18)")
    g.add_argument("--bandwidth", type=_posf_list, metavar="W[,W...]",
                   help="access-link bandwidth W_hz per site (default 1e6)")
    g.add_argument("--site-rows", type=_nonneg_list, metavar="R[,R...]",
                   help="edge-class profile row 0-2 per site (default: drawn)")
    g.add_argument("--delta-max", type=_nonneg_float,
                   help="largest accuracy shift in steps (default 40)")
    g.add_argument("--centres", type=_points, metavar="X,Y;X,Y;...",
                   help="task-space centre of each site (default: drawn)")
    g.add_argument("--positions", type=_points, metavar="X,Y;X,Y;...",
                   help="task-space position of each user (default: drawn)")
    g.add_argument("--b-hat", type=positive_int, help="batch used by the alpha rule (default 20)")
    g.add_argument("--kappa", type=positive_float, help="alpha rule's kappa (default 0.05)")
    g.add_argument("--N", type=positive_int, help="total denoising steps (default 200)")
    g.add_argument("--N-hat", dest="N_hat", type=int,
                   help="steps that must run locally (default 80)")
    g.add_argument("--a-F", dest="a_F", type=positive_float, help="PAI slope a_F (default 0.0413)")
    g.add_argument("--b-F", dest="b_F", type=finite_float, help="PAI midpoint b_F (default 71.44)")
    g.add_argument("--K", type=positive_float, help="period length in s (default 1)")
    g.add_argument("--eta", type=positive_float, help="spectral efficiency (default 10)")
    g.add_argument("--s-p-bits", dest="s_p_bits", type=_nonneg_float,
                   help="prompt size in bits (default 216)")
    g.add_argument("--s-m-bits", dest="s_m_bits", type=_nonneg_float,
                   help="intermediate-result size in bits (default 4.4e6)")
    g.add_argument("--convention", choices=["paper", "authors-scripts"],
                   help="site latency convention (default paper)")
    g.add_argument("--name", help="instance name (default derived from the parameters)")
    g.add_argument("-o", "--output", help="output file (default stdout)")
    g.set_defaults(func=_cmd_generate_multi)

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
    e.add_argument("--latency-model", choices=["paper", "dynamic-batch"], default="paper",
                   help="latency model of the offloading and multi families (default paper)")
    e.add_argument("--per-user", action="store_true",
                   help="the per-user breakdown (multi: with each user's site and shift; "
                   "gqap: per facility)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=_cmd_evaluate)

    ls = sub.add_parser("solvers", help="list the registered solvers",
                        description="List registered solvers and the families they support.")
    ls.add_argument("--family", choices=["offloading", "gqap", "multi"],
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
        return int(args.func(args) or 0)
    except GQAPError as exc:
        if debug:
            raise
        print(f"gqap: error: {_one_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
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
