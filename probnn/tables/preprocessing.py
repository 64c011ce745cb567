"""Features: :class:`Preprocessor` (table -> float matrix) and :class:`PreprocessorScan`, which
fits the same preprocessor, bit for bit, on a table given in pieces of rows (streamed).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from probnn._say_once import SayOnce
from probnn._validation import describe_values
from probnn.exceptions import DataError, DataWarning
from probnn.tables.columns import _DATE_FORMATS, FLOAT32_MAX
from probnn.tables.extrapolation import note_far_rows
# (the scan's names re-exported: the streamed half of this module's job, imported from here)
from probnn.tables.preprocessing_scan import (MAX_STREAMED_CATEGORIES,  # noqa: F401
                                              PreprocessorScan, _ColumnScan, level_text,
                                              numeric_column)  # fmt: skip
from probnn.tables.sources import _rows

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
      reading (``0,125``, ``3,5``, ``1,234,567``, ``12,345.5``) settles it;
    * percentages, when every present value is a number followed by ``%``
      (``12.3%``, ``-0.5%``, ``1e-05%``), become the number before the sign (12.3):
      a file written without the sign reads the same numbers.

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
        Columns read as numbers: ``"thousands"``, ``"decimal"``, ``"percent"``, ``"datetime"``,
        ``"timedelta"`` (days) or ``"date:<strptime format>"``.
    mixed_ : list of str
        Columns of numbers and a few text values read as categories (at most 20 distinct
        values: :func:`~probnn.tables.preprocessing_scan.mixed_as_categories`), with a
        :class:`~probnn.exceptions.DataWarning`; their levels write each number one way
        (``"1"`` for 1, 1.0 or "1.0"; :func:`~probnn.tables.preprocessing_scan.level_text`),
        in training and in :meth:`transform`. Empty in a model file written before the rule.
    number_levels_ : list of str
        Text columns (not ``mixed_``) with a number among their values: their levels write
        each number one way too, in training and in :meth:`transform`, so a streamed chunk
        of such a column's numbers alone (read as floats, "0" as 0.0) gives the levels of the
        table in memory. Empty in a model file written before the rule (its levels kept as
        written, each value's text).
    logged_ : list of str
        Numeric columns read as ``log x`` (every training value > 0, spanning orders of
        magnitude: :mod:`probnn.tables.log_scale`), with a
        :class:`~probnn.exceptions.DataWarning`; their ``center_``, ``scale_`` and ``range_``
        are of ``log x``. A value <= 0 met later is read as the training minimum, with a
        :class:`~probnn.exceptions.DataWarning` naming its rows. Empty in a model file
        written before the rule (read as before).
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
        while scan.median_columns:  # the log rule's order statistics (one pass, usually)
            scan.begin_median_pass()
            scan.add_median(frame)
            scan.end_median_pass()
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
        # one array sum, not pandas' sum column by column (a wide table's permutation
        # importance transforms it once per shuffle: F^2 pandas calls)
        missing = frame.isna().to_numpy().sum(axis=0)
        self._check_missing_counts(
            {str(c): int(n) for c, n in zip(frame.columns, missing)}, frame.shape[0], fitting
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

    _numeric = staticmethod(numeric_column)

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
        if not isinstance(frame, pd.DataFrame):  # e.g. a loaded AutoRegressor given an array
            shown = ", ".join(repr(c) for c in self.columns_[:5])
            more = f" and {len(self.columns_) - 5} more" if len(self.columns_) > 5 else ""
            raise TypeError(
                f"a tabular model reads a pandas DataFrame with the columns it was trained on "
                f"({shown}{more}); found {type(frame).__name__}: wrap an array as "
                f"pd.DataFrame(X, columns=[...]) in that order"
            )
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
        self._check_memory(n, len(self.numeric_) + sum(widths) + len(indicators))
        columns = np.empty((len(self.numeric_) + sum(widths) + len(indicators), n))
        self._standardise_numbers(frame, columns[: len(self.numeric_)])
        note_far_rows(self, columns[: len(self.numeric_)], frame)
        at = len(self.numeric_)
        # numbers and text, or text with a number among its levels: each number in one
        # spelling (absent: a preprocessor of an older probnn, its levels as it wrote them)
        spelt = set(getattr(self, "mixed_", ())) | set(getattr(self, "number_levels_", ()))
        for (name, cats), width in zip(self.categories_.items(), widths):
            column = frame[name]
            if name in spelt:
                column = level_text(column)
            if self.impute and name in self.fill_:  # (a float chunk's too: as objects)
                column = column.astype(object).fillna(self.fill_[name])
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

    def _check_memory(self, n_rows: int, n_columns: int) -> None:
        """DataError, before anything is allocated, where the encoded features (float64) and
        the fit's copy of them exceed the memory there is (``probnn.network.mlp``'s budget):
        a categorical column of tens of thousands of categories one-hot encoded, which would
        otherwise end in a MemoryError or the kernel killing the process."""
        from probnn.network.mlp import memory_budget

        need = 2 * 8 * n_rows * n_columns
        budget = memory_budget()
        if budget is None or need <= budget:
            return
        widest, categories = max(self.categories_.items(), key=lambda item: len(item[1]),
                                 default=(None, ()))  # fmt: skip
        gib = 2.0**30
        cause = (f"; column {widest!r} alone has {len(categories):,} categories: drop it "
                 f"(--drop {widest}) or group its rare categories" if widest is not None
                 and len(categories) >= n_columns // 2 else "")  # fmt: skip
        raise DataError(
            f"the encoded features of {n_rows:,} rows x {n_columns:,} columns need about "
            f"{need / gib:,.1f} GiB (with the fit's copy); this machine has "
            f"{budget / gib:,.1f} GiB{cause}"
        )

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
        logged = set(getattr(self, "logged_", ()))  # absent: a preprocessor of an older probnn
        todo = list(range(len(self.numeric_)))
        dtypes = dict(zip(frame.columns, frame.dtypes))  # not one frame[name] a column
        plain = [i for i in todo if self.numeric_[i] not in parsers
                 and self.numeric_[i] not in logged  # (log x: column by column, below)
                 and (pd.api.types.is_numeric_dtype(dtypes[self.numeric_[i]])
                      or pd.api.types.is_bool_dtype(dtypes[self.numeric_[i]]))]  # fmt: skip
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
            if name in logged:
                values = self._log_values(name, values, frame, i)
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

    def _log_values(self, name: str, values: np.ndarray, frame: pd.DataFrame,
                    i: int) -> np.ndarray:  # fmt: skip
        """``log`` of a logged column's values, shape (n_rows,); a value <= 0 (never met in
        training) is read as the training minimum, with a warning naming its rows."""
        low = math.exp(self.range_[i][0])
        bad = values <= 0  # (NaN compares False)
        if bad.any():
            self._warn_once(
                f"column {name!r}, read as log(x) (every training value > 0), holds "
                f"{describe_values(values[bad])} at {_rows(bad, frame)}: read as the training "
                f"minimum {low:.6g}")  # fmt: skip
            values = np.where(bad, low, values)
        return np.log(values)

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
            # columns read as numbers: "thousands", "decimal", "percent" (an optional kind: older
            # files hold none), "datetime", "timedelta", "date:<f>"
            "parsers": [[str(k), str(v)] for k, v in getattr(self, "parsers_", {}).items()],
        }
        ranges = getattr(self, "range_", None)
        if ranges is not None:  # the training rows' (low, high) of each numeric column
            meta["range"] = [[float(low), float(high)] for low, high in ranges]
        dropped = getattr(self, "dropped_", [])
        if dropped:  # written only when there are some: other models' files are unchanged
            meta["dropped"] = [str(c) for c in dropped]
        mixed = [str(c) for c in getattr(self, "mixed_", [])]
        if mixed:  # absent (none) otherwise: other tables' model files are unchanged
            meta["mixed"] = mixed  # categorical columns of numbers and text (level_text)
        spelt = [str(c) for c in getattr(self, "number_levels_", [])]
        if spelt:  # absent (none) otherwise: a table without numbers in its text writes as before
            meta["number_levels"] = spelt  # text columns whose numbers are spelt one way
        logged = [str(c) for c in getattr(self, "logged_", [])]
        if logged:  # absent (none) otherwise: a table the log rule leaves writes as before
            meta["log"] = logged  # numeric columns read as log x (center, scale, range of log x)
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
            if (kind not in ("thousands", "decimal", "percent", "datetime", "timedelta")
                    and kind.removeprefix("date:") not in _DATE_FORMATS):  # fmt: skip
                raise DataError(f"expected a column parser 'thousands', 'decimal', 'percent', "
                                f"'datetime', 'timedelta' or 'date:<format>' for column {name!r} "
                                f"in the model file; found {kind!r}")  # fmt: skip
        self.mixed_ = [str(c) for c in meta.get("mixed", [])]  # absent: none (older files too)
        if set(self.mixed_) - set(by_name) or len(set(self.mixed_)) != len(self.mixed_):
            raise DataError("expected the columns of numbers and text read as categories in "
                            "the model file to be distinct categorical columns")  # fmt: skip
        # absent: none (older files: their levels as written, "0.0" of a float chunk too)
        self.number_levels_ = [str(c) for c in meta.get("number_levels", [])]
        if set(self.number_levels_) - set(by_name) or set(self.number_levels_) & set(self.mixed_) \
                or len(set(self.number_levels_)) != len(self.number_levels_):  # fmt: skip
            raise DataError("expected the text columns whose numbers are spelt one way in the "
                            "model file to be distinct categorical columns")  # fmt: skip
        self.logged_ = [str(c) for c in meta.get("log", [])]  # absent: none (older files too)
        if set(self.logged_) - set(self.numeric_) or len(set(self.logged_)) != len(self.logged_):
            raise DataError("expected the columns read as log(x) in the model file to be "
                            "distinct numeric columns")  # fmt: skip
        ranges = meta.get("range")  # absent from files written before it was recorded
        self.range_ = None if ranges is None else [(float(lo), float(hi)) for lo, hi in ranges]
        if self.logged_ and self.range_ is None:  # (a value <= 0 is read as the range's low)
            raise DataError("expected the training range of the columns read as log(x) in the "
                            "model file")  # fmt: skip
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
