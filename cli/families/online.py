"""The online family on the command line: ``gqap generate online`` and its ``info``,
``evaluate`` and ``solve`` lines (docs/ONLINE.md)."""

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
    writes_instance,
)
from gqap.online.instance import PROFILES
from gqap.parsing import positive_float, positive_int


@writes_instance
def generate(args: argparse.Namespace) -> Any:
    """``gqap generate online``: one scenario."""
    from gqap.online.generator import generate_online

    model = given(args, "N", "N_hat", "K", "convention")
    profile = given(args, "amplitude", "cycle", "start", "width", "multiplier")
    inst = generate_online(np.random.default_rng(args.seed), args.periods, args.rate,
                           args.gpus, args.profile, B_max=args.bmax, budget_s=args.budget,
                           b_hat=args.b_hat, kappa=args.kappa, name=args.name or "",
                           seed=args.seed, **profile, **model)
    return inst


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
    g.add_argument("--gpus", type=positive_int, default=paper.G,
                   help=f"GPUs in the pool G (default {paper.G})")
    g.add_argument("--profile", choices=list(PROFILES), default=PROFILES[0],
                   help=f"arrival rate profile (default {PROFILES[0]})")
    g.add_argument("--amplitude", type=nonneg_float,
                   help="diurnal: lambda (1 + a sin(2 pi t / P)), a (default 0.5)")
    g.add_argument("--cycle", type=positive_int, help="diurnal: cycle P in periods (default 24)")
    g.add_argument("--start", type=int, help="burst: first period t0 (default 0)")
    g.add_argument("--width", type=positive_int, help="burst: periods w (default 10)")
    g.add_argument("--multiplier", type=nonneg_float,
                   help="burst: rate multiplier m (default 3)")
    g.add_argument("--bmax", type=int, default=paper.B_MAX,
                   help=f"max users per batch B_max (default {paper.B_MAX})")
    g.add_argument("--budget", type=positive_float, default=None,
                   help="decision budget per period in s (default 0.1 K)")
    g.add_argument("--K", type=positive_float, help=f"period length in s (default {paper.K:g})")
    add_model_options(g)
    add_seed_name_output(g, "scenario")
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
