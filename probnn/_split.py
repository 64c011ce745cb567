"""The command line's train / test split of a table in memory (``probnn fit``, ``compare``,
``evaluate``): the row hash of :mod:`probnn.tables.split`, the rule a streamed fit uses.

This module stays light (no numpy at import): the parser reads ``TEST_FRACTION``.
"""

from __future__ import annotations

from probnn.exceptions import DataError

TEST_FRACTION = 0.2
MIN_ROWS = 5


def split_rows(n: int, seed: int, test_fraction: float = TEST_FRACTION, keys=None):
    """Training and held-out row indices by the row hash (:func:`probnn.tables.split.split_rows`).

    Row ``i`` is held out exactly when a streamed fit with the same seed and test fraction
    holds it out (the same for every family under one seed).

    Parameters
    ----------
    n : int
        Rows of the table.
    seed : int
    test_fraction : float, default=0.2
    keys : ndarray of int, shape (n,), optional
        Rows of one key go to one side (``tables.copies.copy_groups``: a row's copies kept
        with it); default: each row its own.

    Returns
    -------
    train, test : ndarray of int, sorted

    Raises
    ------
    DataError
        For fewer than ``MIN_ROWS`` rows, or when the hash leaves no row on one side.
    """
    if n < MIN_ROWS:
        raise DataError(f"expected at least {MIN_ROWS} data rows to hold some out for testing; found {n}")
    from probnn.tables.split import split_rows as hash_split  # here: numpy only when splitting

    return hash_split(n, seed, test_fraction, keys)
