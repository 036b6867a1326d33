"""Option dataclasses shared by several solvers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SPLIT_MODES = ("integer", "real")


def check_choices(options: Any, **allowed: Sequence[str]) -> None:
    """Raise ValueError naming the first option of ``options`` whose value is not among
    its ``allowed`` ones (``check_choices(self, model=MODELS, split=SPLIT_MODES)``)."""
    for name, choices in allowed.items():
        if getattr(options, name) not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, "
                             f"got {getattr(options, name)!r}")


def check_at_least(options: Any, low: int, *names: str) -> None:
    """Raise ValueError naming the first of the options ``names`` whose value is below
    ``low`` (None, where an option allows it, means no limit and passes):
    ``check_at_least(self, 1, "threads")``."""
    for name in names:
        value = getattr(options, name)
        if value is not None and value < low:
            raise ValueError(f"{name} must be >= {low}, got {value}")


@dataclass(frozen=True)
class SplitOptions:
    """``split``: 'integer' (whole denoising steps, default) or 'real' (the paper's relaxation)."""

    split: str = "integer"

    def __post_init__(self) -> None:
        check_choices(self, split=SPLIT_MODES)

    @property
    def integer(self) -> bool:
        """True for whole-step split points."""
        return self.split == "integer"
