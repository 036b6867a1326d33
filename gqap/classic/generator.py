"""Seeded generator of the classic family: random instances in the style of the Cordeau
et al. (2006) set, fitted to the three shared files.

Traffic t symmetric, integer U{0..99}, zero diagonal; distances d symmetric, integer
U{1..99}, zero diagonal (not metric, like the originals); installation costs a integer
U{0..10000 n}; weights q integer U{1..99}; unit cost v = 2. Capacities: shares
w_k ~ U(1, 3), Q_k = ceil(w_k / sum(w) * sum(q) / ratio), so that sum(q) / sum(Q) is the
capacity ratio (up to rounding). Shares are redrawn until first-fit-decreasing packs every
facility, which proves that a feasible assignment exists.
"""

from __future__ import annotations

import numpy as np

from gqap.classic.instance import GQAPInstance
from gqap.errors import ValidationError
from gqap.fields import size_within

GQAP_GENERATOR_VERSION = 1
# Size limits of the generator (not of instances read from files): every array it draws
# stays below 1e8 entries (800 MB), so a typo in a size is refused, not swapped to disk.
MAX_FACILITIES = 10**4
MAX_SITES = 10**4


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
