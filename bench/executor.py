"""Running tasks in worker processes with the time limit enforced from outside.

Each worker is a separate interpreter (``python -m gqap.bench.worker``, one thread for BLAS and
torch) that solves tasks one after another. The parent starts a task's clock when the
worker says the solve call begins; a run that overruns its limit by more than 10% plus
a grace period proportional to the limit (``kill_after``) is killed (SIGKILL) and recorded
as killed, and a fresh worker takes the slot, so no solver can hang a sweep.
``run_local`` drives a pool of such workers; ``run_dask`` sends each task to a Dask
cluster, where ``guarded_run`` applies the same guard on the Dask worker's machine.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gqap.bench.worker import THREAD_ENV
from gqap.solvers import process

ResultHandler = Callable[[dict[str, Any], dict[str, Any]], None]
KILL_FACTOR = 1.1
GRACE_SHARE = 0.1  # the grace grows with the limit: a 600 s run gets 60 s, a 3 s run 2 s
GRACE_FLOOR_S = 2.0


def kill_grace(time_limit: float, floor_s: float = GRACE_FLOOR_S) -> float:
    """The grace after 1.1 x the limit: max(``floor_s``, 0.1 x the limit)."""
    return max(floor_s, GRACE_SHARE * time_limit)


def kill_after(time_limit: float, grace_floor_s: float = GRACE_FLOOR_S) -> float:
    """Seconds after the solve call starts at which a run is killed:
    1.1 x limit + max(grace floor, 0.1 x limit). A run still going then is killed; one that
    answers later than this (a race with the check) is recorded as killed too."""
    return time_limit * KILL_FACTOR + kill_grace(time_limit, grace_floor_s)


def worker_env() -> dict[str, str]:
    """The environment of a worker: one BLAS/OpenMP thread, the parent's import path."""
    env = dict(os.environ)
    env.update(THREAD_ENV)
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _tail(path: Path, n: int = 1500) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - n))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


class WorkerProcess:
    """One worker interpreter and the task it is running."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            # Its own process group (kill_tree takes a MILP backend it started along); not
            # tied by PR_SET_PDEATHSIG, whose preexec_fn may deadlock in a threaded parent
            # (tqdm's monitor, Dask): the worker watches its parent itself (exit_with_parent).
            self.proc = process.spawn(
                [sys.executable, "-m", "gqap.bench.worker"], tie_to_parent=False,
                new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                env=worker_env())
        self.fd = self.proc.stdout.fileno()
        self.buffer = b""
        self.task: dict[str, Any] | None = None
        self.sent_at = 0.0
        self.started_at: float | None = None
        self.started_wall: float | None = None
        self.deadline = float("inf")
        self.grace_floor = GRACE_FLOOR_S

    @property
    def busy(self) -> bool:
        """True while a task is assigned."""
        return self.task is not None

    def assign(self, task: dict[str, Any], setup_timeout_s: float) -> None:
        """Send a task; until the solve call starts, the setup budget applies."""
        self.task = task
        self.sent_at = time.monotonic()
        self.started_at = None
        self.started_wall = None
        self.deadline = self.sent_at + setup_timeout_s
        self.proc.stdin.write((json.dumps(task) + "\n").encode())
        self.proc.stdin.flush()

    def read(self) -> list[dict[str, Any]] | None:
        """Events available on the pipe; None when the worker has exited."""
        data = os.read(self.fd, 1 << 20)
        if not data:
            return None
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in lines if line.strip()]

    def on_start(self, grace_floor_s: float) -> None:
        """The solve call began: the run's own clock starts now."""
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self.grace_floor = grace_floor_s
        self.deadline = self.started_at + kill_after(self.task["time_limit"], grace_floor_s)

    def late(self, result: dict[str, Any]) -> dict[str, Any]:
        """A result that arrived after the kill time: recorded as killed, like a run the
        harness had to stop (an overrun is never an ordinary row)."""
        elapsed = time.monotonic() - (self.started_at or self.sent_at)
        limit = self.task["time_limit"]
        info = dict(result.get("info") or {})
        info.update(killed=True, late_status=result.get("status"))
        return {**result, "status": "time_limit", "solution": None, "objective": None,
                "bound": None, "killed": True, "info": info, "wall_time_s": elapsed,
                "error": (f"overran: answered after {elapsed:.1f} s, past the kill time of "
                          f"{kill_after(limit, self.grace_floor):.1f} s for a {limit:g} s "
                          "limit")}

    def finish(self) -> dict[str, Any]:
        """Clear and return the finished task."""
        task, self.task = self.task, None
        self.deadline = float("inf")
        return task

    def failure(self, why: str) -> dict[str, Any]:
        """The result of a run that was killed or whose worker died."""
        now = time.monotonic()
        task = self.task
        if why == "killed" and self.started_at is not None:
            limit = task["time_limit"]
            status, error = "time_limit", (
                f"killed after {now - self.started_at:.1f} s: the solver overran its time "
                f"limit of {limit:g} s by more than 10% plus the grace period "
                f"({kill_grace(limit, self.grace_floor):.1f} s)")
        elif why == "killed":
            status, error = "error", (f"killed after {now - self.sent_at:.1f} s of setup "
                                      "(import, construction) before the solve call began")
        else:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            status, error = "error", f"worker process died (exit code {code})"
        return {"status": status, "objective": None, "bound": None,
                "wall_time_s": now - (self.started_at or self.sent_at), "solution": None,
                "info": {"killed": why == "killed", "log_tail": _tail(self.log_path)[-800:]},
                "solver_version": None, "error": error, "killed": why == "killed",
                "started_at_unix": self.started_wall or time.time()}

    def kill(self) -> None:
        """SIGKILL the worker with its process group (a MILP backend it started, say) and
        reap it."""
        process.kill_tree(self.proc)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Let an idle worker exit on end of input (kill it if it lingers)."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class Pool:
    """Worker processes that run tasks and enforce time limits; reusable across ``run``s."""

    def __init__(self, size: int, log_dir: Path, kill_grace_s: float = GRACE_FLOOR_S,
                 setup_timeout_s: float = 300.0) -> None:
        self.size = max(1, int(size))
        self.log_dir = Path(log_dir)
        self.grace = kill_grace_s
        self.setup_timeout = setup_timeout_s
        self.workers: list[WorkerProcess | None] = [None] * self.size
        self.selector = selectors.DefaultSelector()

    def _start(self, slot: int) -> WorkerProcess:
        w = WorkerProcess(self.log_dir / f"worker-{slot}.log")
        self.selector.register(w.fd, selectors.EVENT_READ, (slot, w))
        self.workers[slot] = w
        return w

    def _retire(self, slot: int) -> None:
        w = self.workers[slot]
        if w is not None:
            self.selector.unregister(w.fd)
            w.kill()
            self.workers[slot] = None

    def run(self, tasks: Iterable[dict[str, Any]], on_result: ResultHandler) -> None:
        """Run every task; ``on_result(task, result)`` is called in this process as each
        one finishes, is killed, or loses its worker."""
        queue = deque(tasks)
        try:
            while queue or any(w is not None and w.busy for w in self.workers):
                for slot in range(self.size):
                    if not queue:
                        break
                    w = self.workers[slot]
                    if w is None:
                        w = self._start(slot)
                    if not w.busy:
                        try:
                            w.assign(queue.popleft(), self.setup_timeout)
                        except OSError:  # the worker died before reading its task
                            result = w.failure("died")
                            on_result(w.finish(), result)
                            self._retire(slot)
                busy = [w for w in self.workers if w is not None and w.busy]
                wait = min((w.deadline for w in busy), default=time.monotonic() + 1)
                timeout = min(max(wait - time.monotonic(), 0.0), 1.0)
                for key, _ in self.selector.select(timeout):
                    slot, w = key.data
                    if self.workers[slot] is not w:
                        continue
                    events = w.read()
                    if events is None:
                        if w.busy:
                            result = w.failure("died")
                            on_result(w.finish(), result)
                        self._retire(slot)
                        continue
                    for ev in events:
                        if ev.get("event") == "start" and w.busy:
                            w.on_start(self.grace)
                        elif ev.get("event") == "result" and w.busy:
                            ev.pop("event")
                            ev.pop("task_id", None)
                            if time.monotonic() > w.deadline and w.started_at is not None:
                                ev = w.late(ev)
                            ev["started_at_unix"] = w.started_wall or time.time()
                            on_result(w.finish(), ev)
                now = time.monotonic()
                for slot, w in enumerate(self.workers):
                    if w is not None and w.busy and now > w.deadline:
                        result = w.failure("killed")
                        task = w.finish()
                        self._retire(slot)
                        on_result(task, result)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop every worker."""
        for slot, w in enumerate(self.workers):
            if w is not None:
                self.selector.unregister(w.fd)
                if w.busy:
                    w.kill()
                else:
                    w.close()
                self.workers[slot] = None


def run_local(tasks: list[dict[str, Any]], on_result: ResultHandler, *, workers: int,
              log_dir: Path, kill_grace_s: float, setup_timeout_s: float) -> None:
    """Run tasks on a local pool of ``workers`` processes."""
    pool = Pool(min(workers, max(1, len(tasks))), log_dir, kill_grace_s, setup_timeout_s)
    try:
        pool.run(tasks, on_result)
    finally:
        pool.close()


_local = threading.local()


def guarded_run(task: dict[str, Any], kill_grace_s: float = GRACE_FLOOR_S,
                setup_timeout_s: float = 300.0) -> dict[str, Any]:
    """Run one task in a worker process of this (Dask worker) process with the time limit
    enforced; the worker process is kept for the next task of this thread."""
    pool = getattr(_local, "pool", None)
    if pool is None or pool.grace != kill_grace_s or pool.setup_timeout != setup_timeout_s:
        log_dir = Path(tempfile.gettempdir()) / "gqap-bench-logs"
        pool = Pool(1, log_dir / f"dask-{os.getpid()}-{threading.get_ident()}",
                    kill_grace_s, setup_timeout_s)
        _local.pool = pool
    out: list[dict[str, Any]] = []
    pool.run([task], lambda _t, r: out.append(r))
    return out[0]


def run_dask(tasks: list[dict[str, Any]], on_result: ResultHandler, *, workers: int,
             scheduler: str | None, kill_grace_s: float, setup_timeout_s: float) -> None:
    """Run tasks on a Dask cluster: the one at ``scheduler``, or a LocalCluster of
    ``workers`` single-threaded processes."""
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                               processes=True, dashboard_address=":0")
        client = Client(cluster)
    try:
        futures = {}
        for task in tasks:
            fut = client.submit(guarded_run, task, kill_grace_s, setup_timeout_s, pure=False,
                                key=f"gqap-bench-{task['task_id']}")
            futures[fut] = task
        for fut in as_completed(futures):
            task = futures.pop(fut)
            try:
                result = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost Dask task is an error row
                result = {"status": "error", "objective": None, "bound": None,
                          "wall_time_s": None, "solution": None, "info": {},
                          "solver_version": None,
                          "error": f"dask: {type(exc).__name__}: {exc}"[:500]}
            on_result(task, result)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
