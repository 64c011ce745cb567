"""The self-contained HTML report: a title, notes, a metrics table and embedded figures.

Every image is inlined as a base64 ``data:`` URI, so the one file can be
mailed or archived on its own. Files are written atomically (a temporary file
in the same folder, then :func:`os.replace`), so an interrupted run never
leaves a half-written report behind.
"""

from __future__ import annotations

import base64
import html
import math
import os
import pathlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from probnn._io import atomic_write

__all__ = ["EmbeddedFigure", "render_html", "write_atomic"]


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
    """

    name: str
    png: bytes
    caption: str


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 2em 0; }
figure img { max-width: 100%; }
figcaption { color: #444; font-size: 0.95em; }
"""


def _format_value(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) or hasattr(value, "__float__"):
        number = float(value)
        return str(number) if not math.isfinite(number) else f"{number:.4g}"
    return str(value)


def render_html(
    title: str,
    metrics: Mapping[str, object],
    figures: Sequence[EmbeddedFigure],
    notes: Sequence[str] = (),
) -> str:
    """Build the report's HTML text.

    Parameters
    ----------
    title : str
        Page title and heading.
    metrics : mapping of str to number or str
        Shown as a two-column table, in the mapping's order.
    figures : sequence of EmbeddedFigure
        Embedded in order, each with its caption.
    notes : sequence of str
        Free-text lines shown under the heading (data file, model, split...).

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
        f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
    ]
    if notes:
        parts.append("<ul>")
        parts.extend(f"<li>{e(str(note))}</li>" for note in notes)
        parts.append("</ul>")
    if metrics:
        parts.append("<h2>Metrics on held-out data</h2>")
        parts.append("<table>")
        parts.append("<tr><th>metric</th><th>value</th></tr>")
        for key, value in metrics.items():
            parts.append(
                f'<tr><td>{e(str(key))}</td><td class="num">{e(_format_value(value))}</td></tr>'
            )
        parts.append("</table>")
    if figures:
        parts.append("<h2>Figures</h2>")
    for figure in figures:
        data = base64.b64encode(figure.png).decode("ascii")
        parts.append("<figure>")
        parts.append(f'<img src="data:image/png;base64,{data}" alt="{e(figure.name)}">')
        parts.append(f"<figcaption><b>{e(figure.name)}</b>: {e(figure.caption)}</figcaption>")
        parts.append("</figure>")
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
