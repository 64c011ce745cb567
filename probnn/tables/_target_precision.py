"""What training can represent of a target: :func:`check_trainable_target` (values float64
cannot square-sum, a spread below float64's resolution, values the network's float32
rounds out of the family's support) and ``_rejected`` (the positions a family's target
check refuses, by halving).

Split from :mod:`probnn.tables.targets`, which re-exports both.
"""

from __future__ import annotations

import decimal
import math
import numbers

import numpy as np
import pandas as pd

from probnn._validation import describe_values
from probnn.exceptions import DataError, PrecisionError
from probnn.tables.sources import _rows

__all__ = ["check_trainable_target", "check_distinct_in_float64"]


def check_trainable_target(y: np.ndarray, where, target: str, family,
                           dtype=np.float32, standardised: bool | None = None,
                           n_rows: int | None = None) -> None:  # fmt: skip
    """DataError, before training, for target values training cannot represent.

    Three limits (the first and last naming the data rows):

    * the target's mean and standard deviation are summed in float64: every ``|y|`` must
      stay below ``sqrt(float64 max / n) / 2``, so that ``n`` squared deviations sum to
      a finite number (about 6.7e152 for 1,000 rows; a large offset is fine);
    * a target that varies must vary by a standard deviation of at least float64's smallest
      normal number (``check_resolvable_spread``: subnormal targets cannot be resolved);
    * a family trained on y itself (not standardised: not location-scale) sees y in the
      network's ``dtype``: every value must stay finite and inside the family's support
      there (a Beta target of 1e-300 is 0 in float32, a count of 1e40 is inf): else a
      :class:`~probnn.exceptions.PrecisionError` (float64 would hold them).

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
    from probnn.estimators._target import check_resolvable_spread

    check_resolvable_spread(y, target=f"target {target!r}")  # (subnormal: float64 neither)
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
    problem = (f"expected target {target!r} values that stay in the support of {family.name} "
               f"in {np.dtype(dtype).name}, the network's precision; found {shown} at "
               f"{_rows(bad, where)}")  # fmt: skip
    raise PrecisionError(
        f"{problem}: such values are out of the support to the network: replace them, rescale "
        "the target, or fit in float64 (the estimators' dtype='float64')", problem=problem)


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


def _as_plain_numbers(column, entries: np.ndarray) -> list:
    """``entries`` of a text target read with thousands separators, decimal commas or
    percent signs (:func:`~probnn.tables.columns._comma_reading`) as plain number text
    ("4,611,686,018,427,387,904" -> "4611686018427387904"), exactly; others as they are."""
    from probnn.tables.columns import _comma_reading, _plain_number_text

    kind = _comma_reading(column)
    if kind is None:
        return list(entries)
    return [_plain_number_text(str(v).strip(), kind) for v in entries]


# beyond 2**53 float64 holds only some whole numbers (every 2nd, 4th, ...: 16,384 apart at 1e20)
_EXACT_WHOLE_END = 2.0**53


def check_distinct_in_float64(column, values: np.ndarray, target: str) -> None:
    """DataError where values the table tells apart are one number in float64.

    A target written as whole numbers beyond ``2**53`` (int64 or text: ids, amounts in
    cents about 1e18) is read into float64, whose numbers there are whole but sparse:
    ``2**62 + 422`` and ``2**62 + 351`` are both ``2**62`` (floats 1,024 apart there). A
    model of what remains claims a precision the data do not have (intervals of width 0
    that the written values fall outside). Only the exact values can tell (a float column
    has lost them already).

    Parameters
    ----------
    column : pandas Series
        The target as read (its entries exact where integer or text).
    values : ndarray of shape (n_rows,), float64
        ``column`` as float64 (missing values NaN).
    """
    large = np.isfinite(values) & (np.abs(values) >= _EXACT_WHOLE_END)
    if not large.any() or pd.api.types.is_float_dtype(column) or pd.api.types.is_bool_dtype(column):
        return
    entries = column.to_numpy(dtype=object)[large]
    written = _as_plain_numbers(column, entries)
    try:  # exact: Python ints of an integer column, Decimals of text
        exact = {v if isinstance(v, numbers.Integral) else decimal.Decimal(str(v).strip())
                 for v in written}  # fmt: skip
    except (decimal.InvalidOperation, ValueError):
        return  # (text not written as a plain number: read otherwise, e.g. with separators)
    as_floats = np.unique(values[large])
    if len(exact) > as_floats.size:
        spacing = float(np.spacing(np.abs(as_floats).min()))
        raise DataError(
            f"expected target {target!r} values that float64 tells apart; found {len(exact):,} "
            f"different values of size 2**53 or more (e.g. {describe_values(entries[:3])}) that "
            f"are {as_floats.size:,} number(s) in float64, {spacing:g} apart there: subtract an "
            "offset from the column (e.g. its smallest value) before fitting"
        )
