"""Solver-independent model data shared by the MILP (PuLP) and CP-SAT solvers; plain numpy.

**GQAP as a 0-1 quadratic program.** x[i, k] = 1 when facility i sits on site k. Every
ordered pair (i, j) of MODEL.md section 1 is folded into one unordered pair p = (i, j),
i < j, so that

    cost(x) = sum_{i,k} lin[i, k] x_ik + sum_p sum_{k,h} pair_cost[p, k, h] x_ik x_jh,
    lin[i, k] = a[i, k] + v t[i, i] d[k, k],
    pair_cost[p, k, h] = v (t[i, j] d[k, h] + t[j, i] d[h, k]).

``allowed[i, k]`` is False where q_i > Q_k and ``pair_allowed[p, k, h]`` is False where a
product can never be 1 (an endpoint not allowed, or both on site k with q_i + q_j > Q_k);
the solvers create no variable for those.

**Offloading with integer split points, disaggregated on b** (``BatchModelData``). Users
interact only through b, the number of granted users. With z_b = 1 when exactly b users
are granted and w_ib = 1 when user i is granted under that choice,

    max  base + sum_{b>=1} sum_i gain[b, i] w_ib
    s.t. sum_{b=0..B} z_b = 1;  sum_i w_ib = b z_b;  w_ib <= z_b;  z, w binary,

where base = sum_i denied QoE, B = min(|I|, B_max), and gain[b, i] is user i's gain of
granting over denying at batch b with its best split for that b (gqap.offloading.split.grant_gains),
so every choice of (b, grant set) is scored exactly as the evaluator scores it. The LP
relaxation is already tight: for fixed z the best w takes the z_b-weighted b largest
gains, so the LP optimum is max_b V(b), the exact optimum.

**Multi-cluster, disaggregated on the count of every site** (``MultiModelData``). Sites
interact only through their counts b_s. With z_sb = 1 when site s serves exactly b users
and w_isb = 1 when user i is on site s under that choice,

    max  base + sum_s sum_{b>=1} sum_i gain[b, i, s] w_isb
    s.t. sum_{b=0..B_s} z_sb = 1 (each s);  sum_i w_isb = b z_sb;  w_isb <= z_sb;
         sum_{s, b} w_isb <= 1 (each i);  z, w binary,

where B_s = min(B_s, I) and gain[b, i, s] is the gain table of gqap.multi.split (user i's
gain on site s at count b with its best split for that count): each (count vector,
placement) is scored exactly as ``evaluate_multi`` scores it under the paper latency
model. Sites compete for users, so unlike the one-site model the LP relaxation is not
tight; the proofs come from branch and bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gqap.classic.instance import FacilitiesAndSites, GQAPInstance
from gqap.errors import GQAPError
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import MultiSolution
from gqap.multi.split import GainTable, gain_table
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains

LINEARISATIONS = ("rlt", "standard")


@dataclass(frozen=True)
class GQAPModelData(FacilitiesAndSites):
    """Cost and feasibility data of a GQAP as a 0-1 quadratic program (see module doc)."""

    q: np.ndarray
    Q: np.ndarray
    lin: np.ndarray
    allowed: np.ndarray
    pairs: np.ndarray
    pair_cost: np.ndarray
    pair_allowed: np.ndarray

    def cost(self, assignment: np.ndarray) -> float:
        """Model cost of an assignment (equals gqap_cost; used to check the folding)."""
        x = np.asarray(assignment, dtype=np.int64)
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        return float(self.lin[np.arange(self.n), x].sum()
                     + self.pair_cost[np.arange(len(self.pairs)), x[i], x[j]].sum())

    def costly_pairs(self) -> np.ndarray:
        """Indices of pairs with at least one non-zero product cost."""
        return np.flatnonzero(np.any(self.pair_cost != 0.0, axis=(1, 2)))

    def capacity_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The RLT capacity x variable rows sum_{i != j} q_i y[(i, k), (j, h)] <= rhs x[j, h]
        with rhs[j, h, k] = Q_k - q_j [k = h]: (mask [j, h, k] of the rows that can cut,
        rhs). A row whose other facilities all fit in rhs cannot cut and is left out."""
        q, Q = self.q, self.Q
        others = q.sum() - q  # per j
        rhs = Q[None, None, :] - np.where(np.eye(self.m, dtype=bool)[None, :, :],
                                          q[:, None, None], 0.0)
        return self.allowed[:, :, None] & (others[:, None, None] > rhs), rhs


def gqap_model_data(inst: GQAPInstance) -> GQAPModelData:
    """Fold the instance's ordered-pair costs into unordered pairs (module doc)."""
    n, m = inst.n, inst.m
    lin = inst.a + inst.v * np.diag(inst.t)[:, None] * np.diag(inst.d)[None, :]
    i, j = np.triu_indices(n, 1)
    pair_cost = inst.v * (inst.t[i, j][:, None, None] * inst.d[None, :, :]
                          + inst.t[j, i][:, None, None] * inst.d.T[None, :, :])
    allowed = inst.q[:, None] <= inst.Q[None, :]
    pair_allowed = allowed[i][:, :, None] & allowed[j][:, None, :]
    same = (inst.q[i] + inst.q[j])[:, None] > inst.Q[None, :]
    k = np.arange(m)
    pair_allowed[:, k, k] &= ~same
    return GQAPModelData(q=inst.q, Q=inst.Q, lin=lin, allowed=allowed,
                         pairs=np.stack([i, j], axis=1), pair_cost=pair_cost,
                         pair_allowed=pair_allowed)


@dataclass(frozen=True)
class BatchModelData:
    """The b-disaggregated offloading model (module doc); row r of gain/split is b = r + 1."""

    base: float
    gain: np.ndarray
    split: np.ndarray
    N: int

    @property
    def max_granted(self) -> int:
        """B = min(|I|, B_max), the largest b with a z_b variable."""
        return int(self.gain.shape[0])

    @property
    def n_users(self) -> int:
        """Number of users."""
        return int(self.gain.shape[1])

    def solution(self, grant: np.ndarray) -> OffloadingSolution:
        """Grant mask -> decision with each granted user's best split for b = mask size."""
        grant = np.asarray(grant, dtype=bool)
        b = int(grant.sum())
        split = np.full(self.n_users, float(self.N))
        if b:
            split[grant] = self.split[b - 1, grant]
        return OffloadingSolution(grant, split)

    def value(self, grant: np.ndarray) -> float:
        """Model objective of a grant mask: base plus the gains at b = mask size."""
        grant = np.asarray(grant, dtype=bool)
        b = int(grant.sum())
        return self.base + (float(self.gain[b - 1, grant].sum()) if b else 0.0)


def batch_model_data(inst: OffloadingInstance, integer: bool = True) -> BatchModelData:
    """Gains and best splits of every user for b = 1..min(|I|, B_max)."""
    bs = np.arange(1, inst.max_granted + 1)
    if bs.size:
        split, gain = grant_gains(inst, bs, integer=integer)
    else:
        split = gain = np.zeros((0, inst.n_users))
    return BatchModelData(base=float(denied_qoe(inst).sum()), gain=np.asarray(gain),
                          split=np.asarray(split), N=inst.N)


@dataclass(frozen=True)
class MultiModelData:
    """The count-disaggregated multi-cluster model (module doc), on the gain table."""

    table: GainTable

    @property
    def n_users(self) -> int:
        """Number of users."""
        return self.table.inst.n_users

    @property
    def n_sites(self) -> int:
        """Number of sites S."""
        return self.table.inst.n_sites

    @property
    def b_max(self) -> np.ndarray:
        """B_s = min(B_s, I) per site: the largest count with a z variable."""
        return np.asarray(self.table.b_max, dtype=np.int64)

    @property
    def base(self) -> float:
        """Objective of denying everyone."""
        return float(self.table.base)

    def gains(self) -> np.ndarray:
        """Every usable gain[b, i, s] (1 <= b <= B_s), flattened: the model's coefficients."""
        b = np.arange(self.table.gain.shape[0])
        usable = (b[:, None] >= 1) & (b[:, None] <= self.b_max[None, :])
        return self.table.gain.transpose(0, 2, 1)[usable].ravel()

    def solution(self, site: np.ndarray) -> MultiSolution:
        """Site vector -> decision with every granted user's best split at the counts."""
        return self.table.decision(np.asarray(site, dtype=np.int64))

    def value(self, site: np.ndarray) -> float:
        """Model objective of a site vector: base plus the granted users' gains."""
        return self.table.objective(np.asarray(site, dtype=np.int64))


def multi_model_data(inst: MultiInstance, integer: bool = True) -> MultiModelData:
    """Gains and best splits of every (count, user, site), b = 1..min(B_s, I)."""
    return MultiModelData(gain_table(inst, integer=integer))


def require_finite(solver: str, what: str, values: np.ndarray) -> None:
    """Raise a one-line error naming ``what`` when a model coefficient is not finite (the
    instance's numbers overflow double precision once multiplied into the model)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size and not np.all(np.isfinite(values)):
        bad = values[~np.isfinite(values)][0]
        raise GQAPError(f"solver {solver}: {what} overflow double precision ({bad}); the "
                        "instance's numbers are too large for this model")


def check_model_data(solver: str,
                     data: GQAPModelData | BatchModelData | MultiModelData) -> None:
    """``require_finite`` on every coefficient a model of ``data`` uses."""
    if isinstance(data, MultiModelData):
        require_finite(solver, "the users' gains of a site", data.gains())
        require_finite(solver, "the denied users' total QoE", np.array([data.base]))
    elif isinstance(data, GQAPModelData):
        require_finite(solver, "linear costs a[i, k] + v t[i, i] d[k, k]", data.lin[data.allowed])
        require_finite(solver, "pair costs v (t[i, j] d[k, h] + t[j, i] d[h, k])",
                       data.pair_cost[data.pair_allowed])
    else:
        require_finite(solver, "the users' gains of granting", data.gain)
        require_finite(solver, "the denied users' total QoE", np.array([data.base]))




# Coefficients beyond this range (either way) are brought back into it by a power of two:
# LP codes treat about 1e20 as infinity and drop tiny values, while a power of two changes
# no digit of any coefficient.
SAFE_MAGNITUDE = 2.0 ** 40


def power_of_two_scale(values: np.ndarray) -> float:
    """1 when max |values| lies in [2^-40, 2^40] (or all are zero), else the power of two
    that brings it to about 1 (an exact rescaling in binary floating point)."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    big = float(v.max()) if v.size else 0.0
    if big == 0.0 or 1.0 / SAFE_MAGNITUDE <= big <= SAFE_MAGNITUDE:
        return 1.0
    return 2.0 ** -round(np.log2(big))


def scaled_gqap_data(data: GQAPModelData) -> tuple[GQAPModelData, float]:
    """``data`` with costs and weights rescaled into the safe range by powers of two, and
    the cost scale. Capacities above the total weight bind nothing and become the total."""
    s = power_of_two_scale(np.concatenate([data.lin[data.allowed],
                                           data.pair_cost[data.pair_allowed]]))
    total = float(data.q.sum())
    Q = np.minimum(data.Q, total) if np.isfinite(total) else data.Q
    w = power_of_two_scale(np.concatenate([data.q, Q]))
    if s == 1.0 and w == 1.0 and np.array_equal(Q, data.Q):
        return data, 1.0
    return replace(data, lin=data.lin * s, pair_cost=data.pair_cost * s, q=data.q * w,
                   Q=Q * w), s
