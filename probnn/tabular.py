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
import re
import warnings
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from probnn import defaults
from probnn._io import LineTooLongError, open_text_table
from probnn._validation import (data_rows, describe_list, describe_rows, describe_values,
                                encode_labels, name_data_rows)  # fmt: skip
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


def row_numbers(index: pd.Index) -> np.ndarray:
    """The data row of each row of a frame, as its user counts them: 1 is the first row
    after the header (a CSV file's line 2, a spreadsheet's row 2).

    A table read by :func:`read_table` (or a batch of :class:`probnn.streaming.TableSource`)
    carries each row's 0-based number in its file as its index, which a split keeps: the
    data row is the index + 1. A frame with any other index is counted by position.

    Parameters
    ----------
    index : pandas.Index of length n_rows

    Returns
    -------
    ndarray of int64, shape (n_rows,)
    """
    if len(index) and pd.api.types.is_integer_dtype(index) and index.min() >= 0:
        return index.to_numpy(dtype=np.int64) + 1
    return np.arange(1, len(index) + 1, dtype=np.int64)


# A table read from a folder of files end to end (read_table) keeps in its ``attrs`` each
# file's (path, first row, rows), so its rows are named within their file, as when streamed.
FILES_ATTR = "probnn_files"


def _located_rows(where) -> tuple[np.ndarray, list | None]:
    """The data row of each row of ``where`` (an Index, Series or DataFrame) and the files
    it was read from (a Parquet folder), if any."""
    index = where if isinstance(where, pd.Index) else where.index
    files = None if isinstance(where, pd.Index) else where.attrs.get(FILES_ATTR)
    return row_numbers(index), files


def _rows(mask: np.ndarray, where) -> str:
    """:func:`describe_rows` of a mask over the rows of ``where`` (an Index, Series or
    DataFrame), in data rows (:func:`row_numbers`), within their file for a folder."""
    numbers, files = _located_rows(where)
    return describe_rows(mask, numbers=numbers, files=files)


def check_unique_columns(names: Sequence[str], where: str) -> None:
    """DataError naming the column names that occur more than once in a header.

    pandas would read a second ``y`` as ``y.1``, silently a feature beside the target.
    """
    seen: dict[str, int] = {}
    for name in names:
        seen[str(name)] = seen.get(str(name), 0) + 1
    twice = [f"{name!r} ({n} times)" for name, n in seen.items() if n > 1]
    if twice:
        raise DataError(
            f"expected each column name once in the header of {where}; found "
            f"{', '.join(twice[:10])}{', ...' if len(twice) > 10 else ''}: rename or remove "
            "the repeated columns"
        )


def _csv_header(path: pathlib.Path, sep: str) -> list[str]:
    """The field names of a text table's first record, as written (before pandas renames
    a repeated name)."""
    if len(sep) != 1:  # a regular expression for pandas: no csv reader of the same rule
        return []
    try:  # bounded, and through gzip where the file is one (open_csv's rules)
        with open_text_table(path) as fh:
            line = fh.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError, ValueError):
        return []  # open_csv names what cannot be read
    try:
        return next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=sep), [])
    except csv.Error:  # pandas names what does not parse
        return []


def check_header(path: str | os.PathLike, sep: str | None = None) -> None:
    """DataError when a CSV / Parquet file's header names a column more than once."""
    path = pathlib.Path(path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
        except Exception:  # noqa: BLE001 - unreadable files are named by the reader
            return
    else:
        names = _csv_header(path, sniff_separator(path) if sep is None else sep)
    check_unique_columns(names, str(path))

# Seeds of NumPy's legacy generator and scikit-learn's random_state: [0, 2**32 - 1].
SEED_MAX = 2**32 - 1

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

        source = TableSource(path)
        frame = source.read_all()
        frame.columns = [str(c) for c in frame.columns]
        frame.index = pd.RangeIndex(len(frame))
        starts = np.concatenate([[0], np.cumsum(source._file_rows)[:-1]]).tolist()
        frame.attrs[FILES_ATTR] = [(str(f), int(a), int(n))
                                   for f, a, n in zip(source.files, starts, source._file_rows)]  # fmt: skip
        return frame
    if not path.is_file():
        raise DataError(f"expected a data file; found something else at {path}")
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            check_header(path)
            frame = pd.read_parquet(path)
        else:
            sep = sniff_separator(path) if sep is None else sep
            check_header(path, sep)
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
        out = pd.Series(values, index=column.index, name=column.name)
        out.attrs.update(column.attrs)  # the files of a folder's rows
        return out
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
        if self._scan.text_kind() == "thousands":
            series = pd.Series(_parse_text(series, "thousands")[0], index=series.index)
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
        self.integral = self.integral and bool(np.all(finite) and np.all(values == np.round(values)))
        self.low, self.high = min(self.low, float(values.min())), max(self.high, float(values.max()))
        self.unit = self.unit and bool(np.all((values >= 0) & (values <= 1)))
        if self.max_distinct is None or len(self.numbers) <= self.max_distinct:
            self.numbers.update(np.unique(values).tolist())

    def _looks_numeric(self) -> bool:
        return self._scan.text_kind() == "thousands" or self._scan.looks_numeric()

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
                "family to read every value as a class label"
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
    kinds, why = target_kinds(y)
    return kinds[0], why


def target_kinds(y: Sequence | np.ndarray | pd.Series) -> tuple[tuple[str, ...], str]:
    """Every kind of target a column is (see :meth:`TargetScan.kinds`), the first the
    one :func:`target_kind` names, and why.

    A few distinct integers are ``("ordered-classes", "count")`` (or ``"integer"`` with
    negative values): ``probnn compare`` tries the families of both kinds.

    Raises
    ------
    DataError
        For a numeric column with a few values that are not numbers (naming their
        rows), and for text labels that look like an identifier (most seen only once).
    """
    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y, dtype=object))
    scan = TargetScan(name=str(series.name) if series.name is not None else "target")
    scan.observe(series)
    scan.add(series)
    return scan.kinds()


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
    return family_of_kind(*target_kinds(y))


def families_of_kinds(kinds: str | Sequence[str]) -> list[str]:
    """The registered families that fit any of ``kinds``: the first kind's (its default
    first), then the others' not yet named."""
    from probnn.families import families_for

    names: list[str] = []
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        names += [n for n in families_for(kind) if n not in names]
    return names


def family_of_kind(kind: str | Sequence[str], why: str) -> tuple[str, str]:
    """The registry's default family for a target kind (the first of several kinds), and the
    reason :func:`infer_family` gives."""
    names = families_of_kinds(kind)
    first = kind if isinstance(kind, str) else kind[0]
    others = f"; compare would also try {', '.join(names[1:])}" if len(names) > 1 else ""
    return names[0], f"{why}: the default for {first} targets is {names[0]}{others}"


# A family whose support the target misses at no more than this fraction of its rows is
# named by compare as left out because of those rows (a proportion with one exact 0 and
# beta), rather than silently absent.
LEFT_OUT_FRACTION = 0.05


def families_left_out(column: pd.Series, target: str, tried: Sequence[str]) -> list[tuple[str, str]]:
    """Regression families not in ``tried`` that a few rows of the target keep out, and why.

    A family is named when its own target check fails at no more than
    ``LEFT_OUT_FRACTION`` of the rows; the reason is that check's message (values and
    data rows).

    Returns
    -------
    list of (family name, reason)
    """
    from probnn.families import FAMILIES, get_family

    values, bad = _numeric_values(_thousands_as_numbers(column))
    if bad.any() or np.isnan(values).any():
        return []
    out = []
    for name, cls in FAMILIES.items():
        if name in tried or cls.is_classifier:
            continue
        family = get_family(name)
        try:
            regression_target(column, target, family)
            continue
        except DataError as exc:
            reason = str(exc)
        limit = int(LEFT_OUT_FRACTION * values.size)
        if 0 < _rejected(family, values, limit + 1).size <= limit:
            out.append((name, reason))
    return out


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
                f"{describe_values(column[bad].astype(str).to_numpy())} at {_rows(bad, column)}"
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

    def check_held_out(self, frame: pd.DataFrame) -> None:
        """During the value pass: rows held out of the fit, checked as :meth:`add` checks the
        fitted rows (numbers, finite, within float32; no missing value without imputation),
        so a bad held-out value is named before training."""
        if not self.preprocessor.impute:
            self.preprocessor._check_missing(frame[self.columns], fitting=False)
        for name, scan in self._scans.items():
            if scan.numeric:
                Preprocessor._numeric(frame[name], name, scan.parser)

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


def _class_indices(labels: np.ndarray, classes, target: str, where=None) -> np.ndarray:
    """Indices ``0..C-1`` of ``labels`` (from :func:`target_labels`) among ``classes`` (in
    their order: sorted, or the order of ``--levels``), by the estimators' label encoder:
    numbers match numbers (1 == 1.0), text matches text ("1" is not 1).

    Raises
    ------
    DataError
        Naming the unknown labels, their data rows (``where``: the target column, or its
        index) and the target column.
    """
    text = labels.dtype == object
    numeric_classes = all(isinstance(c, (numbers.Number, np.number)) for c in classes)
    classes = np.asarray(classes, dtype=object if text else None)
    numbers_, files = _located_rows(where if where is not None else pd.RangeIndex(labels.shape[0]))
    where = f"the classes of target column {target!r} seen in training"
    if numeric_classes == text:  # numbers against text: none can match
        everywhere = np.ones(labels.shape[0], dtype=bool)
        raise DataError(
            f"labels must be among {where} {describe_list(classes)}; found "
            f"{describe_values(labels)} at {describe_rows(everywhere, numbers=numbers_, files=files)}"
        )
    order = np.argsort(classes, kind="stable")  # the encoder searches sorted classes
    try:
        with data_rows(numbers_, files):
            return order[encode_labels(labels, classes[order], where=where)]
    except ValueError as exc:
        raise DataError(str(exc)) from None


def class_order(column: pd.Series, labels: np.ndarray, target: str, family: str,
                levels: Sequence[str] | None = None) -> np.ndarray:  # fmt: skip
    """The classes of a target column in the order the model keeps (class ``k`` is the
    ``k``-th), from its labels (:func:`target_labels`).

    The order, for a family whose classes are ordered (support "ordered-classes"): the
    given ``levels`` (``--levels``), else an ordered categorical column's (pandas, or a
    Parquet dictionary column saved as one), else the numeric order of number labels;
    text labels without any of those are refused: their alphabetical order is rarely
    their meaning (high < low < medium). Other class families take ``levels`` or the
    sorted labels.

    Parameters
    ----------
    column : Series of shape (n_rows,)
        The target column as read (its dtype may carry an order).
    labels : ndarray of shape (n_rows,)
    levels : sequence of str, optional

    Returns
    -------
    ndarray of shape (n_classes,)

    Raises
    ------
    DataError
        For a label not among ``levels`` (naming its data rows), a level no row holds,
        or text labels of an ordered family without an order.
    """
    if levels is not None:
        check_levels(column, labels, target, levels)
    return order_classes(np.unique(labels), ordered_categories(column), target, family, levels)


def ordered_categories(column: pd.Series) -> list | None:
    """The categories of an ordered categorical column (pandas; a Parquet dictionary column
    saved as one), in their order; None for any other column."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        return list(dtype.categories)
    return None


def check_levels(column: pd.Series, labels: np.ndarray, target: str, levels: Sequence[str]) -> None:
    """DataError naming the data rows of labels that are not among ``levels``."""
    given = _levels_as_labels(levels, labels.dtype == object)
    outside = ~np.isin(labels, np.asarray(given, dtype=object if labels.dtype == object else None))
    if outside.any():
        raise DataError(
            f"expected target {target!r} to hold only the --levels {describe_list(given)}; "
            f"found {describe_values(labels[outside])} at {_rows(outside, column)}"
        )


def order_classes(present: np.ndarray, categories: list | None, target: str, family: str,
                  levels: Sequence[str] | None = None) -> np.ndarray:  # fmt: skip
    """The classes in the model's order, from the sorted labels present in the training rows,
    an ordered column's ``categories`` (or None) and ``levels``: see :func:`class_order`."""
    from probnn.families import FAMILIES

    text = present.dtype == object
    kind = object if text else None
    seen = set(present.tolist())
    if levels is not None:
        given = _levels_as_labels(levels, text)
        absent = [g for g in given if g not in seen]
        if absent:
            raise DataError(
                f"expected rows of every level of --levels in target {target!r}; found none "
                f"of {describe_list(absent)} among the training rows (remove those levels)"
            )
        return np.asarray(given, dtype=kind)
    if categories is not None:
        order = [str(c) if text else c for c in categories]
        return np.asarray([c for c in order if c in seen], dtype=kind)
    if FAMILIES[family].support == "ordered-classes" and text:
        raise DataError(
            f"family {family} orders its classes, and target {target!r} holds text labels "
            f"({describe_values(present)}) whose order probnn cannot know: give it with "
            f"--levels {','.join(str(v) for v in present[:10])} (in the right order), or save "
            "the column as an ordered categorical"
        )
    return present


def _levels_as_labels(levels: Sequence[str], text: bool) -> list:
    """``--levels`` as labels of the column's type: text, or numbers for number labels."""
    if text:
        return [str(v) for v in levels]
    out = []
    for v in levels:
        try:
            number = float(v)
        except (TypeError, ValueError):
            raise DataError(f"expected numbers in --levels for a target of numbers; found {v!r}") from None
        out.append(int(number) if number.is_integer() else number)
    return out


def check_held_out_labels(train: pd.Series, held_out: pd.Series, target: str) -> None:
    """DataError, before training, for held-out rows whose class label no training row holds
    (they could not be scored)."""
    seen = np.unique(target_labels(train, target))
    labels = target_labels(held_out, target)
    unseen = ~np.isin(labels, seen)
    if unseen.any():
        raise DataError(
            f"expected the held-out rows' labels of target {target!r} among the training "
            f"rows' labels; found {describe_values(labels[unseen])} at {_rows(unseen, held_out)}, "
            "which no training row holds: such a label cannot be learned or scored (merge rare "
            "classes, or use more data)"
        )


def check_trainable_target(y: np.ndarray, where, target: str, family,
                           dtype=np.float32, standardised: bool | None = None,
                           n_rows: int | None = None) -> None:  # fmt: skip
    """DataError, before training, for target values training cannot represent.

    Two limits, each naming the data rows:

    * the target's mean and standard deviation are summed in float64: every ``|y|`` must
      stay below ``sqrt(float64 max / n) / 2``, so that ``n`` squared deviations sum to
      a finite number (about 6.7e152 for 1,000 rows; a large offset is fine);
    * a family trained on y itself (not standardised: not location-scale) sees y in the
      network's ``dtype``: every value must stay finite and inside the family's support
      there (a Beta target of 1e-300 is 0 in float32, a count of 1e40 is inf).

    Parameters
    ----------
    y : ndarray of shape (n_rows,), float64
        Targets already checked against the family's support (:func:`regression_target`).
    where : pandas Series, DataFrame or Index
        The target column, or its index (data rows, :func:`row_numbers`).
    family : Family
    dtype : numpy dtype
        The network's precision.
    standardised : bool or None
        Whether the estimator standardises the target; None: when the family is
        location-scale (``MLPRegressor``'s "auto").
    n_rows : int or None
        Rows the statistics sum over (a streamed table's, given in pieces); None: ``len(y)``.
    """
    n = max(1, int(n_rows if n_rows is not None else y.size))
    bound = math.sqrt(np.finfo(np.float64).max / n) / 2
    huge = np.abs(y) > bound
    if huge.any():
        raise DataError(
            f"expected target {target!r} values whose squares float64 can sum over {n:,} rows "
            f"(|y| <= {bound:.3g}); found {describe_values(y[huge])} at {_rows(huge, where)}"
        )
    if standardised is None:
        standardised = family.location_scale
    if standardised or np.dtype(dtype) == np.float64:
        return
    with np.errstate(over="ignore", under="ignore"):
        cast = y.astype(dtype)
    bad = ~np.isfinite(cast)
    if not bad.any():
        try:
            family.check_target(cast)
            return
        except ValueError:
            bad = np.zeros(y.size, dtype=bool)
            bad[_rejected(family, cast)] = True
    shown = ", ".join(f"{v:g} (in {np.dtype(dtype).name}: {c:g})"
                      for v, c in zip(y[bad][:5], cast[bad][:5]))  # fmt: skip
    raise DataError(
        f"expected target {target!r} values that stay in the support of {family.name} in "
        f"{np.dtype(dtype).name}, the network's precision; found {shown} at {_rows(bad, where)}: "
        "such values are out of the support to the network: replace them, rescale the target, "
        "or fit in float64 (the estimators' dtype='float64')"
    )


def _rejected(family, values: np.ndarray, limit: int = 10) -> np.ndarray:
    """Positions (the first ``limit`` or so) of ``values`` the family's elementwise target
    check refuses, found by halving the rows it refuses."""
    todo, found = [np.arange(values.size)], []
    while todo and len(found) < limit:
        part = todo.pop()
        try:
            family.check_target(values[part])
        except ValueError:
            if part.size == 1:
                found.append(int(part[0]))
            else:
                todo += [part[part.size // 2:], part[: part.size // 2]]
    return np.asarray(sorted(found), dtype=np.intp)


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
    training_data : dict or None
        What ``probnn fit`` recorded of the data it was fitted on, so ``probnn evaluate`` can
        recognise that data and score only the rows the fit held out: ``sha256`` (of the
        file or folder, ``probnn.report.card.file_sha256``), ``rows`` (data rows),
        ``split`` (the rule: ``"permutation"`` or ``"row-hash"``), ``seed`` and
        ``test_fraction``. None when not recorded (a model file from before the record, or
        a model not fitted by the command line).
    """

    def __init__(self, *, target: str, family: str, preprocessor: Preprocessor, estimator,
                 classes: list | None = None, training_data: dict | None = None):  # fmt: skip
        self.target = target
        self.family = family
        self.preprocessor = preprocessor
        self.estimator = estimator
        self.classes = classes
        self.training_data = training_data

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
        levels: Sequence[str] | None = None,
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
            for a regression family, ``defaults.TABLE_CLASSIFIER``'s for a classifier.
        solver : {"adam", "sgd", "lbfgs"}
        epochs : int, optional
            ``max_iter`` of the estimator. None: a regressor's "auto" budget (sized by
            the rows), a classifier's ``defaults.TABLE_CLASSIFIER``. With "adam" or "sgd"
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
        levels : sequence of str, optional
            A classifier's classes in their order (``--levels``; see :func:`class_order`:
            an ordered family needs it for text labels unless the column is an ordered
            categorical). Saved in the model, so prediction and evaluation use it.
        **estimator_params
            Further estimator parameters (e.g. ``learning_rate_init``).
        """
        if seed is not None and not (isinstance(seed, numbers.Integral) and 0 <= seed <= SEED_MAX):
            # the seed is a setting, not the data: said before the target is looked at
            raise ValueError(f"seed must be None or an integer from 0 to {SEED_MAX} (NumPy's and "
                             f"scikit-learn's seeds); found {seed!r}")  # fmt: skip
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
        params = {}
        if classifier:
            params = dict(defaults.TABLE_CLASSIFIER, early_stopping=solver != "lbfgs")
        if hidden is not None:
            params["hidden_layer_sizes"] = tuple(int(h) for h in hidden)
        if epochs is not None:
            params["max_iter"] = int(epochs)
        params.update(estimator_params)
        params.update(solver=solver, random_state=seed, progress=progress, family=family)
        if classifier:
            from probnn.estimators import MLPClassifier

            labels = target_labels(frame[target], target)
            classes = class_order(frame[target], labels, target, family, levels)
            y = _class_indices(labels, classes, target, frame[target])
            estimator = MLPClassifier(**params)
            model = cls(target=target, family=family, preprocessor=preprocessor,
                        estimator=estimator, classes=_labels_to_json(classes))  # fmt: skip
        else:
            from probnn.estimators import MLPRegressor
            from probnn.families import get_family

            y = regression_target(frame[target], target, get_family(family))
            standardise = params.get("standardize_target", "auto")
            check_trainable_target(
                y, frame[target], target, get_family(family), params.get("dtype", np.float32),
                None if standardise == "auto" else bool(standardise))  # fmt: skip
            if ensemble > 1:
                from probnn.estimators import EnsembleRegressor

                # the members EnsembleRegressor measures by default, as far as options allow
                member = MLPRegressor(**{**defaults.ENSEMBLE_MEMBER, **params})
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
        return _class_indices(target_labels(column, self.target), self.classes, self.target,
                              column)  # fmt: skip

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
        if self.training_data is not None:
            meta["training_data"] = self.training_data
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
            training_data=_training_data(meta.get("training_data")),  # absent from older files
        )  # fmt: skip


# the split rules ``probnn fit`` records (``probnn.cli.SPLIT_PERMUTATION`` / ``SPLIT_ROW_HASH``)
_SPLIT_RULES = ("permutation", "row-hash")


def _training_data(record) -> dict | None:
    """A model file's record of its training data, checked (ValueError naming the field)."""
    if record is None:
        return None

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    checks = {
        "sha256": lambda v: isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) is not None,
        "rows": lambda v: whole(v) and v >= 2,
        "split": lambda v: v in _SPLIT_RULES,
        "seed": whole,
        "test_fraction": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
        and 0.0 < v < 1.0,
    }  # fmt: skip
    if not isinstance(record, dict):
        raise ValueError(f"expected training_data to be a JSON object; found {type(record).__name__}")
    for key, ok in checks.items():
        if not ok(record.get(key)):
            found = repr(record.get(key))
            found = found if len(found) <= 70 else found[:70] + "..."  # a hostile file's long string
            raise ValueError(f"expected a valid training_data {key!r}; found {found}")
    return record


# ---------------------------------------------------------------- targets
def validate_frame(frame: pd.DataFrame, target: str, family: str, impute: bool = False,
                   levels: Sequence[str] | None = None) -> None:  # fmt: skip
    """Check a whole table before it is split, so errors name rows of the file.

    Raises
    ------
    DataError
        For a missing target column, missing or non-numeric feature values,
        targets the family cannot model (or cannot represent in training:
        :func:`check_trainable_target`), class labels outside ``levels`` or
        without an order an ordered family needs (:func:`class_order`).
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
        class_order(frame[target], target_labels(frame[target], target), target, family, levels)
    else:
        declared = get_family(family)
        y = regression_target(frame[target], target, declared)
        check_trainable_target(y, frame[target], target, declared)


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
    """Raise DataError unless ``target`` is a column of ``frame``, and each column name
    occurs once."""
    if frame.columns.duplicated().any():
        check_unique_columns([str(c) for c in frame.columns], "the table")
    if target not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
        more = ", ..." if frame.shape[1] > 20 else ""
        raise DataError(f"expected a target column {target!r}; found columns {shown}{more}")


def _check_target_present(column: pd.Series, target: str) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataError(
            f"expected a value in every row of target column {target!r}; found "
            f"{int(missing.sum())} missing at {_rows(missing, column)}"
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
                    f"{describe_values(values[infinite])} at {_rows(infinite, column)}"
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
            f"{describe_values(column[bad].astype(str).to_numpy())} at {_rows(bad, column)}"
        )
    infinite = ~np.isfinite(values)
    if infinite.any():
        raise DataError(
            f"expected finite numbers in target column {target!r}; found "
            f"{describe_values(values[infinite])} at {_rows(infinite, column)}"
        )
    try:
        with data_rows(*_located_rows(column)):  # the family's rows named as the file's
            return np.asarray(family.check_target(values), dtype=np.float64)
    except ValueError as exc:
        raise DataError(f"target column {target!r}: {exc}") from None
