"""OR-Tools CP-SAT solver for the three families.

**GQAP.** Booleans x[i, k] (exactly one site per facility, linear capacities) and, for every
unordered pair p = (i, j) with a non-zero cost (``solvers.formulations``), booleans
y[p, k, h] tied to x by the RLT channelling equalities sum_k y[p, k, h] = x_jh and
sum_h y[p, k, h] = x_ik. With Boolean x these force y[p, k, h] = x_ik x_jh exactly, and they
give CP-SAT's linear relaxation the RLT level-1 strength; ``rlt_capacity=true`` adds the
capacity x variable products as well.

**Offloading.** ``model=full`` (default): the b-disaggregated model of
``solvers.formulations`` (exact, integer or real splits); ``model=fixed-split``: the
paper's variant, the 2-site GQAP of gqap.offloading.reduction.offloading_to_gqap with the GQAP model
above. As in ``milp``, a fixed-split result is ``feasible`` for the instance;
``info["model_status"]`` says whether the restriction was proven optimal.

**Multi-cluster.** ``model=full``: the count-disaggregated model of
``solvers.formulations`` (Booleans z per site and count, w per user, site and count, one
site per user); ``model=fixed-split``: the (S + 1)-site GQAP of ``gqap.multi.multi_to_gqap``
with every granted split at N_hat, ``feasible`` as for offloading.

**Integer costs.** CP-SAT needs integer objective coefficients. Integral costs are used as
they are (``info["cost_scale"] = 1``); otherwise every coefficient is multiplied by a
power of ten (``scale`` option, or automatically so that the largest is near 1e12) and
rounded. ``info["rounding_error_bound"]`` bounds how far any solution's scaled objective
can be from its true one (E); the reported bound is widened by E, and the status is
``optimal`` only when CP-SAT proved the scaled model optimal and 2E, the most by which
the returned solution can miss the true optimum, is at most 1e-9 of the objective.
Weights and capacities must be integers (or decimals that a power of ten up to 1e6 makes
integral); otherwise the solver raises a one-line error. So it does when a coefficient
overflows double precision or cannot be represented in CP-SAT's 64-bit integers
(``integer_costs``, ``integer_weights``).

**Time limit.** The whole call runs against one ``Deadline``: the model's size is counted
from its data first (``cpsat_size``), a model that cannot be built in what is left is not
built, and the build checks the clock; either way the answer is ``time_limit`` with
``info["time_limit_reason"]``. CP-SAT then gets what is left of the budget.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.family import Instance, Solution
from gqap.gaps import bound_gap
from gqap.multi.instance import MultiInstance
from gqap.offloading.instance import OffloadingInstance
from gqap.solvers.base import Deadline, DeadlineExpired, Solver, SolverOutput, Status
from gqap.solvers.formulations import (
    MODELS,
    BatchModelData,
    GQAPModelData,
    MultiModelData,
    check_start_option,
    formulation,
    formulation_kind,
)
from gqap.solvers.options import SPLIT_MODES

_AUTO_SCALE_TARGET = 1e12  # largest scaled |coefficient| when costs are not integers
_PROOF_TOL = 1e-9  # 2E must stay below this fraction of the objective for "optimal"
_INT_LIMIT = 2.0 ** 62  # CP-SAT's integers are 64-bit; sums of terms must stay inside
# The least time building costs per Boolean variable (with its share of the rows): about a
# third of the 15-23 us the 2-core reference machine needs, so a refused model could not
# have been built in time on a machine three times faster.
_SECONDS_PER_VARIABLE_FLOOR = 5.0e-6
_DATA_SECONDS_PER_ENTRY_FLOOR = 1.0e-8  # the pair arrays of a GQAP (30-50 ns here)
# CP-SAT copies and checks the model before its own clock starts: 1.5 s for 700,000
# Booleans here (Cordeau-sized GQAP 60 x 20), so that much of the budget is kept back.
_LOAD_SECONDS_PER_VARIABLE = 2.0e-6


@dataclass(frozen=True)
class CPSATOptions:
    """Options of ``cpsat``.

    model: offloading and multi, 'full' (default) or 'fixed-split'; split: 'integer' or 'real'
    split points in the full model; threads: CP-SAT workers (1 is deterministic for a seed);
    scale: multiply costs by this before rounding (default: 1 for integral costs, else a
    power of ten); rlt_capacity: add the capacity x variable products (GQAP); start: 'none',
    'greedy' or a solution file used as a hint; msg: show CP-SAT's search log.
    """

    model: str = "full"
    split: str = "integer"
    threads: int = 1
    scale: float | None = None
    rlt_capacity: bool = False
    start: str = "none"
    msg: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("model", MODELS), ("split", SPLIT_MODES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, name)!r}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if self.scale is not None and not (self.scale > 0 and math.isfinite(self.scale)):
            raise ValueError(f"scale must be a positive number, got {self.scale}")
        check_start_option(self.start)


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


def cost_scale(coefs: np.ndarray, scale: float | None = None) -> float:
    """1 for integral costs, else the power of ten putting max |coef| near 1e12 (or ``scale``).

    A one-line error when the coefficients are not finite or so small that no power of
    ten a double can hold brings them near 1e12.
    """
    c = np.asarray(coefs, dtype=np.float64)
    if c.size and not np.all(np.isfinite(c)):
        raise GQAPError("solver cpsat: cost coefficients overflow double precision; they "
                        "cannot be scaled to integers")
    if scale is not None:
        return float(scale)
    big = float(np.abs(c).max()) if c.size else 0.0
    if big == 0.0 or (np.all(c == np.round(c)) and big < 2.0 ** 53):
        return 1.0
    exponent = math.floor(math.log10(_AUTO_SCALE_TARGET) - math.log10(big))
    if exponent > 300:
        raise GQAPError(f"solver cpsat: costs are at most {big:.3g} in size; scaling them to "
                        f"integers needs 1e{exponent}, beyond double precision")
    return 10.0 ** exponent


def integer_costs(values: np.ndarray, s: float, terms: int) -> np.ndarray:
    """``values`` x ``s`` rounded, checked to fit CP-SAT's 64-bit integers when up to
    ``terms`` of them are summed (one-line error otherwise)."""
    scaled = np.round(np.asarray(values, dtype=np.float64) * s)
    big = float(np.abs(scaled).max()) if scaled.size else 0.0
    if not math.isfinite(big) or big * max(terms, 1) >= _INT_LIMIT:
        raise GQAPError(f"solver cpsat: costs scaled by {s:g} reach {big:.3g}; {max(terms, 1)} "
                        "of them cannot be summed in 64-bit integers (use a smaller scale)")
    return scaled


def integer_weights(q: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer weights and capacities with the same feasible assignments (floor of scaled Q).

    A capacity beyond 64-bit integers binds nothing and becomes the total weight, so only
    the weights must fit; a one-line error when they do not.
    """
    q, Q = np.asarray(q, dtype=np.float64), np.asarray(Q, dtype=np.float64)
    for power in range(7):
        s = 10.0 ** power
        qs = q * s
        rounded = np.round(qs)
        # Relative test: a tiny weight must not pass as the integer 0.
        if np.all((np.abs(qs - rounded) <= 1e-9 * np.abs(qs)) & ((rounded != 0) | (q == 0))):
            total = float(np.round(qs).sum())
            if not math.isfinite(total) or total >= _INT_LIMIT:
                raise GQAPError(f"solver cpsat: facility weights sum to {q.sum():.3g}, beyond "
                                "CP-SAT's 64-bit integers")
            qi = np.round(qs).astype(np.int64)
            Qs = Q * s + 1e-9
            Qi = np.floor(np.where(Qs < _INT_LIMIT, Qs, total)).astype(np.int64)
            return qi, Qi
    raise GQAPError("solver cpsat: facility weights must be integers (or decimals with at "
                    "most 6 places)")


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


def _quick_seconds_floor(inst: Instance, model: str) -> float:
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


@dataclass
class CPModel:
    """A CP-SAT minimisation model; family objective = sign * (offset + scaled value / scale)."""

    model: Any
    sign: float
    offset: float
    scale: float
    integral: bool
    rounding_error: float
    decode: Any  # callable: CpSolver -> Solution
    size: CPSize
    start_solution: Solution | None = None

    def family_value(self, v: float | None) -> float | None:
        """Scaled model value -> objective in the instance family's sense."""
        return None if v is None else self.sign * (self.offset + v / self.scale)


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


def _fits(size: CPSize, deadline: Deadline | None) -> None:
    """Raise ``DeadlineExpired`` when building a model of ``size`` cannot fit the deadline."""
    if deadline is None:
        return
    need, left = size.build_seconds_floor(), deadline.remaining()
    if need > left:
        raise DeadlineExpired(f"refused: the model has {size.variables:,} Boolean variables; "
                              f"building it takes at least {need:.2f} s, more than the "
                              f"{max(left, 0.0):.2f} s left")


def build_cp_model(inst: Instance, opts: CPSATOptions,
                   deadline: Deadline | None = None) -> CPModel:
    """The CP-SAT model the options select for ``inst``.

    With a ``deadline``, a model whose size shows it cannot be built in the time left is
    refused before building, and the build checks the clock; both raise ``DeadlineExpired``.
    """
    if deadline is not None:
        floor, left = _quick_seconds_floor(inst, opts.model), deadline.remaining()
        if floor > left:
            raise DeadlineExpired(f"refused: preparing and building the model takes at least "
                                  f"{floor:.2f} s, more than the {max(left, 0.0):.2f} s left")
    form = formulation(inst, opts.model, opts.split, opts.start, "cpsat")
    start = form.start
    if form.kind == "batch-disaggregated":
        data = form.data
        size = cpsat_size(data)
        _fits(size, deadline)
        model, w, s, integral, err = build_batch_cpsat(
            data, opts.scale, None if start is None else start.grant, deadline)

        def decode(solver: Any) -> Solution:
            grant = np.zeros(data.n_users, dtype=bool)
            for (i, _b), v in w.items():
                if solver.BooleanValue(v):
                    grant[i] = True
            return data.solution(grant)

        return CPModel(model, -1.0, -data.base, s, integral, err, decode, size,
                       None if start is None else data.solution(start.grant))

    if form.kind == "count-disaggregated":
        mdata = form.data
        size = cpsat_size(mdata)
        _fits(size, deadline)
        site0 = None if start is None else np.asarray(start.site, dtype=np.int64)
        model, w, s, integral, err = build_multi_cpsat(mdata, opts.scale, site0, deadline)

        def decode_multi(solver: Any) -> Solution:
            site = np.full(mdata.n_users, -1, dtype=np.int64)
            for (i, t, _c), v in w.items():
                if solver.BooleanValue(v):
                    site[i] = t
            return mdata.solution(site)

        return CPModel(model, -1.0, -mdata.base, s, integral, err, decode_multi, size,
                       None if site0 is None else mdata.solution(site0))

    data = form.data
    size = cpsat_size(data)
    _fits(size, deadline)
    assignment = form.start_assignment()
    model, x, s, integral, err = build_gqap_cpsat(data, opts.scale, opts.rlt_capacity,
                                                  assignment, deadline)

    def decode_gqap(solver: Any) -> Solution:
        a = np.zeros(data.n, dtype=np.int64)
        for (i, k), v in x.items():
            if solver.BooleanValue(v):
                a[i] = k
        return form.from_assignment(a)

    return CPModel(model, form.sign, 0.0, s, integral, err, decode_gqap, size,
                   None if assignment is None else form.from_assignment(assignment))


class CPSATSolver(Solver):
    """CP-SAT with RLT channelling (GQAP) or the b-disaggregated model (offloading)."""

    name = "cpsat"
    families = ("offloading", "classic", "multi")
    Options = CPSATOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        cp_model = import_cp_model()

        opts: CPSATOptions = self.options
        if isinstance(instance, GQAPInstance) and opts.model != "full":
            raise GQAPError(f"solver cpsat: model={opts.model} applies to offloading and "
                            "multi instances only")
        fixed = not isinstance(instance, GQAPInstance) and opts.model == "fixed-split"
        disaggregated = not isinstance(instance, GQAPInstance) and not fixed
        model = formulation_kind(instance, opts.model)
        info: dict[str, Any] = {
            "backend": "cp-sat",
            "model": model,
            "split_mode": opts.split if disaggregated else ("fixed-N_hat" if fixed else None),
            "threads": opts.threads, "start": opts.start,
        }
        try:
            cm = build_cp_model(instance, opts, deadline)
        except DeadlineExpired as exc:
            info.update(build_time_s=None, time_limit_reason=str(exc), solution_from=None)
            return SolverOutput(None, Status.TIME_LIMIT, info=info)
        proto = cm.model.Proto()
        info.update({
            "cost_scale": cm.scale, "costs_integral": cm.integral,
            "rounding_error_bound": cm.rounding_error,
            "build_time_s": deadline.elapsed(),
            "n_variables": len(proto.variables), "n_constraints": len(proto.constraints),
            "load_allowance_s": cm.size.variables * _LOAD_SECONDS_PER_VARIABLE,
        })
        if cm.start_solution is not None:
            info["start_objective"] = evaluate(instance, cm.start_solution).objective
        # What CP-SAT spends loading the model comes before its own time limit starts.
        left = deadline.remaining() - cm.size.variables * _LOAD_SECONDS_PER_VARIABLE
        if left < 0.05:
            info["backend_status"] = "not started: no time left after the build"
            info["time_limit_reason"] = "no time left to solve after the build"
            info["solution_from"] = "start" if cm.start_solution is not None else None
            return SolverOutput(cm.start_solution, Status.TIME_LIMIT, info=info)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = opts.threads
        solver.parameters.random_seed = int(seed)
        solver.parameters.log_search_progress = opts.msg
        if math.isfinite(left):
            solver.parameters.max_time_in_seconds = max(left - 0.1, 0.01)
        t0 = time.perf_counter()
        code = solver.Solve(cm.model)
        info["solve_time_s"] = time.perf_counter() - t0
        name = solver.StatusName(code)
        info["backend_status"] = name
        has_solution = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        solution = cm.decode(solver) if has_solution else None
        incumbent = cm.family_value(solver.ObjectiveValue()) if has_solution else None
        bound = None
        if has_solution:  # without a solution CP-SAT reports 0, which need not be a bound
            raw = solver.BestObjectiveBound()
            if math.isfinite(raw):
                # Widen by the rounding error so the bound holds for the true costs.
                bound = cm.family_value(raw) - cm.sign * cm.rounding_error
        info.update(incumbent=incumbent, best_bound=bound,
                    mip_gap=bound_gap(incumbent, bound))
        if code == cp_model.OPTIMAL:
            true_obj = evaluate(instance, solution).objective
            slack = 2.0 * cm.rounding_error
            if slack <= _PROOF_TOL * max(1.0, abs(true_obj)):
                status = Status.OPTIMAL
            else:
                status = Status.FEASIBLE
                info["not_proven"] = (f"scaled costs proven optimal, but rounding can hide up "
                                      f"to {slack:.3g}; raise scale")
        elif code == cp_model.FEASIBLE:
            status = Status.TIME_LIMIT if time_limit is not None else Status.FEASIBLE
        elif code == cp_model.INFEASIBLE:
            status = Status.INFEASIBLE
        elif code == cp_model.UNKNOWN and time_limit is not None:
            status = Status.TIME_LIMIT
            solution = cm.start_solution
            info["solution_from"] = "start" if solution is not None else None
        else:  # MODEL_INVALID, or UNKNOWN without a limit
            status = Status.ERROR
            info["model_error"] = cm.model.Validate() or None
        if fixed:
            info["model_status"] = str(status)
            info["model_bound"] = bound
            bound = None
            if status == Status.OPTIMAL:
                status = Status.FEASIBLE
        return SolverOutput(solution, status, bound=bound, info=info)
