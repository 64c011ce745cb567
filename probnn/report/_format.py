"""Numbers as the report and the model card write them (one rule for both).

A module of its own so that :mod:`probnn.report.card` (the facts) and
:mod:`probnn.report.html` (the page, which shows the card's rows) both import it
and the imports point one way: html -> card -> _format.
"""

from __future__ import annotations

import math

__all__ = ["format_number"]


def format_number(value) -> str:
    """A number as a reader takes it in: ``51,763.2`` rather than ``5.176e+04``.

    Integers get thousands separators; floats 4 significant digits below 1,000,
    one decimal and separators from 1,000, none from 100,000; tiny values
    scientific. Anything else is ``str(value)``.
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) or not hasattr(value, "__float__"):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    size = abs(number)
    if size >= 1e5:
        return f"{number:,.0f}"
    if size >= 1e3:
        return f"{number:,.1f}"
    if size >= 1e-3 or size == 0:
        return f"{number:.4g}"
    return f"{number:.3e}"
