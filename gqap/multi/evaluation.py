"""The evaluator of the multi-cluster family: objective, per-user breakdown, violations.

Every term is the paper family's (``gqap.evaluation``) applied per site: a user granted on
site s pays the upload time and the edge steps at that site's count b_s, and gains the
PAI of that site's shifted accuracy curve. Out-of-range site indices are scored as if the
user were denied and reported as a violation, so every evaluation returns finite numbers.

``evaluate_multi_batch`` scores P decisions at once (paper latency model vectorised over
P; the dynamic-batch model loops over decisions and sites).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.errors import ValidationError
from gqap.evaluation import (
    TOL,
    LatencyModel,
    UserEvaluation,
    check_latency_model,
    finite_objective,
    split_violations,
)
from gqap.multi.instance import MultiInstance
from gqap.multi.solution import DENIED, MultiSolution
from gqap.paper import shrinking_batch_latency


@dataclass(frozen=True, kw_only=True)
class MultiEvaluation(UserEvaluation):
    """A decision's objective and per-user breakdown, with the users on each site;
    feasible when every site is in range and within B_s, and every split is valid."""

    counts: np.ndarray

    @property
    def granted(self) -> int:
        """Users placed on some site (the sum of the counts)."""
        return int(self.counts.sum())


@dataclass(frozen=True)
class MultiBatchEvaluation:
    """Scores of P decisions: objective (P,), counts (P, S), overload and feasibility (P,).

    ``overload`` is sum_s max(b_s - B_s, 0); ``feasible`` also requires every site index in
    range and every split valid (as ``MultiEvaluation.feasible``).
    """

    objective: np.ndarray
    counts: np.ndarray
    overload: np.ndarray
    feasible: np.ndarray


# ---------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------
def denied_qoe(inst: MultiInstance) -> np.ndarray:
    """QoE of every user if denied: alpha F(N) - (l_R + N L_i(1)) (unshifted F)."""
    return inst.denied_qoe()


def granted_qoe(inst: MultiInstance, b: np.ndarray | float, split: np.ndarray) -> np.ndarray:
    """QoE of every user on every site (paper latency model), shape (..., I, S).

    ``b`` holds the site counts and broadcasts against (..., 1, S): a scalar (every site at
    that count), a count vector (S,), or a column of counts (B, 1, 1). ``split`` broadcasts
    against (..., I, S).
    """
    b = np.asarray(b, dtype=np.float64)
    sites = np.arange(inst.n_sites)
    split = np.asarray(split, dtype=np.float64)
    return (inst.alpha[:, None] * inst.pai_shifted(split, inst.shift_steps)
            - (inst.round_trip[:, None] + inst.transmission_latency(sites, b)
               + (inst.N - split) * inst.site_step_latency(sites, b)
               + split * inst.local_step_latency[:, None]))


def site_counts(inst: MultiInstance, site: np.ndarray) -> np.ndarray:
    """b_s per site; for a (P, I) array of decisions, shape (P, S). Out-of-range ignored."""
    site = np.asarray(site, dtype=np.int64)
    S = inst.n_sites
    flat2 = np.atleast_2d(site)
    P = flat2.shape[0]
    on = (flat2 >= 0) & (flat2 < S)
    flat = np.where(on, flat2 + S * np.arange(P)[:, None], P * S)
    counts = np.bincount(flat.ravel(), minlength=P * S + 1)[:P * S].reshape(P, S)
    return counts[0] if site.ndim == 1 else counts


def _paper_terms(inst: MultiInstance, site: np.ndarray, split: np.ndarray,
                 ) -> tuple[np.ndarray, ...]:
    """(on, counts, l_T, l_E, pai) of P decisions (arrays (P, I)) under the paper model."""
    S = inst.n_sites
    on = (site >= 0) & (site < S)
    col = np.where(on, site, 0)
    counts = site_counts(inst, site)
    b = np.take_along_axis(counts, col, axis=1)
    l_T = np.where(on, inst.transmission_latency(col, b), 0.0)
    l_E = np.where(on, (inst.N - split) * inst.site_step_latency(col, b), 0.0)
    shift = np.where(on, inst.shift_steps[np.arange(inst.n_users), col], 0.0)
    pai = inst.pai_shifted(split, shift)
    return on, counts, l_T, l_E, pai


def dynamic_batch_site_latency(inst: MultiInstance, site: np.ndarray,
                               split: np.ndarray) -> np.ndarray:
    """l_E per user when each site's batch shrinks as its users finish their edge steps
    (``gqap.paper.shrinking_batch_latency`` per site, at L_s(r)). Users not on a site in
    range get 0."""
    site = np.asarray(site, dtype=np.int64)
    split = np.asarray(split, dtype=np.float64)
    out = np.zeros(inst.n_users)
    for s in range(inst.n_sites):
        idx = np.flatnonzero(site == s)
        if idx.size:
            out[idx] = shrinking_batch_latency(
                inst.N - split[idx], lambda r, s=s: inst.site_step_latency(s, r))
    return out


def _check(inst: MultiInstance, site: np.ndarray, split: np.ndarray, what: str) -> None:
    if site.shape[-1] != inst.n_users or split.shape != site.shape:
        raise ValidationError(
            f"{what}: expected {inst.n_users} users in site and split_points, got "
            f"{site.shape[-1]} and {split.shape[-1] if split.ndim else 0}")


# ---------------------------------------------------------------------------------------
# one decision
# ---------------------------------------------------------------------------------------
def multi_violations(inst: MultiInstance, sol: MultiSolution) -> tuple[str, ...]:
    """Names of the violated constraints (empty when the decision is feasible)."""
    x, n = sol.site, sol.split_points
    S = inst.n_sites
    out = []
    bad = np.flatnonzero((x < DENIED) | (x >= S))
    if bad.size:
        out.append(f"site in -1..{S - 1}: user {bad[0]} has site {x[bad[0]]} "
                   f"({bad.size} users out of range)")
    counts = sol.counts(S)
    for s in np.flatnonzero(counts > inst.B_max):
        out.append(f"b_s <= B_max: site {s} has {counts[s]} users, B_max = {inst.B_max[s]}")
    out += split_violations(inst.N_hat, inst.N, n, x == DENIED)
    return tuple(out)


def evaluate_multi(inst: MultiInstance, sol: MultiSolution,
                   latency_model: LatencyModel = "paper") -> MultiEvaluation:
    """Objective sum_i alpha_i F_{i,s(i)}(n_i) - L_i with the per-user breakdown and violations.

    Under ``dynamic-batch`` only l_E changes: each site's batch shrinks as its users finish.
    """
    _check(inst, sol.site, sol.split_points, "solution")
    check_latency_model(latency_model)
    site, n = sol.site[None, :], sol.split_points[None, :]
    _, counts, l_T, l_E, pai = _paper_terms(inst, site, n)
    l_T, pai, n = l_T[0], pai[0], n[0]
    if latency_model == "paper":
        l_E = l_E[0]
    else:
        l_E = dynamic_batch_site_latency(inst, sol.site, n)
    l_R = inst.round_trip.copy()
    l_L = n * inst.local_step_latency
    qoe = inst.alpha * pai - (l_R + l_T + l_E + l_L)
    return MultiEvaluation(
        objective=finite_objective(qoe.sum()), counts=counts[0], l_R=l_R, l_T=l_T, l_E=l_E, l_L=l_L,
        pai=pai, qoe=qoe, violations=multi_violations(inst, sol), latency_model=latency_model)


def multi_objective(inst: MultiInstance, sol: MultiSolution) -> float:
    """Objective value under the paper's latency model (no constraint check)."""
    return evaluate_multi(inst, sol).objective


# ---------------------------------------------------------------------------------------
# many decisions
# ---------------------------------------------------------------------------------------
def evaluate_multi_batch(inst: MultiInstance, sites: np.ndarray, splits: np.ndarray,
                         latency_model: LatencyModel = "paper") -> MultiBatchEvaluation:
    """Score P decisions given as arrays ``sites`` (P, I) int and ``splits`` (P, I) float.

    Objectives equal ``evaluate_multi``'s for each row (same formulas, same order).
    """
    sites = np.atleast_2d(np.asarray(sites))
    if sites.size and not np.issubdtype(sites.dtype, np.integer):
        if np.any(sites != np.round(sites)):
            raise ValidationError("sites: site indices must be integers (-1 = denied)")
    sites = sites.astype(np.int64)
    splits = np.atleast_2d(np.asarray(splits, dtype=np.float64))
    _check(inst, sites, splits, "sites")
    check_latency_model(latency_model)
    if not np.all(np.isfinite(splits)):
        raise ValidationError("splits: contains NaN or inf")
    on, counts, l_T, l_E, pai = _paper_terms(inst, sites, splits)
    if latency_model == "dynamic-batch":
        l_E = np.stack([dynamic_batch_site_latency(inst, x, n) for x, n in zip(sites, splits,
                                                                                strict=True)])
    l_R = inst.round_trip
    l_L = splits * inst.local_step_latency
    qoe = inst.alpha * pai - (l_R + l_T + l_E + l_L)
    overload = np.maximum(counts - inst.B_max, 0).sum(axis=1)
    tol = TOL * inst.N
    split_ok = np.all((splits >= inst.N_hat - tol) & (splits <= inst.N + tol), axis=1)
    denied_ok = np.all((sites != DENIED) | (np.abs(splits - inst.N) <= tol), axis=1)
    in_range = np.all(on | (sites == DENIED), axis=1)
    return MultiBatchEvaluation(
        objective=qoe.sum(axis=1), counts=counts, overload=overload,
        feasible=(overload == 0) & split_ok & denied_ok & in_range)
