"""Every study of ``results/``, swept or not, registered once: ``STUDIES``, in the order
``gqap bench reproduce`` runs them, and each study's report.

A swept study (``figure`` empty) runs the config ``bench/configs/NAME.toml`` into
``runs/NAME``; its report is ``bench.report.write_report`` of that store (each family's
tables, the shared ones, the study tables its config names from ``bench.studies.HOOKS``, and
the figures the data supports). A study that needs no sweep draws one figure module of
``bench.figures.FIGURES`` from the model or the shipped data (``write_figure_report``).
Either way the report writes ``results/NAME`` with a README.md naming the command and the
machine, and returns a ``bench.report.Report``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gqap.bench.report import Report, write_figure_report, write_report


@dataclass(frozen=True)
class Study:
    """One folder of results/: ``name`` (also its config's and sweep folder's name) and,
    for a study that needs no sweep, the ``bench.figures.FIGURES`` name it draws."""

    name: str
    figure: str = ""

    @property
    def swept(self) -> bool:
        """True when the study runs a sweep (its config is bench/configs/NAME.toml)."""
        return not self.figure

    @property
    def command(self) -> str:
        """The command that writes the study's results folder."""
        return f"gqap bench reproduce --only {self.name}"

    def report(self, runs_dir: Path, out: Path) -> Report:
        """Write the study's results folder ``out`` (a swept study from its store under
        ``runs_dir``) and return what was written."""
        if self.figure:
            return write_figure_report(self.figure, out, self.command)
        return write_report(runs_dir / self.name, out, command=self.command)


STUDIES: tuple[Study, ...] = (
    *(Study(name) for name in (
        "fig11a", "fig11b", "fig11c", "fig10", "scaling", "literature", "milp", "dqn-scaling",
        "multi", "multi-dqn", "lee-ma-proofs", "cordeau-bounds", "gqap-large", "online",
        "online-dqn", "exact-gqap")),
    Study("fig8", figure="fig8"),
    Study("dqn-training", figure="fig9"),
)
