"""The GA's view of each family (package doc): genes, random population, mutation
operator, repair and batch fitness, and the decision a genome stands for.

GQAP: one gene per facility (its site), greedy repair by ``solvers.gqap_delta`` moves, then a
dominating overload penalty. Offloading: one grant bit per user, over-full children keep
their highest-gain grants, fitness from ``grant_gains`` cached per batch size. Multi: one
gene per user (0 denied, 1 + site), over-full sites keep their highest-gain users, the
population scored at once by ``evaluate_multi_batch``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from deap import base, tools

from gqap.classic.evaluation import gqap_cost_batch, site_loads_batch
from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.multi.evaluation import evaluate_multi_batch
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.multi.split import gain_table
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains
from gqap.solvers.gqap_delta import GQAPDelta
from gqap.solvers.options import SplitOptions

_TOL = 1e-9
_GAIN_CACHE_ROWS = 512  # batch sizes whose gains are kept (each row: one float per user)


class Problem:
    """What the GA loop needs from a family: genes, operators, batch fitness, solution."""

    sense = "max"
    n_genes = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` random genomes, one row each."""
        raise NotImplementedError

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        """Register the family's per-gene mutation (gene rate ``rate``) as ``mutate``."""
        raise NotImplementedError

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(repaired genes, fitness to maximise, objective or NaN where infeasible);
        ``expired()`` (optional) may cut a long repair short."""
        raise NotImplementedError

    def solution(self, genes: np.ndarray) -> Any:
        """The family's solution a genome stands for."""
        raise NotImplementedError

    def info(self, options: SplitOptions) -> dict[str, Any]:
        """The family's own entries of the run's ``info``."""
        return {"split_mode": options.split}

    def fallback(self) -> tuple[np.ndarray, float] | None:
        """(genes, objective) to return when no feasible individual was ever seen."""
        return None


class _GQAPProblem(Problem):
    sense = "min"

    def __init__(self, inst: GQAPInstance, options: SplitOptions | None = None) -> None:
        self.inst = inst
        self.n_genes = inst.n
        self.delta = GQAPDelta(inst, np.zeros(inst.n, dtype=np.int64))
        # Any infeasible child must rank below every feasible one: span bounds every cost gap.
        vt = np.abs(inst.v * inst.t).sum()
        self.span = float(np.ptp(inst.a, axis=1).sum() + 2.0 * vt * np.abs(inst.d).max()) + 1.0
        C = self.delta.C
        # Price of one unit of overload in the repair: the mean cost spread per unit weight.
        self.lam = float(np.mean(C.max(axis=1) - C.min(axis=1))) / max(float(inst.q.mean()),
                                                                         1e-12)
        self.repairs = 0
        self.failed_repairs = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(0, self.inst.m, size=(size, self.inst.n))

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutUniformInt, low=0, up=self.inst.m - 1, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        inst = self.inst
        over = np.maximum(site_loads_batch(inst, X) - inst.Q, 0.0).sum(axis=1)
        for p in np.flatnonzero(over > _TOL):
            X[p] = self._repair(X[p], expired)
        over = np.maximum(site_loads_batch(inst, X) - inst.Q, 0.0).sum(axis=1)
        cost = gqap_cost_batch(inst, X)
        bad = over > _TOL
        penalised = np.where(bad, cost + self.span * (1.0 + over), cost)
        return X, -penalised, np.where(bad, np.nan, cost)

    def _repair(self, x: np.ndarray, expired: Any = None) -> np.ndarray:
        """Greedy repair: apply the move removing most overload per unit of added cost
        (stops unrepaired, counted as failed, once ``expired()`` says so)."""
        self.repairs += 1
        D = self.delta
        D.reset(x)
        n = self.inst.n
        upper = np.triu(np.ones((n, n), dtype=bool), 1)
        while D.overload > _TOL:
            if expired is not None and expired():
                self.failed_repairs += 1
                break
            S, dO, dC, dOs, _ = D.neighbourhood()
            dOs = np.where(upper & (D.x[:, None] != D.x[None, :]), dOs, 0.0)
            # Overload-reducing moves only, ranked by cost change + lam * overload change.
            rs = np.where(dO < -_TOL, S + self.lam * dO, np.inf)
            rw = np.where(dOs < -_TOL, dC + self.lam * dOs, np.inf)
            if not (np.isfinite(rs).any() or np.isfinite(rw).any()):
                self.failed_repairs += 1
                break
            if rs.min() <= rw.min():
                i, k = divmod(int(rs.argmin()), self.inst.m)
                D.shift(i, k)
            else:
                i, j = divmod(int(rw.argmin()), n)
                D.swap(i, j)
        return D.x.copy()

    def solution(self, genes: np.ndarray) -> GQAPSolution:
        return GQAPSolution(np.asarray(genes, dtype=np.int64))

    def info(self, options: SplitOptions) -> dict[str, Any]:
        return {"failed_repairs": self.failed_repairs}

    def fallback(self) -> tuple[np.ndarray, float] | None:
        # No child was ever repaired into a fitting assignment: pack by first fit.
        packed = first_fit_decreasing(self.inst.q, self.inst.Q)
        if packed is None:
            return None
        return packed, float(gqap_cost_batch(self.inst, packed[None, :])[0])


class _OffloadingProblem(Problem):
    sense = "max"

    def __init__(self, inst: OffloadingInstance, options: SplitOptions) -> None:
        self.inst = inst
        self.integer = options.integer
        self.n_genes = inst.n_users
        self.b_max = inst.max_granted
        self.base = float(denied_qoe(inst).sum())
        self.gains: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.repairs = 0

    def table(self, bs: np.ndarray) -> None:
        """Best splits and gains for every b in ``bs`` not seen yet (one vectorised call)."""
        new = [int(b) for b in np.unique(bs) if b > 0 and int(b) not in self.gains]
        if new and len(self.gains) + len(new) > _GAIN_CACHE_ROWS:
            self.gains.clear()  # bounds memory on huge instances; rows are cheap to redo
            new = [int(b) for b in np.unique(bs) if b > 0]
        if new:
            split, gain = grant_gains(self.inst, np.array(new), integer=self.integer)
            for row, b in enumerate(new):
                self.gains[b] = (split[row], gain[row])

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Each individual has its own grant density, so many batch sizes b start alive.
        density = rng.uniform(0.0, 1.0, size=(size, 1))
        return (rng.uniform(size=(size, self.n_genes)) < density).astype(np.int64)

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutFlipBit, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = X.sum(axis=1)
        over = np.flatnonzero(b > self.b_max)
        if over.size:
            self.repairs += over.size
            if self.b_max == 0:
                X[over] = 0
            else:
                # Keep each over-full child's b_max highest-gain grants (gains at b = B_max)
                # by partial selection: O(|I|) per child.
                self.table(np.array([self.b_max]))
                gain = self.gains[self.b_max][1]
                keyed = np.where(X[over] == 1, gain[None, :], -np.inf)
                keep = np.argpartition(-keyed, self.b_max - 1, axis=1)[:, :self.b_max]
                X[over] = 0
                X[over[:, None], keep] = 1
            b = X.sum(axis=1)
        self.table(b)
        rows = np.zeros(X.shape)
        for bb in np.unique(b):
            if bb > 0:
                rows[b == bb] = self.gains[int(bb)][1]
        value = self.base + (X * rows).sum(axis=1)
        return X, value, value

    def solution(self, genes: np.ndarray) -> OffloadingSolution:
        grant = np.asarray(genes, dtype=bool)
        b = int(grant.sum())
        split = np.full(grant.size, float(self.inst.N))
        if b:
            self.table(np.array([b]))
            split = np.where(grant, self.gains[b][0], float(self.inst.N))
        return OffloadingSolution(grant, split)


class _MultiProblem(Problem):
    sense = "max"

    def __init__(self, inst: MultiInstance, options: SplitOptions) -> None:
        self.inst = inst
        self.n_genes = inst.n_users
        self.S = inst.n_sites
        self.table = gain_table(inst, integer=options.integer)
        self.users = np.arange(inst.n_users)
        self.repairs = 0

    def random_population(self, rng: np.random.Generator, size: int) -> np.ndarray:
        # Each individual has its own grant density; granted users go to uniform sites.
        density = rng.uniform(0.0, 1.0, size=(size, 1))
        on = rng.uniform(size=(size, self.n_genes)) < density
        return np.where(on, rng.integers(1, self.S + 1, size=(size, self.n_genes)), 0)

    def register_mutation(self, toolbox: base.Toolbox, rate: float) -> None:
        toolbox.register("mutate", tools.mutUniformInt, low=0, up=self.S, indpb=rate)

    def evaluate(self, X: np.ndarray, expired: Any = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        site = X - 1
        inst, gain = self.inst, self.table.gain
        for s in range(self.S):
            on = site == s
            cap = int(inst.B_max[s])
            over = np.flatnonzero(on.sum(axis=1) > cap)
            if over.size == 0:
                continue
            self.repairs += over.size
            if cap == 0:
                site[over] = np.where(on[over], -1, site[over])
                continue
            # Keep the cap members with the highest gain at count B_s (partial selection).
            keyed = np.where(on[over], gain[min(cap, gain.shape[0] - 1), :, s][None, :],
                             -np.inf)
            keep = np.argpartition(-keyed, cap - 1, axis=1)[:, :cap]
            rows = site[over]
            rows[on[over]] = -1
            rows[np.arange(over.size)[:, None], keep] = s
            site[over] = rows
        counts = np.stack([(site == s).sum(axis=1) for s in range(self.S)], axis=1)
        col = np.maximum(site, 0)
        b = np.take_along_axis(counts, col, axis=1)
        split = np.where(site >= 0, self.table.split[b, self.users[None, :], col],
                         float(inst.N))
        value = evaluate_multi_batch(inst, site, split).objective
        return site + 1, value, value

    def solution(self, genes: np.ndarray) -> MultiSolution:
        return self.table.decision(np.asarray(genes, dtype=np.int64) - 1)


PROBLEMS: dict[str, Any] = {"offloading": _OffloadingProblem, "classic": _GQAPProblem,
                             "multi": _MultiProblem}
