"""Raw-space arithmetic and target checks that the likelihood heads share.

Split from :mod:`probnn.families.base` (which re-exports every name, so a family imports them
from either): the link functions' numerics computed from raw outputs directly (softplus
scales with their series where they underflow, raw arrays of the right shape and dtype,
per-row weights), and the checks that turn targets into float arrays or name the values
and rows that are not targets of a family. No import of the family classes.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._validation import check_sample_weight, describe_rows, describe_values

Array = NDArray[np.floating]

# Below this raw value the softplus scale is computed from its series
# softplus(z) = e^z - e^{2z}/2 + ...: the next term is below float64 precision.
_SCALE_SERIES_BELOW = -20.0

# Where the exact NLL exceeds the float range (a residual over an underflowed
# scale, exp of a huge log rate) the honest result is +inf: no warning for it.
# Invalid operations (NaN) still warn.
def _overflow_is_inf() -> np.errstate:
    return np.errstate(over="ignore", divide="ignore")


def weigh_rows(loss: Array, grad: Array | None, w: Array) -> tuple[Array, Array | None]:
    """``loss`` (n,) and the rows of ``grad`` (n, k) times checked weights ``w`` (n,), in place.

    A row of weight 0 contributes exactly 0, even where its own NLL is infinite (0 x inf is
    nan: a zero-weight outlier under a scale the weighted rows sharpened stopped training).
    """
    with np.errstate(invalid="ignore"):  # (0 x inf, set to 0 below)
        loss *= w
        if grad is not None:
            grad *= w[:, None]
    unweighted = w == 0
    if unweighted.any():
        loss[unweighted] = 0.0
        if grad is not None:
            grad[unweighted] = 0.0
    return loss, grad


def as_raw(raw: ArrayLike) -> Array:
    """``raw`` as a float array: float32 and float64 kept, anything else float64."""
    raw = np.asarray(raw)
    if raw.dtype.kind != "f" or raw.dtype.itemsize > 8:
        raw = raw.astype(np.float64)
    elif raw.dtype.itemsize < 4:
        raw = raw.astype(np.float32)
    return raw


def as_real_target(y: ArrayLike, family: str, what: str = "real numbers") -> np.ndarray:
    """Targets as a float array; ``ValueError`` naming non-numeric entries."""
    y = np.asarray(y)
    if y.dtype.kind == "b":
        return y.astype(np.float64)
    if y.dtype.kind in "iu":
        return y.astype(np.float64)
    if y.dtype.kind == "f":
        return y if y.dtype.itemsize in (4, 8) else y.astype(np.float64)
    try:
        return y.astype(np.float64)
    except (TypeError, ValueError):
        flat = y.ravel()
        bad = np.array([not _is_number(v) for v in flat]).reshape(y.shape)
        raise ValueError(
            f"{family} targets must be {what}; found {describe_values(y[bad].astype(str))} "
            f"at {describe_rows(bad)}"
        ) from None


def _is_number(v) -> bool:
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def as_1d_target(y: ArrayLike, family: str, what: str) -> np.ndarray:
    """One target per row: shape (n,) (a single column (n, 1) is flattened)."""
    y = as_real_target(y, family, what)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{family} targets must have shape (n_samples,); found shape {y.shape}"
        )
    return y


def check_positive_target(y: ArrayLike, family: str) -> np.ndarray:
    """Finite targets > 0 of shape (n_samples,); ``ValueError`` naming the others and their rows."""
    y = as_1d_target(y, family, "positive real numbers")
    reject(~(np.isfinite(y) & (y > 0)), y, f"{family} targets must be finite and > 0")
    return y


def check_count_target(y: ArrayLike, family: str) -> np.ndarray:
    """Non-negative integer counts of shape (n_samples,), as floats; ``ValueError`` otherwise."""
    y = as_1d_target(y, family, "non-negative integer counts")
    bad = ~np.isfinite(y) | (y < 0) | (y != np.floor(y))
    reject(bad, y, f"{family} targets must be non-negative integer counts")
    return y


def reject(bad: np.ndarray, y: np.ndarray, message: str) -> None:
    """Raise ``ValueError("<message>; found <values> at rows [...]")`` if any ``bad``."""
    if bad.any():
        raise ValueError(f"{message}; found {describe_values(y[bad])} at {describe_rows(bad)}")


def softplus_sigmoid(t: Array, need_sigmoid: bool) -> tuple[Array, Array | None]:
    """``softplus(t)`` and ``sigmoid(t)`` sharing one ``exp(-|t|)``.

    The same formulas as :mod:`probnn._math`, fused because the training loop
    wants both on every minibatch.
    """
    e = np.exp(-np.abs(t))
    sp = np.maximum(t, 0)
    sp += np.log1p(e)
    if not need_sigmoid:
        return sp, None
    inv = 1 / (1 + e)
    return sp, np.where(t >= 0, inv, e * inv)


def resolution(y: np.ndarray) -> float:
    """The targets' resolution: the smallest gap between two distinct values of ``y`` (0
    for fewer than two). A value recorded to this resolution stands for a cell that wide,
    so no density fitted to it need exceed ``1 / resolution`` (the mixture's ``min_scale``,
    ``probnn.tables.resolution``)."""
    gaps = np.diff(np.unique(y))
    return float(gaps.min()) if gaps.size else 0.0


def softplus_scale(z: Array, need_gradient: bool) -> tuple[Array, Array, Array | None]:
    """Scale ``s = softplus(z)``, ``log s``, and ``d log s / dz``, finite for all finite z.

    For ``z`` far below zero ``s`` underflows to 0 (``s ~ e^z``), so ``log s``
    and ``d log s / dz = sigmoid(z) / s`` come from the series instead:
    ``log s = z - e^z / 2 + O(e^{2z})`` and ``d log s / dz = 1 - e^z / 2 + O(e^{2z})``.

    Parameters
    ----------
    z : ndarray of shape (n_samples,)

    Returns
    -------
    scale, log_scale : ndarray of shape (n_samples,)
    dlog_scale : ndarray of shape (n_samples,) or None
    """
    e = np.exp(-np.abs(z))
    scale = np.maximum(z, 0)
    scale += np.log1p(e)
    tail = z < _SCALE_SERIES_BELOW  # there e == exp(z)
    half_e = 0.5 * e
    # log(1) in the tail keeps log() away from an underflowed 0; where() discards it.
    log_scale = np.where(tail, z - half_e, np.log(np.where(tail, 1, scale)))
    if not need_gradient:
        return scale, log_scale, None
    inv = 1 / (1 + e)
    sig = np.where(z >= 0, inv, e * inv)
    dlog = np.where(tail, 1 - half_e, sig / np.where(tail, 1, scale))
    return scale, log_scale, dlog


def safe_divide(num: Array, den: Array) -> Array:
    """``num / den`` with ``0 / 0 = 0`` (a zero residual over an underflowed scale)."""
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.result_type(num, den))
    np.divide(num, den, out=out, where=num != 0)
    return out


def weighted_mean(y: np.ndarray, sample_weight: ArrayLike | None, axis: int = 0) -> np.ndarray:
    """Mean of ``y`` over rows weighted by ``sample_weight`` (checked, positive total)."""
    w = check_sample_weight(sample_weight, y.shape[0], dtype=np.float64)
    total = w.sum()
    if not total > 0:
        raise ValueError(f"sample_weight must have a positive sum; found {total}")
    return np.tensordot(w, y, axes=(0, axis)) / total


def as_vector(raw: ArrayLike) -> Array:
    """A one-output ``raw`` of shape (n,) or (n, 1) as shape (n,)."""
    raw = as_raw(raw)
    if raw.ndim == 2 and raw.shape[1] == 1:
        return raw[:, 0]
    if raw.ndim != 1:
        raise ValueError(
            f"raw outputs must have shape (n_samples,) or (n_samples, 1); found shape {raw.shape}"
        )
    return raw


def as_columns(raw: ArrayLike, k: int, family: str) -> Array:
    """``raw`` as shape (n, k), with an error naming the expected shape."""
    raw = as_raw(raw)
    if k == 1 and raw.ndim == 1:
        return raw[:, None]
    if raw.ndim != 2 or raw.shape[1] != k:
        raise ValueError(
            f"{family} family expects raw outputs of shape (n_samples, {k}); "
            f"found shape {raw.shape}"
        )
    return raw
