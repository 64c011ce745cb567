"""Student's t distribution with degrees of freedom ``df``, location and scale."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from probnn._math import student_t_digamma_gap, student_t_log_norm

from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype

__all__ = ["StudentT"]

_LOG_DF_BOUNDS = (np.log(0.05), np.log(1e6))


def _log_density(y, df, loc, scale):
    t = (y - loc) / scale
    return student_t_log_norm(df) - np.log(scale) - 0.5 * (df + 1.0) * np.log1p(t * t / df)


class StudentT(Distribution):
    """Student's t: ``loc + scale * T`` with T a standard t with ``df`` degrees of freedom.

    Parameters
    ----------
    df : array-like
        Degrees of freedom, > 0.
    loc : array-like, default 0.0
    scale : array-like, default 1.0
        > 0. All three broadcast to the batch shape.

    Notes
    -----
    The mean is ``loc`` for df > 1 (NaN otherwise); the variance is
    ``scale**2 df / (df - 2)`` for df > 2, +inf for 1 < df <= 2, NaN for df <= 1.
    """

    def __init__(self, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0):
        self.dtype = param_dtype(df, loc, scale)
        df_ = as_param(df, "df", "StudentT")
        loc_ = as_param(loc, "loc", "StudentT")
        scale_ = as_param(scale, "scale", "StudentT")
        check_positive(df_, "df", "StudentT")
        check_positive(scale_, "scale", "StudentT")
        if not np.isfinite(loc_).all():
            raise ValueError("StudentT: loc must be finite; found an infinite value")
        self._df, self._loc, self._scale = np.broadcast_arrays(df_, loc_, scale_)
        self.batch_shape = tuple(self._df.shape)

    @property
    def df(self) -> NDArray[np.floating]:
        """Degrees of freedom, shape batch_shape."""
        return self._out(self._df)

    @property
    def loc(self) -> NDArray[np.floating]:
        """Location, shape batch_shape."""
        return self._out(self._loc)

    @property
    def scale(self) -> NDArray[np.floating]:
        """Scale, shape batch_shape."""
        return self._out(self._scale)

    def affine(self, shift: float, scale: float) -> "StudentT":
        """The law of ``shift + scale * Y``: same df, location and scale mapped."""
        return StudentT(self._out(self._df), loc=self._out(shift + scale * self._loc),
                        scale=self._out(scale * self._scale))  # fmt: skip

    def _log_prob(self, y):
        return _log_density(y, self._df, self._loc, self._scale)

    def _cdf(self, y):
        return special.stdtr(self._df, (y - self._loc) / self._scale)

    def _icdf(self, q):
        return self._loc + self._scale * special.stdtrit(self._df, q)

    def _mean(self):
        return np.where(self._df > 1, self._loc, np.nan)

    def _variance(self):
        df = self._df
        with np.errstate(divide="ignore", invalid="ignore"):
            v = self._scale**2 * df / (df - 2.0)
        return np.where(df > 2, v, np.where(df > 1, np.inf, np.nan))

    def _entropy(self):
        # (df+1)/2 [psi((df+1)/2) - psi(df/2)] + log(sqrt(df) B(df/2, 1/2)) + log scale, both
        # parts from _math's cancellation-free forms (the digamma gap is ~ 1/df)
        df = self._df
        h = 0.5 * (df + 1.0) * student_t_digamma_gap(df) - student_t_log_norm(df)
        return h + np.log(self._scale)

    def _sample(self, shape, rng):
        return self._loc + self._scale * rng.standard_t(np.broadcast_to(self._df, shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "StudentT":
        """Maximum likelihood over (df, loc, scale), numerically (no closed form).

        Minimises the weighted NLL with L-BFGS-B over (loc, log scale, log df), with
        log df kept in [log 0.05, log 1e6] (df -> inf is the Normal limit).

        Parameters
        ----------
        y : array-like of shape (n_samples,), finite reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        StudentT with batch_shape ()
        """
        arr, w = fit_inputs(y, sample_weight, "StudentT")
        wsum = np.sum(w)
        med = float(np.median(arr))
        spread = float(np.median(np.abs(arr - med))) or float(np.std(arr)) or 1.0

        def nll(theta):
            loc, log_s, log_df = theta
            return -np.sum(w * _log_density(arr, np.exp(log_df), loc, np.exp(log_s))) / wsum

        res = optimize.minimize(
            nll, x0=np.array([med, np.log(spread), np.log(5.0)]), method="L-BFGS-B",
            bounds=[(None, None), (None, None), _LOG_DF_BOUNDS],
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
        )
        loc, log_s, log_df = res.x
        dt = data_dtype(y)
        return cls(df=np.asarray(np.exp(log_df), dtype=dt), loc=np.asarray(loc, dtype=dt),
                   scale=np.asarray(np.exp(log_s), dtype=dt))
