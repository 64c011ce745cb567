"""Poisson distribution on {0, 1, 2, ...}, parameterised by a rate or a log-rate."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from probnn._math import xlogy
from probnn._validation import describe_values
from .base import COUNTS, Distribution, as_param, data_dtype, exactly_one, fit_inputs, param_dtype

__all__ = ["Poisson", "poisson_log_pmf", "poisson_log_cdf_sf"]

# Above this rate the entropy uses its asymptotic series (error below 1e-12 there);
# below it an explicit sum over the pmf.
_ASYMPTOTIC_RATE = 1000.0


def _entropy_by_sum(rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """-sum_k p(k) log p(k) over k up to far beyond the mass (rate + 40 sd + 40)."""
    if rate.size == 0:
        return rate.copy()
    kmax = int(np.max(rate + 40.0 * np.sqrt(rate) + 40.0))
    k = np.arange(kmax + 1, dtype=np.float64)
    r = rate[..., None]
    logp = xlogy(k, r) - r - special.gammaln(k + 1.0)
    # Impossible counts (log p = -inf) add 0 log 0 = 0.
    safe = np.where(np.isfinite(logp), logp, 0.0)
    return -np.sum(np.exp(safe) * safe * np.isfinite(logp), axis=-1)


def _entropy_asymptotic(rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """Series 0.5 log(2 pi e l) - 1/(12 l) - 1/(24 l^2) - 19/(360 l^3) (Evans & Boersma 1988)."""
    return (0.5 * np.log(2.0 * np.pi * np.e * rate) - 1.0 / (12.0 * rate)
            - 1.0 / (24.0 * rate**2) - 19.0 / (360.0 * rate**3))


# Below this cdf (or survival) the log comes from the tail series: pdtr rounds to
# subnormals and then to 0 there.
_TAIL_BELOW = 1e-250


def poisson_log_pmf(k: NDArray[np.float64], log_rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log P(Y = k) = k z - e^z - log k!`` for finite integers ``k >= 0``, ``z = log rate``.

    ``-inf`` where ``e^z`` overflows (the mass is beyond the float range).
    """
    with np.errstate(over="ignore"):
        rate = np.exp(log_rate)
    term = np.where(k == 0, 0.0, k * np.where(k == 0, 0.0, log_rate))
    return term - rate - special.gammaln(k + 1.0)


def _log_tail_series(log_pmf_start, step, n_max: int = 20000):
    """``log_pmf_start + log sum_j t_j`` with ``t_0 = 1``, ``t_j = t_{j-1} * step(j)``.

    The ratios are below 1 where a tail is small enough to need this (the terms then
    fall geometrically); summed until they no longer change the sum in float64.
    """
    total = np.ones_like(log_pmf_start)
    term = np.ones_like(log_pmf_start)
    for j in range(1, n_max):
        term = term * step(j)
        total += term
        if not (term > 1e-17 * total).any():
            break
    return log_pmf_start + np.log(total)


def poisson_log_cdf_sf(k: ArrayLike, log_rate: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``log P(Y <= k)`` and ``log P(Y > k)`` for ``k`` in ``{-inf, 0, 1, ..., +inf}``.

    Parameters
    ----------
    k : array-like
        Integers ``>= 0`` or ``+-inf``; broadcast with ``log_rate``.
    log_rate : array-like
        ``z = log lambda``, finite.

    Returns
    -------
    log_cdf, log_sf : ndarray, float64

    Notes
    -----
    ``scipy.special.pdtr`` / ``pdtrc`` where the probability is above 1e-250; below, the
    tail's series from its largest term: ``F(k) = p(k) sum_j prod_{i<j} (k - i) / lambda``
    (far below the mean) and ``S(k) = p(k + 1) sum_j prod_{i<=j} lambda / (k + 1 + i)``
    (far above), so a bound far in either tail keeps an exact, finite log.
    """
    k, z = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(log_rate, dtype=np.float64))
    log_cdf = np.where(k == np.inf, 0.0, -np.inf)
    log_sf = np.where(k == np.inf, -np.inf, 0.0)
    fin = np.isfinite(k)
    if not fin.any():
        return log_cdf, log_sf
    kk, zz = k[fin], z[fin]
    with np.errstate(over="ignore"):
        rate = np.exp(zz)
    cdf = special.pdtr(kk, rate)
    sf = special.pdtrc(kk, rate)
    with np.errstate(divide="ignore"):
        lc, ls = np.log(cdf), np.log(sf)
    low = ~(cdf > _TAIL_BELOW)
    if low.any():
        kl, zl = kk[low], zz[low]
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            inv_rate = np.exp(-zl)
            lc[low] = _log_tail_series(poisson_log_pmf(kl, zl),
                                       lambda j: np.maximum(kl - j + 1, 0.0) * inv_rate)
    high = ~(sf > _TAIL_BELOW)
    if high.any():
        kh, zh = kk[high], zz[high]
        with np.errstate(over="ignore"):
            rate_h = np.exp(zh)
        ls[high] = _log_tail_series(poisson_log_pmf(kh + 1, zh),
                                    lambda j: rate_h / (kh + 1 + j))
    log_cdf[fin], log_sf[fin] = lc, ls
    return log_cdf, log_sf


class Poisson(Distribution):
    """Poisson distribution: ``P(Y = k) = rate**k exp(-rate) / k!``.

    Parameters
    ----------
    rate : array-like, optional
        Mean ``lambda`` >= 0.
    log_rate : array-like, optional
        ``log(lambda)``, any real (the network's raw output under a log link).
        Exactly one of rate / log_rate.

    Notes
    -----
    When built from ``log_rate``, ``log_prob`` uses ``y * log_rate - exp(log_rate)``
    so the log link never goes through ``log(exp(.))``.
    """

    def __init__(self, rate: ArrayLike | None = None, log_rate: ArrayLike | None = None):
        exactly_one(rate, log_rate, "rate", "log_rate", "Poisson")
        self.dtype = param_dtype(rate if rate is not None else log_rate)
        if rate is not None:
            r = as_param(rate, "rate", "Poisson")
            bad = ~(np.isfinite(r) & (r >= 0))
            if bad.any():
                raise ValueError(
                    f"Poisson: rate must be finite and >= 0; found {describe_values(r[bad])}"
                )
            self._rate = r
            with np.errstate(divide="ignore"):
                self._log_rate = np.log(r)
        else:
            lr = as_param(log_rate, "log_rate", "Poisson")
            if (lr == np.inf).any():
                raise ValueError("Poisson: log_rate must be < +inf; found inf")
            self._log_rate = lr
            with np.errstate(over="ignore"):
                self._rate = np.exp(lr)
        self.batch_shape = tuple(self._rate.shape)

    @property
    def rate(self) -> NDArray[np.floating]:
        """Mean ``lambda``, shape batch_shape."""
        return self._out(self._rate)

    @property
    def log_rate(self) -> NDArray[np.floating]:
        """``log(lambda)``, shape batch_shape."""
        return self._out(self._log_rate)

    def _log_prob(self, y):
        valid = (y >= 0) & (y == np.floor(y)) & np.isfinite(y)
        ys = np.where(valid, y, 0.0)
        # y * log(rate) with 0 * log(0) = 0 for a zero rate.
        term = np.where(ys == 0, 0.0, ys * np.where(ys == 0, 0.0, self._log_rate))
        out = term - self._rate - special.gammaln(ys + 1.0)
        return np.where(valid, out, -np.inf)

    def _cdf(self, y):
        k = np.floor(y)
        return np.where(y < 0, 0.0, special.pdtr(np.maximum(k, 0.0), self._rate))

    def _icdf(self, q):
        q, rate = np.broadcast_arrays(q, self._rate)
        out = stats.poisson.ppf(q, rate)
        # scipy gives -1 at q = 0; the smallest y with cdf(y) >= 0 is 0.
        return np.where(q == 0, 0.0, out)

    def _mean(self):
        return self._rate.copy()

    def _variance(self):
        return self._rate.copy()

    def _entropy(self):
        rate = self._rate
        big = rate > _ASYMPTOTIC_RATE
        out = np.zeros_like(rate)
        if (~big).any():
            out[~big] = _entropy_by_sum(rate[~big])
        if big.any():
            out[big] = _entropy_asymptotic(rate[big])
        return out

    def _sample(self, shape, rng):
        return rng.poisson(np.broadcast_to(self._rate, shape)).astype(np.float64)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Poisson":
        """Maximum likelihood: ``rate = sum(w y) / sum(w)``.

        Parameters
        ----------
        y : array-like of shape (n_samples,), non-negative integers
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Poisson with batch_shape ()
        """
        arr, w = fit_inputs(y, sample_weight, "Poisson", *COUNTS)
        rate = np.sum(w * arr) / np.sum(w)
        return cls(rate=np.asarray(rate, dtype=data_dtype(y)))
