"""``external``: any executable raced under the suite's guard (docs/EXTERNAL.md).

The instance is written to a fresh folder in the Cordeau text format; the command template
is split like a shell line (no shell runs it) and each word filled in from ``{instance}``,
``{time_limit}`` (seconds left when the program starts, or ``inf``), ``{seed}``,
``{solution}`` (the file the program writes) and ``{workdir}``; it runs in the current
folder, so a relative program path works as typed. It runs until it exits or the time
limit plus ``grace`` seconds has passed; then it gets SIGINT and, after another ``grace``,
SIGKILL with its process group. Whatever it wrote to ``{solution}`` is
read back and re-scored by the shared evaluator like every solver's result.

Solution file: one 0-based site index per facility, separated by whitespace; lines from a
``#`` to their end are comments; the single word ``infeasible`` says the program proved no
assignment fits. An external program never proves optimality here, so a complete run is
``feasible``, a stopped one ``time_limit``.
"""

from __future__ import annotations

import hashlib
import math
import shlex
import shutil
import string
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.format import cordeau_text
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.io import write_text_atomic
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.process import spawn, wait_until

FIELDS = ("instance", "time_limit", "seed", "solution", "workdir")
_TAIL = 400  # characters of the program's stderr kept in a result


@dataclass(frozen=True)
class ExternalOptions:
    """``command``: the template (required); ``grace``: seconds the program gets after its
    time limit, and again after SIGINT; ``keep``: a folder to keep the run's files in."""

    command: str = ""
    grace: float = 1.0
    keep: str | None = None

    def __post_init__(self) -> None:
        if not self.command.strip():
            raise ValueError("option command is required, e.g. --opt command=\"./my_solver "
                             "{instance} {time_limit} {seed} {solution}\"")
        try:
            words = shlex.split(self.command)
        except ValueError as exc:
            raise ValueError(f"command: cannot split {self.command!r} ({exc})") from None
        for word in words:
            try:
                names = [f for _, f, _, _ in string.Formatter().parse(word) if f is not None]
            except ValueError as exc:
                raise ValueError(f"command: bad placeholder in {word!r} ({exc})") from None
            unknown = [n for n in names if n not in FIELDS]
            if unknown:
                raise ValueError(f"command: unknown placeholder {{{unknown[0]}}} (known: "
                                 f"{', '.join('{' + f + '}' for f in FIELDS)})")
        if "{solution}" not in self.command:
            raise ValueError("command: the template must pass {solution}, the file the "
                             "program writes its assignment to")
        if not (math.isfinite(self.grace) and self.grace > 0):
            raise ValueError(f"grace must be a positive number of seconds, got {self.grace}")


def read_assignment(text: str, n: int, m: int) -> np.ndarray | None:
    """The assignment in a solution file's text (None for ``infeasible``); raises GQAPError
    naming the first problem."""
    tokens = " ".join(line.split("#", 1)[0] for line in text.splitlines()).split()
    if [t.lower() for t in tokens] == ["infeasible"]:
        return None
    bad = next((t for t in tokens if not t.removeprefix("-").isdigit()), None)
    if bad is not None:
        raise GQAPError(f"site index {bad!r} is not an integer")
    if len(tokens) != n:
        raise GQAPError(f"expected {n} site indices (one per facility), got {len(tokens)}")
    x = np.array([int(t) for t in tokens], dtype=np.int64)
    out = np.flatnonzero((x < 0) | (x >= m))
    if out.size:
        raise GQAPError(f"facility {int(out[0])}: site {int(x[out[0]])} is outside 0..{m - 1}")
    return x


def _tail(path: Path) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return ""
    return " ".join(text[-_TAIL:].split())


class ExternalSolver(Solver):
    """Runs an executable from a command template under the suite's time-limit guard."""

    name = "external"
    families = ("classic",)
    version = "1"
    Options = ExternalOptions

    @classmethod
    def run_version(cls, options: Any) -> str:
        """The version plus a digest of the template and of the program file it starts, so
        stored rows of an earlier build of the program are not reused."""
        h = hashlib.sha256(options.command.encode())
        program = shutil.which(shlex.split(options.command)[0])
        if program:
            try:
                h.update(Path(program).read_bytes())
            except OSError:
                pass
        return f"{cls.version}+{h.hexdigest()[:12]}"

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        assert isinstance(instance, GQAPInstance)
        deadline = Deadline(time_limit)
        if self.options.keep:
            work = Path(self.options.keep)
            work.mkdir(parents=True, exist_ok=True)
            return self._run(instance, deadline, seed, work)
        with tempfile.TemporaryDirectory(prefix="gqap-external-") as tmp:
            return self._run(instance, deadline, seed, Path(tmp))

    def _run(self, inst: GQAPInstance, deadline: Deadline, seed: int,
             work: Path) -> SolverOutput:
        inst_path = write_text_atomic(work / "instance.txt", cordeau_text(inst)).resolve()
        sol_path = (work / "solution.txt").resolve()
        sol_path.unlink(missing_ok=True)
        left = deadline.remaining()
        values = {"instance": str(inst_path), "solution": str(sol_path), "seed": str(seed),
                  "workdir": str(work.resolve()),
                  "time_limit": "inf" if math.isinf(left) else f"{max(left, 0.0):.3f}"}
        args = [word.format(**values) for word in shlex.split(self.options.command)]
        info: dict[str, Any] = {"command": shlex.join(args)}
        try:
            with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
                proc = spawn(args, new_session=True, stdout=out, stderr=err)
                stopped = wait_until(proc, deadline, self.options.grace)
        except OSError as exc:
            raise GQAPError(f"solver external: cannot start {args[0]!r} ({exc.strerror})") \
                from None
        info.update(exit_code=proc.returncode, stopped=stopped)
        if not stopped and proc.returncode != 0:
            info["error"] = (f"{args[0]} exited with status {proc.returncode}: "
                             f"{_tail(work / 'stderr.txt') or 'no message'}")
            return SolverOutput(None, Status.ERROR, info=info)
        if not sol_path.exists():
            if stopped:
                return SolverOutput(None, Status.TIME_LIMIT, info=info)
            info["error"] = f"{args[0]} exited without writing {{solution}}"
            return SolverOutput(None, Status.ERROR, info=info)
        try:
            x = read_assignment(sol_path.read_text(errors="replace"), inst.n, inst.m)
        except GQAPError as exc:
            info["error"] = f"solution file: {exc}"
            return SolverOutput(None, Status.TIME_LIMIT if stopped else Status.ERROR,
                                info=info)
        if x is None:
            return SolverOutput(None, Status.INFEASIBLE, info=info)
        return SolverOutput(GQAPSolution(x), Status.TIME_LIMIT if stopped else Status.FEASIBLE,
                            info=info)
