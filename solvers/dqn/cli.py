"""``gqap train``: PER-DQN training from a TOML config (plugin of gqap.cli).

Only argparse is imported here; torch loads when the command runs.
"""

from __future__ import annotations

import argparse
import shlex

from gqap.errors import GQAPError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` sub-command."""
    p = subparsers.add_parser(
        "train", help="train the paper's PER-DQN policy (or the set variant)",
        description="Train a DQN grant/deny policy (paper Section V-C) from a TOML config. "
        "Writes config.json, train_log.csv, eval_log.csv, learning_curve.png, final.pt/.json "
        "and best.pt/.json (lowest validation gap) to --out; resumable with --resume.")
    p.add_argument("--config", required=True,
                   help="TOML config file, or the name of a shipped config (smoke, general, "
                   "gpu-g8, specific-u20-c000, set-general, ...)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--scope", choices=["general", "gpu", "specific", "multi", "online"],
                   help="override the config's scope.kind")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last snapshot")
    p.add_argument("--episodes", type=int, help="override run.episodes")
    p.add_argument("--seed", type=int, help="override run.seed")
    p.add_argument("--gpus", type=int, help="override scope.gpu_G (gpu scope)")
    p.add_argument("--instance", help="override scope.instance (specific scope)")
    p.add_argument("--install", metavar="NAME",
                   help="when the run is complete, copy best.pt/.json into the package as "
                   "checkpoint NAME (solvers/dqn/checkpoints/NAME.pt)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_train)


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (recorded in checkpoint sidecars)."""
    parts = ["gqap", "train", "--config", args.config, "--out", args.out]
    for flag, value in (("--scope", args.scope), ("--episodes", args.episodes),
                        ("--seed", args.seed), ("--gpus", args.gpus),
                        ("--instance", args.instance)):
        if value is not None:
            parts += [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def _cmd_train(args: argparse.Namespace) -> int:
    from gqap.solvers.dqn.config import load_config, resolve_config
    from gqap.solvers.dqn.trainers import make_trainer

    cfg = load_config(args.config)
    scope, run = {}, {}
    if args.scope:
        scope["kind"] = args.scope
    if args.gpus is not None:
        scope["gpu_G"] = args.gpus
    if args.instance:
        scope["instance"] = args.instance
    if args.episodes is not None:
        run["episodes"] = args.episodes
    if args.seed is not None:
        run["seed"] = args.seed
    try:
        cfg = cfg.replace(scope=scope, run=run)
    except GQAPError as exc:
        raise GQAPError(f"train: {exc}") from None
    command = _command(args)
    trainer = make_trainer(cfg, args.out,
                           base_dir=resolve_config(args.config).resolve().parent,
                           command=command)
    res = trainer.train(resume=args.resume, progress=not args.no_progress)
    best = f"{cfg.run.select} {100 * res.best_gap:.2f}% at episode {res.best_episode}" \
        if res.best_gap is not None else "n/a"
    print(f"trained {res.episodes} episodes ({res.steps} steps) in {res.wall_time_s:.0f} s; "
          f"best validation gap {best}; files in {res.out_dir}")
    if args.install:
        from gqap.solvers.dqn.checkpoints import install_checkpoint

        if res.episodes < cfg.run.episodes or not (res.out_dir / "best.pt").exists():
            raise GQAPError(f"--install: the run in {res.out_dir} is not complete")
        print(f"installed {install_checkpoint(res.out_dir / 'best.pt', args.install)}")
    return 0
