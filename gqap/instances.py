"""Immutable, validated problem instances of the two families (MODEL.md sections 1 and 2).

Arrays are stored as read-only float64 (or int) copies, so an instance can be shared by
solvers and worker processes without anyone changing it underneath the others.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np

from gqap.errors import ValidationError

Family = Literal["gqap", "offloading", "multi"]
Convention = Literal["paper", "authors-scripts"]
CONVENTIONS: tuple[str, ...] = ("paper", "authors-scripts")


# Bounds on every number an instance holds (docs/FORMATS.md, "Numeric bounds"). Every
# non-zero real input lies within VALUE_MIN <= |x| <= VALUE_MAX, so any product or quotient
# of up to ten inputs stays within [1e-300, 1e300]; counts (G, B_max) are at most COUNT_MAX
# and denoising steps at most STEPS_MAX. Then every objective term the evaluators form is
# below 1e100 in magnitude and even the square of an objective stays finite.
VALUE_MAX = 1e30
VALUE_MIN = 1e-30
COUNT_MAX = 10**9
STEPS_MAX = 10**6
_BOUND = f"non-zero values must lie within {VALUE_MIN:g} <= |x| <= {VALUE_MAX:g}"


def _magnitude(name: str, arr: np.ndarray) -> None:
    """Refuse a value outside the bounds above, naming the field, the index and the bound."""
    mag = np.abs(arr)
    bad = (mag > VALUE_MAX) | ((mag < VALUE_MIN) & (mag != 0))
    if np.any(bad):
        idx = np.argwhere(bad)[0]
        x = float(arr[tuple(idx)])
        where = f" at index {idx.tolist()}" if arr.ndim else ""
        side = "exceeds" if abs(x) > VALUE_MAX else "is below"
        raise ValidationError(
            f"{name}: {x:g}{where} {side} the bound ({_BOUND}, so that the objective "
            "cannot overflow)")


def _array(name: str, value: Any, shape: tuple[int, ...], *, nonneg: bool = False) -> np.ndarray:
    """Return a read-only float64 copy of ``value`` after checking type, shape, finiteness
    and the magnitude bounds (VALUE_MIN, VALUE_MAX)."""
    try:
        raw = np.asarray(value)
        if raw.dtype.kind not in "iuf":
            kind = {"b": "booleans", "U": "strings", "S": "bytes"}.get(raw.dtype.kind)
            if kind is not None or raw.dtype.kind != "O":
                raise ValidationError(f"{name}: expected numbers, got {kind or raw.dtype}")
            for idx, v in np.ndenumerate(raw):
                if v is None or isinstance(v, bool | str | bytes):
                    kind = "null" if v is None else type(v).__name__
                    raise ValidationError(f"{name}: expected numbers, got {kind} at index "
                                          f"{list(idx)}")
        arr = np.array(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(f"{name}: not a numeric array ({exc})") from exc
    if arr.shape != shape:
        raise ValidationError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise ValidationError(f"{name}: contains NaN or inf (first at index {bad})")
    if nonneg and np.any(arr < 0):
        bad = np.argwhere(arr < 0)[0].tolist()
        raise ValidationError(f"{name}: must be >= 0 (negative at index {bad})")
    _magnitude(name, arr)
    arr.flags.writeable = False
    return arr


def _scalar(name: str, value: Any, *, low: float | None = None, strict: bool = False) -> float:
    if isinstance(value, bool | str | bytes):
        raise ValidationError(f"{name}: not a number ({value!r})")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValidationError(f"{name}: not a number ({value!r:.60})") from exc
    if not math.isfinite(x):
        raise ValidationError(f"{name}: must be finite, got {value!r}")
    if low is not None and (x <= low if strict else x < low):
        raise ValidationError(f"{name}: must be {'>' if strict else '>='} {low}, got {value!r}")
    _magnitude(name, np.asarray(x))
    return x


def _integer(name: str, value: Any, *, low: int | None = None, high: int = COUNT_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValidationError(f"{name}: must be an integer, got {value!r:.60}")
    if low is not None and value < low:
        raise ValidationError(f"{name}: must be >= {low}, got {value}")
    if value > high:
        shown = f"{value:,}" if value < 10**15 else f"a number of {len(str(value))} digits"
        raise ValidationError(f"{name}: must be <= {high:,}, got {shown}")
    return int(value)


def _digest(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class GQAPInstance:
    """General GQAP: n facilities with weights q, m sites with capacities Q.

    Cost of an assignment x: sum_i a[i, x_i] + v * sum_{i,j} t[i, j] * d[x_i, x_j] over all
    ordered pairs (MODEL.md section 1); minimised subject to the site capacities.
    """

    q: np.ndarray
    Q: np.ndarray
    a: np.ndarray
    t: np.ndarray
    d: np.ndarray
    v: float = 1.0
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: Family = field(default="gqap", init=False, repr=False)

    def __post_init__(self) -> None:
        q = np.asarray(self.q)
        if q.ndim != 1 or q.size == 0:
            raise ValidationError(
                f"q: expected a non-empty 1-D array of weights, got shape {q.shape}")
        Q = np.asarray(self.Q)
        if Q.ndim != 1 or Q.size == 0:
            raise ValidationError(
                f"Q: expected a non-empty 1-D array of capacities, got shape {Q.shape}")
        n, m = q.size, Q.size
        object.__setattr__(self, "q", _array("q", self.q, (n,), nonneg=True))
        object.__setattr__(self, "Q", _array("Q", self.Q, (m,), nonneg=True))
        object.__setattr__(self, "a", _array("a", self.a, (n, m)))
        object.__setattr__(self, "t", _array("t", self.t, (n, n)))
        object.__setattr__(self, "d", _array("d", self.d, (m, m)))
        object.__setattr__(self, "v", _scalar("v", self.v))
        if self.q.sum() > self.Q.sum():
            raise ValidationError(
                f"Q: total capacity {self.Q.sum():g} is below total weight {self.q.sum():g}; "
                "no feasible assignment exists"
            )
        if self.q.max() > self.Q.max():
            raise ValidationError(
                f"q: facility {int(self.q.argmax())} weighs {self.q.max():g}, more than the "
                f"largest capacity {self.Q.max():g}; no feasible assignment exists"
            )

    @property
    def n(self) -> int:
        """Number of facilities."""
        return int(self.q.size)

    @property
    def m(self) -> int:
        """Number of sites."""
        return int(self.Q.size)

    @property
    def size(self) -> int:
        """The instance's size for scaling plots: the facility count."""
        return self.n

    def content_hash(self) -> str:
        """SHA-256 of the numerical content (name and provenance excluded)."""
        return _digest([b"gqap", *(np.ascontiguousarray(x).tobytes() for x in
                                   (self.q, self.Q, self.a, self.t, self.d)),
                        repr(self.v).encode()])


@dataclass(frozen=True, eq=False)
class OffloadingInstance:
    """The paper's offloading problem (MODEL.md section 2); all times in seconds.

    Per user i: local step-latency fit (k_user[i], h_user[i]), accuracy weight alpha[i] and
    request moment request_time[i] in [0, K]. Edge: fit (k_edge, h_edge), G GPUs, at most
    B_max granted users. ``convention`` selects the edge latency formula: ``paper``
    L_e(b, G) = k_e*b/G + h_e, or ``authors-scripts`` L_e(b, G) = (k_e*b + h_e)/G.
    """

    k_user: np.ndarray
    h_user: np.ndarray
    alpha: np.ndarray
    request_time: np.ndarray
    k_edge: float
    h_edge: float
    G: int = 8
    B_max: int = 18
    N: int = 200
    N_hat: int = 80
    a_F: float = 0.0413
    b_F: float = 71.44
    K: float = 1.0
    W_max_hz: float = 1.0e6
    eta: float = 10.0
    s_p_bits: float = 216.0
    s_m_bits: float = 4.4e6
    convention: Convention = "paper"
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: Family = field(default="offloading", init=False, repr=False)

    def __post_init__(self) -> None:
        k = np.asarray(self.k_user)
        if k.ndim != 1:
            raise ValidationError(f"users.k_s: expected a 1-D array, got shape {k.shape}")
        if k.size == 0:
            raise ValidationError("users: an instance needs at least one user, got 0")
        n = k.size
        set_ = object.__setattr__
        set_(self, "k_user", _array("users.k_s", self.k_user, (n,), nonneg=True))
        set_(self, "h_user", _array("users.h_s", self.h_user, (n,)))
        set_(self, "alpha", _array("users.alpha", self.alpha, (n,), nonneg=True))
        set_(self, "request_time", _array("users.request_time_s", self.request_time, (n,),
                                          nonneg=True))
        set_(self, "k_edge", _scalar("edge.k_s", self.k_edge, low=0.0))
        set_(self, "h_edge", _scalar("edge.h_s", self.h_edge))
        set_(self, "G", _integer("G", self.G, low=1))
        set_(self, "B_max", _integer("B_max", self.B_max, low=0))
        set_(self, "N", _integer("N", self.N, low=1, high=STEPS_MAX))
        set_(self, "N_hat", _integer("N_hat", self.N_hat, low=0, high=STEPS_MAX))
        set_(self, "a_F", _scalar("a_F", self.a_F, low=0.0, strict=True))
        set_(self, "b_F", _scalar("b_F", self.b_F))
        set_(self, "K", _scalar("K", self.K, low=0.0, strict=True))
        set_(self, "W_max_hz", _scalar("W_max_hz", self.W_max_hz, low=0.0, strict=True))
        set_(self, "eta", _scalar("eta", self.eta, low=0.0, strict=True))
        set_(self, "s_p_bits", _scalar("s_p_bits", self.s_p_bits, low=0.0))
        set_(self, "s_m_bits", _scalar("s_m_bits", self.s_m_bits, low=0.0))
        if self.N_hat > self.N:
            raise ValidationError(f"N_hat: must be <= N ({self.N}), got {self.N_hat}")
        if self.convention not in CONVENTIONS:
            raise ValidationError(
                f"convention: must be one of {', '.join(CONVENTIONS)}, got {self.convention!r}"
            )
        local = self.k_user + self.h_user
        if np.any(local <= 0):
            i = int(np.argmax(local <= 0))
            raise ValidationError(
                f"users.h_s: local step latency k_s + h_s of user {i} is {local[i]:g} s; "
                "must be > 0"
            )
        if self.edge_step_latency(1) <= 0:
            raise ValidationError("edge.h_s: edge step latency at batch 1 must be > 0")
        late = self.request_time > self.K
        if np.any(late):
            i = int(np.argmax(late))
            raise ValidationError(
                f"users.request_time_s: user {i} requests at {self.request_time[i]:g} s, after "
                f"the period K = {self.K:g} s"
            )

    # ---- sizes -------------------------------------------------------------------------
    @property
    def n_users(self) -> int:
        """Number of users |I|."""
        return int(self.k_user.size)

    @property
    def size(self) -> int:
        """The instance's size for scaling plots: the user count."""
        return self.n_users

    @property
    def max_granted(self) -> int:
        """The largest feasible number of granted users, min(|I|, B_max)."""
        return min(self.n_users, self.B_max)

    # ---- model terms (MODEL.md section 2) -----------------------------------------------
    @property
    def local_step_latency(self) -> np.ndarray:
        """L_i(1) = k_i + h_i per user (s per denoising step)."""
        return self.k_user + self.h_user

    def edge_step_latency(self, b: Any) -> Any:
        """L_e(b, G) in seconds per step, in this instance's convention; vectorised over b."""
        b = np.asarray(b, dtype=np.float64)
        if self.convention == "paper":
            out = self.k_edge * b / self.G + self.h_edge
        else:
            out = (self.k_edge * b + self.h_edge) / self.G
        return float(out) if out.ndim == 0 else out

    def transmission_latency(self, b: Any) -> Any:
        """l_T(b) = (s_p + s_m) * b / (eta * W_max): each granted user's share of the band."""
        b = np.asarray(b, dtype=np.float64)
        out = (self.s_p_bits + self.s_m_bits) * b / (self.eta * self.W_max_hz)
        return float(out) if out.ndim == 0 else out

    def pai(self, n: Any) -> Any:
        """Personalised accuracy index F(n) = 1 / (1 + exp(-a_F (n - b_F)))."""
        n = np.asarray(n, dtype=np.float64)
        with np.errstate(over="ignore"):  # exp -> inf gives F = 0, the right limit
            out = 1.0 / (1.0 + np.exp(-self.a_F * (n - self.b_F)))
        return float(out) if out.ndim == 0 else out

    @property
    def round_trip(self) -> np.ndarray:
        """l_R = K - k_i per user (s)."""
        return self.K - self.request_time

    # ---- identity ------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """Scalar parameters as plain Python values (the file format's ``params`` block)."""
        return {
            "N": self.N, "N_hat": self.N_hat, "a_F": self.a_F, "b_F": self.b_F, "K": self.K,
            "W_max_hz": self.W_max_hz, "eta": self.eta, "s_p_bits": self.s_p_bits,
            "s_m_bits": self.s_m_bits, "G": self.G, "B_max": self.B_max,
            "convention": self.convention,
            "edge": {"k_s": self.k_edge, "h_s": self.h_edge},
        }

    def content_hash(self) -> str:
        """SHA-256 of the numerical content (name and provenance excluded)."""
        arrays = (self.k_user, self.h_user, self.alpha, self.request_time)
        return _digest([b"offloading", json.dumps(self.params(), sort_keys=True).encode(),
                        *(np.ascontiguousarray(x).tobytes() for x in arrays)])

    def replace(self, **changes: Any) -> OffloadingInstance:
        """A validated copy with some fields changed (e.g. another G or convention)."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        kwargs.update(changes)
        return OffloadingInstance(**kwargs)


Instance = GQAPInstance | OffloadingInstance
