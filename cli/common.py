"""What the command line's modules share: output helpers (plain text, strict JSON, files
written atomically), argparse types of number lists and the generators' common options."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from gqap import paper
from gqap.io import plain_json
from gqap.parsing import (
    finite_float,
    nonneg_int,
    number_list,
    positive_float,
    positive_int,
    seed_int,
)


def nonneg_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    x = finite_float(text)
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return x


pos_list = number_list(positive_int, "positive integers")
nonneg_list = number_list(nonneg_int, "integers >= 0")
posf_list = number_list(positive_float, "positive numbers")


# ---------------------------------------------------------------------------------------
# the generators' common options
# ---------------------------------------------------------------------------------------
def add_model_options(g: Any, *, alpha_defaults: bool = True) -> None:
    """The paper-model options of the generators whose users are the paper's (offloading,
    multi, online), help defaults from ``gqap.paper``: latency convention, N, N_hat and
    the alpha rule's b_hat and kappa. Without ``alpha_defaults`` the alpha rule's options
    are None when left out (the generator then records its own default)."""
    g.add_argument("--convention", choices=list(paper.CONVENTIONS), default=None,
                   help=f"edge latency convention (default {paper.CONVENTIONS[0]})")
    g.add_argument("--N", type=positive_int, help=f"total denoising steps (default {paper.N})")
    g.add_argument("--N-hat", dest="N_hat", type=int,
                   help=f"steps that must run locally (default {paper.N_HAT})")
    g.add_argument("--b-hat", type=positive_int, default=paper.B_HAT if alpha_defaults else None,
                   help=f"batch used by the alpha rule (default {paper.B_HAT})")
    g.add_argument("--kappa", type=positive_float,
                   default=paper.KAPPA if alpha_defaults else None,
                   help=f"alpha rule's kappa (default {paper.KAPPA:g})")


def add_seed_name_output(g: Any, what: str = "instance") -> None:
    """``--seed``, ``--name`` and ``-o``: what every ``gqap generate`` parser takes."""
    g.add_argument("--seed", type=seed_int, default=0, help="RNG seed (default 0)")
    g.add_argument("--name", help=f"{what} name (default derived from the parameters)")
    g.add_argument("-o", "--output", help="output file (default stdout)")


def instance_text(inst: Any) -> str:
    """An instance as its JSON file's text (what ``gqap generate`` writes)."""
    from gqap.io import dumps, instance_to_dict

    return dumps(instance_to_dict(inst))


def writes_instance(make: Callable[[argparse.Namespace], Any]
                    ) -> Callable[[argparse.Namespace], int]:
    """The ``gqap generate`` handler of ``make(args) -> instance``: an output path that
    cannot become a file is refused before anything is drawn, then the instance's JSON
    goes to the file (atomic) or to stdout."""

    @functools.wraps(make)
    def handler(args: argparse.Namespace) -> int:
        check_out(args.output)
        emit(instance_text(make(args)), args.output)
        return 0

    return handler


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The named options the command line gave (not None): the rest keep the generator's
    defaults."""
    return {k: getattr(args, k) for k in names if getattr(args, k) is not None}


# ---------------------------------------------------------------------------------------
# output helpers
# ---------------------------------------------------------------------------------------
def fmt(x: Any) -> str:
    """A value as the plain-text output shows it: '-' for None, floats to 6 digits."""
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def json_text(obj: Any, indent: int | None = None) -> str:
    """Standard JSON (RFC 8259) for printing: never NaN or Infinity (those become null)."""
    return json.dumps(plain_json(obj), indent=indent, allow_nan=False)


def check_out(out: str | None) -> None:
    """Refuse an output path that cannot become a file before any work is done."""
    if out:
        from gqap.io import check_writable

        check_writable(out)


def emit(text: str, out: str | None) -> None:
    """Write ``text`` to the file ``out`` (atomic; says so on stderr), or to stdout."""
    if out:
        from gqap.io import write_text_atomic

        write_text_atomic(out, text)
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
