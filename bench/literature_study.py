"""Literature GQAP study: one solver on every instance file of a folder against best-known costs.

    python -m gqap.bench.literature_study --solver tabu --time-limit 60 --seed 0 \\
        --out results/literature [--data cordeau] [--opt KEY=VALUE]

Every ``*.txt`` file in ``--data`` (a shipped set's name, default ``cordeau``, or a folder of
Cordeau text files) is solved once with the time limit, pinned to one CPU core; reference
costs come from the set's manifest (a shipped literature set) or else from ``bks.csv`` in
the folder (instances missing there get no gap). Writes ``<solver>-seed<seed>.csv`` (the table:
instance, best-known, best found, gap, time to best, ...), ``.md`` (the same as a
Markdown table) and ``.json`` (with settings and every run's best-so-far curve) to ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = "cordeau"  # the shipped literature set (gqap.library)
COLUMNS = ("instance", "n", "m", "best_known", "best_found", "gap_pct", "reached_bks",
           "time_to_best_s", "status", "stop_reason", "iterations", "moves_per_s",
           "wall_time_s")


def pin_one_core() -> list[int] | None:
    """Restrict this process to one CPU core (the first it may use); None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return sorted(os.sched_getaffinity(0))


def data_dir(data: str | Path) -> Path:
    """The folder of ``data``: an existing folder, else the shipped set of that name."""
    from gqap.library import set_dir, shipped_sets

    path = Path(data)
    if not path.exists() and str(data) in shipped_sets():
        return set_dir(str(data))
    return path


def study_rows(solver: str, data: Path, time_limit: float, seed: int,
               options: dict[str, str], names: Sequence[str] | None = None,
               pin: bool = True) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                          list[int] | None]:
    """Solve every instance file in ``data`` (pinned to one core once the inputs are known
    to be good, unless ``pin`` is False); (table rows, full results, CPUs used)."""
    from tqdm import tqdm

    from gqap.bench.grid import read_best_known
    from gqap.bench.references import gaps
    from gqap.instance_sets import MANIFEST, set_references
    from gqap.io import read_cordeau
    from gqap.solvers import make_solver

    if not data.is_dir():
        raise GQAPError(f"literature data: folder {data} not found (pass --data)")
    files = sorted(data.glob("*.txt"))
    if names:
        wanted = set(names)
        missing = wanted - {f.stem for f in files}
        if missing:
            raise GQAPError(f"literature data: no instance file for {', '.join(sorted(missing))} "
                            f"in {data}")
        files = [f for f in files if f.stem in wanted]
    if not files:
        raise GQAPError(f"literature data: no *.txt instance files in {data}")
    bks_file = data / "bks.csv"
    if (data / MANIFEST).is_file():
        bks = {name: ref.value for name, ref in set_references(data).items()}
    else:
        bks = read_best_known(bks_file) if bks_file.is_file() else {}
    instance_solver = make_solver(solver, **options)
    cpus = pin_one_core() if pin else None
    rows, full = [], []
    for path in tqdm(files, desc=f"{solver} literature", unit="instance", file=sys.stderr):
        inst = read_cordeau(path)
        result = instance_solver.solve(inst, time_limit=time_limit, seed=seed)
        ref = bks.get(inst.name)
        gap_abs, _, gap_rel = gaps("min", result.objective, ref, inst.n)
        info = result.info
        rows.append({
            "instance": inst.name, "n": inst.n, "m": inst.m, "best_known": ref,
            "best_found": result.objective,
            "gap_pct": None if gap_rel is None else 100.0 * gap_rel,
            "reached_bks": None if gap_abs is None else bool(gap_abs <= 1e-9 * abs(ref)),
            "time_to_best_s": info.get("time_to_best_s"), "status": str(result.status),
            "stop_reason": info.get("stop_reason"),
            "iterations": info.get("iterations", info.get("generations")),
            "moves_per_s": info.get("moves_per_s"), "wall_time_s": result.wall_time_s,
        })
        full.append(result.to_dict())
    return rows, full, cpus


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        whole = value.is_integer() and abs(value) >= 1000
        return f"{value:.0f}" if whole else f"{value:.{digits}g}"
    return str(value)


def table_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV (full precision)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})
    return buf.getvalue()


def table_markdown(rows: list[dict[str, Any]], title: str) -> str:
    """The study's headline table: instance, best-known, best found, gap, time to best."""
    from tabulate import tabulate

    body = [[r["instance"], _fmt(r["best_known"]), _fmt(r["best_found"]),
             "" if r["gap_pct"] is None else f"{r['gap_pct']:.3f}%",
             "" if r["time_to_best_s"] is None else f"{r['time_to_best_s']:.2f}",
             r["status"], _fmt(r["moves_per_s"])] for r in rows]
    head = ["instance", "best-known", "best found", "gap", "time to best (s)", "status",
            "moves/s"]
    return f"# {title}\n\n{tabulate(body, head, tablefmt='github')}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the study and write its table; errors print one line and exit 1."""
    from gqap.parsing import parse_key_values, positive_float

    parser = argparse.ArgumentParser(prog="python -m gqap.bench.literature_study",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--solver", default="tabu", help="registered solver (default tabu)")
    parser.add_argument("--time-limit", type=positive_float, default=60.0,
                        help="seconds per instance (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="RNG seed (default 0)")
    parser.add_argument("--data", default=DEFAULT_DATA,
                        help="a shipped set (default cordeau) or a folder of Cordeau *.txt "
                        "files with bks.csv")
    parser.add_argument("--instances", nargs="*", help="only these instance names")
    parser.add_argument("--opt", action="append", metavar="KEY=VALUE",
                        help="solver option, repeatable")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "literature",
                        help="output folder (default results/literature)")
    parser.add_argument("--all-cores", action="store_true",
                        help="do not pin the process to one CPU core")
    args = parser.parse_args(argv)
    try:
        from gqap.io import dumps, write_text_atomic

        options = parse_key_values(args.opt)
        data = data_dir(args.data)
        rows, full, cpus = study_rows(args.solver, data, args.time_limit, args.seed,
                                      options, args.instances, pin=not args.all_cores)
        stem = f"{args.solver}-seed{args.seed}"
        args.out.mkdir(parents=True, exist_ok=True)
        title = (f"{args.solver} on the literature GQAP instances: {args.time_limit:g} s each, "
                 f"seed {args.seed}, {'one core' if cpus else 'unpinned'}")
        write_text_atomic(args.out / f"{stem}.csv", table_csv(rows))
        write_text_atomic(args.out / f"{stem}.md", table_markdown(rows, title))
        meta = {"solver": args.solver, "options": options, "time_limit_s": args.time_limit,
                "seed": args.seed, "cpu_affinity": cpus, "data": data.name,
                "python": platform.python_version(), "machine": platform.machine(),
                "command": "python -m gqap.bench.literature_study " + " ".join(
                    argv if argv is not None else sys.argv[1:])}
        write_text_atomic(args.out / f"{stem}.json",
                          dumps({"settings": meta, "table": rows, "results": full}))
        sys.stdout.write(table_markdown(rows, title))
        print(f"wrote {args.out / stem}.csv, .md, .json", file=sys.stderr)
    except GQAPError as exc:
        print(f"literature_study: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
