"""Laplace (double exponential) distribution with location ``loc`` and scale ``scale``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .base import LocScale, data_dtype, fit_inputs

__all__ = ["Laplace"]


def weighted_median(y: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    """A minimiser of ``sum(w |y - m|)``; the midpoint when a whole interval minimises it."""
    order = np.argsort(y, kind="stable")
    ys, ws = y[order], w[order]
    keep = ws > 0
    ys, ws = ys[keep], ws[keep]
    cum = np.cumsum(ws)
    half = cum[-1] / 2.0
    i = int(np.searchsorted(cum, half))
    # Exactly half the weight at or below ys[i]: every m in [ys[i], ys[i+1]] is optimal.
    if i + 1 < ys.size and np.isclose(cum[i], half, rtol=1e-12, atol=0):
        return 0.5 * (ys[i] + ys[i + 1])
    return float(ys[i])


class Laplace(LocScale):
    """Laplace distribution: density ``exp(-|y - loc| / scale) / (2 scale)``.

    Parameters
    ----------
    loc : array-like
        Location (mean and median), any finite real.
    scale : array-like
        Scale ``b`` > 0; the variance is ``2 b**2``.
    """

    def affine(self, shift: float, scale: float) -> "Laplace":
        """``Laplace(shift + scale * loc, scale * b)``: the law of ``shift + scale * Y``."""
        return Laplace(loc=self._out(shift + scale * self._loc), scale=self._out(scale * self._scale))

    def _log_prob(self, y):
        return -np.abs(y - self._loc) / self._scale - np.log(2.0 * self._scale)

    def _cdf(self, y):
        z = (y - self._loc) / self._scale
        # Each branch exponentiates a non-positive number only.
        lower = 0.5 * np.exp(np.minimum(z, 0))
        upper = 0.5 - 0.5 * np.expm1(-np.maximum(z, 0))  # 1 - exp(-z) / 2
        return np.where(z < 0, lower, upper)

    def _icdf(self, q):
        # below the median loc + b log(2q), above it loc - b log(2(1 - q)): each from its own
        # tail's probability, 1 - q exact in floats for q >= 1/2 (log1p(-2|q - 1/2|) read q -
        # 1/2, which keeps no digit of a q below 1e-17: -inf at 1e-17, and 1e-3 off at 1e-15)
        lower = q < 0.5
        with np.errstate(divide="ignore"):
            log_tail = np.log(2.0 * np.where(lower, q, 1.0 - q))
        return self._loc + self._scale * np.where(lower, log_tail, -log_tail)

    def _mean(self):
        return self._loc.copy()

    def _variance(self):
        with np.errstate(over="ignore"):  # inf from a scale of ~1e154 on: past float max
            return 2.0 * self._scale**2

    def _stddev(self):
        # sqrt(2) b where 2 b^2 is no normal float (b beyond ~1e154 or below ~1e-154)
        variance = self._variance()
        normal = (variance >= np.finfo(np.float64).tiny) & (variance < np.inf)
        return np.where(normal, np.sqrt(variance), np.sqrt(2.0) * self._scale)

    def _entropy(self):
        return 1.0 + np.log(2.0 * self._scale)

    def _sample(self, shape, rng):
        return self._loc + self._scale * rng.laplace(size=shape)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Laplace":
        """Maximum likelihood: loc = weighted median, scale = weighted mean ``|y - loc|``.

        Parameters
        ----------
        y : array-like of shape (n_samples,), finite reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Laplace with batch_shape ()

        Raises
        ------
        ValueError
            If all observations equal the median (the MLE scale would be 0).
        """
        arr, w = fit_inputs(y, sample_weight, "Laplace")
        loc = weighted_median(arr, w)
        b = np.sum(w * np.abs(arr - loc)) / np.sum(w)
        if not b > 0:
            raise ValueError(
                "Laplace.fit needs observations away from the median; found all equal to "
                f"{loc:g} (the MLE scale would be 0)"
            )
        dt = data_dtype(y)
        return cls(loc=np.asarray(loc, dtype=dt), scale=np.asarray(b, dtype=dt))
