"""The branch and bound's tree search, its proof record and its checkpoints.

Depth first on facility-to-site assignments. A node is closed when one of these holds,
and the proof record (``gqap.classic.proofs`` checks it) keeps what closes it:

- ``capacity``: a free facility fits no site's remaining capacity, or the free weight
  exceeds the capacity left;
- ``enum``: it has at most ``enum_limit`` completions and none is cheaper than the
  incumbent (the checker enumerates them again);
- ``parent``: the bound of its parent's multipliers (the messages ``msg`` and capacity
  multipliers ``nu`` kept at the parent) with its own lambda reaches the incumbent;
- ``bound``: after its own dual ascent (and the Volume and Adam phases at the root or,
  with ``node_volume``, the Volume phase at shallow nodes), the bound of its multipliers
  (kept in ``msg`` and ``nu``) reaches the incumbent (or is infinite: no facility
  assignment fits);
- ``symmetry``: the node puts a facility on an empty site that is identical to an empty
  site with a smaller index, whose sibling node covers the mirror image of every
  completion.

Otherwise it branches on one free facility, with one child per site. The record and the
checkpoint are written by ``records``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.evaluation import gqap_cost_batch, site_loads_batch
from gqap.classic.instance import GQAPInstance
from gqap.solvers.base import Deadline
from gqap.solvers.bnb import bound as B
from gqap.solvers.bnb.adam import adam
from gqap.solvers.bnb.ascent import ascent, split
from gqap.solvers.bnb.records import (
    CHECKPOINT_FORMAT,
    RECORD_FORMAT,
    RECORD_VERSION,
    SearchTree,
    number,
    read_mult,
    write_gz_json,
)
from gqap.solvers.bnb.volume import volume


@dataclass
class Mult:
    """A node's multipliers for its children: messages M and capacity multipliers nu over
    its free facilities F (``ascent.split`` turns them into U), lambda."""

    F: np.ndarray
    M: np.ndarray          # (f, m, f) messages
    nu: np.ndarray         # (f, m, m) capacity multipliers
    lam: np.ndarray
    value: float
    used: bool = False


@dataclass
class Stats:
    """Counters and the log of the search."""

    nodes: int = 0
    evaluations: int = 0
    sweeps: int = 0
    volume_iterations: int = 0
    adam_iterations: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    root_bound: float | None = None
    root_seconds: float | None = None
    log: list[list[float]] = field(default_factory=list)   # [seconds, nodes, bound, upper]
    depth_max: int = 0


def identical_sites(inst: GQAPInstance) -> np.ndarray:
    """cls[k]: the smallest site identical to k (same capacity, installation costs and
    distances to and from every other site), so that exchanging them changes no cost."""
    m = inst.m
    a, d, Q = np.asarray(inst.a), np.asarray(inst.d), np.asarray(inst.Q)
    cls = np.arange(m)
    for k in range(m):
        for h in range(k):
            if cls[h] != h:
                continue
            others = np.setdiff1d(np.arange(m), [k, h])
            if (Q[k] == Q[h] and np.array_equal(a[:, k], a[:, h]) and d[k, k] == d[h, h]
                    and d[k, h] == d[h, k] and np.array_equal(d[k, others], d[h, others])
                    and np.array_equal(d[others, k], d[others, h])):
                cls[k] = h
                break
    return cls


class Search:
    """One branch and bound run (module doc)."""

    def __init__(self, inst: GQAPInstance, deadline: Deadline, *, sweeps: int,
                 root_sweeps: int, lambda_iterations: int, enum_limit: int,
                 capacity_steps: int, compiled: bool = False, root_volume: int = 0,
                 root_adam: int = 0, node_volume: int = 0, volume_depth: int = 0,
                 symmetry: bool, upper: float, upper_x: np.ndarray | None,
                 log_every_s: float = 1.0) -> None:
        self.inst, self.deadline = inst, deadline
        self.P = B.problem(inst)
        self.integer = self.P.integral and self.P.int_weights
        self.sweeps, self.root_sweeps = sweeps, root_sweeps
        self.root_volume, self.node_volume = root_volume, node_volume
        self.root_adam = root_adam
        self.volume_depth = volume_depth
        self.capacity_steps, self.compiled = capacity_steps, compiled
        self.lambda_iterations, self.enum_limit = lambda_iterations, enum_limit
        self.cls = identical_sites(inst) if symmetry else np.arange(inst.m)
        self.upper, self.upper_x = upper, upper_x
        self.stats = Stats()
        self.tree: dict[str, Any] = {"open": True}
        self.stack: list[tuple[dict[str, Any], np.ndarray, Mult | None, float]] = [
            (self.tree, -np.ones(inst.n, dtype=np.int64), None, -math.inf)]
        self.log_every_s = log_every_s
        self._lb = -math.inf
        self._last_log = -math.inf
        self.t0 = time.perf_counter()

    # -------------------------------------------------------------------------------
    def closes(self, value: float) -> bool:
        """True when a bound proves no completion cheaper than the incumbent."""
        if value == math.inf:
            return True
        if self.integer:
            return value >= self.upper
        return value >= self.upper - 1e-9 * max(1.0, abs(self.upper))

    def global_bound(self) -> float:
        """The least bound of an open node (the incumbent when none is open)."""
        open_bounds = [b for *_, b in self.stack]
        return min([self.upper, *open_bounds]) if open_bounds else self.upper

    def _close(self, rec: dict[str, Any], how: str, **extra: Any) -> None:
        rec.pop("open", None)
        rec["close"] = how
        rec.update(extra)
        self.stats.closed[how] = self.stats.closed.get(how, 0) + 1

    def _log(self, force: bool = False) -> None:
        now = time.perf_counter() - self.t0
        if force or now - self._last_log >= self.log_every_s:
            self._last_log = now
            lb = self.global_bound()
            self.stats.log.append([round(now, 3), self.stats.nodes,
                                   lb if math.isfinite(lb) else None,
                                   self.upper if math.isfinite(self.upper) else None])

    # -------------------------------------------------------------------------------
    root_only = False   # stop after the root node (its bound is the result's)

    def run(self) -> bool:
        """Search until the tree is exhausted (True) or the deadline (False)."""
        while self.stack:
            if self.deadline.expired() or (self.root_only and self.stats.nodes >= 1):
                self._log(force=True)
                return False
            rec, x, inh, lb = self.stack.pop()
            self._lb = lb
            self._process(rec, x, inh)
            self._log()
        self._log(force=True)
        return True

    def _process(self, rec: dict[str, Any], x: np.ndarray, inh: Mult | None) -> None:
        st = self.stats
        st.nodes += 1
        nd = B.node(self.P, x)
        depth = int((x >= 0).sum())
        st.depth_max = max(st.depth_max, depth)
        f = nd.F.size
        if (nd.R < -1e-9).any() or (f and (not nd.allowed.any(axis=1).all()
                                           or nd.q.sum() > nd.R.sum() + 1e-9)):
            self._close(rec, "capacity")
            return
        count = float(np.prod(nd.allowed.sum(axis=1).astype(np.float64))) if f else 1.0
        if count <= self.enum_limit:
            self._enumerate(nd)
            self._close(rec, "enum")
            return
        m = self.P.m
        integer = self.integer
        M0 = None
        nu0 = np.zeros((f, m, m))
        lam0 = None
        kept = None
        if inh is not None:
            pos = np.searchsorted(inh.F, nd.F)
            M0 = inh.M[pos][:, :, pos]
            nu0 = inh.nu[pos]
            lam0 = inh.lam[pos]
            val, lam = self._evaluate(nd, split(nd, M0, nu0, integer), lam0, nu0)
            if self.closes(val):
                inh.used = True
                self._close(rec, "parent", lam=[number(v, integer) for v in lam],
                            value=number(val, integer))
                return
            kept = (val, lam, self._last_Lhat)
        sweeps = self.root_sweeps if inh is None else self.sweeps
        M, nu, _, done = ascent(nd, M0, sweeps, nu0, inner=self.capacity_steps,
                                expired=self.deadline.expired, compiled=self.compiled)
        st.sweeps += done
        if integer:
            M, nu = np.round(M), np.maximum(np.round(nu), 0.0)
        val, lam = self._evaluate(nd, split(nd, M, nu, integer), lam0, nu)
        if kept is not None and kept[0] > val:
            # the ascent from the parent's multipliers lost ground: keep the parent's
            M, nu = (np.round(M0), np.maximum(np.round(nu0), 0.0)) if integer else (M0, nu0)
            val, lam, self._last_Lhat = kept
        iters = self.root_volume if inh is None else (
            self.node_volume if 0 < depth <= self.volume_depth else 0)
        if iters and not self.closes(val):
            # past the ascent's fixed point; kept only where its exact bound is higher
            M2, nu2, lam2, _, steps = volume(nd, M, nu, None, self.upper, iters,
                                             expired=self.deadline.expired,
                                             compiled=self.compiled)
            st.volume_iterations += steps
            if inh is None and self.root_adam:
                # past where the Volume steps stall (30-20-95: 2.4 % below the LP)
                M2, nu2, lam2, _, steps = adam(nd, M2, nu2, lam2, self.upper, self.root_adam,
                                               expired=self.deadline.expired,
                                               compiled=self.compiled)
                st.adam_iterations += steps
            if integer:
                M2, nu2 = np.round(M2), np.maximum(np.round(nu2), 0.0)
            Lh = self._last_Lhat
            val2, lam2 = self._evaluate(nd, split(nd, M2, nu2, integer), lam2, nu2)
            if val2 > val:
                M, nu, val, lam = M2, nu2, val2, lam2
            else:
                self._last_Lhat = Lh
        if inh is None:
            st.root_bound = val
            st.root_seconds = time.perf_counter() - self.t0
        if self.closes(val):
            self._close(rec, "bound", lam=[number(v, integer) for v in lam],
                        value=number(val, integer),
                        msg=M.astype(np.int64 if integer else np.float64),
                        nu=nu.astype(np.int64 if integer else np.float64))
            return
        # a child's subtree is bounded by this node's bound and by every ancestor's
        self._branch(rec, x, nd, Mult(nd.F, M, nu, lam, val), max(val, self._lb))

    def _evaluate(self, nd: B.Node, U: np.ndarray, lam0: np.ndarray | None,
                  nu: np.ndarray) -> tuple[float, np.ndarray]:
        self.stats.evaluations += 1
        with np.errstate(invalid="ignore"):
            Lh = B.subproblems(nd, B.directed(nd, U), self.integer, nu, self.compiled)
        lam, val = B.optimise_lambda(nd, Lh, lam0, self.upper, self.integer,
                                     self.lambda_iterations, self.compiled)
        self._last_Lhat = Lh
        return val, lam

    def _branch(self, rec: dict[str, Any], x: np.ndarray, nd: B.Node, mult: Mult,
                val: float) -> None:
        Lh = self._last_Lhat
        srt = np.sort(np.where(np.isfinite(Lh), Lh, np.inf), axis=1)
        regret = np.where(np.isfinite(srt[:, 1]), srt[:, 1] - srt[:, 0], np.inf) \
            if srt.shape[1] > 1 else np.zeros(srt.shape[0])
        il = int(np.argmax(regret + 1e-9 * nd.q))
        i = int(nd.F[il])
        m = self.P.m
        rec.pop("open", None)
        rec["branch"] = i
        rec["_mult"] = mult
        children: list[dict[str, Any]] = [{"open": True} for _ in range(m)]
        rec["children"] = children
        empty = nd.R == self.P.Q
        for k in range(m):
            k0 = int(self.cls[k])
            if k0 != k and empty[k] and empty[k0]:
                self._close(children[k], "symmetry", of=k0)
        order = np.argsort(-np.where(np.isfinite(Lh[il]), Lh[il], np.inf), kind="stable")
        for k in order.tolist():
            if "open" in children[k]:
                y = x.copy()
                y[i] = k
                self.stack.append((children[k], y, mult, val))

    def _enumerate(self, nd: B.Node) -> None:
        """Every completion of the node; the best feasible one becomes the incumbent when
        cheaper."""
        inst = self.inst
        f = nd.F.size
        if f == 0:
            X = nd.x[None, :]
        else:
            sites = [np.flatnonzero(nd.allowed[j]) for j in range(f)]
            grids = np.meshgrid(*sites, indexing="ij")
            X = np.repeat(nd.x[None, :], grids[0].size, axis=0)
            for j, g in enumerate(grids):
                X[:, nd.F[j]] = g.ravel()
        loads = site_loads_batch(inst, X)
        ok = (loads <= inst.Q[None, :] * (1 + 1e-12) + 1e-9).all(axis=1)
        if not ok.any():
            return
        X = X[ok]
        cost = gqap_cost_batch(inst, X)
        best = int(np.argmin(cost))
        if cost[best] < self.upper:
            self.upper, self.upper_x = float(cost[best]), X[best].copy()

    # -------------------------------------------------------------------------------
    def record(self, status: str) -> dict[str, Any]:
        """The proof record of a finished search (module doc)."""
        return {"format": RECORD_FORMAT, "version": RECORD_VERSION,
                "instance": {"name": self.inst.name,
                             "content_hash": self.inst.content_hash(),
                             "n": self.inst.n, "m": self.inst.m},
                "status": status, "integral": self.integer,
                "objective": number(self.upper, self.P.integral) if math.isfinite(
                    self.upper) else None,
                "assignment": None if self.upper_x is None else
                [int(s) for s in self.upper_x],
                "nodes": self.stats.nodes, "closed": dict(self.stats.closed),
                "tree": SearchTree(self.tree, checkpoint=False, integer=self.integer)}

    def checkpoint(self, path: Path) -> None:
        """Write the search's state (atomic)."""
        obj = self.record("open")
        obj["format"] = CHECKPOINT_FORMAT
        obj["tree"] = SearchTree(self.tree, checkpoint=True, integer=self.integer)
        obj["upper"] = None if not math.isfinite(self.upper) else self.upper
        obj["stats"] = {"nodes": self.stats.nodes, "evaluations": self.stats.evaluations,
                        "sweeps": self.stats.sweeps, "closed": self.stats.closed,
                        "volume_iterations": self.stats.volume_iterations,
                        "adam_iterations": self.stats.adam_iterations,
                        "root_bound": self.stats.root_bound,
                        "root_seconds": self.stats.root_seconds,
                        "depth_max": self.stats.depth_max,
                        "elapsed": time.perf_counter() - self.t0 + self._resumed_s}
        write_gz_json(path, obj, level=1)   # fast: a long proof saves it often

    _resumed_s = 0.0

    def resume(self, obj: dict[str, Any]) -> None:
        """Continue from a checkpoint written by ``checkpoint`` for the same instance."""
        up = obj.get("upper")
        if up is not None and up < self.upper:
            self.upper = float(up)
            self.upper_x = np.asarray(obj["assignment"], dtype=np.int64)
        s = obj.get("stats", {})
        st = self.stats
        st.nodes, st.evaluations, st.sweeps = s.get("nodes", 0), s.get("evaluations", 0), \
            s.get("sweeps", 0)
        st.closed = dict(s.get("closed", {}))
        st.volume_iterations = s.get("volume_iterations", 0)
        st.adam_iterations = s.get("adam_iterations", 0)
        st.root_bound, st.root_seconds = s.get("root_bound"), s.get("root_seconds")
        st.depth_max = s.get("depth_max", 0)
        self._resumed_s = float(s.get("elapsed", 0.0))
        self.tree = obj["tree"]
        self.stack = []
        self._collect_open(self.tree, -np.ones(self.inst.n, dtype=np.int64), None, -math.inf)
        self.stack.reverse()

    def _collect_open(self, rec: dict[str, Any], x: np.ndarray, inh: Mult | None,
                      lb: float) -> None:
        if rec.get("open"):
            self.stack.append((rec, x, inh, lb))
            return
        if "branch" in rec:
            if "mult_lam" in rec:
                F = np.flatnonzero(x < 0)
                rec["_mult"] = Mult(F, *read_mult(rec, F.size, self.P.m))
            mult = rec.get("_mult")
            i = rec["branch"]
            for k, child in enumerate(rec["children"]):
                y = x.copy()
                y[i] = k
                self._collect_open(child, y, mult, mult.value if mult else lb)
