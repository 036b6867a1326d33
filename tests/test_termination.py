"""Shared termination and best-so-far history of the metaheuristics, on the one clock
(``Deadline``) that every solver reads."""

from __future__ import annotations

import math
import time

import pytest

from gqap.solvers.base import Deadline, DeadlineExpired, Status
from gqap.solvers.termination import (
    ITERATIONS,
    STAGNATION,
    TARGET,
    TIME_LIMIT,
    Progress,
    Termination,
    reached,
)


@pytest.mark.parametrize("kwargs", [
    {"time_limit": 0.0}, {"time_limit": -1.0}, {"time_limit": math.inf},
    {"max_iterations": 0}, {"stagnation": 0}, {"target": math.nan},
])
def test_termination_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        Termination(**kwargs)


def test_progress_rejects_unknown_sense():
    with pytest.raises(ValueError, match="sense"):
        Progress(Termination(), "up")


def test_record_keeps_only_improvements_minimising():
    prog = Progress(Termination(), "min")
    assert prog.record(10.0)
    prog.step()
    assert not prog.record(10.0)  # equal is not better
    assert not prog.record(11.0)
    prog.step(2)
    assert prog.record(7.5)
    assert prog.best == 7.5 and prog.best_iteration == 3
    assert [(it, val) for it, _, val in prog.history] == [(0, 10.0), (3, 7.5)]
    times = [s for _, s, _ in prog.history]
    assert times == sorted(times) and prog.time_to_best == times[-1]


def test_record_maximising_and_infinite_values():
    prog = Progress(Termination(), "max")
    assert not prog.record(-math.inf)
    assert prog.record(-5.0)
    assert not prog.record(-6.0)
    assert prog.record(-4.0)
    assert prog.best == -4.0


def test_target_is_checked_first_and_respects_sense():
    prog = Progress(Termination(max_iterations=1, target=5.0), "min")
    prog.step()
    assert prog.stop_reason() == ITERATIONS
    prog.record(5.0 + 1e-12)  # within the relative tolerance
    assert prog.stop_reason() == TARGET
    assert reached("max", -1.0, -1.5) and not reached("max", -2.0, -1.5)
    assert reached("min", 3.0, 4.0) and not reached("min", 5.0, 4.0)


def test_stagnation_counts_from_last_improvement():
    prog = Progress(Termination(stagnation=3), "min")
    prog.record(1.0)
    prog.step(2)
    assert prog.stop_reason() is None
    prog.record(0.5)  # improvement at iteration 2 resets the count
    prog.step(2)
    assert prog.stale == 2 and prog.stop_reason() is None
    prog.step()
    assert prog.stop_reason() == STAGNATION


def test_time_limit_and_status():
    prog = Progress(Termination(time_limit=0.05), "min")
    assert prog.stop_reason() is None and 0 < prog.remaining() <= 0.05
    assert prog.status(None) == Status.INFEASIBLE  # nothing recorded yet
    time.sleep(0.06)
    reason = prog.stop_reason()
    assert reason == TIME_LIMIT
    prog.record(3.0)
    assert prog.status(reason) == Status.TIME_LIMIT
    assert prog.status(ITERATIONS) == Status.FEASIBLE
    assert Progress(Termination(), "min").remaining() == math.inf


def test_info_is_plain_data():
    prog = Progress(Termination(max_iterations=4), "max")
    prog.record(2.0)
    prog.step(4)
    info = prog.info(prog.stop_reason())
    assert info["stop_reason"] == ITERATIONS and info["iterations"] == 4
    assert info["best_objective"] == 2.0 and info["best_iteration"] == 0
    assert info["history"] == [[0, info["time_to_best_s"], 2.0]]
    assert Progress(Termination(), "min").info(None)["best_objective"] is None


def test_deadline_counts_from_its_start_and_raises_when_spent():
    d = Deadline(None)
    assert d.remaining() == math.inf and not d.expired()
    d.check()  # no limit: never raises
    past = Deadline(0.5, start=time.perf_counter() - 1.0)  # started a second ago
    assert past.elapsed() >= 1.0 and past.remaining() < 0 and past.expired()
    with pytest.raises(DeadlineExpired, match="building"):
        past.check("building")
    fresh = Deadline(60.0)
    assert 59.0 < fresh.remaining() <= 60.0
    fresh.check("anything")


def test_progress_reads_the_deadline_it_is_given():
    # A solver starts the clock at the top of its call; the Progress made after its set-up
    # counts the set-up too, and the deadline's limit is the run's time limit.
    started = time.perf_counter() - 0.2
    deadline = Deadline(0.1, start=started)
    prog = Progress(Termination(max_iterations=10), "min", deadline=deadline)
    assert prog.deadline is deadline and prog.time_limit == 0.1
    assert prog.start == started and prog.elapsed() >= 0.2
    assert prog.stop_reason() == TIME_LIMIT and prog.remaining() < 0
    # Without a deadline, one is made from the termination's limit at ``start``.
    prog = Progress(Termination(time_limit=0.1), "max", start=started)
    assert isinstance(prog.deadline, Deadline) and prog.deadline.limit == 0.1
    assert prog.stop_reason() == TIME_LIMIT
    assert Progress(Termination(time_limit=30.0), "max").stop_reason() is None
