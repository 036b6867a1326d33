"""Child-process supervision (gqap.solvers.process): stop at the deadline, SIGKILL to a
child that ignores SIGINT, children that die with their parent, process-group kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from gqap.solvers.base import Deadline
from gqap.solvers.process import kill_tree, spawn, wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="PR_SET_PDEATHSIG and process groups are Linux features")


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_child_that_finishes_is_not_stopped():
    proc = spawn([sys.executable, "-c", "pass"])
    assert wait_until(proc, Deadline(30.0)) is False
    assert proc.returncode == 0


def test_a_child_past_the_deadline_is_interrupted():
    proc = spawn([sys.executable, "-c", "import time; time.sleep(60)"])
    t0 = time.perf_counter()
    assert wait_until(proc, Deadline(0.2), grace_s=0.3) is True
    assert proc.returncode is not None and proc.returncode != 0  # SIGINT ended it
    assert time.perf_counter() - t0 < 0.2 + 2 * 0.3 + 1.0


def test_a_child_that_ignores_sigint_is_killed():
    code = ("import signal, sys, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)")
    proc = spawn([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    assert wait_until(proc, Deadline(0.1), grace_s=0.2) is True
    assert proc.returncode == -signal.SIGKILL
    proc.stdout.close()


@linux_only
def test_a_spawned_child_dies_with_its_parent():
    # The middle process spawns a sleeper tied to it, reports its pid, and is SIGKILLed.
    middle_code = ("import sys, time; from gqap.solvers.process import spawn; "
                   "p = spawn([sys.executable, '-c', 'import time; time.sleep(60)']); "
                   "print(p.pid, flush=True); time.sleep(60)")
    middle = subprocess.Popen([sys.executable, "-c", middle_code], stdout=subprocess.PIPE)
    child = int(middle.stdout.readline())
    assert alive(child)
    middle.kill()
    middle.wait()
    middle.stdout.close()
    assert wait_gone(child), "the tied child outlived its parent"


@linux_only
def test_kill_tree_takes_the_group_along():
    # A session leader with an untied grandchild: kill_tree kills the whole group.
    code = ("import subprocess, sys, time; "
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            "print(p.pid, flush=True); time.sleep(60)")
    proc = spawn([sys.executable, "-c", code], new_session=True, tie_to_parent=False,
                 stdout=subprocess.PIPE)
    grandchild = int(proc.stdout.readline())
    kill_tree(proc)
    proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert wait_gone(grandchild)


@linux_only
def test_exit_with_parent_ends_an_orphaned_worker():
    # The worker shares the middle process's stdout: it says "ready" once it watches.
    worker = ("import time; from gqap.solvers.process import exit_with_parent; "
              "exit_with_parent(0.05); print('ready', flush=True); time.sleep(60)")
    middle_code = (f"import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
                   f"{worker!r}]); print(p.pid, flush=True); time.sleep(60)")
    middle = subprocess.Popen([sys.executable, "-c", middle_code], stdout=subprocess.PIPE)
    lines = [middle.stdout.readline().strip() for _ in range(2)]
    assert b"ready" in lines
    pid = int(next(x for x in lines if x != b"ready"))
    assert alive(pid)
    os.kill(middle.pid, signal.SIGKILL)
    middle.wait()
    middle.stdout.close()
    assert wait_gone(pid)
