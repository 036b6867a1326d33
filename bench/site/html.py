"""HTML building blocks of the results site: escaped text, sortable tables whose numeric
cells carry their raw value (``data-v``, what the sorter and the tests read), solver
swatches in the palette's colour and marker, and the page frame around a body."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from gqap.bench.figures.palette import style

ASSETS = ("site.css", "sort.js")


def esc(text: Any) -> str:
    """``text`` as HTML text (quotes escaped too)."""
    return html.escape("" if text is None else str(text), quote=True)


def slug(name: str) -> str:
    """A file-name-safe form of an instance name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "instance"


def pct(v: float | None, digits: int = 2) -> str:
    """A fraction in percent ('-' for none)."""
    return "-" if v is None or not math.isfinite(v) else f"{100 * v:.{digits}f} %"


def sig(v: float | None, digits: int = 3) -> str:
    """Significant digits ('-' for none)."""
    if v is None or not math.isfinite(v):
        return "-"
    return f"{v:.{digits}g}"


def secs(v: float | None) -> str:
    """A duration in seconds, three significant digits, in s, ms or µs."""
    if v is None or not math.isfinite(v):
        return "-"
    if abs(v) >= 1 or v == 0:
        return f"{v:.3g} s"
    if abs(v) >= 1e-3:
        return f"{v * 1e3:.3g} ms"
    return f"{v * 1e6:.3g} µs"


def num(v: float | None, digits: int = 1) -> str:
    """Fixed decimals with thousands separators ('-' for none)."""
    if v is None or not math.isfinite(v):
        return "-"
    return f"{v:,.{digits}f}"


def swatch(solver: str) -> str:
    """The solver's marker glyph in its colour, then its name."""
    s = style(solver)
    return (f'<span class="sw" style="color:{s.colour}" aria-hidden="true">{s.glyph}</span>'
            f"{esc(solver)}")


@dataclass
class Col:
    """A table column: header, how a raw value reads (text, escaped when written; HTML with
    ``html``), whether it is numeric (right-aligned, sorted by value)."""

    header: str
    fmt: Callable[[Any], str] = lambda v: "-" if v is None else str(v)
    numeric: bool = False
    html: bool = False  # fmt returns HTML (not escaped again)


def _raw(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return format(v, ".12g")
    return str(v)


def table(cols: Sequence[Col], rows: Sequence[Sequence[Any]], caption: str = "",
          table_id: str = "", sortable: bool = True, filter_box: bool = False) -> str:
    """A table of raw ``rows`` rendered through ``cols``; numeric cells keep their raw
    value in ``data-v``."""
    attrs = f' id="{esc(table_id)}"' if table_id else ""
    out = []
    if filter_box and table_id:
        out.append(f'<p><input class="filter" data-table="{esc(table_id)}" '
                   f'placeholder="filter rows" aria-label="filter the rows of the table"></p>')
    out.append(f'<div class="scroll"><table class="{"sortable" if sortable else "plain"}"'
               f"{attrs}>")
    if caption:
        out.append(f"<caption>{caption}</caption>")
    out.append("<thead><tr>" + "".join(
        f'<th scope="col"{" class=num" if c.numeric else ""}>{esc(c.header)}</th>'
        for c in cols) + "</tr></thead><tbody>")
    for row in rows:
        cells = []
        for c, v in zip(cols, row, strict=True):
            text = c.fmt(v)
            text = text if c.html else esc(text)
            if c.numeric:
                cells.append(f'<td class="num" data-v="{esc(_raw(v))}">{text}</td>')
            elif c.html:  # sort and test by the raw value, not the markup's text
                cells.append(f'<td data-v="{esc(_raw(v))}">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)


def page(title: str, body: str, root: str, nav: list[tuple[str, str, bool]],
         footer: str = "") -> str:
    """A whole page: ``root`` is the relative path to the site's root folder (where
    assets/ is), ``nav`` (href, text, current) the links of the top bar."""
    links = "".join(f'<a href="{esc(h)}"{" class=here" if here else ""}>{esc(t)}</a>'
                    for h, t, here in nav)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{root}assets/site.css">
</head>
<body>
<header class="top"><nav>{links}</nav></header>
<main>
{body}
<footer>{footer}</footer>
</main>
<script src="{root}assets/sort.js"></script>
</body>
</html>
"""


def figure(src: str, caption: str, alt: str = "") -> str:
    """An image with its caption (``caption`` is HTML)."""
    return (f'<figure><img src="{esc(src)}" alt="{esc(alt or caption)}" loading="lazy">'
            f"<figcaption>{caption}</figcaption></figure>")
