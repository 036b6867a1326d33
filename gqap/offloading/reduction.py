"""Proposition 1 of the paper: with split points fixed at N_hat, the offloading problem is a
two-site GQAP (site 0 = grant, site 1 = deny).

Every granted user pays l_T(b) + (N - N_hat) L_e(b, G), both affine in b, so the batch
terms become a quadratic form over granted pairs: with t[i, j] = 1 for every ordered pair
(i = j included) and d[grant, grant] = slope, sum_{i,j granted} t d = slope * b^2. The
intercept of L_e goes to the linear costs. The GQAP cost is minus the offloading
objective for every grant mask; the grant site has capacity B_max and unit weights.
"""

from __future__ import annotations

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution

GRANT_SITE, DENY_SITE = 0, 1


def offloading_to_gqap(inst: OffloadingInstance) -> GQAPInstance:
    """The 2-site GQAP whose cost equals minus the objective with splits fixed at N_hat."""
    n_users = inst.n_users
    steps = inst.N - inst.N_hat
    # Per-granted-user latency at batch b is slope * b + intercept.
    slope = float(inst.transmission_latency(1.0)
                  + steps * (inst.edge_step_latency(1.0) - inst.edge_step_latency(0.0)))
    intercept = steps * float(inst.edge_step_latency(0.0))
    lat = inst.local_step_latency
    a = np.empty((n_users, 2))
    a[:, GRANT_SITE] = (inst.round_trip + intercept + inst.N_hat * lat
                        - inst.alpha * inst.pai(inst.N_hat))
    a[:, DENY_SITE] = inst.round_trip + inst.N * lat - inst.alpha * inst.pai(inst.N)
    d = np.zeros((2, 2))
    d[GRANT_SITE, GRANT_SITE] = slope
    return GQAPInstance(
        q=np.ones(n_users), Q=np.array([float(inst.B_max), float(n_users)]), a=a,
        t=np.ones((n_users, n_users)), d=d, v=1.0,
        name=f"{inst.name or 'offloading'}-fixed-split",
        provenance={"reduction": "offloading_to_gqap", "source_hash": inst.content_hash()},
    )


def assignment_to_offloading(inst: OffloadingInstance, sol: GQAPSolution) -> OffloadingSolution:
    """Read a 2-site assignment back as grant mask with granted splits at N_hat."""
    grant = sol.assignment == GRANT_SITE
    return OffloadingSolution(grant, np.where(grant, float(inst.N_hat), float(inst.N)))


def grant_to_assignment(grant: np.ndarray) -> GQAPSolution:
    """Grant mask as a 2-site assignment."""
    return GQAPSolution(np.where(np.asarray(grant, dtype=bool), GRANT_SITE, DENY_SITE))
