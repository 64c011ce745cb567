"""Weibull distribution on (0, inf) by its scale lambda and shape (concentration) k.

    S(t) = P(T > t) = exp(-(t / lambda)^k),   h(t) = (k / lambda) (t / lambda)^(k - 1)

The same law as ``scipy.stats.weibull_min(c=k, scale=lambda)`` and
``torch.distributions.Weibull(scale=lambda, concentration=k)``: a survival time whose
hazard rises (``k > 1``), is constant (``k = 1``, exponential) or falls (``k < 1``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype

__all__ = ["Weibull", "weibull_log_cdf"]

_EULER_GAMMA = float(np.euler_gamma)


def weibull_log_cdf(s: NDArray[np.float64], e: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log F = log(1 - exp(-e))`` from ``s = k log(t / lambda)`` and ``e = exp(s)``.

    ``log(-expm1(-e))`` loses ``e`` once it underflows; below ``e = 1e-5`` the series
    ``log F = s - e / 2 + e^2 / 24`` (error ``O(e^3)``) keeps it exact from ``s``.
    """
    small = e < 1e-5
    with np.errstate(divide="ignore"):
        direct = np.log(-np.expm1(-np.where(small, 1.0, e)))
    es = np.where(small, e, 0.0)
    return np.where(small, np.where(small, s, 0.0) - 0.5 * es + es * es / 24, direct)


# below this t, lgG(1 + 2t) - 2 lgG(1 + t) by its series (the difference of the two log-gamma
# values, each about -0.58 t, cancels to (pi^2 / 6) t^2: a shape of 1e9 gave a negative
# variance, and a NaN standard deviation, where the spread is a thousandth of the scale)
_SERIES_BELOW = 0.05
# lgG(1 + x) = -gamma x + sum_{n >= 2} (-1)^n zeta(n) x^n / n (|x| < 1): the series' terms
# (-1)^n zeta(n) (2^n - 2) / n, n = 2..24, enough for 1e-17 relative below 0.05
_N = np.arange(2, 25)
_EXCESS_TERMS = (-1.0) ** _N * special.zeta(_N) * (2.0**_N - 2.0) / _N


def _log_gamma_excess(t: NDArray) -> NDArray:
    """``lgG(1 + 2t) - 2 lgG(1 + t)`` for ``t >= 0`` (``t = 1 / k``), accurate for small t."""
    t = np.asarray(t, dtype=np.float64)
    small = t < _SERIES_BELOW
    ts = np.where(small, t, 0.0)[..., None]
    series = np.sum(_EXCESS_TERMS * ts ** _N, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        direct = special.gammaln(1 + 2 * t) - 2 * special.gammaln(1 + t)
    return np.where(small, series, direct)


class Weibull(Distribution):
    """Weibull distribution with ``scale`` lambda > 0 and ``concentration`` (shape) k > 0.

    Parameters
    ----------
    scale : array-like
        ``lambda > 0``: the 63rd percentile (``F(lambda) = 1 - 1/e``).
    concentration : array-like
        Shape ``k > 0``. Broadcast with ``scale`` to the batch shape.

    Notes
    -----
    ``log p(t) = log k - log lambda + (k - 1) log(t / lambda) - (t / lambda)^k``;
    ``icdf(q) = lambda (-log(1 - q))^(1/k)``; mean ``lambda G(1 + 1/k)``, variance
    ``lambda^2 (G(1 + 2/k) - G(1 + 1/k)^2)``, median ``lambda (log 2)^(1/k)``, entropy
    ``gamma_E (1 - 1/k) + log(lambda / k) + 1``.
    """

    support = "positive"

    def __init__(self, scale: ArrayLike, concentration: ArrayLike):
        self.dtype = param_dtype(scale, concentration)
        lam = as_param(scale, "scale", "Weibull")
        k = as_param(concentration, "concentration", "Weibull")
        check_positive(lam, "scale", "Weibull")
        check_positive(k, "concentration", "Weibull")
        self._lam, self._k = np.broadcast_arrays(lam, k)
        self.batch_shape = tuple(self._k.shape)

    @property
    def scale(self) -> NDArray[np.floating]:
        """Scale ``lambda``, shape batch_shape."""
        return self._out(self._lam)

    @property
    def concentration(self) -> NDArray[np.floating]:
        """Shape ``k``, shape batch_shape."""
        return self._out(self._k)

    @property
    def median(self) -> NDArray[np.floating]:
        """Median ``lambda (log 2)^(1/k)``, shape batch_shape."""
        return self._out(self._lam * np.exp(np.log(np.log(2.0)) / self._k))

    def _s(self, t):
        """``s = k log(t / lambda)`` (``-inf`` at ``t = 0``) for ``t >= 0``."""
        with np.errstate(divide="ignore"):
            return self._k * (np.log(t) - np.log(self._lam))

    def log_survival(self, t: ArrayLike) -> NDArray[np.floating]:
        """``log S(t) = -(t / lambda)^k`` (0 for ``t <= 0``); shape broadcast(t, batch_shape)."""
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(over="ignore"):
            e = np.exp(self._s(np.maximum(t, 0.0)))
        return self._out(-e)

    def survival_function(self, t: ArrayLike) -> NDArray[np.floating]:
        """``S(t) = P(T > t) = exp(-(t / lambda)^k)``; shape broadcast(t, batch_shape)."""
        return self._out(np.exp(np.asarray(self.log_survival(t), dtype=np.float64)))

    def hazard(self, t: ArrayLike) -> NDArray[np.floating]:
        """``h(t) = p(t) / S(t) = (k / lambda) (t / lambda)^(k - 1)`` for ``t > 0``."""
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(divide="ignore", over="ignore"):
            log_ratio = np.log(t) - np.log(self._lam)
            return self._out(self._k / self._lam * np.exp((self._k - 1) * log_ratio))

    def log_cdf(self, t: ArrayLike) -> NDArray[np.floating]:
        """``log F(t)``, exact far in the left tail; shape broadcast(t, batch_shape)."""
        t = np.asarray(t, dtype=np.float64)
        s = self._s(np.maximum(t, 0.0))
        with np.errstate(over="ignore"):
            return self._out(weibull_log_cdf(s, np.exp(s)))

    def _log_prob(self, y):
        inside = (y > 0) & np.isfinite(y)
        ys = np.where(inside, y, 1.0)
        s = self._s(ys)
        with np.errstate(over="ignore"):
            out = np.log(self._k) - np.log(ys) + s - np.exp(s)
        return np.where(inside, out, -np.inf)

    def _cdf(self, y):
        with np.errstate(over="ignore"):
            e = np.exp(self._s(np.maximum(y, 0.0)))
        return -np.expm1(-e)

    def _icdf(self, q):
        with np.errstate(divide="ignore", over="ignore"):
            power = np.log(-np.log1p(-q)) / self._k
            x = self._lam * np.exp(power)
            # a subnormal exp(power) has few digits, which the scale then multiplies (q = 1e-143,
            # scale e^2, shape 0.44: 4 steps of the float grid off); there one rounding, of exp
            # of the sum, keeps the quantile within a step
            tiny = x < np.finfo(np.float64).tiny
            if np.any(tiny):
                x = np.where(tiny, np.exp(np.log(self._lam) + power), x)
            return x

    def _mean(self):
        with np.errstate(over="ignore"):
            return self._lam * np.exp(special.gammaln(1 + 1 / self._k))

    def _variance(self):
        k = self._k
        with np.errstate(over="ignore", invalid="ignore"):
            g1 = special.gammaln(1 + 1 / k)
            # G(1 + 2/k) - G(1 + 1/k)^2 = G(1 + 1/k)^2 expm1(lgG(1 + 2/k) - 2 lgG(1 + 1/k))
            return self._lam**2 * np.exp(2 * g1) * np.expm1(_log_gamma_excess(1 / k))

    def _entropy(self):
        k = self._k
        return _EULER_GAMMA * (1 - 1 / k) + np.log(self._lam) - np.log(k) + 1

    def _sample(self, shape, rng):
        return self._lam * rng.weibull(np.broadcast_to(self._k, shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Weibull":
        """Maximum likelihood for 1-D positive data.

        The shape solves the profile equation
        ``sum w t^k log t / sum w t^k - 1/k - mean_w(log t) = 0`` (a root search in
        ``log k``); then ``lambda = (sum w t^k / sum w)^(1/k)``.

        Parameters
        ----------
        y : array-like of shape (n_samples,), positive reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Weibull with batch_shape ()

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE shape is infinite.
        """
        arr, w = fit_inputs(y, sample_weight, "Weibull", lambda a: ~(a > 0), "positive reals")
        log_t = np.log(arr)
        w = w / w.sum()
        mean_log = float(np.dot(w, log_t))
        centred = log_t - mean_log
        if not np.any((w > 0) & (centred != 0)):
            raise ValueError(
                "Weibull.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {arr[0]:g} (the MLE shape would be infinite)"
            )

        def profile(log_k: float) -> float:
            k = np.exp(log_k)
            a = k * centred
            p = w * np.exp(a - a.max())  # weights of t^k, rescaled
            return float(np.dot(p, centred) / p.sum() - 1 / k)

        lo, hi = -5.0, 5.0
        while profile(lo) > 0:
            lo -= 5.0
        while profile(hi) < 0:
            hi += 5.0
        k = float(np.exp(optimize.brentq(profile, lo, hi, xtol=1e-14, rtol=1e-14)))
        a = k * centred
        log_lam = mean_log + (a.max() + np.log(np.dot(w, np.exp(a - a.max())))) / k
        dt = data_dtype(y)
        return cls(scale=np.asarray(np.exp(log_lam), dtype=dt), concentration=np.asarray(k, dtype=dt))
