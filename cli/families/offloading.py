"""The offloading family on the command line: ``gqap generate offloading``, its ``info``,
``evaluate`` and ``solve`` lines."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gqap import paper
from gqap.cli.common import add_model_options, add_seed_name_output, given, writes_instance


@writes_instance
def generate(args: argparse.Namespace) -> Any:
    """``gqap generate offloading``: one instance of the paper's scenario."""
    from gqap.offloading.generator import generate_offloading

    model = given(args, "N", "N_hat", "convention")
    inst = generate_offloading(np.random.default_rng(args.seed), args.users, args.gpus,
                               args.bmax, b_hat=args.b_hat, kappa=args.kappa,
                               name=args.name or "", seed=args.seed, **model)
    return inst


def add_generate(gsub: Any, name: str, aliases: tuple[str, ...]) -> None:
    """``gqap generate offloading``."""
    g = gsub.add_parser(name, aliases=list(aliases), help="one instance of the paper's scenario",
                        description="One offloading instance (paper Section VI-B).")
    g.add_argument("--users", type=int, default=20, help="number of users (default 20)")
    g.add_argument("--gpus", type=int, default=paper.G, help=f"edge GPUs G (default {paper.G})")
    g.add_argument("--bmax", type=int, default=paper.B_MAX,
                   help=f"max granted users B_max (default {paper.B_MAX})")
    add_model_options(g)
    add_seed_name_output(g)
    g.set_defaults(func=generate)


def describe(inst: Any) -> dict[str, Any]:
    """``gqap info``: sizes, edge and local step latencies, alpha and request times."""
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


def evaluation_fields(inst: Any, sol: Any, ev: Any) -> dict[str, Any]:
    """``gqap evaluate``: the latency model, b, mean PAI and latency, latency totals."""
    return {"latency_model": ev.latency_model, "b": ev.b, **user_totals(ev)}


def user_totals(ev: Any) -> dict[str, Any]:
    """Mean PAI, mean end-to-end latency and the total of each latency term."""
    return {"mean_pai": float(ev.pai.mean()), "mean_latency_s": float(ev.latency.mean()),
            "totals_s": {"l_R": float(ev.l_R.sum()), "l_T": float(ev.l_T.sum()),
                         "l_E": float(ev.l_E.sum()), "l_L": float(ev.l_L.sum())}}


def per_user(inst: Any, sol: Any, ev: Any) -> tuple[list[str], np.ndarray]:
    """``gqap evaluate --per-user``: grant, split and every latency term per user."""
    return (["user", "grant", "n", "l_R", "l_T", "l_E", "l_L", "PAI", "QoE"],
            np.column_stack([np.arange(inst.n_users), sol.grant, sol.split, ev.l_R, ev.l_T,
                             ev.l_E, ev.l_L, ev.pai, ev.qoe]))


def solve_rows(inst: Any, result: Any) -> list[tuple[str, Any]]:
    """``gqap solve``: the granted users."""
    return [("granted users b", result.solution.b)] if result.solution is not None else []
