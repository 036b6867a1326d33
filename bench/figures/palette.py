"""One colour and one marker per solver label, the same in every figure and on every page.

The shipped studies' labels have fixed styles (``KNOWN``), chosen so that the labels of any
one study differ in both colour and marker (tested over results/); variants of a solver
share its hue (tabu blues, GA oranges, MILP greens, DQN pinks and browns, bound methods
reds and purples). A label outside the table gets a style from a hash of its name, moved
to the next free colour and marker where it would repeat another label of the same figure.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """A solver label's colour (hex) and matplotlib marker."""

    colour: str
    marker: str

    @property
    def glyph(self) -> str:
        """A text character with the marker's shape, for HTML pages."""
        return GLYPHS.get(self.marker, "\u25cf")


KNOWN: dict[str, Style] = {
    # exact and reference methods: neutrals
    "exact": Style("#000000", "*"),
    "brute-force": Style("#525252", "X"),
    "brute-force-large": Style("#969696", "x"),
    "bnb-fixed-split": Style("#8c6d31", "P"),
    # the GQAP branch and bound bnb (exact-gqap): violets
    "bnb": Style("#54278f", "X"),
    "bnb-300s": Style("#807dba", "h"),
    "bnb-root": Style("#bcbddc", "d"),
    # tabu: blues
    "tabu": Style("#1f77b4", "o"),
    "tabu-1s": Style("#6baed6", "s"),
    "tabu-0.1s": Style("#17becf", "d"),
    "tabu-300s": Style("#08306b", "h"),
    # GA: oranges
    "ga": Style("#ff7f0e", "^"),
    "ga-1s": Style("#e6550d", "v"),
    "descent": Style("#9467bd", ">"),
    # MILP and CP-SAT: greens and reds
    "milp": Style("#2ca02c", "p"),
    "milp-highs": Style("#2ca02c", "p"),
    "milp-cbc": Style("#74c476", "H"),
    "milp-highs-fixed": Style("#006d2c", "8"),
    "milp-cbc-fixed": Style("#a1d99b", ">"),
    "cpsat": Style("#d62728", "D"),
    "cpsat-fixed": Style("#ff9896", "d"),
    # learned policies: pinks and browns
    "dqn-general": Style("#e377c2", "<"),
    "dqn-gpu-g8": Style("#8c564b", "H"),
    "dqn-set": Style("#bcbd22", "p"),
    "dqn-specific": Style("#c49c94", "8"),
    "dqn-multi": Style("#ad494a", "P"),
    # baselines: olives
    "baseline1": Style("#637939", "v"),
    "baseline2": Style("#b5cf6b", "1"),
    "baseline3": Style("#8ca252", "s"),
    # bounds and LP relaxations: purples, indigos, reds
    "bound": Style("#843c39", "8"),
    "glb": Style("#843c39", "8"),
    "lagrangean": Style("#d6616b", "s"),
    "lp-gw": Style("#7b4173", "^"),
    "lp-rlt1": Style("#ce6dbd", "D"),
    "lp-standard": Style("#393b79", "o"),
    "lp-rlt": Style("#5254a3", "s"),
    "lp-rlt-cap": Style("#6b6ecf", "^"),
    "lp-fixed-standard": Style("#9c9ede", "v"),
    "lp-fixed-rlt": Style("#17becf", "<"),
    "lp-fixed-rlt-cap": Style("#e7ba52", "h"),
}

# Fallback colours (distinct from one another on white) and markers for other labels.
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39",
           "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")
MARKERS = ("o", "s", "^", "v", "D", "<", ">", "p", "h", "*", "X", "P", "d", "H", "8")
GLYPHS = {"o": "\u25cf", "s": "\u25a0", "^": "\u25b2", "v": "\u25bc", "D": "\u25c6",
          "d": "\u2666", "<": "\u25c0", ">": "\u25b6", "p": "\u2b1f", "h": "\u2b22",
          "H": "\u2b23", "*": "\u2605", "X": "\u2716", "x": "\u00d7", "P": "\u271a",
          "8": "\u2b24", "1": "Y"}


def _hashed(label: str, taken_colours: set[str], taken_markers: set[str]) -> Style:
    h = zlib.crc32(label.encode())
    colour = next(c for i in range(len(COLOURS))
                  if (c := COLOURS[(h + i) % len(COLOURS)]) not in taken_colours
                  or len(taken_colours) >= len(COLOURS))
    marker = next(m for i in range(len(MARKERS))
                  if (m := MARKERS[(h // 7 + i) % len(MARKERS)]) not in taken_markers
                  or len(taken_markers) >= len(MARKERS))
    return Style(colour, marker)


def style(label: str) -> Style:
    """The style of one label (a known label's, else its hashed one)."""
    return KNOWN.get(label) or _hashed(label, set(), set())


def styles(labels: list[str]) -> dict[str, Style]:
    """Label -> style for the labels of one figure or page: known labels keep their
    style; other labels avoid the colours and markers the others already use."""
    out = {lab: KNOWN[lab] for lab in labels if lab in KNOWN}
    for lab in sorted(set(labels) - set(out)):
        out[lab] = _hashed(lab, {s.colour for s in out.values()},
                           {s.marker for s in out.values()})
    return {lab: out[lab] for lab in labels}
