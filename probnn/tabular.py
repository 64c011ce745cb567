"""Tabular data: reading files, preprocessing, choosing a family, a bundled model.

A :class:`TabularModel` is what ``probnn fit`` trains and a model file holds:
the preprocessing learned from the training rows (numeric columns
standardised, string columns one-hot encoded, optional imputation), the target
encoding (class labels for classifiers) and a fitted
:class:`~probnn.estimators.MLPClassifier` or
:class:`~probnn.estimators.MLPRegressor`.

Every problem with the data raises :class:`probnn.exceptions.DataError` saying
what was expected, what was found, and where (column, rows).
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
import pathlib
import warnings
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from probnn._io import LineTooLongError, open_text_table
from probnn._validation import describe_rows, describe_values, encode_labels
from probnn.exceptions import DataError, DataWarning, NetworkTooLargeError

__all__ = [
    "read_table",
    "sniff_separator",
    "infer_family",
    "Preprocessor",
    "TabularModel",
    "target_kind",
    "MAX_INFERRED_CLASSES",
    "validate_frame",
]


# An integer target with at most this many distinct values is read as class labels.
MAX_INFERRED_CLASSES = 10

_PARQUET_SUFFIXES = (".parquet", ".pq")

# The network computes in float32 by default: every value it sees must fit.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Text parsed as numbers when every present value of a column matches.
_THOUSANDS = r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?"
# ISO dates: one strict pattern (checked first) and the strptime format it stands for.
_DATE_FORMATS = {
    "%Y-%m-%d": r"\d{4}-\d{2}-\d{2}",
    "%Y-%m-%d %H:%M:%S": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}",
    "%Y-%m-%dT%H:%M:%S": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
}
_EPOCH = pd.Timestamp("1970-01-01")

# A string column with more distinct values than this, in more than half of its rows,
# looks like an identifier.
_ID_MIN_DISTINCT = 20


# ----------------------------------------------------------------- reading
_SEPARATORS = (",", ";", "\t", "|")
_SNIFF_BYTES = 64 * 1024


# Bounds on a CSV's lines, so that one enormous line (a field that runs on, a file that is
# not a table) is refused as it is read rather than taking all memory: the header at most
# MAX_HEADER_BYTES, every other line at most MAX_FIELD_BYTES per column of the header.
MAX_FIELD_BYTES = 1 << 20
MAX_HEADER_BYTES = 64 << 20


def sniff_separator(path: str | os.PathLike) -> str:
    """The field separator of a text table among ``, ; TAB |``, from its first lines.

    The separator chosen splits every sampled line (quotes respected) into the
    same number of fields, more than one, and the most of them; a comma when
    none does. A gzip file is read decompressed.

    Raises
    ------
    DataError
        If the file is not text (another compression, binary data).
    """
    try:
        with open_text_table(path) as fh:
            head = fh.read(_SNIFF_BYTES)
            truncated = bool(fh.read(1))
    except (OSError, EOFError) as exc:  # a gzip file that ends early
        raise DataError(f"expected a readable CSV file; could not read {path}: {exc}") from None
    except ValueError as exc:
        raise DataError(str(exc)) from None
    text = head.decode("utf-8", errors="replace")
    best, best_fields = ",", 1
    for sep in _SEPARATORS:
        rows = [r for r in csv.reader(io.StringIO(text), delimiter=sep) if r]
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the sample may end inside a line
        counts = {len(r) for r in rows[:50]}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = sep, fields
    return best


def open_csv(path: str | os.PathLike, sep: str) -> tuple[BinaryIO, int]:
    """A CSV opened for ``pandas.read_csv`` with its lines bounded, and the bound.

    Line 1 (the header) may hold :data:`MAX_HEADER_BYTES`; every other line
    :data:`MAX_FIELD_BYTES` per column of the header. A longer line raises
    :class:`probnn._io.LineTooLongError` while it is read (see :func:`line_too_long`).

    Raises
    ------
    DataError
        If the header itself is too long, or the file is not text.
    """
    try:
        with open_text_table(path) as fh:
            line = fh.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise DataError(f"expected a readable CSV file; could not read {path}: {exc}") from None
    except ValueError as exc:
        raise DataError(str(exc)) from None
    if len(line.rstrip(b"\r\n")) > MAX_HEADER_BYTES:
        raise line_too_long(path, LineTooLongError(1, MAX_HEADER_BYTES))
    fields = next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep), [])
    limit = max(1, len(fields)) * MAX_FIELD_BYTES
    return open_text_table(path, line_limit=limit, header_limit=MAX_HEADER_BYTES), limit


def line_too_long(path: str | os.PathLike, exc: LineTooLongError) -> DataError:
    """The one-line error of a CSV line past its bound (:func:`open_csv`)."""
    if exc.line == 1:
        return DataError(f"expected a CSV header line of at most {exc.limit:,} bytes; line 1 of "
                         f"{path} is longer (is it a table?)")  # fmt: skip
    return DataError(
        f"expected CSV lines of at most {MAX_FIELD_BYTES:,} bytes per column ({exc.limit:,} "
        f"bytes here); line {exc.line:,} of {path} is longer: a field that runs on (an "
        "unclosed quote?) or a file that is not a table"
    )


def read_table(path: str | os.PathLike, *, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by the suffix ``.parquet`` / ``.pq``), or a
    folder of Parquet files (whole, in the order of their sorted paths; see
    :class:`probnn.streaming.TableSource` to read one in batches).

    Parameters
    ----------
    path : path-like
    sep : str or None, default=None
        Field separator of a text file; None sniffs it among ``, ; TAB |``
        (:func:`sniff_separator`). Ignored for Parquet.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)

    Raises
    ------
    DataError
        If the file is missing, is not a readable table, or has no rows.
    """
    path = pathlib.Path(path)
    if not path.exists():
        raise DataError(f"expected a data file; found nothing at {path}")
    if path.is_dir():
        from probnn.streaming import TableSource

        frame = TableSource(path).read_all()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    if not path.is_file():
        raise DataError(f"expected a data file; found something else at {path}")
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        else:
            sep = sniff_separator(path) if sep is None else sep
            handle, _ = open_csv(path, sep)
            with handle:
                frame = pd.read_csv(handle, sep=sep)
    except LineTooLongError as exc:
        raise line_too_long(path, exc) from None
    except DataError:
        raise
    except ImportError:
        raise DataError(
            f"expected a Parquet engine to read {path}; found none installed: "
            "pip install 'probnn[parquet]' (or save the table as CSV)"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"expected a table with a header and rows; found an empty file {path}") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
        kind = "Parquet" if path.suffix.lower() in _PARQUET_SUFFIXES else "CSV"
        detail = " ".join(str(exc).split())
        raise DataError(f"expected a readable {kind} file; could not parse {path}: {detail}") from None
    if frame.shape[0] == 0:
        raise DataError(f"expected at least one data row; found only a header in {path}")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _numeric_values(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``column`` as float64 and a mask of entries that are present but not numbers."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(column), bool)
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return values, np.isnan(values) & column.notna().to_numpy()


def _text_kind(column: pd.Series) -> str | None:
    """How a text column parses as numbers, when every present value parses the same way.

    Returns ``"thousands"`` (``12,345.5``), ``"date:<strptime format>"`` (ISO dates)
    or None.
    """
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return None
    present = column.dropna()
    if present.empty or not all(isinstance(v, str) for v in present):
        return None
    text = present.astype(str)
    if text.str.fullmatch(_THOUSANDS).all() and text.str.contains(",", regex=False).any():
        return "thousands"
    for fmt, pattern in _DATE_FORMATS.items():
        if text.str.fullmatch(pattern).all():
            if pd.to_datetime(text, format=fmt, errors="coerce").notna().all():
                return f"date:{fmt}"
    return None


def _parse_text(column: pd.Series, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` parsed as ``kind`` (see :func:`_text_kind`): float64 values and a mask
    of entries that are present but do not parse."""
    present = column.notna().to_numpy()
    text = column.astype(str).where(present)
    if kind == "thousands":
        ok = text.str.fullmatch(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        cleaned = text.where(ok).str.replace(",", "", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    elif kind.startswith("date:"):
        fmt = kind[len("date:"):]
        ok = text.str.fullmatch(_DATE_FORMATS[fmt]).fillna(False).to_numpy(dtype=bool)
        stamps = pd.to_datetime(text.where(ok), format=fmt, errors="coerce")
        values = ((stamps - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raise DataError(f"expected a column parser 'thousands' or 'date:<format>'; found {kind!r}")
    return values, present & np.isnan(values)


def _describe_kind(kind: str) -> str:
    if kind == "thousands":
        return "numbers with thousands separators (like 12,345.5)"
    return f"dates in the format {kind[len('date:'):]} (like 2020-01-31)"


def _thousands_as_numbers(column: pd.Series) -> pd.Series:
    """A target written with thousands separators, as numbers; any other column as it is."""
    if _text_kind(column) == "thousands":
        values, _ = _parse_text(column, "thousands")
        return pd.Series(values, index=column.index, name=column.name)
    return column


def _looks_numeric(column: pd.Series) -> bool:
    """True when the column is numeric, or when most of its present values parse as numbers.

    The second case is a numeric column with a few stray strings ("n/a", "12,5"):
    reporting those beats silently one-hot encoding hundreds of numbers.
    """
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    present = column.dropna()
    if present.empty:
        return False
    parsed = pd.to_numeric(present, errors="coerce").notna()
    return bool(parsed.mean() >= 0.5)


# ------------------------------------------------------------ family choice
def _plain(value) -> str:
    """A value as a user wrote it: ``1`` rather than ``np.int64(1)``."""
    return str(value.item() if isinstance(value, np.generic) else value)


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

    def __init__(self, max_distinct: int | None = None):
        self.max_distinct = max_distinct
        self._scan = _ColumnScan("target")
        self.distinct: dict = {}  # first-seen order, as pd.unique
        self.numbers: set = set()  # distinct numeric values
        self.overflow = False
        self.bad = False
        self.integral, self.low, self.high = True, math.inf, -math.inf

    def observe(self, column: pd.Series) -> None:
        self._scan.observe(column)

    def _keep(self, values) -> None:
        """Add ``values`` to the distinct values (a dict: first-seen order), up to the cap."""
        for v in values:
            if self.max_distinct is not None and len(self.distinct) >= self.max_distinct and (
                    v not in self.distinct):
                self.overflow = True
                return
            self.distinct[v] = None

    def add(self, column: pd.Series) -> None:
        series = column.dropna()
        if series.empty:
            return
        if self._scan.text_kind() == "thousands":
            series = pd.Series(_parse_text(series, "thousands")[0], index=series.index)
        self._keep(pd.unique(series))
        if not self._looks_numeric() or self.bad:
            return
        values, bad = _numeric_values(series)
        if bad.any():
            self.bad = True
            return
        finite = np.isfinite(values)
        self.integral = self.integral and bool(np.all(finite) and np.all(values == np.round(values)))
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        if self.max_distinct is None or len(self.numbers) <= self.max_distinct:
            self.numbers.update(np.unique(values).tolist())

    def _looks_numeric(self) -> bool:
        return self._scan.text_kind() == "thousands" or self._scan.looks_numeric()

    def _count(self, n: int) -> str:
        return f"more than {self.max_distinct:,}" if self.overflow else str(n)

    def kind(self) -> tuple[str, str]:
        """The kind and the reason, as :func:`target_kind` gives them."""
        distinct = list(self.distinct)
        if not distinct:
            raise DataError("expected target values to choose a family from; found none (all missing)")
        if len(distinct) == 2 and not self.overflow:
            shown = describe_values(np.asarray([str(v) for v in distinct], dtype=object))
            return "binary", f"the target has exactly two distinct values ({shown})"
        if len(distinct) < 2:
            raise DataError(
                f"expected a target with at least two distinct values; found only {_plain(distinct[0])}"
            )
        if not self._looks_numeric():
            return "classes", f"the target holds {self._count(len(distinct))} distinct text labels"
        if self.bad:
            return "classes", (f"the target holds {self._count(len(distinct))} distinct labels, "
                               "not all numbers")  # fmt: skip
        n_distinct = len(self.numbers)
        if self.max_distinct is not None and n_distinct > self.max_distinct:
            self.overflow = True
        if self.integral and n_distinct <= MAX_INFERRED_CLASSES:
            return "ordered-classes", (
                f"the target holds {n_distinct} distinct integers (at most "
                f"{MAX_INFERRED_CLASSES} are read as ordered class labels)"
            )
        low, high = self.low, self.high
        if self.integral:
            what = "non-negative integers" if low >= 0 else "integers"
            return ("count" if low >= 0 else "integer"), (
                f"the target holds {what} ({self._count(n_distinct)} distinct values, from "
                f"{low:g} to {high:g})"
            )
        if low > 0 and high < 1:
            return "unit-interval", "the target holds real values strictly between 0 and 1"
        if low > 0:
            return "positive", "the target holds positive real values"
        return "real", "the target holds real values"


def target_kind(y: Sequence | np.ndarray | pd.Series) -> tuple[str, str]:
    """What kind of target a column holds (one of ``probnn.families.TARGET_KINDS``), and why.

    Rules, in order: two distinct values -> "binary"; strings -> "classes"; at
    most ``MAX_INFERRED_CLASSES`` distinct integers -> "ordered-classes"
    (ratings, grades); non-negative integers -> "count"; other integers ->
    "integer"; reals all strictly between 0 and 1 -> "unit-interval"; reals
    all > 0 -> "positive"; anything else -> "real". Missing values are ignored.
    A column read in pieces (a streamed table) is judged by :class:`TargetScan`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)

    Returns
    -------
    kind : str
    reason : str
        What the column holds, for the user (e.g. "the target holds 12 distinct
        text labels").
    """
    series = pd.Series(np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y)
    scan = TargetScan()
    scan.observe(series)
    scan.add(series)
    return scan.kind()


def infer_family(y: Sequence | np.ndarray | pd.Series) -> tuple[str, str]:
    """Choose a likelihood family for a target column, and say why.

    The family is the registry's default for the column's :func:`target_kind`
    (``probnn.families.default_family``: Bernoulli for two values, categorical
    for classes, Poisson for counts, a normal with a learned scale for reals);
    the reason names the other families that fit that kind (those
    ``probnn compare`` tries).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target values; missing values are ignored.

    Returns
    -------
    name : str
        A key of :data:`probnn.families.FAMILIES`.
    reason : str
        One sentence for the user.
    """
    return family_of_kind(*target_kind(y))


def family_of_kind(kind: str, why: str) -> tuple[str, str]:
    """The registry's default family for a target kind, and the reason :func:`infer_family` gives."""
    from probnn.families import families_for

    names = families_for(kind)
    others = f"; compare would also try {', '.join(names[1:])}" if len(names) > 1 else ""
    return names[0], f"{why}: the default for {kind} targets is {names[0]}{others}"


def is_classifier_family(name: str) -> bool:
    """Whether the registered family ``name`` models class labels."""
    from probnn.families import FAMILIES

    return FAMILIES[name].is_classifier


def _check_family_name(name: str) -> None:
    """DataError unless ``name`` is a registered family."""
    from probnn.families import FAMILIES

    if name not in FAMILIES:
        raise DataError(f"expected a family among auto, {', '.join(FAMILIES)}; found {name!r}")


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
    * numbers with thousands separators, when every present value matches
      ``-?\d{1,3}(,\d{3})*(\.\d+)?`` (e.g. ``12,345.5``), become that number.

    The model file remembers which columns were parsed and how, so prediction
    parses the same way (and names any value that does not parse).

    Every value, raw and standardised, must fit float32 (the network's default
    dtype); a larger one raises :class:`~probnn.exceptions.DataError` naming the
    column and rows before any training. A :class:`~probnn.exceptions.DataWarning`
    says when a string column looks like an identifier (more than 20 distinct
    values, in more than half of the rows) and, in :meth:`transform`, when rows
    hold categories not seen in training (they encode as all zeros).

    Parameters
    ----------
    impute : bool, default=False
        Fill missing values (numeric: the training median, string: the most
        frequent training value) instead of raising.

    Attributes
    ----------
    numeric_ : list of str
        Numeric columns, in output order.
    center_, scale_ : list of float
        Training mean and standard deviation of each numeric column (scale 1
        when the column is constant).
    categories_ : dict of str -> list of str
        The categories of each string column, in column order (the order of the
        one-hot blocks); each category gets one output column, and
        a category not seen in training encodes as all zeros.
    fill_ : dict of str -> float or str
        Imputation values (when ``impute``).
    parsers_ : dict of str -> str
        Text columns read as numbers: ``"thousands"`` or ``"date:<strptime format>"``.
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
            raise DataError(
                f"expected {expected} in column {name!r}; found "
                f"{describe_values(column[bad].astype(str).to_numpy())} at {describe_rows(bad)}"
            )
        infinite = np.isinf(values)
        if infinite.any():
            raise DataError(
                f"expected finite numbers in column {name!r}; found "
                f"{describe_values(values[infinite])} at {describe_rows(infinite)}"
            )
        huge = np.abs(values) > FLOAT32_MAX
        if huge.any():
            raise DataError(
                f"expected numbers within float32's range (|x| <= {FLOAT32_MAX:.4g}, the "
                f"network's precision) in column {name!r}; found {describe_values(values[huge])} "
                f"at {describe_rows(huge)}"
            )
        return values

    # ------------------------------------------------------------ transform
    @property
    def feature_names_out_(self) -> list[str]:
        """Names of the output columns: numeric names, then ``column=category``."""
        names = list(self.numeric_)
        for name, cats in self.categories_.items():
            names += [f"{name}={c}" for c in cats]
        return names

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
        columns = np.empty((len(self.numeric_) + sum(widths), n))
        self._standardise_numbers(frame, columns[: len(self.numeric_)])
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
        return columns.T

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
                    f"{describe_values(values[huge])} at {describe_rows(huge)}"
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
        # the same rows are often transformed more than once (metrics, report): say it once
        said = self.__dict__.setdefault("_warned", set())
        if message not in said:
            said.add(message)
            warnings.warn(message, DataWarning, stacklevel=3)

    # ---------------------------------------------------------- model files
    def to_meta(self) -> dict:
        """JSON-able description (for model files)."""
        return {
            "impute": bool(self.impute),
            "columns": list(self.columns_),
            "numeric": list(self.numeric_),
            "center": [float(v) for v in self.center_],
            "scale": [float(v) for v in self.scale_],
            # a list of [column, categories] pairs: the order of the one-hot blocks is
            # meaning, and a JSON object's key order is not kept (sort_keys, other readers)
            "categories": [[str(k), [str(c) for c in v]] for k, v in self.categories_.items()],
            "fill": [[str(k), v] for k, v in self.fill_.items()],
            # text columns read as numbers: "thousands" or "date:<strptime format>"
            "parsers": [[str(k), str(v)] for k, v in getattr(self, "parsers_", {}).items()],
        }

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
        for name, kind in self.parsers_.items():  # each a parser this probnn has
            if kind != "thousands" and kind.removeprefix("date:") not in _DATE_FORMATS:
                raise DataError(f"expected a column parser 'thousands' or 'date:<format>' for "
                                f"column {name!r} in the model file; found {kind!r}")  # fmt: skip
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
        self.thousands, self.comma = True, False
        self.dates = dict.fromkeys(_DATE_FORMATS, True)
        self.parser: str | None = None
        self.numeric = False
        self.moments = None
        self.median = None  # ExactMedian, or a list of the present values (in memory)
        self.counts: dict[str, int] | None = None

    # -------------------------------------------------------- kind pass
    def observe(self, column: pd.Series) -> None:
        n = len(column)
        absent = column.isna().to_numpy()
        missing = int(absent.sum())
        self.rows += n
        self.missing += missing
        if missing == n:
            return
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            # numbers among text (a CSV column read in chunks) make the column not all text
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
        if self.all_str:
            text = values.astype(str)
            if self.thousands:
                self.thousands = bool(text.str.fullmatch(_THOUSANDS).all())
            self.comma = self.comma or bool(text.str.contains(",", regex=False).any())
            for fmt, pattern in _DATE_FORMATS.items():
                if self.dates[fmt]:
                    self.dates[fmt] = bool(text.str.fullmatch(pattern).all()) and bool(
                        pd.to_datetime(text, format=fmt, errors="coerce").notna().all()
                    )
        parsed = pd.to_numeric(values, errors="coerce").notna().to_numpy()
        self.parsed += int(counts.to_numpy()[parsed].sum())

    def text_kind(self) -> str | None:
        """:func:`_text_kind` of the whole column."""
        if not (self.textual and self.all_str):
            return None
        if self.thousands and self.comma:
            return "thousands"
        return next((f"date:{fmt}" for fmt, ok in self.dates.items() if ok), None)

    def looks_numeric(self) -> bool:
        """:func:`_looks_numeric` of the whole column."""
        present = self.rows - self.missing
        return not self.textual or (present > 0 and 2 * self.parsed >= present)

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
            if isinstance(self.median, list):
                self.median.append(values[~np.isnan(values)])
            elif self.median is not None:
                self.median.update(values)
            return
        for text, n in column.dropna().astype(str).value_counts(sort=False).items():
            self.counts[text] = self.counts.get(text, 0) + int(n)
        if capped and len(self.counts) > MAX_STREAMED_CATEGORIES:
            raise DataError(
                f"expected a text column with at most {MAX_STREAMED_CATEGORIES:,} distinct values "
                f"to one-hot encode; found more in column {self.name!r}: drop it (--drop "
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

    def observe(self, frame: pd.DataFrame) -> None:
        """Kind pass: the next rows (every feature column)."""
        for name, scan in self._scans.items():
            scan.observe(frame[name])

    def end_kinds(self) -> None:
        """Missing-value errors (as :meth:`Preprocessor.fit` raises them), then each column's kind."""
        rows = next(iter(self._scans.values())).rows
        missing = {name: scan.missing for name, scan in self._scans.items()}
        self.preprocessor._check_missing_counts(missing, rows, fitting=True)
        for scan in self._scans.values():
            scan.start_values(self.preprocessor.impute, self.exact_median)

    def add(self, frame: pd.DataFrame) -> None:
        """Value pass: the next rows."""
        for name, scan in self._scans.items():
            scan.add(frame[name], capped=self.exact_median)

    def end_values(self) -> None:
        """After the value pass: the statistics; with exact medians, see ``median_columns``."""
        for scan in self._scans.values():
            if scan.numeric:
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
        pre.columns_ = list(self.columns)
        pre.numeric_, pre.center_, pre.scale_ = [], [], []
        pre.categories_, pre.fill_, pre.parsers_ = {}, {}, {}
        for name, scan in self._scans.items():
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
                continue
            counts = scan.counts
            if pre.impute and scan.missing:
                most = max(counts.values())
                pre.fill_[name] = min(text for text, n in counts.items() if n == most)
            pre.categories_[name] = sorted(counts)
            n_distinct = len(counts)
            if n_distinct > _ID_MIN_DISTINCT and n_distinct > 0.5 * scan.rows:
                warnings.warn(
                    f"column {name!r} looks like an identifier: {n_distinct} distinct values "
                    f"in {scan.rows} rows become {n_distinct} one-hot features that say "
                    f"nothing about new rows; drop it (--drop {name}) unless it means something",
                    DataWarning, stacklevel=4,
                )  # fmt: skip


# --------------------------------------------------------------- the model
def _labels_to_json(labels: np.ndarray) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in labels.tolist()]


def _class_indices(labels: np.ndarray, classes, target: str) -> np.ndarray:
    """Indices ``0..C-1`` of ``labels`` (from :func:`target_labels`) among the sorted
    ``classes``, by the estimators' label encoder: numbers match numbers (1 == 1.0),
    text matches text ("1" is not 1).

    Raises
    ------
    DataError
        Naming the unknown labels, their rows and the target column.
    """
    text = labels.dtype == object
    numeric_classes = all(isinstance(c, (numbers.Number, np.number)) for c in classes)
    classes = np.asarray(classes, dtype=object if text else None)
    where = f"the classes of target column {target!r} seen in training"
    if numeric_classes == text:  # numbers against text: none can match
        everywhere = np.ones(labels.shape[0], dtype=bool)
        raise DataError(
            f"labels must be among {where} {list(classes)}; found "
            f"{describe_values(labels)} at {describe_rows(everywhere)}"
        )
    try:
        return encode_labels(labels, classes, where=where)
    except ValueError as exc:
        raise DataError(str(exc)) from None


# The settings of a classifier fitted on a table when none are given (a regressor takes
# MLPRegressor's own defaults, which are sized by the data).
CLASSIFIER_DEFAULTS = dict(hidden_layer_sizes=(64, 64), max_iter=200, learning_rate_init=1e-3,
                           alpha=1e-4, n_iter_no_change=10)  # fmt: skip


class TabularModel:
    """Preprocessing + target encoding + a probnn estimator, fitted on one table.

    Build one with :meth:`fit`; a model file stores it (``probnn.model_file``).

    Attributes
    ----------
    target : str
        Name of the target column.
    family : str
        The likelihood family's name.
    preprocessor : Preprocessor
    estimator : MLPClassifier or MLPRegressor
        Trained on ``preprocessor.transform(frame)``; a classifier sees class
        indices ``0..C-1``.
    classes : list or None
        Class labels (index ``k`` names class ``k``) for classifiers.
    """

    def __init__(self, *, target: str, family: str, preprocessor: Preprocessor, estimator,
                 classes: list | None = None):  # fmt: skip
        self.target = target
        self.family = family
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.classes = classes

    @property
    def is_classifier(self) -> bool:
        return is_classifier_family(self.family)

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(
        cls,
        frame: pd.DataFrame,
        target: str,
        *,
        family: str = "auto",
        hidden: Sequence[int] | None = None,
        solver: str = "adam",
        epochs: int | None = None,
        seed: int | None = 0,
        impute: bool = False,
        progress: bool = False,
        ensemble: int = 1,
        n_jobs: int | None = None,
        **estimator_params,
    ) -> "TabularModel":
        """Fit preprocessing and an estimator on ``frame``.

        Parameters
        ----------
        frame : DataFrame of shape (n_rows, n_columns)
            Feature columns and the target column (drop unwanted columns first).
        target : str
        family : str, default="auto"
            ``"auto"`` uses :func:`infer_family`.
        hidden : sequence of int, optional
            Hidden layer sizes. None: :class:`~probnn.estimators.MLPRegressor`'s default
            for a regression family, ``CLASSIFIER_DEFAULTS``'s for a classifier.
        solver : {"adam", "sgd", "lbfgs"}
        epochs : int, optional
            ``max_iter`` of the estimator. None: a regressor's "auto" budget (sized by
            the rows), a classifier's ``CLASSIFIER_DEFAULTS``. With "adam" or "sgd"
            training stops earlier once the NLL of held-out validation rows stops
            improving.
        seed : int or None
        impute : bool
        progress : bool
            Show a progress bar while training.
        ensemble : int, default=1
            For a regression family, more than 1 fits an
            :class:`~probnn.estimators.EnsembleRegressor` of that many networks
            (seeds drawn from ``seed``), saved as one model.
        n_jobs : int or None, default=None
            The ensemble's networks fitted in parallel through joblib (its ``n_jobs``;
            None: one after the other, unless ``joblib.parallel_config`` says otherwise).
        **estimator_params
            Further estimator parameters (e.g. ``learning_rate_init``).
        """
        check_target_column(frame, target)
        if family == "auto":
            family, _ = infer_family(frame[target])
        _check_family_name(family)
        features = frame.drop(columns=[target])
        preprocessor = Preprocessor(impute=impute).fit(features)
        X = preprocessor.transform(features)
        classifier = is_classifier_family(family)
        # a regressor keeps MLPRegressor's defaults (sized by the data; early stopping on
        # validation NLL where it helps); a classifier gets the table's settings, with early
        # stopping (which also gives the report its validation curve) except under L-BFGS
        params = dict(CLASSIFIER_DEFAULTS, early_stopping=solver != "lbfgs") if classifier else {}
        if hidden is not None:
            params["hidden_layer_sizes"] = tuple(int(h) for h in hidden)
        if epochs is not None:
            params["max_iter"] = int(epochs)
        params.update(estimator_params)
        params.update(solver=solver, random_state=seed, progress=progress, family=family)
        if classifier:
            from probnn.estimators import MLPClassifier

            labels = target_labels(frame[target], target)
            classes = np.unique(labels)
            y = _class_indices(labels, classes, target)
            estimator = MLPClassifier(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator, classes=_labels_to_json(classes))  # fmt: skip
        else:
            from probnn.estimators import MLPRegressor
            from probnn.families import get_family

            y = regression_target(frame[target], target, get_family(family))
            if ensemble > 1:
                from probnn.estimators import EnsembleRegressor
                from probnn.estimators.ensemble import DEFAULT_MEMBER_PARAMS

                # the members EnsembleRegressor measures by default, as far as options allow
                member = MLPRegressor(**{**DEFAULT_MEMBER_PARAMS, **params})
                estimator = EnsembleRegressor(member, n_members=int(ensemble), n_jobs=n_jobs,
                                              random_state=seed)
            else:
                estimator = MLPRegressor(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator)  # fmt: skip
        try:
            estimator.fit(X, y)
        except (DataError, NetworkTooLargeError):
            raise
        except ValueError as exc:  # a family's check on the targets, with rows
            raise DataError(f"column {target!r}: {exc}") from None
        return model

    # ---------------------------------------------------------------- predict
    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Feature matrix of ``frame`` (the target column, if present, is ignored)."""
        return self.preprocessor.transform(frame)

    def encode_target(self, frame: pd.DataFrame) -> np.ndarray:
        """The target column as the estimator sees it (class indices or floats).

        Raises
        ------
        DataError
            If the column is missing, has missing values, holds a label not seen
            in training, or values outside the family's support.
        """
        check_target_column(frame, self.target)
        column = frame[self.target]
        if not self.is_classifier:
            from probnn.families import get_family

            return regression_target(column, self.target, get_family(self.family))
        return _class_indices(target_labels(column, self.target), self.classes, self.target)

    def predict_dist(self, frame: pd.DataFrame):
        """Predictive distribution of the target for each row, batch shape (n_rows,)."""
        return self.estimator.predict_dist(self.transform(frame))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Most probable label (classifiers) or predicted mean (regressors), shape (n_rows,)."""
        X = self.transform(frame)
        if self.is_classifier:
            index = np.asarray(self.estimator.predict(X), dtype=np.intp)
            return np.asarray(self.classes, dtype=object)[index]
        return self.estimator.predict(X)

    def predict_table(self, frame: pd.DataFrame, coverage: float = 0.9) -> pd.DataFrame:
        """Predictions with the distribution's parameters, one row per input row.

        Columns: ``prediction``; classifiers ``p(<label>)`` per class;
        regressors the distribution's parameters (the family's
        ``parameter_columns``: e.g. ``loc``, ``scale``) and ``lower``, ``upper``:
        the central interval holding the target with probability ``coverage``.
        """
        X = self.transform(frame)
        out: dict[str, np.ndarray] = {}
        if self.is_classifier:
            proba = self.estimator.predict_proba(X)
            labels = np.asarray(self.classes, dtype=object)
            out["prediction"] = labels[np.argmax(proba, axis=1)]
            for k, label in enumerate(self.classes):
                out[f"p({label})"] = proba[:, k]
            return pd.DataFrame(out)
        out["prediction"] = np.asarray(self.estimator.predict(X))
        dist = self.estimator.predict_dist(X)
        for name, values in _parameter_columns(self.estimator, dist).items():
            out[name] = np.array(values)
        lower, upper = self.estimator.predict_interval(X, coverage=coverage)
        out["lower"], out["upper"] = np.asarray(lower), np.asarray(upper)
        return pd.DataFrame(out)

    def evaluate(self, frame: pd.DataFrame, coverage: float = 0.9) -> dict[str, float]:
        """Held-out metrics of ``frame`` (which must hold the target column).

        Classifiers: ``nll_nats``, ``nll_bits``, ``accuracy``, ``brier``, ``ece``;
        regressors: ``nll_nats``, ``nll_bits``, ``rmse``, ``mae``, ``coverage``, ``pit_ks``.
        """
        from probnn import metrics

        y = self.encode_target(frame)
        dist = self.predict_dist(frame)
        if self.is_classifier:
            return metrics.classification_metrics(y, dist)
        return metrics.regression_metrics(y, dist, coverage=coverage)

    # ---------------------------------------------------------- model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Arrays and JSON metadata of the whole bundle (see ``probnn.model_file``)."""
        arrays, est_meta = self.estimator._export_state()
        meta = {
            "target": self.target,
            "family": self.family,
            "classes": self.classes,
            "preprocessing": self.preprocessor.to_meta(),
            "estimator": est_meta,
        }
        return {f"estimator.{k}": v for k, v in arrays.items()}, meta

    @classmethod
    def _from_state(cls, arrays: dict[str, np.ndarray], meta: dict) -> "TabularModel":
        from probnn.estimators import estimator_from_state

        from probnn.families import FAMILIES

        if meta["family"] not in FAMILIES:
            raise DataError(f"expected a registered family in the model file; found "
                            f"{meta['family']!r}")  # fmt: skip
        est_arrays = {k[len("estimator."):]: v for k, v in arrays.items() if k.startswith("estimator.")}
        estimator = estimator_from_state(est_arrays, meta["estimator"])
        preprocessor = Preprocessor.from_meta(meta["preprocessing"])
        width = len(preprocessor.feature_names_out_)
        if getattr(estimator, "n_features_in_", width) != width:
            raise DataError(f"expected the network to take the {width} features the model "
                            f"file's preprocessing makes; it takes {estimator.n_features_in_}")  # fmt: skip
        return cls(
            target=str(meta["target"]), family=str(meta["family"]),
            preprocessor=preprocessor, estimator=estimator, classes=meta.get("classes"),
        )  # fmt: skip


# ---------------------------------------------------------------- targets
def validate_frame(frame: pd.DataFrame, target: str, family: str, impute: bool = False) -> None:
    """Check a whole table before it is split, so errors name rows of the file.

    Raises
    ------
    DataError
        For a missing target column, missing or non-numeric feature values,
        or targets the family cannot model.
    """
    from probnn.families import get_family

    check_target_column(frame, target)
    features = frame.drop(columns=[target])
    with warnings.catch_warnings():
        # the fit on the training rows says the same; here only errors, with rows of the file
        warnings.simplefilter("ignore", DataWarning)
        Preprocessor(impute=impute).fit(features).transform(features)
    _check_family_name(family)
    if is_classifier_family(family):
        target_labels(frame[target], target)
    else:
        regression_target(frame[target], target, get_family(family))


def _parameter_columns(estimator, dist) -> dict[str, np.ndarray]:
    """The predicted distribution's parameters as columns, as its family names them.

    An ensemble (no single ``family_``) gives each member's parameters with the
    member's number appended (``loc_1``, ``scale_1``, ``loc_2``, ...): its
    prediction is their equal mixture.
    """
    family = getattr(estimator, "family_", None)
    if family is not None:
        return family.parameter_columns(dist)
    columns = {}
    for k, (member, component) in enumerate(zip(estimator.estimators_, dist.components), 1):
        for name, values in member.family_.parameter_columns(component).items():
            columns[f"{name}_{k}"] = values
    return columns


def check_target_column(frame: pd.DataFrame, target: str) -> None:
    """Raise DataError unless ``target`` is a column of ``frame``."""
    if target not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
        more = ", ..." if frame.shape[1] > 20 else ""
        raise DataError(f"expected a target column {target!r}; found columns {shown}{more}")


def _check_target_present(column: pd.Series, target: str) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"expected a value in every row of target column {target!r}; found "
            f"{int(missing.sum())} missing at {describe_rows(missing)}"
        )


def target_labels(column: pd.Series, target: str) -> np.ndarray:
    """Class labels of a target column: numbers stay numbers, anything else becomes text.

    Returns
    -------
    ndarray of shape (n_rows,)
    """
    _check_target_present(column, target)
    column = _thousands_as_numbers(column)
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy().astype(np.int64)
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy()
        if np.issubdtype(values.dtype, np.floating):
            infinite = ~np.isfinite(values)
            if infinite.any():
                raise DataError(
                    f"expected finite labels in target column {target!r}; found "
                    f"{describe_values(values[infinite])} at {describe_rows(infinite)}"
                )
            if np.all(values == np.round(values)):
                values = values.astype(np.int64)  # 0.0 / 1.0 read back as labels 0 / 1
        return values
    return column.astype(str).to_numpy(dtype=object)


def regression_target(column: pd.Series, target: str, family) -> np.ndarray:
    """A numeric target column checked against the family's support.

    Returns
    -------
    ndarray of shape (n_rows,), float64
    """
    _check_target_present(column, target)
    column = _thousands_as_numbers(column)
    values, bad = _numeric_values(column)
    if bad.any():
        raise DataError(
            f"expected numbers in target column {target!r} for family {family.name}; found "
            f"{describe_values(column[bad].astype(str).to_numpy())} at {describe_rows(bad)}"
        )
    infinite = ~np.isfinite(values)
    if infinite.any():
        raise DataError(
            f"expected finite numbers in target column {target!r}; found "
            f"{describe_values(values[infinite])} at {describe_rows(infinite)}"
        )
    try:
        return np.asarray(family.check_target(values), dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"target column {target!r}: {exc}") from None
