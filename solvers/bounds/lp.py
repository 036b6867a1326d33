"""The LP relaxations of ``milp``'s GQAP model (methods ``lp-rlt1`` and ``lp-gw``): built as
sparse arrays, solved by HiGHS in a child process (``lp_child``) stopped at the deadline,
and certified from the duals it returns."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.errors import GQAPError
from gqap.solvers.base import Deadline
from gqap.solvers.bounds.certificate import EPS, BoundResult, certify, integral_costs
from gqap.solvers.formulations import GQAPModelData, gqap_model_data, scaled_gqap_data

# HiGHS runs in a child process: its interior-point code does not check the time limit
# scipy hands it, so the child is stopped at the deadline (``gqap.solvers.process``). The
# LP travels as a .npz file; the answer comes back as one.
LP_CHILD = Path(__file__).with_name("lp_child.py")
_LP_GRACE_S = 0.5


@dataclass
class LPArrays:
    """A minimisation LP: c x, A_ub x <= b_ub, A_eq x = b_eq, 0 <= x <= 1 (sparse)."""

    c: np.ndarray
    A_ub: Any
    b_ub: np.ndarray
    A_eq: Any
    b_eq: np.ndarray
    cost_scale: float = 1.0

    @property
    def columns(self) -> int:
        """Number of variables."""
        return int(self.c.size)


def lp_columns(data: GQAPModelData, linearisation: str) -> int:
    """Columns of the LP ``lp_arrays`` builds (x plus the product variables)."""
    n_x = int(data.allowed.sum())
    if linearisation == "rlt":
        return n_x + int(data.pair_allowed.sum())
    return n_x + int(((data.pair_cost != 0.0) & data.pair_allowed).sum())


def lp_arrays(data: GQAPModelData, linearisation: str = "rlt",
              rlt_capacity: bool = True) -> LPArrays:
    """The LP relaxation of ``milp``'s GQAP model (``linearisation`` 'rlt' or 'standard',
    docs/MILP.md) as sparse arrays, every variable in [0, 1] (implied for the products).

    Costs outside [2^-40, 2^40] are rescaled by a power of two (``cost_scale``, exact) and
    capacities above the total weight become the total, as in ``milp``."""
    from scipy import sparse

    n, m = data.n, data.m
    scaled, s = scaled_gqap_data(data)
    q, Q = scaled.q, scaled.Q
    xid = np.full((n, m), -1, dtype=np.int64)
    n_x = int(data.allowed.sum())
    xid[data.allowed] = np.arange(n_x)
    mask = data.pair_allowed if linearisation == "rlt" else \
        data.pair_allowed & (data.pair_cost != 0.0)
    yp, yk, yh = np.nonzero(mask)
    n_y = yp.size
    yid = n_x + np.arange(n_y)
    c = np.concatenate([data.lin[data.allowed], data.pair_cost[yp, yk, yh]]) * s
    yi, yj = data.pairs[yp, 0], data.pairs[yp, 1]
    ai, ak = np.nonzero(data.allowed)

    eq_r, eq_c, eq_v, b_eq = [ai], [xid[ai, ak]], [np.ones(ai.size)], [np.ones(n)]
    ub_r, ub_c, ub_v = [ak], [xid[ai, ak]], [q[ai]]
    b_ub = [Q]
    n_eq, n_ub = n, m
    if linearisation == "rlt":
        P = len(data.pairs)
        # ra[p, h]: sum_k y[p, k, h] - x[j, h] = 0 where (j, h) is allowed
        j_all = data.pairs[:, 1]
        ra_ok = data.allowed[j_all]  # (P, m)
        ra_id = np.full((P, m), -1, dtype=np.int64)
        ra_id[ra_ok] = n_eq + np.arange(int(ra_ok.sum()))
        n_eq += int(ra_ok.sum())
        pp, hh = np.nonzero(ra_ok)
        eq_r += [ra_id[yp, yh], ra_id[pp, hh]]
        eq_c += [yid, xid[j_all[pp], hh]]
        eq_v += [np.ones(n_y), -np.ones(pp.size)]
        b_eq.append(np.zeros(pp.size))
        # rb[p, k]: sum_h y[p, k, h] - x[i, k] = 0 where (i, k) is allowed
        i_all = data.pairs[:, 0]
        rb_ok = data.allowed[i_all]
        rb_id = np.full((P, m), -1, dtype=np.int64)
        rb_id[rb_ok] = n_eq + np.arange(int(rb_ok.sum()))
        n_eq += int(rb_ok.sum())
        pp, kk = np.nonzero(rb_ok)
        eq_r += [rb_id[yp, yk], rb_id[pp, kk]]
        eq_c += [yid, xid[i_all[pp], kk]]
        eq_v += [np.ones(n_y), -np.ones(pp.size)]
        b_eq.append(np.zeros(pp.size))
        if rlt_capacity:
            # rc[j, h, k]: sum_{i != j} q_i y[(i,k),(j,h)] - (Q_k - q_j [k = h]) x[j, h] <= 0
            cut, rhs = scaled.capacity_rows()
            rc_id = np.full((n, m, m), -1, dtype=np.int64)
            rc_id[cut] = n_ub + np.arange(int(cut.sum()))
            n_ub += int(cut.sum())
            # y(p, k, h): i = first on k, j = second on h -> row (j, h, k) with q_i and
            # row (i, k, h) with q_j
            r1 = rc_id[yj, yh, yk]
            r2 = rc_id[yi, yk, yh]
            k1, k2 = r1 >= 0, r2 >= 0
            jj, hh, kk = np.nonzero(cut)
            ub_r += [r1[k1], r2[k2], rc_id[jj, hh, kk]]
            ub_c += [yid[k1], yid[k2], xid[jj, hh]]
            ub_v += [q[yi[k1]], q[yj[k2]], -rhs[jj, hh, kk]]
            b_ub.append(np.zeros(int(cut.sum())))
    else:
        pos = c[n_x:] > 0
        # y >= x_ik + x_jh - 1  ->  x_ik + x_jh - y <= 1   (positive costs)
        ids = np.flatnonzero(pos)
        rows = n_ub + np.arange(ids.size)
        ub_r += [rows, rows, rows]
        ub_c += [xid[yi[ids], yk[ids]], xid[yj[ids], yh[ids]], yid[ids]]
        ub_v += [np.ones(ids.size), np.ones(ids.size), -np.ones(ids.size)]
        b_ub.append(np.ones(ids.size))
        n_ub += ids.size
        # y <= x_ik and y <= x_jh   (negative costs)
        ids = np.flatnonzero(~pos)
        for side in (0, 1):
            rows = n_ub + np.arange(ids.size)
            xs = xid[yi[ids], yk[ids]] if side == 0 else xid[yj[ids], yh[ids]]
            ub_r += [rows, rows]
            ub_c += [yid[ids], xs]
            ub_v += [np.ones(ids.size), -np.ones(ids.size)]
            b_ub.append(np.zeros(ids.size))
            n_ub += ids.size
    cols = n_x + n_y
    A_eq = sparse.csr_matrix((np.concatenate(eq_v), (np.concatenate(eq_r),
                                                     np.concatenate(eq_c))), shape=(n_eq, cols))
    A_ub = sparse.csr_matrix((np.concatenate(ub_v), (np.concatenate(ub_r),
                                                     np.concatenate(ub_c))), shape=(n_ub, cols))
    return LPArrays(c, A_ub, np.concatenate(b_ub), A_eq, np.concatenate(b_eq), s)


def dual_bound(lp: LPArrays, y_ub: np.ndarray, y_eq: np.ndarray) -> tuple[float, float]:
    """(value, rounding margin) of the Lagrangean function of ``lp`` at multipliers mu =
    max(0, -y_ub) (inequalities) and lambda = -y_eq (equalities), with every variable in
    [0, 1]: -b_ub mu - b_eq lambda + sum_j min(0, (c + A_ub^T mu + A_eq^T lambda)_j).
    A lower bound on the LP optimum for any multipliers (HiGHS's duals, in scipy's sign
    convention, make it the LP optimum)."""
    mu = np.maximum(-np.nan_to_num(np.asarray(y_ub, dtype=np.float64)), 0.0)
    lam = -np.nan_to_num(np.asarray(y_eq, dtype=np.float64))
    r = lp.c + lp.A_ub.T @ mu + lp.A_eq.T @ lam
    neg = np.minimum(r, 0.0)
    value = float(-(lp.b_ub @ mu) - (lp.b_eq @ lam) + neg.sum())
    # First-order rounding error: every column sum has at most `col` terms, every total
    # at most `rows` or `cols` terms; doubled.
    absA = abs(lp.A_ub).T @ mu + abs(lp.A_eq).T @ np.abs(lam)
    col = int(max(np.diff(lp.A_ub.tocsc().indptr).max(initial=0)
                  + np.diff(lp.A_eq.tocsc().indptr).max(initial=0), 1))
    rows = lp.b_ub.size + lp.b_eq.size
    margin = 2.0 * EPS * ((col + 2) * float((np.abs(lp.c) + absA).sum())
                           + (rows + 2) * float(np.abs(lp.b_ub * mu).sum()
                                                + np.abs(lp.b_eq * lam).sum())
                           + (lp.columns + 2) * float(np.abs(neg).sum()))
    return value / lp.cost_scale, margin / lp.cost_scale


def solve_lp(lp: LPArrays, deadline: Deadline, lp_method: str = "highs-ipm") -> dict[str, Any]:
    """Solve ``lp`` with HiGHS (``scipy.optimize.linprog``) in a child process stopped at
    ``deadline``: {status (scipy's code, None when stopped), message, fun, y_ub, y_eq}."""
    import os
    import subprocess
    import sys
    import tempfile

    from gqap.solvers.process import spawn, wait_until

    with tempfile.TemporaryDirectory(prefix="gqap-bound-") as tmp:
        src, dst = os.path.join(tmp, "lp.npz"), os.path.join(tmp, "answer.npz")
        left = deadline.remaining()
        arrays: dict[str, Any] = {"c": lp.c, "b_ub": lp.b_ub, "b_eq": lp.b_eq,
                                  "method": np.array(lp_method),
                                  "time_limit": np.array(0.0 if math.isinf(left)
                                                         else max(left - 0.2, 0.01)),
                                  "deadline": np.array(time.time() + left - 0.3)}
        for prefix, A in (("ub_", lp.A_ub), ("eq_", lp.A_eq)):
            arrays.update({prefix + "data": A.data, prefix + "indices": A.indices,
                           prefix + "indptr": A.indptr, prefix + "shape": np.array(A.shape)})
        np.savez(src, **arrays)
        deadline.check("writing the LP")
        proc = spawn([sys.executable, str(LP_CHILD), src, dst],
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stopped = wait_until(proc, deadline, _LP_GRACE_S, interrupt=False)
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if stopped or not os.path.exists(dst):
            why = "stopped at the time limit" if stopped else \
                f"HiGHS child failed: {err.splitlines()[-1] if err else proc.returncode}"
            return {"status": None, "message": why}
        with np.load(dst) as ans:
            out = {k: ans[k] for k in ans.files}
    return {"status": int(out["status"]), "message": str(out["message"]),
            "fun": float(out["fun"]), "y_ub": out.get("y_ub"), "y_eq": out.get("y_eq")}


def lp_bound(inst: GQAPInstance, deadline: Deadline, linearisation: str = "rlt",
             rlt_capacity: bool = True, lp_method: str = "highs-ipm",
             data: GQAPModelData | None = None) -> BoundResult:
    """The LP-relaxation bound of ``milp``'s model with HiGHS, certified from its duals;
    the LP is solved in a child process stopped at ``deadline``."""
    name = "lp-rlt1" if linearisation == "rlt" else "lp-gw"
    if lp_method == "highs-ipx":
        import importlib.util

        if importlib.util.find_spec("highspy") is None:
            raise GQAPError("solver bound: lp_method=highs-ipx needs highspy "
                            "(pip install 'gqap-bench[milp]')")
    t0 = time.perf_counter()
    data = gqap_model_data(inst) if data is None else data
    integral = integral_costs(data)
    lp = lp_arrays(data, linearisation, rlt_capacity)
    deadline.check(f"building the {name} LP")
    build_s = time.perf_counter() - t0
    res = solve_lp(lp, deadline, lp_method)
    info = {"columns": lp.columns, "rows": int(lp.b_ub.size + lp.b_eq.size),
            "nonzeros": int(lp.A_ub.nnz + lp.A_eq.nnz), "build_time_s": build_s,
            "lp_status": res["status"], "lp_message": str(res["message"])[:200],
            "integral_costs": integral}
    seconds = time.perf_counter() - t0
    if res["status"] is None:
        return BoundResult(name, None, status=f"time limit: {res['message']}"[:200],
                           seconds=seconds, info=info)
    if res["status"] == 2:
        return BoundResult(name, None, status="infeasible (HiGHS)", seconds=seconds,
                           infeasible=True, info=info)
    duals = (res.get("y_ub"), res.get("y_eq"))
    if any(d is None or np.size(d) != size or not np.all(np.isfinite(d)) for d, size in
           zip(duals, (lp.b_ub.size, lp.b_eq.size), strict=True)):
        return BoundResult(name, None, status=f"no duals ({res['message']})"[:200],
                           seconds=seconds, info=info)
    raw, margin = dual_bound(lp, duals[0], duals[1])
    if res["status"] == 0 and math.isfinite(res["fun"]):
        info["lp_value"] = res["fun"] / lp.cost_scale
    status = "optimal" if res["status"] == 0 else f"stopped ({res['message']})"[:200]
    return BoundResult(name, certify(raw, margin, integral), raw, margin, status,
                       time.perf_counter() - t0, info=info)
