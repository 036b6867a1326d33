"""What every figure module shares: matplotlib on the Agg backend, one colour per solver
label, and saving a figure to a PNG path."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plt() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (imported when a figure is drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def colors(labels: list[str]) -> dict[str, Any]:
    """A tab10 colour per label, in order."""
    cmap = plt().get_cmap("tab10")
    return {lab: cmap(i % 10) for i, lab in enumerate(labels)}


def save(fig: Any, path: Path, dpi: int = 130) -> Path:
    """Lay out, write ``fig`` to ``path`` (folders created) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt().close(fig)
    return path
