"""The tabu search of the multi-cluster family, over site vectors (the package doc)."""

from __future__ import annotations

import time

import numpy as np

from gqap.multi.instance import MultiInstance
from gqap.multi.split import gain_table
from gqap.solvers.base import SolverOutput
from gqap.solvers.multi_delta import MultiDelta
from gqap.solvers.tabu.core import EXACT_EVERY, INF, TabuOptions, pick, termination
from gqap.solvers.termination import Progress


class MultiSearch:
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
        self.progress = Progress(termination(options, time_limit, None, stop_after), "max",
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
        """Search until the termination rule stops it; the best solution found and how."""
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
            M[(tabu > it) & ~(cur + M > aspire_at)] = -INF
            candidates: list[tuple[float, int, int, int]] = []  # (delta, kind, i, j / col)
            k = int(np.argmax(M))
            if M.flat[k] > -INF:
                flat = pick(rng, -M.ravel(), -float(M.flat[k]))
                candidates.append((float(M.flat[flat]), 0, *divmod(flat, S + 1)))
            # Swaps between granted users on different sites.
            granted = np.flatnonzero(D.x >= 0)
            if granted.size >= 2 and S >= 2:
                W = D.swap_deltas(granted)
                col = D.x[granted] + 1
                held = (tabu[granted[:, None], col[None, :]] > it)
                held |= held.T
                W[held & ~(cur + W > aspire_at)] = -INF
                k = int(np.argmax(W))
                if W.flat[k] > -INF:
                    flat = pick(rng, -W.ravel(), -float(W.flat[k]))
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
            delta, kind, i, j = candidates[pick(rng, -deltas, -float(deltas.max()))]
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
            if it % EXACT_EVERY == 0:
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
            lo = np.where(out, own, INF)
            hi = np.where(into, gain_s, -INF)
            i = pick(rng, lo, float(lo.min()))
            j = pick(rng, -hi, -float(hi.max()))
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
