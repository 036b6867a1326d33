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
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import FacilitiesAndSites, GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.family import Instance, Solution
from gqap.io import read_solution
from gqap.multi.instance import MultiInstance
from gqap.multi.reduction import MultiReduction, multi_to_gqap
from gqap.multi.solution import DENIED, MultiSolution
from gqap.multi.split import GainTable, gain_table
from gqap.offloading.evaluation import denied_qoe
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.reduction import (
    assignment_to_offloading,
    grant_to_assignment,
    offloading_to_gqap,
)
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains, optimal_split
from gqap.solvers.base import Status

LINEARISATIONS = ("rlt", "standard")
MODELS = ("full", "fixed-split")  # offloading: integer splits (b-disaggregated) or N_hat


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


def gqap_start(inst: GQAPInstance) -> GQAPSolution | None:
    """A capacity-feasible start by first-fit-decreasing (None when FFD fails)."""
    x = first_fit_decreasing(inst.q, inst.Q)
    return None if x is None else GQAPSolution(x)


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


def greedy_sites(data: MultiModelData) -> np.ndarray:
    """Warm-start site vector: add the (user, site) that raises the objective most, the
    counts' effect on the users already placed included, until nothing improves it."""
    gain, b_max = data.table.gain, data.b_max
    S, n_users = data.n_sites, data.n_users
    site = np.full(n_users, DENIED, dtype=np.int64)
    counts = np.zeros(S, dtype=np.int64)
    held = np.zeros(S)  # sum of the gains of the users on each site at its count
    for _ in range(n_users):
        open_ = counts < b_max
        if not open_.any():
            break
        nxt = np.minimum(counts + 1, b_max)
        # What the users already on s gain (lose) when s serves one more.
        shift = np.array([gain[nxt[s], site == s, s].sum() for s in range(S)]) - held
        delta = gain[nxt, :, np.arange(S)].T + shift[None, :]  # (I, S)
        delta[site != DENIED, :] = -np.inf
        delta[:, ~open_] = -np.inf
        i, s = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[i, s] > 0:
            break
        site[i] = s
        counts[s] += 1
        held[s] = gain[counts[s], site == s, s].sum()
    return site


def greedy_grant(inst: OffloadingInstance, fixed_split: bool, integer: bool = True) -> np.ndarray:
    """Warm-start grant mask: users by single-user gain, the best prefix under the evaluator.

    With ``fixed_split`` every granted split sits at N_hat, else at its best for the prefix
    size. Prefix lengths run over 0..min(|I|, B_max), so the mask is always feasible.
    """
    _, gain1 = grant_gains(inst, 1, integer=integer)
    order = np.argsort(-gain1, kind="stable")
    best_mask, best_value = np.zeros(inst.n_users, dtype=bool), -np.inf
    for b in range(inst.max_granted + 1):
        mask = np.zeros(inst.n_users, dtype=bool)
        mask[order[:b]] = True
        if fixed_split:
            split = np.where(mask, float(inst.N_hat), float(inst.N))
        else:
            n = optimal_split(inst, max(b, 1), integer=integer)
            split = np.where(mask, n, float(inst.N))
        value = evaluate(inst, OffloadingSolution(mask, split)).objective
        if value > best_value:
            best_mask, best_value = mask, value
    return best_mask


def check_start_option(start: str) -> None:
    """Raise ValueError unless ``start`` is 'none', 'greedy' or an existing file."""
    if start not in ("none", "greedy") and not Path(start).is_file():
        raise ValueError(f"start must be 'none', 'greedy' or a solution file; "
                         f"{start!r} is not a file")


def warm_start(inst: Instance, start: str, fixed_split: bool,
               integer: bool = True) -> Solution | None:
    """The start a solver option asks for: None, a greedy decision, or a checked file.

    Offloading starts are read as grant masks (the model decides the splits).
    """
    if start == "none":
        return None
    if isinstance(inst, MultiInstance):
        return _multi_start(inst, start, fixed_split, integer)
    if start == "greedy":
        if isinstance(inst, OffloadingInstance):
            grant = greedy_grant(inst, fixed_split, integer)
            return OffloadingSolution(grant, np.where(grant, float(inst.N_hat), float(inst.N)))
        return gqap_start(inst)
    sol = read_solution(start)
    kind = OffloadingSolution if isinstance(inst, OffloadingInstance) else GQAPSolution
    if not isinstance(sol, kind):
        raise GQAPError(f"start: {start} is not a {inst.family} solution")
    if isinstance(inst, OffloadingInstance):
        if sol.grant.size != inst.n_users:
            raise GQAPError(f"start: {start} has {sol.grant.size} users, the instance "
                            f"{inst.n_users}")
        if sol.b > inst.B_max:
            raise GQAPError(f"start: {start} grants {sol.b} users, more than B_max = "
                            f"{inst.B_max}")
        return sol
    if sol.assignment.size != inst.n or np.any(sol.assignment < 0) or \
            np.any(sol.assignment >= inst.m):
        raise GQAPError(f"start: {start} is not an assignment of {inst.n} facilities to "
                        f"{inst.m} sites")
    ev = evaluate(inst, sol)
    if not ev.feasible:
        raise GQAPError(f"start: {start} is infeasible ({ev.violations[0]})")
    return sol


def _multi_start(inst: MultiInstance, start: str, fixed_split: bool,
                 integer: bool) -> MultiSolution:
    """Multi-cluster starts: greedy (best splits, or N_hat with ``fixed_split``) or a file
    whose site vector is used (the model decides the splits)."""
    if start == "greedy":
        data = multi_model_data(inst, integer)
        site = greedy_sites(data)
        if fixed_split:
            return MultiSolution(site, np.where(site == DENIED, float(inst.N),
                                                float(inst.N_hat)))
        return data.solution(site)
    sol = read_solution(start)
    if not isinstance(sol, MultiSolution):
        raise GQAPError(f"start: {start} is not a multi solution")
    if sol.site.size != inst.n_users or np.any(sol.site < DENIED) or \
            np.any(sol.site >= inst.n_sites):
        raise GQAPError(f"start: {start} is not a site vector of {inst.n_users} users over "
                        f"{inst.n_sites} sites")
    counts = np.bincount(sol.site[sol.site != DENIED], minlength=inst.n_sites)
    if np.any(counts > inst.B_max):
        s = int(np.argmax(counts - inst.B_max))
        raise GQAPError(f"start: {start} puts {counts[s]} users on site {s}, more than "
                        f"B_max = {inst.B_max[s]}")
    return sol


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




@dataclass(frozen=True)
class Formulation:
    """Which model the MILP and CP-SAT adapters build for an instance, on which data.

    ``kind``: 'batch-disaggregated' (offloading, full model: ``BatchModelData``),
    'count-disaggregated' (multi, full model: ``MultiModelData``), 'gqap' (a classic
    instance) or 'fixed-split' (an offloading or multi instance with its splits at N_hat,
    reduced to the GQAP ``gqap``; for multi through ``reduction``), both on
    ``GQAPModelData``. ``start`` is the warm start the options ask for.
    """

    kind: str
    instance: Instance
    data: GQAPModelData | BatchModelData | MultiModelData
    start: Solution | None
    gqap: GQAPInstance | None = None
    reduction: MultiReduction | None = None

    @property
    def sign(self) -> float:
        """+1 where the model's objective is the family's (a classic instance), -1 where it
        is minus the family's (the maximisation models and the reductions)."""
        return 1.0 if self.kind == "gqap" else -1.0

    def start_assignment(self) -> np.ndarray | None:
        """The warm start as an assignment of the GQAP (the 'gqap' and 'fixed-split'
        kinds), None without a start."""
        if self.start is None:
            return None
        if isinstance(self.start, OffloadingSolution):
            return grant_to_assignment(self.start.grant).assignment
        if self.reduction is not None:
            return self.reduction.to_gqap(self.start).assignment
        return self.start.assignment

    def from_assignment(self, assignment: np.ndarray) -> Solution:
        """The instance's solution of a GQAP assignment (read back through the reduction)."""
        sol = GQAPSolution(assignment)
        if self.reduction is not None:
            return self.reduction.to_multi(sol)
        if isinstance(self.instance, OffloadingInstance):
            return assignment_to_offloading(self.instance, sol)
        return sol


def formulation_kind(inst: Instance, model: str) -> str:
    """The ``Formulation.kind`` the option ``model`` ('full' or 'fixed-split') selects for
    ``inst``: 'batch-disaggregated' (offloading), 'count-disaggregated' (multi),
    'fixed-split' (either, at N_hat) or 'gqap' (a classic instance)."""
    if isinstance(inst, GQAPInstance):
        return "gqap"
    if model == "fixed-split":
        return "fixed-split"
    return "batch-disaggregated" if isinstance(inst, OffloadingInstance) \
        else "count-disaggregated"


def formulation(inst: Instance, model: str, split: str, start: str, solver: str) -> Formulation:
    """The model and data the options ``model`` ('full' or 'fixed-split'), ``split``
    ('integer' or 'real') and ``start`` select for ``inst``; the data is checked for finite
    coefficients (a one-line error naming ``solver`` when one overflows)."""
    warm = warm_start(inst, start, model == "fixed-split", split == "integer")
    kind = formulation_kind(inst, model)
    if kind == "batch-disaggregated":
        data = batch_model_data(inst, integer=split == "integer")
        check_model_data(solver, data)
        return Formulation(kind, inst, data, warm)
    if kind == "count-disaggregated":
        mdata = multi_model_data(inst, integer=split == "integer")
        check_model_data(solver, mdata)
        return Formulation(kind, inst, mdata, warm)
    reduction = multi_to_gqap(inst) if isinstance(inst, MultiInstance) else None
    if reduction is not None:
        gq = reduction.gqap
    else:
        gq = offloading_to_gqap(inst) if isinstance(inst, OffloadingInstance) else inst
    gdata = gqap_model_data(gq)
    check_model_data(solver, gdata)
    return Formulation(kind, inst, gdata, warm, gq, reduction)



def split_mode(kind: str, split: str) -> str | None:
    """What ``info["split_mode"]`` says for a model of ``kind``: the ``split`` option in the
    disaggregated models, 'fixed-N_hat' in the fixed-split one, None for a classic instance."""
    if kind.endswith("-disaggregated"):
        return split
    return "fixed-N_hat" if kind == "fixed-split" else None


def instance_answer(kind: str, status: Status, bound: float | None,
                    info: dict[str, Any]) -> tuple[Status, float | None]:
    """(status, bound) for the instance of a model's (status, bound). A fixed-split model
    is optimal for the restriction to N_hat only: its status and bound go to
    ``info["model_status"]`` and ``info["model_bound"]``, an optimum becomes feasible and no
    bound is claimed. Other kinds answer for the instance as they are."""
    if kind != "fixed-split":
        return status, bound
    info["model_status"] = str(status)
    info["model_bound"] = bound
    return (Status.FEASIBLE if status == Status.OPTIMAL else status), None

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
