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
``record=PATH`` the proof record is written (``gqap bench verify-proof PATH`` checks it);
the search stops early enough for it, or for the final checkpoint, to be written within
the time limit (``_Reserve``).
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
from gqap.solvers.bnb.records import (
    CHECKPOINT_FORMAT,
    read_gz_json,
    tree_size,
    write_gz_json,
    write_seconds,
)
from gqap.solvers.bnb.search import Search

_LOG_KEEP = 400  # entries of the bound-over-time log kept in ``info``
_WRITE_MARGIN = 1.5  # room kept before the deadline, in units of the last file's writing time
# gzip level of the record: cordeau/50-10-65's record (6,681 nodes) takes 13.1 s to write
# at level 9 for 32.2 MB, 2.4 s at level 1 for 35.8 MB (docs/LITERATURE.md, the command)
_RECORD_LEVEL = 1
_CALIBRATED_S = 0.1  # a timed record write this long fixes its writing rate
_LOOK_GROWTH = 10    # the tree's size is looked at again after 1/10 more nodes


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
    version = "4"
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
        path = record_path(opts.record, instance)
        reserve = _Reserve(deadline, search, path is not None, ckpt is not None) \
            if deadline.limit is not None and (path is not None or ckpt is not None) else None
        finished = self._run(search, reserve, ckpt, opts.checkpoint_every)
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
            if path is not None:
                t = time.perf_counter()
                write_gz_json(path, search.record(str(status)), level=_RECORD_LEVEL)
                info["record"] = str(path)
                info["record_write_s"] = round(time.perf_counter() - t, 3)
                if reserve is not None:    # the time kept free for it, margin included
                    info["record_reserve_s"] = round(reserve.reserve, 3)
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
    def _run(search: Search, reserve: _Reserve | None, ckpt: Path | None,
             every: float) -> bool:
        # with a time limit, ``reserve`` stops the search early enough for its last file
        # (the record or the final checkpoint) to be written before the deadline: the limit
        # holds around the whole call
        if ckpt is None:
            if reserve is not None:
                search.deadline = reserve
            return search.run()
        while True:
            search.deadline = Deadline(every) if reserve is None else reserve
            if reserve is not None:
                reserve.until = time.perf_counter() + every
            if search.run():
                return True
            t = time.perf_counter()
            search.checkpoint(ckpt)
            if search.root_only:      # the root is done: another round would do nothing
                return False
            if reserve is not None:
                reserve.checkpoint_written(time.perf_counter() - t)
                reserve.until = math.inf
                if reserve.expired():
                    return False

    @staticmethod
    def _incumbent(inst: GQAPInstance, deadline: Deadline, seed: int,
                   opts: BnBOptions) -> tuple[float, np.ndarray | None]:
        from gqap.solvers.registry import make_solver

        left = deadline.remaining()
        budget = opts.incumbent_time if math.isinf(left) else min(opts.incumbent_time,
                                                                   0.2 * left)
        res = make_solver("tabu").solve(inst, time_limit=max(budget, 0.01), seed=seed)
        if res.solution is None or res.status == Status.ERROR:
            return math.inf, None
        return float(res.objective), np.asarray(res.solution.assignment, dtype=np.int64)


class _WriteTime:
    """A file's writing time for a tree of any size, scaled from one timed write: in
    proportion to the tree's nodes or to its numbers, whichever grew more since."""

    def __init__(self) -> None:
        self.seconds, self.nodes, self.numbers = 0.0, 0, 0

    def timed(self, seconds: float, nodes: int, numbers: int) -> None:
        self.seconds, self.nodes, self.numbers = seconds, nodes, numbers

    def wants(self, nodes: int, numbers: int) -> bool:
        """True while a new timing is worth its cost: the last was short (timer noise and
        fixed costs weigh) and the tree has doubled since."""
        return self.seconds < _CALIBRATED_S and (nodes >= 2 * self.nodes
                                                 or numbers > 2 * self.numbers)

    def estimate(self, nodes: int, numbers: int) -> float:
        if not self.nodes:
            return self.seconds
        ratio = nodes / self.nodes
        if self.numbers:
            ratio = max(ratio, numbers / self.numbers)
        return self.seconds * ratio


class _Reserve(Deadline):
    """The search's deadline when a file must still be written within the call's time
    limit after it: the call's deadline less ``_WRITE_MARGIN`` times the estimated writing
    time of the last file (the record when the tree is exhausted, else the checkpoint);
    and, when set, ``until`` (a ``time.perf_counter()`` value: the next checkpoint).

    The estimate is re-made from the tree's size (``records.tree_size``) whenever the
    search has processed a tenth more nodes (or one more, on a small tree), so it never
    lags the tree by more than that; the record's writing rate comes from timed writes of
    it to the null device while the tree is small (``_WriteTime.wants``), the checkpoint's
    from the last checkpoint written (before the first, from the record's rate)."""

    def __init__(self, call: Deadline, search: Search, record: bool, checkpoint: bool) -> None:
        assert call.limit is not None
        super().__init__(call.limit, start=call.start)
        self.search, self.record, self.checkpoint = search, record, checkpoint
        self.until = math.inf
        self.record_time, self.checkpoint_time = _WriteTime(), _WriteTime()
        self.end = call.start + call.limit
        self.reserve = 0.0            # seconds kept free for the last file
        self._next = 0                # look again at this many processed nodes

    def remaining(self) -> float:
        if self.search.stats.nodes >= self._next:
            self._look()
        return min(self.until, self.end - self.reserve) - time.perf_counter()

    def checkpoint_written(self, seconds: float) -> None:
        """Take the writing time of the checkpoint just written as the checkpoint's rate."""
        size = tree_size(self.search.tree)
        self.checkpoint_time.timed(seconds, size.nodes, size.checkpoint_numbers)
        self._next = 0

    def _look(self) -> None:
        nodes = self.search.stats.nodes
        self._next = nodes + max(1, nodes // _LOOK_GROWTH)
        size = tree_size(self.search.tree)
        if self.record_time.wants(size.nodes, size.record_numbers):
            self.record_time.timed(write_seconds(self.search.record("optimal"), _RECORD_LEVEL),
                                   size.nodes, size.record_numbers)
        seconds = self.record_time.estimate(size.nodes, size.record_numbers) \
            if self.record else 0.0
        if self.checkpoint:
            # before the first checkpoint, its numbers at the record's rate (both level 1)
            timed = self.checkpoint_time if self.checkpoint_time.nodes else self.record_time
            seconds = max(seconds, timed.estimate(size.nodes, size.checkpoint_numbers))
        # the tree may have grown by up to 1/_LOOK_GROWTH since this look when it stops
        self.reserve = _WRITE_MARGIN * seconds * (1 + 1 / _LOOK_GROWTH)
