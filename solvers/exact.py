"""Exact solver: the offloading family here, the multi-cluster family in ``multi_exact``.

One registry name, one class: ``ExactSolver`` maps each family it supports to the method
that solves it (``_BY_FAMILY``), so the family is read in one place rather than tested in
every code path.

Offloading (MODEL.md section 2, "Structure worth exploiting").

Users interact only through b, the number of granted users. For a fixed b every user's
best split and its gain g_i(b) = h_i(b) - l_T(b) of granting over denying are independent
of the others (h_i(b) >= 0 is the split gain, see ``gqap.offloading.split.SplitTable``), so the best
decision with exactly b grants takes the b largest gains:
value(b) = D + top_b(h(b)) - t(b), with D the all-local objective and t(b) = b l_T(b).
Scanning b = 1..min(|I|, B_max) and keeping the best value is exact.

Pruning. h_i never increases with b (L_e grows, N - n >= 0), so for every b' >= b
value(b') <= D + top_{b'}(h(b)) - t(b'), and the scan stops at the first b where
U_b = D + max_{b' >= b} [top_{b'}(h(b)) - t(b')] cannot beat the incumbent. U_b is never
above the issue's bound D + sum_i max(g_i(b), 0), usually well below, so the scan stops
a step or two after the optimum instead of near twice it.

Small instances (up to ``_DENSE_MAX_USERS`` users) evaluate blocks of b at once and get
value(b) and U_b from each sorted row. Large ones evaluate every user only at b = 1: a user
whose last computed h (an upper bound on its current h) is at most tau_b, a lower bound on
the b-th largest h(b) from the previous row's leaders, cannot enter the top b, and when
U_b is due (once value(b) stopped rising) users with h at most t(b+1) - t(b) cannot raise
it. The top b is found by partial selection (argpartition), not a sort.

``info`` holds the value of every b examined and the bound that excludes the rest: a
certificate that ``verify_certificate`` re-checks with the evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.evaluation import evaluate
from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import SplitTable, grant_gains
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.multi_exact import exact_multi_output
from gqap.solvers.options import SplitOptions, check_at_least

_DENSE_MAX_USERS = 256  # up to this many users: whole blocks of b, rows sorted
_BLOCK_ELEMENTS = 1 << 15  # (b, user) pairs per block on the dense path
_LEADERS = 8  # extra users kept beyond 2b from one row to bound the next row's b-th gain


@dataclass
class _Scan:
    """Running state of the b-scan."""

    all_local: float
    values: list[tuple[int, float]] = field(default_factory=list)
    best_b: int = 0
    best_value: float = -np.inf
    # (h, n, users) of the row that set best_b; users None means all of them.
    best_row: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None
    stopped_at: int | None = None
    stop_bound: float | None = None
    evaluations: int = 0
    timed_out: bool = False
    open_bound: float | None = None  # bound on the b not examined when time ran out

    def record(self, b: int, value: float) -> bool:
        """Store value(b); True when it beats the incumbent."""
        self.values.append((b, value))
        if value > self.best_value:
            self.best_b, self.best_value = b, value
            return True
        return False

    def decision(self) -> tuple[np.ndarray, np.ndarray]:
        """(granted users, their split points) at best_b: the b largest gains of its row."""
        if self.best_row is None or self.best_b == 0:
            return np.empty(0, dtype=np.int64), np.empty(0)
        h, n, users = self.best_row
        top = np.argpartition(h, h.size - self.best_b)[h.size - self.best_b:]
        return (top if users is None else users[top]), n[top]


def _extra(rest: np.ndarray, increments: np.ndarray) -> float:
    """max over k >= 0 of sum_{j<=k} (x_j - increments[j-1]) for x = rest sorted descending.

    ``increments[j]`` is t(b+j+1) - t(b+j): the marginal transmission cost of one more grant.
    """
    if rest.size == 0 or increments.size == 0:
        return 0.0
    x = -np.sort(-rest)[: increments.size]
    return max(0.0, float(np.cumsum(x - increments[: x.size]).max()))


def _time_out(scan: _Scan, inst: OffloadingInstance, b: int, h_prev: np.ndarray | None) -> None:
    """Stop at b for lack of time; bound every b' >= b by the positive gains at b - 1.

    ``h_prev`` bounds h(b - 1) from above user by user; h(b') <= h(b - 1), l_T(b') >= l_T(b).
    """
    scan.timed_out = True
    if h_prev is not None and np.all(np.isfinite(h_prev)):
        scan.open_bound = scan.all_local + float(np.maximum(
            h_prev - inst.transmission_latency(float(b)), 0.0).sum())


def _scan_dense(table: SplitTable, inst: OffloadingInstance, scan: _Scan, t: np.ndarray,
                deadline: Deadline) -> None:
    """Every user at every b, in blocks of b; exact U_b from each sorted row."""
    m, b_lim = inst.n_users, inst.max_granted
    rows = max(1, _BLOCK_ELEMENTS // m)
    le_all = inst.edge_step_latency(np.arange(1, b_lim + 1))
    b, h = 1, None
    while b <= b_lim:
        if deadline.expired():
            _time_out(scan, inst, b, None if h is None else h[-1])
            return
        bs = np.arange(b, min(b_lim, b + rows - 1) + 1)
        n, h = table.split_gain(le_all[bs - 1][:, None])
        scan.evaluations += h.size
        csum = np.cumsum(-np.sort(-h, axis=1), axis=1)[:, :b_lim]
        # U_b: the best of top_{b'} - t(b') over b' >= b, a suffix maximum along each row.
        slack = csum - t[None, :]
        suffix = np.maximum.accumulate(slack[:, ::-1], axis=1)[:, ::-1]
        rows_ = np.arange(bs.size)
        values = (scan.all_local + slack[rows_, bs - 1]).tolist()
        bounds = (scan.all_local + suffix[rows_, bs - 1]).tolist()
        for j, bb in enumerate(bs.tolist()):
            if bounds[j] <= scan.best_value:
                scan.stopped_at, scan.stop_bound = bb, bounds[j]
                return
            if scan.record(bb, values[j]):
                scan.best_row = (h[j], n[j], None)
        b = int(bs[-1]) + 1


def _scan_sparse(table: SplitTable, inst: OffloadingInstance, scan: _Scan, t: np.ndarray,
                 deadline: Deadline) -> None:
    """Candidate filtering: only users that may reach the top b (or raise U_b) are evaluated."""
    m, b_lim = inst.n_users, inst.max_granted
    ub = np.full(m, np.inf)  # upper bound on every user's current h
    leaders = np.empty(0, dtype=np.int64)
    last_improved = True
    for b in range(1, b_lim + 1):
        if deadline.expired():
            _time_out(scan, inst, b, ub)
            return
        le = inst.edge_step_latency(float(b))
        if leaders.size >= b:
            _, h_lead = table.split_gain(le, leaders)
            scan.evaluations += leaders.size
            tau = float(np.partition(h_lead, leaders.size - b)[leaders.size - b])
        else:
            tau = -np.inf
        # The bound is worth its cost only once the values stop rising.
        want_bound = b < b_lim and not last_improved
        step = float(t[b] - t[b - 1]) if b < b_lim else np.inf
        theta = min(tau, step) if want_bound else tau
        if theta == -np.inf:
            cand = None  # everyone; no gathers
            n, h = table.split_gain(le)
            ub = h.copy()
        else:
            mask = ub > theta
            mask[leaders] = True
            cand = np.flatnonzero(mask)
            n, h = table.split_gain(le, cand)
            ub[cand] = h
        scan.evaluations += h.size
        # Users outside cand have h <= theta <= tau, at most the b-th largest h(b).
        keep = min(h.size, 2 * b + _LEADERS)
        part = np.argpartition(h, (h.size - keep, h.size - b))
        value = scan.all_local + float(h[part[h.size - b:]].sum()) - float(t[b - 1])
        if want_bound:
            rest = h[part[: h.size - b]]
            bound = value + _extra(rest[rest > step], np.diff(t[b - 1:]))
            if bound <= scan.best_value:
                scan.stopped_at, scan.stop_bound = b, bound
                return
        last_improved = scan.record(b, value)
        if last_improved:
            scan.best_row = (h, n, cand)
        leaders = part[h.size - keep:]
        if cand is not None:
            leaders = cand[leaders]


def scan_batch_sizes(inst: OffloadingInstance, integer: bool = True,
                     deadline: Deadline | None = None) -> dict[str, Any]:
    """The b-scan behind the exact solver: values, best b, stop point and its bound.

    Returns plain data: ``b_values`` [(b, value)], ``b``, ``value``, ``stopped_at_b``,
    ``stop_bound``, ``timed_out``, ``open_bound``, ``gain_evaluations``, ``path``, and
    the decision at the best b: ``granted`` (user indices) with their ``split`` points.
    """
    deadline = deadline or Deadline(None)
    table = SplitTable(inst, integer=integer)
    scan = _Scan(all_local=float(denied_qoe(inst).sum()))
    scan.record(0, scan.all_local)
    b_lim = inst.max_granted
    bs = np.arange(1, b_lim + 1, dtype=np.float64)
    t = bs * inst.transmission_latency(bs)  # t(b) = b l_T(b), t[b-1] for b = 1..b_lim
    dense = inst.n_users <= _DENSE_MAX_USERS
    if b_lim:
        (_scan_dense if dense else _scan_sparse)(table, inst, scan, t, deadline)
    granted, split = scan.decision()
    return {"b_values": scan.values, "b": scan.best_b, "value": scan.best_value,
            "stopped_at_b": scan.stopped_at, "stop_bound": scan.stop_bound,
            "timed_out": scan.timed_out, "open_bound": scan.open_bound,
            "gain_evaluations": scan.evaluations, "path": "dense" if dense else "sparse",
            "granted": granted, "split": split}


def decision_for_b(inst: OffloadingInstance, b: int, integer: bool = True,
                   chosen: np.ndarray | None = None) -> OffloadingSolution:
    """The best decision with exactly b grants: the b largest gains, each at its best split.

    ``chosen`` (the granted users, if already known) skips the selection.
    """
    table = SplitTable(inst, integer=integer)
    le = inst.edge_step_latency(float(b))
    if chosen is None:
        _, h = table.split_gain(le)
        chosen = np.argpartition(h, inst.n_users - b)[inst.n_users - b:] if b else h[:0]
    chosen = np.asarray(chosen, dtype=np.int64)
    return _solution(inst, chosen, table.split_gain(le, chosen)[0])


def _solution(inst: OffloadingInstance, chosen: np.ndarray, split: np.ndarray,
              ) -> OffloadingSolution:
    grant = np.zeros(inst.n_users, dtype=bool)
    n = np.full(inst.n_users, float(inst.N))
    grant[chosen] = True
    n[chosen] = split
    return OffloadingSolution(grant, n)


@dataclass(frozen=True)
class ExactOptions(SplitOptions):
    """``split`` as every offloading solver; ``max_vectors`` (multi only): instances with
    more count vectors than this are refused unless a time limit is given (the work is
    governed by the bounds, not by the count; the default admits 12 sites of 18 slots)."""

    max_vectors: int = 10 ** 16

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, 1, "max_vectors")


class ExactSolver(Solver):
    """Proven optimum with integer or real split points: the b-scan (offloading) or count
    vectors with Lagrangian bounds (multi)."""

    name = "exact"
    families = ("offloading", "multi")
    version = "2"  # refined stop bound, candidate filtering; same optima as version 1
    Options = ExactOptions
    _BY_FAMILY = {"offloading": "_offloading", "multi": "_multi"}

    def _solve(self, instance: Instance, time_limit: float | None,
               seed: int) -> SolverOutput:
        return getattr(self, self._BY_FAMILY[instance.family])(instance, time_limit)

    def _multi(self, instance: MultiInstance, time_limit: float | None) -> SolverOutput:
        # Without a time limit an out-of-reach instance is refused; with one, the bounded
        # search returns the best found and a bound on the rest.
        limit = self.options.max_vectors if time_limit is None else None
        return exact_multi_output(instance, self.options.integer, Deadline(time_limit), limit)

    def _offloading(self, instance: OffloadingInstance,
                    time_limit: float | None) -> SolverOutput:
        scan = scan_batch_sizes(instance, self.options.integer, Deadline(time_limit))
        best_b = scan["b"]
        solution = _solution(instance, scan["granted"], scan["split"])
        info = {"split_mode": self.options.split, "b": best_b, "b_values": scan["b_values"],
                "b_examined": len(scan["b_values"]), "b_max": instance.max_granted,
                "stopped_at_b": scan["stopped_at_b"], "stop_bound": scan["stop_bound"],
                "gain_evaluations": scan["gain_evaluations"], "path": scan["path"]}
        if scan["timed_out"]:
            bound = scan["open_bound"]
            return SolverOutput(solution, Status.TIME_LIMIT,
                                bound=None if bound is None else max(bound, scan["value"]),
                                info=info)
        return SolverOutput(solution, Status.OPTIMAL, bound=scan["value"], info=info)


def verify_certificate(inst: OffloadingInstance, info: dict[str, Any]) -> list[str]:
    """Re-check an exact solve's ``info`` with the evaluator; returns the problems found.

    Every listed value(b) must equal the evaluator's objective of the best decision with b
    grants (built from ``grant_gains``), the b's must run 0, 1, ... without a gap, and the
    b's after the last one must be excluded: none left, or the bound at the stop point,
    recomputed here by a full sort, equal to the listed one and not above the best value.
    """
    integer = info["split_mode"] == "integer"
    problems = []
    values = [(int(b), float(v)) for b, v in info["b_values"]]
    bs = [b for b, _ in values]
    if bs != list(range(len(bs))):
        problems.append(f"b values do not run 0..{len(bs) - 1}: {bs}")
    best = max(v for _, v in values)
    for b, v in values:
        if b == 0:
            sol = OffloadingSolution(np.zeros(inst.n_users, bool), np.full(inst.n_users, inst.N))
        else:
            _, gain = grant_gains(inst, b, integer=integer)
            chosen = np.argsort(-gain, kind="stable")[:b]
            sol = decision_for_b(inst, b, integer, chosen)
        objective = evaluate(inst, sol).objective
        if abs(objective - v) > 1e-9 * max(1.0, abs(v)):
            problems.append(f"b = {b}: certificate says {v!r}, evaluator {objective!r}")
    if dict(values).get(int(info["b"])) != best:
        problems.append(f"b = {info['b']} is not the best listed value")
    stop = info["stopped_at_b"]
    last = bs[-1] if bs else -1
    if stop is None:
        if last != inst.max_granted:
            problems.append(f"scan ended at b = {last} < {inst.max_granted} without a stop")
        return problems
    if stop != last + 1:
        problems.append(f"stopped at b = {stop} but the last value is for b = {last}")
    _, gain = grant_gains(inst, stop, integer=integer)
    h = gain + inst.transmission_latency(float(stop))
    b_rest = np.arange(stop, inst.max_granted + 1)
    top = np.cumsum(-np.sort(-h))[b_rest - 1]
    bound = float(denied_qoe(inst).sum() + np.max(top - b_rest * inst.transmission_latency(
        b_rest.astype(float))))
    if bound > best + 1e-9 * max(1.0, abs(best)):
        problems.append(f"bound {bound!r} at b = {stop} beats the best value {best!r}")
    if abs(bound - float(info["stop_bound"])) > 1e-9 * max(1.0, abs(bound)):
        problems.append(f"stop bound {info['stop_bound']!r} at b = {stop} differs from its "
                        f"recomputation {bound!r}")
    return problems
