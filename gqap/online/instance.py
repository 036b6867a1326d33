"""The online scenario (docs/ONLINE.md): periods back to back on one pool of G GPUs.

``OnlineHeader`` is what a policy may know before the first period: the paper's parameters,
the pool (G, B_max), the decision budget, the horizon and the arrival distribution
(``ArrivalProfile``). ``OnlineInstance`` adds the realised users of every period, stored
flat (one array per field, ``offsets`` marking where each period starts), read-only.

Every per-user and per-parameter rule is the paper family's: the header validates itself
through an ``OffloadingInstance`` of one placeholder user, and the users of each period go
through ``OffloadingInstance`` as well (``OnlineHeader.offloading``), so the rules have one
home (``gqap.instances``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from gqap import paper
from gqap.errors import ValidationError
from gqap.fields import COUNT_MAX, digest, integer, real_scalar
from gqap.offloading.instance import OffloadingInstance
from gqap.paper import Convention, step_latency

PROFILES: tuple[str, ...] = ("constant", "diurnal", "burst")
BUDGET_SHARE = 0.1  # default decision budget per period: 0.1 K
MAX_PERIODS = 10**6


@dataclass(frozen=True)
class ArrivalProfile:
    """How many users each period brings, |I_t| ~ Poisson(lambda_t), and how they are drawn.

    ``constant``: lambda_t = rate; ``diurnal``: rate (1 + amplitude sin(2 pi t / cycle)),
    floored at 0; ``burst``: rate, times ``multiplier`` for start <= t < start + width.
    Users are drawn as in the paper's generator with the pool's G (``b_hat`` and ``kappa``
    of its alpha rule).
    """

    kind: str = "constant"
    rate: float = 10.0
    amplitude: float = 0.5
    cycle: int = 24
    start: int = 0
    width: int = 10
    multiplier: float = 3.0
    b_hat: int = 20
    kappa: float = 0.05

    def __post_init__(self) -> None:
        if self.kind not in PROFILES:
            raise ValidationError(f"arrivals.profile: must be one of {', '.join(PROFILES)}, "
                                  f"got {self.kind!r}")
        set_ = object.__setattr__
        set_(self, "rate", real_scalar("arrivals.rate", self.rate, low=0.0))
        set_(self, "amplitude", real_scalar("arrivals.amplitude", self.amplitude, low=0.0))
        set_(self, "cycle", integer("arrivals.cycle", self.cycle, low=1))
        set_(self, "start", integer("arrivals.start", self.start, low=0))
        set_(self, "width", integer("arrivals.width", self.width, low=1))
        set_(self, "multiplier", real_scalar("arrivals.multiplier", self.multiplier, low=0.0))
        set_(self, "b_hat", integer("arrivals.b_hat", self.b_hat, low=1))
        set_(self, "kappa", real_scalar("arrivals.kappa", self.kappa, low=0.0, strict=True))
        if self.rate > 1e6:
            raise ValidationError(f"arrivals.rate: at most 1e6 users per period, got "
                                  f"{self.rate:g}")

    def rate_at(self, t: Any) -> Any:
        """lambda_t for period(s) ``t`` (scalar or array)."""
        t = np.asarray(t, dtype=np.float64)
        if self.kind == "constant":
            out = np.full(t.shape, self.rate)
        elif self.kind == "diurnal":
            out = np.maximum(0.0, self.rate * (1.0 + self.amplitude
                                               * np.sin(2.0 * np.pi * t / self.cycle)))
        else:
            inside = (t >= self.start) & (t < self.start + self.width)
            out = np.where(inside, self.rate * self.multiplier, self.rate)
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict[str, Any]:
        """The file format's ``arrivals`` block: the profile and only its own parameters."""
        out: dict[str, Any] = {"profile": self.kind, "rate": self.rate}
        if self.kind == "diurnal":
            out.update(amplitude=self.amplitude, cycle=self.cycle)
        elif self.kind == "burst":
            out.update(start=self.start, width=self.width, multiplier=self.multiplier)
        out.update(b_hat=self.b_hat, kappa=self.kappa)
        return out


@dataclass(frozen=True, eq=False)
class PeriodRequests:
    """The users of one period as a policy sees them at its decision moment (seconds)."""

    t: int
    k_user: np.ndarray
    h_user: np.ndarray
    alpha: np.ndarray
    request_time: np.ndarray

    @property
    def n_users(self) -> int:
        """|I_t|."""
        return int(self.k_user.size)


@dataclass(frozen=True, eq=False)
class OnlineHeader:
    """Everything about a scenario but its realised users: what ``reset`` hands a policy.

    Edge latency L_e(b, g) = k_e b / g + h_e (``paper``) or (k_e b + h_e) / g
    (``authors-scripts``) for a batch of b users on g GPUs; ``budget_s`` is the decision
    budget per period (default 0.1 K).
    """

    k_edge: float
    h_edge: float
    n_periods: int
    arrivals: ArrivalProfile = field(default_factory=ArrivalProfile)
    # The paper's defaults (gqap.paper), as in the offloading and multi instances.
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
    budget_s: float | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "n_periods", integer("periods", self.n_periods, low=1, high=MAX_PERIODS))
        if not isinstance(self.arrivals, ArrivalProfile):
            raise ValidationError("arrivals: expected an ArrivalProfile")
        # The paper family's rules for every parameter, through one placeholder user.
        template = OffloadingInstance(
            k_user=[0.0], h_user=[1.0], alpha=[0.0], request_time=[0.0], k_edge=self.k_edge,
            h_edge=self.h_edge, G=self.G, B_max=self.B_max, N=self.N, N_hat=self.N_hat,
            a_F=self.a_F, b_F=self.b_F, K=self.K, W_max_hz=self.W_max_hz, eta=self.eta,
            s_p_bits=self.s_p_bits, s_m_bits=self.s_m_bits, convention=self.convention)
        for f in fields(self):
            if hasattr(template, f.name):
                set_(self, f.name, getattr(template, f.name))
        budget = BUDGET_SHARE * self.K if self.budget_s is None else self.budget_s
        set_(self, "budget_s", real_scalar("decision_budget_s", budget, low=0.0, strict=True))
        set_(self, "_template", template)

    # ---- the model's terms ---------------------------------------------------------------
    def edge_latency(self, b: Any, g: Any) -> Any:
        """L_e(b, g) in seconds per step for a batch of b users on g GPUs; broadcasts."""
        out = step_latency(self.k_edge, self.h_edge, np.asarray(b, dtype=np.float64),
                            np.asarray(g, dtype=np.float64), self.convention)
        return float(out) if np.ndim(out) == 0 else out

    def offloading(self, users: PeriodRequests, g: int | None = None) -> OffloadingInstance:
        """The paper's instance of one period's users on g GPUs (default: the pool's G); the
        value of a period's decision is that instance's objective."""
        return self._template.replace(  # type: ignore[attr-defined]
            k_user=users.k_user, h_user=users.h_user, alpha=users.alpha,
            request_time=users.request_time, G=self.G if g is None else g,
            name=f"period-{users.t}")

    def params(self) -> dict[str, Any]:
        """The file format's ``params`` block."""
        out = self._template.params()  # type: ignore[attr-defined]
        out["decision_budget_s"] = self.budget_s
        return out

    def replace(self, **changes: Any) -> OnlineHeader:
        """A validated copy with some fields changed."""
        kwargs = {f.name: getattr(self, f.name) for f in fields(self)}
        kwargs.update(changes)
        return OnlineHeader(**kwargs)


@dataclass(frozen=True, eq=False)
class OnlineInstance:
    """A scenario: the header and the users of periods 0..T-1, flat.

    Users of period t are the entries ``offsets[t]:offsets[t + 1]`` of ``k_user``,
    ``h_user``, ``alpha`` and ``request_time`` (request moments within the period, in
    [0, K]). An empty period has no entries.
    """

    header: OnlineHeader
    k_user: np.ndarray
    h_user: np.ndarray
    alpha: np.ndarray
    request_time: np.ndarray
    offsets: np.ndarray
    name: str = ""
    provenance: dict[str, Any] | None = field(default=None, compare=False)

    family: str = field(default="online", init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.header, OnlineHeader):
            raise ValidationError("header: expected an OnlineHeader")
        T = self.header.n_periods
        off = np.asarray(self.offsets)
        if off.shape != (T + 1,):
            raise ValidationError(f"periods: expected {T + 1} period offsets, got shape "
                                  f"{off.shape}")
        if off.dtype.kind not in "iu" and (off.dtype.kind != "f"
                                           or not np.all(off == np.round(off))):
            raise ValidationError("periods: offsets must be whole numbers")
        off = off.astype(np.int64)
        if off[0] != 0 or np.any(np.diff(off) < 0) or off[-1] > COUNT_MAX:
            raise ValidationError("periods: offsets must start at 0 and never decrease")
        n = int(off[-1])
        arrays = {}
        for key in ("k_user", "h_user", "alpha", "request_time"):
            value = getattr(self, key)
            try:
                a = np.array(value, dtype=np.float64)
            except (TypeError, ValueError, OverflowError) as exc:
                raise ValidationError(f"users.{key}: not a numeric array ({exc})") from None
            if a.shape != (n,):
                raise ValidationError(f"users.{key}: expected {n} values (the periods hold "
                                      f"{n} users), got shape {a.shape}")
            arrays[key] = a
        # Each period's users under the paper family's rules, named by period.
        for t in range(T):
            if off[t + 1] > off[t]:
                sl = slice(int(off[t]), int(off[t + 1]))
                try:
                    self.header.offloading(PeriodRequests(t, *(arrays[k][sl] for k in (
                        "k_user", "h_user", "alpha", "request_time"))))
                except ValidationError as exc:
                    raise ValidationError(f"periods[{t}].{exc}") from None
        for key, a in arrays.items():
            a.flags.writeable = False
            object.__setattr__(self, key, a)
        off.flags.writeable = False
        object.__setattr__(self, "offsets", off)
        if not isinstance(self.name, str):
            raise ValidationError(f"name: must be a string, got {self.name!r}")

    # ---- sizes ---------------------------------------------------------------------------
    @property
    def n_periods(self) -> int:
        """T."""
        return self.header.n_periods

    @property
    def n_users(self) -> int:
        """Users over all periods."""
        return int(self.offsets[-1])

    @property
    def size(self) -> int:
        """The instance's size for scaling plots and per-user values: all users."""
        return self.n_users

    @property
    def G(self) -> int:
        """GPUs in the pool."""
        return self.header.G

    def period_sizes(self) -> np.ndarray:
        """|I_t| for t = 0..T-1."""
        return np.diff(self.offsets)

    def period(self, t: int) -> PeriodRequests:
        """The users of period t (read-only views)."""
        if not 0 <= t < self.n_periods:
            raise ValidationError(f"period: {t} is outside 0..{self.n_periods - 1}")
        sl = slice(int(self.offsets[t]), int(self.offsets[t + 1]))
        return PeriodRequests(t, self.k_user[sl], self.h_user[sl], self.alpha[sl],
                              self.request_time[sl])

    def periods(self) -> list[PeriodRequests]:
        """Every period's users, in order."""
        return [self.period(t) for t in range(self.n_periods)]

    def all_users(self, g: int | None = None) -> OffloadingInstance | None:
        """Every user of every period as one paper instance on g GPUs (default G; cached;
        None without users): what the evaluator scores a whole run with at once."""
        cache = self.__dict__.setdefault("_all_users", {})
        key = self.G if g is None else int(g)
        if key not in cache:
            cache[key] = None if self.n_users == 0 else self.header.offloading(
                PeriodRequests(-1, self.k_user, self.h_user, self.alpha, self.request_time),
                key)
        return cache[key]

    # ---- identity ------------------------------------------------------------------------
    def content_hash(self) -> str:
        """SHA-256 of the numerical content: parameters, arrival profile, every user."""
        head = json.dumps({"params": self.header.params(), "periods": self.n_periods,
                           "arrivals": self.header.arrivals.to_dict()}, sort_keys=True)
        return digest([b"online", head.encode(), self.offsets.tobytes(),
                        *(np.ascontiguousarray(x).tobytes() for x in (
                            self.k_user, self.h_user, self.alpha, self.request_time))])


def from_periods(header: OnlineHeader, periods: list[dict[str, Any]], name: str = "",
                 provenance: dict[str, Any] | None = None) -> OnlineInstance:
    """An instance from per-period user tables (``k_s``, ``h_s``, ``alpha``,
    ``request_time_s`` lists, as in the file format)."""
    if len(periods) != header.n_periods:
        raise ValidationError(f"periods: the header says {header.n_periods}, got "
                              f"{len(periods)} entries")
    cols: dict[str, list[Any]] = {k: [] for k in ("k_s", "h_s", "alpha", "request_time_s")}
    offsets = [0]
    for t, users in enumerate(periods):
        where = f"periods[{t}].users"
        if not isinstance(users, dict):
            raise ValidationError(f"{where}: must be a table of k_s, h_s, alpha, request_time_s")
        lengths = set()
        for key, col in cols.items():
            if key not in users:
                raise ValidationError(f"{where}: missing field {key!r}")
            values = users[key]
            if not isinstance(values, list | tuple):
                raise ValidationError(f"{where}.{key}: must be a list of numbers")
            for i, x in enumerate(values):
                if isinstance(x, bool) or not isinstance(x, int | float | np.number):
                    raise ValidationError(f"{where}.{key}[{i}]: must be a number, got {x!r:.40}")
            col.extend(values)
            lengths.add(len(values))
        if len(lengths) != 1:
            raise ValidationError(f"{where}: k_s, h_s, alpha and request_time_s must have one "
                                  f"length, got {sorted(lengths)}")
        offsets.append(offsets[-1] + lengths.pop())
    return OnlineInstance(header, cols["k_s"], cols["h_s"], cols["alpha"],
                          cols["request_time_s"], np.asarray(offsets, dtype=np.int64),
                          name=name, provenance=provenance)
