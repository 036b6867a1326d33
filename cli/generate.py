"""The generic ``gqap generate NAME`` of a family without a parser of its own: one flag per
keyword of the family's generator (``FamilySpec.generate``) whose default is a number, a
string or a bool (``n_users`` -> ``--n-users``), plus ``--seed``, ``--name`` and
``-o/--output``. A flag left out keeps the generator's default."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from gqap.cli.common import writes_instance
from gqap.parsing import finite_float, seed_int

_SKIP = {"name", "seed"}


_TYPES: dict[type, Callable[[str], Any]] = {bool: bool, int: int, float: finite_float,
                                            str: str}


def generator_flags(generate: Callable[..., Any]) -> list[tuple[str, type, Any]]:
    """(keyword, type, default) of every generator keyword the generic parser offers a
    flag for: those typed or defaulting bool, int, float or str, in signature order (the
    first parameter, the random generator, excluded)."""
    by_name = {t.__name__: t for t in _TYPES}
    out = []
    for p in list(inspect.signature(generate).parameters.values())[1:]:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in _SKIP:
            continue
        hint = by_name.get(p.annotation, p.annotation)  # a string under postponed hints
        kind = hint if hint in _TYPES else type(p.default)
        if kind in _TYPES:
            out.append((p.name, kind, p.default))
    return out


def add_generic(spec: Any) -> Callable[[Any, str, tuple[str, ...]], None]:
    """The ``add_generate`` of family ``spec`` built from its generator's signature."""
    flags = generator_flags(spec.generate)

    @writes_instance
    def generate(args: argparse.Namespace) -> Any:
        kwargs = {k: getattr(args, k) for k, _, _ in flags if getattr(args, k) is not None}
        return spec.generate(np.random.default_rng(args.seed), name=args.name or "",
                             seed=args.seed, **kwargs)

    def add(gsub: Any, name: str, aliases: tuple[str, ...]) -> None:
        g = gsub.add_parser(name, aliases=list(aliases), help=spec.summary,
                            description=f"One {name} instance: {spec.summary}.")
        for key, kind, default in flags:
            flag = "--" + key.replace("_", "-")
            if kind is bool:
                g.add_argument(flag, dest=key, action="store_true", default=None,
                               help=f"{key} (default {default})")
            elif default is inspect.Parameter.empty:
                g.add_argument(flag, dest=key, type=_TYPES[kind], required=True, help=key)
            else:
                g.add_argument(flag, dest=key, type=_TYPES[kind],
                               help=f"{key} (default {default})")
        g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
        g.add_argument("--name", help="instance name (default derived from the parameters)")
        g.add_argument("-o", "--output", help="output file (default stdout)")
        g.set_defaults(func=generate)

    return add
