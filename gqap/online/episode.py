"""One run through a scenario, one period at a time: the step every online method takes.

``Episode`` is shaped like a Gymnasium environment: ``reset()`` returns the first
observation (the period's requests and the pool) and an info dict, ``step(decision)``
returns ``(observation, reward, terminated, truncated, info)``. The reward is the
evaluator's value of the period just decided (``score_period``), so a learner is paid in
the suite's own objective; a decision that breaks a rule is refused, naming the period and
the rule. The episode never exposes later periods: what it hands out is what a policy may
see at its decision moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gqap.errors import ValidationError
from gqap.online.evaluation import score_period
from gqap.online.instance import OnlineHeader, OnlineInstance, PeriodRequests
from gqap.online.pool import Pool, PoolState
from gqap.online.solution import OnlineSolution, PeriodDecision


@dataclass(frozen=True)
class Observation:
    """What a policy sees at period t's decision moment."""

    requests: PeriodRequests
    pool: PoolState


class Episode:
    """A scenario replayed period by period; ``decisions`` holds what was decided so far."""

    def __init__(self, inst: OnlineInstance) -> None:
        self._inst = inst
        self.header: OnlineHeader = inst.header
        self.t = 0
        self.decisions: list[PeriodDecision] = []
        self._pool = Pool(inst.header.G, inst.header.K)
        self.total = 0.0

    def _observe(self) -> Observation:
        return Observation(self._inst.period(self.t), self._pool.state(self.t))

    def reset(self) -> tuple[Observation, dict[str, Any]]:
        """Start over at period 0."""
        self.t, self.decisions, self.total = 0, [], 0.0
        self._pool = Pool(self.header.G, self.header.K)
        return self._observe(), {"periods": self.header.n_periods}

    @property
    def done(self) -> bool:
        """True once every period is decided."""
        return self.t >= self.header.n_periods

    def step(self, decision: PeriodDecision,
             ) -> tuple[Observation | None, float, bool, bool, dict[str, Any]]:
        """Apply period t's decision; the next observation is None after the last period."""
        if self.done:
            raise ValidationError("episode: every period is decided already; reset first")
        if not isinstance(decision, PeriodDecision):
            raise ValidationError(f"period {self.t}: a policy must return a PeriodDecision, "
                                  f"got {type(decision).__name__}")
        state = self._pool.state(self.t)
        score = score_period(self.header, self._inst.period(self.t), decision, state.free)
        if score.violations:
            raise ValidationError(f"{score.violations[0]} (infeasible decision refused)")
        self._pool.start(self.t, decision.gpus, score.hold_s)
        self.decisions.append(decision)
        self.total += score.value
        info = {"t": self.t, "hold_s": score.hold_s, "free": state.free}
        self.t += 1
        obs = None if self.done else self._observe()
        return obs, score.value, self.done, False, info

    def solution(self, policy: str = "", times: Any = None) -> OnlineSolution:
        """The decision log so far (complete once ``done``)."""
        return OnlineSolution(tuple(self.decisions), policy, times)
