"""Seeded scenario generator of the multi-cluster family (docs/MULTI.md, "Generator").

Draw order, fixed so that a seed always gives the same instance; a step whose values are
given by the caller draws nothing:
  1. each site's GPU class: uniform over the edge-class profile rows 0-2;
  2. each site's GPU count, site by site: uniform over ``G_choices`` restricted to the
     counts whose step latency at batch 1 is positive for the site's class (with the
     paper convention row 2's negative intercept rules out G = 16);
  3. users exactly as the paper's generator (``gqap.offloading.generator.draw_users``: GPU class,
     sorted request moments, alpha), the alpha rule evaluated with site 0's latency;
  4. cluster centres c_s, then user task positions u_i, uniform in the unit square;
     delta_is = delta_max * ||u_i - c_s|| / sqrt(2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from gqap import paper
from gqap.errors import ValidationError
from gqap.fields import positive_count, size_within
from gqap.multi.instance import MultiInstance
from gqap.offloading.generator import check_alpha_rule, draw_users
from gqap.paper import step_latency
from gqap.profiles import EDGE_CLASS_H_S, EDGE_CLASS_K_S, EDGE_CLASS_ROWS, PAPER_PROFILE, GPUProfile

MULTI_GENERATOR_VERSION = 1
G_CHOICES: tuple[int, ...] = (2, 4, 8, 16)
MODEL_DEFAULTS: dict[str, Any] = paper.MODEL_DEFAULTS


# Sizes a generated instance may have (the command line and the API alike).
MAX_USERS = 10**7
MAX_SITES = 1000
MAX_SHIFTS = 10**8  # users x sites entries of the shift matrix


def _per_site(name: str, value: Any, S: int) -> list[Any] | None:
    """A per-site list from a scalar or a length-S sequence; None stays None (drawn)."""
    if value is None:
        return None
    if np.ndim(value) == 0:
        return [value] * S
    values = list(np.asarray(value).tolist())
    if len(values) != S or np.ndim(value) != 1:
        raise ValidationError(f"{name}: expected a scalar or {S} values (one per site), "
                              f"got {value!r}")
    return values


def _points(name: str, value: Any, rows: int) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (rows, 2) or not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name}: expected {rows} finite (x, y) points, got shape "
                              f"{arr.shape}")
    return arr


def _plain(value: Any) -> Any:
    """JSON-ready copy of a generator argument: None, a Python scalar or nested lists."""
    if value is None or isinstance(value, str):
        return value
    return np.asarray(value).tolist()


def generate_multi(rng: np.random.Generator, n_users: int = 20, n_sites: int = 2, *,
                   G: int | Sequence[int] | None = None,
                   G_choices: Sequence[int] = G_CHOICES,
                   B_max: int | Sequence[int] = paper.B_MAX,
                   W_hz: float | Sequence[float] = paper.W_MAX_HZ,
                   site_rows: int | Sequence[int] | None = None,
                   delta_max: float = 40.0,
                   centres: Any = None, positions: Any = None,
                   b_hat: int = paper.B_HAT, kappa: float = paper.KAPPA,
                   profile: GPUProfile = PAPER_PROFILE, name: str = "",
                   seed: int | None = None, **model: Any) -> MultiInstance:
    """One multi-cluster instance; every default is overridable.

    ``G``, ``B_max``, ``W_hz`` and ``site_rows`` take a scalar (every site) or one value per
    site; ``G`` and ``site_rows`` left at None are drawn (``site_rows`` index the
    edge-class profile rows 0-2). ``centres`` (S x 2) and ``positions`` (I x 2) fix the
    task-space points instead of drawing them. ``model`` overrides N, N_hat, a_F, b_F, K,
    eta, s_p_bits, s_m_bits and convention; unknown names are refused.
    """
    n_users = size_within("users", n_users, MAX_USERS)
    S = size_within("sites", n_sites, MAX_SITES)
    if n_users * S > MAX_SHIFTS:
        raise ValidationError(f"users x sites: the shift matrix may hold at most "
                              f"{MAX_SHIFTS:,} entries, got {n_users * S:,}")
    check_alpha_rule(b_hat, kappa)
    if not math.isfinite(delta_max) or delta_max < 0:
        raise ValidationError(f"delta_max: must be a finite number >= 0, got {delta_max!r}")
    unknown = set(model) - set(MODEL_DEFAULTS)
    if unknown:
        raise ValidationError(f"generator option: unknown {', '.join(sorted(unknown))}")
    p = {**MODEL_DEFAULTS, **model}
    choices = [positive_count("G_choices", g) for g in G_choices]
    if not choices:
        raise ValidationError("G_choices: needs at least one GPU count")
    rows = _per_site("site_rows", site_rows, S)
    if rows is not None and not all(
            isinstance(r, int | np.integer) and not isinstance(r, bool)
            and 0 <= r < len(EDGE_CLASS_ROWS) for r in rows):
        raise ValidationError(f"site_rows: must index the edge-class rows "
                              f"0..{len(EDGE_CLASS_ROWS) - 1}, got {site_rows!r}")
    gpus = _per_site("G", G, S)
    if gpus is not None:
        gpus = [positive_count("G", g) for g in gpus]
    b_max = _per_site("B_max", B_max, S)
    w_hz = _per_site("W_hz", W_hz, S)
    c_fixed = _points("centres", centres, S)
    u_fixed = _points("positions", positions, n_users)

    # 1-2. sites
    if rows is None:
        rows = rng.integers(0, len(EDGE_CLASS_ROWS), size=S).tolist()
    rows = [int(r) for r in rows]
    k_site = np.array([EDGE_CLASS_K_S[r] for r in rows])
    h_site = np.array([EDGE_CLASS_H_S[r] for r in rows])
    if gpus is None:
        gpus = []
        for s in range(S):
            ok = [g for g in choices
                  if step_latency(k_site[s], h_site[s], 1, g, p["convention"]) > 0]
            if not ok:
                raise ValidationError(
                    f"G_choices: no GPU count in {choices} gives site {s} (profile row "
                    f"{rows[s]}) a positive step latency")
            gpus.append(ok[int(rng.integers(len(ok)))])

    # 3. users, alpha rule on site 0
    le = lambda b: step_latency(k_site[0], h_site[0], b, gpus[0], p["convention"])  # noqa: E731
    cls, k_user, h_user, request, alpha = draw_users(
        rng, n_users, le(b_hat), le(1), K=p["K"], N=p["N"], N_hat=p["N_hat"], a_F=p["a_F"],
        b_F=p["b_F"], kappa=kappa, profile=profile)

    # 4. task space
    c = c_fixed if c_fixed is not None else rng.uniform(0.0, 1.0, size=(S, 2))
    u = u_fixed if u_fixed is not None else rng.uniform(0.0, 1.0, size=(n_users, 2))
    dist = np.sqrt(((u[:, None, :] - c[None, :, :]) ** 2).sum(axis=2))
    shift = delta_max * dist / math.sqrt(2.0)

    params = {"n_users": n_users, "n_sites": S, "G": _plain(G), "G_choices": choices,
              "B_max": _plain(B_max), "W_hz": _plain(W_hz), "site_rows": _plain(site_rows),
              "delta_max": _plain(delta_max), "centres": _plain(centres),
              "positions": _plain(positions), "b_hat": _plain(b_hat), "kappa": _plain(kappa),
              **{k: _plain(v) for k, v in model.items()}}
    return MultiInstance(
        k_site=k_site, h_site=h_site, G=gpus, B_max=b_max, W_hz=w_hz, k_user=k_user,
        h_user=h_user, alpha=alpha, request_time=request, shift_steps=shift,
        name=name or f"multi-u{n_users}-x{S}" + (f"-s{seed}" if seed is not None else ""),
        provenance={"generator": "multi", "version": MULTI_GENERATOR_VERSION,
                    "params": params, "seed": seed,
                    "site_gpu_rows": [int(EDGE_CLASS_ROWS[r]) for r in rows],
                    "gpu_rows": [int(profile.user_rows[k]) for k in cls],
                    "centres": c.tolist(), "positions": u.tolist()},
        **p,
    )
