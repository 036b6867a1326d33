"""Measure the DQN policies against the exact optimum and the paper's baselines.

    python -m gqap.bench.dqn_eval gaps [--ga] [--out results/dqn]      # Fig. 11(a)/(b) sets
    python -m gqap.bench.dqn_eval scaling [--out results/dqn]          # dqn-set up to 200 users
    python -m gqap.bench.dqn_eval fig9 --run general=DIR ... [--out results/dqn/fig9.png]
    python -m gqap.bench.dqn_eval fig10 [--out results/dqn/fig10.png]  # three scopes, one case
    python -m gqap.bench.dqn_eval checkpoints                          # training times, episodes

Gaps are relative to the exact optimum (``solvers.solve("exact", inst)``): per instance
(opt - value) / |opt|, averaged (the mean relative gap), next to sum(opt - value) / sum|opt|
and the mean absolute gap per user, because a few optima lie close to zero and make their
relative gap explode. Every solve goes through the solver interface (evaluator re-scored).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import gqap.solvers as solvers
from gqap.instances import OffloadingInstance
from gqap.io import dumps, write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
SOLVERS: dict[str, tuple[str, dict[str, Any], Callable[[OffloadingInstance], bool]]] = {
    "dqn-general": ("dqn", {"checkpoint": "general"}, lambda x: x.n_users <= 20),
    "dqn-gpu-g8": ("dqn", {"checkpoint": "gpu-g8"}, lambda x: x.G == 8 and x.n_users <= 20),
    "dqn-set": ("dqn-set", {}, lambda x: True),
    "baseline1": ("baseline1", {}, lambda x: True),
    "baseline2": ("baseline2", {}, lambda x: True),
    "baseline3": ("baseline3", {}, lambda x: True),
    "ga": ("ga", {}, lambda x: True),
}


def solve_all(instances: Sequence[OffloadingInstance], labels: Sequence[str],
              progress: bool = True) -> dict[str, Any]:
    """Objective and wall time of every (solver label, instance), with the exact optimum."""
    from tqdm import tqdm

    out: dict[str, Any] = {"instances": [x.name for x in instances],
                           "users": [x.n_users for x in instances], "G": [x.G for x in instances],
                           "optimum": [], "values": {k: [] for k in labels},
                           "seconds": {k: [] for k in labels}}
    for label in labels:  # checkpoint loading stays out of the measured s/solve
        name, opts, _ = SOLVERS[label]
        solvers.make_solver(name, **opts).warm_up()
    for inst in tqdm(instances, disable=not progress, unit="inst"):
        out["optimum"].append(solvers.solve("exact", inst).objective)
        for label in labels:
            name, opts, applies = SOLVERS[label]
            if not applies(inst):
                out["values"][label].append(None)
                out["seconds"][label].append(None)
                continue
            r = solvers.solve(name, inst, seed=0, **opts)
            out["values"][label].append(r.objective if r.status == "feasible" or
                                        r.status == "optimal" else None)
            out["seconds"][label].append(r.wall_time_s)
    return out


def summarise(res: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """Rows (group value, solver) with mean relative gap, median, sum gap, gap per user,
    mean objective and how often the solver reached the optimum (within 1e-9)."""
    opt = np.array(res["optimum"])
    keys = np.array(res[group])
    rows = []
    for g in [*sorted(set(keys.tolist())), "all"]:
        m = np.ones(keys.size, dtype=bool) if g == "all" else keys == g
        for label, vals in res["values"].items():
            v = np.array([np.nan if x is None else x for x in vals], dtype=float)
            ok = m & ~np.isnan(v)
            if not ok.any():
                continue
            rel = (opt[ok] - v[ok]) / np.abs(opt[ok])
            users = np.array(res["users"])[ok]
            secs = np.array([s for s, k in zip(res["seconds"][label], ok, strict=True) if k])
            rows.append({group: g, "solver": label, "n": int(ok.sum()),
                         "mean_rel_gap": float(rel.mean()), "median_rel_gap": float(np.median(rel)),
                         "sum_gap": float((opt[ok] - v[ok]).sum() / np.abs(opt[ok]).sum()),
                         "gap_per_user": float(((opt[ok] - v[ok]) / users).mean()),
                         "optimal_share": float(np.mean(np.abs(opt[ok] - v[ok]) <= 1e-9 *
                                                        np.maximum(1, np.abs(opt[ok])))),
                         "mean_objective": float(v[ok].mean()),
                         "mean_opt": float(opt[ok].mean()),
                         "mean_seconds": float(secs.mean())})
    return rows


def markdown(rows: list[dict[str, Any]], group: str, title: str) -> str:
    """A Markdown table of ``summarise`` rows."""
    head = (f"### {title}\n\n| {group} | solver | n | mean rel. gap | median | sum gap | "
            "gap/user | optimal | mean obj. | mean opt. | s/solve |\n|"
            + "---|" * 11 + "\n")
    body = "".join(
        f"| {r[group]} | {r['solver']} | {r['n']} | {100 * r['mean_rel_gap']:.2f}% | "
        f"{100 * r['median_rel_gap']:.2f}% | {100 * r['sum_gap']:.2f}% | "
        f"{r['gap_per_user']:.3f} | {100 * r['optimal_share']:.0f}% | "
        f"{r['mean_objective']:.2f} | {r['mean_opt']:.2f} | {r['mean_seconds']:.4f} |\n"
        for r in rows)
    return head + body + "\n"


def cmd_gaps(args: argparse.Namespace) -> int:
    """Fig. 11(a) and 11(b): gaps of the DQN policies, the baselines and (opt.) the GA."""
    from gqap.instance_sets import read_set

    labels = ["dqn-general", "dqn-gpu-g8", "dqn-set", "baseline1", "baseline2", "baseline3"]
    if args.ga:
        labels.append("ga")
    out = Path(args.out)
    flags = (" --ga" if args.ga else "") + (f" --limit {args.limit}" if args.limit else "")
    stem = "gaps" + ("-ga" if args.ga else "") + (f"-limit{args.limit}" if args.limit else "")
    text = ["# DQN policies against the exact optimum\n\n"
            f"Produced by `python -m gqap.bench.dqn_eval gaps{flags}` (relative gap "
            "(opt - value) / |opt|; "
            "sum gap = sum(opt - value) / sum |opt|; gap/user in objective units; "
            "'optimal' = share of instances solved to the optimum).\n\n"]
    data = {}
    for name, group in (("fig11a", "users"), ("fig11b", "G")):
        insts = read_set(ROOT / "instances" / name)
        if args.limit:
            insts = insts[:: max(1, len(insts) // args.limit)]
        t0 = time.perf_counter()
        res = solve_all(insts, labels, progress=not args.quiet)
        res["wall_s"] = time.perf_counter() - t0
        rows = summarise(res, group)
        data[name] = {"per_instance": res, "summary": rows}
        text.append(markdown(rows, group, f"{name} ({len(insts)} instances)"))
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / f"{stem}.json", dumps(data))
    write_text_atomic(out / f"{stem}.md", "".join(text))
    print("".join(text))
    return 0


def cmd_scaling(args: argparse.Namespace) -> int:
    """dqn-set against the optimum for growing user counts (G = 8, B_max = 18)."""
    from gqap.generators import generate_offloading

    insts = [generate_offloading(np.random.default_rng(700_000 + 100 * u + c), u, 8, 18,
                                 name=f"scale-u{u}-c{c}", seed=700_000 + 100 * u + c)
             for u in args.users for c in range(args.cases)]
    res = solve_all(insts, ["dqn-set", "dqn-general", "baseline1", "baseline3"],
                    progress=not args.quiet)
    rows = summarise(res, "users")
    text = ("# dqn-set for growing user counts\n\nProduced by `python -m gqap.bench.dqn_eval "
            f"scaling` ({args.cases} generated cases per user count, G = 8, B_max = 18, "
            "seeds 700000 + 100 u + c).\n\n" + markdown(rows, "users", "gap to the optimum"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "scaling.json", dumps({"per_instance": res, "summary": rows}))
    write_text_atomic(out / "scaling.md", text)
    print(text)
    return 0


def cmd_fig9(args: argparse.Namespace) -> int:
    """Paper Fig. 9 from training folders (``name=DIR``)."""
    from gqap.solvers.dqn.trainer import plot_learning_curve, read_log, smooth

    pairs = [r.split("=", 1) for r in args.run]
    path = plot_learning_curve([d for _, d in pairs], args.out, labels=[n for n, _ in pairs])
    # the curves as data: smoothed return every 10th episode and the validation gaps
    rows = ["run,kind,episode,value\n"]
    for name, d in pairs:
        log = read_log(Path(d) / "train_log.csv")
        w = max(1, min(1000, log["episode"].size // 50))
        sm = smooth(log["reward"], w)
        rows += [f"{name},return_smoothed_{w},{int(e)},{v:.6g}\n"
                 for e, v in zip(log["episode"][9::10], sm[9::10], strict=True)]
        ev = read_log(Path(d) / "eval_log.csv")
        rows += [f"{name},validation_sum_gap,{int(e)},{v:.6g}\n"
                 for e, v in zip(ev["episode"], ev["sum_gap"], strict=True)]
    write_text_atomic(Path(args.out).with_suffix(".csv"), "".join(rows))
    print(f"wrote {path} and {Path(args.out).with_suffix('.csv')}")
    return 0


def cmd_fig10(args: argparse.Namespace) -> int:
    """Paper Fig. 10: the three scopes on one case (objective, mean PAI, mean latency)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gqap.evaluation import evaluate
    from gqap.io import read_instance

    inst = read_instance(ROOT / args.instance)
    entries = [("general", "dqn", {"checkpoint": "general"}),
               ("GPU (G=8)", "dqn", {"checkpoint": "gpu-g8"}),
               ("specific", "dqn", {"checkpoint": args.specific}),
               ("optimum", "exact", {})]
    rows = []
    for label, name, opts in entries:
        r = solvers.solve(name, inst, **opts)
        ev = evaluate(inst, r.solution)
        rows.append({"scope": label, "objective": ev.objective, "b": ev.b,
                     "mean_pai": float(ev.pai.mean()), "mean_latency": float(ev.latency.mean())})
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, key, title in zip(axes, ("objective", "mean_pai", "mean_latency"),
                              ("(a) objective", "(b) mean PAI", "(c) mean E2E latency (s)"),
                              strict=True):
        ax.bar([r["scope"] for r in rows], [r[key] for r in rows],
               color=["C0", "C1", "C2", "0.5"])
        ax.set_title(title)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"Fig. 10: DQN scopes on {args.instance}")
    fig.tight_layout()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    write_text_atomic(out.with_suffix(".json"), dumps({"instance": args.instance,
                                                       "rows": rows}))
    print(json.dumps(rows, indent=1))
    return 0


def cmd_checkpoints(args: argparse.Namespace) -> int:
    """Table of the shipped checkpoints from their sidecars (training time, episodes...)."""
    from gqap.solvers.dqn.checkpoints import load_checkpoint, shipped_checkpoints

    lines = ["# Shipped DQN checkpoints\n\nProduced by `python -m gqap.bench.dqn_eval checkpoints` "
             "from the sidecars in solvers/dqn/checkpoints/ (training on CPU, one torch "
             "thread, `nice -n 10`, while other jobs shared the two cores).\n\n"
             "| checkpoint | network | scope | episodes (best / run) | env steps | "
             "training wall time (all phases) | validation sum gap | size | command |\n|"
             + "---|" * 9 + "\n"]
    for name in shipped_checkpoints():
        ck = load_checkpoint(name)
        m = ck.meta
        scope = m["scope"]
        where = {"general": f"general, users {scope.get('users')}, G {scope.get('G')}",
                 "gpu": f"gpu, G = {scope.get('gpu_G')}, users {scope.get('users')}",
                 "specific": f"specific, {scope.get('instance_name')}"}[scope["kind"]]
        size = ck.path.stat().st_size
        gap = m["validation"].get("sum_gap")
        init = m.get("init") or {}
        first = f"phase 1: {init['episodes']} (best), then " if init else ""
        lines.append(
            f"| {name} | {m['network']['kind']} | {where} | {first}{m['episodes']} / "
            f"{m['config']['run']['episodes']} | {(init.get('steps') or 0) + m['steps']} | "
            f"{(m.get('train_wall_time_total_s') or m['train_wall_time_s']) / 60:.1f} min | "
            f"{'-' if gap is None else f'{100 * gap:.2f}%'} | {size / 1e6:.2f} MB | "
            f"`{m['command']}` |\n")
    text = "".join(lines)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "checkpoints.md", text)
    print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Arguments of ``python -m gqap.bench.dqn_eval``."""
    p = argparse.ArgumentParser(prog="python -m gqap.bench.dqn_eval", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gaps", help="gaps on the fig11a and fig11b sets")
    g.add_argument("--ga", action="store_true", help="include the genetic algorithm (slow)")
    g.add_argument("--limit", type=int, default=0,
                   help="every k-th instance so that about this many per set remain")
    g.add_argument("--out", default="results/dqn")
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(func=cmd_gaps)
    s = sub.add_parser("scaling", help="dqn-set for growing user counts")
    s.add_argument("--users", type=int, nargs="+", default=[20, 50, 100, 200])
    s.add_argument("--cases", type=int, default=20)
    s.add_argument("--out", default="results/dqn")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_scaling)
    f = sub.add_parser("fig9", help="learning curves of training folders")
    f.add_argument("--run", action="append", required=True, metavar="NAME=DIR")
    f.add_argument("--out", default="results/dqn/fig9.png")
    f.set_defaults(func=cmd_fig9)
    t = sub.add_parser("fig10", help="three scopes on one case")
    t.add_argument("--instance", default="instances/fig11a/u20-c000.json")
    t.add_argument("--specific", default="specific-u20-c000")
    t.add_argument("--out", default="results/dqn/fig10.png")
    t.set_defaults(func=cmd_fig10)
    c = sub.add_parser("checkpoints", help="table of the shipped checkpoints")
    c.add_argument("--out", default="results/dqn")
    c.set_defaults(func=cmd_checkpoints)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
