"""Checking a GQAP optimality (or infeasibility) proof record, independently of the solver.

A record (written by the ``bnb`` solver, format ``gqap-bench/bnb-proof`` version 1,
gzip-compressed JSON) holds the instance's content hash, the claimed status, the optimum's
assignment and value, and the search tree. ``verify_proof`` re-derives every step from the
instance alone, with its own code (nothing here comes from the solver):

- the assignment is feasible and the evaluator scores it at the claimed value (the
  incumbent UB; infinity for an ``infeasible`` claim);
- every internal node branches on a facility that is free there, with one child per site;
- every leaf is closed by one of
  ``capacity`` (a fixed site is over capacity, a free facility fits no site's remaining
  capacity, or the free weight exceeds the capacity left), ``enum`` (every completion is
  enumerated here: none is feasible and cheaper than UB), ``bound`` or ``parent`` (the
  Lagrangean bound of the multipliers stored at the node, or at its parent, with the
  node's lambda, computed here, reaches UB or is infinite), or ``symmetry`` (the node puts
  its parent's branching facility on an empty site identical to an empty site with a
  smaller index, whose sibling covers the mirror image of every completion).

**The bound** of a node with free facilities F (sorted), capacities left R, fixed part
cost c0, and multipliers stored at the node (or its parent): messages M[a, k, b] and
capacity multipliers nu[a, k, h] >= 0 for the free facilities, lambda for the master.
Pair (a, b), a < b, with a on k and b on h costs pc = v (t_ab d_kh + t_ba d_hk); a's share
is D = (pc + M[a, k, b] - M[b, h, a] + nu[b, h, k] q_a - nu[a, k, h] q_b) / 2, rounded
down when the record says costs and weights are integral (checked here), b's share the
rest. Lhat[a, k] is a's linear cost there (with the fixed facilities) plus the least total
of a's shares when every other free facility b sits on a site it fits, off k at cost
D + nu[a, k, h] q_b, those on k within R_k - q_a (a 0-1 knapsack; a continuous one for
fractional weights), minus sum_{h != k} nu[a, k, h] R_h. The bound is
c0 + sum lambda - sum_k max{sum (lambda_a - Lhat[a, k]) z_a : sum q_a z_a <= R_k, z 0-1},
and infinite when a free facility has no finite Lhat. It bounds every completion for any
U and lambda, so a record can be wrong only by claiming too much, which the check refuses,
naming the first failing node by its path of (facility, site) fixings.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.evaluation import evaluate_gqap, gqap_cost_batch, site_loads_batch
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError

FORMAT = "gqap-bench/bnb-proof"
VERSION = 1
MAX_ENUMERATION = 2_000_000  # completions a single ``enum`` leaf may ask the checker for


class ProofError(GQAPError):
    """A proof record that does not check."""


@dataclass
class ProofCheck:
    """What ``verify_proof`` established."""

    status: str
    objective: float | None
    nodes: int = 0
    leaves: dict[str, int] = field(default_factory=dict)
    bounds_checked: int = 0
    completions_enumerated: int = 0


def read_record(path: str | Path) -> dict[str, Any]:
    """A record file (gzip-compressed or plain JSON) as a dict; a one-line error otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        obj = json.loads(raw.decode("utf-8"))
    except (OSError, EOFError, ValueError, UnicodeDecodeError) as exc:
        raise ProofError(f"{path}: not a readable proof record ({exc})") from None
    if not isinstance(obj, dict):
        raise ProofError(f"{path}: not a proof record (top level is not an object)")
    return obj


def _integral(inst: GQAPInstance) -> bool:
    """Every linear cost, pair cost and weight an integer, their total below 2^50, so that
    sums of them are exact in floating point."""
    t, d, v = np.asarray(inst.t, dtype=np.float64), np.asarray(inst.d, dtype=np.float64), \
        float(inst.v)
    lin = np.asarray(inst.a, dtype=np.float64) + v * np.outer(np.diag(t), np.diag(d))
    pair = v * (t[:, :, None, None] * d[None, None, :, :]
                + t.T[:, :, None, None] * d.T[None, None, :, :])
    q = np.asarray(inst.q, dtype=np.float64)
    vals = np.concatenate([lin.ravel(), pair.ravel(), q])
    return bool(np.all(vals == np.round(vals))
                and float(np.abs(lin).sum() + np.abs(pair).sum()) < 2.0 ** 50)


class _Checker:
    def __init__(self, inst: GQAPInstance, record: dict[str, Any]) -> None:
        self.inst = inst
        self.n, self.m = inst.n, inst.m
        self.q = np.asarray(inst.q, dtype=np.float64)
        self.Q = np.asarray(inst.Q, dtype=np.float64)
        self.t = np.asarray(inst.t, dtype=np.float64)
        self.d = np.asarray(inst.d, dtype=np.float64)
        self.a = np.asarray(inst.a, dtype=np.float64)
        self.v = float(inst.v)
        self.exact = bool(record.get("integral"))
        if self.exact and not _integral(inst):
            raise ProofError("record claims integral costs and weights; the instance's "
                             "are not")
        self.status = record.get("status")
        self.check = ProofCheck(status=str(self.status), objective=None)

    # --- numbers ------------------------------------------------------------------
    def pair_cost(self, a: int, b: int) -> np.ndarray:
        """pc[k, h]: a on k, b on h."""
        return self.v * (self.t[a, b] * self.d + self.t[b, a] * self.d.T)

    def share(self, a: int, b: int, msg: dict[tuple[int, int], np.ndarray],
              nu: dict[int, np.ndarray]) -> np.ndarray:
        """a's share of the pair's cost (a < b), [k, h] (module doc)."""
        pc = self.pair_cost(a, b)
        D = (pc + msg[(a, b)][:, None] - msg[(b, a)][None, :]
             + nu[b].T * self.q[a] - nu[a] * self.q[b]) / 2.0
        return np.floor(D) if self.exact else D

    def knapsack(self, profit: list[float], weight: list[float], cap: float) -> float:
        """max sum profit z, sum weight z <= cap, z binary (exact for integral weights, the
        continuous relaxation otherwise), profits <= 0 left out."""
        items = [(p, w) for p, w in zip(profit, weight, strict=True) if p > 0]
        if cap < 0 or not items:
            return 0.0
        if self.exact:
            c = int(math.floor(cap + 1e-9))
            c = min(c, int(sum(w for _, w in items)))
            best = np.zeros(c + 1)
            for p, w in items:
                w = int(w)
                if w == 0:
                    best += p
                elif w <= c:
                    shifted = np.concatenate([np.full(w, -np.inf), best[:c + 1 - w] + p])
                    best = np.maximum(best, shifted)
            return float(best[c])
        total, room = 0.0, float(cap)
        for p, w in sorted(items, key=lambda it: -(it[0] / it[1]) if it[1] > 0 else -math.inf):
            if w <= room:
                total += p
                room -= w
            else:
                total += p * room / w
                break
        return total

    def node_data(self, x: np.ndarray) -> tuple[list[int], np.ndarray, float, np.ndarray]:
        """(free facilities, capacities left, fixed cost, linear costs of the free ones)."""
        fixed = [i for i in range(self.n) if x[i] >= 0]
        free = [i for i in range(self.n) if x[i] < 0]
        R = self.Q.copy()
        for i in fixed:
            R[x[i]] -= self.q[i]
        c0 = 0.0
        for i in fixed:
            c0 += self.a[i, x[i]] + self.v * self.t[i, i] * self.d[x[i], x[i]]
        for i, j in itertools.combinations(fixed, 2):
            c0 += self.pair_cost(i, j)[x[i], x[j]]
        L = np.zeros((len(free), self.m))
        for r, j in enumerate(free):
            L[r] = self.a[j] + self.v * self.t[j, j] * np.diag(self.d)
            for i in fixed:
                L[r] += self.pair_cost(j, i)[:, x[i]]
        return free, R, c0, L

    def messages(self, msg: list[float], source: list[int]) -> dict[tuple[int, int], np.ndarray]:
        """Messages stored at a node with free facilities ``source``: (a, b) -> M[a, :, b]."""
        f, m = len(source), self.m
        if len(msg) != f * m * f:
            raise ValueError(f"messages have {len(msg)} entries, expected {f * m * f}")
        arr = np.asarray(msg, dtype=np.float64).reshape(f, m, f)
        return {(a, b): arr[ra, :, rb] for ra, a in enumerate(source)
                for rb, b in enumerate(source) if a != b}

    def capacity_multipliers(self, nu: list[float], source: list[int],
                             ) -> dict[int, np.ndarray]:
        """nu stored at a node with free facilities ``source``, keyed by facility."""
        m = self.m
        if len(nu) != len(source) * m * m:
            raise ValueError(f"capacity multipliers have {len(nu)} entries, expected "
                             f"{len(source) * m * m}")
        arr = np.asarray(nu, dtype=np.float64).reshape(len(source), m, m)
        if (arr < 0).any():
            raise ValueError("a capacity multiplier is negative")
        return {j: arr[r] for r, j in enumerate(source)}

    def bound(self, x: np.ndarray, msg: dict[tuple[int, int], np.ndarray],
              nu: dict[int, np.ndarray], lam: list[float]) -> float:
        """The node's bound (module doc) with messages ``msg``, capacity multipliers ``nu``
        and master multipliers ``lam``."""
        free, R, c0, L = self.node_data(x)
        f, m = len(free), self.m
        if len(lam) != f:
            raise ValueError(f"lambda has {len(lam)} entries for {f} free facilities")
        # own[ra][rb][k, h]: ra's share with ra on k, rb on h
        own: dict[tuple[int, int], np.ndarray] = {}
        for ra, rb in itertools.combinations(range(f), 2):
            s = self.share(free[ra], free[rb], msg, nu)
            own[(ra, rb)] = s
            own[(rb, ra)] = (self.pair_cost(free[ra], free[rb]) - s).T
        fits = [[self.q[j] <= R[h] for h in range(m)] for j in free]
        Lhat = np.full((f, m), math.inf)
        for ra in range(f):
            qa = self.q[free[ra]]
            for k in range(m):
                if not fits[ra][k]:
                    continue
                cap = R[k] - qa
                nua = nu[free[ra]][k]
                total, saves, weights = 0.0, [], []
                total -= sum(nua[h] * R[h] for h in range(m) if h != k)
                ok = True
                for rb in range(f):
                    if rb == ra:
                        continue
                    qb = self.q[free[rb]]
                    s = own[(ra, rb)][k]
                    off = min((s[h] + nua[h] * qb for h in range(m) if h != k and fits[rb][h]),
                              default=math.inf)
                    on = s[k] if qb <= cap + 1e-9 else math.inf
                    if math.isinf(off) and math.isinf(on):
                        ok = False
                        break
                    if math.isinf(off):
                        total += on
                        cap -= qb
                    else:
                        total += off
                        if not math.isinf(on) and off - on > 0:
                            saves.append(off - on)
                            weights.append(qb)
                if not ok or cap < -1e-9:
                    continue
                Lhat[ra, k] = L[ra, k] + total - self.knapsack(saves, weights, cap)
        if f and not all(np.isfinite(Lhat[r]).any() for r in range(f)):
            return math.inf
        value = c0 + float(sum(lam))
        for k in range(m):
            prof = [lam[r] - Lhat[r, k] if math.isfinite(Lhat[r, k]) else 0.0
                    for r in range(f)]
            value -= self.knapsack(prof, [self.q[j] for j in free], R[k])
        return value

    def reaches(self, value: float, upper: float) -> bool:
        if value == math.inf:
            return True
        if self.exact:
            return value >= upper
        return value >= upper - 1e-9 * max(1.0, abs(upper))

    # --- the tree -------------------------------------------------------------------
    def identical(self, k: int, h: int) -> bool:
        others = [s for s in range(self.m) if s not in (k, h)]
        d = self.d
        return bool(self.Q[k] == self.Q[h] and np.array_equal(self.a[:, k], self.a[:, h])
                    and d[k, k] == d[h, h] and d[k, h] == d[h, k]
                    and np.array_equal(d[k, others], d[h, others])
                    and np.array_equal(d[others, k], d[others, h]))

    def walk(self, rec: Any, x: np.ndarray, upper: float, parent: dict[str, Any] | None,
             path: list[tuple[int, int]]) -> None:
        where = "root" if not path else "node " + " ".join(f"{i}->{k}" for i, k in path)
        try:
            self._walk(rec, x, upper, parent, path)
        except ProofError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ProofError(f"proof record refused at {where}: malformed ({exc})") from None

    def _walk(self, rec: Any, x: np.ndarray, upper: float, parent: dict[str, Any] | None,
              path: list[tuple[int, int]]) -> None:
        where = "root" if not path else "node " + " ".join(f"{i}->{k}" for i, k in path)
        if not isinstance(rec, dict):
            raise ProofError(f"proof record refused at {where}: not an object")
        self.check.nodes += 1
        if rec.get("open"):
            raise ProofError(f"proof record refused at {where}: the node is still open")
        if "branch" in rec:
            i = int(rec["branch"])
            if not (0 <= i < self.n) or x[i] >= 0:
                raise ProofError(f"proof record refused at {where}: branches on facility "
                                 f"{i}, which is not free there")
            children = rec["children"]
            if not isinstance(children, list) or len(children) != self.m:
                raise ProofError(f"proof record refused at {where}: {len(children)} "
                                 f"children for {self.m} sites")
            for k, child in enumerate(children):
                y = x.copy()
                y[i] = k
                self.walk(child, y, upper, rec, [*path, (i, k)])
            return
        how = rec.get("close")
        self.check.leaves[str(how)] = self.check.leaves.get(str(how), 0) + 1
        if how == "capacity":
            self._capacity(x, where)
        elif how == "enum":
            self._enumerate(x, upper, where)
        elif how in ("bound", "parent"):
            src = rec if how == "bound" else parent
            if src is None or "msg" not in src or "nu" not in src:
                raise ProofError(f"proof record refused at {where}: closed by '{how}' "
                                 "without multipliers there")
            y = x.copy()
            if how == "parent":
                y[path[-1][0]] = -1
            source = [j for j in range(self.n) if y[j] < 0]
            value = self.bound(x, self.messages(src["msg"], source),
                               self.capacity_multipliers(src["nu"], source),
                               [float(v) for v in rec["lam"]])
            self.check.bounds_checked += 1
            if not self.reaches(value, upper):
                raise ProofError(f"proof record refused at {where}: its bound {value:.10g} "
                                 f"is below the incumbent {upper:.10g} (the record claims "
                                 f"{rec.get('value')})")
        elif how == "symmetry":
            self._symmetry(rec, x, parent, path, where)
        else:
            raise ProofError(f"proof record refused at {where}: unknown closure {how!r}")

    def _capacity(self, x: np.ndarray, where: str) -> None:
        free, R, _, _ = self.node_data(x)
        over = (R < 0).any()
        stranded = any(all(self.q[j] > R[h] for h in range(self.m)) for j in free)
        heavy = sum(self.q[j] for j in free) > R.sum() + 1e-9
        if not (over or stranded or heavy):
            raise ProofError(f"proof record refused at {where}: closed by capacity, but "
                             "every free facility fits somewhere and the weight fits")

    def _enumerate(self, x: np.ndarray, upper: float, where: str) -> None:
        free, R, _, _ = self.node_data(x)
        sites = [[h for h in range(self.m) if self.q[j] <= R[h]] for j in free]
        count = math.prod(len(s) for s in sites)
        if count > MAX_ENUMERATION:
            raise ProofError(f"proof record refused at {where}: enumeration of {count:,} "
                             f"completions asked, above {MAX_ENUMERATION:,}")
        self.check.completions_enumerated += count
        if count == 0:
            return
        X = np.array(list(itertools.product(*sites)), dtype=np.int64).reshape(count, len(free))
        full = np.repeat(x[None, :], count, axis=0)
        full[:, free] = X
        ok = (site_loads_batch(self.inst, full) <= self.Q[None, :] + 1e-9).all(axis=1)
        if not ok.any():
            return
        best = float(gqap_cost_batch(self.inst, full[ok]).min())
        if not self.reaches(best, upper):
            raise ProofError(f"proof record refused at {where}: a completion costs "
                             f"{best:.10g}, below the incumbent {upper:.10g}")

    def _symmetry(self, rec: dict[str, Any], x: np.ndarray, parent: dict[str, Any] | None,
                  path: list[tuple[int, int]], where: str) -> None:
        if parent is None or not path:
            raise ProofError(f"proof record refused at {where}: symmetry at the root")
        i, k = path[-1]
        h = int(rec["of"])
        y = x.copy()
        y[i] = -1
        used = {int(s) for s in y if s >= 0}
        if not (0 <= h < k) or not self.identical(k, h) or k in used or h in used:
            raise ProofError(f"proof record refused at {where}: sites {k} and {h} are not "
                             "identical empty sites with the mirror's index smaller")


def verify_proof(record: dict[str, Any], inst: GQAPInstance) -> ProofCheck:
    """Check ``record`` against ``inst`` (module doc); a ``ProofError`` naming the first
    failing node otherwise."""
    if record.get("format") != FORMAT:
        raise ProofError(f"not a proof record: format {record.get('format')!r}, expected "
                         f"{FORMAT!r}")
    if record.get("version") != VERSION:
        raise ProofError(f"proof record version {record.get('version')!r} is not supported "
                         f"(expected {VERSION})")
    meta = record.get("instance") or {}
    if meta.get("content_hash") != inst.content_hash():
        raise ProofError(f"proof record is for another instance (content hash "
                         f"{str(meta.get('content_hash'))[:12]}..., this one "
                         f"{inst.content_hash()[:12]}...)")
    chk = _Checker(inst, record)
    status = record.get("status")
    if status == "optimal":
        x = record.get("assignment")
        if not isinstance(x, list) or len(x) != inst.n:
            raise ProofError("proof record refused: the optimum's assignment is missing or "
                             "has the wrong length")
        ev = evaluate_gqap(inst, GQAPSolution(np.asarray(x, dtype=np.int64)))
        if not ev.feasible:
            raise ProofError(f"proof record refused: the optimum's assignment is infeasible "
                             f"({'; '.join(ev.violations)})")
        claimed = record.get("objective")
        if claimed is None or abs(ev.objective - float(claimed)) > 1e-9 * max(
                1.0, abs(ev.objective)):
            raise ProofError(f"proof record refused: the assignment costs {ev.objective:.10g}, "
                             f"the record claims {claimed}")
        upper = ev.objective
        chk.check.objective = upper
    elif status == "infeasible":
        upper = math.inf
    else:
        raise ProofError(f"proof record refused: status {status!r} claims no proof")
    chk.walk(record.get("tree"), -np.ones(inst.n, dtype=np.int64), upper, None, [])
    return chk.check
