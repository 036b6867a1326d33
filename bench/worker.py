"""The child side of the harness: a process that solves the tasks it is sent.

``python -m gqap.bench.worker`` reads one JSON task per line on stdin and answers on stdout
with a ``start`` event (sent just before the solve call, so the parent can start the
clock of the time limit) and a ``result`` event. Anything a solver prints, C libraries
included, goes to stderr (the worker's log file), never into the protocol. The worker
exits when its parent disappears, so a killed sweep leaves no solver running.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from gqap.solvers import process

THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1"}


@lru_cache(maxsize=16)
def _solver(name: str, target: str | None, families: tuple[str, ...], options_json: str) -> Any:
    from gqap.solvers.registry import make_solver, register, solver_spec

    if target is not None:
        try:
            current = solver_spec(name).target
        except Exception:  # noqa: BLE001 - unknown name: register it below
            current = None
        if current != target:
            register(name, target, families, "registered by a bench worker")
    return make_solver(name, **json.loads(options_json))


def _limit_torch_threads() -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def run_task(task: dict[str, Any], on_start: Callable[[], None] | None = None) -> dict[str, Any]:
    """Solve one task in this process; every failure becomes a result with status error.

    ``task`` holds solver, target, families, options, time_limit, seed and the instance as
    its JSON object; the answer holds the solver's status, bound, solution (JSON object),
    info, version and the wall time of the solve call.
    """
    from gqap.io import instance_from_dict

    t0 = time.perf_counter()
    phase = "setup"
    try:
        inst = instance_from_dict(task["instance"])
        solver = _solver(task["solver"], task.get("target"), tuple(task.get("families") or ()),
                         json.dumps(task.get("options") or {}, sort_keys=True))
        solver.warm_up()  # one-off loading stays out of the timed solve
        _limit_torch_threads()
        phase = "solve"
        if on_start is not None:
            on_start()
        result = solver.solve(inst, time_limit=task["time_limit"], seed=task["seed"])
        _limit_torch_threads()
        d = result.to_dict()
        return {"status": d["status"], "objective": d["objective"], "bound": d["bound"],
                "wall_time_s": d["wall_time_s"], "solution": d["solution"], "info": d["info"],
                "solver_version": str(solver.run_version(solver.options)), "error": None}
    except BaseException as exc:  # noqa: BLE001 - a solver's failure is a result, not a crash
        if isinstance(exc, KeyboardInterrupt | SystemExit) and phase == "setup":
            raise
        tb = traceback.format_exc().strip().splitlines()
        return {"status": "error", "objective": None, "bound": None,
                "wall_time_s": time.perf_counter() - t0, "solution": None,
                "info": {"phase": phase, "traceback": tb[-12:]}, "solver_version": None,
                "error": f"{type(exc).__name__}: {exc}".splitlines()[0][:500]}


def main() -> int:
    """Serve tasks from stdin until it closes (the ``python -m gqap.bench.worker`` loop)."""
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)  # solver chatter on fd 1 (print, CBC, ...) goes to the log, not the protocol
    process.exit_with_parent(0.5, 70)  # a killed sweep leaves no worker (or backend) behind

    def send(obj: dict[str, Any]) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    print(f"bench worker {os.getpid()} ready", file=sys.stderr, flush=True)
    send({"event": "ready", "pid": os.getpid()})
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        task = json.loads(line)
        tid = task.get("task_id")
        result = run_task(task, on_start=lambda tid=tid: send({"event": "start", "task_id": tid}))
        send({"event": "result", "task_id": tid, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
