"""Iterated tabu search for both families (Silva, Coelho and Darvish 2021; Cordeau et al. 2006).

GQAP: best-improvement tabu search over the shift (facility to another site) and swap
(two facilities on different sites exchange sites) neighbourhoods. Every move is priced in
O(1) from the contribution matrix of ``solvers.gqap_delta`` and the whole neighbourhood is
one numpy expression; applying a move updates the matrix in O(n m). Tight capacities are
crossed by strategic oscillation: the search minimises cost + lambda * overload, where
lambda grows while the current assignment is overloaded and shrinks while it is feasible,
so the search can cut through infeasible space and come back; only feasible assignments
count as best. Moving facility i off site p forbids putting it back on p for a random
tenure; a tabu move is allowed when it yields a feasible assignment better than the best
(aspiration; worked out only when the cheapest move could beat the best at all). A move is
applied as one small matrix product (``GQAPDelta.move``). After ``patience`` iterations
without a better round best a round ends; its best feasible assignment is offered to an
elite pool of up to 10 round bests that differ pairwise in at least n / 10 facilities'
sites (a newcomer closer to a member replaces it only if better; otherwise it enters,
displacing the worst member when the pool is full and it beats that one). Then the search
restarts: after a round that improved the best, from the best, kicked; after a failed
round, mostly (70 %) by path relinking between two random elite members (Mateus, Resende
and Silva 2011: walk from one to the other, each step moving the differing facility whose
move to its guide site is cheapest in penalised cost, and start at the best point of the
middle half of the path, so the search resumes between two good regions instead of around
one), else (20 %) from a random elite member, else from the best, kicked. Around the best
alone the search keeps revisiting one basin (40-09-95, 10 s: 3 of 10 seeds reached the
reference restarting from the best only, 9 with these restarts). A kick: half the time
the contents of two sites are exchanged (good assignments cluster facilities on few
sites, and no single shift or swap relocates a cluster), then random facilities move to
random sites, more of them after every round that failed to improve the best.
Before a round ends, its best assignment gets the best improving one-for-two exchange
(``GQAPDelta.one_for_two``: one facility moves to another site and two of that site's
facilities move to its site, both sites within capacity), again while one improves; if
any did, the round goes on from there. On tight capacities this is the step no shift or
swap takes: C14X6-1018's trap at 2,379,550, where 4 of 10 1-s runs stopped, is one such
exchange from the optimum (Lee & Ma, 1 s, seeds 10-19: 270 of 270 runs reach the
optimum, 265 without the exchanges; 40-09-95, 10 s, seeds 10-29: 18 of 20, 15 without).
All of this works around the best of the current segment: after ``restart_after`` (100)
rounds in a row that failed to improve it, the search starts a new segment from a random
assignment with an empty elite pool (the overall best is kept). On tight instances the
elite pool can gather in one basin that no relinking leaves (30-20-95, 10 s, seeds 10-29:
9 of 20 runs reached the reference without new segments, 14 of 20 with them; seeds 0-9: 5
of 10 either way). On Lee & Ma at 1 s they change nothing that 60 seeds can see
(C14X6-1018, seeds 0-59: 43 of 60 runs reach the optimum with them, 41 without).

Offloading: the same search over grant masks. Users interact only through b, so the
gains of granting over denying, g_i(b), come from the fast split routine
(``gqap.offloading.split.grant_gains``, vectorised over users) once per b the search visits; the
value of a mask is sum(denied QoE) + sum of the granted users' g_i(b). Moves: grant one
user (b + 1, only while b < B_max), deny one (b - 1), or exchange a granted and a denied
user (b fixed), each priced in O(1); exchanges are separable (cur - g_i + g_j), so the
best of all b (|I| - b) is found by two O(|I|) scans.

When it ends. Always at ``target``, at ``max_iterations`` if given, and at the time limit.
Besides, GQAP without a time limit runs 200 n + 2000 iterations (with one, the whole
budget is used, as is usual for literature runs); offloading ends after ``stop_after``
iterations without a new best (default 20 |I| + 200), with or without a time limit: its
landscape is far smaller, and a runtime that depends on the instance is what scaling
studies need.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.evaluation import gqap_cost
from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.multi.split import gain_table
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains
from gqap.solvers.base import Solver, SolverOutput
from gqap.solvers.gqap_delta import GQAPDelta
from gqap.solvers.multi_delta import MultiDelta
from gqap.solvers.options import SplitOptions
from gqap.solvers.termination import Progress, Termination

_INF = math.inf
_PENALTY_STEP = 0.1  # lambda is multiplied / divided by 1 + this each iteration
_EXACT_EVERY = 2000  # iterations between exact cost recomputations (rounding drift)
_ELITE = 10  # elite pool size (distinct round bests)
_P_RELINK = 0.7  # after a failed round: restart by relinking two elite assignments,
_P_ELITE = 0.2  # or from a random elite one kicked; else from the best, kicked


@dataclass(frozen=True)
class TabuOptions(SplitOptions):
    """``target``: stop once this objective is reached; ``max_iterations``: iteration budget
    (GQAP default: 200 n + 2000 without a time limit, none with one); ``stop_after``
    (offloading): iterations without a new best before the search ends (default
    20 |I| + 200); ``patience``: iterations without a better round best before a
    perturbation (default: size-based); ``restart_after`` (GQAP): rounds in a row that fail
    to improve the segment's best before the search starts a new segment from a random
    assignment (0: never)."""

    target: float | None = None
    max_iterations: int | None = None
    stop_after: int | None = None
    patience: int | None = None
    restart_after: int = 100

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.target is not None and not math.isfinite(self.target):
            raise ValueError(f"target must be a finite number, got {self.target}")
        for name in ("max_iterations", "stop_after", "patience"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        if self.restart_after < 0:
            raise ValueError(f"restart_after must be >= 0 (0: never), got {self.restart_after}")


class TabuSolver(Solver):
    """Iterated tabu search with strategic oscillation (GQAP), over grant masks
    (offloading) or over site vectors (multi); ``_SEARCHES`` maps a family to its search."""

    name = "tabu"
    families = ("offloading", "classic", "multi")
    # 2: the offloading kick is one vectorised step (was a loop with a count per user).
    # 3: GQAP: elite pool with path-relinking restarts, patience max(30, 2 n), faster moves.
    # 4: GQAP: new segments from random assignments after 100 failed rounds; the
    #    neighbourhood priced in one pass, tenures drawn in blocks (~10 % more iterations/s).
    # 5: GQAP: a round's best gets improving one-for-two exchanges before the round ends.
    version = "5"
    Options = TabuOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        start = time.perf_counter()  # the clock covers the set-up (gain tables, matrices)
        rng = np.random.default_rng(seed)
        return _SEARCHES[instance.family](instance, self.options, time_limit, rng,
                                          start).run()


def _termination(options: TabuOptions, time_limit: float | None, default_budget: int | None,
                 stagnation: int | None = None) -> Termination:
    budget = options.max_iterations
    if budget is None and time_limit is None:
        budget = default_budget
    return Termination(time_limit=time_limit, max_iterations=budget, target=options.target,
                       stagnation=stagnation)


def _pick(rng: np.random.Generator, values: np.ndarray, best: float) -> int:
    """A random flat index among the entries equal to ``best`` (ties broken by the RNG)."""
    tol = 1e-9 * max(1.0, abs(best))
    ties = np.flatnonzero(values <= best + tol)
    return int(ties[0] if ties.size == 1 else ties[rng.integers(ties.size)])


class _GQAPSearch:
    """Tabu search with strategic oscillation on one GQAP instance."""

    def __init__(self, inst: GQAPInstance, options: TabuOptions, time_limit: float | None,
                 rng: np.random.Generator, start: float | None = None) -> None:
        self.inst, self.rng = inst, rng
        n, m = inst.n, inst.m
        self.n, self.m = n, m
        self.patience = options.patience or max(30, 2 * n)
        self.tenure = (max(2, n // 5), max(4, n // 2 + 1))
        self.progress = Progress(_termination(options, time_limit, 200 * n + 2000), "min",
                                 start=start)
        self.upper = np.triu(np.ones((n, n), dtype=bool), 1)
        self.evaluated = 0
        self.elite: list[tuple[float, np.ndarray]] = []
        self.min_dist = max(2, n // 10)  # elite members differ in at least n / 10 sites
        self.restart_after = options.restart_after
        self._tenures, self._tenure_at = np.zeros(0, dtype=np.int64), 0

    def run(self) -> SolverOutput:
        inst, rng, prog = self.inst, self.rng, self.progress
        n, m = self.n, self.m
        if m == 1:  # a single assignment exists (the instance guarantees it fits)
            prog.record(float(gqap_cost(inst, np.zeros(n, dtype=np.int64))))
            return SolverOutput(GQAPSolution(np.zeros(n, dtype=np.int64)), prog.status(None),
                                info={**prog.info(None), **self._rates(0.0)})
        D = GQAPDelta(inst, rng.integers(0, m, size=n))
        # Overload is priced in cost per unit weight; start at the mean cost spread per weight.
        spread = float(np.mean(D.C.max(axis=1) - D.C.min(axis=1)))
        lam = max(spread / max(float(inst.q.mean()), 1e-12), 1e-9)
        lam_min, lam_max = lam * 1e-6, lam * 1e6
        tabu = np.zeros((n, m), dtype=np.int64)
        best_x: np.ndarray | None = None
        anchor_x: np.ndarray | None = None  # the segment's best (the best, without restarts)
        anchor = _INF
        round_x: np.ndarray | None = None
        round_best, round_iter, perturbations = _INF, 0, 0
        fails, segments = 0, 1
        rows = np.arange(n)
        improved = polished = False
        reason = prog.stop_reason()
        search_start = time.perf_counter()
        while reason is None:
            it = prog.iteration
            x = D.x
            S, dO, dC, dOs, over = D.neighbourhood()
            cost = D.cost
            best = prog.best
            limit = best - 1e-9 * max(1.0, abs(best)) if math.isfinite(best) else _INF
            # Shifts; tabu ones only where aspiration (a feasible new best) fails. Aspiration
            # is only worked out when some move could beat the best at all (cheap bound).
            fs = S + lam * dO
            fs[rows, x] = _INF
            flat_s = fs.ravel()
            held_s = tabu > it
            if cost + float(S.min()) >= limit:
                fs[held_s] = _INF
            else:
                held = np.flatnonzero(held_s)
                aspire = (over + dO.ravel()[held] <= 1e-9) & (cost + S.ravel()[held] < limit)
                flat_s[held[~aspire]] = _INF
            # Swaps: tabu when either facility would return to a forbidden site.
            low_w = float(dC.min())  # cost change alone, invalid pairs included: a bound
            pen = dOs * lam
            dC += pen
            dC += D.pair_invalid
            flat_w = dC.ravel()
            tb = tabu[:, x] > it
            tb |= tb.T
            if cost + low_w >= limit:
                dC[tb] = _INF
            else:
                held = np.flatnonzero(tb)
                dcost = flat_w[held] - pen.ravel()[held]  # cost change alone
                aspire = (over + dOs.ravel()[held] <= 1e-9) & (cost + dcost < limit)
                flat_w[held[~aspire]] = _INF
            self.evaluated += n * (m - 1) + D.n_swaps

            b_shift, b_swap = flat_s.min(), flat_w.min()
            if not (b_shift < _INF or b_swap < _INF):
                self._restart(D, anchor_x, tabu, fails, lam)
                prog.step()
                reason = prog.stop_reason()
                continue
            if b_shift <= b_swap:
                flat = _pick(rng, flat_s, b_shift)
                i, k = divmod(flat, m)
                p = int(x[i])
                D.move(i, k, -1, S[i, k])
                tabu[i, p] = it + self._tenure()
            else:
                flat = _pick(rng, flat_w, b_swap)
                i, j = divmod(flat, n)
                p, r = int(x[i]), int(x[j])
                D.move(i, r, j, S[i, r] + S[j, p] + D.pair_cost[i, j])
                tabu[i, p] = it + self._tenure()
                tabu[j, r] = it + self._tenure()
            prog.step()
            if it % _EXACT_EVERY == 0:
                D.exact_cost()
            if (round_x is not None and not polished
                    and prog.iteration - round_iter >= self.patience):
                # Before the round ends, its best gets the one-for-two exchanges; if they
                # improve it, the round goes on from there (the bookkeeping below sees it).
                polished = True
                self._exchange(D, round_x)

            if D.feasible:
                lam = max(lam / (1.0 + _PENALTY_STEP), lam_min)
                if prog.is_better(D.cost):
                    prog.record(D.exact_cost())
                    best_x = D.x.copy()
                if anchor_x is None or D.cost < anchor - 1e-9 * max(1.0, abs(anchor)):
                    anchor, anchor_x, improved = D.cost, D.x.copy(), True
                if round_best == _INF or D.cost < round_best - 1e-9 * abs(round_best):
                    round_best, round_iter = D.cost, prog.iteration
                    round_x, polished = D.x.copy(), False
            else:
                lam = min(lam * (1.0 + _PENALTY_STEP), lam_max)
            if prog.iteration - round_iter >= self.patience:
                # Kick harder after every round that failed to improve the segment's best.
                fails = 0 if improved else fails + 1
                if round_x is not None:
                    self._admit(round_best, round_x)
                if self.restart_after and fails >= self.restart_after:
                    # A new segment: a random assignment, an empty elite pool.
                    anchor, anchor_x, fails = _INF, None, 0
                    self.elite.clear()
                    D.reset(rng.integers(0, m, size=n))
                    tabu.fill(0)
                    segments += 1
                else:
                    self._restart(D, anchor_x, tabu, fails, lam)
                perturbations += 1
                round_best, round_iter, round_x, improved = _INF, prog.iteration, None, False
            reason = prog.stop_reason()

        search_s = time.perf_counter() - search_start
        fallback = None
        if best_x is None:  # the search never reached a fitting assignment: try packing
            packed = first_fit_decreasing(inst.q, inst.Q)
            if packed is not None:
                prog.record(gqap_cost(inst, packed))
                best_x, fallback = packed, "first_fit_decreasing"
        info = prog.info(reason)
        if fallback:
            info["fallback"] = fallback
        info.update(self._rates(search_s), perturbations=perturbations, segments=segments,
                    final_penalty=lam)
        solution = GQAPSolution(best_x) if best_x is not None else None
        return SolverOutput(solution, prog.status(reason), info=info)

    def _tenure(self) -> int:
        """A random tabu tenure, drawn from a buffer refilled 1,024 at a time (a draw per
        move costs as much as pricing a small neighbourhood)."""
        if self._tenure_at == self._tenures.size:
            self._tenures = self.rng.integers(*self.tenure, size=1024, endpoint=True)
            self._tenure_at = 0
        self._tenure_at += 1
        return int(self._tenures[self._tenure_at - 1])

    def _rates(self, seconds: float) -> dict[str, Any]:
        it = self.progress.iteration
        return {"evaluated_moves": self.evaluated, "search_s": seconds,
                "moves_per_s": self.evaluated / seconds if seconds > 0 else None,
                "iterations_per_s": it / seconds if seconds > 0 else None}

    def _admit(self, cost: float, x: np.ndarray) -> None:
        """Offer a round's best feasible assignment to the elite pool."""
        elite = self.elite
        if elite:
            dist = [int(np.count_nonzero(e[1] != x)) for e in elite]
            c = int(np.argmin(dist))
            if dist[c] == 0:
                return
            if dist[c] < self.min_dist:  # too close to a member: replace it only if better
                if cost < elite[c][0]:
                    elite[c] = (cost, x.copy())
                return
        if len(elite) < _ELITE:
            elite.append((cost, x.copy()))
            return
        w = max(range(len(elite)), key=lambda e: elite[e][0])
        if cost < elite[w][0]:
            elite[w] = (cost, x.copy())

    def _exchange(self, D: GQAPDelta, x: np.ndarray) -> None:
        """Put D at ``x`` and apply improving one-for-two exchanges (the best each time)
        while there are any; D stays feasible if ``x`` is."""
        D.reset(x)
        while True:
            delta, i, j, h = D.one_for_two()
            self.evaluated += self.n * int((D.counts * (D.counts - 1)).sum() // 2)
            if not delta < -1e-9 * max(1.0, abs(D.cost)):
                return
            y = D.x.copy()
            y[i], y[j], y[h] = y[j], y[i], y[i]
            D.reset(y)

    def _restart(self, D: GQAPDelta, anchor_x: np.ndarray | None, tabu: np.ndarray,
                 fails: int, lam: float) -> None:
        """Start the next round (module docstring) around ``anchor_x``, the segment's best:
        from it after a round that improved it, else by relinking two elite members, from
        one of them or from it; ``lam`` prices overload along the relinking path."""
        rng, elite = self.rng, self.elite
        if anchor_x is None:
            self._perturb(D, D.x, tabu, fails)
            return
        if fails == 0 or len(elite) < 2:
            self._perturb(D, anchor_x, tabu, fails)
            return
        u = rng.random()
        if u < _P_RELINK:
            a, b = rng.choice(len(elite), size=2, replace=False)
            self._relink(D, elite[a][1], elite[b][1], lam)
            tabu.fill(0)
        elif u < _P_RELINK + _P_ELITE:
            self._perturb(D, elite[int(rng.integers(len(elite)))][1], tabu, fails)
        else:
            self._perturb(D, anchor_x, tabu, fails)

    def _relink(self, D: GQAPDelta, a: np.ndarray, b: np.ndarray, lam: float) -> None:
        """Greedy path relinking from a to b: each step moves the differing facility whose
        move to its site in b is cheapest (cost + lam * overload); D ends at the best point
        of the middle half of the path (far enough from both ends to be new ground)."""
        D.reset(a)
        diff = np.flatnonzero(a != b)
        total = diff.size
        lo, hi = max(1, total // 4), max(1, total - total // 4)
        best_v, best_x = _INF, None
        for step in range(1, total):
            idx = diff[D.x[diff] != b[diff]]
            tgt = b[idx]
            dcost, dover = D.shift_values(idx, tgt)
            vals = dcost + lam * dover
            k = _pick(self.rng, vals, float(vals.min()))
            D.move(int(idx[k]), int(tgt[k]), -1, float(dcost[k]))
            if lo <= step <= hi:
                v = D.cost + lam * D.overload
                if v < best_v:
                    best_v, best_x = v, D.x.copy()
        if best_x is None:
            best_x = D.x.copy()
        D.reset(best_x)

    def _perturb(self, D: GQAPDelta, base_x: np.ndarray, tabu: np.ndarray,
                 fails: int) -> None:
        """Restart from ``base_x`` (the best or an elite assignment), kicked.

        Half the kicks first exchange the whole contents of a used site and another site:
        with co-located facilities cheap, good assignments form clusters that single
        shifts and swaps cannot relocate. Then ``strength`` random facilities move to
        random sites; the strength grows with the rounds that failed to improve the best.
        """
        rng, n, m = self.rng, self.n, self.m
        x = base_x.copy()
        if m > 1 and rng.random() < 0.5:
            p = int(rng.choice(np.unique(x)))
            r = int((p + rng.integers(1, m)) % m)
            on_p, on_r = x == p, x == r
            x[on_p], x[on_r] = r, p
        low = max(2, n // 10)
        strength = min(n, low + fails)
        movers = rng.choice(n, size=int(rng.integers(low, strength, endpoint=True)),
                            replace=False)
        x[movers] = (x[movers] + rng.integers(1, m, size=movers.size)) % m
        D.reset(x)
        tabu.fill(0)


class _MaskSearch:
    """Tabu search over grant masks; every user's gain at batch size b is computed once per b
    the search visits (``grant_gains``, vectorised over users) and cached."""

    def __init__(self, inst: OffloadingInstance, options: TabuOptions,
                 time_limit: float | None, rng: np.random.Generator,
                 start: float | None = None) -> None:
        self.inst, self.rng, self.options = inst, rng, options
        n_users = inst.n_users
        self.n = n_users
        self.b_max = inst.max_granted
        self.patience = options.patience or max(20, 2 * n_users)
        self.tenure = (max(1, n_users // 6), max(2, n_users // 3 + 1))
        stop_after = options.stop_after or 20 * n_users + 200
        self.progress = Progress(_termination(options, time_limit, None, stop_after), "max",
                                 start=start)
        self.base = float(denied_qoe(inst).sum())
        self.rows: dict[int, np.ndarray] = {0: np.zeros(n_users)}
        self.evaluated = 0

    def row(self, b: int) -> np.ndarray:
        """gain[i] of granting user i when b users are granted (zeros for b = 0)."""
        if b not in self.rows:
            self.rows[b] = grant_gains(self.inst, b, integer=self.options.integer)[1]
        return self.rows[b]

    def value(self, grant: np.ndarray) -> float:
        """Objective of a grant mask with each granted user at its best split."""
        return self.base + float(self.row(int(grant.sum()))[grant].sum())

    def _best(self, values: np.ndarray, allowed: np.ndarray) -> tuple[float, int]:
        """Largest value among ``allowed`` entries and its index (ties broken by the RNG)."""
        vals = np.where(allowed, values, -_INF)
        top = float(vals.max())
        if top == -_INF:
            return top, -1
        return top, _pick(self.rng, -vals, -top)

    def run(self) -> SolverOutput:
        inst, rng, prog = self.inst, self.rng, self.progress
        n, b_max = self.n, self.b_max
        grant = np.zeros(n, dtype=bool)
        if b_max:
            grant[rng.choice(n, size=int(rng.integers(0, b_max, endpoint=True)),
                             replace=False)] = True
        cur = self.value(grant)
        prog.record(cur)
        best_grant = grant.copy()
        tabu = np.zeros(n, dtype=np.int64)
        round_best, round_iter, perturbations = cur, 0, 0
        reason = prog.stop_reason()
        search_start = time.perf_counter()
        while reason is None:
            it = prog.iteration
            b = int(grant.sum())
            best = prog.best
            free = tabu <= it
            off = ~grant
            moves: list[tuple[float, list[int]]] = []
            # Grant user i (b + 1) or deny granted user i (b - 1); a tabu user may move only
            # when the move beats the best (aspiration).
            if b < b_max:
                row = self.row(b + 1)
                add = self.base + row[grant].sum() + row
                v, i = self._best(add, off & (free | (add > best)))
                moves.append((v, [i]))
            if b > 0:
                row = self.row(b - 1)
                drop = self.base + row[grant].sum() - row
                v, i = self._best(drop, grant & (free | (drop > best)))
                moves.append((v, [i]))
            # Exchange granted i for denied j at the same b: cur - g_i + g_j is separable,
            # so the best of all b (n - b) exchanges takes two O(n) scans.
            if 0 < b < n:
                row = self.row(b)
                lo, i = self._best(-row, grant)
                hi, j = self._best(row, off)
                if not cur + lo + hi > best:  # no exchange aspires: only free users move
                    lo, i = self._best(-row, grant & free)
                    hi, j = self._best(row, off & free)
                moves.append((cur + lo + hi, [i, j]))
            self.evaluated += n + b * (n - b)
            values = np.array([v for v, _ in moves]) if moves else np.array([-_INF])
            top = float(values.max())
            if top == -_INF:
                self._perturb(grant, best_grant, tabu)
                cur = self.value(grant)
                prog.step()
                reason = prog.stop_reason()
                continue
            for u in moves[_pick(rng, -values, -top)][1]:
                grant[u] = ~grant[u]
                tabu[u] = it + rng.integers(*self.tenure, endpoint=True)
            cur = self.value(grant)
            prog.step()
            if prog.record(cur):
                best_grant = grant.copy()
            if cur > round_best + 1e-9 * max(1.0, abs(round_best)):
                round_best, round_iter = cur, prog.iteration
            if prog.iteration - round_iter >= self.patience:
                self._perturb(grant, best_grant, tabu)
                cur = self.value(grant)
                perturbations += 1
                round_best, round_iter = cur, prog.iteration
            reason = prog.stop_reason()

        search_s = time.perf_counter() - search_start
        b = int(best_grant.sum())
        split = np.full(n, float(inst.N))
        if b:
            n_b, _ = grant_gains(inst, b, integer=self.options.integer)
            split = np.where(best_grant, n_b, float(inst.N))
        info = prog.info(reason)
        info.update(split_mode=self.options.split, b=b, perturbations=perturbations,
                    batch_sizes_priced=len(self.rows) - 1, evaluated_moves=self.evaluated,
                    search_s=search_s,
                    moves_per_s=self.evaluated / search_s if search_s > 0 else None)
        return SolverOutput(OffloadingSolution(best_grant, split), prog.status(reason),
                            info=info)

    def _perturb(self, grant: np.ndarray, best_grant: np.ndarray, tabu: np.ndarray) -> None:
        """Restart from the best mask with a few random users flipped (b stays <= B_max).

        One vectorised step (O(|I|), no per-user count): the chosen granted users are
        denied, then the chosen denied users are granted, in the drawn order, while there
        is room below B_max.
        """
        rng, n = self.rng, self.n
        grant[:] = best_grant
        strength = int(rng.integers(1, max(2, n // 4), endpoint=True))
        movers = rng.choice(n, size=min(strength, n), replace=False)
        was = grant[movers]
        grant[movers[was]] = False
        room = max(0, self.b_max - int(grant.sum()))
        grant[movers[~was][:room]] = True
        tabu.fill(0)


class _MultiSearch:
    """Tabu search over site vectors of the multi-cluster family (``solvers.multi_delta``).

    Moves: put a user on another site or deny it (every (user, column) pair priced at once),
    exchange the sites of two granted users on different sites, exchange a granted user
    with a denied one on the granted user's site (per site two scans: the weakest free
    member against the strongest free denied user). Moving user i off column c (a site or
    "denied") forbids putting it back there for a random tenure; a tabu move is allowed
    when it gives a new best (aspiration). Every granted user takes its best split for its
    site's count (the gain table), so the value of a site vector is its best objective.
    Kicks and the stagnation stop are as for offloading.
    """

    def __init__(self, inst: MultiInstance, options: TabuOptions, time_limit: float | None,
                 rng: np.random.Generator, start: float | None = None) -> None:
        self.inst, self.rng, self.options = inst, rng, options
        n = inst.n_users
        self.n, self.S = n, inst.n_sites
        self.patience = options.patience or max(20, 2 * n)
        self.tenure = (max(1, n // 6), max(2, n // 3 + 1))
        stop_after = options.stop_after or 20 * n + 200
        self.progress = Progress(_termination(options, time_limit, None, stop_after), "max",
                                 start=start)
        self.table = gain_table(inst, integer=options.integer)
        self.evaluated = 0

    def _fit(self, x: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Deny users of over-full sites (the last in ``order`` first) until every site fits."""
        for s in range(self.S):
            on = order[x[order] == s]
            x[on[int(self.inst.B_max[s]):]] = -1
        return x

    def run(self) -> SolverOutput:
        rng, prog, n, S = self.rng, self.progress, self.n, self.S
        x0 = rng.integers(-1, S, size=n)
        D = MultiDelta(self.table, self._fit(x0, rng.permutation(n)))
        prog.record(D.value)
        best_x = D.x.copy()
        tabu = np.zeros((n, S + 1), dtype=np.int64)
        round_best, round_iter, perturbations = D.value, 0, 0
        reason = prog.stop_reason()
        search_start = time.perf_counter()
        while reason is None:
            it = prog.iteration
            cur, best = D.value, prog.best
            aspire_at = best + 1e-9 * max(1.0, abs(best))
            # Moves to another column; tabu ones only where they make a new best.
            M = D.move_deltas()
            M[(tabu > it) & ~(cur + M > aspire_at)] = -_INF
            candidates: list[tuple[float, int, int, int]] = []  # (delta, kind, i, j / col)
            k = int(np.argmax(M))
            if M.flat[k] > -_INF:
                flat = _pick(rng, -M.ravel(), -float(M.flat[k]))
                candidates.append((float(M.flat[flat]), 0, *divmod(flat, S + 1)))
            # Swaps between granted users on different sites.
            granted = np.flatnonzero(D.x >= 0)
            if granted.size >= 2 and S >= 2:
                W = D.swap_deltas(granted)
                col = D.x[granted] + 1
                held = (tabu[granted[:, None], col[None, :]] > it)
                held |= held.T
                W[held & ~(cur + W > aspire_at)] = -_INF
                k = int(np.argmax(W))
                if W.flat[k] > -_INF:
                    flat = _pick(rng, -W.ravel(), -float(W.flat[k]))
                    a, b = divmod(flat, granted.size)
                    candidates.append((float(W.flat[flat]), 1, int(granted[a]),
                                       int(granted[b])))
            # Swaps of a granted user with a denied one on its site: separable per site.
            denied = D.x < 0
            if denied.any() and granted.size:
                rows = D.site_gain_rows()
                own = D.own_gain()
                for s in np.unique(D.x[granted]).tolist():
                    members = D.x == s
                    swap = self._denied_swap(rows[:, s], own, members, denied,
                                             tabu[:, 0] <= it, tabu[:, s + 1] <= it,
                                             cur, aspire_at)
                    if swap is not None:
                        candidates.append(swap)
            self.evaluated += M.size + granted.size ** 2 + int(denied.sum()) * S
            if not candidates:
                self._perturb(D, best_x, tabu)
                prog.step()
                reason = prog.stop_reason()
                continue
            deltas = np.array([c[0] for c in candidates])
            delta, kind, i, j = candidates[_pick(rng, -deltas, -float(deltas.max()))]
            if kind == 0:
                old = int(D.x[i])
                D.move(i, j - 1)
                tabu[i, old + 1] = it + rng.integers(*self.tenure, endpoint=True)
            else:
                p, r = int(D.x[i]), int(D.x[j])
                D.swap(i, j)
                tabu[i, p + 1] = it + rng.integers(*self.tenure, endpoint=True)
                tabu[j, r + 1] = it + rng.integers(*self.tenure, endpoint=True)
            prog.step()
            if it % _EXACT_EVERY == 0:
                D.value = D.exact_value()
            if prog.is_better(D.value):
                D.value = D.exact_value()
                if prog.record(D.value):
                    best_x = D.x.copy()
            if D.value > round_best + 1e-9 * max(1.0, abs(round_best)):
                round_best, round_iter = D.value, prog.iteration
            if prog.iteration - round_iter >= self.patience:
                self._perturb(D, best_x, tabu)
                perturbations += 1
                round_best, round_iter = D.value, prog.iteration
            reason = prog.stop_reason()

        search_s = time.perf_counter() - search_start
        solution = self.table.decision(best_x)
        info = prog.info(reason)
        info.update(split_mode=self.options.split, counts=solution.counts(S).tolist(),
                    perturbations=perturbations, evaluated_moves=self.evaluated,
                    search_s=search_s,
                    moves_per_s=self.evaluated / search_s if search_s > 0 else None)
        return SolverOutput(solution, prog.status(reason), info=info)

    def _denied_swap(self, gain_s: np.ndarray, own: np.ndarray, members: np.ndarray,
                     denied: np.ndarray, free_out: np.ndarray, free_in: np.ndarray,
                     cur: float, aspire_at: float) -> tuple[float, int, int, int] | None:
        """Best exchange of a member i of site s (denied afterwards) with a denied user j
        (put on s): delta = g_js - g_is, best j and weakest i found separately. Tabu: i may
        not return to "denied", j not to s, unless the exchange makes a new best."""
        rng = self.rng
        for restrict in (False, True):
            out = members & free_out if restrict else members
            into = denied & free_in if restrict else denied
            if not (out.any() and into.any()):
                return None
            lo = np.where(out, own, _INF)
            hi = np.where(into, gain_s, -_INF)
            i = _pick(rng, lo, float(lo.min()))
            j = _pick(rng, -hi, -float(hi.max()))
            delta = float(hi[j] - lo[i])
            tabu_move = not (free_out[i] and free_in[j])
            if not tabu_move or cur + delta > aspire_at:
                return (delta, 1, i, j)
        return None

    def _perturb(self, D: MultiDelta, best_x: np.ndarray, tabu: np.ndarray) -> None:
        """Restart from the best site vector with random users on random columns (sites or
        denied); users beyond a site's limit are denied. One vectorised step."""
        rng, n = self.rng, self.n
        x = best_x.copy()
        strength = int(rng.integers(1, max(2, n // 4), endpoint=True))
        movers = rng.choice(n, size=min(strength, n), replace=False)
        x[movers] = rng.integers(-1, self.S, size=movers.size)
        # Users who did not move keep their place; movers are denied first when over.
        order = np.concatenate([np.setdiff1d(np.arange(n), movers), movers])
        D.reset(self._fit(x, order))
        tabu.fill(0)


_SEARCHES: dict[str, Any] = {"offloading": _MaskSearch, "classic": _GQAPSearch,
                             "multi": _MultiSearch}
