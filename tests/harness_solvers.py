"""Misbehaving solvers for the harness tests, importable by worker processes (tests/ is on
their import path): one hangs, one kills its process, one raises, one returns an
infeasible decision, one is slow and noisy on stdout."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np

from gqap.offloading.solution import OffloadingSolution
from gqap.solvers.base import Solver, SolverOutput, Status
from gqap.solvers.registry import register

OFF = ("offloading",)


def _all_local(instance) -> OffloadingSolution:
    return OffloadingSolution(np.zeros(instance.n_users, dtype=bool),
                              np.full(instance.n_users, float(instance.N)))


class HangingSolver(Solver):
    """Ignores its time limit and never returns."""

    name = "test-hang"
    families = OFF

    def _solve(self, instance, time_limit, seed):
        time.sleep(3600)
        raise AssertionError("unreachable")


class CrashingSolver(Solver):
    """Takes its worker process down (like a segfault in a C extension)."""

    name = "test-crash"
    families = OFF

    def _solve(self, instance, time_limit, seed):
        os._exit(3)


class RaisingSolver(Solver):
    """Raises an exception."""

    name = "test-raise"
    families = OFF

    def _solve(self, instance, time_limit, seed):
        raise RuntimeError("deliberate failure for the harness tests")


class InfeasibleSolver(Solver):
    """Grants every user even when that exceeds B_max, and claims optimality."""

    name = "test-infeasible"
    families = OFF

    def _solve(self, instance, time_limit, seed):
        sol = OffloadingSolution(np.ones(instance.n_users, dtype=bool),
                                 np.full(instance.n_users, float(instance.N_hat)))
        return SolverOutput(sol, Status.OPTIMAL)


@dataclass(frozen=True)
class SleepyOptions:
    """``delay``: seconds to sleep before answering; ``warm_up_s``: seconds the one-off
    warm-up takes."""

    delay: float = 0.05
    warm_up_s: float = 0.0


class SleepySolver(Solver):
    """Sleeps, prints to stdout (Python and raw fd 1), then answers everyone-local."""

    name = "test-sleepy"
    families = OFF
    Options = SleepyOptions

    def warm_up(self):
        if not getattr(self, "_warm", False):
            time.sleep(self.options.warm_up_s)
            self._warm = True

    def _solve(self, instance, time_limit, seed):
        print("noise from a solver on stdout")
        os.write(1, b"raw noise on fd 1\n")
        time.sleep(self.options.delay)
        info = {"seed_seen": seed, "warmed": getattr(self, "_warm", False)}
        return SolverOutput(_all_local(instance), Status.FEASIBLE, info=info)


class RandomFitGQAP(Solver):
    """A seeded random first-fit assignment for GQAP (different seeds, different costs)."""

    name = "test-randfit"
    families = ("gqap",)

    def _solve(self, instance, time_limit, seed):
        from gqap.classic.solution import GQAPSolution

        rng = np.random.default_rng(seed)
        free = instance.Q.copy()
        x = np.empty(instance.n, dtype=np.int64)
        for i in np.argsort(-instance.q, kind="stable"):
            fits = np.flatnonzero(free >= instance.q[i])
            k = rng.choice(fits)
            x[i] = k
            free[k] -= instance.q[i]
        return SolverOutput(GQAPSolution(x), Status.FEASIBLE)


@dataclass(frozen=True)
class SpawnOptions:
    """``pidfile``: where to write the pid of the child process."""

    pidfile: str = ""


class SpawningSolver(Solver):
    """Starts a long-running child process (like a MILP backend binary), then hangs."""

    name = "test-spawn"
    families = OFF
    Options = SpawnOptions

    def _solve(self, instance, time_limit, seed):
        import subprocess
        import sys

        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open(self.options.pidfile, "w") as fh:
            fh.write(str(child.pid))
        time.sleep(3600)
        raise AssertionError("unreachable")


TEST_SOLVERS = {
    "test-hang": "harness_solvers:HangingSolver",
    "test-crash": "harness_solvers:CrashingSolver",
    "test-raise": "harness_solvers:RaisingSolver",
    "test-infeasible": "harness_solvers:InfeasibleSolver",
    "test-sleepy": "harness_solvers:SleepySolver",
    "test-randfit": "harness_solvers:RandomFitGQAP",
    "test-spawn": "harness_solvers:SpawningSolver",
}
GQAP_TEST_SOLVERS = {"test-randfit"}


def register_all() -> None:
    """Register the test solvers in this process's registry."""
    for name, target in TEST_SOLVERS.items():
        families = ("gqap",) if name in GQAP_TEST_SOLVERS else OFF
        register(name, target, families, "harness test solver")
