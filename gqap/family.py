"""The family registry: one ``FamilySpec`` per problem family, registered once.

A family is a folder of the model (``gqap/offloading/``, ``gqap/multi/``,
``gqap/classic/``) whose ``__init__.py`` builds its ``FAMILY`` spec: plain data and the
callables of its parts (file format, evaluator, generator, size parameters). The command
line, the file formats of ``gqap.io``, the evaluator door ``gqap.evaluation``, the solver
interface and the harness read the registry; no other module lists the families. Parts
that live on a higher floor (the family's ``gqap generate`` parser and output, its report
tables) are named by module path and imported by that floor, like the solver registry's
targets, so the model never imports upward.

Adding a family: a folder ``gqap/NAME/`` with the parts, a ``FAMILY = FamilySpec(...)`` in
its ``__init__.py`` and its package in ``FAMILY_PACKAGES`` (docs/ARCHITECTURE.md has the
checklist).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gqap.errors import GQAPError

# The packages that define a family, in the order lists and reports show them.
FAMILY_PACKAGES: tuple[str, ...] = ("gqap.offloading", "gqap.multi", "gqap.classic",
                                   "gqap.online")


class Instance(Protocol):
    """What every family's (frozen, validated) instance type offers."""

    family: str
    name: str
    provenance: dict[str, Any] | None

    @property
    def size(self) -> int:
        """The instance's size for scaling plots (users, facilities)."""

    def content_hash(self) -> str:
        """SHA-256 of the numerical content (name and provenance excluded)."""


class Solution(Protocol):
    """What every family's solution type offers."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready body of a solution file."""


@dataclass(frozen=True)
class Axis:
    """One axis of a harness grid (``generate = NAME`` in a bench config): the config key,
    the generator keyword it feeds, its default (None: the config must give it), the value
    type and the smallest allowed value, or ``check(values) -> message`` for other rules."""

    key: str
    param: str
    default: tuple[Any, ...] | None = None
    type: type = int
    low: int = 1
    check: Callable[[tuple[Any, ...]], str | None] | None = None


@dataclass(frozen=True)
class Grid:
    """How the harness generates instances of a family: the product of ``axes`` times
    ``cases``, each case seeded from (source seed, ``tag``, values, case index) and named
    by ``case_name(values, case, source_seed)``; ``quick`` holds the axes' defaults of
    ``gqap bench run --family``; ``model`` says whether a source may pass further
    generator options (``model = {...}``); ``record`` names axes stored as instance
    parameters beside the family's size parameters."""

    axes: tuple[Axis, ...]
    tag: int
    case_name: Callable[[tuple[Any, ...], int, int], str]
    quick: dict[str, tuple[Any, ...]]
    model: bool = True
    record: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextFormat:
    """A family's non-JSON instance file format: ``sniff(text)`` tells a file of it from
    the text, ``read(path)`` reads one."""

    sniff: Callable[[str], bool]
    read: Callable[[str | Path], Any]


@dataclass(frozen=True)
class FamilySpec:
    """Everything the suite knows about one family.

    ``sense``: 'min' or 'max'. ``instance_format``: the JSON ``format`` tag its instance
    files carry, read and written by ``instance_from_dict(obj, path)`` and
    ``instance_to_dict``; ``solution_keys``: the fields of a solution body, the first of
    which tells the family, read by ``solution_from_dict(body, path)``.
    ``evaluate(instance, solution, latency_model)`` is the family's evaluator, with
    ``latency_models`` (empty: the family has none); ``text_format`` a second file format
    besides JSON. ``generate(rng, **params)`` draws an
    instance from an explicit ``numpy.random.Generator`` (``name`` and ``seed`` keywords
    recorded); ``generator_version`` is recorded in set manifests; ``grid`` drives the
    harness's generated sources. ``size_params(instance)`` are the parameters filters,
    grouping and reports use; ``secondary`` names the one that is a report's second axis.
    ``reference_solver`` computes the harness's exact references (None: references come
    from manifests, best-known files or the best value found). ``bounds``: runs may prove
    an optimum or a bound. ``per_user``: the objective is a sum over users (reports show
    it per user, with PAI and latency statistics). ``splits``: decisions carry split points
    (the solver option ``split`` = integer or real is a variant of the problem).
    ``aliases``: old names still accepted (with a deprecation line). ``title``: the
    family's short title on report pages ('' for its name); ``size_unit``: what an
    instance's size counts (users, facilities); ``secondary_title``: the word for
    ``secondary`` on report pages ('' for the parameter's own name). ``cli`` and
    ``report``: modules of the upper floors holding the family's command-line parts and
    report tables ('' for the generic ones). ``solution_format``: the ``format`` tag of the
    family's solution files when it has its own ('' for the shared
    ``gqap-bench/solution``). ``input_exit_status``: the command line's exit status for a
    malformed or invalid file of the family or a solution of another instance (2 for the
    online family, as its issue asks; 1, the older families' convention, by default).
    """

    name: str
    summary: str
    sense: str
    instance_type: type
    solution_type: type
    solution_hint: str
    instance_format: str
    instance_to_dict: Callable[[Any], dict[str, Any]]
    instance_from_dict: Callable[[dict[str, Any], str | Path], Any]
    solution_keys: tuple[str, ...]
    solution_from_dict: Callable[[dict[str, Any], str | Path], Any]
    evaluate: Callable[[Any, Any, str], Any]
    generate: Callable[..., Any]
    generator_version: int
    grid: Grid
    size_params: Callable[[Any], dict[str, Any]]
    secondary: str
    latency_models: tuple[str, ...] = ()
    text_format: TextFormat | None = None
    reference_solver: str | None = None
    bounds: bool = False
    per_user: bool = False
    splits: bool = False
    aliases: tuple[str, ...] = ()
    title: str = ""
    size_unit: str = "users"
    secondary_title: str = ""
    cli: str = ""
    report: str = ""
    solution_format: str = ""
    input_exit_status: int = 1

    def __post_init__(self) -> None:
        if self.sense not in ("min", "max"):
            raise GQAPError(f"family {self.name}: sense must be 'min' or 'max', got "
                            f"{self.sense!r}")
        if not self.solution_keys:
            raise GQAPError(f"family {self.name}: needs at least one solution key")


_REGISTRY: dict[str, FamilySpec] = {}
_ALIASES: dict[str, str] = {}
_WARNED: set[str] = set()
_loaded = False


def register(spec: FamilySpec) -> None:
    """Add a family; re-registering a name replaces its entry (used by tests)."""
    for taken in (spec.name, *spec.aliases):
        owner = _ALIASES.get(taken, taken if taken in _REGISTRY else None)
        if owner is not None and owner != spec.name:
            raise GQAPError(f"family {spec.name}: the name {taken!r} belongs to {owner}")
    _REGISTRY[spec.name] = spec
    _ALIASES.update({alias: spec.name for alias in spec.aliases})


def unregister(name: str) -> None:
    """Remove a family and its aliases (used by tests)."""
    spec = _REGISTRY.pop(name)
    for alias in spec.aliases:
        _ALIASES.pop(alias, None)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for package in FAMILY_PACKAGES:
        spec = importlib.import_module(package).FAMILY
        if spec.name not in _REGISTRY:
            register(spec)


def families() -> list[FamilySpec]:
    """Every registered family, in registration order."""
    _load()
    return list(_REGISTRY.values())


def names(*, aliases: bool = False) -> list[str]:
    """The registered family names (with ``aliases``, their old names too)."""
    _load()
    return [*_REGISTRY, *(_ALIASES if aliases else ())]


def canonical(name: str, *, warn: bool = True) -> str:
    """The current name of family ``name``; an old name is translated, and with ``warn``
    one deprecation line per old name goes to stderr. Unknown names raise GQAPError."""
    _load()
    if name in _REGISTRY:
        return name
    if name in _ALIASES:
        new = _ALIASES[name]
        if warn and name not in _WARNED:
            _WARNED.add(name)
            print(f"gqap: warning: family {name!r} is now called {new!r}; the old name "
                  "still works but is deprecated", file=sys.stderr)
        return new
    raise GQAPError(f"family: unknown {name!r} (families: {', '.join(_REGISTRY)})")


def current(name: str) -> str:
    """The current name of a family name or old name; any other string unchanged (for
    declared support lists and stored data, which may name families not loaded here)."""
    _load()
    return _ALIASES.get(name, name)


def family(name: str, *, warn: bool = True) -> FamilySpec:
    """The spec of family ``name`` (an old name accepted, see ``canonical``)."""
    return _REGISTRY[canonical(name, warn=warn)]


def family_of(instance: Any) -> FamilySpec:
    """The spec of an instance's family."""
    return family(instance.family, warn=False)


def title(name: str) -> str:
    """The short title of family ``name`` (an old name accepted, silently); an unknown name
    (stored data may name a family not loaded here) is its own title."""
    spec = _REGISTRY.get(current(name))
    return name if spec is None else spec.title or spec.name


def family_of_format(tag: Any) -> FamilySpec | None:
    """The family whose instance files carry the JSON ``format`` tag ``tag``, or None."""
    return next((f for f in families() if f.instance_format == tag), None)


def upper(module: str, attr: str, default: Any = None) -> Any:
    """``attr`` of a family's upper-floor module (its ``cli`` or ``report``), imported on
    first use; ``default`` when the module is '' or lacks the attribute."""
    if not module:
        return default
    return getattr(importlib.import_module(module), attr, default)
