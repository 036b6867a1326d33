"""Running a sweep: plan, skip what is stored, execute, re-score, store, refresh gaps.

The parent re-scores every returned solution with the shared evaluator (a worker's own
objective is never stored unchecked) and commits one row per finished run, so a sweep
that is killed at any moment and started again ends with exactly one row per run.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gqap.bench import references
from gqap.bench.config import BenchConfig
from gqap.bench.grid import Plan, Run, expand
from gqap.bench.store import ResultStore, utc_from_unix, utc_now
from gqap.errors import GQAPError
from gqap.family import family_of
from gqap.solvers.base import Status

FAILED = (Status.ERROR,)


@dataclass
class SweepSummary:
    """What a sweep did."""

    out_dir: Path
    db_path: Path
    planned: int
    already_stored: int
    completed: int = 0
    failed: int = 0
    references_computed: int = 0
    wall_s: float = 0.0
    skipped_solvers: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unsupported_pairs: int = 0
    retried: int = 0
    dropped: int = 0


def machine_note() -> str:
    """The conditions a sweep runs under: CPUs, load average, niceness, Python."""
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load} at the start, "
            f"niceness {os.nice(0)}, Python {platform.python_version()}")


def rescore(instance: Any, result: dict[str, Any], solver: str = "") -> dict[str, Any]:
    """A worker's answer re-scored in this process by the solver floor's ``finish_result``
    (the evaluator's objective; a claim the solution does not back becomes ``error``),
    with the status as ``Status`` and, for the offloading families, granted users, mean
    PAI and mean latency of the solution."""
    from gqap.evaluation import evaluate
    from gqap.io import solution_from_dict
    from gqap.solvers.base import SolverOutput, finish_result

    info = dict(result.get("info") or {})
    out: dict[str, Any] = {"status": Status.ERROR, "objective": None, "granted": None,
                           "mean_pai": None, "mean_latency_s": None,
                           "error": result.get("error"), "info": info}
    try:
        status = Status(result.get("status"))
        sol = (None if result.get("solution") is None
               else solution_from_dict(result["solution"]))
        res = finish_result(solver, instance,
                            SolverOutput(sol, status, result.get("bound"), info), 0.0, 0, None)
    except (GQAPError, TypeError, ValueError) as exc:  # unknown status, foreign solution
        out["error"] = f"returned solution is unreadable: {exc}".splitlines()[0][:500]
        return out
    out.update(status=res.status, objective=res.objective, info=dict(res.info))
    if res.status == Status.ERROR and not out["error"]:
        violations = res.info.get("violations")
        out["error"] = (f"infeasible solution: {violations[0]}" if violations else
                        f"solver claimed {res.info.get('claimed_status')} but returned no "
                        "solution")
    worker_obj = result.get("objective")
    if (res.objective is not None and worker_obj is not None
            and abs(worker_obj - res.objective) > 1e-9 * max(1.0, abs(res.objective))):
        out["info"]["worker_objective"] = worker_obj
    if res.objective is not None and family_of(instance).per_user:
        ev = evaluate(instance, res.solution)
        out.update(granted=int(ev.granted), mean_pai=float(ev.pai.mean()),
                   mean_latency_s=float(ev.latency.mean()))
    return out


def build_row(plan: Plan, run: Run, result: dict[str, Any], sweep_id: int,
              stored_refs: dict[tuple[str, str], dict[str, float]]) -> dict[str, Any]:
    """The ``runs`` row of a finished run (solution re-scored, gaps from the references
    known now; best-found gaps are refreshed after the sweep)."""
    from gqap.evaluation import SENSE

    rec = plan.instances[run.instance_hash]
    scored = rescore(rec.instance, result, run.solver)
    started = result.get("started_at_unix")
    row = {
        "run_id": run.run_id, "solver": run.solver, "label": run.label,
        "options": run.options, "instance": rec.name, "instance_hash": rec.hash,
        "family": rec.family, "sense": SENSE[rec.family], "n_users_or_facilities": rec.size,
        "gpus_or_sites": rec.secondary, "b_max": rec.b_max, "variant": run.variant,
        "seed": run.seed, "status": scored["status"], "killed": bool(result.get("killed")),
        "objective": scored["objective"],
        "objective_per_user": (None if scored["objective"] is None
                               else scored["objective"] / rec.size),
        "bound": result.get("bound"), "wall_time_s": result.get("wall_time_s"),
        "time_limit": run.time_limit,
        "solver_version": result.get("solver_version") or run.solver_version,
        "config_hash": run.config_hash, "config_name": plan.config.name, "sweep_id": sweep_id,
        "started_at": utc_from_unix(started) if started else utc_now(),
        "finished_at": utc_now(), "granted": scored["granted"], "mean_pai": scored["mean_pai"],
        "mean_latency_s": scored["mean_latency_s"], "solution": result.get("solution"),
        "info": scored["info"], "error": scored["error"], "host": socket.gethostname(),
    }
    return references.assign([row], stored_refs)[0]


def _task(plan: Plan, run: Run) -> dict[str, Any]:
    from gqap.io import instance_to_dict

    return {"task_id": run.run_id, "kind": "run", "solver": run.solver, "target": run.target,
            "families": list(run.families), "options": run.options,
            "time_limit": run.time_limit, "seed": run.seed,
            "instance": instance_to_dict(plan.instances[run.instance_hash].instance)}


def plan_tasks(plan: Plan, store: ResultStore) -> tuple[list[dict[str, Any]],
                                                     list[dict[str, Any]], list[dict[str, Any]],
                                                     int]:
    """(missing references, probe runs, other runs not yet stored, runs already stored).

    A probe is the first pending run of an optional solver that has no successful stored
    run yet: if it fails, the solver is skipped rather than failing on every instance.
    """
    from gqap.io import instance_to_dict

    attempts = store.reference_attempts()
    refs = []
    for job in plan.references:
        if (job.instance_hash, job.variant, "exact") in attempts:
            continue
        refs.append({"task_id": f"ref-{job.instance_hash[:16]}-{job.variant or 'any'}",
                     "kind": "reference", "instance_hash": job.instance_hash,
                     "variant": job.variant, "solver": job.solver, "target": None,
                     "families": [], "options": job.options, "seed": 0,
                     "time_limit": plan.config.reference_time_limit,
                     "instance": instance_to_dict(plan.instances[job.instance_hash].instance)})
    done = store.done_keys()
    working = store.working_solvers()
    optional = {e.label for e in plan.config.solvers if e.optional}
    pending = [r for r in plan.runs if r.key not in done]
    probes, rest = [], []
    for r in pending:
        if (r.label in optional and (r.label, r.config_hash) not in working
                and r.label not in {p["label"] for p in probes}):
            probes.append({**_task(plan, r), "probe": True, "label": r.label})
        else:
            rest.append(_task(plan, r))
    return refs, probes, rest, len(plan.runs) - len(pending)


def run_sweep(config: BenchConfig, out_dir: str | Path, *, executor: str = "local",
              workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, retry_failed: bool = False) -> SweepSummary:
    """Run (or resume) the sweep of ``config`` into ``out_dir``/results.sqlite; with
    ``retry_failed`` stored error rows of this sweep are run again. An optional solver
    whose first run fails is skipped (with the error as the reason)."""
    from tqdm import tqdm

    from gqap.bench.executor import run_dask, run_local

    t0 = time.perf_counter()
    out = Path(out_dir)
    for p in (out, *out.parents):  # refuse before any instance is loaded or solved
        if p.exists():
            if not p.is_dir():
                raise GQAPError(f"sweep folder: {p} is a file, not a folder")
            break
    plan = expand(config)
    workers = workers or config.workers or os.cpu_count() or 1
    store = ResultStore.in_dir(out)
    try:
        store.put_instances(plan.instances.values())
        for rec in plan.instances.values():
            if rec.best_known is not None:
                store.put_reference(rec.hash, "", rec.reference_kind, rec.best_known,
                                    rec.reference_source)
            if rec.proven_bound is not None:
                store.put_reference(rec.hash, "", "proven_bound", rec.proven_bound,
                                    rec.bound_source)
        retried = store.delete_failed(r.key for r in plan.runs) if retry_failed else 0
        refs_tasks, probes, rest, already = plan_tasks(plan, store)
        summary = SweepSummary(out, store.path, len(plan.runs), already, retried=retried,
                               skipped_solvers=list(plan.skipped_solvers), notes=plan.notes,
                               unsupported_pairs=plan.unsupported_pairs)
        sweep_id = store.start_sweep(config.name, config.raw, executor, workers,
                                     socket.gethostname(), len(plan.runs), already,
                                     machine_note())
        refs = store.references()
        runs = {r.run_id: r for r in plan.runs}
        bar = tqdm(total=len(refs_tasks) + len(probes) + len(rest), desc=config.name,
                   unit="run", file=sys.stderr, disable=not progress, dynamic_ncols=True,
                   smoothing=0.05, mininterval=0.5)
        bar.set_postfix(failed=0)
        dropped: set[str] = set()

        def on_result(task: dict[str, Any], result: dict[str, Any]) -> None:
            if task["kind"] == "reference":
                _store_reference(plan, store, task, result, refs)
                summary.references_computed += 1
            else:
                row = build_row(plan, runs[task["task_id"]], result, sweep_id, refs)
                if task.get("probe") and row["status"] == Status.ERROR:
                    dropped.add(task["label"])
                    summary.skipped_solvers.append(
                        (task["label"], f"its first run failed: {row['error']}"))
                elif store.insert_run(row):
                    summary.completed += 1
                    if row["status"] in FAILED or row["killed"]:
                        summary.failed += 1
                        bar.set_postfix(failed=summary.failed)
            bar.update(1)

        kw = dict(kill_grace_s=config.kill_grace_s, setup_timeout_s=config.setup_timeout_s)

        def execute(tasks: list[dict[str, Any]]) -> None:
            if not tasks:
                return
            if executor == "local":
                run_local(tasks, on_result, workers=workers, log_dir=out / "logs", **kw)
            elif executor == "dask":
                run_dask(tasks, on_result, workers=workers, scheduler=scheduler, **kw)
            else:
                raise GQAPError(f"executor: must be local or dask, got {executor!r}")

        try:
            if probes:
                execute(refs_tasks + probes)
                refs_tasks = []
                kept = [t for t in rest if runs[t["task_id"]].label not in dropped]
                summary.dropped = len(rest) - len(kept) + len(dropped)
                bar.total -= len(rest) - len(kept)
                bar.refresh()
                rest = kept
            execute(refs_tasks + rest)
        finally:
            bar.close()
        store.refresh_gaps()
        summary.wall_s = time.perf_counter() - t0
        store.finish_sweep(sweep_id, summary.completed, summary.failed, summary.wall_s)
        return summary
    finally:
        store.close()


def _store_reference(plan: Plan, store: ResultStore, task: dict[str, Any],
                     result: dict[str, Any], refs: dict[tuple[str, str], dict[str, float]]) -> None:
    h, variant = task["instance_hash"], task["variant"]
    scored = rescore(plan.instances[h].instance, result, task["solver"])
    source = (f"{task['solver']} {json.dumps(task['options'], sort_keys=True)} "
              f"v{result.get('solver_version')}, {result.get('wall_time_s') or 0:.3g} s")
    if scored["status"] == Status.OPTIMAL and scored["objective"] is not None:
        store.put_reference(h, variant, "exact", scored["objective"], source)
        refs.setdefault((h, variant), {})["exact"] = scored["objective"]
    else:
        store.put_reference(h, variant, "exact", None,
                            f"failed ({scored['status']}: {scored['error'] or 'no proof'}); "
                            + source)
