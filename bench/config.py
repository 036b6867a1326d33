"""Benchmark configurations: a TOML file (or the quick command-line flags) read into plain,
validated dataclasses. Unknown keys are rejected with a message naming the key and file.

A configuration names solvers (each with an optional label, options, time limit, seeds and
size range) and instance sources (a shipped or on-the-fly instance set, files, or seeded
generation); ``bench.grid`` expands it into runs. The schema is documented in
docs/BENCHMARKS.md.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gqap.errors import GQAPError
from gqap.package_data import package_dir

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = package_dir("gqap.bench") / "configs"

_TOP_KEYS = {"name", "description", "time_limit", "seeds", "workers", "kill_grace_s",
             "setup_timeout_s", "reference_time_limit", "solvers", "instances", "report"}
_SOLVER_KEYS = {"name", "label", "options", "time_limit", "seeds", "min_size", "max_size",
                "optional", "target", "families"}
_SOURCE_COMMON = {"cases", "where", "reference_solver", "best_known", "optional", "label"}
_SOURCE_KEYS = {
    "set": _SOURCE_COMMON | {"set", "dir"},
    "path": _SOURCE_COMMON | {"path", "glob"},
    "generate": _SOURCE_COMMON | {"generate", "users", "G", "B_max", "facilities", "sites",
                                  "capacity_ratio", "seed", "model"},
}
_REPORT_KEYS = {"title", "dynamic_batch", "breakdown_max_instances"}
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class SolverEntry:
    """One solver of a sweep; ``label`` tells apart entries of the same solver."""

    name: str
    label: str
    options: dict[str, Any] = field(default_factory=dict)
    time_limit: float | None = None
    seeds: tuple[int, ...] | None = None
    min_size: int | None = None
    max_size: int | None = None
    optional: bool = False
    target: str | None = None
    families: tuple[str, ...] | None = None

    def accepts_size(self, size: int) -> bool:
        """True when an instance of this size lies in the entry's size range."""
        return ((self.min_size is None or size >= self.min_size)
                and (self.max_size is None or size <= self.max_size))


@dataclass(frozen=True)
class InstanceSource:
    """Where instances come from: ``kind`` is 'set', 'path' or 'generate'; ``spec`` holds
    the validated keys of that kind."""

    kind: str
    spec: dict[str, Any]
    cases: int | None = None
    where: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    reference_solver: str | None = "auto"
    best_known: str | None = None
    optional: bool = False
    label: str = ""


@dataclass(frozen=True)
class ReportSettings:
    """What ``gqap bench report`` adds on top of the data-driven tables and figures."""

    title: str = ""
    dynamic_batch: bool = True
    breakdown_max_instances: int = 10


@dataclass(frozen=True)
class BenchConfig:
    """A validated benchmark configuration."""

    name: str
    description: str
    time_limit: float
    seeds: tuple[int, ...]
    solvers: tuple[SolverEntry, ...]
    instances: tuple[InstanceSource, ...]
    workers: int | None = None
    kill_grace_s: float = 5.0
    setup_timeout_s: float = 300.0
    reference_time_limit: float = 120.0
    report: ReportSettings = field(default_factory=ReportSettings)
    source: str = "<config>"
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


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
    obj.setdefault("name", p.stem)
    return config_from_dict(obj, str(p))


def _err(where: str, msg: str) -> GQAPError:
    return GQAPError(f"config {where}: {msg}")


def _check_keys(obj: Any, allowed: set[str], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _err(where, f"expected a table, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise _err(where, f"unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return obj


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise _err(where, f"must be a positive number, got {value!r}")
    return float(value)


def _nonneg(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value >= 0):
        raise _err(where, f"must be a number >= 0, got {value!r}")
    return float(value)


def _int(value: Any, where: str, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(where, f"must be an integer, got {value!r}")
    if low is not None and value < low:
        raise _err(where, f"must be >= {low}, got {value}")
    return value


def _int_list(value: Any, where: str, low: int | None = None) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _err(where, "must not be empty")
    return tuple(_int(v, where, low) for v in items)


def _float_list(value: Any, where: str) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _err(where, "must not be empty")
    return tuple(_positive(v, where) for v in items)


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _err(where, f"must be a non-empty string, got {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _err(where, f"must be true or false, got {value!r}")
    return value


def config_from_dict(obj: dict[str, Any], source: str = "<config>") -> BenchConfig:
    """Validate a configuration given as plain data (a parsed TOML document)."""
    _check_keys(obj, _TOP_KEYS, source)
    name = _str(obj.get("name", "bench"), f"{source}: name")
    if not _LABEL.match(name):
        raise _err(source, f"name {name!r} may only hold letters, digits and _.+-")
    time_limit = _positive(obj.get("time_limit", 60.0), f"{source}: time_limit")
    seeds = _int_list(obj.get("seeds", [0]), f"{source}: seeds", 0)
    workers = obj.get("workers")
    if workers is not None:
        workers = _int(workers, f"{source}: workers", 1)
    solvers_raw = obj.get("solvers")
    if not isinstance(solvers_raw, list) or not solvers_raw:
        raise _err(source, "needs a non-empty 'solvers' list ([[solvers]] tables)")
    instances_raw = obj.get("instances")
    if not isinstance(instances_raw, list) or not instances_raw:
        raise _err(source, "needs a non-empty 'instances' list ([[instances]] tables)")
    solvers = tuple(_solver_entry(s, f"{source}: solvers[{i}]")
                    for i, s in enumerate(solvers_raw))
    labels = [s.label for s in solvers]
    dup = sorted({label for label in labels if labels.count(label) > 1})
    if dup:
        raise _err(source, f"solver label {dup[0]!r} is used twice; give each entry its own "
                   "'label'")
    instances = tuple(_source(s, f"{source}: instances[{i}]")
                      for i, s in enumerate(instances_raw))
    report_raw = _check_keys(obj.get("report", {}), _REPORT_KEYS, f"{source}: report")
    report = ReportSettings(
        title=str(report_raw.get("title", "")),
        dynamic_batch=_bool(report_raw.get("dynamic_batch", True),
                            f"{source}: report.dynamic_batch"),
        breakdown_max_instances=_int(report_raw.get("breakdown_max_instances", 10),
                                     f"{source}: report.breakdown_max_instances", 0))
    return BenchConfig(
        name=name, description=str(obj.get("description", "")), time_limit=time_limit,
        seeds=seeds, solvers=solvers, instances=instances, workers=workers,
        kill_grace_s=_nonneg(obj.get("kill_grace_s", 5.0), f"{source}: kill_grace_s"),
        setup_timeout_s=_positive(obj.get("setup_timeout_s", 300.0),
                                  f"{source}: setup_timeout_s"),
        reference_time_limit=_positive(obj.get("reference_time_limit", 120.0),
                                       f"{source}: reference_time_limit"),
        report=report, source=source, raw=obj)


def _solver_entry(obj: Any, where: str) -> SolverEntry:
    if isinstance(obj, str):
        obj = {"name": obj}
    _check_keys(obj, _SOLVER_KEYS, where)
    name = _str(obj.get("name"), f"{where}.name")
    label = _str(obj.get("label", name), f"{where}.label")
    if not _LABEL.match(label):
        raise _err(where, f"label {label!r} may only hold letters, digits and _.+-")
    options = obj.get("options", {})
    if not isinstance(options, dict):
        raise _err(f"{where}.options", "must be a table of option = value")
    tl = obj.get("time_limit")
    seeds = obj.get("seeds")
    families = obj.get("families")
    if families is not None:
        families = tuple(_str(f, f"{where}.families") for f in
                         (families if isinstance(families, list) else [families]))
        bad = [f for f in families if f not in ("offloading", "gqap")]
        if bad:
            raise _err(f"{where}.families", f"unknown family {bad[0]!r}")
    target = obj.get("target")
    if target is not None and (not isinstance(target, str) or ":" not in target):
        raise _err(f"{where}.target", f"must be 'module:Class', got {target!r}")
    if target is not None and families is None:
        raise _err(where, "a solver given by 'target' also needs 'families'")
    return SolverEntry(
        name=name, label=label, options=dict(options),
        time_limit=None if tl is None else _positive(tl, f"{where}.time_limit"),
        seeds=None if seeds is None else _int_list(seeds, f"{where}.seeds", 0),
        min_size=None if "min_size" not in obj else _int(obj["min_size"], f"{where}.min_size",
                                                         1),
        max_size=None if "max_size" not in obj else _int(obj["max_size"], f"{where}.max_size",
                                                         1),
        optional=_bool(obj.get("optional", False), f"{where}.optional"),
        target=target, families=families)


def _source(obj: Any, where: str) -> InstanceSource:
    if not isinstance(obj, dict):
        raise _err(where, f"expected a table, got {type(obj).__name__}")
    kinds = [k for k in ("set", "path", "generate") if k in obj]
    if len(kinds) != 1:
        raise _err(where, "needs exactly one of 'set', 'path' or 'generate'")
    kind = kinds[0]
    _check_keys(obj, _SOURCE_KEYS[kind], where)
    spec = {k: v for k, v in obj.items() if k not in _SOURCE_COMMON}
    if kind == "set":
        _str(spec["set"], f"{where}.set")
    elif kind == "path":
        _str(spec["path"], f"{where}.path")
        if "glob" in spec:
            _str(spec["glob"], f"{where}.glob")
    else:
        spec = _generate_spec(spec, where)
    cases = obj.get("cases")
    where_raw = obj.get("where", {})
    if not isinstance(where_raw, dict):
        raise _err(f"{where}.where", "must be a table of parameter = value or [values]")
    where_filter = {k: tuple(v) if isinstance(v, list) else (v,) for k, v in where_raw.items()}
    ref = obj.get("reference_solver", "auto")
    ref = None if ref in ("none", "") else _str(ref, f"{where}.reference_solver")
    best_known = obj.get("best_known")
    return InstanceSource(
        kind=kind, spec=spec,
        cases=None if cases is None else _int(cases, f"{where}.cases", 1),
        where=where_filter, reference_solver=ref,
        best_known=None if best_known is None else _str(best_known, f"{where}.best_known"),
        optional=_bool(obj.get("optional", False), f"{where}.optional"),
        label=str(obj.get("label", "")))


def _generate_spec(spec: dict[str, Any], where: str) -> dict[str, Any]:
    family = spec["generate"]
    seed = _int(spec.get("seed", 0), f"{where}.seed", 0)
    if family == "offloading":
        bad = sorted(set(spec) & {"facilities", "sites", "capacity_ratio"})
        if bad:
            raise _err(where, f"{bad[0]!r} belongs to generate = 'gqap'")
        model = spec.get("model", {})
        if not isinstance(model, dict):
            raise _err(f"{where}.model", "must be a table of generator overrides")
        if "users" not in spec:
            raise _err(where, "generate = 'offloading' needs 'users'")
        return {"generate": "offloading", "seed": seed,
                "users": _int_list(spec["users"], f"{where}.users", 1),
                "G": _int_list(spec.get("G", 8), f"{where}.G", 1),
                "B_max": _int_list(spec.get("B_max", 18), f"{where}.B_max", 0),
                "model": dict(model)}
    if family == "gqap":
        bad = sorted(set(spec) & {"users", "G", "B_max", "model"})
        if bad:
            raise _err(where, f"{bad[0]!r} belongs to generate = 'offloading'")
        for key in ("facilities", "sites", "capacity_ratio"):
            if key not in spec:
                raise _err(where, f"generate = 'gqap' needs {key!r}")
        ratios = _float_list(spec["capacity_ratio"], f"{where}.capacity_ratio")
        if any(r > 1 for r in ratios):
            raise _err(f"{where}.capacity_ratio", "must lie in (0, 1]")
        return {"generate": "gqap", "seed": seed,
                "facilities": _int_list(spec["facilities"], f"{where}.facilities", 1),
                "sites": _int_list(spec["sites"], f"{where}.sites", 1),
                "capacity_ratio": ratios}
    raise _err(f"{where}.generate", f"must be 'offloading' or 'gqap', got {family!r}")


# ---------------------------------------------------------------------------------------
# the quick flag form
# ---------------------------------------------------------------------------------------
def quick_config(*, family: str, solvers: list[str], users: list[int] | None = None,
                 gpus: list[int] | None = None, bmax: list[int] | None = None,
                 facilities: list[int] | None = None, sites: list[int] | None = None,
                 capacity_ratio: list[float] | None = None, cases: int = 10,
                 time_limit: float = 60.0, seeds: list[int] | None = None,
                 instance_seed: int = 0, options: dict[str, dict[str, str]] | None = None,
                 name: str = "quick") -> BenchConfig:
    """The configuration the ``gqap bench run --family ...`` flags describe (generated,
    seeded instances; the generation seed is recorded with every instance)."""
    gen: dict[str, Any] = {"generate": family, "seed": instance_seed, "cases": cases}
    if family == "offloading":
        gen.update({"users": users or [4, 8, 12], "G": gpus or [8], "B_max": bmax or [18]})
    elif family == "gqap":
        gen.update({"facilities": facilities or [10], "sites": sites or [4],
                    "capacity_ratio": capacity_ratio or [0.6]})
    else:
        raise GQAPError(f"--family: must be offloading or gqap, got {family!r}")
    options = options or {}
    unknown = sorted(set(options) - set(solvers))
    if unknown:
        raise GQAPError(f"--opt: solver {unknown[0]!r} is not in --solvers")
    entries = [{"name": s, "options": options.get(s, {})} for s in solvers]
    return config_from_dict({"name": name, "time_limit": time_limit, "seeds": seeds or [0],
                             "solvers": entries, "instances": [gen]}, "<command line>")
