"""The tabu search of the offloading family, over grant masks (the package doc)."""

from __future__ import annotations

import time

import numpy as np

from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains
from gqap.solvers.base import SolverOutput
from gqap.solvers.tabu.core import INF, TabuOptions, pick, termination
from gqap.solvers.termination import Progress


class MaskSearch:
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
        self.progress = Progress(termination(options, time_limit, None, stop_after), "max",
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
        vals = np.where(allowed, values, -INF)
        top = float(vals.max())
        if top == -INF:
            return top, -1
        return top, pick(self.rng, -vals, -top)

    def run(self) -> SolverOutput:
        """Search until the termination rule stops it; the best solution found and how."""
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
            values = np.array([v for v, _ in moves]) if moves else np.array([-INF])
            top = float(values.max())
            if top == -INF:
                self._perturb(grant, best_grant, tabu)
                cur = self.value(grant)
                prog.step()
                reason = prog.stop_reason()
                continue
            for u in moves[pick(rng, -values, -top)][1]:
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
