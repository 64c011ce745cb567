"""Rows far outside the training rows' range: one :class:`~probnn.exceptions.ExtrapolationWarning`.

A network's prediction at a feature value far beyond any training row is an extrapolation of
whatever shape the fit took inside the range (a ReLU network's: linear, at any slope), and its
spread is the fit's guess there too (nothing in the likelihood widens it; an ensemble's or a
Laplace posterior's spread may, by an amount no row checked). So
:meth:`~probnn.tables.preprocessing.Preprocessor.transform` names such rows.

The rule. A numeric column's training rows span ``[low, high]``, of width ``w = high - low``; a
value is *far* when it lies beyond that range by more than its width: ``x > high + w`` or
``x < low - w``. It is a rule of the training rows alone, in the column's units, and honest
held-out rows of a random split almost never meet it: a new row exceeds the training maximum
with probability ``1 / (n + 1)`` whatever the distribution (the rows are exchangeable), and
beyond the maximum by more than the range, for a light tail (normal, exponential) never in
practice; only a heavy power tail (incomes, populations) or a lone wrong value ever does, and
then the row is an extrapolation all the same. Measured on the 76 tables of ``bench._tables`` that
load, 20 random splits each (``split_rows``, test fraction 0.2): it fired on 28 of 1,520 splits,
33 of about 690,000 held-out rows, each a lone outlier (an arrest probability of 2.75 in
``h2-crime-rate``, payments three times the income in ``h2-hmda-deny``, a pixel of ``digits`` lit
in no training row); beyond the range at all (no margin) fired on 728 splits. A column constant
in training (``w = 0``) makes every other value far: the network never saw it vary, so its
weights on it are untrained.

Only numeric columns are checked (standardised, dates included); a category not seen in
training has its own warning. Models saved before the training range was recorded
(``Preprocessor.range_`` None) are not checked.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from probnn._validation import name_data_rows
from probnn.exceptions import ExtrapolationWarning
from probnn.tables.sources import _located_rows

__all__ = ["FarRows", "far_rows", "note_far_rows", "tallied"]

# How far beyond the training range, in widths of the range, a value is "far".
FAR_WIDTHS = 1.0
# At most this many columns are named in the warning (the rest are counted).
NAMED_COLUMNS = 3
# The key of the warning: the command line says it once per command (the same rows are
# transformed more than once: metrics, the report; a streamed table batch by batch).
KEY = ("extrapolation",)


@dataclass
class FarRows:
    """Rows far outside the training range: how many, the first, each column's farthest value.

    Attributes
    ----------
    rows : int
        Rows with a far value in some column.
    first : str
        The first such row in words (``"data row 12"``).
    columns : dict of str -> (float, float, float, float)
        For each column with far values, in the preprocessor's order: the farthest value,
        its distance beyond the range, and the training range's low and high end.
    """

    rows: int = 0
    first: str = ""
    columns: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def add(self, other: "FarRows") -> None:
        """Merge ``other``'s rows (which come after these) into these."""
        if not self.rows:
            self.first = other.first
        self.rows += other.rows
        for name, entry in other.columns.items():
            if name not in self.columns or entry[1] > self.columns[name][1]:
                self.columns[name] = entry

    def message(self) -> str:
        """The warning's one line."""
        named = list(self.columns.items())[:NAMED_COLUMNS]
        shown = [f"column {name!r}: {value:.6g} against {low:.6g}..{high:.6g}"
                 for name, (value, _, low, high) in named]  # fmt: skip
        more = len(self.columns) - NAMED_COLUMNS
        if more > 0:
            shown.append(f"and {more} more column{'s' if more > 1 else ''}")
        verb = "row lies" if self.rows == 1 else "rows lie"
        return (f"{self.rows:,} {verb} far outside the training rows' range, beyond it by more "
                f"than its width ({'; '.join(shown)}; first: {self.first}): their predictions "
                "extrapolate what the fit learned inside it")  # fmt: skip


def far_rows(preprocessor, Z: np.ndarray, frame: pd.DataFrame) -> FarRows | None:
    """The rows of ``frame`` whose numeric features are far outside the training range.

    Parameters
    ----------
    preprocessor : Preprocessor
        Fitted, with ``range_`` (the training rows' ``(low, high)`` of each numeric column).
    Z : ndarray of shape (n_numeric, n_rows)
        The standardised numeric columns, ``(x - center) / scale``, one row per column.
    frame : DataFrame of shape (n_rows, n_columns)
        The rows (for their data row numbers).

    Returns
    -------
    FarRows or None
        None when no row is far (or the model recorded no range).
    """
    ranges = getattr(preprocessor, "range_", None)
    if ranges is None or not len(ranges) or Z.shape[1] == 0:
        return None
    low, high = np.array(ranges, dtype=np.float64).T
    center, scale = np.array(preprocessor.center_), np.array(preprocessor.scale_)
    width = FAR_WIDTHS * (high - low)
    # the bounds mapped as transform maps a value, so a value equal to a bound maps equal to it
    upper = ((high + width) - center) / scale
    lower = ((low - width) - center) / scale
    far = (Z > upper[:, None]) | (Z < lower[:, None])  # (NaN compares False)
    rows = far.any(axis=0)
    if not rows.any():
        return None
    numbers, files = _located_rows(frame)
    found = FarRows(rows=int(rows.sum()),
                    first=name_data_rows([numbers[np.argmax(rows)]], files=files))  # fmt: skip
    for i in np.flatnonzero(far.any(axis=1)):
        beyond = np.where(far[i], np.maximum(Z[i] - upper[i], lower[i] - Z[i]), -np.inf)
        j = int(np.argmax(beyond))
        value = float(Z[i, j] * scale[i] + center[i])
        name = preprocessor.numeric_[i]
        if name in getattr(preprocessor, "logged_", ()):  # judged on log x, said in x's units
            value, lo, hi = math.exp(value), math.exp(low[i]), math.exp(high[i])
            found.columns[name] = (value, max(value - hi, lo - value), lo, hi)
            continue
        found.columns[name] = (value, float(beyond[j] * scale[i]),
                               float(low[i]), float(high[i]))  # fmt: skip
    return found


def warn(found: FarRows) -> None:
    """Say ``found`` as an :class:`ExtrapolationWarning` (keyed: once per command)."""
    message = ExtrapolationWarning(found.message())
    message.key = KEY
    warnings.warn(message, stacklevel=2)


def note_far_rows(preprocessor, Z: np.ndarray, frame: pd.DataFrame) -> None:
    """:func:`far_rows`, said at once, or added to the tally of :func:`tallied` when open."""
    found = far_rows(preprocessor, Z, frame)
    if found is None:
        return
    tally = preprocessor.__dict__.get("_far_tally")
    if tally is not None:
        tally.add(found)
    else:
        warn(found)


@contextlib.contextmanager
def tallied(preprocessor) -> Iterator[FarRows]:
    """Within it, ``preprocessor.transform`` adds its far rows up instead of warning; on
    leaving (normally), one warning of them all: a table transformed batch by batch (streamed
    predict and evaluate) is warned of once, with its whole count."""
    outer = preprocessor.__dict__.get("_far_tally")
    tally = FarRows()
    preprocessor._far_tally = tally
    try:
        yield tally
    finally:
        if outer is None:  # (nothing left on the preprocessor: a model pickles as before)
            del preprocessor._far_tally
        else:
            preprocessor._far_tally = outer
    if tally.rows:
        if outer is not None:
            outer.add(tally)
        else:
            warn(tally)
