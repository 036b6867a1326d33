"""The CBC backend: PuLP's bundled CBC binary as a child process, and its log parser.

The MPS file PuLP writes is solved by ``cbc`` in a child process that dies with this one
and is interrupted (SIGINT, then SIGKILL) at the deadline. The outcome is read from the
log: the ``Result - ...`` line when CBC printed one (``CBC_RESULTS``), the presolve's
``Problem is infeasible`` line when it stopped before (``CBC_EARLY``); anything else is
``error``. Bounds come from the log, rounded down to what the printed digits prove.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError
from gqap.solvers.base import Deadline, Status
from gqap.solvers.milp.backend import SOLVE_FLOOR_S, Backend, BackendResult, write_mps
from gqap.solvers.milp.model import import_pulp, model_value
from gqap.solvers.process import spawn, wait_until

GRACE_S = 0.5  # past the limit CBC gets this long, then SIGINT and as long again, then KILL

# CBC's "Result - ..." line (text before any parenthesis, lower case) -> status.
CBC_RESULTS: dict[str, Status] = {
    "optimal solution found": Status.OPTIMAL,
    "stopped on time limit": Status.TIME_LIMIT,
    "stopped on ctrl-c": Status.TIME_LIMIT,  # only we send SIGINT, and only at the limit
    "problem proven infeasible": Status.INFEASIBLE,
    "linear relaxation infeasible": Status.INFEASIBLE,
    "linear relaxation unbounded": Status.ERROR,
    "stopped on iterations or time": Status.TIME_LIMIT,
    "stopped on iteration limit": Status.FEASIBLE,
    "stopped on node limit": Status.FEASIBLE,
    "stopped on solution limit": Status.FEASIBLE,
    "stopped on difficulties": Status.FEASIBLE,
    "stopped on event handler": Status.FEASIBLE,
}
# Lines CBC prints when it ends before branch and bound (presolve or the root LP proved
# the answer), without any "Result -" line.
CBC_EARLY: dict[str, Status] = {
    "problem is infeasible": Status.INFEASIBLE,
    "problem is unbounded": Status.ERROR,  # our models are bounded: something is wrong
}
# Clp's LP status (the relaxation, ``-initialSolve``) -> status.
CLP_RESULTS: dict[str, Status] = {
    "optimal": Status.OPTIMAL,
    "primal infeasible": Status.INFEASIBLE,
    "dual infeasible": Status.ERROR,
}


def parse_cbc_log(text: str, mip: bool) -> tuple[Status, str, float | None, float | None]:
    """(status, raw status, objective, lower bound) from a CBC log."""
    def number(label: str) -> float | None:
        hit = re.search(rf"^{label}:\s*(\S+)", text, re.M)
        try:
            return float(hit.group(1)) if hit else None
        except ValueError:
            return None

    early = re.search(r"^(Problem is (?:infeasible|unbounded))\b", text, re.M | re.I)
    if not mip:  # LP: Clp prints e.g. "Optimal - objective value 12.5"
        hit = re.search(r"^(Optimal|Primal infeasible|Dual infeasible|Stopped[^-]*?)"
                        r"\s*-\s*objective value\s*(\S+)", text, re.M | re.I)
        if not hit:
            if early:
                return CBC_EARLY[early.group(1).lower()], early.group(1), None, None
            return Status.ERROR, "no LP status in CBC log", None, None
        raw = hit.group(1).strip()
        value = float(hit.group(2))
        status = CLP_RESULTS.get(raw.lower(), Status.TIME_LIMIT
                                 if raw.lower().startswith("stopped") else Status.ERROR)
        return status, raw, value, value if status == Status.OPTIMAL else None
    progress = cbc_log_bound(text)
    hit = re.search(r"^Result - (.*)$", text, re.M)
    if not hit:
        if early:
            return CBC_EARLY[early.group(1).lower()], early.group(1), None, None
        return Status.ERROR, "no result line in CBC log", None, progress
    raw = hit.group(1).strip()
    key = re.sub(r"\s*\(.*\)$", "", raw).lower()
    status = CBC_RESULTS.get(key, Status.ERROR)
    obj = number("Objective value")
    hit = re.search(r"^Lower bound:\s*(\S+)", text, re.M)
    bounds = [b for b in (progress, printed_floor(hit.group(1)) if hit else None)
              if b is not None]
    bound = max(bounds) if bounds else None
    if status == Status.OPTIMAL:
        bound = obj
    return status, raw, obj, bound


def printed_floor(token: str) -> float | None:
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
    values = [v for v in map(printed_floor, tokens) if v is not None]
    return max(values) if values else None


def _bundled_cbc() -> str | None:
    try:
        from pulp.apis import coin_api
    except ImportError:
        return None
    bundled = os.path.abspath(getattr(coin_api, "pulp_cbc_path", "") or "")
    return bundled if os.path.isfile(bundled) and os.access(bundled, os.X_OK) else None


def cbc_command() -> Any:
    """PuLP's CBC adapter on the CBC binary bundled with PuLP, else on ``cbc`` from PATH."""
    pulp = import_pulp()

    bundled = _bundled_cbc()
    if bundled is not None:
        return pulp.COIN_CMD(path=bundled, msg=False)
    cbc = pulp.COIN_CMD(msg=False)
    if not cbc.available():
        raise GQAPError("solver milp: no CBC binary found (PuLP's bundled one is missing and "
                        "there is no cbc on PATH); use backend=highs")
    return cbc


class CBCBackend(Backend):
    """CBC (PuLP's bundled binary, else ``cbc`` on PATH) in a supervised child process."""

    name = "cbc"

    @classmethod
    def available(cls) -> bool:
        """True when PuLP is installed and a CBC binary exists (bundled or on PATH)."""
        try:
            import_pulp()
        except ImportError:
            return False
        return _bundled_cbc() is not None or shutil.which("cbc") is not None

    @classmethod
    def unavailable_reason(cls) -> str:
        """One line saying why CBC cannot run ('' when it can)."""
        return "" if cls.available() else (
            "solver milp: no CBC binary found (PuLP's bundled one is missing and there is no "
            "cbc on PATH); use backend=highs")

    def solve(self, prob: Any, deadline: Deadline, *, mip: bool, threads: int, gap: float,
              start: dict[str, float] | None, msg: bool,
              build_time_s: float = 0.0) -> BackendResult:
        """Run CBC on ``prob`` as a child process, interrupted at the deadline."""
        pulp = import_pulp()

        cbc = cbc_command()
        with tempfile.TemporaryDirectory(prefix="gqap-cbc-") as tmp:
            mps, sol, mst, log = (os.path.join(tmp, f) for f in
                                  ("model.mps", "model.sol", "start.mst", "cbc.log"))
            (vs, var_names, con_names, _), write_s = write_mps(prob, mps, deadline,
                                                                build_time_s)
            # Line-buffered output, so that a CBC killed at the limit still leaves its log.
            args = (["stdbuf", "-oL"] if shutil.which("stdbuf") else []) + [cbc.path, mps]
            if start and mip:
                for v in vs:
                    v.varValue = start.get(v.name, 0.0)
                cbc.writesol(mst, prob, vs, var_names, con_names)
                args += ["-mips", mst]
            remaining = deadline.remaining()
            if remaining < SOLVE_FLOOR_S:
                return BackendResult(Status.TIME_LIMIT, "no time left for CBC",
                                     write_time_s=write_s)
            if math.isfinite(remaining):
                args += ["-sec", f"{max(remaining - 0.2, 0.01):.3f}", "-timeMode", "elapsed"]
            args += ["-threads", str(threads), "-ratio", repr(gap)]
            args += ["-solve" if mip else "-initialSolve", "-printingOptions", "all",
                     "-solution", sol]
            t0 = time.perf_counter()
            with open(log, "w") as out:
                proc = spawn(args, stdout=out, stderr=subprocess.STDOUT)
                # CBC checks -sec only between phases: during a long root LP it ignores both
                # the limit and SIGINT (measured on Cordeau 20-15-35), so the kill is what
                # keeps the promise.
                interrupted = wait_until(proc, deadline, GRACE_S)
            elapsed = time.perf_counter() - t0
            text = Path(log).read_text(errors="replace")
            if msg:
                print(text)
            status, raw, obj, bound = parse_cbc_log(text, mip)
            if interrupted and status in (Status.ERROR, Status.FEASIBLE):
                status, raw = Status.TIME_LIMIT, f"interrupted at the time limit ({raw})"
            values = None
            if os.path.exists(sol) and status not in (Status.INFEASIBLE, Status.ERROR):
                _, named, *_rest, sol_status = cbc.readsol_MPS(sol, prob, vs, var_names,
                                                               con_names)
                if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
                    values = {str(k): float(v) for k, v in named.items()}
            if values is None and status in (Status.OPTIMAL, Status.FEASIBLE):
                status = Status.ERROR
            if values is not None:
                obj = model_value(prob, values)
                bound = obj if status == Status.OPTIMAL or bound is None else min(bound, obj)
            hit = re.search(r"MIPStart provided solution with cost (\S+)", text)
            return BackendResult(status, raw, values, obj if values else None, bound, elapsed,
                                 float(hit.group(1)) if hit else None, write_s)
