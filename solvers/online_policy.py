"""Online policies: one small interface, one runner, one solver adapter (docs/ONLINE.md).

A policy is ``reset(header, seed)`` once, then ``decide(requests, pool) -> PeriodDecision``
once per period, Gymnasium-like. ``run_policy`` is the one runner: it steps a
``gqap.online.episode.Episode`` and hands the policy one period at a time, never the
scenario, so no policy can see the future. It times every decision; a decision longer than
the per-period budget (the scenario's, or ``budget_s``) is an overrun, and with
``enforce_budget`` the overrun period is denied entirely (everyone local). A decision that
breaks a rule ends the run with an error naming the period and the rule.

``PolicySolver`` turns a policy into a registered solver of the ``online`` family:
``gqap solve SCENARIO --solver NAME`` runs the policy through ``run_policy`` and reports
p50, p99 and max decision time and the overruns in ``info``. A learned policy plugs in the
same way: a class with ``reset`` and ``decide`` and a ``PolicySolver`` subclass naming it.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from gqap.errors import InputError
from gqap.online.episode import Episode
from gqap.online.evaluation import evaluate_online
from gqap.online.instance import OnlineHeader, OnlineInstance, PeriodRequests
from gqap.online.pool import PoolState
from gqap.online.solution import OnlineSolution, PeriodDecision
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status


class OnlinePolicy(ABC):
    """Decides each period from the header, that period's requests and the pool."""

    name: ClassVar[str] = "policy"

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:  # noqa: B027
        """Start a run of a scenario with this header (prices, samples, state)."""

    @abstractmethod
    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""


@dataclass
class PolicyRun:
    """What ``run_policy`` returns: the decision log and how the decisions were made."""

    solution: OnlineSolution
    objective: float
    times: np.ndarray
    budget_s: float
    overruns: int
    denied_for_overrun: list[int] = field(default_factory=list)
    cut_at: int | None = None  # first period decided all-local because time ran out
    reset_s: float = 0.0

    def timing(self) -> dict[str, Any]:
        """p50, p99 and max decision time (of the periods the policy decided), overruns,
        budget: the run's timing record."""
        t = self.times if self.cut_at is None else self.times[: self.cut_at]
        q = (lambda p: float(np.percentile(t, p)) if t.size else 0.0)  # noqa: E731
        return {"decision_p50_s": q(50), "decision_p99_s": q(99),
                "decision_max_s": float(t.max()) if t.size else 0.0,
                "decision_mean_s": float(t.mean()) if t.size else 0.0,
                "budget_s": self.budget_s, "overruns": self.overruns,
                "denied_for_overrun": len(self.denied_for_overrun),
                "reset_s": self.reset_s, "cut_at_period": self.cut_at}


def check_budget(budget_s: float | None) -> None:
    """Refuse a decision budget that is not a positive, finite number of seconds."""
    if budget_s is not None and not (isinstance(budget_s, int | float) and
                                     math.isfinite(budget_s) and budget_s > 0):
        raise InputError(f"budget_s: must be a positive number of seconds, got {budget_s!r}")


def run_policy(inst: OnlineInstance, policy: OnlinePolicy, *, seed: int = 0,
               budget_s: float | None = None, enforce_budget: bool = False,
               deadline: Deadline | None = None) -> PolicyRun:
    """Run ``policy`` through the scenario one period at a time and time each decision.

    Once ``deadline`` expires the remaining periods are decided all-local without asking
    the policy (``cut_at`` says from where). ``objective`` is the evaluator's."""
    check_budget(budget_s)
    header = inst.header
    budget = header.budget_s if budget_s is None else float(budget_s)
    episode = Episode(inst)
    start = time.perf_counter()
    policy.reset(header, seed)
    reset_s = time.perf_counter() - start
    obs, _ = episode.reset()
    times, denied = [], []
    overruns, cut_at = 0, None
    while obs is not None:
        t = obs.requests.t
        deny = PeriodDecision.deny(obs.requests.n_users, header.N)
        if deadline is not None and deadline.expired():
            cut_at = t
            break
        t0 = time.perf_counter()
        decision = policy.decide(obs.requests, obs.pool)
        spent = time.perf_counter() - t0
        if spent > budget:
            overruns += 1
            if enforce_budget:
                denied.append(t)
                decision = deny
        times.append(spent)
        obs, _, _, _, _ = episode.step(decision)
    decisions = list(episode.decisions)
    if cut_at is not None:  # the rest all local, without asking the policy
        decisions += [PeriodDecision.deny(int(n), header.N)
                      for n in inst.period_sizes()[cut_at:]]
        times += [0.0] * (len(decisions) - len(times))
    solution = OnlineSolution(tuple(decisions), policy.name, times)
    objective = evaluate_online(inst, solution).objective
    return PolicyRun(solution, objective, np.asarray(times), budget, overruns, denied, cut_at,
                     reset_s)


@dataclass(frozen=True)
class RunOptions:
    """Options every online policy solver takes: ``budget_s`` overrides the scenario's
    decision budget per period; ``enforce_budget`` denies an overrun period entirely."""

    budget_s: float | None = None
    enforce_budget: bool = False

    def __post_init__(self) -> None:
        check_budget(self.budget_s)  # an InputError: exit status 2, as the issue asks


class PolicySolver(Solver):
    """A registered solver that runs an online policy (``make_policy``) through the runner."""

    families = ("online",)
    Options: ClassVar[type] = RunOptions

    @abstractmethod
    def make_policy(self) -> OnlinePolicy:
        """A fresh policy configured from ``self.options``."""

    def policy_for(self, time_limit: float | None) -> OnlinePolicy:
        """The policy of one run under ``time_limit`` (default: ``make_policy()``; a policy
        that prepares at reset may bound its preparation by it)."""
        return self.make_policy()

    def _solve(self, instance: Any, time_limit: float | None, seed: int) -> SolverOutput:
        return policy_output(instance, self.policy_for(time_limit), time_limit, seed,
                             self.options.budget_s, self.options.enforce_budget)


def policy_output(instance: OnlineInstance, policy: OnlinePolicy, time_limit: float | None,
                  seed: int, budget_s: float | None = None,
                  enforce_budget: bool = False) -> SolverOutput:
    """A solver's answer from one ``run_policy``: the log, ``feasible`` (``time_limit``
    when time ran out and the rest was denied) and the timing record in ``info``."""
    run = run_policy(instance, policy, seed=seed, budget_s=budget_s,
                     enforce_budget=enforce_budget, deadline=Deadline(time_limit))
    info = {**run.timing(), "enforce_budget": enforce_budget}
    status = Status.FEASIBLE if run.cut_at is None else Status.TIME_LIMIT
    return SolverOutput(run.solution, status, info=info)
