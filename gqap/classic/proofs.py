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

The bound is computed a node at a time in numpy arrays (every pair's shares, every
(a, k)'s partners, every knapsack of the node in one dynamic programme), with the float
operations of the formula written out term by term, in its order: the same numbers.
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


class _Stored:
    """Multipliers stored at a node, first axis (and last, for messages) over that node's
    free facilities ``source``; a descendant reads the rows of its own free ones."""

    def __init__(self, arr: np.ndarray, source: list[int]) -> None:
        self.arr = arr
        self.index = {j: r for r, j in enumerate(source)}

    def columns(self, facilities: list[int]) -> list[int]:
        return [self.index[j] for j in facilities]

    def rows(self, facilities: list[int]) -> np.ndarray:
        return self.arr[self.columns(facilities)]


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
        # every pair's cost, [i, j, k, h] (the bound gathers its free facilities' block),
        # unless that is over 32 MB
        self.pc_all = None
        if (self.n * self.m) ** 2 <= 2 ** 22:
            self.pc_all = self.v * (self.t[:, :, None, None] * self.d[None, None]
                                    + self.t.T[:, :, None, None] * self.d.T[None, None])
        self._stored: tuple[int, list[int], _Stored, _Stored, Any] | None = None
        self.status = record.get("status")
        self.check = ProofCheck(status=str(self.status), objective=None)

    # --- numbers ------------------------------------------------------------------
    # Every array below is built with the same float operations, in the same order, as
    # the formula in the module doc written out pair by pair; sums run in the order the
    # formula lists their terms. With integral records every value is an integer well
    # below 2^53, so the numbers are exact whatever the order; with fractional ones the
    # kept order keeps them the same as the loop form (before 7158c2b) as well.
    def pair_costs(self, rows: list[int], cols: list[int]) -> np.ndarray:
        """pc[r, c, k, h]: facility rows[r] on k, cols[c] on h."""
        r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        if self.pc_all is not None:
            return self.pc_all[np.ix_(r, c)]
        t, t_back = self.t[np.ix_(r, c)], self.t[np.ix_(c, r)].T
        return self.v * (t[:, :, None, None] * self.d[None, None]
                         + t_back[:, :, None, None] * self.d.T[None, None])

    def pair_costs_at(self, rows: list[int], cols: list[int], sites: np.ndarray,
                      ) -> np.ndarray:
        """pc[r, c, k]: facility rows[r] on k, cols[c] on sites[c]."""
        r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        t, t_back = self.t[np.ix_(r, c)], self.t[np.ix_(c, r)].T
        return self.v * (t[:, :, None] * self.d[:, sites].T[None]
                         + t_back[:, :, None] * self.d[sites, :][None])

    def knapsacks(self, profit: np.ndarray, weight: np.ndarray, cap: np.ndarray,
                  ) -> np.ndarray:
        """Row by row, max sum profit[r] z, sum weight z <= cap[r], z binary (exact for
        integral weights, the continuous relaxation otherwise); profits <= 0 left out.
        The 0-1 rows share one dynamic programme over capacities, one step per item for
        all rows at once."""
        rows = profit.shape[0]
        out = np.zeros(rows)
        if not self.exact:
            for r in range(rows):
                out[r] = self._continuous(profit[r].tolist(), weight.tolist(), float(cap[r]))
            return out
        p = np.where(profit > 0, profit, 0.0)
        w = weight.astype(np.int64)
        live = (cap >= 0) & (p > 0).any(axis=1)
        if not live.any():
            return out
        p, c = p[live], np.floor(cap[live] + 1e-9).astype(np.int64)
        # best[c, r]: row r's most profit within capacity c; past its items' total weight
        # a row's table is flat, so one height, the largest capacity any row can use,
        # serves all rows (each reads at min(its capacity, height)). Capacity first: an
        # item's step then shifts whole contiguous blocks (1.7x faster than rows first).
        c = np.minimum(c, ((p > 0) * w[None, :]).sum(axis=1))
        height = int(c.max())
        best = np.zeros((height + 1, p.shape[0]))
        items = np.ascontiguousarray(p.T)
        for i, wi in enumerate(w.tolist()):
            if wi > height or not (items[i] > 0).any():
                continue
            if wi == 0:
                best += items[i]
            else:
                np.maximum(best[wi:], best[:height + 1 - wi] + items[i], out=best[wi:])
        out[live] = best[c, np.arange(p.shape[0])]
        return out

    @staticmethod
    def _continuous(profit: list[float], weight: list[float], cap: float) -> float:
        """The continuous knapsack's optimum, greedy by profit per weight."""
        items = [(p, w) for p, w in zip(profit, weight, strict=True) if p > 0]
        if cap < 0 or not items:
            return 0.0
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
        xs = x[fixed]
        c0 = 0.0
        for val in (self.a[fixed, xs] + self.v * self.t[fixed, fixed] * self.d[xs, xs]).tolist():
            c0 += val
        if len(fixed) > 1:
            # [i][j]: i on x_i, j on x_j
            pairs = self.pair_costs_at(fixed, fixed, xs)[np.arange(len(fixed)), :, xs].tolist()
            for i, j in itertools.combinations(range(len(fixed)), 2):
                c0 += pairs[i][j]
        L = self.a[free] + self.v * np.diag(self.t)[free, None] * np.diag(self.d)[None, :]
        if fixed and free:
            # free r anywhere, fixed s where it is; added one fixed facility at a time, in
            # index order
            pc = self.pair_costs_at(free, fixed, xs)
            for s in range(len(fixed)):
                L += pc[:, s]
        return free, R, c0, L

    def messages(self, msg: list[float], source: list[int]) -> _Stored:
        """Messages stored at a node with free facilities ``source``: M[a, k, b]."""
        f, m = len(source), self.m
        if len(msg) != f * m * f:
            raise ValueError(f"messages have {len(msg)} entries, expected {f * m * f}")
        arr = np.asarray(msg, dtype=np.float64).reshape(f, m, f)
        if not np.isfinite(arr).all():
            raise ValueError("a message is not finite")
        return _Stored(arr, source)

    def capacity_multipliers(self, nu: list[float], source: list[int]) -> _Stored:
        """nu[a, k, h] stored at a node with free facilities ``source``."""
        m = self.m
        if len(nu) != len(source) * m * m:
            raise ValueError(f"capacity multipliers have {len(nu)} entries, expected "
                             f"{len(source) * m * m}")
        arr = np.asarray(nu, dtype=np.float64).reshape(len(source), m, m)
        if not np.isfinite(arr).all():
            raise ValueError("a capacity multiplier is not finite")
        if (arr < 0).any():
            raise ValueError("a capacity multiplier is negative")
        return _Stored(arr, source)

    def bound(self, x: np.ndarray, msg: _Stored, nu: _Stored, lam: list[float]) -> float:
        """The node's bound (module doc) with messages ``msg``, capacity multipliers ``nu``
        and master multipliers ``lam``; array axes run over the free facilities (r for a,
        s for b) and the sites (k for a's, h for b's)."""
        free, R, c0, L = self.node_data(x)
        f, m = len(free), self.m
        if len(lam) != f:
            raise ValueError(f"lambda has {len(lam)} entries for {f} free facilities")
        if not all(math.isfinite(v) for v in lam):
            raise ValueError("a master multiplier is not finite")
        M, N = msg.rows(free), nu.rows(free)
        M = M[:, :, msg.columns(free)]                  # M[r, k, s]
        q = self.q[free]
        pc = self.pair_costs(free, free)                 # pc[r, s, k, h]
        # a's share of each pair, for r < s (the upper triangle is the one used)
        Mt = M.transpose(0, 2, 1)                       # Mt[r, s, k] = M[a, k, b]
        D = (pc + Mt[:, :, :, None] - Mt.transpose(1, 0, 2)[:, :, None, :]
             + N.transpose(0, 2, 1)[None, :, :, :] * q[:, None, None, None]
             - N[:, None, :, :] * q[None, :, None, None]) / 2.0
        S = np.floor(D) if self.exact else D
        # own[r, s, k, h]: r's part with r on k and s on h; below the diagonal it is what
        # the upper triangle's partner leaves, transposed to r's point of view
        upper = np.triu(np.ones((f, f), dtype=bool), 1)[:, :, None, None]
        own = np.where(upper, S, (pc - S).transpose(1, 0, 3, 2))
        fits = q[:, None] <= R[None, :]                  # fits[s, h]
        # off[r, k, s]: s's cheapest site h != k that it fits, at own + nu[r, k, h] q_s
        cand = own.transpose(0, 2, 1, 3) + N[:, :, None, :] * q[None, None, :, None]
        allowed = (~np.eye(m, dtype=bool))[None, :, None, :] & fits[None, None, :, :]
        off = np.where(allowed, cand, math.inf).min(axis=3)
        on_cost = own[:, :, np.arange(m), np.arange(m)].transpose(0, 2, 1)   # [r, k, s]
        # the subproblems of every (a, k) at once. A partner that fits no other site must
        # go on k, which uses up k's room for the partners after it in index order.
        other = ~np.eye(f, dtype=bool)[:, None, :]      # [r, ., s]: s is a partner
        off_inf = np.isinf(off)
        forced, loose = other & off_inf, other & ~off_inf
        # k's room before each partner (room[r, k, s]) and after all (room[..., f]);
        # subtract.accumulate runs left to right: partners in index order, as the
        # formula takes them
        used = np.where(forced, q[None, None, :], 0.0)
        room = np.subtract.accumulate(
            np.concatenate([(R[None, :] - q[:, None])[:, :, None], used], axis=2), axis=2)
        on = np.where(q[None, None, :] <= room[:, :, :f] + 1e-9, on_cost, math.inf)
        on_inf = np.isinf(on)
        ok = fits & ~(forced & on_inf).any(axis=2) & (room[:, :, f] >= -1e-9)
        cap = room[:, :, f]
        # total[r, k] = -sum_{h != k} nu R_h, then each partner's off (or forced on) cost,
        # added left to right (add.accumulate), so fractional sums round as term by term
        nu_R = np.where(~np.eye(m, dtype=bool)[None], N * R[None, None, :], 0.0)
        terms = np.where(forced, on, np.where(loose, off, 0.0))
        total = np.add.accumulate(np.concatenate(
            [(0.0 - np.add.accumulate(nu_R, axis=2)[:, :, -1])[:, :, None], terms], axis=2),
            axis=2)[:, :, -1]
        gain = np.zeros((f, m, f))
        np.subtract(off, on, out=gain, where=loose & ~on_inf)
        saves = np.where(gain > 0, gain, 0.0)
        Lhat = np.full((f, m), math.inf)
        r_ok, k_ok = np.nonzero(ok)
        if r_ok.size:
            knap = self.knapsacks(saves[r_ok, k_ok], q, cap[r_ok, k_ok])
            Lhat[r_ok, k_ok] = L[r_ok, k_ok] + total[r_ok, k_ok] - knap
        if f and not np.isfinite(Lhat).any(axis=1).all():
            return math.inf
        value = c0 + float(sum(lam))
        lam_arr = np.asarray(lam, dtype=np.float64)
        prof = np.where(np.isfinite(Lhat), lam_arr[:, None] - Lhat, 0.0).T   # [k, r]
        for v in self.knapsacks(prof, q, R).tolist():    # site by site, as the formula
            value -= v
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
            # siblings closed by 'parent' read the same stored multipliers: convert them
            # once (the last node's are kept, so ``is`` cannot match another node)
            if self._stored is None or self._stored[:2] != (id(src), source):
                self._stored = (id(src), source, self.messages(src["msg"], source),
                                self.capacity_multipliers(src["nu"], source), src)
            value = self.bound(x, self._stored[2], self._stored[3],
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
