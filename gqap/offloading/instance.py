"""The paper's offloading instance (MODEL.md section 2): one edge server, users who are
granted (and split their denoising steps) or run everything locally.

Arrays are stored as read-only float64 copies, so an instance can be shared by solvers
and worker processes without anyone changing it underneath the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from gqap import paper
from gqap.errors import ValidationError
from gqap.fields import STEPS_MAX, digest, integer, real_array, real_scalar
from gqap.paper import CONVENTIONS, Convention


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
    G: int = paper.G
    B_max: int = paper.B_MAX
    N: int = paper.N
    N_hat: int = paper.N_HAT
    a_F: float = paper.A_F
    b_F: float = paper.B_F
    K: float = paper.K
    W_max_hz: float = paper.W_MAX_HZ
    eta: float = paper.ETA
    s_p_bits: float = paper.S_P_BITS
    s_m_bits: float = paper.S_M_BITS
    convention: Convention = "paper"
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: str = field(default="offloading", init=False, repr=False)

    def __post_init__(self) -> None:
        k = np.asarray(self.k_user)
        if k.ndim != 1:
            raise ValidationError(f"users.k_s: expected a 1-D array, got shape {k.shape}")
        if k.size == 0:
            raise ValidationError("users: an instance needs at least one user, got 0")
        n = k.size
        set_ = object.__setattr__
        set_(self, "k_user", real_array("users.k_s", self.k_user, (n,), nonneg=True))
        set_(self, "h_user", real_array("users.h_s", self.h_user, (n,)))
        set_(self, "alpha", real_array("users.alpha", self.alpha, (n,), nonneg=True))
        set_(self, "request_time", real_array("users.request_time_s", self.request_time, (n,),
                                          nonneg=True))
        set_(self, "k_edge", real_scalar("edge.k_s", self.k_edge, low=0.0))
        set_(self, "h_edge", real_scalar("edge.h_s", self.h_edge))
        set_(self, "G", integer("G", self.G, low=1))
        set_(self, "B_max", integer("B_max", self.B_max, low=0))
        set_(self, "N", integer("N", self.N, low=1, high=STEPS_MAX))
        set_(self, "N_hat", integer("N_hat", self.N_hat, low=0, high=STEPS_MAX))
        set_(self, "a_F", real_scalar("a_F", self.a_F, low=0.0, strict=True))
        set_(self, "b_F", real_scalar("b_F", self.b_F))
        set_(self, "K", real_scalar("K", self.K, low=0.0, strict=True))
        set_(self, "W_max_hz", real_scalar("W_max_hz", self.W_max_hz, low=0.0, strict=True))
        set_(self, "eta", real_scalar("eta", self.eta, low=0.0, strict=True))
        set_(self, "s_p_bits", real_scalar("s_p_bits", self.s_p_bits, low=0.0))
        set_(self, "s_m_bits", real_scalar("s_m_bits", self.s_m_bits, low=0.0))
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
        out = paper.step_latency(self.k_edge, self.h_edge, np.asarray(b, dtype=np.float64),
                                 self.G, self.convention)
        return float(out) if out.ndim == 0 else out

    def transmission_latency(self, b: Any) -> Any:
        """l_T(b) = (s_p + s_m) * b / (eta * W_max): each granted user's share of the band."""
        b = np.asarray(b, dtype=np.float64)
        out = (self.s_p_bits + self.s_m_bits) * b / (self.eta * self.W_max_hz)
        return float(out) if out.ndim == 0 else out

    def pai(self, n: Any) -> Any:
        """Personalised accuracy index F(n) = 1 / (1 + exp(-a_F (n - b_F)))."""
        return paper.accuracy(n, self.a_F, self.b_F)

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
        return digest([b"offloading", json.dumps(self.params(), sort_keys=True).encode(),
                        *(np.ascontiguousarray(x).tobytes() for x in arrays)])

    def replace(self, **changes: Any) -> OffloadingInstance:
        """A validated copy with some fields changed (e.g. another G or convention)."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        kwargs.update(changes)
        return OffloadingInstance(**kwargs)
