"""The child process that solves an LP for ``gqap.solvers.bounds.lp``: run as a script,
``python lp_child.py LP.npz ANSWER.npz``, so that it imports numpy and scipy (and highspy
for ``highs-ipx``) and nothing of the suite, and can be stopped at the deadline.

The LP file holds c, b_ub, b_eq, the CSR parts of A_ub and A_eq (prefixes ``ub_``,
``eq_``), the method, scipy's time limit and the caller's deadline (wall clock); the
answer holds status (scipy's codes: 0 optimal, 1 stopped, 2 infeasible), message, fun and
the duals y_ub, y_eq when the solver returned them.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np


def _matrix(d: Any, prefix: str) -> Any:
    from scipy import sparse

    return sparse.csr_matrix((d[prefix + "data"], d[prefix + "indices"], d[prefix + "indptr"]),
                             shape=tuple(d[prefix + "shape"]))


def solve_ipx(d: Any) -> dict[str, np.ndarray]:
    """HiGHS's interior point (IPX) through highspy, without presolve or crossover."""
    import highspy
    from scipy import sparse

    A_ub, A_eq = _matrix(d, "ub_"), _matrix(d, "eq_")
    A = sparse.vstack([A_ub, A_eq]).tocsc()
    n_ub = A_ub.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_ = d["c"]
    lp.col_lower_, lp.col_upper_ = np.zeros(A.shape[1]), np.ones(A.shape[1])
    lp.row_lower_ = np.concatenate([np.full(n_ub, -np.inf), d["b_eq"]])
    lp.row_upper_ = np.concatenate([d["b_ub"], d["b_eq"]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")  # the interior iterate's duals are enough
    h.setOptionValue("threads", 1)
    # The duals are certified afterwards (dual_bound), so a looser stopping tolerance costs
    # at most about 1e-6 of the bound and spares the last iterations where IPX can stall.
    h.setOptionValue("ipm_optimality_tolerance", 1e-6)
    # HiGHS's presolve leaves IPX stalled ("no progress") on several Cordeau RLT LPs (30-10-65
    # among them) that it solves in seconds without it.
    h.setOptionValue("presolve", "off")
    h.passModel(lp)
    if float(d["time_limit"]) > 0:  # what is left of the caller's budget after start-up
        h.setOptionValue("time_limit", max(float(d["deadline"]) - time.time(), 0.01))
    h.run()
    status = h.getModelStatus()
    sol = h.getSolution()
    S = highspy.HighsModelStatus
    code = 0 if status == S.kOptimal else 2 if status == S.kInfeasible else 1  # as scipy
    out = {"status": np.array(code), "message": np.array(h.modelStatusToString(status)),
           "fun": np.array(float(h.getInfo().objective_function_value) if code == 0
                           else np.nan)}
    if sol.dual_valid:
        y = np.asarray(sol.row_dual, dtype=np.float64)
        out["y_ub"], out["y_eq"] = y[:n_ub], y[n_ub:]
    return out


def solve_linprog(d: Any) -> dict[str, np.ndarray]:
    """HiGHS through ``scipy.optimize.linprog`` with the method the file names."""
    from scipy.optimize import linprog

    opts: dict[str, Any] = {"presolve": True, "disp": False}
    if float(d["time_limit"]) > 0:
        opts["time_limit"] = float(d["time_limit"])
    res = linprog(d["c"], A_ub=_matrix(d, "ub_"), b_ub=d["b_ub"], A_eq=_matrix(d, "eq_"),
                  b_eq=d["b_eq"], bounds=(0.0, 1.0), method=str(d["method"]), options=opts)
    out = {"status": np.array(int(res.status)), "message": np.array(str(res.message)),
           "fun": np.array(np.nan if res.fun is None else float(res.fun))}
    for part, key in (("ineqlin", "y_ub"), ("eqlin", "y_eq")):
        m = getattr(getattr(res, part, None), "marginals", None)
        if m is not None:
            out[key] = np.asarray(m, dtype=np.float64)
    return out


def main(argv: list[str]) -> None:
    """Solve the LP of ``argv[0]`` and write the answer to ``argv[1]``."""
    d = np.load(argv[0])
    out = solve_ipx(d) if str(d["method"]) == "highs-ipx" else solve_linprog(d)
    np.savez(argv[1], **out)


if __name__ == "__main__":
    main(sys.argv[1:])
