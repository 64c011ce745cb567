"""Shared input checks and error-message helpers.

Every error probnn raises about data says what was expected, what was found,
and where (rows, columns, file). These helpers keep the wording uniform.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["describe_rows", "describe_values", "check_sample_weight"]


def describe_rows(mask: ArrayLike, limit: int = 10) -> str:
    """Describe where a boolean mask over rows is true, e.g. ``"rows [17, 40]"``.

    Parameters
    ----------
    mask : array-like of bool, shape (n_samples,) or (n_samples, k)
        True at the offending entries; a 2-D mask is reduced over its columns.
    limit : int
        How many row numbers to list before summarising the rest.
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim > 1:
        mask = mask.reshape(mask.shape[0], -1).any(axis=1)
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    word = "row" if rows.size == 1 else "rows"
    return f"{word} [{shown}]{more}"


def describe_values(values: ArrayLike, limit: int = 5) -> str:
    """List the distinct offending values, e.g. ``"2, -1"``, truncated after ``limit``."""
    values = np.unique(np.asarray(values).ravel())
    shown = ", ".join(_fmt(v) for v in values[:limit])
    more = f", ... ({values.size} distinct)" if values.size > limit else ""
    return shown + more


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(float(v))
    return str(v)


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int, dtype=np.float64):
    """Return ``sample_weight`` as a 1-D array of length ``n_samples`` (ones if None).

    Raises
    ------
    ValueError
        If the shape is wrong or a weight is negative or not finite.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    w = np.asarray(sample_weight, dtype=dtype)
    if w.ndim == 0:
        w = np.full(n_samples, w, dtype=dtype)
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},); found shape {w.shape}"
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise ValueError(
            "sample_weight must be finite and non-negative; found "
            f"{describe_values(w[bad])} at {describe_rows(bad)}"
        )
    return w
