"""Figures of the paper reproduced from the model alone (no sweep needed), one module each.

``FIGURES`` maps a figure name to the module that provides ``write(out_dir, **options)``.
"""

from __future__ import annotations

FIGURES: dict[str, str] = {"fig8": "gqap.bench.figures.fig8"}
