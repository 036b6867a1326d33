"""The HiGHS backend: highspy in a supervised child process, reading PuLP's MPS file.

HiGHS cannot run in this process: highspy and OR-Tools ship incompatible copies of
libhighs.so.1 and one Python process cannot load both (google/or-tools#5246), which would
break ``cpsat`` wherever ``milp`` ran before it. The child answers in JSON; every
``HighsModelStatus`` is mapped explicitly (``HIGHS_STATUS``).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gqap.solvers.base import Deadline, Status
from gqap.solvers.milp.backend import SOLVE_FLOOR_S, Backend, BackendResult, write_mps
from gqap.solvers.milp.model import model_value
from gqap.solvers.process import spawn, wait_until

GRACE_S = 0.5

HIGHS_STATUS: dict[str, Status] = {  # HighsModelStatus name -> status
    "kOptimal": Status.OPTIMAL,
    "kInfeasible": Status.INFEASIBLE,
    "kUnboundedOrInfeasible": Status.ERROR,
    "kUnbounded": Status.ERROR,
    "kTimeLimit": Status.TIME_LIMIT,
    "kIterationLimit": Status.FEASIBLE,
    "kSolutionLimit": Status.FEASIBLE,
    "kObjectiveBound": Status.FEASIBLE,
    "kObjectiveTarget": Status.FEASIBLE,
    "kInterrupt": Status.FEASIBLE,
    "kHighsInterrupt": Status.FEASIBLE,
    "kMemoryLimit": Status.FEASIBLE,
    "kNotset": Status.ERROR,
    "kLoadError": Status.ERROR,
    "kModelError": Status.ERROR,
    "kPresolveError": Status.ERROR,
    "kSolveError": Status.ERROR,
    "kPostsolveError": Status.ERROR,
    "kModelEmpty": Status.ERROR,
    "kUnknown": Status.ERROR,
}

# The child reads the MPS file and answers in JSON (see the module doc for why a child).
_CHILD = r"""
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


def highs_status(name: str) -> Status:
    """The status of a ``HighsModelStatus`` name (unknown names are ``error``)."""
    return HIGHS_STATUS.get(name, Status.ERROR)


class HighsBackend(Backend):
    """HiGHS through highspy in a child process stopped at the deadline."""

    name = "highs"

    @classmethod
    def available(cls) -> bool:
        """True when highspy is installed (found without importing it here)."""
        try:
            return importlib.util.find_spec("highspy") is not None
        except (ImportError, ValueError):
            return False

    @classmethod
    def unavailable_reason(cls) -> str:
        """One line saying why HiGHS cannot run ('' when it can)."""
        return "" if cls.available() else (
            "solver milp: backend=highs needs highspy (pip install 'gqap-bench[milp]'); "
            "use backend=cbc")

    def solve(self, prob: Any, deadline: Deadline, *, mip: bool, threads: int, gap: float,
              start: dict[str, float] | None, msg: bool,
              build_time_s: float = 0.0) -> BackendResult:
        """Solve ``prob`` with HiGHS in a child process stopped at the deadline."""
        with tempfile.TemporaryDirectory(prefix="gqap-highs-") as tmp:
            mps, cfg_path, out_path = (os.path.join(tmp, f) for f in
                                       ("model.mps", "config.json", "answer.json"))
            (vs, var_names, _, _), write_s = write_mps(prob, mps, deadline, build_time_s)
            original = {new: old for old, new in var_names.items()}
            remaining = deadline.remaining()
            if remaining < SOLVE_FLOOR_S:
                return BackendResult(Status.TIME_LIMIT, "no time left for HiGHS",
                                     write_time_s=write_s)
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
            proc = spawn([sys.executable, "-c", _CHILD, cfg_path],
                         stdout=None if msg else subprocess.DEVNULL, stderr=subprocess.PIPE)
            interrupted = wait_until(proc, deadline, GRACE_S)
            elapsed = time.perf_counter() - t0
            err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
            if proc.stderr:
                proc.stderr.close()
            if not os.path.exists(out_path):
                if interrupted:
                    return BackendResult(Status.TIME_LIMIT, "killed at the time limit",
                                         solve_time_s=elapsed, write_time_s=write_s)
                last = err.splitlines()[-1] if err else f"exit code {proc.returncode}"
                return BackendResult(Status.ERROR, f"HiGHS child failed: {last}",
                                     solve_time_s=elapsed, write_time_s=write_s)
            answer = json.loads(Path(out_path).read_text())
        status = highs_status(answer["status"])
        values = None
        if answer["values"] is not None and status not in (Status.INFEASIBLE, Status.ERROR):
            values = {v.name: 0.0 for v in vs}
            values.update({original[k]: float(x) for k, x in answer["values"].items()})
        obj = model_value(prob, values) if values is not None else None
        bound = answer["dual_bound"] if mip else None
        bound = float(bound) if bound is not None and math.isfinite(bound) else None
        if status == Status.OPTIMAL and obj is not None:
            # Proven within the gap tolerance: keep the dual bound, but never past the incumbent.
            bound = obj if bound is None else min(bound, obj)
        if values is None and status in (Status.OPTIMAL, Status.FEASIBLE):
            status = Status.ERROR
        return BackendResult(status, answer["status_text"], values, obj, bound,
                             answer["solve_time_s"], write_time_s=write_s)
