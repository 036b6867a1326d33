"""Training the ``priced`` policy's prices: ``python -m gqap.solvers.online.train``.

For every pool size G and arrival rate of the grid, scenarios of the constant profile are
generated from the training seeds (never the seeds the benchmarks evaluate on), the
configuration model's LP relaxation is solved (``bound.lp_relaxation``), and the price is
the mean of its capacity multipliers mu_s over the steady middle of the horizon (moments
T/6 to 2T/3: after the empty start, before the horizon's end makes capacity cheap). The
rows go to ``prices.csv`` beside this module, with the command that wrote them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

from gqap.online.generator import generate_online
from gqap.online.relaxation import configuration, period_tables
from gqap.solvers.online.bound import lp_relaxation
from gqap.solvers.online.priced import PRICES_FILE

GPUS = (2, 4, 8, 16, 32)
RATES = (1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0)
SEEDS = (1000, 1001, 1002)
PERIODS = 120


def steady_price(G: int, rate: float, seed: int, periods: int = PERIODS) -> float:
    """Mean multiplier over the steady middle of one training scenario's horizon."""
    inst = generate_online(np.random.default_rng(seed), periods, rate, G, seed=seed)
    _, mu = lp_relaxation(configuration(inst, period_tables(inst)))
    return float(mu[periods // 6: 2 * periods // 3].mean())


def main(argv: list[str] | None = None) -> int:
    """Write the price table (``--out``, default the shipped prices.csv)."""
    p = argparse.ArgumentParser(prog="python -m gqap.solvers.online.train",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--gpus", default=",".join(map(str, GPUS)))
    p.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES))
    p.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    p.add_argument("--periods", type=int, default=PERIODS)
    p.add_argument("--out", default=str(Path(__file__).with_name(PRICES_FILE)))
    args = p.parse_args(argv)
    gpus = [int(x) for x in args.gpus.split(",")]
    rates = [float(x) for x in args.rates.split(",")]
    seeds = [int(x) for x in args.seeds.split(",")]
    command = "python -m gqap.solvers.online.train " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    lines = [f"# written by: {command.strip()}",
             f"# constant profile, {args.periods} periods, training seeds "
             f"{', '.join(map(str, seeds))}; price = mean LP capacity multiplier over moments "
             f"{args.periods // 6}..{2 * args.periods // 3 - 1}",
             "G,rate,price,price_sd,scenarios"]
    for G in gpus:
        for rate in rates:
            prices = [steady_price(G, rate, s, args.periods) for s in seeds]
            lines.append(f"{G},{rate:g},{np.mean(prices):.6f},{np.std(prices):.6f},"
                         f"{len(prices)}")
            print(lines[-1], flush=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
