"""MILP solver (PuLP; CBC or HiGHS) for both families.

**GQAP.** The 0-1 quadratic program of ``solvers.formulations`` (costs folded onto
unordered pairs p = (i, j), i < j) is linearised with continuous product variables
y[p, k, h] = x_ik x_jh, created once per unordered pair (product symmetry), for every site
combination that capacities allow:

- ``linearization=rlt`` (default; Adams-Sherali level 1 as used for the GQAP by Pessoa,
  Hahn, Guignard and Zhu 2010): each assignment constraint multiplied by each x,
  sum_k y[p, k, h] = x_jh and sum_h y[p, k, h] = x_ik, and, with ``rlt_capacity`` (default
  on), each capacity constraint multiplied by each x_jh,
  sum_{i != j} q_i y[(i,k),(j,h)] <= (Q_k - q_j [k = h]) x_jh (left out where it cannot
  cut, i.e. when every other facility fits anyway). With binary x these equalities force
  y = x_ik x_jh, so y needs no integrality.
- ``linearization=standard`` (Glover-Woolsey): y only for products with a non-zero cost,
  y >= x_ik + x_jh - 1 for positive costs, y <= x_ik and y <= x_jh for negative ones (the
  sides that cannot bind under minimisation are left out; the LP bound is unchanged).
  The RLT equalities imply all three Glover-Woolsey inequalities, so the RLT LP bound is
  never weaker; ``lp_bound=true`` reports the LP-relaxation bound of the chosen model in
  ``info["lp_bound"]`` so the harness can compare them.

**Offloading.** ``model=full`` (default): the b-disaggregated model of
``solvers.formulations`` (z_b one-hot over the number of granted users, w_ib = user i
granted when b is chosen, each w weighted by the user's gain at its best split for that b,
from gqap.split.grant_gains); its optimum is the exact optimum with integer (or, with
``split=real``, real) split points. ``model=fixed-split``: the paper's Branch & Bound,
splits fixed at N_hat, i.e. the 2-site GQAP of gqap.reduction.offloading_to_gqap
(Proposition 1) solved with the GQAP model above. Its solution is only optimal for that
restriction, so the status is ``feasible`` (``info["model_status"]`` says whether the
restricted model was proven optimal, ``info["model_bound"]`` gives its bound).

Status is ``optimal`` only when the backend proved it (every backend status is mapped
explicitly; PuLP's own status, which calls a time-limited run "Optimal", is not used).
The time limit is wall clock from the start of the call, model build included
(``info["build_time_s"]``). Both backends run in a child process on the MPS file PuLP
writes, and are stopped at the limit: CBC (PuLP's bundled binary) as a command, HiGHS
through highspy. HiGHS cannot run in-process because highspy and OR-Tools ship
incompatible copies of libhighs.so.1 and one Python process cannot load both
(google/or-tools#5246), which would break ``cpsat`` wherever ``milp`` ran before it.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.evaluation import SENSE, evaluate
from gqap.instances import GQAPInstance, Instance, OffloadingInstance
from gqap.reduction import assignment_to_offloading, grant_to_assignment, offloading_to_gqap
from gqap.solutions import GQAPSolution, OffloadingSolution, Solution
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.formulations import (
    LINEARIZATIONS,
    MODELS,
    BatchModelData,
    GQAPModelData,
    batch_model_data,
    check_start_option,
    gqap_model_data,
    relative_gap,
    warm_start,
)
from gqap.solvers.options import SPLIT_MODES

BACKENDS = ("cbc", "highs")
_CBC_GRACE_S = 0.5  # past the limit CBC gets this long, then SIGINT and as long again, then KILL
_SOLVE_FLOOR_S = 0.05  # below this much time left, the backend is not started


@dataclass(frozen=True)
class MILPOptions:
    """Options of ``milp``.

    model: offloading only, 'full' (integer splits, default) or 'fixed-split' (N_hat);
    split: 'integer' or 'real' split points in the full model; linearization: 'rlt' or
    'standard' (GQAP and fixed-split); rlt_capacity: add capacity x variable products;
    backend: 'cbc' or 'highs'; threads: backend threads; gap: relative MIP gap at which the
    backend may stop and claim optimality; start: 'none', 'greedy' or a solution file to
    warm-start from; lp_bound: also solve the LP relaxation and report its bound; msg:
    show the backend's log.
    """

    model: str = "full"
    split: str = "integer"
    linearization: str = "rlt"
    rlt_capacity: bool = True
    backend: str = "cbc"
    threads: int = 1
    gap: float = 1e-9
    start: str = "none"
    lp_bound: bool = False
    msg: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("model", MODELS), ("split", SPLIT_MODES),
                              ("linearization", LINEARIZATIONS), ("backend", BACKENDS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, "
                                 f"got {getattr(self, name)!r}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if not 0.0 <= self.gap < 1.0:
            raise ValueError(f"gap must lie in [0, 1), got {self.gap}")
        check_start_option(self.start)


# ---------------------------------------------------------------------------------------
# Model building
# ---------------------------------------------------------------------------------------
@dataclass
class BuiltModel:
    """A PuLP minimisation model with what is needed to read its answer back.

    The family objective of a model value v is ``sign * (offset + v)``.
    """

    prob: Any
    sign: float
    offset: float
    decode: Any  # callable: {variable name: value} -> Solution
    start: dict[str, float] | None = None
    start_solution: Solution | None = None

    def family_value(self, v: float | None) -> float | None:
        """Model value -> objective in the instance family's sense."""
        return None if v is None else self.sign * (self.offset + v)


def import_pulp() -> Any:
    """``import pulp`` without letting PuLP load highspy.

    PuLP imports highspy for its in-process HiGHS API; highspy's libhighs.so.1 then keeps
    OR-Tools from loading in this process (google/or-tools#5246). This module runs HiGHS
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


def build_gqap_milp(data: GQAPModelData, linearization: str = "rlt", rlt_capacity: bool = True,
                    name: str = "gqap") -> tuple[Any, dict, dict]:
    """PuLP model of a GQAP: (problem, x[(i, k)], y[(p, k, h)]); see the module doc."""
    pulp = import_pulp()

    prob = pulp.LpProblem(re.sub(r"\W", "_", name) or "gqap", pulp.LpMinimize)
    n, m = data.n, data.m
    x = {(i, k): _var(prob, f"x_{i}_{k}", 0, 1, pulp.LpBinary)
         for i in range(n) for k in range(m) if data.allowed[i, k]}
    y: dict[tuple[int, int, int], Any] = {}
    if linearization == "rlt":
        for p in range(len(data.pairs)):
            for k, h in zip(*np.nonzero(data.pair_allowed[p]), strict=True):
                y[p, int(k), int(h)] = _var(prob, f"y_{p}_{k}_{h}", 0)
    else:
        costly = (data.pair_cost != 0.0) & data.pair_allowed
        for p, k, h in zip(*np.nonzero(costly), strict=True):
            y[int(p), int(k), int(h)] = _var(prob, f"y_{p}_{k}_{h}", 0)

    terms = [(v, float(data.lin[i, k])) for (i, k), v in x.items() if data.lin[i, k] != 0.0]
    terms += [(v, float(data.pair_cost[p, k, h])) for (p, k, h), v in y.items()
              if data.pair_cost[p, k, h] != 0.0]
    prob.setObjective(_lin(terms))

    for i in range(n):
        prob.addConstraint(_lin([(x[i, k], 1.0) for k in range(m) if (i, k) in x]) == 1,
                           f"assign_{i}")
    for k in range(m):
        prob.addConstraint(_lin([(x[i, k], float(data.q[i])) for i in range(n) if (i, k) in x])
                           <= float(data.Q[k]), f"cap_{k}")

    if linearization == "rlt":
        _add_rlt(prob, data, x, y, rlt_capacity)
    else:
        for (p, k, h), v in y.items():
            i, j = data.pairs[p]
            if data.pair_cost[p, k, h] > 0:
                prob.addConstraint(_lin([(v, 1.0), (x[i, k], -1.0), (x[j, h], -1.0)]) >= -1,
                                   f"gw_{p}_{k}_{h}")
            else:
                prob.addConstraint(_lin([(v, 1.0), (x[i, k], -1.0)]) <= 0, f"gwi_{p}_{k}_{h}")
                prob.addConstraint(_lin([(v, 1.0), (x[j, h], -1.0)]) <= 0, f"gwj_{p}_{k}_{h}")
    return prob, x, y


def _add_rlt(prob: Any, data: GQAPModelData, x: dict, y: dict, rlt_capacity: bool) -> None:
    n, m = data.n, data.m
    for p, (i, j) in enumerate(data.pairs):
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
    for j in range(n):
        others = sum(float(data.q[i]) for i in range(n) if i != j)
        for h in range(m):
            if (j, h) not in x:
                continue
            for k in range(m):
                rhs = float(data.Q[k]) - (float(data.q[j]) if k == h else 0.0)
                if others <= rhs:
                    continue  # every other facility fits: the product row cannot cut
                row = []
                for i in range(n):
                    if i == j:
                        continue
                    if i < j:
                        key = (pair_index[i, j], k, h)
                    else:
                        key = (pair_index[j, i], h, k)
                    if key in y:
                        row.append((y[key], float(data.q[i])))
                prob.addConstraint(_lin(row + [(x[j, h], -rhs)]) <= 0, f"rc_{j}_{h}_{k}")


def build_batch_milp(data: BatchModelData, name: str = "offloading") -> tuple[Any, dict, dict]:
    """PuLP model of the b-disaggregated offloading problem: (problem, z[b], w[(i, b)]).

    Minimises minus the gains, so the offloading objective is base - value.
    """
    pulp = import_pulp()

    prob = pulp.LpProblem(re.sub(r"\W", "_", name) or "offloading", pulp.LpMinimize)
    B, n_users = data.max_granted, data.n_users
    z = {b: _var(prob, f"z_{b}", 0, 1, pulp.LpBinary) for b in range(B + 1)}
    w = {(i, b): _var(prob, f"w_{i}_{b}", 0, 1, pulp.LpBinary)
         for b in range(1, B + 1) for i in range(n_users)}
    prob.setObjective(_lin([(v, -float(data.gain[b - 1, i])) for (i, b), v in w.items()]))
    prob.addConstraint(_lin([(v, 1.0) for v in z.values()]) == 1, "one_b")
    for b in range(1, B + 1):
        row = [(w[i, b], 1.0) for i in range(n_users)]
        prob.addConstraint(_lin(row + [(z[b], -float(b))]) == 0, f"count_{b}")
        for i in range(n_users):
            prob.addConstraint(_lin([(w[i, b], 1.0), (z[b], -1.0)]) <= 0, f"link_{i}_{b}")
    return prob, z, w


def _gqap_start_values(data: GQAPModelData, assignment: np.ndarray, y_keys: Any) -> dict:
    a = np.asarray(assignment)
    vals = {f"x_{i}_{k}": float(a[i] == k) for i in range(data.n) for k in range(data.m)}
    for p, k, h in y_keys:
        i, j = data.pairs[p]
        vals[f"y_{p}_{k}_{h}"] = float(a[i] == k and a[j] == h)
    return vals


def build_model(inst: Instance, opts: MILPOptions) -> BuiltModel:
    """The PuLP model the options select for ``inst``, with its warm start if asked for."""
    start = warm_start(inst, opts.start, opts.model == "fixed-split", opts.split == "integer")
    if isinstance(inst, OffloadingInstance) and opts.model == "full":
        data = batch_model_data(inst, integer=opts.split == "integer")
        prob, z, w = build_batch_milp(data, inst.name)

        def decode(values: dict[str, float]) -> Solution:
            grant = np.array([any(values.get(f"w_{i}_{b}", 0.0) > 0.5
                                  for b in range(1, data.max_granted + 1))
                              for i in range(data.n_users)])
            return data.solution(grant)

        built = BuiltModel(prob, -1.0, -data.base, decode)
        if start is not None:
            grant = start.grant
            b = int(grant.sum())
            vals = {f"z_{bb}": float(bb == b) for bb in z}
            vals.update({f"w_{i}_{bb}": float(bb == b and grant[i]) for (i, bb) in w})
            built.start, built.start_solution = vals, data.solution(grant)
        return built

    gq = offloading_to_gqap(inst) if isinstance(inst, OffloadingInstance) else inst
    data = gqap_model_data(gq)
    prob, x, y = build_gqap_milp(data, opts.linearization, opts.rlt_capacity, gq.name)

    def decode_gqap(values: dict[str, float]) -> Solution:
        score = np.full((data.n, data.m), -1.0)
        for i, k in x:
            score[i, k] = values.get(f"x_{i}_{k}", 0.0)
        sol = GQAPSolution(score.argmax(axis=1))
        return assignment_to_offloading(inst, sol) if isinstance(inst, OffloadingInstance) \
            else sol

    sign = -1.0 if isinstance(inst, OffloadingInstance) else 1.0
    built = BuiltModel(prob, sign, 0.0, decode_gqap)
    if start is not None:
        assignment = (grant_to_assignment(start.grant).assignment
                      if isinstance(start, OffloadingSolution) else start.assignment)
        built.start = _gqap_start_values(data, assignment, y.keys())
        built.start_solution = decode_gqap(built.start)
    return built


# ---------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------
@dataclass
class BackendResult:
    """A backend's answer in backend-neutral terms (model values, minimisation)."""

    outcome: str  # optimal | time_limit | infeasible | feasible | error
    raw_status: str
    values: dict[str, float] | None = None
    objective: float | None = None
    bound: float | None = None
    solve_time_s: float = 0.0
    start_value: float | None = None  # model value of a warm start the backend accepted


_CBC_RESULTS = {  # CBC's "Result - ..." line -> outcome
    "optimal solution found": "optimal",
    "stopped on time limit": "time_limit",
    "stopped on ctrl-c": "time_limit",  # only we send SIGINT, and only at the limit
    "problem proven infeasible": "infeasible",
    "linear relaxation infeasible": "infeasible",
    "linear relaxation unbounded": "error",
    "stopped on iterations or time": "time_limit",
    "stopped on iteration limit": "feasible",
    "stopped on node limit": "feasible",
    "stopped on solution limit": "feasible",
    "stopped on difficulties": "feasible",
    "stopped on event handler": "feasible",
}


def _parse_cbc_log(text: str, mip: bool) -> tuple[str, str, float | None, float | None]:
    """(outcome, raw status, objective, lower bound) from a CBC log."""
    def number(label: str) -> float | None:
        hit = re.search(rf"^{label}:\s*(\S+)", text, re.M)
        try:
            return float(hit.group(1)) if hit else None
        except ValueError:
            return None

    if not mip:  # LP: Clp prints e.g. "Optimal - objective value 12.5"
        hit = re.search(r"^(Optimal|Primal infeasible|Dual infeasible|Stopped[^-]*?)"
                        r"\s*-\s*objective value\s*(\S+)", text, re.M | re.I)
        if not hit:
            return "error", "no LP status in CBC log", None, None
        raw = hit.group(1).strip()
        value = float(hit.group(2))
        outcome = {"optimal": "optimal", "primal infeasible": "infeasible"}.get(
            raw.lower(), "time_limit" if raw.lower().startswith("stopped") else "error")
        return outcome, raw, value, value if outcome == "optimal" else None
    progress = cbc_log_bound(text)
    hit = re.search(r"^Result - (.*)$", text, re.M)
    if not hit:
        return "error", "no result line in CBC log", None, progress
    raw = hit.group(1).strip()
    key = re.sub(r"\s*\(.*\)$", "", raw).lower()
    outcome = _CBC_RESULTS.get(key, "error")
    obj = number("Objective value")
    hit = re.search(r"^Lower bound:\s*(\S+)", text, re.M)
    bounds = [b for b in (progress, _printed_floor(hit.group(1)) if hit else None)
              if b is not None]
    bound = max(bounds) if bounds else None
    if outcome == "optimal":
        bound = obj
    return outcome, raw, obj, bound


def _printed_floor(token: str) -> float | None:
    """A number as printed, minus half a unit of its last printed digit: never above the
    value CBC rounded (CBC prints bounds with as few as 5 significant digits)."""
    try:
        x = float(token)
    except ValueError:
        return None
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return x - 0.5 * 10.0 ** (int(exponent or 0) - decimals)


def cbc_log_bound(text: str) -> float | None:
    """The best lower bound a (possibly unfinished) CBC log proves: its root LP value
    ("Continuous objective value is ...") and every "best possible ..." it printed."""
    tokens = re.findall(r"Continuous objective value is ([-+0-9.eE]+)", text)
    tokens += re.findall(r"best possible ([-+0-9.eE]+)", text)
    values = [v for v in map(_printed_floor, tokens) if v is not None]
    return max(values) if values else None


def cbc_command() -> Any:
    """PuLP's CBC adapter on the CBC binary bundled with PuLP, else on ``cbc`` from PATH."""
    pulp = import_pulp()
    from pulp.apis import coin_api

    bundled = os.path.abspath(getattr(coin_api, "pulp_cbc_path", ""))
    if os.path.isfile(bundled) and os.access(bundled, os.X_OK):
        return pulp.COIN_CMD(path=bundled, msg=False)
    cbc = pulp.COIN_CMD(msg=False)
    if not cbc.available():
        raise GQAPError("solver milp: no CBC binary found (PuLP's bundled one is missing and "
                        "there is no cbc on PATH); use backend=highs")
    return cbc


def solve_cbc(prob: Any, deadline: Deadline, *, threads: int, gap: float, mip: bool,
              start: dict[str, float] | None, msg: bool) -> BackendResult:
    """Run PuLP's bundled CBC on ``prob`` as a child process, interrupted at the deadline."""
    pulp = import_pulp()

    cbc = cbc_command()
    with tempfile.TemporaryDirectory(prefix="gqap-cbc-") as tmp:
        mps, sol, mst, log = (os.path.join(tmp, f) for f in
                              ("model.mps", "model.sol", "start.mst", "cbc.log"))
        vs, var_names, con_names, _ = prob.writeMPS(mps, rename=1)
        # Line-buffered output, so that a CBC killed at the limit still leaves its progress.
        args = (["stdbuf", "-oL"] if shutil.which("stdbuf") else []) + [cbc.path, mps]
        if start and mip:
            for v in vs:
                v.varValue = start.get(v.name, 0.0)
            cbc.writesol(mst, prob, vs, var_names, con_names)
            args += ["-mips", mst]
        remaining = deadline.remaining()
        if remaining < _SOLVE_FLOOR_S:
            return BackendResult("time_limit", "no time left for CBC")
        if math.isfinite(remaining):
            args += ["-sec", f"{max(remaining - 0.2, 0.01):.3f}", "-timeMode", "elapsed"]
        args += ["-threads", str(threads), "-ratio", repr(gap)]
        args += ["-solve" if mip else "-initialSolve", "-printingOptions", "all",
                 "-solution", sol]
        t0 = time.perf_counter()
        with open(log, "w") as out:
            proc = _spawn(args, stdout=out, stderr=subprocess.STDOUT)
            interrupted = _wait_or_interrupt(proc, deadline)
        elapsed = time.perf_counter() - t0
        text = Path(log).read_text(errors="replace")
        if msg:
            print(text)
        outcome, raw, obj, bound = _parse_cbc_log(text, mip)
        if interrupted and outcome in ("error", "feasible"):
            outcome, raw = "time_limit", f"interrupted at the time limit ({raw})"
        values = None
        if os.path.exists(sol) and outcome not in ("infeasible", "error"):
            _, named, *_rest, sol_status = cbc.readsol_MPS(sol, prob, vs, var_names, con_names)
            if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
                values = {str(k): float(v) for k, v in named.items()}
        if values is None and outcome in ("optimal", "feasible"):
            outcome = "error"
        if values is not None:
            obj = model_value(prob, values)
            bound = obj if outcome == "optimal" or bound is None else min(bound, obj)
        hit = re.search(r"MIPStart provided solution with cost (\S+)", text)
        return BackendResult(outcome, raw, values, obj if values else None, bound, elapsed,
                             float(hit.group(1)) if hit else None)


def model_value(prob: Any, values: dict[str, float]) -> float:
    """The objective of ``prob`` at ``values`` (exact, unlike a solver log's rounded print)."""
    return float(sum(coef * values.get(v.name, 0.0) for v, coef in prob.objective.items())
                 + prob.objective.constant)


def _die_with_parent() -> None:
    """In the child (Linux): get SIGKILL when the parent dies, so that a harness that kills
    an overrunning worker leaves no orphaned solver behind."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _spawn(args: list[str], **kw: Any) -> subprocess.Popen:
    """Start a backend child process (tied to this process's life on Linux)."""
    if sys.platform.startswith("linux"):
        kw["preexec_fn"] = _die_with_parent
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, **kw)


def _wait_or_interrupt(proc: subprocess.Popen, deadline: Deadline) -> bool:
    """Wait for CBC; past the deadline ask it to stop (SIGINT), then kill it. True if asked.

    CBC checks ``-sec`` only between its phases: during a long root LP it ignores both the
    limit and SIGINT (measured on Cordeau 20-15-35), so the kill is what keeps the promise.
    """
    try:
        proc.wait(timeout=None if math.isinf(deadline.remaining())
                  else max(deadline.remaining(), 0.0) + _CBC_GRACE_S)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=_CBC_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return True


_HIGHS_OUTCOMES = {  # HighsModelStatus name -> outcome
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "error",
    "kUnbounded": "error",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "feasible",
    "kSolutionLimit": "feasible",
    "kObjectiveBound": "feasible",
    "kObjectiveTarget": "feasible",
    "kInterrupt": "feasible",
    "kHighsInterrupt": "feasible",
    "kMemoryLimit": "feasible",
    "kNotset": "error",
    "kLoadError": "error",
    "kModelError": "error",
    "kPresolveError": "error",
    "kSolveError": "error",
    "kPostsolveError": "error",
    "kModelEmpty": "error",
    "kUnknown": "error",
}


# HiGHS runs in a child process: highspy and OR-Tools each ship a libhighs.so.1 of a
# different version, and whichever loads first breaks the other in the same process
# (google/or-tools#5246). The child reads the MPS file PuLP writes and answers in JSON.
_HIGHS_CHILD = r"""
import json, sys, time
import highspy
cfg = json.load(open(sys.argv[1]))
h = highspy.Highs()
h.setOptionValue("output_flag", bool(cfg["msg"]))
h.readModel(cfg["mps"])
for key, value in cfg["options"].items():
    h.setOptionValue(key, value)
if cfg["deadline"] is not None:
    h.setOptionValue("time_limit", max(cfg["deadline"] - time.time(), 0.01))
names = list(h.getLp().col_names_)
if cfg["start"]:
    sol = highspy.HighsSolution()
    sol.col_value = [cfg["start"].get(n, 0.0) for n in names]
    sol.value_valid = True
    h.setSolution(sol)
t0 = time.perf_counter()
h.run()
elapsed = time.perf_counter() - t0
status = h.getModelStatus()
info = h.getInfo()
feasible = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
values = list(h.getSolution().col_value) if feasible else None
out = {"status": status.name, "status_text": h.modelStatusToString(status),
       "dual_bound": info.mip_dual_bound if cfg["options"].get("solve_relaxation") is not True
       else None, "solve_time_s": elapsed,
       "values": None if values is None else {n: v for n, v in zip(names, values) if v}}
with open(cfg["out"], "w") as f:
    json.dump(out, f)
"""


def solve_highs(prob: Any, deadline: Deadline, *, threads: int, gap: float, mip: bool,
                start: dict[str, float] | None, msg: bool) -> BackendResult:
    """Solve ``prob`` with HiGHS (highspy) in a child process stopped at the deadline."""
    import json

    with tempfile.TemporaryDirectory(prefix="gqap-highs-") as tmp:
        mps, cfg_path, out_path = (os.path.join(tmp, f) for f in
                                   ("model.mps", "config.json", "answer.json"))
        vs, var_names, _, _ = prob.writeMPS(mps, rename=1)
        original = {new: old for old, new in var_names.items()}
        remaining = deadline.remaining()
        if remaining < _SOLVE_FLOOR_S:
            return BackendResult("time_limit", "no time left for HiGHS")
        options: dict[str, Any] = {"threads": threads, "mip_rel_gap": gap,
                                   "mip_abs_gap": 0.0}
        if not mip:
            options["solve_relaxation"] = True
        cfg = {"mps": mps, "out": out_path, "msg": msg, "options": options,
               "deadline": None if math.isinf(remaining) else time.time() + remaining - 0.1,
               "start": ({var_names[v.name]: start.get(v.name, 0.0) for v in vs}
                         if start and mip else None)}
        Path(cfg_path).write_text(json.dumps(cfg))
        t0 = time.perf_counter()
        proc = _spawn([sys.executable, "-c", _HIGHS_CHILD, cfg_path],
                      stdout=None if msg else subprocess.DEVNULL, stderr=subprocess.PIPE)
        interrupted = _wait_or_interrupt(proc, deadline)
        elapsed = time.perf_counter() - t0
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if not os.path.exists(out_path):
            if interrupted:
                return BackendResult("time_limit", "killed at the time limit", solve_time_s=elapsed)
            last = err.splitlines()[-1] if err else f"exit code {proc.returncode}"
            return BackendResult("error", f"HiGHS child failed: {last}", solve_time_s=elapsed)
        answer = json.loads(Path(out_path).read_text())
    outcome = _HIGHS_OUTCOMES.get(answer["status"], "error")
    values = None
    if answer["values"] is not None and outcome not in ("infeasible", "error"):
        values = {v.name: 0.0 for v in vs}
        values.update({original[k]: float(x) for k, x in answer["values"].items()})
    obj = model_value(prob, values) if values is not None else None
    bound = answer["dual_bound"] if mip else None
    bound = float(bound) if bound is not None and math.isfinite(bound) else None
    if outcome == "optimal" and obj is not None:
        # Proven within the gap tolerance: keep the dual bound, but never past the incumbent.
        bound = obj if bound is None else min(bound, obj)
    if values is None and outcome in ("optimal", "feasible"):
        outcome = "error"
    return BackendResult(outcome, answer["status_text"], values, obj, bound,
                         answer["solve_time_s"])


def run_backend(backend: str, prob: Any, deadline: Deadline, **kw: Any) -> BackendResult:
    """Solve ``prob`` (MIP or, with mip=False, its LP relaxation) with the named backend."""
    return (solve_cbc if backend == "cbc" else solve_highs)(prob, deadline, **kw)


def relaxation_bound(built: BuiltModel, opts: MILPOptions, deadline: Deadline) -> dict[str, Any]:
    """Solve the LP relaxation of ``built``: {lp_bound (family sense, None if not solved),
    lp_status, lp_time_s}."""
    t0 = time.perf_counter()
    lp = run_backend(opts.backend, built.prob, deadline, mip=False, start=None,
                     threads=opts.threads, gap=opts.gap, msg=opts.msg)
    bound = built.family_value(lp.objective) if lp.outcome == "optimal" else None
    return {"lp_bound": bound, "lp_status": lp.raw_status,
            "lp_time_s": time.perf_counter() - t0}


def lp_relaxation(instance: Instance, time_limit: float | None = None,
                  **options: Any) -> dict[str, Any]:
    """LP-relaxation bound of the model that ``milp`` with ``options`` would solve.

    For the harness's strength comparisons; returns the ``relaxation_bound`` fields plus
    build time and model size. Options are those of ``milp`` (``lp_bound`` is implied).
    """
    from gqap.solvers.base import parse_options

    opts = parse_options(MILPOptions, "milp", options)
    deadline = Deadline(time_limit)
    built = build_model(instance, opts)
    out = {"build_time_s": deadline.elapsed(), "n_variables": len(built.prob.variables()),
           "n_constraints": built.prob.numConstraints()}
    out.update(relaxation_bound(built, opts, deadline))
    return out


# ---------------------------------------------------------------------------------------
# The solver
# ---------------------------------------------------------------------------------------
class MILPSolver(Solver):
    """RLT- (or standard-) linearised MILP through PuLP with CBC or HiGHS."""

    name = "milp"
    families = ("offloading", "gqap")
    Options = MILPOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        opts: MILPOptions = self.options
        deadline = Deadline(time_limit)
        if isinstance(instance, GQAPInstance) and opts.model != "full":
            raise GQAPError(f"solver milp: model={opts.model} applies to offloading instances "
                            "only")
        fixed = isinstance(instance, OffloadingInstance) and opts.model == "fixed-split"
        full_off = isinstance(instance, OffloadingInstance) and not fixed
        built = build_model(instance, opts)
        build_time = deadline.elapsed()
        info: dict[str, Any] = {
            "backend": opts.backend,
            "model": "batch-disaggregated" if full_off else ("fixed-split" if fixed else "gqap"),
            "linearization": None if full_off else opts.linearization,
            "rlt_capacity": opts.rlt_capacity if not full_off and opts.linearization == "rlt"
            else None,
            "split_mode": opts.split if full_off else ("fixed-N_hat" if fixed else None),
            "threads": opts.threads, "gap_tolerance": opts.gap, "start": opts.start,
            "build_time_s": build_time, "n_variables": len(built.prob.variables()),
            "n_constraints": built.prob.numConstraints(),
        }
        if built.start_solution is not None:
            info["start_objective"] = evaluate(instance, built.start_solution).objective
        kw = dict(threads=opts.threads, gap=opts.gap, msg=opts.msg)
        lp_bound = None
        if opts.lp_bound:
            lp_info = relaxation_bound(built, opts, deadline)
            info.update(lp_info)
            lp_bound = lp_info["lp_bound"]
        res = run_backend(opts.backend, built.prob, deadline, mip=True, start=built.start, **kw)
        info["backend_status"] = res.raw_status
        if built.start is not None and opts.backend == "cbc":
            info["start_accepted"] = res.start_value is not None  # from CBC's log
        info["solve_time_s"] = res.solve_time_s
        incumbent = built.family_value(res.objective)
        bound = built.family_value(res.bound)
        if lp_bound is not None:  # keep the stronger of the MIP and LP bounds
            tighter = min if SENSE[instance.family] == "max" else max
            bound = lp_bound if bound is None else tighter(bound, lp_bound)
        info["incumbent"] = incumbent
        info["best_bound"] = bound
        info["mip_gap"] = relative_gap(incumbent, bound)

        solution = built.decode(res.values) if res.values is not None else None
        outcome = res.outcome
        if solution is None and outcome == "time_limit":
            solution = built.start_solution
            info["solution_from"] = "start" if solution is not None else None
        status = {"optimal": Status.OPTIMAL, "time_limit": Status.TIME_LIMIT,
                  "infeasible": Status.INFEASIBLE, "feasible": Status.FEASIBLE,
                  "error": Status.ERROR}[outcome]
        if fixed:
            # Optimal for the restriction to n_i = N_hat only: not a bound on the instance.
            info["model_status"] = str(status)
            info["model_bound"] = bound
            bound = None
            if status == Status.OPTIMAL:
                status = Status.FEASIBLE
        return SolverOutput(solution, status, bound=bound, info=info)
