"""The frame every page of one study shares (``StudyPages``): the study, its output folder,
its families in the registry's order, the instance pages' names, the figures drawn so far,
the navigation bar and the page writer. The page kinds are one module each:
``page_summary`` (index.html), ``page_tables``, ``page_figures`` (drawing and figures.html)
and ``page_instances``; ``build`` writes them in turn.
"""

from __future__ import annotations

from pathlib import Path

from gqap.bench.site import analysis as an
from gqap.bench.site import html as h
from gqap.bench.site.data import Cell
from gqap.bench.site.study import Study
from gqap.family import current
from gqap.family import names as family_names
from gqap.io import write_text_atomic


class StudyPages:
    """One study's folder: index.html (summary), tables.html, figures.html,
    instances.html and instances/NAME.html, and what they share."""

    def __init__(self, study: Study, out: Path, root: str, up: tuple[str, str] | None,
                 copy_figures: bool = True) -> None:
        self.s, self.out, self.root, self.up = study, out, root, up
        self.copy_figures = copy_figures
        self.figs: list[tuple[str, str, str, str]] = []  # (family, file, caption, group)
        self.skipped: list[tuple[str, str, str]] = []  # (family, figure, reason)
        rank = {name: i for i, name in enumerate(family_names())}  # the registry's order
        self.families = sorted({c.family for c in study.cells},
                               key=lambda f: (rank.get(current(f), len(rank)), f))
        names = sorted({c.instance for c in study.cells if c.instance is not None})
        self.slugs: dict[str, str] = {}
        for name in names:
            base, k = h.slug(name), 1
            candidate = base
            while candidate in self.slugs.values():
                k += 1
                candidate = f"{base}-{k}"
            self.slugs[name] = candidate

    def nav(self, here: str, depth: int = 0) -> list[tuple[str, str, bool]]:
        """The top bar's links from a page ``depth`` folders below the study's."""
        pre = "../" * depth
        links = []
        if self.up:
            links.append((pre + self.up[0], self.up[1], False))
        links += [(pre + "index.html", f"{self.s.name}: summary", here == "index"),
                  (pre + "tables.html", "tables", here == "tables"),
                  (pre + "figures.html", "figures", here == "figures")]
        if self.slugs:
            links.append((pre + "instances.html", "instances", here == "instances"))
        return links

    def write_page(self, rel: str, title: str, body: str, here: str) -> Path:
        """Write one page of the study at ``rel`` (relative to its folder)."""
        depth = rel.count("/")
        root = self.root + "../" * depth
        footer = (f"Built by <code>gqap bench site</code> / <code>gqap bench report "
                  f"--format html</code> from {self.s.source}. Regenerate the study: "
                  f"<code>{h.esc(self.s.command)}</code>.")
        return write_text_atomic(self.out / rel, h.page(f"{title} | {self.s.name}", body,
                                                        root, self.nav(here, depth), footer))

    def groups(self, fam: str) -> list[tuple[str, str, list[Cell]]]:
        """(file prefix, name, cells) of each instance group of family ``fam``."""
        cells = [c for c in self.s.cells if c.family == fam]
        groups = an.instance_groups(cells, self.s.order)
        fam_pre = f"{fam}-" if len(self.families) > 1 else ""
        return [(f"{fam_pre}{f'g{i + 1}-' if len(groups) > 1 else ''}", name, cs)
                for i, (name, cs) in enumerate(groups)]

    def add(self, fam: str, name: str, result: Path | str | None, caption: str,
            group: str = "") -> None:
        """Record a drawn figure (a path) or why it was skipped (a reason string)."""
        if isinstance(result, Path):
            self.figs.append((fam, result.name, caption, group))
        elif result:
            self.skipped.append((fam, f"{name} ({group})" if group else name, result))

    def instance_link(self, name: str) -> str:
        """A link to the page of instance ``name``."""
        return f'<a href="instances/{h.esc(self.slugs[name])}.html">{h.esc(name)}</a>'
