"""The tabu search of the classic family: strategic oscillation over shifts and swaps,
an elite pool with path-relinking restarts, one-for-two exchanges, new segments (the
package doc)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from gqap.classic.evaluation import gqap_cost
from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.solvers.base import SolverOutput
from gqap.solvers.gqap_delta import GQAPDelta
from gqap.solvers.tabu.core import EXACT_EVERY, INF, TabuOptions, pick, termination
from gqap.solvers.termination import Progress

_PENALTY_STEP = 0.1  # lambda is multiplied / divided by 1 + this each iteration
ELITE = 10  # elite pool size (distinct round bests)
_P_RELINK = 0.7  # after a failed round: restart by relinking two elite assignments,
_P_ELITE = 0.2  # or from a random elite one kicked; else from the best, kicked


class GQAPSearch:
    """Tabu search with strategic oscillation on one GQAP instance."""

    def __init__(self, inst: GQAPInstance, options: TabuOptions, time_limit: float | None,
                 rng: np.random.Generator, start: float | None = None) -> None:
        self.inst, self.rng = inst, rng
        n, m = inst.n, inst.m
        self.n, self.m = n, m
        self.patience = options.patience or max(30, 2 * n)
        self.tenure = (max(2, n // 5), max(4, n // 2 + 1))
        self.progress = Progress(termination(options, time_limit, 200 * n + 2000), "min",
                                 start=start)
        self.upper = np.triu(np.ones((n, n), dtype=bool), 1)
        self.evaluated = 0
        self.elite: list[tuple[float, np.ndarray]] = []
        self.min_dist = max(2, n // 10)  # elite members differ in at least n / 10 sites
        self.restart_after = options.restart_after
        self._tenures, self._tenure_at = np.zeros(0, dtype=np.int64), 0

    def run(self) -> SolverOutput:
        """Search until the termination rule stops it; the best solution found and how."""
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
        anchor = INF
        round_x: np.ndarray | None = None
        round_best, round_iter, perturbations = INF, 0, 0
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
            limit = best - 1e-9 * max(1.0, abs(best)) if math.isfinite(best) else INF
            # Shifts; tabu ones only where aspiration (a feasible new best) fails. Aspiration
            # is only worked out when some move could beat the best at all (cheap bound).
            fs = S + lam * dO
            fs[rows, x] = INF
            flat_s = fs.ravel()
            held_s = tabu > it
            if cost + float(S.min()) >= limit:
                fs[held_s] = INF
            else:
                held = np.flatnonzero(held_s)
                aspire = (over + dO.ravel()[held] <= 1e-9) & (cost + S.ravel()[held] < limit)
                flat_s[held[~aspire]] = INF
            # Swaps: tabu when either facility would return to a forbidden site.
            low_w = float(dC.min())  # cost change alone, invalid pairs included: a bound
            pen = dOs * lam
            dC += pen
            dC += D.pair_invalid
            flat_w = dC.ravel()
            tb = tabu[:, x] > it
            tb |= tb.T
            if cost + low_w >= limit:
                dC[tb] = INF
            else:
                held = np.flatnonzero(tb)
                dcost = flat_w[held] - pen.ravel()[held]  # cost change alone
                aspire = (over + dOs.ravel()[held] <= 1e-9) & (cost + dcost < limit)
                flat_w[held[~aspire]] = INF
            self.evaluated += n * (m - 1) + D.n_swaps

            b_shift, b_swap = flat_s.min(), flat_w.min()
            if not (b_shift < INF or b_swap < INF):
                self._restart(D, anchor_x, tabu, fails, lam)
                prog.step()
                reason = prog.stop_reason()
                continue
            if b_shift <= b_swap:
                flat = pick(rng, flat_s, b_shift)
                i, k = divmod(flat, m)
                p = int(x[i])
                D.move(i, k, -1, S[i, k])
                tabu[i, p] = it + self._tenure()
            else:
                flat = pick(rng, flat_w, b_swap)
                i, j = divmod(flat, n)
                p, r = int(x[i]), int(x[j])
                D.move(i, r, j, S[i, r] + S[j, p] + D.pair_cost[i, j])
                tabu[i, p] = it + self._tenure()
                tabu[j, r] = it + self._tenure()
            prog.step()
            if it % EXACT_EVERY == 0:
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
                if round_best == INF or D.cost < round_best - 1e-9 * abs(round_best):
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
                    anchor, anchor_x, fails = INF, None, 0
                    self.elite.clear()
                    D.reset(rng.integers(0, m, size=n))
                    tabu.fill(0)
                    segments += 1
                else:
                    self._restart(D, anchor_x, tabu, fails, lam)
                perturbations += 1
                round_best, round_iter, round_x, improved = INF, prog.iteration, None, False
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
        if len(elite) < ELITE:
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
        best_v, best_x = INF, None
        for step in range(1, total):
            idx = diff[D.x[diff] != b[diff]]
            tgt = b[idx]
            dcost, dover = D.shift_values(idx, tgt)
            vals = dcost + lam * dover
            k = pick(self.rng, vals, float(vals.min()))
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
