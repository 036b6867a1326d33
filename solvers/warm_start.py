"""Warm starts of the model-building solvers (MILP, CP-SAT): the start the option
``start`` asks for ('none', 'greedy' or a solution file, checked against the instance),
and the greedy decisions behind 'greedy' per family (first fit decreasing for a GQAP, the
best prefix of users by gain for offloading, site by site for multi)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gqap.classic.generator import first_fit_decreasing
from gqap.classic.instance import GQAPInstance
from gqap.classic.solution import GQAPSolution
from gqap.errors import GQAPError
from gqap.evaluation import evaluate
from gqap.family import Instance, Solution
from gqap.io import read_solution
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED, MultiSolution
from gqap.offloading.instance import OffloadingInstance
from gqap.offloading.solution import OffloadingSolution
from gqap.offloading.split import grant_gains, optimal_split
from gqap.solvers.formulations import MultiModelData, multi_model_data


def gqap_start(inst: GQAPInstance) -> GQAPSolution | None:
    """A capacity-feasible start by first-fit-decreasing (None when FFD fails)."""
    x = first_fit_decreasing(inst.q, inst.Q)
    return None if x is None else GQAPSolution(x)


def greedy_sites(data: MultiModelData) -> np.ndarray:
    """Warm-start site vector: add the (user, site) that raises the objective most, the
    counts' effect on the users already placed included, until nothing improves it."""
    gain, b_max = data.table.gain, data.b_max
    S, n_users = data.n_sites, data.n_users
    site = np.full(n_users, DENIED, dtype=np.int64)
    counts = np.zeros(S, dtype=np.int64)
    held = np.zeros(S)  # sum of the gains of the users on each site at its count
    for _ in range(n_users):
        open_ = counts < b_max
        if not open_.any():
            break
        nxt = np.minimum(counts + 1, b_max)
        # What the users already on s gain (lose) when s serves one more.
        shift = np.array([gain[nxt[s], site == s, s].sum() for s in range(S)]) - held
        delta = gain[nxt, :, np.arange(S)].T + shift[None, :]  # (I, S)
        delta[site != DENIED, :] = -np.inf
        delta[:, ~open_] = -np.inf
        i, s = np.unravel_index(int(np.argmax(delta)), delta.shape)
        if not delta[i, s] > 0:
            break
        site[i] = s
        counts[s] += 1
        held[s] = gain[counts[s], site == s, s].sum()
    return site


def greedy_grant(inst: OffloadingInstance, fixed_split: bool, integer: bool = True) -> np.ndarray:
    """Warm-start grant mask: users by single-user gain, the best prefix under the evaluator.

    With ``fixed_split`` every granted split sits at N_hat, else at its best for the prefix
    size. Prefix lengths run over 0..min(|I|, B_max), so the mask is always feasible.
    """
    _, gain1 = grant_gains(inst, 1, integer=integer)
    order = np.argsort(-gain1, kind="stable")
    best_mask, best_value = np.zeros(inst.n_users, dtype=bool), -np.inf
    for b in range(inst.max_granted + 1):
        mask = np.zeros(inst.n_users, dtype=bool)
        mask[order[:b]] = True
        if fixed_split:
            split = np.where(mask, float(inst.N_hat), float(inst.N))
        else:
            n = optimal_split(inst, max(b, 1), integer=integer)
            split = np.where(mask, n, float(inst.N))
        value = evaluate(inst, OffloadingSolution(mask, split)).objective
        if value > best_value:
            best_mask, best_value = mask, value
    return best_mask


def check_start_option(start: str) -> None:
    """Raise ValueError unless ``start`` is 'none', 'greedy' or an existing file."""
    if start not in ("none", "greedy") and not Path(start).is_file():
        raise ValueError(f"start must be 'none', 'greedy' or a solution file; "
                         f"{start!r} is not a file")


def warm_start(inst: Instance, start: str, fixed_split: bool,
               integer: bool = True) -> Solution | None:
    """The start a solver option asks for: None, a greedy decision, or a checked file.

    Offloading starts are read as grant masks (the model decides the splits).
    """
    if start == "none":
        return None
    if isinstance(inst, MultiInstance):
        return _multi_start(inst, start, fixed_split, integer)
    if start == "greedy":
        if isinstance(inst, OffloadingInstance):
            grant = greedy_grant(inst, fixed_split, integer)
            return OffloadingSolution(grant, np.where(grant, float(inst.N_hat), float(inst.N)))
        return gqap_start(inst)
    sol = read_solution(start)
    kind = OffloadingSolution if isinstance(inst, OffloadingInstance) else GQAPSolution
    if not isinstance(sol, kind):
        raise GQAPError(f"start: {start} is not a {inst.family} solution")
    if isinstance(inst, OffloadingInstance):
        if sol.grant.size != inst.n_users:
            raise GQAPError(f"start: {start} has {sol.grant.size} users, the instance "
                            f"{inst.n_users}")
        if sol.b > inst.B_max:
            raise GQAPError(f"start: {start} grants {sol.b} users, more than B_max = "
                            f"{inst.B_max}")
        return sol
    if sol.assignment.size != inst.n or np.any(sol.assignment < 0) or \
            np.any(sol.assignment >= inst.m):
        raise GQAPError(f"start: {start} is not an assignment of {inst.n} facilities to "
                        f"{inst.m} sites")
    ev = evaluate(inst, sol)
    if not ev.feasible:
        raise GQAPError(f"start: {start} is infeasible ({ev.violations[0]})")
    return sol


def _multi_start(inst: MultiInstance, start: str, fixed_split: bool,
                 integer: bool) -> MultiSolution:
    """Multi-cluster starts: greedy (best splits, or N_hat with ``fixed_split``) or a file
    whose site vector is used (the model decides the splits)."""
    if start == "greedy":
        data = multi_model_data(inst, integer)
        site = greedy_sites(data)
        if fixed_split:
            return MultiSolution(site, np.where(site == DENIED, float(inst.N),
                                                float(inst.N_hat)))
        return data.solution(site)
    sol = read_solution(start)
    if not isinstance(sol, MultiSolution):
        raise GQAPError(f"start: {start} is not a multi solution")
    if sol.site.size != inst.n_users or np.any(sol.site < DENIED) or \
            np.any(sol.site >= inst.n_sites):
        raise GQAPError(f"start: {start} is not a site vector of {inst.n_users} users over "
                        f"{inst.n_sites} sites")
    counts = np.bincount(sol.site[sol.site != DENIED], minlength=inst.n_sites)
    if np.any(counts > inst.B_max):
        s = int(np.argmax(counts - inst.B_max))
        raise GQAPError(f"start: {start} puts {counts[s]} users on site {s}, more than "
                        f"B_max = {inst.B_max[s]}")
    return sol
