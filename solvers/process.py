"""Supervision of child processes: one place for the MILP backends and the harness.

A child started with ``spawn`` dies with the process that started it (Linux
``PR_SET_PDEATHSIG``), so a harness that SIGKILLs an overrunning worker leaves no backend
running. ``wait_until`` lets a child run until a ``Deadline`` (plus a grace period), then
asks it to stop (SIGINT) and, if it does not within the grace, kills it and its process
group. ``kill_tree`` is that last step on its own, and ``exit_with_parent`` is the other
side of the contract for a long-lived worker: a thread that takes the worker and its
process group down when its parent disappears.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from gqap.solvers.base import Deadline

_PR_SET_PDEATHSIG = 1
DEFAULT_GRACE_S = 0.5


def die_with_parent() -> None:
    """In a forked child before exec (Linux): receive SIGKILL when the parent dies.

    Meant as ``preexec_fn``; elsewhere, or when libc is unavailable, it does nothing.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def spawn(args: list[str], *, tie_to_parent: bool = True, new_session: bool = False,
          **popen_kwargs: Any) -> subprocess.Popen:
    """Start ``args`` as a child process (stdin from /dev/null unless given).

    ``tie_to_parent``: the child gets SIGKILL when this process dies (Linux).
    ``new_session``: the child leads its own process group, so ``kill_tree`` takes its
    own children along. Other keywords go to ``subprocess.Popen``.
    """
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    if tie_to_parent and sys.platform.startswith("linux"):
        popen_kwargs["preexec_fn"] = die_with_parent
    if new_session:
        popen_kwargs["start_new_session"] = True
    return subprocess.Popen(args, **popen_kwargs)


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc`` (with its process group when it leads one) and reap it."""
    if proc.poll() is None:
        try:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except (AttributeError, OSError):  # no process groups, or already gone
            try:
                proc.kill()
            except OSError:
                pass
    proc.wait()


def stop(proc: subprocess.Popen, grace_s: float = DEFAULT_GRACE_S,
         interrupt: bool = True) -> None:
    """Ask ``proc`` to stop (SIGINT) and give it ``grace_s``; then ``kill_tree`` it."""
    if proc.poll() is not None:
        return
    if interrupt:
        try:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            pass
        except OSError:
            pass
    kill_tree(proc)


def wait_until(proc: subprocess.Popen, deadline: Deadline, grace_s: float = DEFAULT_GRACE_S,
               interrupt: bool = True) -> bool:
    """Wait for ``proc`` until the deadline plus ``grace_s``; then ``stop`` it.

    Returns True when the child had to be stopped. A child may ignore its own time limit
    (CBC checks ``-sec`` only between phases), so the stop is what keeps the promise: the
    call returns at most about ``deadline + 2 grace_s`` after it began.
    """
    remaining = deadline.remaining()
    try:
        proc.wait(timeout=None if math.isinf(remaining) else max(remaining, 0.0) + grace_s)
        return False
    except subprocess.TimeoutExpired:
        stop(proc, grace_s, interrupt)
        return True


def exit_with_parent(interval_s: float = 0.5, code: int = 70) -> threading.Thread:
    """Start a daemon thread that ends this process when its parent goes away.

    When the parent changes (it died), the process group this process leads (if any) is
    SIGKILLed, taking its children along, and the process exits with ``code``.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent:
                try:
                    if os.getpgid(0) == os.getpid():
                        os.killpg(os.getpid(), signal.SIGKILL)
                except (AttributeError, OSError):
                    pass
                os._exit(code)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread
