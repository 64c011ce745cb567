"""A report page read back for the tests: the one parser of probnn's HTML (``html.parser``).

Imported as ``from _html import read_report`` (pytest puts ``tests/`` on ``sys.path``).
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path


class ReportPage(HTMLParser):
    """A page's title, its images' sources, every table's rows of cell texts by the table's id
    (``table{n}`` for the n-th table without one; a heading row has no cells) and the text of
    its ``<pre>`` blocks."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.images: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.pre = ""
        self._table: str | None = None
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "table":
            self._table = attrs.get("id") or f"table{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None:
            self.tables[self._table][-1].append("")
            self._in = tag
        elif tag in ("title", "pre"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in == "td":
            self.tables[self._table][-1][-1] += data
        elif self._in == "title":
            self.title += data
        elif self._in == "pre":
            self.pre += data


def read_report(path: str | os.PathLike) -> ReportPage:
    """The page at ``path``, parsed."""
    page = ReportPage()
    page.feed(Path(path).read_text(encoding="utf-8"))
    page.close()
    return page
