"""Log-normal distribution: ``log Y ~ Normal(loc, scale)``, on (0, inf).

The same law as ``scipy.stats.lognorm(s=scale, scale=exp(loc))`` and
``torch.distributions.LogNormal(loc, scale)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .base import LocScale, data_dtype, fit_inputs

__all__ = ["LogNormal"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


class LogNormal(LocScale):
    """Log-normal distribution: ``Y = exp(X)`` with ``X ~ Normal(loc, scale**2)``.

    Parameters
    ----------
    loc : array-like
        Mean of ``log Y`` (``exp(loc)`` is the median of ``Y``), any finite real.
    scale : array-like
        Standard deviation of ``log Y``, > 0. Broadcast with ``loc`` to the batch shape.

    Notes
    -----
    ``log p(y) = log N(log y; loc, scale) - log y`` (the Jacobian of ``y = e^x``);
    mean ``exp(loc + scale^2 / 2)``, variance ``expm1(scale^2) exp(2 loc + scale^2)``,
    entropy ``loc + 1/2 + log(scale sqrt(2 pi))``.
    """

    support = "positive"

    def _log_prob(self, y):
        inside = (y > 0) & np.isfinite(y)
        log_y = np.log(np.where(inside, y, 1.0))
        z = (log_y - self._loc) / self._scale
        out = -0.5 * z * z - np.log(self._scale) - _HALF_LOG_2PI - log_y
        return np.where(inside, out, -np.inf)

    def _cdf(self, y):
        with np.errstate(divide="ignore"):
            log_y = np.log(np.maximum(y, 0.0))
        return special.ndtr((log_y - self._loc) / self._scale)

    def _icdf(self, q):
        with np.errstate(over="ignore"):
            return np.exp(self._loc + self._scale * special.ndtri(q))

    def _mean(self):
        with np.errstate(over="ignore"):
            return np.exp(self._loc + 0.5 * self._scale**2)

    def _variance(self):
        s2 = self._scale**2
        with np.errstate(over="ignore", invalid="ignore"):
            return np.expm1(s2) * np.exp(2 * self._loc + s2)

    def _entropy(self):
        return self._loc + 0.5 + _HALF_LOG_2PI + np.log(self._scale)

    def _sample(self, shape, rng):
        return np.exp(self._loc + self._scale * rng.standard_normal(shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "LogNormal":
        """Maximum likelihood: the weighted mean and standard deviation (divide by sum w) of log y.

        Parameters
        ----------
        y : array-like of shape (n_samples,), positive reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        LogNormal with batch_shape ()

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE scale would be 0.
        """
        arr, w = fit_inputs(y, sample_weight, "LogNormal", lambda a: ~(a > 0),
                            "positive observations")
        log_y = np.log(arr)
        mu = np.sum(w * log_y) / np.sum(w)
        var = np.sum(w * (log_y - mu) ** 2) / np.sum(w)
        if not var > 0:
            raise ValueError(
                "LogNormal.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {np.exp(mu):g} (the MLE scale would be 0)"
            )
        dt = data_dtype(y)
        return cls(loc=np.asarray(mu, dtype=dt), scale=np.asarray(np.sqrt(var), dtype=dt))
