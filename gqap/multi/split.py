"""Best split point of a user on a site at a given site count, and the gain table g_is(b).

For user i on site s with b users there, the QoE depends on the split n through
phi(n) = alpha_i F(n - delta_is) - c n with c = L_i(1) - L_s(b): the paper's inner problem
(``gqap.offloading.split``) with the sigmoid's centre moved from b_F to b_F + delta_is. Its local
maximum is n2 = b_F + delta_is + logit(F2) / a_F with F2 (1 - F2) = c / (alpha a_F),
F2 >= 1/2; clipped to [N_hat, N] it is optimal where N_hat >= b_F + delta_is (phi concave
on the range). Otherwise phi is convex left of b_F + delta_is and N_hat is compared as
well. Integer splits: the best of floor and ceil of the clipped n2 (and N_hat), ties to
the larger n. Shifts of a few tens of steps push b_F + delta_is past N_hat = 80, so the
left-end comparison matters far more here than in the paper's family.

For an exact method that enumerates count vectors (b_1..b_S): with the counts fixed the
objective is sum_i denied QoE_i + sum of the granted users' gains g_{i,s}(b_s), so the best
users for the counts solve a rectangular assignment on ``GainTable.gain_matrix(counts)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.errors import ValidationError
from gqap.multi.evaluation import denied_qoe, granted_qoe, site_counts
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED, MultiSolution


def _best(inst: MultiInstance, alpha: np.ndarray, c: np.ndarray, delta: np.ndarray,
          integer: bool) -> np.ndarray:
    """Best split for weights ``alpha``, latency gaps ``c`` and shifts ``delta`` (broadcast)."""
    N, N_hat = float(inst.N), float(inst.N_hat)
    centre = inst.b_F + delta
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / (alpha * inst.a_F)
        # As in gqap.offloading.split: g <= 0 (site not faster) -> n = inf -> N; alpha = 0 gives
        # inv = inf, which sends c > 0 to the left end and c <= 0 to N.
        g = np.fmax(c * inv, 0.0)
        s1 = 1.0 + np.sqrt(np.fmax(1.0 - 4.0 * g, 0.0))
        n = centre + np.log(s1 * s1 / (4.0 * g)) / inst.a_F
    n = np.clip(n, N_hat, N)

    def phi(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = inst.pai_shifted(x, delta)
        return alpha * f - c * x, f

    if integer:
        lo, hi = np.floor(n), np.ceil(n)
        v_lo, _ = phi(lo)
        v_hi, _ = phi(hi)
        n = np.where(v_hi >= v_lo, hi, lo)
    v, _ = phi(n)
    # Left of the centre phi is convex: its left end can beat the interior maximum.
    v_left, _ = phi(np.full_like(n, N_hat))
    left = (N_hat < centre) & (v_left > v)
    return np.where(left, N_hat, n)


def _counts_axis(b: Any) -> np.ndarray:
    """Counts as float64, a 1-D list of counts turned into a (B, 1, 1) column."""
    b = np.asarray(b, dtype=np.float64)
    return b[:, None, None] if b.ndim == 1 else b


def best_splits(inst: MultiInstance, b: Any, *, integer: bool = True) -> np.ndarray:
    """Best split of every user on every site when that site holds ``b`` users.

    ``b`` is a scalar (result (I, S)), a 1-D array of counts (result (len(b), I, S); row k
    is "every site at count b[k]"), or an array of two or more dimensions that broadcasts
    against (..., 1, S): a count vector (b_1..b_S) goes in as shape (1, S) (result (I, S),
    column s at count b_s). Values are float64.
    """
    b = _counts_axis(b)
    sites = np.arange(inst.n_sites)
    c = inst.local_step_latency[:, None] - inst.site_step_latency(sites, b)
    return _best(inst, inst.alpha[:, None], c, inst.shift_steps, integer)


def grant_gains(inst: MultiInstance, b: Any, *,
                integer: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(best split, gain of being granted over being denied) per user and site at count(s) b.

    Shapes follow ``best_splits``. The gain g_is(b) is scored by the evaluator's
    ``granted_qoe`` and ``denied_qoe``; it never increases with b.
    """
    b_arr = _counts_axis(b)
    n = best_splits(inst, b_arr, integer=integer)
    return n, granted_qoe(inst, b_arr, n) - denied_qoe(inst)[:, None]


@dataclass(frozen=True, eq=False)
class GainTable:
    """Best splits and gains of every (count b, user i, site s), b = 0..max_s min(B_s, I).

    ``split[b, i, s]`` is user i's best split on site s holding b users and ``gain[b, i, s]``
    its QoE gain over being denied; rows where b = 0 or b > B_s hold split N and gain -inf
    (no such decision). ``base`` is the objective of denying everyone, so a decision with
    counts b_s scores ``base + sum over granted users of gain[b_{s(i)}, i, s(i)]`` under
    the paper latency model.
    """

    inst: MultiInstance
    integer: bool
    split: np.ndarray
    gain: np.ndarray
    base: float

    @property
    def b_max(self) -> np.ndarray:
        """Largest usable count per site, min(B_s, I)."""
        return self.inst.max_granted

    def _check_counts(self, counts: Any) -> np.ndarray:
        c = np.asarray(counts)
        if c.shape != (self.inst.n_sites,) or np.any(c != np.round(c)):
            raise ValidationError(
                f"counts: expected {self.inst.n_sites} whole numbers, got {counts!r}")
        c = c.astype(np.int64)
        if np.any(c < 0) or np.any(c > self.b_max) or c.sum() > self.inst.n_users:
            raise ValidationError(
                f"counts: {c.tolist()} is not a feasible count vector (0 <= b_s <= "
                f"{self.b_max.tolist()}, sum <= {self.inst.n_users})")
        return c

    def gain_matrix(self, counts: Any) -> tuple[np.ndarray, np.ndarray]:
        """(matrix (I, sum b), site of each column) for a feasible count vector ``counts``.

        Column block s repeats gain[b_s, :, s] b_s times: a maximum-weight assignment of
        distinct users to every column (e.g. ``scipy.optimize.linear_sum_assignment`` with
        ``maximize=True``) is the best decision with exactly b_s users on each site.
        """
        c = self._check_counts(counts)
        col_site = np.repeat(np.arange(self.inst.n_sites), c)
        return self.gain[c[col_site], :, col_site].T.copy(), col_site

    def _sites(self, site: Any) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(site)
        S = self.inst.n_sites
        if x.shape != (self.inst.n_users,) or np.any(x != np.round(x)) or \
                np.any((x < DENIED) | (x >= S)):
            raise ValidationError(
                f"site: expected {self.inst.n_users} site indices in -1..{S - 1}")
        x = x.astype(np.int64)
        return x, self._check_counts(site_counts(self.inst, x))

    def decision(self, site: Any) -> MultiSolution:
        """A decision placing users as ``site`` says, each with its best split at the counts."""
        x, c = self._sites(site)
        users = np.flatnonzero(x != DENIED)
        n = np.full(self.inst.n_users, float(self.inst.N))
        n[users] = self.split[c[x[users]], users, x[users]]
        return MultiSolution(x, n)

    def objective(self, site: Any) -> float:
        """base + the granted users' gains: the objective of ``decision(site)``."""
        x, c = self._sites(site)
        users = np.flatnonzero(x != DENIED)
        return self.base + float(self.gain[c[x[users]], users, x[users]].sum())


def gain_table(inst: MultiInstance, *, integer: bool = True) -> GainTable:
    """Splits and gains for every count b = 0..max_s min(B_s, I) (see ``GainTable``)."""
    top = int(inst.max_granted.max())
    b = np.arange(top + 1, dtype=np.float64)
    split, gain = grant_gains(inst, b, integer=integer)
    usable = (b[:, None] >= 1) & (b[:, None] <= inst.max_granted[None, :])  # (B+1, S)
    split = np.where(usable[:, None, :], split, float(inst.N))
    gain = np.where(usable[:, None, :], gain, -np.inf)
    split.flags.writeable = False
    gain.flags.writeable = False
    return GainTable(inst=inst, integer=integer, split=split, gain=gain,
                     base=float(denied_qoe(inst).sum()))
