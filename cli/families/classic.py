"""The classic family on the command line: ``gqap generate classic`` (old name ``gqap``)
and its ``info`` and ``evaluate`` lines."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from gqap.cli.common import check_out, emit, instance_text
from gqap.parsing import seed_int


def generate(args: argparse.Namespace) -> int:
    """``gqap generate classic``: one Cordeau-style instance, JSON or Cordeau text."""
    from gqap.classic.format import cordeau_text
    from gqap.classic.generator import generate_gqap

    check_out(args.output)
    inst = generate_gqap(np.random.default_rng(args.seed), args.facilities, args.sites,
                         args.capacity_ratio, name=args.name or "", seed=args.seed)
    text = cordeau_text(inst) if args.format == "cordeau" else instance_text(inst)
    emit(text, args.output)
    return 0


def add_generate(gsub: Any, name: str, aliases: tuple[str, ...]) -> None:
    """``gqap generate classic``."""
    g = gsub.add_parser(name, aliases=list(aliases), help="a random Cordeau-style GQAP",
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
    g.set_defaults(func=generate)


def describe(inst: Any) -> dict[str, Any]:
    """``gqap info``: sizes, v, capacity ratio, weights, capacities, traffic density."""
    return {
        "family": inst.family, "name": inst.name, "facilities": inst.n, "sites": inst.m,
        "v": inst.v, "capacity_ratio": inst.q.sum() / inst.Q.sum(),
        "weight": {"min": inst.q.min(), "total": inst.q.sum()},
        "capacity": {"min": inst.Q.min(), "max": inst.Q.max(), "total": inst.Q.sum()},
        "traffic_density": float(np.count_nonzero(inst.t)) / inst.t.size,
        "content_hash": inst.content_hash(),
    }


def evaluation_fields(inst: Any, sol: Any, ev: Any) -> dict[str, Any]:
    """``gqap evaluate``: the load of every site."""
    return {"loads": ev.loads.tolist()}


def per_user(inst: Any, sol: Any, ev: Any) -> tuple[list[str], np.ndarray]:
    """``gqap evaluate --per-user``: site, weight and installation cost per facility."""
    x = sol.assignment
    return (["facility", "site", "weight", "cost a"],
            np.column_stack([np.arange(inst.n), x, inst.q, inst.a[np.arange(inst.n), x]]))
