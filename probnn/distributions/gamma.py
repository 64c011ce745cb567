"""Gamma distribution on (0, inf) by its concentration (shape) k and rate beta.

    p(y) = beta^k y^(k - 1) exp(-beta y) / G(k),   mean k / beta,   Var k / beta^2

The same law as ``scipy.stats.gamma(a=k, scale=1/beta)`` and
``torch.distributions.Gamma(concentration=k, rate=beta)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from probnn._math import gamma_entropy_part
from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype
from .poisson import _log1pmx_over_sq

__all__ = ["Gamma"]

# From this shape on, log G(k) - k log k + k and psi(k) - log k come from Stirling's series
# (truncation error below 1e-13 at k = 10), where the direct forms cancel.
_SERIES_FROM_SHAPE = 10.0
_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)
# log G(k) = (k - 1/2) log k - k + log(2 pi) / 2 + sum_j LG[j] k^-(2j+1)
_LGAMMA_SERIES = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)
# psi(k) = log k - 1 / (2k) + sum_j PSI[j] k^-(2j+2)
_PSI_SERIES = (-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132)


def shape_terms(k, log_k, need_derivative: bool):
    """``c(k) = log G(k) - k log k + k`` and ``k c'(k) = k (psi(k) - log k)``, stably.

    For ``k >= 10`` from Stirling's series (``c = log(2 pi) / 2 - log(k) / 2 + ...``,
    ``k c' = -1/2 + ...``); below from ``gammaln(1 + k) - (1 + k) log k + k`` and
    ``k psi(1 + k) - 1 - k log k``, which stay finite as ``k -> 0`` given ``log k``
    (``k`` itself may have underflowed to 0).
    """
    big = k >= _SERIES_FROM_SHAPE
    kb = np.where(big, k, 1.0)
    inv, inv_sq = 1 / kb, 1 / (kb * kb)
    series_c = _HALF_LOG_2PI - 0.5 * log_k
    series_d = np.full_like(kb, -0.5)
    power = inv.copy()
    for lg, ps in zip(_LGAMMA_SERIES, _PSI_SERIES):
        series_c = series_c + lg * power
        series_d = series_d + ps * power
        power = power * inv_sq
    ks = np.where(big, 0.0, k)
    c = np.where(big, series_c, special.gammaln(1 + ks) - (1 + ks) * log_k + ks)
    if not need_derivative:
        return c, None
    d = np.where(big, series_d, ks * special.digamma(1 + ks) - 1 - ks * log_k)
    return c, d


class Gamma(Distribution):
    """Gamma distribution with ``concentration`` k > 0 and ``rate`` beta > 0.

    Parameters
    ----------
    concentration : array-like
        Shape ``k > 0``.
    rate : array-like
        Inverse scale ``beta > 0``. Broadcast with ``concentration`` to the batch shape.

    Notes
    -----
    ``cdf(y) = P(k, beta y)`` (regularised lower incomplete gamma, ``scipy.special.gammainc``),
    ``icdf(q) = gammaincinv(k, q) / beta``; entropy
    ``k - log beta + log G(k) + (1 - k) psi(k)``.
    """

    support = "positive"

    def __init__(self, concentration: ArrayLike, rate: ArrayLike):
        self.dtype = param_dtype(concentration, rate)
        k = as_param(concentration, "concentration", "Gamma")
        beta = as_param(rate, "rate", "Gamma")
        check_positive(k, "concentration", "Gamma")
        check_positive(beta, "rate", "Gamma")
        self._k, self._beta = np.broadcast_arrays(k, beta)
        self.batch_shape = tuple(self._k.shape)

    @property
    def concentration(self) -> NDArray[np.floating]:
        """Shape ``k``, shape batch_shape."""
        return self._out(self._k)

    @property
    def rate(self) -> NDArray[np.floating]:
        """Rate ``beta``, shape batch_shape."""
        return self._out(self._beta)

    def _log_prob(self, y):
        # -c(k) - k (u - 1 - log u) - log y, u = beta y / k: the textbook k log beta + (k - 1)
        # log y - beta y - lgamma(k) cancels four terms of size k log k (all digits at k = 1e18)
        k, beta = self._k, self._beta
        inside = (y > 0) & np.isfinite(y)
        ys = np.where(inside, y, 1.0)
        log_k = np.log(k)
        c, _ = shape_terms(k, log_k, False)
        w = ys * (beta / k) - 1.0
        # log u = log1p(w) where 1 + w keeps its digits (w >= -1/2, finite); below, from logs
        # without forming u (it may underflow): log y + log beta - log k cancels terms of
        # size |log beta| (k = 1e3, mean 1e-5: 1.6e-12 off mpmath, 244 ulps of log p)
        kept = np.isfinite(w) & (w >= -0.5)
        log_u = np.where(kept, np.log1p(np.where(kept, w, 0.0)), np.log(ys) + np.log(beta) - log_k)
        out = -c - k * _minus_log1p(w, log_u) - np.log(ys)
        return np.where(inside, out, -np.inf)

    def _cdf(self, y):
        z = self._beta * np.maximum(y, 0.0)
        p = special.gammainc(self._k, z)
        # gammainc gives 0 for a subnormal P (a mixture's quantile at q = 6e-321 bisected on
        # it: 7.5e-307 for 1.0e-318), and a subnormal z keeps few digits: for z < 2^-26,
        # P = z^k / G(k + 1) (1 - k z / (k + 1)) to a relative z^2, in logs (log z from log y)
        normal_min = np.finfo(np.float64).tiny
        tiny = ((p < normal_min) | (z < normal_min)) & (y > 0) & (z < 2.0**-26)
        if np.any(tiny):
            k = self._k
            zs = np.where(tiny, z, 0.0)
            with np.errstate(divide="ignore"):
                log_z = np.log(self._beta) + np.log(np.where(tiny, y, 1.0))
            log_p = k * log_z - special.gammaln(k + 1.0) + np.log1p(-zs * k / (k + 1.0))
            p = np.where(tiny, np.exp(log_p), p)
        return np.where(y > 0, p, 0.0)

    def _icdf(self, q):
        g = special.gammaincinv(self._k, q)
        x = g / self._beta
        # a subnormal (or underflowed) g has few digits, which the rate then divides (q = 2.4e-120,
        # k = 0.38, scale e^2.78: 7 steps of the float grid off); there P(k, g) = g^k / G(k + 1)
        # to a relative g, so log g = (log q + lgamma(k + 1)) / k and one rounding, of exp
        tiny = (g < np.finfo(np.float64).tiny) & (q > 0)
        if np.any(tiny):
            with np.errstate(divide="ignore"):
                log_g = (np.log(q) + special.gammaln(self._k + 1.0)) / self._k
            x = np.where(tiny, np.exp(log_g - np.log(self._beta)), x)
        return x

    def _mean(self):
        return self._k / self._beta

    def _variance(self):
        return self._k / self._beta**2

    def _entropy(self):
        # (k + log G(k) + (1 - k) psi(k) cancels to log(2 pi e k) / 2 for large k)
        return gamma_entropy_part(self._k) - np.log(self._beta)

    def _sample(self, shape, rng):
        return rng.gamma(np.broadcast_to(self._k, shape), 1 / np.broadcast_to(self._beta, shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Gamma":
        """Maximum likelihood: ``log k - psi(k) = log(mean y) - mean(log y)``, ``beta = k / mean``.

        The shape equation (weighted means) has one root, found by Brent's method in
        ``log k``; the rate then follows in closed form.

        Parameters
        ----------
        y : array-like of shape (n_samples,), positive reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Gamma with batch_shape ()

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE shape is infinite.
        """
        arr, w = fit_inputs(y, sample_weight, "Gamma", lambda a: ~(a > 0), "positive observations")
        mean, k = fit_mean_shape(arr, w)
        if not np.isfinite(k):
            raise ValueError(
                "Gamma.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {mean:g} (the MLE shape would be infinite)"
            )
        dt = data_dtype(y)
        return cls(concentration=np.asarray(k, dtype=dt), rate=np.asarray(k / mean, dtype=dt))


def _log_ratio_gap(y: NDArray[np.float64], mean: float) -> NDArray[np.float64]:
    """``d - log(1 + d)`` with ``d = (y - mean) / mean``, elementwise, without cancelling.

    ``log(mean) - mean(log y)`` is the weighted sum of these (the weighted ``d`` sum to 0),
    but formed as that difference two numbers near ``log(mean)`` cancel: at a coefficient of
    variation of 1e-8 (``y = 1e9 +- 10``) nothing is left and the shape came out infinite.
    ``y - mean`` is exact for ``y`` near ``mean``; a series serves ``|d| < 0.1`` and
    ``log y - log mean`` replaces ``log1p(d)`` below ``d = -1/2`` (``1 + d`` may round to 0).
    """
    d = (y - mean) / mean
    return _minus_log1p(d, np.where(d < -0.5, np.log(y) - np.log(mean),
                                    np.log1p(np.maximum(d, -0.5))))  # fmt: skip


def _minus_log1p(x: NDArray[np.float64], log1p_x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x - log(1 + x)`` (``x > -1``) without cancelling: a series where ``|x| < 0.1``,
    elsewhere ``x - log1p_x``, the caller's ``log(1 + x)`` (formed from logs where ``1 + x``
    itself would round or underflow)."""
    small = np.abs(x) < 0.1
    return np.where(small, -x * x * _log1pmx_over_sq(np.where(small, x, 0.0)), x - log1p_x)


def fit_mean_shape(y: NDArray[np.float64], w: NDArray[np.float64]) -> tuple[float, float]:
    """The Gamma MLE ``(mean, shape)`` of positive ``y`` with weights ``w`` (positive sum).

    The mean is the weighted mean; the shape solves ``log k - psi(k) = s`` with
    ``s = log(mean) - mean(log y) >= 0`` (Jensen); ``s = 0`` (all equal) gives ``k = inf``.
    """
    w = w / w.sum()
    mean = float(np.sum(w * y))
    s = float(np.sum(w * _log_ratio_gap(y, mean)))
    if not s > 0:
        return mean, np.inf
    # log k - psi(k) falls from +inf to 0; Minka's approximation as the starting point
    k0 = (3 - s + np.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s)

    def gap(log_k: float) -> float:  # log k - psi(k) - s = -(k c'(k)) / k - s
        k = np.exp(log_k)
        _, kc = shape_terms(np.array([k]), np.array([log_k]), True)
        return float(-kc[0] / k - s)

    lo, hi = np.log(k0) - 1.0, np.log(k0) + 1.0
    for _ in range(60):
        if gap(lo) > 0:
            break
        lo -= 2.0
    for _ in range(60):
        if gap(hi) < 0:
            break
        hi += 2.0
    log_k = optimize.brentq(gap, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    return mean, float(np.exp(log_k))
