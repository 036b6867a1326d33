"""Figures, one module per figure kind.

Figures of a sweep (``objective_curve``: Fig. 11; ``breakdown``: Fig. 10;
``runtime_scaling``; ``gap_distribution``; ``dynamic_batch``; ``ttt``: time to target;
``tradeoff``: gap against time) are drawn by
``gqap.bench.report`` from stored rows. Figures that need no sweep, listed in ``FIGURES``
(name -> module with ``write(out_dir) -> list[Path]``), follow from the model (``fig8``) or
from what the shipped checkpoints record (``fig9``: training curves and the checkpoint
table); ``gqap figure NAME`` draws them, and ``gqap bench reproduce`` through the
studies of ``bench.catalogue`` that name them.
"""

from __future__ import annotations

FIGURES: dict[str, str] = {"fig8": "gqap.bench.figures.fig8",
                           "fig9": "gqap.bench.figures.fig9"}
