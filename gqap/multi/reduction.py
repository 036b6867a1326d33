"""Fixed splits turn the multi-cluster problem into a GQAP with S + 1 sites.

GQAP site 0 is local execution (denied, n = N); GQAP site s + 1 is edge site s, on which
every granted user runs with the site's fixed split n_s (default N_hat for every site, the
choice of the paper's Proposition 1). A user on site s at count b_s pays, besides terms
that do not depend on b_s, b_s * w_s with
    w_s = (s_p + s_m) / (eta W_s) + (N - n_s) * slope_s,   slope_s = L_s(1) - L_s(0),
and sum over the site's users of b_s w_s = w_s * sum_{i, j on s} 1 (ordered pairs, i = j
included). So t = all ones and d = diag(0, w_1, ..., w_S): the distance matrix is non-zero
on its diagonal only. Everything else is linear:
    a[i, 0]     = l_R,i + N L_i(1) - alpha_i F(N)
    a[i, s + 1] = l_R,i + (N - n_s) L_s(0) + n_s L_i(1) - alpha_i F_is(n_s)
and the GQAP cost of an assignment is minus the objective (paper latency model) of the
decision it maps to, for every assignment. Capacities: I for site 0 and B_s for site s + 1,
unit weights.

Why a common split per site: with per-user splits n_i the pair term of i and j on s would
be w_s + (n_s - n_i) slope_s, which depends on the site and on the user at once and is not
of the form t[i, j] * d[s, s].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import ValidationError
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED, MultiSolution

LOCAL_SITE = 0


@dataclass(frozen=True, eq=False)
class MultiReduction:
    """The GQAP of a multi instance with fixed splits, and the maps between decisions."""

    source: MultiInstance
    gqap: GQAPInstance
    splits: np.ndarray

    def to_multi(self, sol: GQAPSolution) -> MultiSolution:
        """GQAP assignment -> decision: GQAP site 0 denied (n = N), site k > 0 is site k - 1."""
        x = sol.assignment
        if x.shape != (self.source.n_users,):
            raise ValidationError(
                f"assignment: expected {self.source.n_users} sites, got {x.size}")
        if x.size and (x.min() < 0 or x.max() > self.source.n_sites):
            raise ValidationError(
                f"assignment: site indices must lie in 0..{self.source.n_sites}")
        site = x - 1
        n = np.where(site == DENIED, float(self.source.N), self.splits[np.maximum(site, 0)])
        return MultiSolution(site, n)

    def to_gqap(self, sol: MultiSolution) -> GQAPSolution:
        """Decision -> GQAP assignment (its split points are not checked against ours)."""
        return GQAPSolution(sol.site + 1)


def multi_to_gqap(inst: MultiInstance, splits: Any = None) -> MultiReduction:
    """The (S + 1)-site GQAP whose cost is minus the objective with site splits ``splits``.

    ``splits`` is None (N_hat on every site), one number for every site, or one per site.
    """
    S, n_users = inst.n_sites, inst.n_users
    try:
        n_s = np.asarray(float(inst.N_hat) if splits is None else splits, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"splits: not a number or list of numbers ({exc})") from exc
    if n_s.shape not in ((), (S,)):
        raise ValidationError(f"splits: expected one number or {S} (one per site), got "
                              f"shape {n_s.shape}")
    n_s = np.broadcast_to(n_s, (S,)).copy()
    if not np.all(np.isfinite(n_s)) or np.any((n_s < inst.N_hat) | (n_s > inst.N)):
        raise ValidationError(f"splits: must lie in [{inst.N_hat}, {inst.N}], got "
                              f"{n_s.tolist()}")
    n_s.flags.writeable = False
    sites = np.arange(S)
    steps = inst.N - n_s
    L0 = np.asarray(inst.site_step_latency(sites, 0.0))
    slope = np.asarray(inst.site_step_latency(sites, 1.0)) - L0
    w = np.asarray(inst.transmission_latency(sites, 1.0)) + steps * slope
    lat = inst.local_step_latency
    a = np.empty((n_users, S + 1))
    a[:, LOCAL_SITE] = inst.round_trip + inst.N * lat - inst.alpha * inst.pai_shifted(inst.N)
    a[:, 1:] = (inst.round_trip[:, None] + steps * L0 + n_s * lat[:, None]
                - inst.alpha[:, None] * inst.pai_shifted(n_s, inst.shift_steps))
    d = np.zeros((S + 1, S + 1))
    d[sites + 1, sites + 1] = w
    gq = GQAPInstance(
        q=np.ones(n_users), Q=np.concatenate([[float(n_users)], inst.B_max.astype(np.float64)]),
        a=a, t=np.ones((n_users, n_users)), d=d, v=1.0, name=f"{inst.name or 'multi'}-fixed-split",
        provenance={"reduction": "multi_to_gqap", "source_hash": inst.content_hash(),
                    "splits": n_s.tolist()})
    return MultiReduction(source=inst, gqap=gq, splits=n_s)
