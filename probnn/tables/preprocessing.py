"""Features: :class:`Preprocessor` (table -> float matrix) and :class:`PreprocessorScan`, which
fits the same preprocessor, bit for bit, on a table given in pieces of rows (streamed).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from probnn._say_once import SayOnce
from probnn._validation import describe_values, name_data_rows
from probnn.exceptions import DataError, DataWarning
from probnn.tables.columns import (_DATE_FORMATS, _DECIMAL, _ID_MIN_DISTINCT, _THOUSANDS,
                                   FLOAT32_MAX, _comma_kind, _convention, _describe_kind,
                                   _is_dates, _looks_numeric, _none_hint, _numeric_values,
                                   _parse_text, _refuse_nested, _text_kind,
                                   _warn_identifier_dropped, _warn_row_label_dropped,
                                   _warn_spelling_variants)  # fmt: skip
from probnn.tables.extrapolation import note_far_rows
from probnn.tables.sources import SEPARATOR_ATTR, UNNAMED_ATTR, _located_rows, _rows

__all__ = ["Preprocessor", "PreprocessorScan"]


# ------------------------------------------------------------ preprocessing
def _category_codes(text: pd.Series, categories: list[str]) -> np.ndarray:
    """Index of each text in ``categories`` (-1: none of them), shape (n_rows,): the one-hot
    block's column of each row (Arrow's ``index_in`` when pyarrow is installed)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return pd.Categorical(text, categories=categories).codes
    values = pa.array(text, from_pandas=True)
    codes = pc.index_in(values, value_set=pa.array(categories, type=values.type))
    return codes.fill_null(-1).to_numpy(zero_copy_only=False)


class Preprocessor:
    r"""Table -> float matrix: numeric columns standardised, string columns one-hot.

    Text that is unambiguously a number is read as one, and standardised like
    any numeric column:

    * ISO dates, when every present value of a column parses with one strict
      format (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DDTHH:MM:SS``),
      become days since 1970-01-01 as a float (noon is ``.5``);
    * datetime columns (a Parquet file's, naive or timezone-aware) become days
      since 1970-01-01 the same way (an aware one by its instant: days since
      1970-01-01 00:00 UTC); duration columns (``timedelta64``) become days;
    * numbers with thousands separators, when every present value matches
      ``-?([1-9]\d{0,2}(,\d{3})+|\d{1,3})(\.\d+)?`` (e.g. ``12,345.5``; not in a
      ``;``-separated file), become that number;
    * numbers with a decimal comma (``3,616``, ``1.234,5``) in a ``;``-separated
      file, whose commas are decimal marks, become that number. In a file separated
      by tabs or ``|``, a column whose commas read both ways (every value ``3,616``
      or ``-1,250``) is refused rather than guessed; a value that contradicts one
      reading (``0,125``, ``3,5``, ``1,234,567``, ``12,345.5``) settles it.

    The model file remembers which columns were parsed and how, so prediction
    parses the same way (and names any value that does not parse).

    Every value, raw and standardised, must fit float32 (the network's default
    dtype); a larger one raises :class:`~probnn.exceptions.DataError` naming the
    column and rows before any training.

    A string column whose present values are all distinct, more than 20 of them,
    is an identifier (``id0001``, ``id0002``, ...): no new row's value is one seen
    in training, so its one-hot features (one per training row) could not help a
    prediction. It is left out of the features (``dropped_``, kept in the model
    file, so prediction ignores the column, present or not), with a
    :class:`~probnn.exceptions.DataWarning`. A column under an empty header
    (pandas reads it as ``Unnamed: N``; the file's header as written tells it from a
    column named so) whose every value is present and distinct is a row label, the
    index ``DataFrame.to_csv`` and R's ``write.csv`` write, and is dropped the same
    way; one with no value at all (Excel's trailing empty columns) is ignored.
    Named numbers are never dropped (an index 1..n cannot be told from a time
    step). Lists, structs and maps (nested Parquet types) are refused by name. A
    :class:`~probnn.exceptions.DataWarning` also says when a string column looks
    like an identifier (more than 20 distinct values, in more than half of the
    rows, some repeated) and, in :meth:`transform`, when rows hold categories not
    seen in training (they encode as all zeros).

    Parameters
    ----------
    impute : bool, default=False
        Fill missing values (numeric: the training median, string: the most
        frequent training value) instead of raising, and give each column
        with missing values in the training rows a 0/1 missing-value indicator
        feature (as scikit-learn's ``SimpleImputer(add_indicator=True)``), so a
        model can learn that a filled-in row is less certain. A column without
        missing values in training gets none; a row missing there when
        predicting is filled all the same, with a warning that no indicator
        was learned for it.

    Attributes
    ----------
    columns_ : list of str
        The feature columns, in the order of the table (less ``dropped_``).
    dropped_ : list of str
        Identifier columns and row labels left out of the features.
    numeric_ : list of str
        Numeric columns, in output order.
    center_, scale_ : list of float
        Training mean and standard deviation of each numeric column (scale 1
        when the column is constant).
    range_ : list of (float, float) or None
        Training minimum and maximum of each numeric column; :meth:`transform`
        warns (:class:`~probnn.exceptions.ExtrapolationWarning`) of rows beyond it
        by more than its width (:mod:`probnn.tables.extrapolation`). None: a model
        file written before it was recorded (no check).
    categories_ : dict of str -> list of str
        The categories of each string column, in column order (the order of the
        one-hot blocks); each category gets one output column, and
        a category not seen in training encodes as all zeros.
    fill_ : dict of str -> float or str
        Imputation values (when ``impute``).
    indicators_ : list of str
        Columns, in column order, with missing values in the training rows (when
        ``impute``): each has a 0/1 indicator output column, after the one-hot blocks.
    parsers_ : dict of str -> str
        Columns read as numbers: ``"thousands"``, ``"decimal"``, ``"datetime"``,
        ``"timedelta"`` (days) or ``"date:<strptime format>"``.
    """

    def __init__(self, impute: bool = False):
        self.impute = impute

    # ------------------------------------------------------------------ fit
    def fit(self, frame: pd.DataFrame) -> "Preprocessor":
        """Learn column types, scales, categories and fill values from ``frame``."""
        scan = self.scan(frame.columns)
        scan.observe(frame)
        scan.end_kinds()
        scan.add(frame)
        scan.end_values()
        return self

    def scan(self, columns: Sequence[str], *, exact_median: bool = False) -> "PreprocessorScan":
        """A :class:`PreprocessorScan` that fits this preprocessor on a table read in pieces.

        Parameters
        ----------
        columns : sequence of str
            The feature columns.
        exact_median : bool, default=False
            Find the imputation medians by :class:`probnn._running.ExactMedian` (extra
            passes, bounded memory) instead of keeping every value (a table in memory).
        """
        if len(columns) == 0:
            raise DataError("expected at least one feature column; found none")
        return PreprocessorScan(self, [str(c) for c in columns], exact_median=exact_median)

    def _check_missing(self, frame: pd.DataFrame, fitting: bool = True) -> None:
        missing = frame.isna().sum()
        self._check_missing_counts(
            {str(c): int(n) for c, n in missing.items()}, frame.shape[0], fitting
        )

    def _check_missing_counts(self, missing: dict[str, int], n_rows: int, fitting: bool) -> None:
        """DataError for columns without values (fitting) or missing values (without impute)."""
        if fitting and n_rows:
            empty = [name for name, n in missing.items() if n == n_rows]
            if empty:
                raise DataError(
                    f"column {empty[0]!r} has no values; drop it with --drop {empty[0]}"
                    if len(empty) == 1
                    else f"columns {', '.join(repr(c) for c in empty)} have no values; drop them "
                    f"with --drop {','.join(empty)}"
                )
        if self.impute:
            return
        counts = {name: n for name, n in missing.items() if n > 0}
        if counts:
            listed = ", ".join(f"{name!r} ({int(n)})" for name, n in counts.items())
            todo = (
                "remove those rows or pass --impute (median / most frequent value)"
                if fitting
                else "the model was trained without imputation, so remove those rows or "
                "retrain the model with --impute"
            )
            raise DataError(f"expected no missing values; found missing values in column(s) {listed}; {todo}")

    @staticmethod
    def _numeric(column: pd.Series, name: str, kind: str | None = None) -> np.ndarray:
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

    # ------------------------------------------------------------ transform
    @property
    def feature_names_out_(self) -> list[str]:
        """Names of the output columns: numeric names, then ``column=category``, then
        ``missingindicator_column`` (scikit-learn's name)."""
        names = list(self.numeric_)
        for name, cats in self.categories_.items():
            names += [f"{name}={c}" for c in cats]
        return names + [f"missingindicator_{name}" for name in getattr(self, "indicators_", [])]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Encode ``frame`` with what :meth:`fit` learned.

        Returns
        -------
        ndarray of shape (n_rows, n_features_out), float64
        """
        missing = [c for c in self.columns_ if c not in frame.columns]
        if missing:
            raise DataError(
                f"expected the feature column(s) the model was trained on; missing "
                f"{', '.join(repr(c) for c in missing)}"
            )
        frame = frame[self.columns_]
        self._check_missing(frame, fitting=False)
        n = frame.shape[0]
        widths = [len(cats) for cats in self.categories_.values()]
        # built one output column per row (each written contiguously), returned transposed
        indicators = getattr(self, "indicators_", [])  # absent: a preprocessor of an older probnn
        columns = np.empty((len(self.numeric_) + sum(widths) + len(indicators), n))
        self._standardise_numbers(frame, columns[: len(self.numeric_)])
        note_far_rows(self, columns[: len(self.numeric_)], frame)
        at = len(self.numeric_)
        for (name, cats), width in zip(self.categories_.items(), widths):
            column = frame[name]
            if self.impute and name in self.fill_:
                column = column.fillna(self.fill_[name])
            codes = _category_codes(column.astype(str), cats)
            block = columns[at:at + width]
            block[...] = 0.0
            seen = np.flatnonzero(codes >= 0)
            block[codes[seen], seen] = 1.0
            self._warn_unseen(name, column, block.T)
            at += width
        for name in indicators:
            columns[at] = frame[name].isna().to_numpy()
            at += 1
        if self.impute:
            self._warn_no_indicator(frame)
        return columns.T

    def _warn_no_indicator(self, frame: pd.DataFrame) -> None:
        """Warn of missing values in columns that had none in the training rows: they are
        filled, but the model learned no missing-value indicator for them."""
        learned = set(getattr(self, "indicators_", []))
        counts = {name: int(n) for name, n in frame.isna().sum().items()
                  if n and name not in learned}  # fmt: skip
        if not counts:
            return
        filled = []
        for name, n in counts.items():
            if name in self.fill_:
                value = self.fill_[name]
                how = (f"filled with the training median {value:.6g}" if isinstance(value, float)
                       else f"filled with the most frequent training value {value!r}")  # fmt: skip
            else:
                how = "encoded as no category: all zeros"
            filled.append(f"{name!r} ({n} {'row' if n == 1 else 'rows'}, {how})")
        message = (
            f"missing values in column(s) without any in the training rows: {', '.join(filled)}; "
            "the model learned no missing-value indicator for them, so those rows' predictions "
            "do not allow for the unknown values (their intervals are too narrow)"
        )
        self._warn_once(message)

    def _standardise_numbers(self, frame: pd.DataFrame, out: np.ndarray) -> None:
        """Write the numeric columns as ``(value - centre) / scale`` into ``out``, shape
        (len(numeric_), n_rows): one row per column.

        Plain numeric columns go in one pass when every value, and every result, is within
        float32's range (read from each column's extremes: the map is increasing);
        otherwise, and for text parsed as numbers, column by column, which names the
        column and rows of any problem. Both give the same numbers.
        """
        parsers = getattr(self, "parsers_", {})
        todo = list(range(len(self.numeric_)))
        plain = [i for i in todo if self.numeric_[i] not in parsers
                 and (pd.api.types.is_numeric_dtype(frame[self.numeric_[i]])
                      or pd.api.types.is_bool_dtype(frame[self.numeric_[i]]))]  # fmt: skip
        if plain and frame.shape[0]:
            V = frame[[self.numeric_[i] for i in plain]].to_numpy(dtype=np.float64, na_value=np.nan)
            if self.impute:
                fills = np.array([self.fill_.get(self.numeric_[i], self.center_[i]) for i in plain])
                V = np.where(np.isnan(V), fills, V)
            T = V.T  # one row per column: contiguous when pandas holds them as one block
            centers = np.array([self.center_[i] for i in plain])[:, None]
            scales = np.array([self.scale_[i] for i in plain])[:, None]
            with np.errstate(invalid="ignore", over="ignore"):
                ends = np.stack([T.min(axis=1), T.max(axis=1)], axis=1)  # NaN: not plain
                in_range = bool(np.all(np.abs(ends) <= FLOAT32_MAX)) and bool(
                    np.all(np.abs((ends - centers) / scales) <= FLOAT32_MAX))
            if in_range:
                if plain == todo:
                    np.divide(np.subtract(T, centers, out=out), scales, out=out)
                    return
                out[plain] = (T - centers) / scales
                todo = [i for i in todo if i not in set(plain)]
        for i in todo:
            name, center, scale = self.numeric_[i], self.center_[i], self.scale_[i]
            values = self._numeric(frame[name], name, parsers.get(name))
            if self.impute:
                values = np.where(np.isnan(values), self.fill_.get(name, center), values)
            z = (values - center) / scale
            huge = np.abs(z) > FLOAT32_MAX
            if huge.any():
                raise DataError(
                    f"expected values of column {name!r} that stay within float32's range "
                    f"(|z| <= {FLOAT32_MAX:.4g}) once standardised with the training mean "
                    f"{center:g} and standard deviation {scale:g}; found "
                    f"{describe_values(values[huge])} at {_rows(huge, frame)}"
                )
            out[i] = z

    def _warn_unseen(self, name: str, column: pd.Series, block: np.ndarray) -> None:
        unseen = column.notna().to_numpy() & (block.sum(axis=1) == 0)
        if not unseen.any():
            return
        numbers = pd.to_numeric(column[unseen], errors="coerce").notna().to_numpy()
        also = (
            f"; {int(numbers.sum())} of them hold numbers, in a column the model learned as text"
            if numbers.any()
            else ""
        )
        word = "row holds a category" if unseen.sum() == 1 else "rows hold categories"
        message = (
            f"column {name!r}: {int(unseen.sum())} {word} not seen in training "
            f"({describe_values(column[unseen].astype(str).to_numpy())}), encoded as all zeros{also}"
        )
        self._warn_once(message)

    def _warn_once(self, message: str) -> None:
        """A :class:`DataWarning` of :meth:`transform`, said once per preprocessor: the same
        rows are often transformed more than once (metrics, report)."""
        if self.__dict__.setdefault("_said", SayOnce()).first_time(message):
            warnings.warn(message, DataWarning, stacklevel=4)

    # ---------------------------------------------------------- model files
    def to_meta(self) -> dict:
        """JSON-able description (for model files)."""
        meta = {
            "impute": bool(self.impute),
            "columns": list(self.columns_),
            "numeric": list(self.numeric_),
            "center": [float(v) for v in self.center_],
            "scale": [float(v) for v in self.scale_],
            # a list of [column, categories] pairs: the order of the one-hot blocks is
            # meaning, and a JSON object's key order is not kept (sort_keys, other readers)
            "categories": [[str(k), [str(c) for c in v]] for k, v in self.categories_.items()],
            "fill": [[str(k), v] for k, v in self.fill_.items()],
            # columns read as numbers: "thousands", "decimal", "datetime", "timedelta", "date:<f>"
            "parsers": [[str(k), str(v)] for k, v in getattr(self, "parsers_", {}).items()],
        }
        ranges = getattr(self, "range_", None)
        if ranges is not None:  # the training rows' (low, high) of each numeric column
            meta["range"] = [[float(low), float(high)] for low, high in ranges]
        dropped = getattr(self, "dropped_", [])
        if dropped:  # written only when there are some: other models' files are unchanged
            meta["dropped"] = [str(c) for c in dropped]
        indicators = [str(c) for c in getattr(self, "indicators_", [])]
        if indicators:  # absent (none) otherwise: a table without missing values writes as before
            meta["indicators"] = indicators  # columns with a missing-value indicator output
        return meta

    @classmethod
    def from_meta(cls, meta: dict) -> "Preprocessor":
        """Inverse of :meth:`to_meta`."""
        self = cls(impute=bool(meta["impute"]))
        self.columns_ = [str(c) for c in meta["columns"]]
        self.numeric_ = [str(c) for c in meta["numeric"]]
        self.center_ = [float(v) for v in meta["center"]]
        self.scale_ = [float(v) for v in meta["scale"]]
        categories = meta["categories"]
        pairs = categories.items() if isinstance(categories, dict) else categories
        by_name = {str(k): [str(c) for c in v] for k, v in pairs}
        # Blocks follow the column order (a list, so kept by JSON). Files written before
        # categories became a list hold a dict whose keys were sorted on writing.
        self.categories_ = {name: by_name[name] for name in self.columns_ if name in by_name}
        fill = meta["fill"]
        fill_pairs = fill.items() if isinstance(fill, dict) else fill
        self.fill_ = {}
        for name, value in fill_pairs:
            name = str(name)
            # a numeric column fills with a float, a string column with text, whatever JSON held
            self.fill_[name] = str(value) if name in by_name else float(value)
        self.parsers_ = {str(k): str(v) for k, v in meta.get("parsers", [])}
        self.dropped_ = [str(c) for c in meta.get("dropped", [])]  # absent from older files
        if set(self.dropped_) & set(self.columns_):
            raise DataError("expected the dropped identifier columns in the model file to be "
                            "no feature columns")  # fmt: skip
        self.indicators_ = [str(c) for c in meta.get("indicators", [])]
        if (set(self.indicators_) - set(self.columns_) or len(set(self.indicators_))
                != len(self.indicators_) or self.indicators_ and not self.impute):  # fmt: skip
            raise DataError("expected missing-value indicators of distinct feature columns, "
                            "with imputation, in the model file")
        for name, kind in self.parsers_.items():  # each a parser this probnn has
            if (kind not in ("thousands", "decimal", "datetime", "timedelta")
                    and kind.removeprefix("date:") not in _DATE_FORMATS):  # fmt: skip
                raise DataError(f"expected a column parser 'thousands', 'decimal', 'datetime', "
                                f"'timedelta' or 'date:<format>' for column {name!r} in the model "
                                f"file; found {kind!r}")  # fmt: skip
        ranges = meta.get("range")  # absent from files written before it was recorded
        self.range_ = None if ranges is None else [(float(lo), float(hi)) for lo, hi in ranges]
        if self.range_ is not None and (len(self.range_) != len(self.numeric_) or not all(
                math.isfinite(lo) and math.isfinite(hi) and lo <= hi for lo, hi in self.range_)):  # fmt: skip
            raise DataError("expected one finite training range (low <= high) per numeric "
                            "column in the model file")  # fmt: skip
        known = set(self.numeric_) | set(by_name)
        if not (len(self.numeric_) == len(self.center_) == len(self.scale_)):
            raise DataError("expected one centre and scale per numeric column in the model file")
        if not all(math.isfinite(c) for c in self.center_) or not all(
                math.isfinite(v) and v > 0 for v in self.scale_):  # fmt: skip
            raise DataError("expected finite centres and finite positive scales of the numeric "
                            "columns in the model file")  # fmt: skip
        if (set(by_name) - set(self.columns_) or set(self.numeric_) & set(by_name)
                or set(self.columns_) != known or len(set(self.columns_)) != len(self.columns_)
                or len(set(self.numeric_)) != len(self.numeric_)):  # fmt: skip
            raise DataError(
                "expected every feature column in the model file to be either numeric or "
                "categorical, exactly once"
            )
        return self


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
        self.convention: str | None = "thousands"  # what its file's commas are (_convention)
        self.example: tuple[str, int, list] | None = None  # a value with a comma, its rows
        self.comma_rows: list[int] = []  # (the first 10 data rows of values with a comma)
        self.stamps = False  # a piece of a datetime dtype
        self.durations = False  # a piece of a timedelta dtype
        self.unnamed = False  # under an empty header (UNNAMED_ATTR)
        self.labels: set | None = set()  # its distinct values while they are all distinct
        self.aside: str | None = None  # "label" (a row label) or "empty": not a feature
        self.ungrouped: str | None = None  # the first value with a comma, not grouped
        self.dates = dict.fromkeys(_DATE_FORMATS, True)
        self.parser: str | None = None
        self.numeric = False
        self.moments = None
        self.low, self.high = math.inf, -math.inf  # of the present values (a numeric column)
        self.median = None  # ExactMedian, or a list of the present values (in memory)
        self.counts: dict[str, int] | None = None

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
            self.dates = dict.fromkeys(self.dates, False)
            self.parsed += n - missing
            return
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            # numbers among text (a Parquet column's pieces) make the column not all text
            self.all_str = False
            self.parsed += n - missing
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
            if self.decimal:
                self.decimal = bool(text.str.fullmatch(_DECIMAL).all())
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
            kind = _comma_kind(self.name, self.convention, self.thousands, self.decimal, example,
                               self.ungrouped)
            if kind is not None:
                return kind
        return next((f"date:{fmt}" for fmt, ok in self.dates.items() if ok), None)

    def looks_numeric(self) -> bool:
        """:func:`_looks_numeric` of the whole column."""
        present = self.rows - self.missing
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
        self.numeric = self.parser is not None or self.looks_numeric()
        if self.numeric:
            self.moments = BlockMoments()
            if impute and exact_median:
                self.median = ExactMedian()
                self.median.begin_pass()  # its first pass is this value pass
            elif impute:
                self.median = []
        else:
            self.counts = {}

    def add(self, column: pd.Series, capped: bool) -> None:
        if self.numeric:
            values = Preprocessor._numeric(column, self.name, self.parser)
            self.moments.update(values)
            present = values[~np.isnan(values)]
            if present.size:
                self.low = min(self.low, float(present.min()))
                self.high = max(self.high, float(present.max()))
            if isinstance(self.median, list):
                self.median.append(values[~np.isnan(values)])
            elif self.median is not None:
                self.median.update(values)
            return
        for text, n in column.dropna().astype(str).value_counts(sort=False).items():
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
    exactly in bounded memory (``exact_median``) may need further passes over the numeric
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

    def add(self, frame: pd.DataFrame) -> None:
        """Value pass: the next rows."""
        for name in self._active:
            self._scans[name].add(frame[name], capped=self.exact_median)

    def check_held_out(self, frame: pd.DataFrame) -> None:
        """During the value pass: rows held out of the fit, checked as :meth:`add` checks the
        fitted rows (numbers, finite, within float32; no missing value without imputation),
        so a bad held-out value is named before training."""
        if not self.preprocessor.impute:
            self.preprocessor._check_missing(frame[self._active], fitting=False)
        for name in self._active:
            scan = self._scans[name]
            if scan.numeric:
                Preprocessor._numeric(frame[name], name, scan.parser)

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
        if not self.median_columns:
            self._finish()

    @property
    def median_columns(self) -> list[str]:
        """Numeric columns whose exact median needs another pass."""
        return [n for n, s in self._scans.items()
                if s.median is not None and not isinstance(s.median, list) and not s.median.done]  # fmt: skip

    def begin_median_pass(self) -> None:
        for name in self.median_columns:
            self._scans[name].median.begin_pass()

    def add_median(self, frame: pd.DataFrame) -> None:
        for name in self.median_columns:
            scan = self._scans[name]
            scan.median.update(Preprocessor._numeric(frame[name], name, scan.parser))

    def end_median_pass(self) -> None:
        for name in self.median_columns:
            self._scans[name].median.end_pass()
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
            if self._scans[name].aside == "label":
                _warn_row_label_dropped(name)
            else:
                _warn_identifier_dropped(name)
        pre.columns_ = [name for name in self._active if name not in pre.dropped_]
        pre.numeric_, pre.center_, pre.scale_, pre.range_ = [], [], [], []
        pre.categories_, pre.fill_, pre.parsers_ = {}, {}, {}
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
                std = scan.moments.std
                pre.numeric_.append(name)
                pre.center_.append(float(scan.moments.mean))
                pre.scale_.append(std if std > 0 and np.isfinite(std) else 1.0)
                pre.range_.append((scan.low, scan.high))
                continue
            counts = scan.counts
            if pre.impute and scan.missing:
                most = max(counts.values())
                pre.fill_[name] = min(text for text, n in counts.items() if n == most)
            pre.categories_[name] = sorted(counts)
            _warn_spelling_variants(counts, f"column {name!r}", "feature")
            n_distinct = len(counts)
            if n_distinct > _ID_MIN_DISTINCT and n_distinct > 0.5 * scan.rows:
                warnings.warn(
                    f"column {name!r} looks like an identifier: {n_distinct} distinct values "
                    f"in {scan.rows} rows become {n_distinct} one-hot features that say "
                    f"nothing about new rows; drop it (--drop {name}) unless it means something",
                    DataWarning, stacklevel=4,
                )  # fmt: skip
