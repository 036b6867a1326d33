"""The multi-cluster family on the command line: ``gqap generate multi`` and its ``info``,
``evaluate`` and ``solve`` lines."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gqap import paper
from gqap.cli.common import (
    add_model_options,
    add_seed_name_output,
    given,
    nonneg_float,
    nonneg_list,
    pos_list,
    posf_list,
    writes_instance,
)
from gqap.cli.families.offloading import user_totals
from gqap.errors import GQAPError
from gqap.parsing import finite_float, positive_float, positive_int


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


@writes_instance
def generate(args: argparse.Namespace) -> Any:
    """``gqap generate multi``: one multi-cluster instance."""
    # sizes first, before any per-site list is checked (the generator repeats the checks)
    from gqap.fields import size_within
    from gqap.multi.generator import MAX_SHIFTS, MAX_SITES, MAX_USERS, generate_multi

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
    from gqap.fields import VALUE_MAX
    from gqap.multi.generator import MODEL_DEFAULTS
    from gqap.offloading.generator import check_alpha_rule
    from gqap.paper import checked_model

    if args.delta_max is not None and args.delta_max > VALUE_MAX:
        raise GQAPError(f"--delta-max: at most {VALUE_MAX:g} (the bound of shift_steps), got "
                        f"{args.delta_max:g}")
    check_alpha_rule(paper.B_HAT if args.b_hat is None else args.b_hat,
                     paper.KAPPA if args.kappa is None else args.kappa)
    model = given(args, *MODEL_DEFAULTS)
    checked_model({**MODEL_DEFAULTS, **model})
    # Options left out keep the generator's defaults (recorded as such); the per-site ones
    # go in as one value (every site) or a list, and --gpu-choices under its keyword.
    sites = {key: _one_or_list(values) for key, values in (
        ("G", args.gpus), ("B_max", args.bmax), ("W_hz", args.bandwidth),
        ("site_rows", args.site_rows)) if values is not None}
    if args.gpu_choices is not None:
        sites["G_choices"] = args.gpu_choices
    return generate_multi(np.random.default_rng(args.seed), args.users, args.sites,
                          name=args.name or "", seed=args.seed, **sites,
                          **given(args, "delta_max", "centres", "positions", "b_hat", "kappa"),
                          **model)


def add_generate(gsub: Any, name: str, aliases: tuple[str, ...]) -> None:
    """``gqap generate multi``."""
    g = gsub.add_parser(name, aliases=list(aliases),
                        help="a multi-cluster offloading instance (docs/MULTI.md)",
                        description="One multi-cluster instance: S edge sites, each with its "
                        "own GPU class, GPU count, batch limit, link and accuracy shifts. "
                        "Options left out take the generator's defaults; per-site options "
                        "take one value (every site) or one per site, comma-separated.")
    g.add_argument("--users", type=positive_int, default=20, help="number of users (default 20)")
    g.add_argument("--sites", type=positive_int, default=2, help="number of sites S (default 2)")
    g.add_argument("--gpus", type=pos_list, metavar="G[,G...]",
                   help="GPUs per site (default: drawn from --gpu-choices)")
    g.add_argument("--gpu-choices", type=pos_list, metavar="G,G,...",
                   help="GPU counts a site's G is drawn from (default 2,4,8,16)")
    g.add_argument("--bmax", type=nonneg_list, metavar="B[,B...]",
                   help="batch limit B_max per site (default 18)")
    g.add_argument("--bandwidth", type=posf_list, metavar="W[,W...]",
                   help="access-link bandwidth W_hz per site (default 1e6)")
    g.add_argument("--site-rows", type=nonneg_list, metavar="R[,R...]",
                   help="edge-class profile row 0-2 per site (default: drawn)")
    g.add_argument("--delta-max", type=nonneg_float,
                   help="largest accuracy shift in steps (default 40)")
    g.add_argument("--centres", type=_points, metavar="X,Y;X,Y;...",
                   help="task-space centre of each site (default: drawn)")
    g.add_argument("--positions", type=_points, metavar="X,Y;X,Y;...",
                   help="task-space position of each user (default: drawn)")
    add_model_options(g, alpha_defaults=False)
    g.add_argument("--a-F", dest="a_F", type=positive_float,
                   help=f"PAI slope a_F (default {paper.A_F:g})")
    g.add_argument("--b-F", dest="b_F", type=finite_float,
                   help=f"PAI midpoint b_F (default {paper.B_F:g})")
    g.add_argument("--K", type=positive_float, help=f"period length in s (default {paper.K:g})")
    g.add_argument("--eta", type=positive_float,
                   help=f"spectral efficiency (default {paper.ETA:g})")
    g.add_argument("--s-p-bits", dest="s_p_bits", type=nonneg_float,
                   help=f"prompt size in bits (default {paper.S_P_BITS:g})")
    g.add_argument("--s-m-bits", dest="s_m_bits", type=nonneg_float,
                   help=f"intermediate-result size in bits (default {paper.S_M_BITS:g})")
    add_seed_name_output(g)
    g.set_defaults(func=generate)


def _stats(x: np.ndarray) -> dict[str, float]:
    return {"min": float(x.min()), "mean": float(x.mean()), "max": float(x.max())}


def describe(inst: Any) -> dict[str, Any]:
    """``gqap info``: sizes, per-site G, B_max, link and step latency, and the shift
    statistics (all shifts, each user's shift to its nearest site, users per nearest
    site)."""
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


def evaluation_fields(inst: Any, sol: Any, ev: Any) -> dict[str, Any]:
    """``gqap evaluate``: the latency model, users per site, denied users, mean PAI and
    latency, latency totals."""
    return {"latency_model": ev.latency_model, "users_per_site": ev.counts.tolist(),
            "denied": int(np.count_nonzero(sol.site == -1)), **user_totals(ev)}


def per_user(inst: Any, sol: Any, ev: Any) -> tuple[list[str], np.ndarray]:
    """``gqap evaluate --per-user``: site, shift, split and every latency term per user."""
    site = sol.site
    on = (site >= 0) & (site < inst.n_sites)
    shift = np.where(on, inst.shift_steps[np.arange(inst.n_users), np.where(on, site, 0)], 0.0)
    return (["user", "site", "shift", "n", "l_R", "l_T", "l_E", "l_L", "PAI", "QoE"],
            np.column_stack([np.arange(inst.n_users), site, shift, sol.split_points, ev.l_R,
                             ev.l_T, ev.l_E, ev.l_L, ev.pai, ev.qoe]))


def solve_rows(inst: Any, result: Any) -> list[tuple[str, Any]]:
    """``gqap solve``: users per site."""
    if result.solution is None:
        return []
    return [("users per site b_s", " ".join(str(c) for c in
                                              result.solution.counts(inst.n_sites)))]
