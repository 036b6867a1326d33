"""PuLP models of the families and the build against a deadline.

The model data (costs folded onto pairs, gains per batch size) comes from
``gqap.solvers.formulations``, shared with CP-SAT; this module only turns it into PuLP
rows. Every builder checks the solve call's ``Deadline`` while it works and raises
``DeadlineExpired`` when the budget runs out, so a model too big for the time limit never
holds the call past it. ``gqap.solvers.milp.size`` counts the rows, columns and non-zeros
a build will create from the data alone, so a solver can refuse a model it cannot build
in time before building anything (``plan_model`` holds the count).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.family import Instance, Solution
from gqap.solvers.base import Deadline
from gqap.solvers.formulations import (
    BatchModelData,
    GQAPModelData,
    MultiModelData,
    power_of_two_scale,
    scaled_gqap_data,
)
from gqap.solvers.milp.size import (
    ModelSize,
    batch_milp_size,
    gqap_milp_size,
    multi_milp_size_for,
)
from gqap.solvers.model_choice import Formulation, formulation


@dataclass
class BuiltModel:
    """A PuLP minimisation model with what is needed to read its answer back.

    The family objective of a model value v is ``sign * (offset + v / scale)``.
    """

    prob: Any
    sign: float
    offset: float
    decode: Any  # callable: {variable name: value} -> Solution
    size: ModelSize
    start: dict[str, float] | None = None
    start_solution: Solution | None = None
    scale: float = 1.0
    coefficient_range: float = 1.0  # max / min non-zero |objective coefficient|
    coefficient_max: float = 0.0  # max |objective coefficient| in model units (scaled)

    def resolves(self, model_value: float | None) -> bool:
        """False when the objective's coefficients span more than ``PROVABLE_RANGE`` and
        ``model_value`` lies below the backend's resolution (``RESOLUTION`` of the largest
        coefficient): then it is made of terms the backend cannot tell from zero, and
        neither an optimality claim nor a bound at that value can be trusted."""
        if self.coefficient_range <= PROVABLE_RANGE:
            return True
        return model_value is not None and abs(model_value) >= RESOLUTION * self.coefficient_max

    def family_value(self, v: float | None) -> float | None:
        """Model value -> objective in the instance family's sense."""
        return None if v is None else self.sign * (self.offset + v / self.scale)


# A floating-point MIP code accepts x within ~1e-6 of an integer and compares objective
# values with tolerances relative to the largest coefficient. When the coefficients span
# more than PROVABLE_RANGE and the optimum is made of the small ones, the backend cannot
# tell it from zero: seen with traffic and distances of 1e30 beside ordinary values, where
# CBC and HiGHS both claimed "optimal" at 1.5e33 against a true optimum of 401197. Such a
# claim (and a bound at such a value) is not kept; the solution is.
PROVABLE_RANGE = 1e12
RESOLUTION = 1e-6


def coefficient_range(values: np.ndarray) -> tuple[float, float]:
    """(max / min of the non-zero |values|, max |values|); (1, 0) when all are zero."""
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[v > 0]
    return (float(v.max() / v.min()), float(v.max())) if v.size else (1.0, 0.0)


def import_pulp() -> Any:
    """``import pulp`` without letting PuLP load highspy.

    PuLP imports highspy for its in-process HiGHS API; highspy's libhighs.so.1 then keeps
    OR-Tools from loading in this process (google/or-tools#5246). The HiGHS backend runs
    in a child process instead, so PuLP's HiGHS API is not needed.
    """
    if "pulp" not in sys.modules and "highspy" not in sys.modules:
        sys.modules["highspy"] = None  # makes "import highspy" fail inside PuLP
        try:
            import pulp
        finally:
            del sys.modules["highspy"]
    import pulp

    return pulp


def _var(prob: Any, name: str, low: float, up: float | None = None,
         cat: str = "Continuous") -> Any:
    """A model variable: ``prob.add_variable`` (PuLP >= 3.3) or ``LpVariable`` before it."""
    pulp = import_pulp()

    if hasattr(prob, "add_variable"):
        return prob.add_variable(name, low, up, cat)
    return pulp.LpVariable(name, low, up, cat)


def _lin(pairs: list[tuple[Any, float]]) -> Any:
    pulp = import_pulp()

    return pulp.LpAffineExpression(pairs)


def _problem(name: str, default: str) -> Any:
    pulp = import_pulp()

    return pulp.LpProblem(re.sub(r"\W", "_", name) or default, pulp.LpMinimize)


def _check(deadline: Deadline | None) -> None:
    if deadline is not None:
        deadline.check("building the MILP model")


# ---------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------
def build_gqap_milp(data: GQAPModelData, linearisation: str = "rlt", rlt_capacity: bool = True,
                    name: str = "gqap",
                    deadline: Deadline | None = None) -> tuple[Any, dict, dict]:
    """PuLP model of a GQAP: (problem, x[(i, k)], y[(p, k, h)]); see ``gqap.solvers.milp``.

    Raises ``DeadlineExpired`` when ``deadline`` runs out during the build.
    """
    pulp = import_pulp()

    prob = _problem(name, "gqap")
    n, m = data.n, data.m
    x = {(i, k): _var(prob, f"x_{i}_{k}", 0, 1, pulp.LpBinary)
         for i in range(n) for k in range(m) if data.allowed[i, k]}
    y: dict[tuple[int, int, int], Any] = {}
    if linearisation == "rlt":
        for p in range(len(data.pairs)):
            if p % 64 == 0:
                _check(deadline)
            for k, h in zip(*np.nonzero(data.pair_allowed[p]), strict=True):
                y[p, int(k), int(h)] = _var(prob, f"y_{p}_{k}_{h}", 0)
    else:
        costly = (data.pair_cost != 0.0) & data.pair_allowed
        for c, (p, k, h) in enumerate(zip(*np.nonzero(costly), strict=True)):
            if c % 4096 == 0:
                _check(deadline)
            y[int(p), int(k), int(h)] = _var(prob, f"y_{p}_{k}_{h}", 0)

    terms = [(v, float(data.lin[i, k])) for (i, k), v in x.items() if data.lin[i, k] != 0.0]
    terms += [(v, float(data.pair_cost[p, k, h])) for (p, k, h), v in y.items()
              if data.pair_cost[p, k, h] != 0.0]
    prob.setObjective(_lin(terms))
    _check(deadline)

    for i in range(n):
        prob.addConstraint(_lin([(x[i, k], 1.0) for k in range(m) if (i, k) in x]) == 1,
                           f"assign_{i}")
    for k in range(m):
        prob.addConstraint(_lin([(x[i, k], float(data.q[i])) for i in range(n) if (i, k) in x])
                           <= float(data.Q[k]), f"cap_{k}")

    if linearisation == "rlt":
        _add_rlt(prob, data, x, y, rlt_capacity, deadline)
    else:
        for c, ((p, k, h), v) in enumerate(y.items()):
            if c % 4096 == 0:
                _check(deadline)
            i, j = data.pairs[p]
            if data.pair_cost[p, k, h] > 0:
                prob.addConstraint(_lin([(v, 1.0), (x[i, k], -1.0), (x[j, h], -1.0)]) >= -1,
                                   f"gw_{p}_{k}_{h}")
            else:
                prob.addConstraint(_lin([(v, 1.0), (x[i, k], -1.0)]) <= 0, f"gwi_{p}_{k}_{h}")
                prob.addConstraint(_lin([(v, 1.0), (x[j, h], -1.0)]) <= 0, f"gwj_{p}_{k}_{h}")
    return prob, x, y


def _add_rlt(prob: Any, data: GQAPModelData, x: dict, y: dict, rlt_capacity: bool,
             deadline: Deadline | None) -> None:
    n, m = data.n, data.m
    for p, (i, j) in enumerate(data.pairs):
        if p % 32 == 0:
            _check(deadline)
        for h in range(m):  # assignment of i times x_jh
            if (j, h) in x:
                row = [(y[p, k, h], 1.0) for k in range(m) if (p, k, h) in y]
                prob.addConstraint(_lin(row + [(x[j, h], -1.0)]) == 0, f"ra_{p}_{h}")
        for k in range(m):  # assignment of j times x_ik
            if (i, k) in x:
                row = [(y[p, k, h], 1.0) for h in range(m) if (p, k, h) in y]
                prob.addConstraint(_lin(row + [(x[i, k], -1.0)]) == 0, f"rb_{p}_{k}")
    if not rlt_capacity:
        return
    pair_index = {(int(i), int(j)): p for p, (i, j) in enumerate(data.pairs)}
    cut, rhs_all = data.capacity_rows()
    for j, h, k in zip(*np.nonzero(cut), strict=True):
        _check(deadline)
        rhs = float(rhs_all[j, h, k])
        row = []
        for i in range(n):
            if i == j:
                continue
            key = (pair_index[i, j], k, h) if i < j else (pair_index[j, i], h, k)
            if key in y:
                row.append((y[key], float(data.q[i])))
        prob.addConstraint(_lin(row + [(x[j, h], -rhs)]) <= 0, f"rc_{j}_{h}_{k}")


def build_batch_milp(data: BatchModelData, name: str = "offloading",
                     deadline: Deadline | None = None) -> tuple[Any, dict, dict]:
    """PuLP model of the b-disaggregated offloading problem: (problem, z[b], w[(i, b)]).

    Minimises minus the gains, so the offloading objective is base - value.
    """
    pulp = import_pulp()

    prob = _problem(name, "offloading")
    B, n_users = data.max_granted, data.n_users
    z = {b: _var(prob, f"z_{b}", 0, 1, pulp.LpBinary) for b in range(B + 1)}
    w = {}
    for b in range(1, B + 1):
        _check(deadline)
        for i in range(n_users):
            w[i, b] = _var(prob, f"w_{i}_{b}", 0, 1, pulp.LpBinary)
    prob.setObjective(_lin([(v, -float(data.gain[b - 1, i])) for (i, b), v in w.items()]))
    prob.addConstraint(_lin([(v, 1.0) for v in z.values()]) == 1, "one_b")
    for b in range(1, B + 1):
        _check(deadline)
        row = [(w[i, b], 1.0) for i in range(n_users)]
        prob.addConstraint(_lin(row + [(z[b], -float(b))]) == 0, f"count_{b}")
        for i in range(n_users):
            prob.addConstraint(_lin([(w[i, b], 1.0), (z[b], -1.0)]) <= 0, f"link_{i}_{b}")
    return prob, z, w


def build_multi_milp(data: MultiModelData, name: str = "multi",
                     deadline: Deadline | None = None) -> tuple[Any, dict, dict]:
    """PuLP model of the count-disaggregated multi-cluster problem:
    (problem, z[(s, b)], w[(i, s, b)]); minimises minus the gains (objective base - value).
    """
    pulp = import_pulp()

    prob = _problem(name, "multi")
    gain, b_max, n_users = data.table.gain, data.b_max, data.n_users
    z = {(s, b): _var(prob, f"z_{s}_{b}", 0, 1, pulp.LpBinary)
         for s in range(data.n_sites) for b in range(int(b_max[s]) + 1)}
    w = {}
    for s in range(data.n_sites):
        for b in range(1, int(b_max[s]) + 1):
            _check(deadline)
            for i in range(n_users):
                w[i, s, b] = _var(prob, f"w_{i}_{s}_{b}", 0, 1, pulp.LpBinary)
    prob.setObjective(_lin([(v, -float(gain[b, i, s])) for (i, s, b), v in w.items()]))
    for s in range(data.n_sites):
        prob.addConstraint(_lin([(z[s, b], 1.0) for b in range(int(b_max[s]) + 1)]) == 1,
                           f"one_b_{s}")
        for b in range(1, int(b_max[s]) + 1):
            _check(deadline)
            row = [(w[i, s, b], 1.0) for i in range(n_users)]
            prob.addConstraint(_lin(row + [(z[s, b], -float(b))]) == 0, f"count_{s}_{b}")
            for i in range(n_users):
                prob.addConstraint(_lin([(w[i, s, b], 1.0), (z[s, b], -1.0)]) <= 0,
                                   f"link_{i}_{s}_{b}")
    by_user: dict[int, list] = {i: [] for i in range(n_users)}
    for (i, _s, _b), v in w.items():
        by_user[i].append((v, 1.0))
    for i in range(n_users):
        prob.addConstraint(_lin(by_user[i]) <= 1, f"one_site_{i}")
    return prob, z, w


def _gqap_start_values(data: GQAPModelData, assignment: np.ndarray, y_keys: Any) -> dict:
    a = np.asarray(assignment)
    vals = {f"x_{i}_{k}": float(a[i] == k) for i in range(data.n) for k in range(data.m)}
    for p, k, h in y_keys:
        i, j = data.pairs[p]
        vals[f"y_{p}_{k}_{h}"] = float(a[i] == k and a[j] == h)
    return vals


@dataclass(frozen=True)
class ModelPlan:
    """What ``build_model`` will build: the formulation (model kind, data, warm start; the
    one CP-SAT uses too) and the model's exact size."""

    form: Formulation
    size: ModelSize

    @property
    def kind(self) -> str:
        """The formulation's kind (see ``gqap.solvers.model_choice.Formulation``)."""
        return self.form.kind

    @property
    def data(self) -> Any:
        """The formulation's model data."""
        return self.form.data

    @property
    def start(self) -> Solution | None:
        """The warm start."""
        return self.form.start


def plan_model(inst: Instance, model: str, split: str, linearisation: str,
               rlt_capacity: bool, start: str) -> ModelPlan:
    """The model data and exact size for ``inst`` under the given options (no PuLP yet);
    a one-line error when a coefficient overflows double precision."""
    form = formulation(inst, model, split, start, "milp")
    if form.kind == "batch-disaggregated":
        return ModelPlan(form, batch_milp_size(form.data))
    if form.kind == "count-disaggregated":
        return ModelPlan(form, multi_milp_size_for(form.data.b_max, form.data.n_users))
    return ModelPlan(form, gqap_milp_size(form.data, linearisation, rlt_capacity))


def build_model(inst: Instance, plan: ModelPlan, linearisation: str = "rlt",
                rlt_capacity: bool = True, deadline: Deadline | None = None) -> BuiltModel:
    """The PuLP model of ``plan`` for ``inst``, with its warm start if the plan has one."""
    start, data = plan.start, plan.data
    if plan.kind == "batch-disaggregated":
        s = power_of_two_scale(data.gain)
        model_data = data if s == 1.0 else BatchModelData(data.base, data.gain * s, data.split,
                                                          data.N)
        prob, z, w = build_batch_milp(model_data, inst.name, deadline)

        def decode(values: dict[str, float]) -> Solution:
            grant = np.array([any(values.get(f"w_{i}_{b}", 0.0) > 0.5
                                  for b in range(1, data.max_granted + 1))
                              for i in range(data.n_users)])
            return data.solution(grant)

        built = BuiltModel(prob, -1.0, -data.base, decode, plan.size, scale=s)
        built.coefficient_range, built.coefficient_max = coefficient_range(data.gain * s)
        if start is not None:
            grant = start.grant
            b = int(grant.sum())
            vals = {f"z_{bb}": float(bb == b) for bb in z}
            vals.update({f"w_{i}_{bb}": float(bb == b and grant[i]) for (i, bb) in w})
            built.start, built.start_solution = vals, data.solution(grant)
        return built

    if plan.kind == "count-disaggregated":
        return _build_multi(inst, plan, deadline)
    model_data, s = scaled_gqap_data(data)
    prob, x, y = build_gqap_milp(model_data, linearisation, rlt_capacity, plan.form.gqap.name,
                                 deadline)

    def decode_gqap(values: dict[str, float]) -> Solution:
        score = np.full((data.n, data.m), -1.0)
        for i, k in x:
            score[i, k] = values.get(f"x_{i}_{k}", 0.0)
        return plan.form.from_assignment(score.argmax(axis=1))

    built = BuiltModel(prob, plan.form.sign, 0.0, decode_gqap, plan.size, scale=s)
    built.coefficient_range, built.coefficient_max = coefficient_range(np.concatenate(
        [model_data.lin[data.allowed], model_data.pair_cost[data.pair_allowed]]))
    if start is not None:
        built.start = _gqap_start_values(data, plan.form.start_assignment(), y.keys())
        built.start_solution = decode_gqap(built.start)
    return built


def _build_multi(inst: Instance, plan: ModelPlan, deadline: Deadline | None) -> BuiltModel:
    data: MultiModelData = plan.data
    s = power_of_two_scale(data.gains())
    table = data.table
    if s != 1.0:
        from dataclasses import replace

        table = replace(table, gain=table.gain * s)
    prob, z, w = build_multi_milp(MultiModelData(table), inst.name, deadline)

    def decode(values: dict[str, float]) -> Solution:
        site = np.full(data.n_users, -1, dtype=np.int64)
        for i, s_, b in w:
            if values.get(f"w_{i}_{s_}_{b}", 0.0) > 0.5:
                site[i] = s_
        return data.solution(site)

    built = BuiltModel(prob, -1.0, -data.base, decode, plan.size, scale=s)
    built.coefficient_range, built.coefficient_max = coefficient_range(data.gains() * s)
    if plan.start is not None:
        site = np.asarray(plan.start.site, dtype=np.int64)
        counts = np.bincount(site[site >= 0], minlength=data.n_sites)
        vals = {f"z_{s_}_{b}": float(counts[s_] == b) for s_, b in z}
        vals.update({f"w_{i}_{s_}_{b}": float(site[i] == s_ and counts[s_] == b)
                     for i, s_, b in w})
        built.start, built.start_solution = vals, data.solution(site)
    return built


def model_value(prob: Any, values: dict[str, float]) -> float:
    """The objective of ``prob`` at ``values`` (exact, unlike a solver log's rounded print)."""
    return float(sum(coef * values.get(v.name, 0.0) for v, coef in prob.objective.items())
                 + prob.objective.constant)
