"""Adam steps on the node bound's multipliers, past where the Volume algorithm stalls.

**Past the Volume phase.** On cordeau/30-20-95 the Volume algorithm (``volume``) stalls
2.4 % below the RLT1 LP bound, and neither more steps, other step rules nor restarts move
it (docs/LITERATURE.md). Steps along a long running average of the supergradients, each
coordinate scaled by the root mean square of its own past supergradients (Adam: Kingma
and Ba, ICLR 2015), do: the multipliers of the pair costs, of the capacities and of the
assignment rows differ by orders of magnitude in how much each step moves the bound, and
the per-coordinate scale evens that out. As with ``volume``, the result is only a choice
of multipliers, rounded and evaluated exactly by ``bound``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gqap.solvers.bnb.bound import Node
from gqap.solvers.bnb.volume import kernel_pair_costs, relaxation

# the step rule, tuned on cordeau/30-20-95's root (docs/LITERATURE.md has the trials)
_LR = 0.025        # first step per coordinate, as a share of the mean nonzero pair cost
_DECAY = 5000.0    # the step falls as 1 / sqrt(1 + t / _DECAY)
_BETA1 = 0.999     # weight of the past in the supergradients' running average
_BETA2 = 0.999     # the same for their squares
_WINDOW = 1000     # steps over which the best value must gain ...
_GAIN = 5e-4       # ... this share of itself, else the phase stops


def adam(nd: Node, M: np.ndarray, nu: np.ndarray, lam: np.ndarray, upper: float,
         iterations: int, expired: Callable[[], bool] | None = None,
         compiled: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Adam ascent on the relaxation with continuous knapsacks (``volume.relaxation``)
    from (M, nu, lambda), nu kept >= 0: steps of ``_LR`` times the mean nonzero pair cost
    per coordinate, falling with the step count. Stops after ``iterations``, at
    ``expired``, when the best value reaches ``upper`` or, after the first ``_WINDOW``
    steps, gains less than ``_GAIN`` of itself in ``_WINDOW`` steps. Returns the best
    (M, nu, lambda), its continuous value and the steps taken; the caller evaluates the
    exact bound of their rounding."""
    f, m = nd.Lnode.shape
    if f <= 1 or iterations <= 0:
        return M, nu, lam, -math.inf, 0
    pair = np.abs(nd.PC[nd.PC != 0.0])
    lr0 = _LR * (float(pair.mean()) if pair.size else 1.0)
    scale = max(float(nd.q.mean()), 1e-12)    # steps on nu * scale (a cost, as M is)
    okn = nd.allowed[:, :, None]
    x = [M.astype(np.float64), nu.astype(np.float64), lam.astype(np.float64)]
    PCh = kernel_pair_costs(nd, compiled)
    val, *g = relaxation(nd, *x, compiled, PCh)
    if not math.isfinite(val):
        return (*x, val, 0)
    best, bx = val, [a.copy() for a in x]
    mom = [np.zeros_like(a) for a in x]
    sq = [np.zeros_like(a) for a in x]
    mark, done = best, 0
    for t in range(1, iterations + 1):
        if (expired is not None and expired()) or best >= upper:
            break
        if t % _WINDOW == 0:
            # not after the first window: the average is still building up there (from
            # zero, at weight 0.999 on the past), so its gain says little
            if t > _WINDOW and best - mark <= _GAIN * max(abs(best), 1.0):
                break
            mark = best
        g[1] = g[1] * scale
        lr = lr0 / math.sqrt(1.0 + t / _DECAY)
        fix2 = 1.0 - _BETA2 ** t
        for a, gi, mo, s, unit in zip(x, g, mom, sq, (1.0, 1.0 / scale, 1.0), strict=True):
            mo *= _BETA1
            mo += (1.0 - _BETA1) * gi
            s *= _BETA2
            s += (1.0 - _BETA2) * gi * gi
            a += lr * unit * mo / (np.sqrt(s / fix2) + 1e-8)
        x[1] = np.where(okn, np.maximum(x[1], 0.0), 0.0)
        val, *g = relaxation(nd, *x, compiled, PCh)
        done = t
        if not math.isfinite(val):        # no facility assignment fits: infeasible node
            return (*x, val, t)
        if val > best:
            best, bx = val, [a.copy() for a in x]
    return (*bx, best, done)
