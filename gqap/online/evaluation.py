"""The evaluator of the online family: re-scores any decision log, names every broken rule.

A period's value is the paper family's objective (``gqap.evaluation.evaluate_offloading``)
of its users on the batch's g GPUs; the run's objective is the sum over all periods. The
pool is replayed with ``gqap.online.pool``: a decision may take at most the GPUs free at
its moment. Rules, each reported as ``period t: RULE: what happened``:

- ``gpus <= free GPUs``; ``a granted batch needs GPUs`` (b >= 1 with g = 0);
  ``GPUs only for a batch`` (g >= 1 with b = 0);
- the paper family's own: ``b <= B_max``, ``N_hat <= n_i <= N``, ``denied users at n = N``;
- ``split points are whole steps``.

A log with another number of periods, or of users in a period, is refused outright
(``ValidationError``), as is a latency model other than the paper's. Both edge-latency
conventions are supported: the scenario's, or another one given as ``convention`` (holds
and so the free GPUs are recomputed under it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.errors import InvalidInput, ValidationError
from gqap.evaluation import TOL, finite_objective
from gqap.offloading.evaluation import denied_qoe, evaluate_offloading, granted_qoe
from gqap.offloading.solution import OffloadingSolution
from gqap.online.instance import OnlineHeader, OnlineInstance, PeriodRequests
from gqap.online.pool import Pool, occupied_moments
from gqap.online.solution import OnlineSolution, PeriodDecision
from gqap.paper import CONVENTIONS


@dataclass(frozen=True)
class PeriodScore:
    """One period's value, broken rules, hold and per-user breakdown (empty when no users)."""

    value: float
    violations: tuple[str, ...]
    hold_s: float
    pai: np.ndarray
    latency: np.ndarray
    qoe: np.ndarray


def score_period(header: OnlineHeader, users: PeriodRequests, decision: PeriodDecision,
                 free: int) -> PeriodScore:
    """Score one period's decision taken with ``free`` GPUs free; raises ValidationError
    when the decision covers another number of users."""
    t = users.t
    if decision.n_users != users.n_users:
        raise InvalidInput(f"period {t}: the log decides {decision.n_users} users, the "
                              f"scenario has {users.n_users}")
    g, b = decision.gpus, decision.b
    out = []
    if g > free:
        out.append(f"period {t}: gpus <= free GPUs: takes {g} GPUs, {free} free")
    if b and not g:
        out.append(f"period {t}: a granted batch needs GPUs: {b} users granted on 0 GPUs")
    if g and not b:
        out.append(f"period {t}: GPUs only for a batch: {g} GPUs taken for 0 granted users")
    frac = np.flatnonzero(decision.split != np.round(decision.split))
    if frac.size:
        out.append(f"period {t}: split points are whole steps: user {frac[0]} has n = "
                   f"{decision.split[frac[0]]:g}")
    if users.n_users == 0:
        empty = np.empty(0)
        return PeriodScore(0.0, tuple(out), 0.0, empty, empty, empty)
    inst = header.offloading(users, g if g >= 1 else header.G)
    ev = evaluate_offloading(inst, OffloadingSolution(decision.grant, decision.split))
    out += [f"period {t}: {v}" for v in ev.violations]
    hold = decision.hold_s(header) if g >= 1 else 0.0
    return PeriodScore(ev.objective, tuple(out), hold, ev.pai, ev.latency, ev.qoe)


@dataclass(frozen=True)
class OnlineEvaluation:
    """A run's objective and what happened in each period.

    Per period: ``period_values``, ``free`` (GPUs free at the decision moment), ``gpus``,
    ``b``, ``hold_s``, ``occupied`` (later moments the batch holds) and ``busy`` (GPUs in
    use at the moment, this period's batch included). Per user (all periods, in order):
    ``pai``, ``latency``, ``qoe``.
    """

    objective: float
    period_values: np.ndarray
    free: np.ndarray
    gpus: np.ndarray
    b: np.ndarray
    hold_s: np.ndarray
    occupied: np.ndarray
    busy: np.ndarray
    pai: np.ndarray
    latency: np.ndarray
    qoe: np.ndarray
    violations: tuple[str, ...]
    convention: str
    latency_model: str = "paper"

    @property
    def feasible(self) -> bool:
        """True when no period breaks a rule."""
        return not self.violations

    @property
    def n_users(self) -> int:
        """Users over all periods."""
        return int(self.qoe.size)

    @property
    def objective_per_user(self) -> float | None:
        """The objective divided by the number of users (None without users)."""
        return self.objective / self.n_users if self.n_users else None

    @property
    def granted(self) -> int:
        """Users granted over all periods."""
        return int(self.b.sum())


def evaluate_online(inst: OnlineInstance, sol: OnlineSolution, latency_model: str = "paper",
                    convention: str | None = None) -> OnlineEvaluation:
    """Replay the decision log on the scenario's pool and score every period.

    The whole run is scored at once: every user of every period through the paper family's
    terms (``granted_qoe`` of all users on each GPU count the log uses, ``denied_qoe``),
    which is ``score_period`` period by period; a period that breaks one of the paper
    family's rules is re-checked with ``score_period`` for the message."""
    if not isinstance(sol, OnlineSolution):
        raise ValidationError("solution: an online scenario needs a decision log (periods)")
    if latency_model != "paper":
        raise ValidationError(f"latency model: the online family has only the paper's, got "
                              f"{latency_model!r}")
    if convention is not None and convention not in CONVENTIONS:
        raise ValidationError(f"convention: must be one of {', '.join(CONVENTIONS)}, got "
                              f"{convention!r}")
    header = inst.header
    if convention is not None and convention != header.convention:
        header = header.replace(convention=convention)
    T = inst.n_periods
    if sol.n_periods != T:
        raise InvalidInput(f"periods: the log has {sol.n_periods} decisions, the scenario "
                           f"{T} periods")
    sizes = inst.period_sizes()
    for t, d in enumerate(sol.periods):
        if d.n_users != sizes[t]:
            raise InvalidInput(f"period {t}: the log decides {d.n_users} users, the "
                               f"scenario has {sizes[t]}")
    gpus = np.array([d.gpus for d in sol.periods], dtype=np.int64)
    b = np.array([d.b for d in sol.periods], dtype=np.int64)
    empty = np.empty(0)
    grant = np.concatenate([d.grant for d in sol.periods] or [np.empty(0, bool)])
    split = np.concatenate([d.split for d in sol.periods] or [empty])
    # Every user's QoE: the paper family's terms on each period's g (scored on G where a
    # batch without GPUs breaks a rule anyway).
    owner = np.repeat(np.arange(T), sizes)
    g_user = np.where(gpus > 0, gpus, header.G)[owner]
    qoe, pai, latency = empty, empty, empty
    if inst.n_users:
        base = inst.all_users() if convention is None else _with_convention(inst, convention)
        qoe = denied_qoe(base).astype(np.float64)
        for g in np.unique(g_user[grant]):
            on_g = grant & (g_user == g)
            scored = granted_qoe(base.replace(G=int(g)) if g != base.G else base,
                                 b[owner], split)
            qoe = np.where(on_g, scored, qoe)
        pai = base.pai(split)
        latency = base.alpha * pai - qoe
    values = np.bincount(owner, weights=qoe, minlength=T) if qoe.size else np.zeros(T)
    # The rules, period by period, and the pool replayed.
    pool = Pool(header.G, header.K)
    free = np.zeros(T, dtype=np.int64)
    hold = np.zeros(T)
    occupied = np.zeros(T, dtype=np.int64)
    violations: list[str] = []
    N, N_hat, tol = header.N, header.N_hat, TOL * header.N
    suspect = ((split < N_hat - tol) | (split > N + tol) | (~grant & (np.abs(split - N) > tol))
               | (split != np.round(split)))
    odd = np.bincount(owner[suspect], minlength=T) if suspect.any() else np.zeros(T, int)
    for t, d in enumerate(sol.periods):
        free[t] = max(header.G - pool.busy_at(t), 0)
        if gpus[t] > free[t] or (b[t] > 0) != (gpus[t] > 0) or b[t] > header.B_max or odd[t]:
            violations += score_period(header, inst.period(t), d, int(free[t])).violations
        hold[t] = d.hold_s(header) if gpus[t] > 0 else 0.0
        occupied[t] = occupied_moments(hold[t], header.K)
        pool.start(t, int(gpus[t]), hold[t])
    return OnlineEvaluation(
        objective=finite_objective(values.sum()), period_values=values, free=free, gpus=gpus,
        b=b, hold_s=hold, occupied=occupied, busy=header.G - free + gpus, pai=pai,
        latency=latency, qoe=qoe, violations=tuple(violations),
        convention=header.convention)


def _with_convention(inst: OnlineInstance, convention: str):  # noqa: ANN202
    """All users as one paper instance under another edge-latency convention."""
    return inst.all_users().replace(convention=convention)
