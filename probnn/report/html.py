"""The self-contained HTML report: a title, the model card, the metrics and the figures.

Every image is inlined as a base64 ``data:`` URI, so the one file can be
mailed or archived on its own. Files are written atomically (a temporary file
in the same folder, then :func:`os.replace`), so an interrupted run never
leaves a half-written report behind.
"""

from __future__ import annotations

import base64
import html
import os
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from probnn._io import atomic_write
from probnn.report._format import format_number
from probnn.report.card import metric_rows

__all__ = ["EmbeddedFigure", "Table", "format_number", "render_html", "write_atomic"]


@dataclass(frozen=True)
class EmbeddedFigure:
    """A rendered figure for the report.

    Attributes
    ----------
    name : str
        File name of the PNG written next to the report, e.g. ``"pit.png"``.
    png : bytes
        The PNG file's contents.
    caption : str
        One or two sentences on how to read the figure.
    wide : bool
        Spans the page's width instead of one column of the figure grid.
    """

    name: str
    png: bytes
    caption: str
    wide: bool = False


@dataclass(frozen=True)
class Table:
    """A table of the report.

    Attributes
    ----------
    heading : str
    columns : sequence of str
        Column headings.
    rows : sequence of sequences
        One sequence per row, as long as ``columns``; numbers are formatted
        with :func:`format_number`.
    note : str
        A sentence under the table.
    key : str
        The ``id`` of the HTML table (tests and links find it by this).
    """

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]] = field(default_factory=list)
    note: str = ""
    key: str = ""


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 84em; margin: 1.5em auto; padding: 0 1.5em;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; margin: 0.8em 0 0.3em; }
ul.notes { margin-top: 0.3em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(30em, 100%), 1fr));
         gap: 0 2em; }
.cards > div { min-width: 0; }
div.table { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td { overflow-wrap: anywhere; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.cards table { width: 100%; }
p.note { color: #444; font-size: 0.95em; margin-top: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(34em, 1fr));
           gap: 1.5em; }
figure { margin: 0; }
figure.wide { grid-column: 1 / -1; max-width: 64em; }
figure img { width: 100%; height: auto; display: block; border: 1px solid #eee; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.3em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.9em; }
"""


def _table_html(table: Table) -> list[str]:
    e = html.escape
    key = f' id="{e(table.key)}"' if table.key else ""
    # in a box of its own: a table wider than its column scrolls there, never over the
    # next card (a grid item is as wide as its content unless told otherwise)
    parts = [f"<h3>{e(table.heading)}</h3>" if table.heading else "", '<div class="table">',
             f"<table{key}>"]
    if any(str(c) for c in table.columns):
        parts.append("<tr>" + "".join(f"<th>{e(str(c))}</th>" for c in table.columns) + "</tr>")
    for row in table.rows:
        cells = []
        for value in row:
            numeric = not isinstance(value, (str, bool)) and hasattr(value, "__float__")
            klass = ' class="num"' if numeric else ""
            cells.append(f"<td{klass}>{e(format_number(value))}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    parts.append("</div>")
    if table.note:
        parts.append(f'<p class="note">{e(table.note)}</p>')
    return [p for p in parts if p]


def render_html(
    title: str,
    metrics: Mapping[str, object] | None,
    figures: Sequence[EmbeddedFigure],
    notes: Sequence[str] = (),
    *,
    card: Sequence[Table] = (),
    results: Sequence[Table] = (),
    derivation: str | None = None,
    coverage: float = 0.9,
    target: str = "the target",
) -> str:
    """Build the report's HTML text.

    Parameters
    ----------
    title : str
        Page title and heading.
    metrics : mapping of str to number or str, optional
        Held-out metrics, shown with the names, units and reading of
        :func:`probnn.report.card.metric_rows`, in the mapping's order.
    figures : sequence of EmbeddedFigure
        Embedded in order, each with its caption.
    notes : sequence of str
        Summary lines under the heading.
    card : sequence of Table
        The model card (data, family, network, training, software), shown
        under "What was fitted".
    results : sequence of Table
        Further result tables after the metrics (baselines, a comparison).
    derivation : str, optional
        The family's likelihood -> loss -> gradient derivation, shown as text.
    coverage : float
        Nominal coverage of the interval behind a ``"coverage"`` metric.
    target : str
        Name of the target, for units.

    Returns
    -------
    str
        A complete HTML5 document; all text is escaped.
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
    ]
    if notes:
        parts.append('<ul class="notes">')
        parts.extend(f"<li>{e(str(note))}</li>" for note in notes)
        parts.append("</ul>")
    if metrics:
        parts.append("<h2>Held-out results</h2>")
        rows = metric_rows(metrics, coverage=coverage, target=target)
        parts.extend(_table_html(Table("", ["measure", "value", "unit", "how to read it"], rows,
                                       key="metrics")))  # fmt: skip
    for table in results:
        parts.extend(_table_html(table))
    if figures:
        parts.append("<h2>Figures</h2>")
        parts.append('<div class="figures">')
    for figure in figures:
        data = base64.b64encode(figure.png).decode("ascii")
        parts.append('<figure class="wide">' if figure.wide else "<figure>")
        parts.append(f'<img src="data:image/png;base64,{data}" alt="{e(figure.name)}">')
        parts.append(f"<figcaption><b>{e(figure.name)}</b>: {e(figure.caption)}</figcaption>")
        parts.append("</figure>")
    if figures:
        parts.append("</div>")
    if card:
        parts.append("<h2>What was fitted</h2>")
        parts.append('<div class="cards">')
        for table in card:
            parts.append("<div>")
            parts.extend(_table_html(table))
            parts.append("</div>")
        parts.append("</div>")
    if derivation:
        parts.append("<h2>The likelihood and its loss</h2>")
        parts.append(f"<pre>{e(derivation)}</pre>")
    parts.extend(["</body>", "</html>", ""])
    return "\n".join(parts)


def write_atomic(path: str | os.PathLike, data: bytes | str) -> pathlib.Path:
    """Write ``data`` to ``path`` atomically; see :func:`probnn._io.atomic_write`.

    Parameters
    ----------
    path : path-like
        Destination; its folder must exist.
    data : bytes or str
        File contents; a str is encoded as UTF-8.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    return atomic_write(path, data)
