"""Seeded instance generators; each takes an explicit ``numpy.random.Generator``.

``offloading``: the paper's Section VI-B scenario (MODEL.md section 2). Draw order, fixed
so that a seed always gives the same instance:
  1. each user's GPU class from the user rows of the profile, with probabilities
     proportional to weights linear from 1 (first user row) to 2 (last user row);
  2. request moments k_i ~ U(0, K), sorted ascending;
  3. alpha_i ~ U(lo_i, hi_i) with c_min = L_i(1) - L_e(b_hat, G), c_max = L_i(1) - L_e(1, G),
     lo_i = max(0, c_min / (a_F F(N_hat)(1 - F(N_hat)))),
     hi_i = max(lo_i, kappa * c_max / (a_F F(N)(1 - F(N)))).

``gqap``: random instances in the style of the Cordeau et al. (2006) set, fitted to the
three shared files: traffic t symmetric, integer U{0..99}, zero diagonal; distances d
symmetric, integer U{1..99}, zero diagonal (not metric, like the originals); installation
costs a integer U{0..10000 n}; weights q integer U{1..99}; unit cost v = 2. Capacities:
shares w_k ~ U(1, 3), Q_k = ceil(w_k / sum(w) * sum(q) / ratio), so that
sum(q) / sum(Q) is the capacity ratio (up to rounding). Shares are redrawn until
first-fit-decreasing packs every facility, which proves that a feasible assignment exists.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gqap.errors import ValidationError
from gqap.instances import (
    CONVENTIONS,
    COUNT_MAX,
    STEPS_MAX,
    VALUE_MAX,
    VALUE_MIN,
    GQAPInstance,
    OffloadingInstance,
    _integer,
    _scalar,
)
from gqap.profiles import PAPER_PROFILE, GPUProfile

OFFLOADING_GENERATOR_VERSION = 1
GQAP_GENERATOR_VERSION = 1
# Size limits of the generators (not of instances read from files): every array a generator
# draws stays below 1e8 entries (800 MB), so a typo in a size is refused, not swapped to disk.
MAX_USERS = 10**7
MAX_FACILITIES = 10**4
MAX_SITES = 10**4


def size_within(name: str, value: Any, high: int) -> int:
    """A positive integer size up to ``high``; a one-line error otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValidationError(f"{name}: must be a positive integer, got {value!r}")
    if value > high:
        raise ValidationError(f"{name}: at most {high:,} in a generated instance, got {value:,}")
    return int(value)


def check_alpha_rule(b_hat: Any, kappa: Any) -> None:
    """Refuse an alpha-rule ``b_hat`` (an integer batch >= 1) or ``kappa`` (a finite number
    within the instance bounds, > 0) before anything is drawn."""
    _integer("b_hat", b_hat, low=1)
    if isinstance(kappa, bool) or not isinstance(kappa, int | float | np.number):
        raise ValidationError(f"kappa: must be a number, got {kappa!r}")
    if not (math.isfinite(kappa) and VALUE_MIN <= kappa <= VALUE_MAX):
        raise ValidationError(f"kappa: must be a finite number within {VALUE_MIN:g}.."
                              f"{VALUE_MAX:g}, got {kappa!r}")


def check_model(p: dict[str, Any]) -> None:
    """Refuse the model parameters the user draw depends on (N, N_hat, a_F, b_F, K,
    convention) with the instance's own rules, before anything is drawn."""
    N = _integer("N", p["N"], low=1, high=STEPS_MAX)
    N_hat = _integer("N_hat", p["N_hat"], low=0, high=STEPS_MAX)
    if N_hat > N:
        raise ValidationError(f"N_hat: must be <= N ({N}), got {N_hat}")
    _scalar("a_F", p["a_F"], low=0.0, strict=True)
    _scalar("b_F", p["b_F"])
    _scalar("K", p["K"], low=0.0, strict=True)
    if p["convention"] not in CONVENTIONS:
        raise ValidationError(f"convention: must be one of {', '.join(CONVENTIONS)}, got "
                              f"{p['convention']!r}")


def _edge_latency(k_e: float, h_e: float, b: float, G: int, convention: str) -> float:
    return k_e * b / G + h_e if convention == "paper" else (k_e * b + h_e) / G


def _sigmoid(n: float, a_F: float, b_F: float) -> float:
    return 1.0 / (1.0 + np.exp(-a_F * (n - b_F)))


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
    f_lo = _sigmoid(N_hat, a_F, b_F)
    f_hi = _sigmoid(N, a_F, b_F)
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


def generate_offloading(rng: np.random.Generator, n_users: int = 20, G: int = 8,
                        B_max: int = 18, *, b_hat: int = 20, kappa: float = 0.05,
                        profile: GPUProfile = PAPER_PROFILE, name: str = "",
                        seed: int | None = None, **model: Any) -> OffloadingInstance:
    """One offloading instance of the paper's scenario; ``model`` overrides MODEL.md defaults
    (N, N_hat, a_F, b_F, K, W_max_hz, eta, s_p_bits, s_m_bits, convention)."""
    size_within("users", n_users, MAX_USERS)
    if isinstance(G, bool) or not isinstance(G, int) or G < 1:
        raise ValidationError(f"G: must be an integer >= 1, got {G!r}")
    _integer("G", G, low=1, high=COUNT_MAX)
    check_alpha_rule(b_hat, kappa)
    allowed = {"N", "N_hat", "a_F", "b_F", "K", "W_max_hz", "eta", "s_p_bits", "s_m_bits",
               "convention"}
    unknown = set(model) - allowed
    if unknown:
        raise ValidationError(f"generator option: unknown {', '.join(sorted(unknown))}")
    defaults = dict(N=200, N_hat=80, a_F=0.0413, b_F=71.44, K=1.0, convention="paper")
    p = {**defaults, **model}
    check_model(p)

    le = lambda b: _edge_latency(profile.edge_k_s, profile.edge_h_s, b, G, p["convention"])  # noqa: E731
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


def first_fit_decreasing(q: np.ndarray, Q: np.ndarray) -> np.ndarray | None:
    """A capacity-feasible assignment by first-fit-decreasing, or None if FFD fails."""
    free = np.asarray(Q, dtype=np.float64).copy()
    x = np.empty(q.size, dtype=np.int64)
    for i in np.argsort(-q, kind="stable"):
        fits = np.flatnonzero(free >= q[i])
        if fits.size == 0:
            return None
        k = fits[np.argmax(free[fits])]  # roomiest site: keeps the packing balanced
        x[i] = k
        free[k] -= q[i]
    return x


def generate_gqap(rng: np.random.Generator, n_facilities: int, n_sites: int,
                  capacity_ratio: float, *, name: str = "", seed: int | None = None,
                  max_tries: int = 1000) -> GQAPInstance:
    """A random Cordeau-style GQAP with sum(q)/sum(Q) close to ``capacity_ratio``."""
    n, m = n_facilities, n_sites
    for value in (n, m):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValidationError(f"sizes: need at least 1 facility and 1 site, got {n}x{m}")
    n = size_within("facilities", n, MAX_FACILITIES)
    m = size_within("sites", m, MAX_SITES)
    if isinstance(capacity_ratio, bool) or not isinstance(capacity_ratio, int | float | np.number):
        raise ValidationError(f"capacity ratio: must be a number, got {capacity_ratio!r}")
    if not 0.0 < capacity_ratio <= 1.0:
        raise ValidationError(f"capacity ratio: must lie in (0, 1], got {capacity_ratio!r}")
    t = np.triu(rng.integers(0, 100, size=(n, n)), 1)
    t = (t + t.T).astype(np.float64)
    d = np.triu(rng.integers(1, 100, size=(m, m)), 1)
    d = (d + d.T).astype(np.float64)
    a = rng.integers(0, 10000 * n + 1, size=(n, m)).astype(np.float64)
    q = rng.integers(1, 100, size=n).astype(np.float64)
    total = q.sum() / capacity_ratio
    for _ in range(max_tries):
        w = rng.uniform(1.0, 3.0, size=m)
        Q = np.ceil(w / w.sum() * total)
        if first_fit_decreasing(q, Q) is not None:
            break
    else:
        raise ValidationError(
            f"capacity ratio: no packable capacities found for {n}x{m} at ratio "
            f"{capacity_ratio} in {max_tries} tries; lower the ratio")
    ratio_tag = int(round(capacity_ratio * 100))
    return GQAPInstance(
        q=q, Q=Q, a=a, t=t, d=d, v=2.0,
        name=name or f"{n}-{m}-{ratio_tag}" + (f"-s{seed}" if seed is not None else ""),
        provenance={"generator": "gqap", "version": GQAP_GENERATOR_VERSION,
                    "params": {"n_facilities": n, "n_sites": m,
                               "capacity_ratio": capacity_ratio},
                    "seed": seed},
    )
