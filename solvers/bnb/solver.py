"""The ``bnb`` solver: a GQAP branch and bound whose every pruning step a third party can
re-check.

Bounds (``bound``): the Lagrangean relaxation of the RLT level-1 model, each facility-site
subproblem a 0-1 knapsack on its own site, the master a 0-1 knapsack per site; its
multipliers come from a block coordinate (MPLP-style) dual ascent that children start
from their parent's multipliers. Search (``search``): depth first, capacity pruning,
enumeration of small subtrees, a symmetry rule for identical empty sites, an incumbent
from ``tabu`` (through the solver registry), a checkpoint to resume long runs and a log of
the bound over time. ``optimal`` only when the tree is exhausted; at the time limit the
best solution with the least open bound (``feasible``), or ``time_limit`` without one;
``infeasible`` when the tree is exhausted without any feasible assignment. With
``record=PATH`` the proof record is written (``gqap bench verify-proof PATH`` checks it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.family import Instance
from gqap.solvers.base import Deadline, Solver, SolverOutput, Status
from gqap.solvers.bnb.records import CHECKPOINT_FORMAT, read_gz_json, write_gz_json
from gqap.solvers.bnb.search import Search

_LOG_KEEP = 400  # entries of the bound-over-time log kept in ``info``
_WRITE_MARGIN = 1.5  # room kept before the deadline, in units of the last checkpoint's writing time


@dataclass(frozen=True)
class BnBOptions:
    """Options of ``bnb``.

    sweeps / root_sweeps: dual ascent sweeps at a node / at the root; capacity_steps: best
    responses of a facility's capacity multipliers per block update; lambda_iterations:
    subgradient steps on the master's multipliers per bound; enum_limit: a node with at
    most this many completions is enumerated; symmetry: skip a facility on an empty site
    identical to an empty site with a smaller index; incumbent: 'tabu' (a run of the tabu
    solver through the registry) or 'none'; incumbent_time: its seconds (at most a fifth of
    the time limit); record: where to write the proof record (a file, or an existing
    folder for NAME.proof.json.gz); checkpoint: a file the search is saved to every
    checkpoint_every seconds and resumed from when it exists; kernel: 'numba' (the
    compiled sweep of the optional 'fast' extra), 'numpy', or 'auto' (numba when installed);
    root_volume / node_volume: iterations of the Volume algorithm (``volume.volume``) after
    the ascent at the root / at a node of depth 1 to volume_depth, which go past the
    ascent's fixed point (kept where the exact bound gains); root_adam: at most this many
    Adam steps (``adam.adam``) after the root's Volume phase, which go past where it
    stalls; root_only: stop after the root node (the result's bound is the root bound; for
    measuring it).
    """

    sweeps: int = 3
    root_sweeps: int = 60
    lambda_iterations: int = 4
    capacity_steps: int = 2
    kernel: str = "auto"
    enum_limit: int = 10000
    symmetry: bool = True
    incumbent: str = "tabu"
    incumbent_time: float = 0.5
    record: str = ""
    checkpoint: str = ""
    checkpoint_every: float = 60.0
    root_volume: int = 2000
    root_adam: int = 12000
    node_volume: int = 0
    volume_depth: int = 0
    root_only: bool = False

    def __post_init__(self) -> None:
        for name in ("sweeps", "root_sweeps", "lambda_iterations", "capacity_steps",
                     "root_volume", "root_adam", "node_volume", "volume_depth"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.enum_limit < 1:
            raise ValueError(f"enum_limit must be >= 1, got {self.enum_limit}")
        if self.kernel not in ("auto", "numba", "numpy"):
            raise ValueError(f"kernel must be auto, numba or numpy, got {self.kernel!r}")
        if self.incumbent not in ("tabu", "none"):
            raise ValueError(f"incumbent must be 'tabu' or 'none', got {self.incumbent!r}")
        if not self.incumbent_time > 0:
            raise ValueError(f"incumbent_time must be > 0, got {self.incumbent_time}")
        if not self.checkpoint_every > 0:
            raise ValueError(f"checkpoint_every must be > 0, got {self.checkpoint_every}")


def record_path(option: str, inst: GQAPInstance) -> Path | None:
    """The file a proof record goes to ('' : none; an existing folder: NAME.proof.json.gz
    inside it)."""
    if not option:
        return None
    path = Path(option)
    if path.is_dir() or option.endswith(("/", "\\")):
        stem = inst.name.replace("/", "_") or inst.content_hash()[:16]
        return path / f"{stem}.proof.json.gz"
    return path


class BnBSolver(Solver):
    """GQAP branch and bound with RLT1-type Lagrangean bounds and a checkable record."""

    name = "bnb"
    families = ("classic",)
    version = "3"
    Options = BnBOptions

    def _solve(self, instance: Instance, time_limit: float | None, seed: int) -> SolverOutput:
        deadline = Deadline(time_limit)
        opts: BnBOptions = self.options
        assert isinstance(instance, GQAPInstance)
        upper, upper_x, source = math.inf, None, "none"
        if opts.incumbent == "tabu":
            upper, upper_x = self._incumbent(instance, deadline, seed, opts)
            source = "tabu" if upper_x is not None else "none"
        search = Search(instance, deadline, sweeps=opts.sweeps, root_sweeps=opts.root_sweeps,
                        lambda_iterations=opts.lambda_iterations, enum_limit=opts.enum_limit,
                        capacity_steps=opts.capacity_steps, root_volume=opts.root_volume,
                        root_adam=opts.root_adam,
                        node_volume=opts.node_volume, volume_depth=opts.volume_depth,
                        compiled=self._compiled(opts.kernel),
                        symmetry=opts.symmetry, upper=upper, upper_x=upper_x)
        search.root_only = opts.root_only
        ckpt = Path(opts.checkpoint) if opts.checkpoint else None
        resumed = False
        if ckpt is not None and ckpt.exists():
            obj = read_gz_json(ckpt)
            if obj.get("format") != CHECKPOINT_FORMAT or obj.get("instance", {}).get(
                    "content_hash") != instance.content_hash():
                raise GQAPError(f"solver bnb: checkpoint {ckpt} is not one of this instance's")
            search.resume(obj)
            resumed = True
        finished = self._run(search, deadline, ckpt, opts.checkpoint_every)
        st = search.stats
        info: dict[str, Any] = {
            "nodes": st.nodes, "evaluations": st.evaluations, "sweeps": st.sweeps,
            "volume_iterations": st.volume_iterations, "adam_iterations": st.adam_iterations,
            "closed": dict(st.closed), "root_bound": st.root_bound,
            "root_seconds": st.root_seconds, "depth_max": st.depth_max,
            "incumbent_source": source, "resumed": resumed, "exact_arithmetic": search.integer,
            "kernel": "numba" if search.compiled else "numpy",
            "log": st.log[-_LOG_KEEP:], "identical_site_classes": int(
                len(set(search.cls.tolist()))),
        }
        sol = None if search.upper_x is None else GQAPSolution(search.upper_x)
        if finished:
            status = Status.OPTIMAL if sol is not None else Status.INFEASIBLE
            path = record_path(opts.record, instance)
            if path is not None:
                write_gz_json(path, search.record(str(status)))
                info["record"] = str(path)
            if ckpt is not None and ckpt.exists():
                ckpt.unlink()
            bound = search.upper if sol is not None else None
            return SolverOutput(sol, status, bound=bound, info=info)
        lb = search.global_bound()
        bound = lb if math.isfinite(lb) else None
        info["open_nodes"] = len(search.stack)
        return SolverOutput(sol, Status.FEASIBLE if sol is not None else Status.TIME_LIMIT,
                            bound=bound, info=info)

    @staticmethod
    def _compiled(kernel: str) -> bool:
        if kernel == "numpy":
            return False
        from gqap.solvers.bnb import kernels

        if kernel == "numba" and not kernels.AVAILABLE:
            raise GQAPError("solver bnb: kernel=numba needs numba (pip install "
                            "'gqap-bench[fast]')")
        return kernels.AVAILABLE

    @staticmethod
    def _run(search: Search, deadline: Deadline, ckpt: Path | None, every: float) -> bool:
        if ckpt is None:
            return search.run()
        # the last checkpoint's writing time, kept free before the deadline so that the
        # final checkpoint is written within the time limit too (a large tree's takes
        # seconds: the limit holds around the whole call)
        write_s = 0.0
        while True:
            left = deadline.remaining() - _WRITE_MARGIN * write_s
            search.deadline = Deadline(max(0.0, min(every, left)) if math.isfinite(left)
                                       else every)
            if search.run():
                return True
            t = time.perf_counter()
            search.checkpoint(ckpt)
            write_s = time.perf_counter() - t
            if deadline.remaining() <= _WRITE_MARGIN * write_s:
                return False

    @staticmethod
    def _incumbent(inst: GQAPInstance, deadline: Deadline, seed: int,
                   opts: BnBOptions) -> tuple[float, np.ndarray | None]:
        from gqap.solvers.registry import make_solver

        left = deadline.remaining()
        budget = opts.incumbent_time if math.isinf(left) else min(opts.incumbent_time,
                                                                   0.2 * left)
        t0 = time.perf_counter()
        res = make_solver("tabu").solve(inst, time_limit=max(budget, 0.01), seed=seed)
        del t0
        if res.solution is None or res.status == Status.ERROR:
            return math.inf, None
        return float(res.objective), np.asarray(res.solution.assignment, dtype=np.int64)
