"""Option dataclasses shared by several solvers."""

from __future__ import annotations

from dataclasses import dataclass

SPLIT_MODES = ("integer", "real")


@dataclass(frozen=True)
class SplitOptions:
    """``split``: 'integer' (whole denoising steps, default) or 'real' (the paper's relaxation)."""

    split: str = "integer"

    def __post_init__(self) -> None:
        if self.split not in SPLIT_MODES:
            raise ValueError(f"split must be one of {', '.join(SPLIT_MODES)}, got {self.split!r}")

    @property
    def integer(self) -> bool:
        """True for whole-step split points."""
        return self.split == "integer"
