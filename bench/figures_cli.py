"""``gqap figure NAME --out DIR``: figures that need no sweep (see bench.figures).

Attached to the ``gqap`` command through ``gqap.cli.PLUGINS``; matplotlib is imported only
when a figure is drawn.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from gqap.errors import GQAPError


def _cmd_figure(args: argparse.Namespace) -> int:
    from gqap.bench.figures import FIGURES

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise GQAPError(f"--out: {out} exists and is not a folder")
    options = ({"split": args.split, "convention": args.convention} if args.figure == "fig8"
               else {"folder": args.checkpoints})
    paths = importlib.import_module(FIGURES[args.figure]).write(out, **options)
    for path in paths:
        print(f"wrote {path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``figure`` command group and its figures to the ``gqap`` parser."""
    fig = subparsers.add_parser("figure", help="draw a figure of the paper from the model",
                                description="Figures that follow from the model alone; each "
                                "writes a PNG and the CSV of its data.")
    sub = fig.add_subparsers(dest="figure", metavar="FIGURE", required=True)
    f8 = sub.add_parser("fig8", help="optimal offloaded steps vs alpha (paper Fig. 8)",
                        description="Fig. 8: optimal offloaded steps N - n* against alpha for "
                        "several batch sizes, local GPUs and edge GPU counts; writes "
                        "fig8.png and fig8.csv.")
    f8.add_argument("--out", default="results/fig8", help="output folder (default results/fig8)")
    f8.add_argument("--split", choices=["integer", "real"], default="integer",
                    help="split points in whole steps (default) or real-valued")
    f8.add_argument("--convention", choices=["paper", "authors-scripts"], default="paper",
                    help="edge latency convention (default paper)")
    f8.set_defaults(func=_cmd_figure)
    f9 = sub.add_parser("fig9", help="training curves of the shipped DQN checkpoints "
                        "(paper Fig. 9) and their table",
                        description="Fig. 9: the training curves recorded beside each shipped "
                        "checkpoint (NAME.curves.csv), no retraining; writes fig9.png, "
                        "fig9.csv and checkpoints.md.")
    f9.add_argument("--out", default="results/dqn-training",
                    help="output folder (default results/dqn-training)")
    f9.add_argument("--checkpoints", help="a folder of checkpoints (default: the shipped ones)")
    f9.set_defaults(func=_cmd_figure)
