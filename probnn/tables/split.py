"""Which rows train, which stop the training early, which are held out: a stateless rule.

Every row's part is a hash of its row number and the seed (:func:`row_parts`): reproducible,
independent of how the table is read (whole or in batches), and no second copy of the data.
"""

from __future__ import annotations

import numpy as np

from probnn.exceptions import DataError

__all__ = ["row_parts", "sample_keys", "split_rows", "TRAIN", "VALIDATION", "TEST"]

TRAIN, VALIDATION, TEST = 0, 1, 2

# --------------------------------------------------------------- row parts
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a bijection of uint64 that scatters neighbouring inputs."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def row_parts(rows: np.ndarray, seed: int, test_fraction: float,
              validation_fraction: float) -> np.ndarray:  # fmt: skip
    """Each row's part: ``TRAIN`` (0), ``VALIDATION`` (1) or ``TEST`` (2), from a hash.

    ``u = splitmix64(row + golden * splitmix64(seed)) / 2**64`` is uniform on [0, 1):
    ``u < test_fraction`` is held out for testing; of the other rows a
    ``validation_fraction`` (``u < test_fraction + validation_fraction * (1 -
    test_fraction)``) is kept for early stopping. Stateless: a row's part depends only on
    its row number and the seed.

    Parameters
    ----------
    rows : ndarray of uint64, shape (n,)
        Row numbers in the whole table.
    seed : int
    test_fraction, validation_fraction : float in [0, 1)

    Returns
    -------
    ndarray of int8, shape (n,)
    """
    key = _mix(np.array([np.uint64(int(seed) & (2**64 - 1))]))[0]
    with np.errstate(over="ignore"):
        z = _mix(np.asarray(rows, dtype=np.uint64) + _GOLDEN * key)
    u = (z >> np.uint64(11)).astype(np.float64) * 2.0**-53
    val_edge = test_fraction + validation_fraction * (1.0 - test_fraction)
    parts = np.where(u < val_edge, VALIDATION, TRAIN).astype(np.int8)
    parts[u < test_fraction] = TEST
    return parts


def split_rows(n: int, seed: int, test_fraction: float,
               keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Training and held-out rows of a table of ``n`` rows in memory, by :func:`row_parts`.

    Row ``i`` (0-based, in the order the table is read: a folder's files by sorted path)
    is held out exactly when a streamed fit with the same seed and test fraction holds it
    out, however its batches are cut: the two paths share one rule. The rows a streamed fit
    keeps for early stopping are among the training rows here.

    Parameters
    ----------
    n : int
        Rows in the table.
    seed : int
    test_fraction : float in (0, 1)
    keys : ndarray of int, shape (n,), optional
        Each row's key for the hash in place of its row number: rows of one key go to one
        side (``tables.copies.copy_groups``, a row's copies). Default: the row numbers.

    Returns
    -------
    train, test : ndarray of int64
        Sorted row indices, disjoint, together ``0 .. n - 1``.

    Raises
    ------
    DataError
        When the hash leaves no row to train on or none to hold out (a small table).
    """
    rows = np.arange(n, dtype=np.uint64) if keys is None else np.asarray(keys, dtype=np.uint64)
    held_out = row_parts(rows, seed, test_fraction, 0.0) == TEST
    train, test = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    check_parts(train.size, test.size, f"{n:,} rows")
    return train, test


def check_parts(n_train: int, n_test: int, where) -> None:
    """DataError unless the split left rows both to train on and to hold out."""
    if n_train == 0 or n_test == 0:
        raise DataError(f"expected rows to train on and to hold out; found {n_train} training "
                        f"and {n_test} held-out rows in {where}")  # fmt: skip


# a sample's key: the row hash of row_parts with another seed, so a sample drawn by it
# (tables.stream_selection, tables.resolution) does not follow the rows that row_parts
# sends to validation (those of smallest u)
_SAMPLE_SALT = 0x53A3_9E5E_1EC7_0001


def sample_keys(rows: np.ndarray, seed: int) -> np.ndarray:
    """Each row's sampling key, ``splitmix64(row + golden * splitmix64(seed ^ salt))``.

    Distinct rows have distinct keys (both maps are bijections of uint64), so the rows of
    the smallest keys are one set, with no ties.

    Parameters
    ----------
    rows : ndarray of uint64, shape (n,)
        Row numbers in the whole table.
    seed : int

    Returns
    -------
    ndarray of uint64, shape (n,)
    """
    salted = np.uint64((int(seed) & (2**64 - 1)) ^ _SAMPLE_SALT)
    key = _mix(np.array([salted]))[0]
    with np.errstate(over="ignore"):
        return _mix(np.asarray(rows, dtype=np.uint64) + _GOLDEN * key)
