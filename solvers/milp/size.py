"""How big a PuLP model of this package will be, counted before it is built (numpy, no
PuLP): ``ModelSize`` (columns, rows, non-zeros) and the exact size of each builder of
``gqap.solvers.milp.model``, and the floors on build time a solver checks against its
deadline before building anything (``quick_seconds_floor`` from the dimensions alone,
``ModelSize.build_seconds_floor`` from the exact counts, ``WRITE_TO_BUILD_FLOOR``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.offloading.instance import OffloadingInstance
from gqap.solvers.formulations import BatchModelData, GQAPModelData

# The least time this suite's build-and-write of a PuLP model can take per unit of work
# (a non-zero or a column): about a third of what the 2-core reference machine needs
# (2.7 us to build, 3.1 us to write the MPS file, Cordeau-sized GQAPs), so that a model
# refused on this estimate could not have been built in the budget on a machine three
# times faster. Models below the estimate are still built against the deadline.
_SECONDS_PER_UNIT_FLOOR = 2.0e-6
# Computing the pair arrays of a GQAP takes 30-50 ns per entry here; a third of that.
_DATA_SECONDS_PER_ENTRY_FLOOR = 1.0e-8
# Writing the MPS file takes about as long as building the model (1.15 x measured); a
# write is not started unless half the build time is left.
WRITE_TO_BUILD_FLOOR = 0.5


@dataclass(frozen=True)
class ModelSize:
    """Columns, rows and constraint non-zeros of a model, counted before building it."""

    variables: int
    constraints: int
    nonzeros: int

    @property
    def work(self) -> int:
        """Units of building work: non-zeros plus columns (objective terms included)."""
        return self.nonzeros + self.variables

    def build_seconds_floor(self) -> float:
        """A lower bound on the seconds building and writing this model take."""
        return self.work * _SECONDS_PER_UNIT_FLOOR



def gqap_data_entries(n: int, m: int) -> int:
    """Entries of the pair arrays ``gqap_model_data`` allocates (n(n-1)/2 x m x m)."""
    return n * (n - 1) // 2 * m * m


def gqap_pair_count(q: np.ndarray, Q: np.ndarray) -> int:
    """How many products y[p, k, h] can be 1 (``pair_allowed.sum()``), counted in
    O(m n log n) without the pair arrays (up to rounding at exact capacity ties)."""
    q, Q = np.asarray(q, dtype=np.float64), np.asarray(Q, dtype=np.float64)
    a = (q[:, None] <= Q[None, :]).sum(axis=1).astype(np.float64)
    cross = (a.sum() ** 2 - (a ** 2).sum()) / 2.0  # pairs i < j, any (k, h)
    qs = np.sort(q)
    over = 0
    for cap in Q:  # same-site pairs that overflow site k
        ok = qs[: np.searchsorted(qs, cap, side="right")]
        fits = np.searchsorted(ok, cap - ok, side="right") - np.arange(ok.size) - 1
        over += ok.size * (ok.size - 1) // 2 - int(np.maximum(fits, 0).sum())
    return int(round(cross)) - over


def quick_seconds_floor(inst: Instance, model: str, linearisation: str) -> float:
    """A lower bound on the seconds preparing and building the model takes, from the
    instance's dimensions alone (before any model data is computed)."""
    if isinstance(inst, OffloadingInstance) and model == "full":
        return batch_milp_size_for(inst.max_granted, inst.n_users).build_seconds_floor()
    if isinstance(inst, MultiInstance) and model == "full":
        return multi_milp_size_for(inst.max_granted, inst.n_users).build_seconds_floor()
    if isinstance(inst, OffloadingInstance):
        q, Q = np.ones(inst.n_users), np.array([float(inst.B_max), float(inst.n_users)])
    elif isinstance(inst, MultiInstance):  # fixed splits: the (S + 1)-site GQAP
        q = np.ones(inst.n_users)
        Q = np.concatenate([[float(inst.n_users)], inst.B_max.astype(float)])
    else:
        q, Q = inst.q, inst.Q
    data = gqap_data_entries(q.size, Q.size) * _DATA_SECONDS_PER_ENTRY_FLOOR
    if linearisation != "rlt":
        return data  # the products made depend on the costs
    # Each product y enters two RLT rows and is a column: three units of work at least.
    return data + 3 * gqap_pair_count(q, Q) * _SECONDS_PER_UNIT_FLOOR


def capacity_product_counts(data: GQAPModelData) -> np.ndarray:
    """cnt[j, h, k]: product variables y of (i, k) x (j, h) over i != j (the
    capacity x variable rows of ``gqap.solvers.milp``'s module doc)."""
    n, m = data.n, data.m
    cnt = np.zeros((n, m, m), dtype=np.int64)
    pa = data.pair_allowed.astype(np.int64)
    # Pair p = (i, j), i < j: y[p, k, h] counts for row (j, h, k), y[p, h, k] for (i, h, k).
    np.add.at(cnt, data.pairs[:, 1], pa.transpose(0, 2, 1))
    np.add.at(cnt, data.pairs[:, 0], pa)
    return cnt


def gqap_milp_size(data: GQAPModelData, linearisation: str = "rlt",
                   rlt_capacity: bool = True) -> ModelSize:
    """Exact size of ``build_gqap_milp(data, linearisation, rlt_capacity)``."""
    n_x = int(data.allowed.sum())
    rows, nnz = data.n + data.m, 2 * n_x
    if linearisation == "rlt":
        n_y = int(data.pair_allowed.sum())
        ra = int(data.allowed[data.pairs[:, 1]].sum())  # one row per (p, h), x_jh allowed
        rb = int(data.allowed[data.pairs[:, 0]].sum())
        rows += ra + rb
        nnz += 2 * n_y + ra + rb
        if rlt_capacity:
            cut, _ = data.capacity_rows()
            rows += int(cut.sum())
            nnz += int((capacity_product_counts(data)[cut] + 1).sum())
    else:
        costly = (data.pair_cost != 0.0) & data.pair_allowed
        n_y = int(costly.sum())
        positive = int((costly & (data.pair_cost > 0)).sum())
        rows += positive + 2 * (n_y - positive)
        nnz += 3 * positive + 4 * (n_y - positive)
    return ModelSize(n_x + n_y, rows, nnz)


def batch_milp_size(data: BatchModelData) -> ModelSize:
    """Exact size of ``build_batch_milp(data)``."""
    return batch_milp_size_for(data.max_granted, data.n_users)


def batch_milp_size_for(B: int, n_users: int) -> ModelSize:
    """Exact size of the b-disaggregated model with b = 0..B and ``n_users`` users."""
    return ModelSize(variables=B + 1 + B * n_users, constraints=1 + B + B * n_users,
                     nonzeros=(B + 1) + B * (n_users + 1) + 2 * B * n_users)


def multi_milp_size_for(b_max: np.ndarray, n_users: int) -> ModelSize:
    """Exact size of ``build_multi_milp`` with counts 0..b_max[s] per site."""
    b = np.asarray(b_max, dtype=np.int64)
    S, total, n_w = int(b.size), int(b.sum()), int(b.sum()) * n_users
    return ModelSize(variables=S + total + n_w,
                     constraints=S + total + n_w + n_users,
                     nonzeros=(S + total) + (n_w + total) + 2 * n_w + n_w)
