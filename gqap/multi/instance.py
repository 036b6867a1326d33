"""The multi-cluster offloading instance (docs/MULTI.md): S edge pools, each with its own
cluster-wide model, GPU class, GPU count, batch limit and access link.

Arrays are stored as read-only copies (float64, or int64 for GPU counts and batch limits),
like the paper's family in ``gqap.offloading.instance``; all times are in seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from gqap import paper
from gqap.errors import ValidationError
from gqap.fields import digest, int_array, real_array
from gqap.offloading.instance import OffloadingInstance
from gqap.paper import Convention


@dataclass(frozen=True, eq=False)
class MultiInstance(paper.PaperUsers):
    """Multi-cluster offloading: users choose local execution or one of S edge sites.

    Per site s: step-latency fit (k_site[s], h_site[s]) of its GPU class, G[s] GPUs, at
    most B_max[s] granted users and an access link of W_hz[s] hertz. Per user i: local fit
    (k_user[i], h_user[i]), accuracy weight alpha[i] and request moment request_time[i] in
    [0, K]. shift_steps[i, s] >= 0 moves the accuracy curve of user i on site s by that
    many denoising steps. ``convention`` selects the site latency formula as in the paper's
    family: ``paper`` L_s(b) = k_s b / G_s + h_s, ``authors-scripts`` (k_s b + h_s) / G_s.
    """

    k_site: np.ndarray
    h_site: np.ndarray
    G: np.ndarray
    B_max: np.ndarray
    W_hz: np.ndarray
    k_user: np.ndarray
    h_user: np.ndarray
    alpha: np.ndarray
    request_time: np.ndarray
    shift_steps: np.ndarray
    N: int = paper.N
    N_hat: int = paper.N_HAT
    a_F: float = paper.A_F
    b_F: float = paper.B_F
    K: float = paper.K
    eta: float = paper.ETA
    s_p_bits: float = paper.S_P_BITS
    s_m_bits: float = paper.S_M_BITS
    convention: Convention = "paper"
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: str = field(default="multi", init=False, repr=False)

    def __post_init__(self) -> None:
        ks = np.asarray(self.k_site)
        if ks.ndim != 1:
            raise ValidationError(f"sites.k_s: expected a 1-D array, got shape {ks.shape}")
        if ks.size == 0:
            raise ValidationError("sites: an instance needs at least one site, got 0")
        S = ks.size
        set_ = object.__setattr__
        set_(self, "k_site", real_array("sites.k_s", self.k_site, (S,), nonneg=True))
        set_(self, "h_site", real_array("sites.h_s", self.h_site, (S,)))
        set_(self, "G", int_array("sites.G", self.G, (S,), low=1))
        set_(self, "B_max", int_array("sites.B_max", self.B_max, (S,), low=0))
        set_(self, "W_hz", real_array("sites.W_hz", self.W_hz, (S,)))
        if np.any(self.W_hz <= 0):
            s = int(np.argmax(self.W_hz <= 0))
            raise ValidationError(f"sites.W_hz: must be > 0 (site {s} has {self.W_hz[s]:g})")
        self._check_users()
        set_(self, "shift_steps", real_array("shift_steps", self.shift_steps,
                                             (self.k_user.size, S), nonneg=True))
        self._check_model()
        if not isinstance(self.name, str):
            raise ValidationError(f"name: must be a string, got {self.name!r}")
        paper.check_local_latency(self.k_user, self.h_user)
        one = self.site_step_latency(np.arange(S), 1)
        if np.any(one <= 0):
            s = int(np.argmax(one <= 0))
            raise ValidationError(
                f"sites.h_s: step latency of site {s} at batch 1 is {one[s]:g} s "
                f"(G = {self.G[s]}, {self.convention} convention); must be > 0")
        paper.check_requests(self.request_time, self.K)

    # ---- sizes (n_users, size: PaperUsers) -----------------------------------------------
    @property
    def n_sites(self) -> int:
        """Number of edge sites S."""
        return int(self.k_site.size)

    @property
    def max_granted(self) -> np.ndarray:
        """The largest feasible count per site, min(I, B_max[s]) (int array of length S)."""
        return np.minimum(self.B_max, self.n_users)

    # ---- model terms (docs/MULTI.md; local_step_latency, round_trip: PaperUsers) ----------
    def site_step_latency(self, s: Any, b: Any) -> Any:
        """L_s(b) in seconds per step for site(s) ``s`` at count(s) ``b``; broadcasts."""
        s = np.asarray(s, dtype=np.int64)
        out = paper.step_latency(self.k_site[s], self.h_site[s],
                                 np.asarray(b, dtype=np.float64), self.G[s], self.convention)
        return float(out) if np.ndim(out) == 0 else out

    def transmission_latency(self, s: Any, b: Any) -> Any:
        """l_T = (s_p + s_m) b / (eta W_s): a granted user's upload time on site(s) ``s``."""
        s = np.asarray(s, dtype=np.int64)
        b = np.asarray(b, dtype=np.float64)
        out = (self.s_p_bits + self.s_m_bits) * b / (self.eta * self.W_hz[s])
        return float(out) if np.ndim(out) == 0 else out

    def pai_shifted(self, n: Any, shift: Any = 0.0) -> Any:
        """F(n; delta) = 1 / (1 + exp(-a_F (n - b_F - delta))); broadcasts n with delta.

        ``shift`` 0 is the paper's F, the PAI of a user who runs every step locally.
        """
        return paper.accuracy(n, self.a_F, self.b_F, shift)

    def pai(self, i: Any, s: Any, n: Any) -> Any:
        """F_is(n): PAI of user(s) ``i`` granted on site(s) ``s`` with split ``n``; broadcasts."""
        return self.pai_shifted(n, self.shift_steps[np.asarray(i), np.asarray(s)])

    # ---- identity ------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """Scalar parameters as plain Python values (the file format's ``params`` block)."""
        return {"N": self.N, "N_hat": self.N_hat, "a_F": self.a_F, "b_F": self.b_F,
                "K": self.K, "eta": self.eta, "s_p_bits": self.s_p_bits,
                "s_m_bits": self.s_m_bits, "convention": self.convention}

    def content_hash(self) -> str:
        """SHA-256 of the numerical content (name and provenance excluded)."""
        arrays = (self.k_site, self.h_site, self.G, self.B_max, self.W_hz, self.k_user,
                  self.h_user, self.alpha, self.request_time, self.shift_steps)
        return digest([b"multi", json.dumps(self.params(), sort_keys=True).encode(),
                        *(np.ascontiguousarray(x).tobytes() for x in arrays)])

    def replace(self, **changes: Any) -> MultiInstance:
        """A validated copy with some fields changed (e.g. another convention or shifts)."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        kwargs.update(changes)
        return MultiInstance(**kwargs)

    def to_offloading(self) -> OffloadingInstance:
        """The paper's instance with the same numbers; needs S = 1 and every shift 0."""
        if self.n_sites != 1:
            raise ValidationError(
                f"sites: only a one-site instance is a paper instance, this one has "
                f"{self.n_sites}")
        if np.any(self.shift_steps != 0):
            raise ValidationError("shift_steps: a paper instance has no accuracy shifts; "
                                  "this one has non-zero shifts")
        return OffloadingInstance(
            k_user=self.k_user, h_user=self.h_user, alpha=self.alpha,
            request_time=self.request_time, k_edge=float(self.k_site[0]),
            h_edge=float(self.h_site[0]), G=int(self.G[0]), B_max=int(self.B_max[0]),
            N=self.N, N_hat=self.N_hat, a_F=self.a_F, b_F=self.b_F, K=self.K,
            W_max_hz=float(self.W_hz[0]), eta=self.eta, s_p_bits=self.s_p_bits,
            s_m_bits=self.s_m_bits, convention=self.convention, name=self.name,
            provenance={"converted_from": "multi", "source_hash": self.content_hash(),
                        "source": self.provenance})


def from_offloading(inst: OffloadingInstance) -> MultiInstance:
    """The paper's instance as a one-site multi instance with zero shifts (same numbers)."""
    return MultiInstance(
        k_site=[inst.k_edge], h_site=[inst.h_edge], G=[inst.G], B_max=[inst.B_max],
        W_hz=[inst.W_max_hz], k_user=inst.k_user, h_user=inst.h_user, alpha=inst.alpha,
        request_time=inst.request_time, shift_steps=np.zeros((inst.n_users, 1)), N=inst.N,
        N_hat=inst.N_hat, a_F=inst.a_F, b_F=inst.b_F, K=inst.K, eta=inst.eta,
        s_p_bits=inst.s_p_bits, s_m_bits=inst.s_m_bits, convention=inst.convention,
        name=inst.name,
        provenance={"converted_from": "offloading", "source_hash": inst.content_hash(),
                    "source": inst.provenance})
