"""The online family on the command line: ``gqap generate online`` and its ``info``,
``evaluate`` and ``solve`` lines (docs/ONLINE.md)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gqap.cli.common import check_out, emit, nonneg_float
from gqap.parsing import positive_float, positive_int, seed_int


def generate(args: argparse.Namespace) -> int:
    """``gqap generate online``: one scenario."""
    from gqap.io import dumps, instance_to_dict
    from gqap.online.generator import generate_online

    check_out(args.output)
    model = {k: v for k, v in (("N", args.N), ("N_hat", args.N_hat), ("K", args.K),
                               ("convention", args.convention)) if v is not None}
    profile = {k: v for k, v in (("amplitude", args.amplitude), ("cycle", args.cycle),
                                 ("start", args.start), ("width", args.width),
                                 ("multiplier", args.multiplier)) if v is not None}
    inst = generate_online(np.random.default_rng(args.seed), args.periods, args.rate,
                           args.gpus, args.profile, B_max=args.bmax, budget_s=args.budget,
                           b_hat=args.b_hat, kappa=args.kappa, name=args.name or "",
                           seed=args.seed, **profile, **model)
    emit(dumps(instance_to_dict(inst)), args.output)
    return 0


def add_generate(gsub: Any, name: str, aliases: tuple[str, ...]) -> None:
    """``gqap generate online``."""
    g = gsub.add_parser(name, aliases=list(aliases),
                        help="an online scenario: periods back to back on one GPU pool",
                        description="One online scenario (docs/ONLINE.md): T periods, "
                        "Poisson arrivals from a rate profile, users drawn as in the paper's "
                        "generator with the pool's G. Same seed, same bytes.")
    g.add_argument("--periods", type=positive_int, default=60,
                   help="number of periods T (default 60)")
    g.add_argument("--rate", type=nonneg_float, default=10.0,
                   help="mean users per period lambda (default 10)")
    g.add_argument("--gpus", type=positive_int, default=8, help="GPUs in the pool G (default 8)")
    g.add_argument("--profile", choices=["constant", "diurnal", "burst"], default="constant",
                   help="arrival rate profile (default constant)")
    g.add_argument("--amplitude", type=nonneg_float,
                   help="diurnal: lambda (1 + a sin(2 pi t / P)), a (default 0.5)")
    g.add_argument("--cycle", type=positive_int, help="diurnal: cycle P in periods (default 24)")
    g.add_argument("--start", type=int, help="burst: first period t0 (default 0)")
    g.add_argument("--width", type=positive_int, help="burst: periods w (default 10)")
    g.add_argument("--multiplier", type=nonneg_float,
                   help="burst: rate multiplier m (default 3)")
    g.add_argument("--bmax", type=int, default=18, help="max users per batch B_max (default 18)")
    g.add_argument("--budget", type=positive_float, default=None,
                   help="decision budget per period in s (default 0.1 K)")
    g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    g.add_argument("--convention", choices=["paper", "authors-scripts"], default=None,
                   help="edge latency convention (default paper)")
    g.add_argument("--N", type=positive_int, help="total denoising steps (default 200)")
    g.add_argument("--N-hat", dest="N_hat", type=int,
                   help="steps that must run locally (default 80)")
    g.add_argument("--K", type=positive_float, help="period length in s (default 1)")
    g.add_argument("--b-hat", type=positive_int, default=20,
                   help="batch used by the alpha rule (default 20)")
    g.add_argument("--kappa", type=positive_float, default=0.05,
                   help="alpha rule's kappa (default 0.05)")
    g.add_argument("--name", help="scenario name (default derived from the parameters)")
    g.add_argument("-o", "--output", help="output file (default stdout)")
    g.set_defaults(func=generate)


def describe(inst: Any) -> dict[str, Any]:
    """``gqap info``: horizon, arrivals, pool, users per period and edge latencies."""
    h = inst.header
    sizes = inst.period_sizes()
    return {
        "family": "online", "name": inst.name, "periods": inst.n_periods,
        "users": inst.n_users, "users_per_period": {"min": int(sizes.min()),
                                                     "mean": float(sizes.mean()),
                                                     "max": int(sizes.max())},
        "arrivals": h.arrivals.to_dict(), "G": h.G, "B_max": h.B_max, "K_s": h.K,
        "decision_budget_s": h.budget_s, "N": h.N, "N_hat": h.N_hat,
        "convention": h.convention,
        "edge_step_latency_b1_g1_s": h.edge_latency(1, 1),
        "edge_step_latency_bmax_gG_s": h.edge_latency(h.B_max or 1, h.G),
        "content_hash": inst.content_hash(),
    }


def evaluation_fields(inst: Any, sol: Any, ev: Any) -> dict[str, Any]:
    """``gqap evaluate``: per user, granted users, pool use and PAI and latency means."""
    return {"objective_per_user": ev.objective_per_user, "convention": ev.convention,
            "granted": ev.granted, "policy": sol.policy,
            "mean_free_gpus": float(ev.free.mean()),
            "periods_with_no_free_gpu": int((ev.free == 0).sum()),
            "mean_busy_gpus": float(ev.busy.mean()),
            "mean_pai": float(ev.pai.mean()) if ev.pai.size else None,
            "mean_latency_s": float(ev.latency.mean()) if ev.latency.size else None}


def per_user(inst: Any, sol: Any, ev: Any) -> tuple[list[str], np.ndarray]:
    """``gqap evaluate --per-user``: period, grant, split, PAI, latency and QoE per user."""
    period = np.repeat(np.arange(inst.n_periods), inst.period_sizes())
    grant = np.concatenate([d.grant for d in sol.periods] or [np.empty(0)])
    split = np.concatenate([d.split for d in sol.periods] or [np.empty(0)])
    gpus = np.repeat(ev.gpus, inst.period_sizes())
    return (["user", "period", "gpus", "grant", "n", "PAI", "latency", "QoE"],
            np.column_stack([np.arange(inst.n_users), period, gpus, grant, split, ev.pai,
                             ev.latency, ev.qoe]))


def solve_rows(inst: Any, result: Any) -> list[tuple[str, Any]]:
    """``gqap solve``: the users granted over the horizon."""
    return ([("granted users", result.solution.granted)] if result.solution is not None
            else [])
