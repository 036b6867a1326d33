"""Training configurations: TOML files (tomllib) read into frozen, validated dataclasses.

Every table and key is checked: unknown keys and out-of-range values raise a one-line
GQAPError naming the key. Defaults are the paper's hyper-parameters (Section VI-B2), so a
config file only needs to state what it changes.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError
from gqap.package_data import package_dir
from gqap.parsing import dataclass_from_dict

SCOPES = ("general", "gpu", "specific", "multi", "online")
NETWORKS = ("mlp", "set", "multi", "online")
# Pairs [low, high] of integers in the scope table (a single integer means low = high).
_RANGES = ("users", "G", "B_max", "sites", "eval_users", "eval_sites")
SELECT = ("sum_gap", "mean_gap")


@dataclass(frozen=True)
class RunConfig:
    """Length, seed and bookkeeping of one training run; ``init`` optionally names a
    checkpoint (.pt with its sidecar) whose weights start the run (fine-tuning).

    Validation: ``eval_instances`` drawn from the scope with uniform user counts; with
    ``eval_seed`` >= 0 instance i comes from ``numpy.random.default_rng(eval_seed + i)``
    (explicit seeds, kept disjoint from the shipped instance sets), otherwise from a stream
    spawned from ``seed``. ``select`` is the validation metric that picks ``best``:
    ``sum_gap`` sum(opt - value) / sum|opt| or ``mean_gap`` the mean relative gap."""

    seed: int = 0
    episodes: int = 1000
    threads: int = 1
    eval_every: int = 500
    eval_instances: int = 100
    eval_seed: int = -1
    select: str = "sum_gap"
    snapshot_every: int = 2000
    init: str = ""

    def __post_init__(self) -> None:
        _positive(self, "episodes", "threads", "eval_every", "snapshot_every")
        _nonnegative(self, "seed", "eval_instances")
        if self.eval_seed < -1:
            raise ValueError(f"eval_seed: must be >= 0 (or -1: spawned from seed), "
                             f"got {self.eval_seed}")
        if self.select not in SELECT:
            raise ValueError(f"select: must be one of {', '.join(SELECT)}, got {self.select!r}")


@dataclass(frozen=True)
class ScopeConfig:
    """Where episodes come from: ``general`` (random G, users, instance), ``gpu`` (fixed G)
    or ``specific`` (one instance file). ``users_power`` p > 0 draws the user count n with
    probability proportional to n^-p instead of uniformly (p = 1: every count gives the
    same number of transitions); validation sets always draw n uniformly.

    ``multi``: the multi-cluster family (gqap.multi.generate_multi): every episode draws the
    user count from ``users``, the site count from ``sites``, each site's batch limit from
    ``B_max`` and the instance with task shifts up to ``delta_max`` steps; validation
    instances draw users and sites from ``eval_users`` / ``eval_sites`` (small enough for
    an exact reference).

    ``online``: the online family (gqap.online): scenario k of the training pool
    (``train_scenarios`` of them) comes from seed ``train_seed`` + k, which draws G
    uniformly from ``G``, the arrival rate uniformly from ``rate`` and then the scenario
    (constant profile, ``periods`` periods); validation scenarios the same way from
    ``run.eval_seed`` + i."""

    kind: str = "general"
    users: tuple[int, int] = (4, 20)
    users_power: float = 0.0
    G: tuple[int, int] = (2, 16)
    gpu_G: int = 8
    B_max: tuple[int, int] = (18, 18)
    instance: str = ""
    sites: tuple[int, int] = (1, 8)
    delta_max: float = 40.0
    eval_users: tuple[int, int] = (4, 30)
    eval_sites: tuple[int, int] = (1, 3)
    rate: tuple[float, float] = (2.0, 16.0)
    periods: int = 120
    train_seed: int = 3000
    train_scenarios: int = 1000

    def __post_init__(self) -> None:
        if self.kind not in SCOPES:
            raise ValueError(f"scope.kind: must be one of {', '.join(SCOPES)}, got {self.kind!r}")
        for name in _RANGES:
            lo, hi = getattr(self, name)
            low = 0 if name == "B_max" else 1
            if not (low <= lo <= hi):
                raise ValueError(f"scope.{name}: need {low} <= low <= high, got [{lo}, {hi}]")
        if self.gpu_G < 1:
            raise ValueError(f"scope.gpu_G: must be >= 1, got {self.gpu_G}")
        if not self.users_power >= 0:
            raise ValueError(f"scope.users_power: must be >= 0, got {self.users_power}")
        if not 0.0 <= self.delta_max < float("inf"):
            raise ValueError(f"scope.delta_max: must be a finite number >= 0, "
                             f"got {self.delta_max}")
        lo, hi = self.rate
        if not 0.0 < lo <= hi < float("inf"):
            raise ValueError(f"scope.rate: need 0 < low <= high, got [{lo}, {hi}]")
        if self.periods < 1 or self.train_scenarios < 1 or self.train_seed < 0:
            raise ValueError("scope.periods and scope.train_scenarios must be >= 1, "
                             "scope.train_seed >= 0")
        if self.kind == "specific" and not self.instance:
            raise ValueError("scope.instance: the specific scope needs an instance file")

    def describe(self) -> dict[str, Any]:
        """The keys that matter for this kind, as plain data (checkpoint sidecars)."""
        if self.kind == "specific":
            return {"kind": self.kind, "instance": self.instance}
        if self.kind == "multi":
            return {"kind": self.kind, "users": list(self.users), "sites": list(self.sites),
                    "B_max": list(self.B_max), "delta_max": self.delta_max,
                    "eval_users": list(self.eval_users), "eval_sites": list(self.eval_sites)}
        if self.kind == "online":
            return {"kind": self.kind, "G": list(self.G), "rate": list(self.rate),
                    "periods": self.periods, "profile": "constant",
                    "train_seeds": [self.train_seed, self.train_seed + self.train_scenarios - 1]}
        out: dict[str, Any] = {"kind": self.kind, "users": list(self.users),
                               "B_max": list(self.B_max)}
        if self.users_power:
            out["users_power"] = self.users_power
        if self.kind == "general":
            out["G"] = list(self.G)
        else:
            out["gpu_G"] = self.gpu_G
        return out


@dataclass(frozen=True)
class FeatureScales:
    """Fixed divisors that bring every state feature to order one (see env.py; ``gain``,
    ``shift`` and ``upload_s`` are used by the multi-cluster MDP only, multi_features.py)."""

    alpha: float = 50.0
    step_s: float = 0.1
    edge_s: float = 0.01
    count: float = 20.0
    gain: float = 10.0
    shift: float = 40.0
    upload_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("alpha", "step_s", "edge_s", "count", "gain", "shift", "upload_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"features.{name}: must be > 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class EnvConfig:
    """MDP settings: padding, reward scale (paper: 0.1) and split-point mode; ``max_sites``
    bounds the multi-cluster MDP's action space (deny + one action per site);
    ``price_levels`` are the online MDP's actions (a price per GPU and occupied decision
    moment, online_env.py)."""

    max_users: int = 20
    reward_scale: float = 0.1
    split: str = "integer"
    max_sites: int = 8
    price_levels: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0,
                                       3.5, 4.0, 5.0)

    def __post_init__(self) -> None:
        _positive(self, "max_users", "reward_scale", "max_sites")
        levels = self.price_levels
        if len(levels) < 2 or not all(0.0 <= x < float("inf") for x in levels) or \
                list(levels) != sorted(set(levels)):
            raise ValueError(f"env.price_levels: need at least two distinct finite prices "
                             f">= 0 in increasing order, got {list(levels)}")
        if self.split not in ("integer", "real"):
            raise ValueError(f"env.split: must be 'integer' or 'real', got {self.split!r}")


@dataclass(frozen=True)
class NetworkConfig:
    """``mlp``: the paper's flat network (embedding, hidden layers, two outputs);
    ``set``: shared per-user encoder with comparison pooling (any user count);
    ``multi``: shared (user, site) pair encoder, pooled over users and over sites (any user
    and site count, multi-cluster family; multi_network.py).
    ``dueling`` (not in the paper): the last layer gives V and two advantages."""

    kind: str = "mlp"
    embed_dim: int = 3
    hidden: tuple[int, ...] = (256, 256, 256)
    encoder: tuple[int, ...] = (64, 64)
    channels: int = 8
    dueling: bool = False

    def __post_init__(self) -> None:
        if self.kind not in NETWORKS:
            raise ValueError(f"network.kind: must be one of {', '.join(NETWORKS)}, "
                             f"got {self.kind!r}")
        _positive(self, "embed_dim", "channels")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"network.hidden: need at least one positive width, "
                             f"got {list(self.hidden)}")
        if not self.encoder or min(self.encoder) < 1:
            raise ValueError(f"network.encoder: need at least one positive width, "
                             f"got {list(self.encoder)}")


@dataclass(frozen=True)
class DQNConfig:
    """Q-learning settings (paper: gamma 1, lr 1e-4, batch 128, target every 2000 steps,
    memory 400,000, terminal : non-terminal samples 1 : 7, one-step targets). ``double``,
    ``n_step`` > 1 and ``lr_end`` > 0 (learning rate decayed linearly from ``lr`` to it over
    the run; 0 keeps it constant) go beyond the paper."""

    gamma: float = 1.0
    lr: float = 1e-4
    lr_end: float = 0.0
    batch_size: int = 128
    target_update: int = 2000
    capacity: int = 400_000
    terminal_fraction: float = 0.125
    grad_clip: float = 10.0
    learning_starts: int = 1000
    train_every: int = 1
    double: bool = False
    n_step: int = 1

    def __post_init__(self) -> None:
        _positive(self, "lr", "batch_size", "target_update", "capacity", "grad_clip",
                  "train_every", "n_step")
        _nonnegative(self, "learning_starts", "lr_end")
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"dqn.gamma: must lie in [0, 1], got {self.gamma}")
        if not 0.0 < self.terminal_fraction < 1.0:
            raise ValueError(f"dqn.terminal_fraction: must lie in (0, 1), "
                             f"got {self.terminal_fraction}")

    @property
    def terminal_batch(self) -> int:
        """Terminal transitions per mini-batch (16 of 128 for the paper's 1 : 7)."""
        return max(1, round(self.batch_size * self.terminal_fraction))


@dataclass(frozen=True)
class PERConfig:
    """Prioritised replay (paper: priority exponent 0.7, IS weight 0.3, offset 2e-5)."""

    alpha: float = 0.7
    beta_start: float = 0.3
    beta_end: float = 1.0
    offset: float = 2e-5

    def __post_init__(self) -> None:
        _nonnegative(self, "alpha", "beta_start", "beta_end")
        _positive(self, "offset")


@dataclass(frozen=True)
class ExploreConfig:
    """Hybrid epsilon-greedy (0.5 -> 0.001) and Boltzmann (5 -> 0.01) exploration, both
    decayed linearly over the first ``decay_fraction`` of the episodes."""

    eps_start: float = 0.5
    eps_end: float = 0.001
    temp_start: float = 5.0
    temp_end: float = 0.01
    decay_fraction: float = 0.8

    def __post_init__(self) -> None:
        for name in ("eps_start", "eps_end"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"explore.{name}: must lie in [0, 1]")
        _positive(self, "temp_start", "temp_end", "decay_fraction")


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run."""

    run: RunConfig = field(default_factory=RunConfig)
    scope: ScopeConfig = field(default_factory=ScopeConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    features: FeatureScales = field(default_factory=FeatureScales)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    dqn: DQNConfig = field(default_factory=DQNConfig)
    per: PERConfig = field(default_factory=PERConfig)
    explore: ExploreConfig = field(default_factory=ExploreConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dictionary (tuples as lists); ``from_dict`` inverts it."""
        return _plain(dataclasses.asdict(self))

    def replace(self, **tables: dict[str, Any]) -> TrainConfig:
        """A validated copy with some keys of some tables changed."""
        data = self.to_dict()
        for table, changes in tables.items():
            data[table].update(changes)
        return config_from_dict(data)


_CLASSES: dict[str, type] = {"run": RunConfig, "scope": ScopeConfig, "env": EnvConfig,
                             "features": FeatureScales, "network": NetworkConfig,
                             "dqn": DQNConfig, "per": PERConfig, "explore": ExploreConfig}


def config_from_dict(data: dict[str, Any], where: str = "config") -> TrainConfig:
    """Build a TrainConfig from nested tables; unknown tables or keys are errors."""
    if not isinstance(data, dict):
        raise GQAPError(f"{where}: expected a table of tables")
    unknown = set(data) - set(_CLASSES)
    if unknown:
        raise GQAPError(f"{where}: unknown table(s) {', '.join(sorted(unknown))} "
                        f"(known: {', '.join(_CLASSES)})")
    parts = {}
    for table, cls in _CLASSES.items():
        values = data.get(table, {})
        if not isinstance(values, dict):
            raise GQAPError(f"{where}: [{table}] must be a table")
        parts[table] = _build(cls, values, f"{where}: [{table}]")
    return TrainConfig(**parts)


def config_dir() -> Path:
    """The folder of the shipped training configs."""
    return package_dir("gqap.solvers.dqn") / "configs"


def resolve_config(path: str | Path) -> Path:
    """A config file: ``path`` itself, else the shipped config of that name ('smoke')."""
    p = Path(path)
    if p.exists() or p.parent != Path("."):
        return p
    shipped = config_dir() / (p.name if p.suffix == ".toml" else f"{p.name}.toml")
    if shipped.exists():
        return shipped
    names = ", ".join(sorted(c.stem for c in config_dir().glob("*.toml")))
    raise GQAPError(f"config: no such file {path} (shipped configs: {names})")


def load_config(path: str | Path) -> TrainConfig:
    """Read and validate a TOML training config (a file, or a shipped config's name)."""
    path = resolve_config(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise GQAPError(f"config: no such file {path}") from None
    except OSError as exc:
        raise GQAPError(f"config: cannot read {path} ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise GQAPError(f"config: {path} is not valid TOML ({exc})") from None
    return config_from_dict(data, str(path))


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    return dataclass_from_dict(cls, values, where, convert=_ranges)


def _ranges(key: str, value: Any) -> Any:
    """A [low, high] range key given as one integer means low = high."""
    if key in _RANGES:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value, value)  # a single number means a fixed value
        if isinstance(value, list) and len(value) != 2:
            raise ValueError(f"{key} must be [low, high] or one integer, got {value!r}")
    return value


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def _positive(obj: Any, *names: str) -> None:
    for name in names:
        if not getattr(obj, name) > 0:
            raise ValueError(f"{name}: must be > 0, got {getattr(obj, name)!r}")


def _nonnegative(obj: Any, *names: str) -> None:
    for name in names:
        if not getattr(obj, name) >= 0:
            raise ValueError(f"{name}: must be >= 0, got {getattr(obj, name)!r}")


def near(path: str, base_dir: str | Path | None) -> str:
    """``path`` as given if it exists, else relative to ``base_dir`` (the config's folder)."""
    if Path(path).exists() or base_dir is None or not (Path(base_dir) / path).exists():
        return path
    return str(Path(base_dir) / path)
