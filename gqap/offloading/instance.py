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
from gqap.fields import digest, integer, real_scalar
from gqap.paper import Convention


@dataclass(frozen=True, eq=False)
class OffloadingInstance(paper.PaperUsers):
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
        set_ = object.__setattr__
        self._check_users()
        set_(self, "k_edge", real_scalar("edge.k_s", self.k_edge, low=0.0))
        set_(self, "h_edge", real_scalar("edge.h_s", self.h_edge))
        set_(self, "G", integer("G", self.G, low=1))
        set_(self, "B_max", integer("B_max", self.B_max, low=0))
        self._check_model("W_max_hz")
        paper.check_local_latency(self.k_user, self.h_user)
        if self.edge_step_latency(1) <= 0:
            raise ValidationError("edge.h_s: edge step latency at batch 1 must be > 0")
        paper.check_requests(self.request_time, self.K)

    # ---- sizes (n_users, size: PaperUsers) -----------------------------------------------
    @property
    def max_granted(self) -> int:
        """The largest feasible number of granted users, min(|I|, B_max)."""
        return min(self.n_users, self.B_max)

    # ---- model terms (MODEL.md section 2; local_step_latency, round_trip: PaperUsers) ----
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
