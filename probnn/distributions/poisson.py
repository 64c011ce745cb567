"""Poisson distribution on {0, 1, 2, ...}, parameterised by a rate or a log-rate."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from probnn._math import xlogy
from probnn._validation import describe_values
from .base import COUNTS, Distribution, count_quantile, as_param, data_dtype, exactly_one, fit_inputs, param_dtype

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
    inv = 1.0 / rate  # (rate**2 overflows past 1e154 with a bare warning; its inverse is 0)
    return (0.5 * np.log(2.0 * np.pi * np.e * rate)
            - inv * (1.0 / 12.0 + inv * (1.0 / 24.0 + inv * (19.0 / 360.0))))


# From this count (and rate) on, the cdf is Temme's uniform asymptotic expansion: scipy's
# pdtr there is off by up to 70% of an upper tail probability (measured at rate 1e9, 5-7 sd
# above the mean: 1.0e-12 for 2.78e-12), which moves a quantile by thousands.
_TEMME_FROM = 1e5
# Temme's c_0(eta), c_1(eta) as series in eta where the closed forms cancel (DLMF 8.12.9-10;
# the coefficients of cephes' igam.c)
_C0_SERIES = (-1 / 3, 1 / 12, -2 / 135, 1 / 864, 1 / 2835, -139 / 777600, 1 / 25515)
_C1_SERIES = (-1 / 540, -1 / 288, 1 / 378, -77 / 77760)


def _log1pmx_neg(sigma: NDArray[np.float64]) -> NDArray[np.float64]:
    """``sigma - log(1 + sigma)`` (>= 0) for ``sigma > -1``, without cancellation near 0."""
    small = np.abs(sigma) < 0.1
    ss = np.where(small, sigma, 0.0)
    series = np.zeros_like(ss)
    for k in range(40, 1, -1):  # sum_{k>=2} (-1)^k sigma^k / k
        series = ss * ((-1) ** k / k + series)
    series = ss * series
    sb = np.where(small, 1.0, sigma)
    return np.where(small, series, sb - np.log1p(sb))


def _poisson_cdf_temme(k: NDArray[np.float64], rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """``P(Y <= k) = Q(k + 1, rate)`` by Temme's expansion, for ``k + 1`` and ``rate`` large."""
    return _poisson_cdf_sf_temme(k, rate)[0]


def _poisson_cdf_sf_temme(k: NDArray[np.float64], rate: NDArray[np.float64]):
    """``(P(Y <= k), P(Y > k)) = (Q(k + 1, rate), P(k + 1, rate))`` by Temme's expansion.

    ``Q(a, x) = erfc(eta sqrt(a / 2)) / 2 + R`` and ``P(a, x) = erfc(-eta sqrt(a / 2)) / 2 - R``
    with ``R = exp(-a eta^2 / 2) / sqrt(2 pi a) (c_0 + c_1 / a)``, ``lambda = x / a``,
    ``eta = sign(lambda - 1) sqrt(2 (lambda - 1 - log lambda))`` (DLMF 8.12.3-4); the next
    term is below ``1e-15`` of the first for ``a >= 1e5``. Each tail comes from its own
    form, so a small one keeps its relative accuracy (no ``1 - Q``).
    """
    a = k + 1.0
    sigma = (rate - a) / a  # lambda - 1
    eta = np.sign(sigma) * np.sqrt(2.0 * _log1pmx_neg(sigma))
    near = np.abs(sigma) < 0.05
    en = np.where(near, eta, 1.0)
    # reciprocals first: a rate far above k (sigma ~ 1e100) must not overflow sigma**3
    rs, re = 1 / np.where(near, 1.0, sigma), 1 / np.where(near, 1.0, eta)
    c0 = np.where(near, np.polynomial.polynomial.polyval(en, _C0_SERIES), rs - re)
    c1 = np.where(near, np.polynomial.polynomial.polyval(en, _C1_SERIES),
                  re**3 - rs**3 - rs**2 - rs / 12)  # fmt: skip
    with np.errstate(over="ignore"):  # a eta^2 beyond float range: exp(-inf) = 0 is exact
        tail = np.exp(-(a * _log1pmx_neg(sigma)))
    r = tail / np.sqrt(2 * np.pi * a) * (c0 + c1 / a)
    y = eta * np.sqrt(a / 2.0)
    return 0.5 * special.erfc(y) + r, 0.5 * special.erfc(-y) - r


def poisson_cdf(k: NDArray[np.float64], rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """``P(Y <= k)`` for integer ``k >= 0`` (float64), right at any rate (see ``_TEMME_FROM``)."""
    k, rate = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(rate, np.float64))
    big = (k + 1.0 >= _TEMME_FROM) & (rate >= _TEMME_FROM)
    out = special.pdtr(k, rate)
    if big.any():
        out = np.where(big, _poisson_cdf_temme(np.where(big, k, _TEMME_FROM),
                                                np.where(big, rate, _TEMME_FROM)), out)  # fmt: skip
    return out


def poisson_cdf_sf(k: NDArray[np.float64], rate: NDArray[np.float64]):
    """``(P(Y <= k), P(Y > k))`` for integer ``k >= 0``: scipy's ``pdtr`` / ``pdtrc``, and
    Temme's expansion from ``_TEMME_FROM`` on (each tail in its own form, see
    :func:`_poisson_cdf_sf_temme`)."""
    k, rate = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(rate, np.float64))
    big = (k + 1.0 >= _TEMME_FROM) & (rate >= _TEMME_FROM)
    cdf, sf = special.pdtr(k, rate), special.pdtrc(k, rate)
    if big.any():
        q, p = _poisson_cdf_sf_temme(np.where(big, k, _TEMME_FROM), np.where(big, rate, _TEMME_FROM))
        cdf, sf = np.where(big, q, cdf), np.where(big, p, sf)
    return cdf, sf


# From this count up the Poisson's and NB2's NLL are Loader's saddle-point forms
# (poisson_nll_large_counts, negative_binomial._nll_large_counts): below, the direct form's
# rounding, ~1e-16 y log y, is under 2e-13 nats
_SADDLE_FROM = 256.0
# ... and in the families' training losses (every minibatch: the saddle-point form costs
# about 7x the direct one), from this count up: below it the direct form's rounding, about
# 1.1e-16 y log y, is under 2e-9 nats a row, far below what an optimiser's steps can see;
# above it that rounding grows to the 5e-4 nats at 1e11 that stalled L-BFGS
_SADDLE_TRAINING_FROM = 2.0**20
_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)
# stirlerr(n) = sum_k STIRLERR[k] n^-(2k+1) for n > 15 (Stirling's series; the next term's
# 3617/122400 n^-13 is below 1e-17 there)
_STIRLERR_SERIES = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)


def _stirlerr(n: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log n! - ((n + 1/2) log n - n + log(2 pi) / 2)`` for ``n > 0`` (``0`` at ``inf``)."""
    big = n > 15
    inv = 1 / np.where(big, n, 16.0)
    inv_sq = inv * inv
    series = np.zeros_like(inv)
    for coef in _STIRLERR_SERIES[::-1]:
        series = series * inv_sq + coef
    ns = np.where(big, 1.0, n)
    direct = special.gammaln(ns + 1) - (ns + 0.5) * np.log(ns) + ns - _HALF_LOG_2PI
    return np.where(big, series * inv, direct)


def _log1pmx_over_sq(v: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(log(1 + v) - v) / v^2`` for ``v > -1`` (``-1/2`` at 0); a series for ``|v| < 0.1``."""
    small = np.abs(v) < 0.1
    vs = np.where(small, v, 0.0)
    series = np.zeros_like(vs)
    for k in range(18, 1, -1):  # sum_{k>=2} (-1)^(k+1) v^(k-2) / k, Horner from the top
        series = series * vs + (-1.0) ** (k + 1) / k
    vb = np.where(small, 1.0, v)
    return np.where(small, series, (np.log1p(vb) - vb) / (vb * vb))


def poisson_nll_large_counts(y: NDArray[np.float64],
                             log_rate: NDArray[np.float64]) -> NDArray[np.float64]:
    """``-log P(Y = y)`` of a Poisson for ``y >= 1`` and ``e^log_rate`` a positive normal float,
    as Loader's ``bd0(y, mu) + stirlerr(y) + log(2 pi y) / 2`` (R's ``dpois``).

    ``y log mu`` and ``log y!`` are each about ``y log y`` and cancel, so their direct sum
    carries ``1e-16 y log y`` of rounding (5e-4 nats at ``y = 1e11``); here the deviance
    ``bd0 = y log(y / mu) + mu - y`` comes from ``dev = y - mu``: ``y w^2 l(w) + w dev``,
    ``w = dev / mu``, ``l(w) = (log1p(w) - w) / w^2``, for ``|w| < 0.1``, else ``y log1p(w) -
    dev`` (``log1p(w)`` as ``log y - log mu`` below ``w = -1/2``, where ``1 + w`` may round
    to 0): a few ulps of the NLL.
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mu = np.exp(log_rate)
        dev = y - mu
        w = dev / mu
        near = np.abs(w) < 0.1
        # far below the mean, 1 + w = y / mu rounds to 0 (log1p: -inf): the logs apart
        log_ratio = np.where(w > -0.5, np.log1p(np.where(near, 0.0, w)), np.log(y) - log_rate)
        bd0 = np.where(near, y * w * w * _log1pmx_over_sq(w) + w * dev,  # (dev^2 overflows)
                       y * log_ratio - dev)
    return bd0 + _stirlerr(y) + _HALF_LOG_2PI + 0.5 * np.log(y)


def _with_large_counts(nll, y, log_rate, large_from: float = _SADDLE_FROM):
    """``nll`` with the rows of counts from ``large_from`` (and a rate within the float
    range) replaced by :func:`poisson_nll_large_counts` (float64)."""
    y, log_rate = np.broadcast_arrays(np.asarray(y, dtype=np.float64),
                                      np.asarray(log_rate, dtype=np.float64))
    large = (y >= large_from) & (np.abs(log_rate) < 690.0)
    if not large.any():
        return nll
    nll = np.array(np.broadcast_to(nll, large.shape))
    nll[large] = poisson_nll_large_counts(y[large], log_rate[large])
    return nll


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
    return -_with_large_counts(rate - term + special.gammaln(k + 1.0), k, log_rate)


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
    :func:`poisson_cdf_sf` (``pdtr`` / ``pdtrc``, Temme's expansion at large counts and
    rates, where ``pdtrc`` is off by most of a small tail) where the probability is above
    1e-250; below, the
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
    cdf, sf = poisson_cdf_sf(kk, rate)  # Temme's at large counts and rates, not pdtr's
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

    support = "count"

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
        nll = _with_large_counts(self._rate - term + special.gammaln(ys + 1.0), ys,
                                 self._log_rate)
        return np.where(valid, -nll, -np.inf)

    def _cdf(self, y):
        k = np.floor(y)
        return np.where(y < 0, 0.0, poisson_cdf(np.maximum(k, 0.0), self._rate))

    def _log_sf(self, k):
        """``log P(Y > k)`` for integers ``k >= 0``, from the tail itself (``1 - F`` rounds
        to 0 below 1e-16)."""
        return poisson_log_cdf_sf(k, self._log_rate)[1]

    def _icdf(self, q):
        """Smallest integer k with ``cdf(k) >= q``, by an exact search about the normal guess."""
        q, rate = np.broadcast_arrays(q, self._rate)
        shape = q.shape
        q, rate = q.ravel(), rate.ravel()
        sd = np.sqrt(rate)
        with np.errstate(divide="ignore"):
            skew = np.where(rate > 0, 1 / np.where(rate > 0, sd, 1.0), 0.0)
        out = count_quantile(lambda k: poisson_cdf(k, rate), q, rate, sd, skew)
        return out.reshape(shape)

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
