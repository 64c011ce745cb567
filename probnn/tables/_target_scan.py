"""The kind of a target column read in pieces: :class:`TargetScan` (two passes over the same
pieces of rows, the distinct values capped for a streamed column) and its rules'
``MAX_INFERRED_CLASSES``.

Split from :mod:`probnn.tables.targets`, which re-exports every name here and holds
``target_kind`` / ``target_kinds``, the one-piece case.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from probnn._validation import describe_values, name_data_rows
from probnn.exceptions import DataError
from probnn.tables.columns import (_ID_MIN_DISTINCT, _NUMBER_TEXT, _none_hint, _numeric_values,
                                   _parse_text)  # fmt: skip
from probnn.tables.preprocessing_scan import _ColumnScan
from probnn.tables.sources import _located_rows

__all__ = ["TargetScan", "MAX_INFERRED_CLASSES"]

# An integer target with at most this many distinct values is read as class labels.
MAX_INFERRED_CLASSES = 10


def _plain(value) -> str:
    """A value as a user wrote it: ``1`` rather than ``np.int64(1)``."""
    return str(value.item() if isinstance(value, np.generic) else value)


# from here on every float64 is a whole number (its spacing is 2 or more)
_WHOLE_FLOATS_END = 2.0**53


class TargetScan:
    """What :func:`target_kind` says of a target column given in pieces of rows.

    Two passes over the same pieces: ``observe`` each (is the column text, numbers
    with thousands separators, numbers?), then ``add`` each; :meth:`kind` answers.
    With ``max_distinct`` the distinct values kept are capped (a streamed column):
    beyond the cap, counts are reported as "more than".

    Parameters
    ----------
    max_distinct : int or None, default=None
    """

    def __init__(self, max_distinct: int | None = None, name: str = "target"):
        self.max_distinct = max_distinct
        self.name = name
        self._scan = _ColumnScan(name)
        self.distinct: dict = {}  # value -> rows holding it, in first-seen order (as pd.unique)
        self.numbers: set = set()  # distinct numeric values
        self.overflow = False
        self.bad = False
        self.bad_rows: list[str] = []  # data rows (the first few) of values that are not numbers
        self.bad_values: list[str] = []
        self.n_bad = 0
        self.rows = 0  # rows with a value
        self.integral, self.low, self.high = True, math.inf, -math.inf
        self.unit = True  # every value in [0, 1]

    def observe(self, column: pd.Series) -> None:
        self._scan.observe(column)

    def _keep(self, counts: pd.Series) -> None:
        """Add distinct values and their row counts (first-seen order), up to the cap."""
        for v, n in counts.items():
            if self.max_distinct is not None and len(self.distinct) >= self.max_distinct and (
                    v not in self.distinct):
                self.overflow = True
                return
            self.distinct[v] = self.distinct.get(v, 0) + int(n)

    def add(self, column: pd.Series) -> None:
        series = column.dropna()
        if series.empty:
            return
        self.rows += len(series)
        if (kind := self._scan.text_kind()) in _NUMBER_TEXT:
            series = pd.Series(_parse_text(series, kind)[0], index=series.index)
        self._keep(series.value_counts(sort=False))
        if not self._looks_numeric():
            return
        values, bad = _numeric_values(series)
        if bad.any():
            # a numeric column with a few stray strings: named (kind() says so), not labels
            self.bad = True
            self.n_bad += int(bad.sum())
            room = 10 - len(self.bad_rows)
            if room > 0:
                numbers, files = _located_rows(column)
                numbers = numbers[column.notna().to_numpy()][bad][:room]
                self.bad_rows += [name_data_rows([r], 1, files).removeprefix("data row ")
                                  for r in numbers]  # fmt: skip
                self.bad_values += series[bad].astype(str).tolist()[:room]
            values = values[~bad]
            if values.size == 0:
                return
        finite = np.isfinite(values)
        # beyond 2**53 every float64 is whole, which then says nothing of counts (1e150 * a
        # log-normal read as counts: a Poisson chosen, its 90% intervals holding none)
        self.integral = self.integral and bool(np.all(finite) and np.all(values == np.round(values))
                                               and np.all(np.abs(values) <= _WHOLE_FLOATS_END))
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.unit = self.unit and bool(np.all((values >= 0) & (values <= 1)))
        if self.max_distinct is None or len(self.numbers) <= self.max_distinct:
            self.numbers.update(np.unique(values).tolist())

    def _looks_numeric(self) -> bool:
        return self._scan.text_kind() in _NUMBER_TEXT or self._scan.looks_numeric()

    def comma_reading(self) -> str | None:
        """``"thousands"``, ``"decimal"`` or ``"percent"`` where the column's text was read so,
        else None: what a model records (``TabularModel.target_parser``), as ``_comma_reading``."""
        kind = self._scan.text_kind()
        return kind if kind in _NUMBER_TEXT else None

    def _count(self, n: int) -> str:
        return f"more than {self.max_distinct:,}" if self.overflow else f"{n:,}"

    def kind(self) -> tuple[str, str]:
        """The kind and the reason, as :func:`target_kind` gives them."""
        kinds, why = self.kinds()
        return kinds[0], why

    def kinds(self) -> tuple[tuple[str, ...], str]:
        """Every kind the column is (the first: :func:`target_kind`'s), and the reason.

        A few distinct integers are both class labels (``ordered-classes``) and counts or
        integers: their likelihoods are probabilities of the same events, so ``compare``
        ranks class and count families side by side.

        Raises
        ------
        DataError
            For a numeric column with values that are not numbers (naming their rows),
            and for text labels that look like identifiers rather than classes.
        """
        distinct = list(self.distinct)
        if not distinct:
            raise DataError("expected target values to choose a family from; found none (all missing)")
        if len(distinct) == 2 and not self.overflow:
            shown = describe_values(np.asarray([str(v) for v in distinct], dtype=object))
            return ("binary",), f"the target has exactly two distinct values ({shown})"
        if len(distinct) < 2:
            raise DataError(
                f"expected a target with at least two distinct values; found only {_plain(distinct[0])}"
            )
        if not self._looks_numeric():
            self._check_classes()
            return ("classes",), f"the target holds {self._count(len(distinct))} distinct text labels"
        if self.bad:
            shown = ", ".join(f"{r} ({v!r})" for r, v in zip(self.bad_rows, self.bad_values))
            more = f" and {self.n_bad - len(self.bad_rows)} more" if self.n_bad > len(self.bad_rows) else ""
            raise DataError(
                f"target {self.name!r} is numeric except at data row{'s' if self.n_bad > 1 else ''} "
                f"{shown}{more}: fix or remove those rows, or pass --family with a class "
                f"family to read every value as a class label{_none_hint(self.bad_values)}"
            )
        n_distinct = len(self.numbers)
        if self.max_distinct is not None and n_distinct > self.max_distinct:
            self.overflow = True
        low, high = self.low, self.high
        if self.integral and n_distinct <= MAX_INFERRED_CLASSES:
            return ("ordered-classes", "count" if low >= 0 else "integer"), (
                f"the target holds {n_distinct} distinct integers (at most "
                f"{MAX_INFERRED_CLASSES} are read as ordered class labels, and as "
                f"{'counts' if low >= 0 else 'integers'})"
            )
        if self.integral:
            what = "non-negative integers" if low >= 0 else "integers"
            return ("count" if low >= 0 else "integer",), (
                f"the target holds {what} ({self._count(n_distinct)} distinct values, from "
                f"{low:g} to {high:g})"
            )
        if low > 0 and high < 1:
            return ("unit-interval",), "the target holds real values strictly between 0 and 1"
        if low > 0:
            return ("positive",), "the target holds positive real values"
        if self.unit:
            return ("real",), ("the target holds real values between 0 and 1, some exactly 0 "
                               "or 1")  # fmt: skip
        return ("real",), "the target holds real values"

    def _check_classes(self) -> None:
        """DataError for text labels that look like an identifier: more than
        ``_ID_MIN_DISTINCT`` of them and most seen in one row only.

        A class seen in one row cannot be learned, and a held-out row's class was then most
        likely never seen in training: the same rule that calls a feature column an
        identifier (``_ID_MIN_DISTINCT``), with "seen once" for "distinct".
        """
        n_distinct = len(self.distinct)
        once = sum(1 for n in self.distinct.values() if n == 1)
        if self.overflow or (n_distinct > _ID_MIN_DISTINCT and 2 * once > n_distinct):
            raise DataError(
                f"target {self.name!r} looks like an identifier, not class labels: "
                f"{self._count(n_distinct)} distinct values in {self.rows:,} rows, "
                f"{once:,} of them in one row only (a class seen once cannot be learned or "
                "scored); choose another target, or pass --family with a class family to "
                "train on these labels anyway"
            )
