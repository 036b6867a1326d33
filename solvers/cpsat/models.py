"""The CP-SAT models of the three families, built from ``solvers.formulations``' data.

``build_gqap_cpsat``: Boolean x[i, k] and, per costly unordered pair, y[p, k, h] tied to x
by the RLT channelling equalities (``rlt_capacity``: the capacity x variable products
too); ``build_batch_cpsat``: the b-disaggregated offloading model; ``build_multi_cpsat``:
the count-disaggregated multi-cluster model. Each returns (model, decision variables,
cost scale, costs integral, rounding error bound). ``cpsat_size`` counts a model's
Booleans from its data before anything is built, so a model that cannot be built in the
time left is refused (``fits``, ``quick_seconds_floor``); the builders check the deadline
as they go.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.multi.instance import MultiInstance
from gqap.offloading.instance import OffloadingInstance
from gqap.solvers.base import Deadline, DeadlineExpired
from gqap.solvers.cpsat.scaling import cost_scale, integer_costs, integer_weights
from gqap.solvers.formulations import BatchModelData, GQAPModelData, MultiModelData

# The least time building costs per Boolean variable (with its share of the rows): about a
# third of the 15-23 us the 2-core reference machine needs, so a refused model could not
# have been built in time on a machine three times faster.
_SECONDS_PER_VARIABLE_FLOOR = 5.0e-6
_DATA_SECONDS_PER_ENTRY_FLOOR = 1.0e-8  # the pair arrays of a GQAP (30-50 ns here)


def import_cp_model() -> Any:
    """OR-Tools' cp_model, or a one-line error when highspy already took libhighs.so.1."""
    try:
        from ortools.sat.python import cp_model
    except ImportError as exc:
        if "highspy" in sys.modules:
            raise GQAPError("solver cpsat: OR-Tools cannot load in a process that already "
                            "imported highspy (google/or-tools#5246); run cpsat in a fresh "
                            "process") from exc
        raise
    return cp_model


@dataclass(frozen=True)
class CPSize:
    """Boolean variables and constraints of a CP-SAT model, counted before building it."""

    variables: int
    constraints: int

    def build_seconds_floor(self) -> float:
        """A lower bound on the seconds building this model takes."""
        return self.variables * _SECONDS_PER_VARIABLE_FLOOR


def cpsat_size(data: GQAPModelData | BatchModelData | MultiModelData,
               rlt_capacity: bool = False) -> CPSize:
    """Exact variable count (and constraint count without capacity products) of the model
    ``build_gqap_cpsat`` / ``build_batch_cpsat`` / ``build_multi_cpsat`` makes of ``data``."""
    if isinstance(data, BatchModelData):
        B, n_users = data.max_granted, data.n_users
        return CPSize(B + 1 + B * n_users, 1 + B + B * n_users)
    if isinstance(data, MultiModelData):
        return _multi_size(data.b_max, data.n_users)
    costly = data.costly_pairs()
    n_x = int(data.allowed.sum())
    n_y = int(data.pair_allowed[costly].sum())
    rows = data.n + data.m
    if costly.size:
        rows += int(data.allowed[data.pairs[costly, 1]].sum()
                    + data.allowed[data.pairs[costly, 0]].sum())
    return CPSize(n_x + n_y, rows)


def _multi_size(b_max: np.ndarray, n_users: int) -> CPSize:
    b = np.asarray(b_max, dtype=np.int64)
    S, total = int(b.size), int(b.sum())
    return CPSize(S + total + total * n_users, S + total + total * n_users + n_users)


def quick_seconds_floor(inst: Instance, model: str) -> float:
    """A lower bound on preparing and building the model, from dimensions alone."""
    if isinstance(inst, OffloadingInstance) and model == "full":
        B, n_users = inst.max_granted, inst.n_users
        return CPSize(B + 1 + B * n_users, 0).build_seconds_floor()
    if isinstance(inst, MultiInstance) and model == "full":
        return _multi_size(inst.max_granted, inst.n_users).build_seconds_floor()
    if isinstance(inst, OffloadingInstance):
        n, m = inst.n_users, 2
    elif isinstance(inst, MultiInstance):
        n, m = inst.n_users, inst.n_sites + 1
    else:
        n, m = inst.n, inst.m
    return (n * (n - 1) // 2 * m * m * _DATA_SECONDS_PER_ENTRY_FLOOR
            + n * m * _SECONDS_PER_VARIABLE_FLOOR)


def _check(deadline: Deadline | None) -> None:
    if deadline is not None:
        deadline.check("building the CP-SAT model")


def build_gqap_cpsat(data: GQAPModelData, scale: float | None, rlt_capacity: bool,
                     start: np.ndarray | None,
                     deadline: Deadline | None = None) -> tuple[Any, dict, float, bool, float]:
    """CP-SAT model of a GQAP: (model, x, scale, costs integral, rounding error bound).

    Raises ``DeadlineExpired`` when ``deadline`` runs out during the build.
    """
    cp_model = import_cp_model()
    n, m = data.n, data.m
    costly = data.costly_pairs()
    coefs = np.concatenate([data.lin[data.allowed],
                            data.pair_cost[costly][data.pair_allowed[costly]]])
    s = cost_scale(coefs, scale)
    # One linear term per facility and one product term per costly pair are active.
    terms = n + int(costly.size)
    lin_s = integer_costs(np.where(data.allowed, data.lin, 0.0), s, terms)
    pair_s = integer_costs(np.where(data.pair_allowed, data.pair_cost, 0.0), s, terms)
    lin_exact = np.where(data.allowed, data.lin, 0.0) * s
    pair_exact = np.where(data.pair_allowed, data.pair_cost, 0.0) * s
    integral = bool(np.all(lin_s == lin_exact) and np.all(pair_s == pair_exact))
    # Per facility one linear term and per costly pair one product term are active.
    lin_err = np.abs(lin_s - lin_exact).max(axis=1).sum()
    pair_err = np.abs(pair_s - pair_exact)
    err = (lin_err + (pair_err[costly].max(axis=(1, 2)).sum() if costly.size else 0.0)) / s

    model = cp_model.CpModel()
    x = {(i, k): model.NewBoolVar(f"x_{i}_{k}") for i in range(n) for k in range(m)
         if data.allowed[i, k]}
    for i in range(n):
        model.AddExactlyOne([x[i, k] for k in range(m) if (i, k) in x])
    qi, Qi = integer_weights(data.q, data.Q)
    for k in range(m):
        model.Add(sum(int(qi[i]) * x[i, k] for i in range(n) if (i, k) in x) <= int(Qi[k]))
    y = {}
    for c, p in enumerate(costly):
        if c % 32 == 0:
            _check(deadline)
        i, j = (int(v) for v in data.pairs[p])
        for k, h in zip(*np.nonzero(data.pair_allowed[p]), strict=True):
            y[int(p), int(k), int(h)] = model.NewBoolVar(f"y_{p}_{k}_{h}")
        for h in range(m):
            if (j, h) in x:
                model.Add(sum(y[p, k, h] for k in range(m) if (p, k, h) in y) == x[j, h])
        for k in range(m):
            if (i, k) in x:
                model.Add(sum(y[p, k, h] for h in range(m) if (p, k, h) in y) == x[i, k])
    if rlt_capacity:
        _add_capacity_products(model, data, qi, Qi, x, y, deadline)
    _check(deadline)
    terms = [(v, int(lin_s[i, k])) for (i, k), v in x.items() if lin_s[i, k] != 0]
    terms += [(v, int(pair_s[p, k, h])) for (p, k, h), v in y.items() if pair_s[p, k, h] != 0]
    model.Minimize(cp_model.LinearExpr.WeightedSum([t[0] for t in terms],
                                                   [t[1] for t in terms]))
    if start is not None:
        for (i, k), v in x.items():
            model.AddHint(v, int(start[i] == k))
        for (p, k, h), v in y.items():
            i, j = data.pairs[p]
            model.AddHint(v, int(start[i] == k and start[j] == h))
    return model, x, s, integral, float(err)


def _add_capacity_products(model: Any, data: GQAPModelData, qi: np.ndarray, Qi: np.ndarray,
                           x: dict, y: dict, deadline: Deadline | None = None) -> None:
    """sum_{i != j} q_i x_ik x_jh <= (Q_k - q_j [k = h]) x_jh where every pair has a y."""
    n, m = data.n, data.m
    index = {(int(i), int(j)): p for p, (i, j) in enumerate(data.pairs)}
    for j in range(n):
        _check(deadline)
        for h in range(m):
            if (j, h) not in x:
                continue
            for k in range(m):
                rhs = int(Qi[k]) - (int(qi[j]) if k == h else 0)
                row, complete = [], True
                for i in range(n):
                    if i == j:
                        continue
                    key = (index[i, j], k, h) if i < j else (index[j, i], h, k)
                    if key in y:
                        row.append(int(qi[i]) * y[key])
                    elif data.pair_allowed[key]:
                        complete = False  # zero-cost pair without product variables
                        break
                if complete and row:
                    model.Add(sum(row) <= rhs * x[j, h])


def build_batch_cpsat(data: BatchModelData, scale: float | None,
                      start: np.ndarray | None,
                      deadline: Deadline | None = None) -> tuple[Any, dict, float, bool, float]:
    """CP-SAT model of the b-disaggregated offloading problem, minimising minus the gains."""
    cp_model = import_cp_model()
    B, n_users = data.max_granted, data.n_users
    s = cost_scale(data.gain, scale)
    gain_s = integer_costs(data.gain, s, B)
    integral = bool(np.all(gain_s == data.gain * s))
    err = float(np.abs(gain_s - data.gain * s).sum(axis=1).max() / s) if B else 0.0
    model = cp_model.CpModel()
    z = [model.NewBoolVar(f"z_{b}") for b in range(B + 1)]
    w = {}
    for b in range(1, B + 1):
        _check(deadline)
        for i in range(n_users):
            w[i, b] = model.NewBoolVar(f"w_{i}_{b}")
    model.AddExactlyOne(z)
    for b in range(1, B + 1):
        _check(deadline)
        model.Add(sum(w[i, b] for i in range(n_users)) == b * z[b])
        for i in range(n_users):
            model.AddImplication(w[i, b], z[b])
    keys = list(w)
    model.Minimize(cp_model.LinearExpr.WeightedSum(
        [w[k] for k in keys], [-int(gain_s[b - 1, i]) for i, b in keys]))
    if start is not None:
        b0 = int(start.sum())
        for b in range(B + 1):
            model.AddHint(z[b], int(b == b0))
        for (i, b), v in w.items():
            model.AddHint(v, int(b == b0 and start[i]))
    return model, w, s, integral, err


def build_multi_cpsat(data: MultiModelData, scale: float | None,
                      start: np.ndarray | None,
                      deadline: Deadline | None = None) -> tuple[Any, dict, float, bool, float]:
    """CP-SAT model of the count-disaggregated multi-cluster problem (minus the gains):
    (model, w[(i, s, b)], scale, gains integral, rounding error bound)."""
    cp_model = import_cp_model()
    gain, b_max, n_users, S = data.table.gain, data.b_max, data.n_users, data.n_sites
    s = cost_scale(data.gains(), scale)
    b = np.arange(gain.shape[0])
    usable = (b[:, None, None] >= 1) & (b[:, None, None] <= b_max[None, None, :])
    exact = np.where(usable, gain, 0.0) * s
    gain_s = integer_costs(np.where(usable, gain, 0.0), s, n_users)
    integral = bool(np.all(gain_s == exact))
    # At most one term per user is active: the largest rounding error over its (b, s).
    err = float(np.abs(gain_s - exact).max(axis=(0, 2)).sum() / s) if n_users else 0.0
    model = cp_model.CpModel()
    z = {(t, c): model.NewBoolVar(f"z_{t}_{c}") for t in range(S)
         for c in range(int(b_max[t]) + 1)}
    w = {}
    for t in range(S):
        for c in range(1, int(b_max[t]) + 1):
            _check(deadline)
            for i in range(n_users):
                w[i, t, c] = model.NewBoolVar(f"w_{i}_{t}_{c}")
    for t in range(S):
        model.AddExactlyOne([z[t, c] for c in range(int(b_max[t]) + 1)])
        for c in range(1, int(b_max[t]) + 1):
            _check(deadline)
            model.Add(cp_model.LinearExpr.Sum([w[i, t, c] for i in range(n_users)])
                      == c * z[t, c])
            for i in range(n_users):
                model.AddImplication(w[i, t, c], z[t, c])
    for i in range(n_users):
        model.AddAtMostOne([w[i, t, c] for t in range(S) for c in range(1, int(b_max[t]) + 1)])
    keys = list(w)
    model.Minimize(cp_model.LinearExpr.WeightedSum(
        [w[k] for k in keys], [-int(gain_s[c, i, t]) for i, t, c in keys]))
    if start is not None:
        counts = np.bincount(start[start >= 0], minlength=S)
        for (t, c), v in z.items():
            model.AddHint(v, int(counts[t] == c))
        for (i, t, c), v in w.items():
            model.AddHint(v, int(start[i] == t and counts[t] == c))
    return model, w, s, integral, err


def fits(size: CPSize, deadline: Deadline | None) -> None:
    """Raise ``DeadlineExpired`` when building a model of ``size`` cannot fit the deadline."""
    if deadline is None:
        return
    need, left = size.build_seconds_floor(), deadline.remaining()
    if need > left:
        raise DeadlineExpired(f"refused: the model has {size.variables:,} Boolean variables; "
                              f"building it takes at least {need:.2f} s, more than the "
                              f"{max(left, 0.0):.2f} s left")
