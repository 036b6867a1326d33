"""What every figure module shares: matplotlib on the Agg backend, one colour and marker per
solver label (``palette``: the same in every figure), and saving a figure to a PNG path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gqap.bench.figures.palette import styles


def plt() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (imported when a figure is drawn)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    return pyplot


def colors(labels: list[str]) -> dict[str, str]:
    """Each label's colour (``palette``): the same label has the same colour everywhere."""
    return {lab: s.colour for lab, s in styles(labels).items()}


def markers(labels: list[str]) -> dict[str, str]:
    """Each label's marker (``palette``)."""
    return {lab: s.marker for lab, s in styles(labels).items()}


def reference_caption(rows: list[dict[str, Any]]) -> str:
    """'reference: optimal' (the reference kinds of ``rows`` in words), for figure titles."""
    from gqap.bench.tables import kinds_text

    return f"reference: {kinds_text(rows)}"


def save(fig: Any, path: Path, dpi: int = 130,
         margins: dict[str, float] | None = None) -> Path:
    """Lay out (tight, or the fixed ``margins`` of ``Figure.subplots_adjust``: half the
    time, as tight layout draws the figure once more), write ``fig`` to ``path`` (folders
    created) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if margins:
        fig.subplots_adjust(**margins)
    else:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt().close(fig)
    return path
