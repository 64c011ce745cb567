"""Which rows train, which stop the training early, which are held out: a stateless rule.

Every row's part is a hash of its row number and the seed (:func:`row_parts`): reproducible,
independent of how the table is read (whole or in batches), and no second copy of the data.
"""

from __future__ import annotations

import numpy as np

__all__ = ["row_parts", "TRAIN", "VALIDATION", "TEST"]

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
