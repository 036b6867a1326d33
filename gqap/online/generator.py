"""Seeded scenario generator of the online family (docs/ONLINE.md, "Time, requests, pool").

Draw order, fixed so that a seed always gives the same bytes:
  1. every period's user count, |I_t| ~ Poisson(lambda_t), t = 0..T-1, in one draw;
  2. period by period, the users of each non-empty period exactly as the paper's generator
     draws them (``gqap.generators.draw_users``: GPU class, sorted request moments, alpha),
     the alpha rule evaluated with the pool's G.

``sample_period`` draws one period from the arrival profile the same way: what a policy
that knows the distribution (not the realised arrivals) may sample its futures from.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gqap.errors import ValidationError
from gqap.offloading.generator import draw_users
from gqap.online.instance import (
    MAX_PERIODS,
    ArrivalProfile,
    OnlineHeader,
    OnlineInstance,
    PeriodRequests,
)
from gqap.profiles import PAPER_PROFILE, GPUProfile

ONLINE_GENERATOR_VERSION = 1
MAX_USERS = 10**7  # expected users of a generated scenario (sum of the rates)
MODEL_KEYS = ("N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits",
              "convention")


def draw_period(rng: np.random.Generator, header: OnlineHeader, t: int, n_users: int,
                profile: GPUProfile = PAPER_PROFILE) -> PeriodRequests:
    """The ``n_users`` users of period t, drawn as the paper's generator draws users with
    the pool's G."""
    if n_users == 0:
        empty = np.empty(0)
        return PeriodRequests(t, empty, empty, empty, empty)
    a = header.arrivals
    _, k, h, request, alpha = draw_users(
        rng, n_users, header.edge_latency(a.b_hat, header.G), header.edge_latency(1, header.G),
        K=header.K, N=header.N, N_hat=header.N_hat, a_F=header.a_F, b_F=header.b_F,
        kappa=a.kappa, profile=profile)
    return PeriodRequests(t, k, h, alpha, request)


def sample_period(rng: np.random.Generator, header: OnlineHeader, t: int,
                  profile: GPUProfile = PAPER_PROFILE) -> PeriodRequests:
    """A period t drawn from the arrival profile: a Poisson count, then its users."""
    return draw_period(rng, header, t, int(rng.poisson(header.arrivals.rate_at(t))), profile)


def generate_online(rng: np.random.Generator, periods: int = 60, rate: float = 10.0,
                    G: int = 8, profile: str = "constant", *, B_max: int = 18,
                    budget_s: float | None = None, amplitude: float = 0.5, cycle: int = 24,
                    start: int = 0, width: int = 10, multiplier: float = 3.0,
                    b_hat: int = 20, kappa: float = 0.05,
                    gpu_profile: GPUProfile = PAPER_PROFILE, name: str = "",
                    seed: int | None = None, **model: Any) -> OnlineInstance:
    """A scenario of ``periods`` periods on a pool of G GPUs; ``model`` overrides the paper's
    parameters (N, N_hat, a_F, b_F, K, W_max_hz, eta, s_p_bits, s_m_bits, convention)."""
    unknown = sorted(set(model) - set(MODEL_KEYS))
    if unknown:
        raise ValidationError(f"generator option: unknown {', '.join(unknown)}")
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        raise ValidationError(f"periods: must be a positive integer, got {periods!r}")
    if periods > MAX_PERIODS:
        raise ValidationError(f"periods: at most {MAX_PERIODS:,} in a generated scenario, got "
                              f"{periods:,}")
    arrivals = ArrivalProfile(profile, rate, amplitude, cycle, start, width, multiplier, b_hat,
                              kappa)
    header = OnlineHeader(k_edge=gpu_profile.edge_k_s, h_edge=gpu_profile.edge_h_s,
                          n_periods=int(periods), arrivals=arrivals, G=G, B_max=B_max,
                          budget_s=budget_s, **model)
    rates = arrivals.rate_at(np.arange(header.n_periods))
    if rates.sum() > MAX_USERS:
        raise ValidationError(f"arrivals: {rates.sum():,.0f} users expected, at most "
                              f"{MAX_USERS:,} in a generated scenario")
    counts = rng.poisson(rates)
    drawn = [draw_period(rng, header, t, int(n), gpu_profile) for t, n in enumerate(counts)]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cat = (lambda key: np.concatenate([getattr(p, key) for p in drawn]))  # noqa: E731
    params = {"periods": int(periods), "rate": float(rate), "G": G, "profile": profile,
              **{k: v for k, v in arrivals.to_dict().items() if k not in ("profile", "rate")},
              "B_max": B_max, "budget_s": header.budget_s, **model}
    tag = f"online-{profile}-t{periods}-r{rate:g}-g{G}"
    return OnlineInstance(
        header, cat("k_user"), cat("h_user"), cat("alpha"), cat("request_time"), offsets,
        name=name or tag + (f"-s{seed}" if seed is not None else ""),
        provenance={"generator": "online", "version": ONLINE_GENERATOR_VERSION,
                    "params": params, "seed": seed})
