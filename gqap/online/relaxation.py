"""What every run of a scenario is measured against: its period tables, the configuration
model of the hindsight problem, and two upper bounds valid for every policy.

Configuration model. Every run is a choice of (g_t, m_t) per period (``PeriodTable``) with,
at every decision moment s, the batches holding it within the pool:
    sum over t <= s <= t + m_t of g_t <= G      (s = 0..T-1)
and is worth at most sum_t V_t(g_t, m_t); the best such choice is the hindsight optimum
(moments from T on need no row: a batch running there also runs at T - 1).

Snapshot bound: sum_t V_t(G, no cap), every period finding the pool free (the paper's
promise). Lagrangean bound: for multipliers mu_s >= 0 on the capacity rows,
    L(mu) = G sum_s mu_s + sum_t max_(g, m) [V_t(g, m) - g sum_(s = t..min(t + m, T - 1)) mu_s]
is at least the value of every run (each period's term is at least its own value minus its
share of the priced capacity, and each row's slack is priced at mu_s >= 0); L(0) is the
snapshot bound. ``lagrangean_value`` recomputes L(mu) from the scenario and the
multipliers alone: the certificate anyone can re-check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gqap.errors import ValidationError
from gqap.online.instance import OnlineInstance
from gqap.online.period import PeriodProblem, PeriodTable


def period_tables(inst: OnlineInstance) -> list[PeriodTable]:
    """V_t(g, m) of every period (``PeriodProblem.values``)."""
    return [PeriodProblem(inst.header, p).values() for p in inst.periods()]


def snapshot_bound(inst: OnlineInstance, tables: list[PeriodTable] | None = None) -> float:
    """Sum over periods of the best decision on all G GPUs with no hold cap."""
    tables = tables or period_tables(inst)
    return float(sum(tab.at(inst.G) for tab in tables))


@dataclass(frozen=True)
class Configuration:
    """The hindsight problem as plain arrays: option k of period ``period[k]`` takes
    ``gpus[k]`` GPUs for ``moments[k]`` later moments and is worth ``value[k]``; the
    capacity rows are (row, column, coefficient) triples ``cap_rows``, ``cap_cols``,
    ``cap_vals`` with right-hand side G."""

    period: np.ndarray
    gpus: np.ndarray
    moments: np.ndarray
    value: np.ndarray
    cap_rows: np.ndarray
    cap_cols: np.ndarray
    cap_vals: np.ndarray
    n_periods: int
    G: int


def configuration(inst: OnlineInstance, tables: list[PeriodTable]) -> Configuration:
    """The configuration model over every undominated option (``PeriodTable.options``)."""
    T, G = inst.n_periods, inst.G
    period, gpus, moments, value = [], [], [], []
    rows, cols, vals = [], [], []
    for t, tab in enumerate(tables):
        for g, m in tab.options(G):
            k = len(value)
            period.append(t)
            gpus.append(g)
            moments.append(m)
            value.append(tab.value[g, m])
            if g:
                span = range(t, min(t + m, T - 1) + 1)
                rows.extend(span)
                cols.extend([k] * len(span))
                vals.extend([g] * len(span))
    arr = (lambda x, kind=np.int64: np.asarray(x, dtype=kind))  # noqa: E731
    return Configuration(arr(period), arr(gpus), arr(moments), arr(value, np.float64),
                         arr(rows), arr(cols), arr(vals, np.float64), T, G)


@dataclass(frozen=True)
class LagrangeanBound:
    """L(mu), the multipliers and each period's maximising (g, m)."""

    value: float
    mu: np.ndarray
    choices: list[tuple[int, int]]


def lagrangean_value(inst: OnlineInstance, mu: np.ndarray,
                     tables: list[PeriodTable] | None = None) -> LagrangeanBound:
    """L(mu) recomputed from the scenario and the multipliers (one per decision moment
    0..T-1, each finite and >= 0): an upper bound on the value of every run."""
    T, G = inst.n_periods, inst.G
    mu = np.asarray(mu, dtype=np.float64)
    if mu.shape != (T,):
        raise ValidationError(f"multipliers: expected {T} values (one per decision moment), "
                              f"got shape {mu.shape}")
    if not np.all(np.isfinite(mu)) or np.any(mu < 0):
        raise ValidationError("multipliers: every mu_s must be a finite number >= 0")
    tables = tables or period_tables(inst)
    cum = np.concatenate([[0.0], np.cumsum(mu)])
    total = G * float(cum[-1])
    choices = []
    for t, tab in enumerate(tables):
        ms = np.arange(tab.m_max + 1)
        price = cum[np.minimum(t + ms, T - 1) + 1] - cum[t]  # sum of mu over t..t+m
        reduced = tab.value - np.arange(tab.value.shape[0])[:, None] * price[None, :]
        g, m = np.unravel_index(int(np.argmax(reduced)), reduced.shape)
        choices.append((int(g), int(m)))
        total += float(reduced[g, m])
    return LagrangeanBound(total, mu, choices)
