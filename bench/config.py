"""Benchmark configurations: a TOML file (or the quick command-line flags) read into plain,
validated dataclasses. Unknown keys are rejected with a message naming the key and file.

A configuration names solvers (each with an optional label, options, time limit, seeds,
size range and instance filter) and instance sources (a shipped or on-the-fly instance set,
files, or seeded generation of any family); ``bench.grid`` expands it into runs. Every
table is read by ``gqap.parsing.dataclass_from_dict``, the one dict-to-dataclass reader of
the project. The schema is documented in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from gqap.errors import GQAPError
from gqap.family import canonical, names
from gqap.family import family as family_spec
from gqap.package_data import package_dir
from gqap.parsing import dataclass_from_dict

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = package_dir("gqap.bench") / "configs"
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


# ---------------------------------------------------------------------------------------
# value rules (raised as ValueError; the reader prefixes the file and table)
# ---------------------------------------------------------------------------------------
def _positive(name: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name}: must be a positive number, got {value!r}")


def _at_least(name: str, values: Any, low: int) -> None:
    for v in (values if isinstance(values, tuple) else (values,)):
        if v is not None and v < low:
            raise ValueError(f"{name}: must be >= {low}, got {v}")


def _non_empty(name: str, values: tuple[Any, ...] | None) -> None:
    if values is not None and not values:
        raise ValueError(f"{name}: must not be empty")


def _counts(obj: Any, names: tuple[str, ...], low: int = 1) -> None:
    """Each named field is a non-empty list of integers >= ``low``."""
    for name in names:
        _non_empty(name, getattr(obj, name))
        _at_least(name, getattr(obj, name), low)


def _check_label(what: str, value: str) -> None:
    if not _LABEL.match(value):
        raise ValueError(f"{what} {value!r} may only hold letters, digits and _.+-")


def _check_families(families: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The families' current names (an old name with a deprecation line); an unknown name
    is a ValueError naming it."""
    if families is None:
        return None
    for f in families:
        if f not in names(aliases=True):
            raise ValueError(f"families: unknown family {f!r} ({', '.join(names())})")
    return tuple(canonical(f) for f in families)


def _listed(keys: tuple[str, ...]) -> Any:
    """A ``convert`` for ``dataclass_from_dict``: a single value of a list key is a
    one-element list, and ``where`` tables hold tuples of allowed values."""
    def convert(key: str, value: Any) -> Any:
        if key in keys and not isinstance(value, list):
            return [value]
        if key == "where":
            if not isinstance(value, dict):
                raise ValueError("where: must be a table of parameter = value or [values]")
            return {k: tuple(v) if isinstance(v, list) else (v,) for k, v in value.items()}
        return value
    return convert


# ---------------------------------------------------------------------------------------
# the configuration's tables
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SolverEntry:
    """One solver of a sweep; ``label`` tells apart entries of the same solver (default:
    the name); ``where`` restricts the entry to instances whose parameters match."""

    name: str
    label: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    time_limit: float | None = None
    seeds: tuple[int, ...] | None = None
    min_size: int | None = None
    max_size: int | None = None
    optional: bool = False
    target: str | None = None
    families: tuple[str, ...] | None = None
    where: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("name: must be a non-empty string")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        _check_label("label", self.label)
        _positive("time_limit", self.time_limit)
        _non_empty("seeds", self.seeds)
        _at_least("seeds", self.seeds or (), 0)
        _at_least("min_size", self.min_size, 1)
        _at_least("max_size", self.max_size, 1)
        object.__setattr__(self, "families", _check_families(self.families))
        if self.target is not None and ":" not in self.target:
            raise ValueError(f"target: must be 'module:Class', got {self.target!r}")
        if self.target is not None and self.families is None:
            raise ValueError("a solver given by 'target' also needs 'families'")

    def accepts_size(self, size: int) -> bool:
        """True when an instance of this size lies in the entry's size range."""
        return ((self.min_size is None or size >= self.min_size)
                and (self.max_size is None or size <= self.max_size))

    def accepts(self, family: str, families: tuple[str, ...], size: int,
                params: dict[str, Any]) -> bool:
        """True when the entry runs on an instance of this family, size and parameters
        (``families``: what the solver supports, narrowed by the entry's own list)."""
        return (family in families and self.accepts_size(size)
                and all(params.get(k) in v for k, v in self.where.items()))


@dataclass(frozen=True, kw_only=True)
class InstanceSource:
    """Where instances come from; one subclass per ``kind`` ('set', 'path', 'generate').
    The keys every kind shares are here; ``spec`` holds the kind's own keys."""

    cases: int | None = None
    where: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    reference_solver: str | None = "auto"
    best_known: str | None = None
    optional: bool = False
    label: str = ""
    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _at_least("cases", self.cases, 1)
        if self.reference_solver in ("none", ""):
            object.__setattr__(self, "reference_solver", None)

    @property
    def spec(self) -> dict[str, Any]:
        """The kind's own keys as plain data (None values left out)."""
        common = {f.name for f in dataclasses.fields(InstanceSource)}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in common and getattr(self, f.name) is not None}


@dataclass(frozen=True, kw_only=True)
class SetSource(InstanceSource):
    """``set = NAME``: a shipped set (or a set definition generated on the fly); ``dir``
    names a set folder with a manifest instead."""

    kind: ClassVar[str] = "set"
    set: str
    dir: str | None = None


@dataclass(frozen=True, kw_only=True)
class PathSource(InstanceSource):
    """``path = FILE_OR_FOLDER`` with an optional ``glob`` inside a folder."""

    kind: ClassVar[str] = "path"
    path: str
    glob: str | None = None


@dataclass(frozen=True, kw_only=True)
class GenerateSource(InstanceSource):
    """``generate = FAMILY``: seeded instances over the product of the family's grid axes
    (``gqap.family.Grid``: e.g. users x G x B_max for offloading) times ``cases``; where
    the family takes them, ``model`` holds further generator options. Each family's
    source class adds its axes as fields (``generate_source``)."""

    kind: ClassVar[str] = "generate"
    generate: str
    seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        for axis in family_spec(self.generate, warn=False).grid.axes:
            values = getattr(self, axis.key)
            _non_empty(axis.key, values)
            problem = axis.check(values) if axis.check else None
            if problem:
                raise ValueError(problem)
            if axis.type is int:
                _at_least(axis.key, values, axis.low)
        _at_least("seed", self.seed, 0)


@functools.cache
def generate_source(name: str) -> type[GenerateSource]:
    """The source class of ``generate = name``: ``GenerateSource`` with one list field per
    axis of the family's grid (required unless the axis has a default) and ``model``."""
    spec = family_spec(name, warn=False)
    fields: list[Any] = []
    for axis in spec.grid.axes:
        default = (dataclasses.MISSING if axis.default is None
                   else field(default=tuple(axis.default)))
        fields.append((axis.key, tuple[axis.type, ...], default))
    if spec.grid.model:
        fields.append(("model", dict[str, Any], field(default_factory=dict)))
    return dataclasses.make_dataclass(
        f"Generate{spec.name.capitalize()}", fields, bases=(GenerateSource,), frozen=True,
        kw_only=True, namespace={"__module__": __name__})


@dataclass(frozen=True)
class ReportSettings:
    """What ``gqap bench report`` adds on top of the data-driven tables and figures:
    a title and a note (what the study is and how it was trimmed) for the README, and
    ``hooks``, study tables (``gqap.bench.studies``) the report writes as well."""

    title: str = ""
    note: str = ""
    dynamic_batch: bool = True
    breakdown_max_instances: int = 10
    hooks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from gqap.bench.studies import HOOKS

        _at_least("breakdown_max_instances", self.breakdown_max_instances, 0)
        for name in self.hooks:
            if name not in HOOKS:
                raise ValueError(f"hooks: unknown hook {name!r} (hooks: {', '.join(HOOKS)})")


@dataclass(frozen=True)
class BenchConfig:
    """A validated benchmark configuration. ``kill_grace_s`` is the floor of the grace
    period after which an overrunning run is killed (see ``bench.executor.kill_after``)."""

    solvers: tuple[SolverEntry, ...]
    instances: tuple[InstanceSource, ...]
    name: str = "bench"
    description: str = ""
    time_limit: float = 60.0
    seeds: tuple[int, ...] = (0,)
    workers: int | None = None
    kill_grace_s: float = 2.0
    setup_timeout_s: float = 300.0
    reference_time_limit: float = 120.0
    report: ReportSettings = field(default_factory=ReportSettings)
    source: str = "<config>"
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _check_label("name", self.name)
        for key in ("time_limit", "setup_timeout_s", "reference_time_limit"):
            _positive(key, getattr(self, key))
        if not (math.isfinite(self.kill_grace_s) and self.kill_grace_s >= 0):
            raise ValueError(f"kill_grace_s: must be a number >= 0, got {self.kill_grace_s!r}")
        _non_empty("seeds", self.seeds)
        _at_least("seeds", self.seeds, 0)
        _at_least("workers", self.workers, 1)
        if not self.solvers:
            raise ValueError("needs a non-empty 'solvers' list ([[solvers]] tables)")
        if not self.instances:
            raise ValueError("needs a non-empty 'instances' list ([[instances]] tables)")
        labels = [s.label for s in self.solvers]
        dup = sorted({label for label in labels if labels.count(label) > 1})
        if dup:
            raise ValueError(f"solver label {dup[0]!r} is used twice; give each entry its own "
                             "'label'")


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
def resolve_config_path(path: str | Path) -> Path:
    """A config file path; a bare name like 'fig11a' means bench/configs/fig11a.toml."""
    p = Path(path)
    if p.exists():
        return p
    for candidate in (CONFIG_DIR / p, CONFIG_DIR / f"{p}.toml"):
        if candidate.exists():
            return candidate
    raise GQAPError(f"{path}: no such config file (configs shipped in {CONFIG_DIR}: "
                    f"{', '.join(sorted(c.stem for c in CONFIG_DIR.glob('*.toml')))})")


def load_config(path: str | Path) -> BenchConfig:
    """Read and validate a TOML configuration file."""
    p = resolve_config_path(path)
    try:
        obj = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise GQAPError(f"{p}: malformed TOML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GQAPError(f"{p}: cannot read the config ({exc})") from exc
    obj.setdefault("name", p.stem)
    return config_from_dict(obj, str(p))


def config_from_dict(obj: dict[str, Any], source: str = "<config>") -> BenchConfig:
    """Validate a configuration given as plain data (a parsed TOML document)."""
    where = f"config {source}"
    if not isinstance(obj, dict):
        raise GQAPError(f"{where}: expected a table, got {type(obj).__name__}")
    listed = _listed(("seeds",))

    def convert(key: str, value: Any) -> Any:
        if key in ("solvers", "instances"):
            if not isinstance(value, list):
                raise ValueError(f"needs a non-empty {key!r} list ([[{key}]] tables)")
            read = _solver_entry if key == "solvers" else _source
            return [read(v, f"{where}: {key}[{i}]") for i, v in enumerate(value)]
        if key == "report":
            return dataclass_from_dict(ReportSettings, value, f"{where}: report",
                                       convert=_listed(("hooks",)))
        return listed(key, value)

    return dataclass_from_dict(BenchConfig, obj, where, convert=convert,
                               fixed={"source": source, "raw": obj})


def _solver_entry(obj: Any, where: str) -> SolverEntry:
    if isinstance(obj, str):
        obj = {"name": obj}
    return dataclass_from_dict(SolverEntry, obj, where,
                               convert=_listed(("seeds", "families")))


def _source(obj: Any, where: str) -> InstanceSource:
    if not isinstance(obj, dict):
        raise GQAPError(f"{where}: expected a table, got {type(obj).__name__}")
    kinds = [k for k in ("set", "path", "generate") if k in obj]
    if len(kinds) != 1:
        raise GQAPError(f"{where}: needs exactly one of 'set', 'path' or 'generate'")
    if kinds[0] == "generate":
        if obj["generate"] not in names(aliases=True):
            raise GQAPError(f"{where}: generate: must be one of {', '.join(names())}, "
                            f"got {obj['generate']!r}")
        obj = {**obj, "generate": canonical(obj["generate"])}
        cls: type[InstanceSource] = generate_source(obj["generate"])
        listed = tuple(a.key for a in family_spec(obj["generate"]).grid.axes)
    else:
        cls = SetSource if kinds[0] == "set" else PathSource
        listed = ()
    return dataclass_from_dict(cls, obj, where, convert=_listed(listed))


# ---------------------------------------------------------------------------------------
# the quick flag form
# ---------------------------------------------------------------------------------------
# The quick flags of ``gqap bench run`` that describe a grid: flag -> the config key.
QUICK_AXES = {"users": "users", "gpus": "G", "bmax": "B_max", "facilities": "facilities",
              "sites": "sites", "capacity_ratio": "capacity_ratio", "periods": "periods",
              "rate": "rate", "profile": "profile"}


def quick_config(*, family: str, solvers: list[str], cases: int = 10,
                 time_limit: float = 60.0, seeds: list[int] | None = None,
                 instance_seed: int = 0, options: dict[str, dict[str, str]] | None = None,
                 name: str = "quick", **flags: list[Any] | None) -> BenchConfig:
    """The configuration the ``gqap bench run --family ...`` flags describe (generated,
    seeded instances; the generation seed is recorded with every instance). ``flags``
    are the grid flags (``QUICK_AXES``); the family's grid ignores those it lacks and
    takes its quick defaults for the rest."""
    unknown = sorted(set(flags) - set(QUICK_AXES))
    if unknown:
        raise GQAPError(f"quick sweep: unknown flag {unknown[0]!r}")
    if family not in names(aliases=True):
        raise GQAPError(f"--family: must be one of {', '.join(names())}, got {family!r}")
    spec = family_spec(family)
    given = {QUICK_AXES[k]: v for k, v in flags.items() if v}
    gen: dict[str, Any] = {"generate": spec.name, "seed": instance_seed, "cases": cases}
    gen.update({key: list(given.get(key) or values) for key, values in spec.grid.quick.items()})
    options = options or {}
    unknown = sorted(set(options) - set(solvers))
    if unknown:
        raise GQAPError(f"--opt: solver {unknown[0]!r} is not in --solvers")
    entries = [{"name": s, "options": options.get(s, {})} for s in solvers]
    return config_from_dict({"name": name, "time_limit": time_limit, "seeds": seeds or [0],
                             "solvers": entries, "instances": [gen]}, "<command line>")
