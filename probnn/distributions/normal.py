"""Normal (Gaussian) distribution with location ``loc`` and scale ``scale``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from .base import LocScale, data_dtype, fit_inputs

__all__ = ["Normal"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


class Normal(LocScale):
    """Normal distribution ``N(loc, scale**2)``.

    Parameters
    ----------
    loc : array-like
        Mean, any real; broadcast with ``scale`` to the batch shape.
    scale : array-like
        Standard deviation, > 0.
    """

    def affine(self, shift: float, scale: float) -> "Normal":
        """``Normal(shift + scale * loc, scale * scale)``: the law of ``shift + scale * Y``."""
        return Normal(loc=self._out(shift + scale * self._loc), scale=self._out(scale * self._scale))

    def _log_prob(self, y):
        with np.errstate(over="ignore"):  # -inf where z^2 / 2 passes float max
            z = (y - self._loc) / self._scale
            return -0.5 * z * z - np.log(self._scale) - _HALF_LOG_2PI

    def _cdf(self, y):
        with np.errstate(over="ignore"):  # z = +-inf: 1 or 0
            return special.ndtr((y - self._loc) / self._scale)

    def _icdf(self, q):
        return self._loc + self._scale * special.ndtri(q)

    def _mean(self):
        return self._loc.copy()

    def _variance(self):
        with np.errstate(over="ignore"):  # inf from a scale of ~1.3e154 on: past float max
            return self._scale**2

    def _stddev(self):
        return self._scale.copy()

    def _entropy(self):
        # 0.5 log(2 pi e sigma^2)
        return 0.5 + _HALF_LOG_2PI + np.log(self._scale)

    def _sample(self, shape, rng):
        return self._loc + self._scale * rng.standard_normal(shape)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Normal":
        """Maximum likelihood: weighted mean and the weighted variance divided by sum(w).

        Parameters
        ----------
        y : array-like of shape (n_samples,), finite reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Normal with batch_shape ()

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE scale would be 0.
        """
        arr, w = fit_inputs(y, sample_weight, "Normal")
        mu = np.sum(w * arr) / np.sum(w)
        var = np.sum(w * (arr - mu) ** 2) / np.sum(w)
        if not var > 0:
            raise ValueError(
                "Normal.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {mu:g} (the MLE scale would be 0)"
            )
        dt = data_dtype(y)
        return cls(loc=np.asarray(mu, dtype=dt), scale=np.asarray(np.sqrt(var), dtype=dt))
