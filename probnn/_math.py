"""Numerically stable primitives in raw (logit / log) space.

Every function here accepts any real input, including +-1e4, and returns a finite
result wherever the mathematical result is finite: no ``log(0)``, no overflow in
``exp``, and no clipping of probabilities. Float32 input gives float32 output.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "softplus",
    "softplus_inverse",
    "sigmoid",
    "log_sigmoid",
    "logsumexp",
    "log_softmax",
    "softmax",
    "xlogy",
    "log1mexp",
]


def _as_float(x: ArrayLike) -> NDArray[np.floating]:
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return x


def softplus(z: ArrayLike) -> NDArray[np.floating]:
    """``log(1 + exp(z))`` without overflow.

    Uses ``max(z, 0) + log1p(exp(-|z|))``: the exponent is never positive, so it
    cannot overflow, and ``log1p`` keeps precision when ``exp(-|z|)`` is tiny.
    """
    z = _as_float(z)
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus_inverse(s: ArrayLike) -> NDArray[np.floating]:
    """The raw value ``z`` with ``softplus(z) == s`` for ``s > 0``.

    ``z = s + log(-expm1(-s))``; for large ``s`` the correction vanishes.
    """
    s = _as_float(s)
    return s + np.log(-np.expm1(-s))


def sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """Logistic function ``1 / (1 + exp(-z))`` computed without overflow."""
    z = _as_float(z)
    # exp of a non-positive number only: e = exp(-|z|) lies in (0, 1].
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def log_sigmoid(z: ArrayLike) -> NDArray[np.floating]:
    """``log(sigmoid(z)) = -softplus(-z)``, finite for every finite ``z``."""
    return -softplus(-_as_float(z))


def logsumexp(z: ArrayLike, axis: int = -1, keepdims: bool = False) -> NDArray[np.floating]:
    """``log(sum(exp(z), axis))`` after subtracting the maximum along ``axis``."""
    z = _as_float(z)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    """``z - logsumexp(z)`` along ``axis``: log-probabilities from logits."""
    z = _as_float(z)
    # Shift first: the largest entry becomes exactly 0, so its log-probability
    # keeps full relative precision instead of cancelling m - (m + log s).
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    """Probabilities from logits; the row maximum is subtracted before ``exp``."""
    z = _as_float(z)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def xlogy(x: ArrayLike, y: ArrayLike) -> NDArray[np.floating]:
    """``x * log(y)`` with the convention ``0 * log(0) = 0``."""
    x = _as_float(x)
    y = _as_float(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(np.where(x == 0, 1, y))
    return np.where(x == 0, np.zeros((), dtype=out.dtype), out)


def log1mexp(x: ArrayLike) -> NDArray[np.floating]:
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends (Maechler, 2012).

    ``log(-expm1(x))`` above ``-log 2`` (where ``1 - e^x`` is small) and
    ``log1p(-exp(x))`` below; ``-inf`` at ``x = 0``, ``0`` at ``x = -inf``. The log
    of a difference of two probabilities given as logs: ``log(p - q) = log p +
    log1mexp(log q - log p)``.
    """
    x = _as_float(x)
    half = x.dtype.type(-np.log(2.0))
    with np.errstate(divide="ignore"):
        near = np.log(-np.expm1(np.maximum(x, half)))
        far = np.log1p(-np.exp(np.minimum(x, half)))
    return np.where(x > half, near, far)

