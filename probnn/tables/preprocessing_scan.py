"""A feature table read in pieces of rows: :class:`PreprocessorScan` fits a
:class:`~probnn.tables.preprocessing.Preprocessor` on them, bit for bit as on the whole table
(its ``fit`` is the one-piece case), one :class:`_ColumnScan` a column; and
:func:`numeric_column`, the one reading of a column's numbers both use.
"""

from __future__ import annotations

import math
import re
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from probnn._validation import describe_values, name_data_rows
from probnn.exceptions import DataError, DataWarning
from probnn.tables.columns import (_DATE_FORMATS, _DECIMAL, _ID_MIN_DISTINCT, _PERCENT, _THOUSANDS,
                                   FLOAT32_MAX, _comma_kind, _convention, _describe_kind,
                                   _is_dates, _ItemLists, _none_hint, _numeric_values,
                                   _parse_text, _refuse_nested, _SAID, _warn_identifier_dropped,
                                   _warn_item_lists, _warn_spelling_variants)  # fmt: skip
from probnn.tables.log_scale import MAX_COLUMNS, LogScan, warn_logged
from probnn.tables.sources import SEPARATOR_ATTR, UNNAMED_ATTR, _located_rows, _rows

if TYPE_CHECKING:  # (the preprocessor imports this module: its type only, for the hints)
    from probnn.tables.preprocessing import Preprocessor

__all__ = ["MAX_STREAMED_CATEGORIES", "PreprocessorScan", "numeric_column", "level_text",
           "mixed_as_categories"]


def numeric_column(column: pd.Series, name: str, kind: str | None = None) -> np.ndarray:
    """A feature column's values as float64 (``kind``: a text parser's, else plain numbers);
    a value that is not a finite number within float32's range is a :class:`DataError`
    naming its rows."""
    if kind is None:
        values, bad = _numeric_values(column)
        expected = "numbers"
    else:
        values, bad = _parse_text(column, kind)
        expected = _describe_kind(kind)
    if bad.any():
        found = column[bad].astype(str).to_numpy()
        raise DataError(
            f"expected {expected} in column {name!r}; found "
            f"{describe_values(found)} at {_rows(bad, column)}"
            f"{_none_hint(found)}"
        )
    infinite = np.isinf(values)
    if infinite.any():
        raise DataError(
            f"expected finite numbers in column {name!r}; found "
            f"{describe_values(values[infinite])} at {_rows(infinite, column)}"
        )
    huge = np.abs(values) > FLOAT32_MAX
    if huge.any():
        raise DataError(
            f"expected numbers within float32's range (|x| <= {FLOAT32_MAX:.4g}, the "
            f"network's precision) in column {name!r}; found {describe_values(values[huge])} "
            f"at {_rows(huge, column)}"
        )
    return values


# ------------------------------------------- numbers and text: categories
# a text value on fewer rows than this is a typo in numbers, not a level (mixed_as_categories)
MIXED_MIN_ROWS = 2


def mixed_as_categories(present: int, parsed: int, levels: int | None,
                        rarest_text: int) -> bool:
    """Whether a feature column of numbers and text is read as categories.

    A feature column most of whose present values parse as numbers is read as numbers,
    and its other values are errors naming their rows (``looks_numeric``). That is right
    for a measurement with a typo in it: many distinct numbers and a stray "12,5" or "?".
    It is wrong for a code list: "0", "1", "2", "3+" (a top-coded count, common in survey
    data) or "1".."5", "DK" (a rating with "don't know") hold a few distinct values, and a
    few distinct values are categories whether they are written as numbers or as text;
    the text among them is a level of its own, not a typo, and no number stands for it.
    So a column whose present values are not all numbers (``0 < parsed < present``) is read
    as categories, one level per distinct value (numbers in one spelling: :func:`level_text`),
    when it holds no more distinct values than a text column may before it looks like an
    identifier (``_ID_MIN_DISTINCT``, the project's bound on what one-hot encoding is for)
    and every text value that is no number holds at least ``MIXED_MIN_ROWS`` = 2 rows: a
    level is a value rows share, while a text value on one row is no evidence of a level
    and likelier a typo ("1, 2, abc, 4": "abc" stays refused, naming its row). Otherwise it
    stays numbers with errors, as before. The rule is about the column only, not about any
    table; a target is judged by its own rules (not this one).

    Parameters
    ----------
    present : int
        The column's present (non-missing) values.
    parsed : int
        How many of them parse as numbers (``pandas.to_numeric``).
    levels : int or None
        Its distinct values as :func:`level_text` writes them; None: more than
        ``_ID_MIN_DISTINCT`` (no longer counted).
    rarest_text : int
        The rows of its rarest text value that is no number.
    """
    return (0 < parsed < present and levels is not None and levels <= _ID_MIN_DISTINCT
            and rarest_text >= MIXED_MIN_ROWS)  # fmt: skip


def _number_text(x: float) -> str:
    """A number as a level: a whole number without a decimal point ("1", as "1", "1.0" or
    a CSV chunk read as numbers has it), any other by Python's shortest repr ("2.5")."""
    return str(int(x)) if x.is_integer() and abs(x) < 2.0**53 else repr(float(x))


# whole numbers written as digits: spelt exactly by Python's int (beyond 2**53 too: "007" is
# "7", and two long codes stay two levels), where float64 would merge them
_DIGITS = re.compile(r"\s*[+-]?[0-9]+\s*")


def _level_texts(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Distinct values (object array, shape (n,)) as levels: numbers by :func:`_number_text`
    (whole numbers in digits, or of an integer dtype, by ``int``), the values that do not
    parse as numbers (``pandas.to_numeric``) and booleans (a CSV chunk of only "True" and
    "False" is read as booleans) as their text; and the mask of those, shape (n,)."""
    values = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    unparsed = np.isnan(numbers)
    texts = values.astype(str).tolist()  # (the text of most values, at once)
    for i in np.flatnonzero(~unparsed):
        v = values.iat[i]
        if isinstance(v, (bool, np.bool_)):
            unparsed[i] = True
            continue
        whole = isinstance(v, (int, np.integer)) or isinstance(v, str) and _DIGITS.fullmatch(v)
        texts[i] = str(int(v)) if whole else _number_text(float(numbers[i]))
    return texts, unparsed


def level_text(column: pd.Series) -> pd.Series:
    """A categorical column's levels (a column of numbers and text read as categories,
    :func:`mixed_as_categories`, or a text column): each present value's level, missing
    values missing. One spelling a number, so the levels are the same whether a file (or a
    streamed chunk of it) was read as numbers or as text."""
    present = column.dropna()
    uniques = pd.unique(present.to_numpy(dtype=object))
    return column.map(dict(zip(uniques, _level_texts(uniques)[0])))


def _warn_mixed(name: str, levels: set[str], unparsed: set[str]) -> None:
    """The :class:`~probnn.exceptions.DataWarning` of a column read as categories by
    :func:`mixed_as_categories`; said once per command for the column (a selection refits)."""
    key = ("mixed", name)
    if not _SAID.first_time(key):
        return
    shown = ", ".join(repr(v) for v in sorted(unparsed)[:5])
    shown += ", ..." if len(unparsed) > 5 else ""
    which = "which is no number" if len(unparsed) == 1 else "which are no numbers"
    message = DataWarning(
        f"column {name!r} read as categories ({len(levels)} levels), not numbers: it holds "
        f"numbers and {shown}, {which}, in {_ID_MIN_DISTINCT} or fewer distinct values; to "
        "read numbers, write every value as a number")  # fmt: skip
    message.key = key
    warnings.warn(message, stacklevel=1)


# ------------------------------------------------------- a table read in pieces
# A streamed text column with more distinct values than this is refused (one-hot features
# by the hundred thousand are an identifier's, not a category's); in memory there is no cap.
MAX_STREAMED_CATEGORIES = 100_000


class _ColumnScan:
    """What one column holds, from its pieces in row order (see :class:`PreprocessorScan`).

    The kind pass (``observe``) gathers what :func:`_text_kind` and :func:`_looks_numeric`
    decide on a whole column; the value pass (``add``) the statistics of its kind.
    """

    def __init__(self, name: str):
        self.name = name
        self.rows = self.missing = self.parsed = 0
        self.textual = False  # a piece with values of a non-numeric dtype
        self.all_str = True  # ... every one of them a str, in an object / string column
        self.thousands, self.decimal, self.comma = True, True, False
        self.percent = True  # every text value so far a percentage ("12.3%": _PERCENT)
        self.convention: str | None = "thousands"  # what its file's commas are (_convention)
        self.example: tuple[str, int, list] | None = None  # a value with a comma, its rows
        self.comma_rows: list[int] = []  # (the first 10 data rows of values with a comma)
        self.stamps = False  # a piece of a datetime dtype
        self.durations = False  # a piece of a timedelta dtype
        self.unnamed = False  # under an empty header (UNNAMED_ATTR)
        self.labels: set | None = set()  # its distinct values while they are all distinct
        self.aside: str | None = None  # "label" (a row label) or "empty": not a feature
        self.ungrouped: str | None = None  # the first value with a comma, not grouped
        self.items = _ItemLists()  # whether its commas are lists of items ("1,2")
        self.dates = dict.fromkeys(_DATE_FORMATS, True)
        self.parser: str | None = None
        self.numeric = False
        self.moments = None
        self.low, self.high = math.inf, -math.inf  # of the present values (a numeric column)
        self.median = None  # ExactMedian, or a list of the present values (in memory)
        self.counts: dict[str, int] | None = None
        self.levels: dict[str, int] | None = {}  # distinct values (level_text) -> rows, while few
        self.unparsed: set[str] = set()  # ... those that are no numbers
        self.mixed = False  # read as categories (mixed_as_categories)
        self.spelt = False  # a categorical column with a number among its values (level_text)

    def _observe_levels(self, values: np.ndarray, counts: np.ndarray) -> None:
        """Keep the distinct values (object or float array, shape (k,)) as levels with their
        rows (``counts``, shape (k,)) while there are at most ``_ID_MIN_DISTINCT`` of them
        (what :func:`mixed_as_categories` asks)."""
        if self.levels is None:
            return
        texts, unparsed = _level_texts(values)
        for text, n in zip(texts, counts):
            self.levels[text] = self.levels.get(text, 0) + int(n)
        self.unparsed.update(t for t, no in zip(texts, unparsed) if no)
        if len(self.levels) > _ID_MIN_DISTINCT:
            self.levels, self.unparsed = None, set()

    # -------------------------------------------------------- kind pass
    def observe(self, column: pd.Series, capped: bool = False) -> None:
        _refuse_nested(column, self.name)
        n = len(column)
        absent = column.isna().to_numpy()
        missing = int(absent.sum())
        self.rows += n
        self.missing += missing
        self.unnamed = self.unnamed or self.name in column.attrs.get(UNNAMED_ATTR, ())
        if self.unnamed:
            self._observe_labels(column, absent, capped)
        if missing == n:
            return
        if pd.api.types.is_timedelta64_dtype(column):
            self.durations = True
            self.parsed += n - missing
            return
        if pd.api.types.is_datetime64_any_dtype(column):
            self.stamps = True
        if (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
                and column.attrs.get(SEPARATOR_ATTR) is not None):  # fmt: skip
            # a CSV's chunk of plain numbers: text as pandas read it, judged as its text was
            # (beyond 999 or with a decimal point it contradicts grouping, resp. a decimal comma)
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)[~absent]
            self.thousands = self.thousands and bool(np.all(np.abs(values) < 1000))
            self.decimal = self.decimal and bool(np.all(values == np.round(values)))
            self.items.observe_numbers(values)
            distinct, rows = np.unique(values, return_counts=True)
            self._observe_levels(distinct.astype(object), rows)
            self.dates = dict.fromkeys(self.dates, False)
            self.percent = False
            self.parsed += n - missing
            return
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            # numbers among text (a Parquet column's pieces) make the column not all text
            self.all_str = False
            self.parsed += n - missing
            if not pd.api.types.is_bool_dtype(column):
                rows = column[~absent].value_counts(sort=False)
                self._observe_levels(rows.index.to_numpy(dtype=object), rows.to_numpy())
            return
        self.textual = True
        # every question below is about each distinct value: ask it once per value
        counts = column[~absent].value_counts(sort=False)
        values = pd.Series(counts.index.to_numpy(dtype=object), dtype=object)
        if self.all_str:
            textlike = pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
            self.all_str = textlike and all(isinstance(v, str) for v in values)
            if not self.all_str and pd.api.types.is_object_dtype(column) and _is_dates(values):
                self.stamps = True  # date objects (a Parquet date32 column)
        if self.all_str:
            text = values.astype(str)
            grouped = text.str.fullmatch(_THOUSANDS)
            self.thousands = self.thousands and bool(grouped.all())
            bad = text.str.contains(",", regex=False) & ~grouped
            if self.ungrouped is None and bad.any():
                self.ungrouped = str(text[bad].iloc[0])
            if self.percent:
                self.percent = bool(text.str.fullmatch(_PERCENT).all())
            if self.decimal:
                self.decimal = bool(text.str.fullmatch(_DECIMAL).all())
                self.items.observe(text)
            if not self.comma:
                self.convention = _convention(column)
            if text.str.contains(",", regex=False).any():
                self.comma = True
                if self.convention is None and self.thousands and self.decimal:
                    self._note_commas(column, absent)
            for fmt, pattern in _DATE_FORMATS.items():
                if self.dates[fmt]:
                    self.dates[fmt] = bool(text.str.fullmatch(pattern).all()) and bool(
                        pd.to_datetime(text, format=fmt, errors="coerce").notna().all()
                    )
        parsed = pd.to_numeric(values, errors="coerce").notna().to_numpy()
        self.parsed += int(counts.to_numpy()[parsed].sum())
        self._observe_levels(values.to_numpy(dtype=object), counts.to_numpy())

    def _observe_labels(self, column: pd.Series, absent: np.ndarray, capped: bool) -> None:
        """Keep the distinct values of a column under an empty header while every one is
        present and distinct (a row label); streamed (``capped``), past
        ``MAX_STREAMED_CATEGORIES`` such values the column is named, as a text column is."""
        if self.labels is None:
            return
        if absent.any():
            self.labels = None
            return
        values = column.tolist()
        before = len(self.labels)
        self.labels.update(values)
        if len(self.labels) != before + len(values):
            self.labels = None
        elif capped and len(self.labels) > MAX_STREAMED_CATEGORIES:
            raise DataError(
                f"expected at most {MAX_STREAMED_CATEGORIES:,} distinct values in column "
                f"{self.name!r}, under an empty header, to tell a row label in a streamed fit; "
                f"found more, every one distinct so far (a row label?): drop it (--drop "
                f"{self.name}) or name it in the header"
            )

    def set_aside(self) -> str | None:
        """After the kind pass: ``"label"`` for a column under an empty header whose values
        are all present and distinct (a row label), ``"empty"`` for one without a value;
        None for a feature."""
        if self.unnamed and self.missing == self.rows:
            self.aside = "empty"
        elif self.unnamed and self.labels is not None and self.rows > 0:
            self.aside = "label"
        self.labels = None
        return self.aside

    def _note_commas(self, column: pd.Series, absent: np.ndarray) -> None:
        """Keep a value with a comma and the data rows of such values (an ambiguous one's error)."""
        text = column[~absent].astype(str)
        has = text.str.contains(",", regex=False).to_numpy(dtype=bool)
        numbers, files = _located_rows(column)
        numbers = numbers[~absent][has]
        if self.example is None:
            self.example = (str(text[has].iloc[0]), 0, files)
        value, count, files = self.example
        self.example = (value, count + int(has.sum()), files)
        self.comma_rows += numbers[:10 - len(self.comma_rows)].tolist()

    def text_kind(self) -> str | None:
        """:func:`_text_kind` of the whole column."""
        if self.stamps:
            return "datetime"
        if self.durations:
            return "timedelta"
        if not (self.textual and self.all_str):
            return None
        if self.comma:
            example = None
            if self.example is not None:
                value, count, files = self.example
                example = (value, name_data_rows(self.comma_rows, count, files))
            if self._item_lists():  # text, whatever the file's commas are (no error either)
                _warn_item_lists(self.name, self.items.example)
                return None
            kind = _comma_kind(self.name, self.convention, self.thousands, self.decimal, example,
                               self.ungrouped)
            if kind is not None:
                return kind
        if self.percent:
            return "percent"
        return next((f"date:{fmt}" for fmt, ok in self.dates.items() if ok), None)

    def _item_lists(self) -> bool:
        """Text of lists of items ("1,2"), which the decimal-comma grammar also fits."""
        return self.textual and self.all_str and self.comma and self.decimal and self.items.lists()

    def looks_numeric(self) -> bool:
        """:func:`_looks_numeric` of the whole column."""
        present = self.rows - self.missing
        if self._item_lists():
            return False
        return not self.textual or (present > 0 and 2 * self.parsed >= present)

    def identifier(self) -> bool:
        """After the value pass: a text column whose present values, more than
        ``_ID_MIN_DISTINCT``, are all distinct (an identifier, left out of the features)."""
        present = self.rows - self.missing
        return (not self.numeric and present > _ID_MIN_DISTINCT
                and len(self.counts) == present)  # fmt: skip

    # ------------------------------------------------------- value pass
    def start_values(self, impute: bool, exact_median: bool) -> None:
        from probnn._running import BlockMoments, ExactMedian

        self.parser = self.text_kind()
        present = self.rows - self.missing
        levels = None if self.levels is None else len(self.levels)
        rarest = min((self.levels[t] for t in self.unparsed), default=0) if self.levels else 0
        self.mixed = self.parser is None and self.textual and mixed_as_categories(
            present, self.parsed, levels, rarest) and self.looks_numeric()  # fmt: skip
        self.numeric = not self.mixed and (self.parser is not None or self.looks_numeric())
        if self.numeric:
            self.moments = BlockMoments()
            if impute and exact_median:
                self.median = ExactMedian()
                self.median.begin_pass()  # its first pass is this value pass
            elif impute:
                self.median = []
        else:
            self.counts = {}

    def add(self, column: pd.Series, capped: bool) -> np.ndarray | None:
        """The next rows; a numeric column's values, shape (n_rows,) (else None)."""
        if self.numeric:
            values = numeric_column(column, self.name, self.parser)
            self.moments.update(values)
            present = values[~np.isnan(values)]
            if present.size:
                self.low = min(self.low, float(present.min()))
                self.high = max(self.high, float(present.max()))
            if isinstance(self.median, list):
                self.median.append(values[~np.isnan(values)])
            elif self.median is not None:
                self.median.update(values)
            return values
        # every number in one spelling (level_text), in a text column too: a streamed chunk
        # of a text column's numbers and blanks alone is read as floats ("0" as 0.0)
        present = column.dropna()
        uniques = pd.unique(present.to_numpy(dtype=object))
        texts, unparsed = _level_texts(uniques)
        self.spelt = self.spelt or not unparsed.all()
        text = present.map(dict(zip(uniques, texts)))
        for text, n in text.value_counts(sort=False).items():
            self.counts[text] = self.counts.get(text, 0) + int(n)
        if capped and len(self.counts) > MAX_STREAMED_CATEGORIES:
            # an identifier (every value distinct) is dropped in memory; streamed, that cannot
            # be known in bounded memory past the cap, so it is named
            distinct = max(self.counts.values()) == 1
            ids = " (every one distinct so far: an identifier?)" if distinct else ""
            raise DataError(
                f"expected a text column with at most {MAX_STREAMED_CATEGORIES:,} distinct values "
                f"to one-hot encode; found more in column {self.name!r}{ids}: drop it (--drop "
                f"{self.name}) or turn it into numbers"
            )


class PreprocessorScan:
    """Fits a :class:`Preprocessor` on a table given in pieces of consecutive rows.

    The same pieces, in the same order, go through two passes: ``observe`` each,
    ``end_kinds()``, then ``add`` each and ``end_values(...)``. Imputation medians found
    exactly in bounded memory (``exact_median``), and the log rule's order statistics (in
    memory too: :mod:`probnn.tables.log_scale`), may need further passes over the numeric
    columns: while ``median_columns`` is not empty, ``begin_median_pass()``, ``add_median``
    each piece, ``end_median_pass()``. A table in memory is the one-piece case
    (:meth:`Preprocessor.fit`), so a streamed table gives bit-identical statistics: means
    and variances over fixed blocks of rows (:class:`probnn._running.BlockMoments`),
    category sets and counts, exact medians.
    """

    def __init__(self, preprocessor: Preprocessor, columns: list[str], exact_median: bool = False):
        self.preprocessor = preprocessor
        self.columns = columns
        self.exact_median = exact_median
        self._scans = {name: _ColumnScan(name) for name in columns}
        self._active = list(columns)  # the features, less row labels and empty columns
        self._logs: LogScan | None = None  # the numeric columns' log rule (after end_kinds)

    def observe(self, frame: pd.DataFrame) -> None:
        """Kind pass: the next rows (every feature column)."""
        for name, scan in self._scans.items():
            scan.observe(frame[name], capped=self.exact_median)

    def end_kinds(self) -> None:
        """Row labels and empty columns under empty headers set aside, missing-value errors
        (as :meth:`Preprocessor.fit` raises them), then each column's kind."""
        rows = next(iter(self._scans.values())).rows
        for scan in self._scans.values():
            scan.set_aside()
        self._active = [name for name, scan in self._scans.items() if scan.aside is None]
        if not self._active:
            raise DataError("expected a feature column; found only columns under an empty header "
                            "that are row labels or empty: add a feature column")  # fmt: skip
        missing = {name: self._scans[name].missing for name in self._active}
        self.preprocessor._check_missing_counts(missing, rows, fitting=True)
        for name in self._active:
            self._scans[name].start_values(self.preprocessor.impute, self.exact_median)
        numeric = [name for name in self._active if self._scans[name].numeric]
        self._logs = LogScan(numeric) if numeric and len(numeric) <= MAX_COLUMNS else None

    def add(self, frame: pd.DataFrame) -> None:
        """Value pass: the next rows."""
        numbers = []
        for name in self._active:
            values = self._scans[name].add(frame[name], capped=self.exact_median)
            if values is not None:
                numbers.append(values)
        if self._logs is not None:
            self._logs.update(np.column_stack(numbers))

    def check_held_out(self, frame: pd.DataFrame) -> None:
        """During the value pass: rows held out of the fit, checked as :meth:`add` checks the
        fitted rows (numbers, finite, within float32; no missing value without imputation),
        so a bad held-out value is named before training."""
        if not self.preprocessor.impute:
            self.preprocessor._check_missing(frame[self._active], fitting=False)
        for name in self._active:
            scan = self._scans[name]
            if scan.numeric:
                numeric_column(frame[name], name, scan.parser)

    def end_values(self) -> None:
        """After the value pass: the statistics; with exact medians, see ``median_columns``."""
        for scan in self._scans.values():
            if scan.numeric and scan.aside is None:
                scan.moments.finish()
                if scan.moments.count == 0:
                    raise DataError(
                        f"expected numbers in column {scan.name!r}; found only missing values"
                    )
                if scan.median is not None and not isinstance(scan.median, list):
                    scan.median.set_count(scan.moments.count)
                    scan.median.end_pass()
        if self._logs is not None:
            self._logs.finish()  # (its order statistics may need passes: median_columns)
        if not self.median_columns:
            self._finish()

    def _medians_left(self) -> list[str]:
        return [n for n, s in self._scans.items()
                if s.median is not None and not isinstance(s.median, list) and not s.median.done]  # fmt: skip

    @property
    def median_columns(self) -> list[str]:
        """Numeric columns that need another pass: an exact median, or the log rule's order
        statistics (:class:`~probnn.tables.log_scale.LogScan`, in memory too)."""
        logs = self._logs.pending if self._logs is not None else []
        medians = self._medians_left()
        return medians + [name for name in logs if name not in medians]

    def begin_median_pass(self) -> None:
        for name in self._medians_left():
            self._scans[name].median.begin_pass()
        if self._logs is not None:
            self._logs.begin_pass()

    def add_median(self, frame: pd.DataFrame) -> None:
        medians = self._medians_left()
        for name in self.median_columns:
            scan = self._scans[name]
            values = numeric_column(frame[name], name, scan.parser)
            if name in medians:
                scan.median.update(values)
            if self._logs is not None and name in self._logs.pending:
                self._logs.update_pass(name, values)

    def end_median_pass(self) -> None:
        for name in self._medians_left():
            self._scans[name].median.end_pass()
        if self._logs is not None:
            self._logs.end_pass()
        if not self.median_columns:
            self._finish()

    def _finish(self) -> None:
        pre = self.preprocessor
        pre.dropped_ = [name for name, scan in self._scans.items() if scan.aside == "label"
                        or scan.aside is None and scan.identifier()]  # fmt: skip
        if not [name for name in self._active if name not in pre.dropped_]:
            raise DataError(
                f"expected a feature column that is not an identifier; every present value of "
                f"{', '.join(map(repr, pre.dropped_))} is distinct, which says nothing about a "
                f"new row: add a feature column"
            )
        for name in pre.dropped_:
            _warn_identifier_dropped(name, row_label=self._scans[name].aside == "label")
        pre.columns_ = [name for name in self._active if name not in pre.dropped_]
        pre.numeric_, pre.center_, pre.scale_, pre.range_ = [], [], [], []
        pre.categories_, pre.fill_, pre.parsers_ = {}, {}, {}
        pre.mixed_ = [name for name in pre.columns_ if self._scans[name].mixed]
        # text columns whose levels hold a number, spelt one way (in transform too)
        pre.number_levels_ = [name for name in pre.columns_ if not self._scans[name].numeric
                              and not self._scans[name].mixed and self._scans[name].spelt]
        # numeric columns read as log x (probnn.tables.log_scale), in column order
        logs = self._logs
        pre.logged_ = [name for name in logs.chosen() if name in pre.columns_] if logs else []
        pre.indicators_ = [name for name, scan in self._scans.items()
                           if pre.impute and scan.missing and name in pre.columns_]
        for name, scan in self._scans.items():
            if name not in pre.columns_:
                continue
            if scan.numeric:
                if scan.parser is not None:
                    pre.parsers_[name] = scan.parser
                if isinstance(scan.median, list):
                    pre.fill_[name] = float(np.median(np.concatenate(scan.median)))
                elif scan.median is not None:
                    pre.fill_[name] = scan.median.value
                moments, low, high = scan.moments, scan.low, scan.high
                if name in pre.logged_:  # standardised, and its range kept, as log x
                    moments = logs.log_moments[logs.names.index(name)]
                    low, high = math.log(low), math.log(high)
                std = moments.std
                pre.numeric_.append(name)
                pre.center_.append(float(moments.mean))
                pre.scale_.append(std if std > 0 and np.isfinite(std) else 1.0)
                pre.range_.append((low, high))
                continue
            counts = scan.counts
            if pre.impute and scan.missing:
                most = max(counts.values())
                pre.fill_[name] = min(text for text, n in counts.items() if n == most)
            pre.categories_[name] = sorted(counts)
            if scan.mixed:
                _warn_mixed(name, set(counts), scan.unparsed)
            _warn_spelling_variants(counts, f"column {name!r}", "feature")
            n_distinct = len(counts)
            if n_distinct > _ID_MIN_DISTINCT and n_distinct > 0.5 * scan.rows:
                warnings.warn(
                    f"column {name!r} looks like an identifier: {n_distinct} distinct values "
                    f"in {scan.rows} rows become {n_distinct} one-hot features that say "
                    f"nothing about new rows; drop it (--drop {name}) unless it means something",
                    DataWarning, stacklevel=4,
                )  # fmt: skip
        warn_logged(pre.logged_)
