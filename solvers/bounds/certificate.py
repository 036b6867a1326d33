"""What every bound method shares: the result of one method, the certificate (a computed
value less a first-order bound on its rounding error, rounded up when the optimum is an
integer), the local-search upper bound the subgradient steps aim at, and the continuous
knapsack of the master problems."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.solvers.base import Deadline
from gqap.solvers.formulations import GQAPModelData
from gqap.solvers.gqap_delta import GQAPDelta
from gqap.solvers.warm_start import gqap_start

EPS = 2.0 ** -53  # unit roundoff of float64


@dataclass
class BoundResult:
    """One method's answer: the safe bound (None when none was reached), the raw value it
    came from, the rounding margin taken off, status text, seconds, extras."""

    method: str
    bound: float | None
    raw: float | None = None
    margin: float = 0.0
    status: str = ""
    seconds: float = 0.0
    infeasible: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def integral_costs(data: GQAPModelData) -> bool:
    """True when every linear and pair cost is an integer below 2^53 in size, so that every
    assignment's cost, hence the optimum, is an integer."""
    lin = data.lin[data.allowed]
    pc = data.pair_cost[data.pair_allowed]
    vals = np.concatenate([lin, pc])
    if vals.size == 0:
        return True
    big = float(np.abs(vals).max())
    total = float(np.abs(lin).sum() + np.abs(pc).sum())
    return bool(np.all(vals == np.round(vals)) and big < 2.0 ** 53 and total < 2.0 ** 53)


def certify(raw: float, margin: float, integral: bool) -> float:
    """The reported bound: ``raw - margin``, rounded up to an integer when the optimum is
    known to be one (``integral``)."""
    safe = raw - margin
    if integral and math.isfinite(safe):
        return float(math.ceil(safe))
    return float(safe)


def upper_bound(inst: GQAPInstance, deadline: Deadline, max_seconds: float) -> float | None:
    """A feasible cost by first-fit-decreasing and best-improvement shifts and swaps (the
    Polyak target of the subgradient steps); None when first-fit fails."""
    start = gqap_start(inst)
    if start is None:
        return None
    state = GQAPDelta(inst, start.assignment)
    t_end = time.perf_counter() + max_seconds
    while time.perf_counter() < t_end and not deadline.expired():
        S, dO, dC, dOs, _ = state.neighbourhood()
        shifts = np.where(dO <= 0.0, S, np.inf)
        shifts[np.arange(state.n), state.x] = np.inf
        i, k = np.unravel_index(int(np.argmin(shifts)), shifts.shape)
        swaps = np.where((dOs <= 0.0) & (state.pair_invalid == 0.0), dC, np.inf)
        a, b = np.unravel_index(int(np.argmin(swaps)), swaps.shape)
        best_shift, best_swap = float(shifts[i, k]), float(swaps[a, b])
        if min(best_shift, best_swap) >= -1e-9 * max(1.0, abs(state.cost)):
            break
        if best_shift <= best_swap:
            state.shift(int(i), int(k))
        else:
            state.swap(int(a), int(b))
    return state.exact_cost() if state.feasible else None


def continuous_knapsack(s: np.ndarray, w: np.ndarray,
                        cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max sum s z subject to sum w z <= cap, 0 <= z <= 1, along the last axis (Dantzig's
    greedy by ratio, exact for the continuous problem): (value, z). Items with s <= 0 are
    never taken; ``cap`` must be >= 0."""
    s = np.asarray(s, dtype=np.float64)
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), s.shape)
    useful = s > 0.0
    safe_w = np.where(w > 0.0, w, 1.0)
    ratio = np.where(useful, np.where(w > 0.0, s / safe_w, np.inf), -1.0)
    order = np.argsort(-ratio, axis=-1, kind="stable")
    s_o = np.take_along_axis(np.where(useful, s, 0.0), order, axis=-1)
    w_o = np.take_along_axis(np.where(useful, w, 0.0), order, axis=-1)
    prev = np.cumsum(w_o, axis=-1) - w_o
    room = np.asarray(cap, dtype=np.float64)[..., None] - prev
    frac = np.where(w_o > 0.0, np.clip(room / np.where(w_o > 0.0, w_o, 1.0), 0.0, 1.0),
                    np.where(room >= 0.0, 1.0, 0.0))
    frac = np.where(s_o > 0.0, frac, 0.0)
    value = (frac * s_o).sum(axis=-1)
    z = np.empty_like(frac)
    np.put_along_axis(z, order, frac, axis=-1)
    return value, z


class Subgradient:
    """Step control shared by the subgradient loops: keeps the best value (raw value and
    rounding margin), takes Polyak steps toward ``upper`` (else 5 % above the best) and
    halves the step after 20 evaluations without gain; ``stop`` says when to end and
    ``status`` why. A value counts as the new best when it beats the best by more than
    ``accept_rel`` (relative), and restarts the stall count when it beats it by more than
    ``reset_rel``."""

    def __init__(self, upper: float | None, max_iterations: int, deadline: Deadline,
                 accept_rel: float, reset_rel: float) -> None:
        self.upper, self.max_iterations, self.deadline = upper, max_iterations, deadline
        self.accept_rel, self.reset_rel = accept_rel, reset_rel
        self.best, self.margin = -math.inf, 0.0
        self.theta, self.stall, self.it = 2.0, 0, 0
        self.status = "iteration limit"

    def stop(self, L: float, margin: float) -> bool:
        """Record the value ``L`` (safe value ``L - margin``); True when the loop ends."""
        value, best, scale = L - margin, self.best - self.margin, max(1.0, abs(L))
        if value > best + self.accept_rel * scale:
            self.best, self.margin = L, margin
            if value > best + self.reset_rel * scale:
                self.stall = 0
        else:
            self.stall += 1
        up = self.upper
        if up is not None and self.best - self.margin >= up - 1e-9 * max(1.0, abs(up)):
            self.status = "reached the upper bound"
            return True
        if self.it >= self.max_iterations:
            return True
        if self.deadline.expired():
            self.status = "time limit"
            return True
        if self.stall >= 20:
            self.theta, self.stall = self.theta / 2.0, 0
            if self.theta < 1e-4:
                self.status = "converged (step below 1e-4)"
                return True
        return False

    def step(self, L: float, norm: float) -> float:
        """The step length along a subgradient of squared norm ``norm`` from value ``L``."""
        best = self.best
        goal = self.upper if self.upper is not None else best + 0.05 * max(1.0, abs(best))
        self.it += 1
        return self.theta * max(goal - L, 1e-9 * max(1.0, abs(L))) / norm
