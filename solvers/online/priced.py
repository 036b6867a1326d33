"""``priced``: each period maximises its value minus a price per GPU and occupied decision
moment; the per-period problem stays exact (``gqap.online.period``).

A batch of g GPUs occupying m later moments costs g (p_t + ... + p_(t+m)), moments from the
horizon T on free of charge. The decision is the best (g <= free, m) of the period's exact
table under that charge, then the exact decision for it. Prices:

- ``trained`` (default): p from the Lagrangean multipliers of training scenarios, shipped
  in ``prices.csv`` per pool size G and arrival rate (``python -m
  gqap.solvers.online.train`` wrote it; the file says how); for the scenario's G the
  price is interpolated in the rate lambda_t of each moment, so a diurnal or burst profile
  gets moving prices;
- ``adaptive``: starts from the trained price and follows the pool: after each decision p
  moves by ``step`` times (busy share of the pool - ``target``), multiplicatively;
- a number: that price at every moment.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from gqap.errors import GQAPError
from gqap.online.instance import OnlineHeader, PeriodRequests
from gqap.online.period import PeriodProblem, PeriodTable
from gqap.online.pool import PoolState
from gqap.online.solution import PeriodDecision
from gqap.solvers.online_policy import OnlinePolicy, PolicySolver, RunOptions

PRICES_FILE = "prices.csv"


def trained_prices() -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """G -> (rates ascending, prices) from the shipped ``prices.csv``."""
    text = resources.files("gqap.solvers.online").joinpath(PRICES_FILE).read_text()
    rows = [r for r in csv.DictReader(line for line in text.splitlines()
                                      if not line.startswith("#"))]
    table: dict[int, list[tuple[float, float]]] = {}
    for r in rows:
        table.setdefault(int(r["G"]), []).append((float(r["rate"]), float(r["price"])))
    return {G: (np.array([x for x, _ in sorted(v)]), np.array([p for _, p in sorted(v)]))
            for G, v in table.items()}


def price_for(G: int, rates: np.ndarray) -> np.ndarray:
    """Trained prices at these arrival rates for a pool of G GPUs: interpolated in the rate
    (held flat beyond the trained range), and in G between trained pool sizes."""
    table = trained_prices()
    sizes = np.array(sorted(table))
    if G in table:
        return np.interp(rates, *table[G])
    lo = sizes[sizes < G].max(initial=sizes.min())
    hi = sizes[sizes > G].min(initial=sizes.max())
    p_lo, p_hi = np.interp(rates, *table[int(lo)]), np.interp(rates, *table[int(hi)])
    w = 0.0 if hi == lo else (G - lo) / (hi - lo)
    return (1 - w) * p_lo + w * p_hi


def priced_choice(table: PeriodTable, free: int, charge: np.ndarray) -> tuple[int, int]:
    """The (g <= free, m) maximising V(g, m) - g charge[m] (``PeriodTable.priced``)."""
    return table.priced(free, charge)


class PricedPolicy(OnlinePolicy):
    """Value minus a price per GPU and occupied moment, per period, exactly."""

    name = "priced"

    def __init__(self, prices: str | float = "trained", step: float = 0.05,
                 target: float = 0.9) -> None:
        self.source, self.step, self.target = prices, step, target

    def reset(self, header: OnlineHeader, seed: int = 0) -> None:
        """Start a run of a scenario with this header."""
        self.header = header
        T = header.n_periods
        if isinstance(self.source, float | int):
            self.p = np.full(T, float(self.source))
        else:
            self.p = price_for(header.G, header.arrivals.rate_at(np.arange(T)))
        self.scale = 1.0

    def charge(self, t: int, m_max: int) -> np.ndarray:
        """charge[m] = p_t + ... + p_(t+m), moments from T on free."""
        T = self.header.n_periods
        cum = np.concatenate([[0.0], np.cumsum(self.p * self.scale)])
        return cum[np.minimum(t + np.arange(m_max + 1), T - 1) + 1] - cum[t]

    def decide(self, requests: PeriodRequests, pool: PoolState) -> PeriodDecision:
        """Period ``requests.t``'s decision, given the pool at its decision moment."""
        problem = PeriodProblem(self.header, requests)
        table = problem.values(g_max=pool.free)
        g, m = priced_choice(table, pool.free, self.charge(requests.t, table.m_max))
        decision = problem.decision(g, m)
        if self.source == "adaptive":
            busy = (pool.G - pool.free + decision.gpus) / pool.G
            self.scale *= float(np.exp(self.step * (busy - self.target)))
        return decision


@dataclass(frozen=True)
class PricedOptions(RunOptions):
    """``prices``: 'trained', 'adaptive' or a number (a price per GPU and moment);
    ``step`` and ``target``: how adaptive prices follow the pool's busy share."""

    prices: str = "trained"
    step: float = 0.05
    target: float = 0.9

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.prices not in ("trained", "adaptive"):
            try:
                if float(self.prices) < 0:
                    raise ValueError
            except ValueError:
                raise ValueError(f"prices must be 'trained', 'adaptive' or a number >= 0, "
                                 f"got {self.prices!r}") from None
        if not 0 < self.target <= 1 or self.step < 0:
            raise ValueError("target must lie in (0, 1] and step be >= 0")


class PricedSolver(PolicySolver):
    """Exact per-period decisions under a price per GPU and occupied moment."""

    name = "priced"
    Options = PricedOptions

    def make_policy(self) -> OnlinePolicy:
        """A fresh policy configured from ``self.options``."""
        o = self.options
        source = o.prices if o.prices in ("trained", "adaptive") else float(o.prices)
        if source in ("trained", "adaptive"):
            try:
                trained_prices()
            except (OSError, KeyError, ValueError) as exc:
                raise GQAPError(f"priced: cannot read the trained prices ({exc})") from None
        return PricedPolicy(source, o.step, o.target)
