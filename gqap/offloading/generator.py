"""Seeded generator of the paper's offloading family: the Section VI-B scenario (MODEL.md
section 2), from an explicit ``numpy.random.Generator``.

Draw order, fixed so that a seed always gives the same instance:
  1. each user's GPU class from the user rows of the profile, with probabilities
     proportional to weights linear from 1 (first user row) to 2 (last user row);
  2. request moments k_i ~ U(0, K), sorted ascending;
  3. alpha_i ~ U(lo_i, hi_i) with c_min = L_i(1) - L_e(b_hat, G), c_max = L_i(1) - L_e(1, G),
     lo_i = max(0, c_min / (a_F F(N_hat)(1 - F(N_hat)))),
     hi_i = max(lo_i, kappa * c_max / (a_F F(N)(1 - F(N)))).
Steps 1-3 (``draw_users``) are shared with the multi-cluster generator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gqap import paper
from gqap.errors import ValidationError
from gqap.fields import (
    COUNT_MAX,
    VALUE_MAX,
    VALUE_MIN,
    integer,
    size_within,
)
from gqap.offloading.instance import OffloadingInstance
from gqap.paper import accuracy, step_latency
from gqap.profiles import PAPER_PROFILE, GPUProfile

OFFLOADING_GENERATOR_VERSION = 1
# Size limit of the generator (not of instances read from files): every array it draws
# stays below 1e8 entries (800 MB), so a typo in a size is refused, not swapped to disk.
MAX_USERS = 10**7
# The model parameters a caller may override (the instance's other fields).
MODEL_OPTIONS = ("N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits",
                 "convention")


def check_alpha_rule(b_hat: Any, kappa: Any) -> None:
    """Refuse an alpha-rule ``b_hat`` (an integer batch >= 1) or ``kappa`` (a finite number
    within the instance bounds, > 0) before anything is drawn."""
    integer("b_hat", b_hat, low=1)
    if isinstance(kappa, bool) or not isinstance(kappa, int | float | np.number):
        raise ValidationError(f"kappa: must be a number, got {kappa!r}")
    if not (math.isfinite(kappa) and VALUE_MIN <= kappa <= VALUE_MAX):
        raise ValidationError(f"kappa: must be a finite number within {VALUE_MIN:g}.."
                              f"{VALUE_MAX:g}, got {kappa!r}")


def draw_users(rng: np.random.Generator, n_users: int, le_hat: float, le_one: float, *,
               K: float, N: int, N_hat: int, a_F: float, b_F: float, kappa: float,
               profile: GPUProfile = PAPER_PROFILE,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Users of the paper's scenario: steps 1-3 of the offloading draw order above.

    ``le_hat`` and ``le_one`` are the edge step latencies L_e(b_hat) and L_e(1) that the
    alpha rule compares each user's local latency with. Returns (class index into the
    profile's user rows, k_user, h_user, sorted request moments, alpha). Shared by the
    offloading and multi-cluster generators, so both draw users the same way.
    """
    rows = len(profile.user_rows)
    weights = np.linspace(1.0, 2.0, rows) if rows > 1 else np.ones(1)
    cls = rng.choice(rows, size=n_users, p=weights / weights.sum())
    request = np.sort(rng.uniform(0.0, K, size=n_users))
    k_user, h_user = profile.user_k_s[cls], profile.user_h_s[cls]
    local = k_user + h_user
    f_lo = accuracy(N_hat, a_F, b_F)
    f_hi = accuracy(N, a_F, b_F)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lo = np.maximum(0.0, (local - le_hat) / (a_F * f_lo * (1 - f_lo)))
        hi = np.maximum(lo, kappa * (local - le_one) / (a_F * f_hi * (1 - f_hi)))
    top = float(np.max(hi))
    if not (math.isfinite(top) and top <= VALUE_MAX):
        # Refused before the draw: rng.uniform would overflow, and alpha must stay bounded.
        raise ValidationError(
            f"alpha rule: alpha would reach {top:g} (kappa = {kappa:g}, N = {N}, "
            f"N_hat = {N_hat}, a_F = {a_F:g}, b_F = {b_F:g}), beyond the bound {VALUE_MAX:g} "
            "of users.alpha; lower kappa")
    alpha = rng.uniform(lo, hi)
    return cls, k_user, h_user, request, alpha


def generate_offloading(rng: np.random.Generator, n_users: int = 20, G: int = paper.G,
                        B_max: int = paper.B_MAX, *, b_hat: int = paper.B_HAT,
                        kappa: float = paper.KAPPA,
                        profile: GPUProfile = PAPER_PROFILE, name: str = "",
                        seed: int | None = None, **model: Any) -> OffloadingInstance:
    """One offloading instance of the paper's scenario; ``model`` overrides MODEL.md defaults
    (N, N_hat, a_F, b_F, K, W_max_hz, eta, s_p_bits, s_m_bits, convention)."""
    size_within("users", n_users, MAX_USERS)
    if isinstance(G, bool) or not isinstance(G, int) or G < 1:
        raise ValidationError(f"G: must be an integer >= 1, got {G!r}")
    integer("G", G, low=1, high=COUNT_MAX)
    check_alpha_rule(b_hat, kappa)
    unknown = set(model) - set(MODEL_OPTIONS)
    if unknown:
        raise ValidationError(f"generator option: unknown {', '.join(sorted(unknown))}")
    p = {**paper.MODEL_DEFAULTS, **model}
    paper.checked_model(p)  # refused before anything is drawn

    le = lambda b: step_latency(profile.edge_k_s, profile.edge_h_s, b, G, p["convention"])  # noqa: E731
    cls, k_user, h_user, request, alpha = draw_users(
        rng, n_users, le(b_hat), le(1), K=p["K"], N=p["N"], N_hat=p["N_hat"], a_F=p["a_F"],
        b_F=p["b_F"], kappa=kappa, profile=profile)

    params = {"n_users": n_users, "G": G, "B_max": B_max, "b_hat": b_hat, "kappa": kappa,
              **model}
    return OffloadingInstance(
        k_user=k_user, h_user=h_user, alpha=alpha, request_time=request,
        k_edge=profile.edge_k_s, h_edge=profile.edge_h_s, G=G, B_max=B_max,
        name=name or f"offloading-u{n_users}-g{G}" + (f"-s{seed}" if seed is not None else ""),
        provenance={"generator": "offloading", "version": OFFLOADING_GENERATOR_VERSION,
                    "params": params, "seed": seed,
                    "gpu_rows": [int(profile.user_rows[c]) for c in cls]},
        **model,
    )
