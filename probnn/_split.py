"""The in-memory train / test split of a table (``probnn fit``, ``compare``, ``evaluate``)."""

from __future__ import annotations

from probnn.exceptions import DataError

TEST_FRACTION = 0.2
MIN_ROWS = 5


def split_rows(n: int, seed: int, test_fraction: float = TEST_FRACTION):
    """Shuffled train / test row indices (the same for every family under one seed).

    Parameters
    ----------
    n : int
        Rows of the table.
    seed : int
    test_fraction : float, default=0.2

    Returns
    -------
    train, test : ndarray of int, sorted
        Both non-empty: ``round(test_fraction * n)`` held out, at least 1 and at most n - 1.

    Raises
    ------
    DataError
        For fewer than ``MIN_ROWS`` rows.
    """
    import numpy as np  # here: the parser reads TEST_FRACTION and stays light

    if n < MIN_ROWS:
        raise DataError(f"expected at least {MIN_ROWS} data rows to hold some out for testing; found {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(n - 1, max(1, int(round(test_fraction * n))))  # both parts non-empty
    return np.sort(order[n_test:]), np.sort(order[:n_test])
