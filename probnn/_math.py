"""Numerically stable primitives in raw (logit / log) space.

Every function here accepts any real input, including +-1e4, and returns a finite
result wherever the mathematical result is finite: no ``log(0)``, no overflow in
``exp``, and no clipping of probabilities. Float32 input gives float32 output.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

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
    "student_t_log_norm",
    "student_t_digamma_gap",
    "gamma_entropy_part",
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



# x = df / 2 >= 25: the series below; their first omitted terms are below 1e-17 of the sum
_STUDENT_SERIES_FROM = 25.0
# log G(x + 1/2) - log G(x) - log(x)/2 = sum c_k x^(1-2k), c_k = (2^(1-2k) - 2) B_2k / (2k (2k-1))
_LOG_NORM_SERIES = (-1 / 8, 1 / 192, -1 / 640, 17 / 14336, -31 / 18432)
# its derivative: psi(x + 1/2) - psi(x) - 1/(2x) = sum d_k x^-2k, d_k = (2 - 2^(1-2k)) B_2k / (2k)
_GAP_SERIES = (1 / 8, -1 / 64, 1 / 128, -17 / 2048, 31 / 2048)
_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def _even_series(coefs: tuple, x: NDArray[np.floating], power: int) -> NDArray[np.floating]:
    """``sum_k coefs[k] x^-(power + 2k)`` by Horner's rule in ``1 / x^2``."""
    with np.errstate(over="ignore"):  # x^2 past float max (df ~1e300): 1 / inf = 0, right
        inv2 = 1.0 / (x * x)
    out = np.zeros_like(x)
    for c in reversed(coefs):
        out = out * inv2 + c
    return out / x**power


def _by_size(df: ArrayLike, series, direct) -> NDArray[np.floating]:
    """``series(x)`` where ``x = df / 2 >= 25``, ``direct(x)`` below, each on its own entries
    only; once for a batch of one df repeated (a family's rows, the usual case)."""
    df = _as_float(df)
    x = np.asarray(0.5 * df)
    if x.size > 1 and np.all(x == x.flat[0]):
        return np.full(x.shape, _by_size(df.flat[0], series, direct), dtype=df.dtype)
    big = x >= _STUDENT_SERIES_FROM
    if big.all():
        return np.asarray(series(x)).astype(df.dtype, copy=False)
    if not big.any():
        return np.asarray(direct(x)).astype(df.dtype, copy=False)
    out = np.empty_like(x)
    out[big] = series(x[big])
    out[~big] = direct(x[~big])
    return out


def student_t_log_norm(df: ArrayLike) -> NDArray[np.floating]:
    """Log of Student's t normaliser ``G((df + 1) / 2) / (G(df / 2) sqrt(df pi))``.

    The difference ``gammaln((df+1)/2) - gammaln(df/2)`` cancels for large ``df`` (3 nats
    off at 1e15). Below ``df = 50`` this is ``-betaln(1/2, df/2) - log(df)/2``
    (``B(1/2, df/2) = sqrt(pi) G(df/2) / G((df+1)/2)``); from 50 on, Stirling's series of
    ``log G(x + 1/2) - log G(x)`` at ``x = df / 2`` gives ``-log(2 pi)/2 - 1/(8x) +
    1/(192x^3) - 1/(640x^5) + 17/(14336x^7) - 31/(18432x^9)``, free of cancellation (scipy's
    ``betaln`` is itself 1e-9 off for ``df`` near 1e6). Every Student-t density, loss and
    CRPS in probnn takes its normaliser from here; ``-log(2 pi)/2`` (Normal's) as df -> inf.
    """
    return _by_size(df, lambda x: _even_series(_LOG_NORM_SERIES, x, 1) - _HALF_LOG_2PI,
                    lambda x: -special.betaln(0.5, x) - 0.5 * np.log(2 * x))


def student_t_digamma_gap(df: ArrayLike) -> NDArray[np.floating]:
    """``psi((df + 1) / 2) - psi(df / 2)`` (``psi`` = digamma), accurate for every ``df > 0``.

    The direct difference of two digammas (each ``~ log(df / 2)``) cancels for large
    ``df`` (the gap is ``~ 1 / df``); from ``df = 50`` on, the derivative of the series in
    :func:`student_t_log_norm`, ``1/(2x) + 1/(8x^2) - 1/(64x^4) + 1/(128x^6) -
    17/(2048x^8) + 31/(2048x^10)`` at ``x = df / 2``, is used instead. Used by the
    Student-t entropy.
    """
    return _by_size(df, lambda x: _even_series(_GAP_SERIES, x, 2) + 0.5 / x,
                    lambda x: special.digamma(x + 0.5) - special.digamma(x))


# log G(x) - (x - 1) psi(x) + x - log(2 pi e x) / 2 = sum e_k x^-k: Stirling's series of
# log G(x) (Bernoulli numbers) and of psi(x) combined; from x = 25 the x^-9 term left out
# is below 1e-15 of the sum (mpmath at 60 digits).
_GAMMA_ENTROPY_SERIES = (-1 / 3, -1 / 12, -1 / 90, 1 / 120, 1 / 210, -1 / 252, -1 / 210, 1 / 240)
_GAMMA_ENTROPY_SERIES_FROM = 25.0


def gamma_entropy_part(x: ArrayLike) -> NDArray[np.floating]:
    """``log G(x) - (x - 1) psi(x) + x`` for ``x > 0``: the Gamma(x, 1) entropy, and the
    shape-dependent part of the Beta entropy (``U(a) + U(b) - U(a + b) - psi(a + b)``).

    The three terms are each about ``x log x`` and leave ``log(2 pi e x) / 2``: summed
    directly they cancel (1e-5 nats off at ``x = 1e10``, all digits from 1e16). From
    ``x = 25`` on the sum is ``log(2 pi e x) / 2 - 1/(3x) - 1/(12x^2) - 1/(90x^3) +
    1/(120x^4) + 1/(210x^5) - 1/(252x^6) - 1/(210x^7) + 1/(240x^8)``.
    """
    x = _as_float(x)
    big = x >= _GAMMA_ENTROPY_SERIES_FROM
    xb = np.where(big, x, _GAMMA_ENTROPY_SERIES_FROM)
    inv = 1.0 / xb
    series = np.zeros_like(xb)
    for coef in reversed(_GAMMA_ENTROPY_SERIES):
        series = series * inv + coef
    series = 0.5 * np.log(2 * np.pi * np.e * xb) + series * inv
    xs = np.where(big, 1.0, x)
    direct = special.gammaln(xs) - (xs - 1) * special.digamma(xs) + xs
    return np.where(big, series, direct)
