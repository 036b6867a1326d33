"""The multi-cluster scope's references (``scope.kind = "multi"``): the validation
instances of a training run and their exact optimum, and the myopic greedy rule that the
training log compares each episode with.

Validation instances are small (``scope.eval_users``, ``eval_sites``); their optimum comes
from the registered ``exact`` solver once it accepts the family, and until then from
``enumerated_optimum`` (every count vector, best first by an upper bound, one rectangular
assignment each: exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gqap.errors import GQAPError
from gqap.multi import MultiInstance, gain_table
from gqap.solvers.dqn.config import TrainConfig
from gqap.solvers.dqn.multi_env import MultiEpisodeSampler

ENUMERATION_LIMIT = 2_000_000  # count vectors; beyond, the enumeration refuses


def enumerated_optimum(inst: MultiInstance, gt: Any = None) -> tuple[float, np.ndarray]:
    """(optimum, site vector) by enumerating every count vector (b_1..b_S) with one
    rectangular assignment each (docs/MULTI.md, "Best split on a site, and the gain
    table"), best upper bound first, stopping once no remaining bound beats the incumbent.
    Exact under the paper latency model with integer splits; refuses instances with more
    than ENUMERATION_LIMIT count vectors."""
    from scipy.optimize import linear_sum_assignment

    gt = gt or gain_table(inst)
    S, n_users, mg = inst.n_sites, inst.n_users, inst.max_granted
    if float(np.prod(mg.astype(float) + 1.0)) > ENUMERATION_LIMIT:
        raise GQAPError(f"enumerated_optimum: {inst.name or 'instance'} has "
                        f"{np.prod(mg.astype(float) + 1):.3g} count vectors (limit "
                        f"{ENUMERATION_LIMIT:,})")
    top = np.full((S, int(mg.max()) + 1), -np.inf)
    top[:, 0] = 0.0
    for s in range(S):
        for b in range(1, int(mg[s]) + 1):  # the b best gains of site s at count b
            top[s, b] = np.sort(gt.gain[b, :, s])[::-1][:b].sum()
    grid = np.stack(np.meshgrid(*[np.arange(m + 1) for m in mg], indexing="ij"),
                    axis=-1).reshape(-1, S)
    grid = grid[grid.sum(1) <= n_users]
    bound = top[np.arange(S)[None, :], grid].sum(1)
    best, best_x = 0.0, np.full(n_users, -1, dtype=np.int64)  # gain over denying everyone
    for k in np.argsort(-bound, kind="stable"):
        if bound[k] <= best + 1e-12:
            break
        if grid[k].sum() == 0:
            continue
        M, col_site = gt.gain_matrix(grid[k])
        rows, cols = linear_sum_assignment(M, maximize=True)
        v = float(M[rows, cols].sum())
        if v > best:
            best = v
            best_x = np.full(n_users, -1, dtype=np.int64)
            best_x[rows] = col_site[cols]
    return gt.base + best, best_x


def reference_optimum(inst: MultiInstance) -> tuple[float, str]:
    """(optimum, source) of a small instance: the registered ``exact`` solver when it
    accepts the multi family (and proves optimality), else ``enumerated_optimum``."""
    from gqap.solvers.registry import make_solver, solver_spec

    if "multi" in solver_spec("exact").families:
        res = make_solver("exact").solve(inst)
        if str(res.status) == "optimal":
            return float(res.objective), "exact"
    return enumerated_optimum(inst)[0], "enumeration"


def myopic_greedy(inst: MultiInstance, gt: Any = None) -> tuple[float, np.ndarray]:
    """(objective, sites) of the myopic rule: each user in request order goes where the
    objective of stopping now rises most (its own gain plus the change it causes to the
    users already there), or is denied when no site raises it. Training-log reference."""
    gt = gt or gain_table(inst)
    S = inst.n_sites
    x = np.full(inst.n_users, -1, dtype=np.int64)
    b = np.zeros(S, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(S)]
    for t in range(inst.n_users):
        best, where = 0.0, -1
        for s in range(S):
            if b[s] >= inst.B_max[s]:
                continue
            on = members[s]
            m = gt.gain[b[s] + 1, t, s]
            if on:
                m += gt.gain[b[s] + 1, on, s].sum() - gt.gain[b[s], on, s].sum()
            if m > best:
                best, where = m, s
        if where >= 0:
            x[t] = where
            b[where] += 1
            members[where].append(t)
    return gt.objective(x), x


def multi_validation_set(cfg: TrainConfig, stream: np.random.SeedSequence) -> list[Any]:
    """The run's validation instances: users and sites uniform on ``scope.eval_users`` /
    ``eval_sites``; instance i from ``default_rng(run.eval_seed + i)`` when eval_seed >= 0,
    else all from ``stream`` (spawned from the run seed)."""
    sampler = MultiEpisodeSampler(cfg.scope)
    s, n = cfg.scope, cfg.run.eval_instances
    if cfg.run.eval_seed >= 0:
        out = [sampler.sample(np.random.default_rng(cfg.run.eval_seed + i), s.eval_users,
                              s.eval_sites) for i in range(n)]
    else:
        rng = np.random.default_rng(stream)
        out = [sampler.sample(rng, s.eval_users, s.eval_sites) for _ in range(n)]
    return [x.replace(name=f"val-{i}") for i, x in enumerate(out)]
