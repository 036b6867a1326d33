"""The paper's model terms shared by the offloading families (docs/MODEL.md section 2):
its constants, the personalised accuracy curve F and the step-latency conventions.

Yang et al., IEEE TMC 2025: N = 200 denoising steps of which N_hat = 80 run locally at
least; F(n) = 1 / (1 + exp(-a_F (n - b_F))) with a_F = 0.0413, b_F = 71.44; period K = 1 s;
a W_max = 1 MHz link at spectral efficiency eta = 10; prompt s_p = 216 bits and
intermediate result s_m = 4.4e6 bits. Every instance type, generator and trained policy
takes its defaults from here.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from gqap.errors import ValidationError
from gqap.fields import STEPS_MAX, integer, real_array, real_scalar

N = 200
N_HAT = 80
A_F = 0.0413
B_F = 71.44
K = 1.0
W_MAX_HZ = 1.0e6
ETA = 10.0
S_P_BITS = 216.0
S_M_BITS = 4.4e6
G = 8           # edge GPUs of the paper's scenario
B_MAX = 18      # granted users at most
B_HAT = 20      # batch the alpha rule compares with
KAPPA = 0.05    # the alpha rule's kappa

Convention = Literal["paper", "authors-scripts"]
CONVENTIONS: tuple[str, ...] = ("paper", "authors-scripts")

# The model parameters every offloading-type instance holds, with the paper's values; the
# link bandwidth is per family (one W_max_hz, or one W_hz per site) and stays out.
MODEL_DEFAULTS: dict[str, Any] = {"N": N, "N_hat": N_HAT, "a_F": A_F, "b_F": B_F, "K": K,
                                  "eta": ETA, "s_p_bits": S_P_BITS, "s_m_bits": S_M_BITS,
                                  "convention": "paper"}


def accuracy(n: Any, a_F: float, b_F: float, shift: Any = None) -> Any:
    """F(n; shift) = 1 / (1 + exp(-a_F (n - b_F - shift))); ``shift`` None is the paper's F.

    Broadcasts; an overflowing exp gives F = 0, the right limit. A 0-d result is a float.
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(over="ignore"):
        z = n - b_F if shift is None else n - b_F - shift
        out = 1.0 / (1.0 + np.exp(-a_F * z))
    return float(out) if np.ndim(out) == 0 else out


def step_latency(k: Any, h: Any, b: Any, G: Any, convention: str) -> Any:
    """Seconds per denoising step of a batch of ``b`` on ``G`` GPUs with fit (k, h):
    ``paper`` k b / G + h, ``authors-scripts`` (k b + h) / G. Broadcasts."""
    return k * b / G + h if convention == "paper" else (k * b + h) / G


def shrinking_batch_latency(edge_steps: np.ndarray, latency: Any) -> np.ndarray:
    """Edge latency l_E of each of b users when the batch shrinks as users finish (the
    dynamic-batch latency model): ``edge_steps`` e_i = N - n_i of the users sharing one
    server, ``latency(r)`` its seconds per step at batch r (vectorised).

    With the e's sorted ascending, every step taken while r users still have steps left
    costs latency(r): the k-th smallest finishes after sum_{j<=k} (e_(j) - e_(j-1))
    latency(b - j + 1). Real-valued e are handled as a piecewise-constant integral.
    """
    e = np.maximum(edge_steps, 0.0)
    order = np.argsort(e, kind="stable")
    steps = np.diff(e[order], prepend=0.0)
    active = e.size - np.arange(e.size)
    out = np.empty(e.size)
    out[order] = np.cumsum(steps * latency(active))
    return out


# ---------------------------------------------------------------------------------------
# the rules of the fields every offloading-type instance holds (one home: the instance
# types and the generators check with these)
# ---------------------------------------------------------------------------------------
_MODEL_RULES: dict[str, Any] = {
    "N": lambda name, v: integer(name, v, low=1, high=STEPS_MAX),
    "N_hat": lambda name, v: integer(name, v, low=0, high=STEPS_MAX),
    "a_F": lambda name, v: real_scalar(name, v, low=0.0, strict=True),
    "b_F": lambda name, v: real_scalar(name, v),
    "K": lambda name, v: real_scalar(name, v, low=0.0, strict=True),
    "W_max_hz": lambda name, v: real_scalar(name, v, low=0.0, strict=True),
    "eta": lambda name, v: real_scalar(name, v, low=0.0, strict=True),
    "s_p_bits": lambda name, v: real_scalar(name, v, low=0.0),
    "s_m_bits": lambda name, v: real_scalar(name, v, low=0.0),
}


def checked_model(values: dict[str, Any]) -> dict[str, Any]:
    """The model parameters among ``values`` (N, N_hat, a_F, b_F, K, W_max_hz, eta,
    s_p_bits, s_m_bits, convention) checked in that order, then N_hat <= N; one-line
    ValidationErrors naming the field."""
    out = {name: rule(name, values[name]) for name, rule in _MODEL_RULES.items()
           if name in values}
    if "N" in out and "N_hat" in out and out["N_hat"] > out["N"]:
        raise ValidationError(f"N_hat: must be <= N ({out['N']}), got {out['N_hat']}")
    if "convention" in values:
        if values["convention"] not in CONVENTIONS:
            raise ValidationError(f"convention: must be one of {', '.join(CONVENTIONS)}, "
                                  f"got {values['convention']!r}")
        out["convention"] = values["convention"]
    return out

# The users' fields of an instance of the paper's model, in the order checked_users returns.
USER_FIELDS: tuple[str, ...] = ("k_user", "h_user", "alpha", "request_time")


def checked_users(k_user: Any, h_user: Any, alpha: Any,
                  request_time: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The users' fields (``users.k_s``, ``users.h_s``, ``users.alpha``,
    ``users.request_time_s`` in the files) as read-only arrays of one length >= 1."""
    k = np.asarray(k_user)
    if k.ndim != 1:
        raise ValidationError(f"users.k_s: expected a 1-D array, got shape {k.shape}")
    if k.size == 0:
        raise ValidationError("users: an instance needs at least one user, got 0")
    n = (k.size,)
    return (real_array("users.k_s", k_user, n, nonneg=True),
            real_array("users.h_s", h_user, n),
            real_array("users.alpha", alpha, n, nonneg=True),
            real_array("users.request_time_s", request_time, n, nonneg=True))


def check_local_latency(k_user: np.ndarray, h_user: np.ndarray) -> None:
    """Every user's local step latency k + h must be positive."""
    local = k_user + h_user
    if np.any(local <= 0):
        i = int(np.argmax(local <= 0))
        raise ValidationError(
            f"users.h_s: local step latency k_s + h_s of user {i} is {local[i]:g} s; "
            "must be > 0")


def check_requests(request_time: np.ndarray, K: float) -> None:
    """Every request falls within the period [0, K]."""
    late = request_time > K
    if np.any(late):
        i = int(np.argmax(late))
        raise ValidationError(
            f"users.request_time_s: user {i} requests at {request_time[i]:g} s, after "
            f"the period K = {K:g} s")


class PaperUsers:
    """What the instances of the paper's model share (offloading, multi): their users'
    arrays (``k_user``, ``h_user``, ``alpha``, ``request_time``) and model parameters
    (``MODEL_DEFAULTS``' names), checked by one set of rules, and the terms derived from
    them. A mixin of frozen dataclasses that declare those fields."""

    k_user: np.ndarray
    h_user: np.ndarray
    alpha: np.ndarray
    request_time: np.ndarray
    N: int
    a_F: float
    b_F: float
    K: float

    def _check_users(self) -> None:
        """Replace the users' fields by their checked read-only arrays (``checked_users``)."""
        checked = checked_users(self.k_user, self.h_user, self.alpha, self.request_time)
        for name, value in zip(USER_FIELDS, checked, strict=True):
            object.__setattr__(self, name, value)

    def _check_model(self, *extra: str) -> None:
        """Replace the model parameters (and ``extra`` ones, e.g. W_max_hz) by their
        checked values (``checked_model``)."""
        names = (*MODEL_DEFAULTS, *extra)
        for name, value in checked_model({f: getattr(self, f) for f in names}).items():
            object.__setattr__(self, name, value)

    @property
    def n_users(self) -> int:
        """Number of users |I|."""
        return int(self.k_user.size)

    @property
    def size(self) -> int:
        """The instance's size for scaling plots: the user count."""
        return self.n_users

    @property
    def local_step_latency(self) -> np.ndarray:
        """L_i(1) = k_i + h_i per user (s per denoising step)."""
        return self.k_user + self.h_user

    @property
    def round_trip(self) -> np.ndarray:
        """l_R = K - k_i per user (s)."""
        return self.K - self.request_time

    def denied_qoe(self) -> np.ndarray:
        """QoE of every user if denied: alpha F(N) - (l_R + N L_i(1)) (the paper's F)."""
        return (self.alpha * accuracy(self.N, self.a_F, self.b_F)
                - (self.round_trip + self.N * self.local_step_latency))
