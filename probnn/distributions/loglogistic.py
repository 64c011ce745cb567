"""Log-logistic distribution on (0, inf): ``log T`` is logistic; scale alpha, shape beta.

    F(t) = 1 / (1 + (t / alpha)^-beta),   S(t) = 1 / (1 + (t / alpha)^beta)

The same law as ``scipy.stats.fisk(c=beta, scale=alpha)``: a survival time whose hazard
rises then falls (``beta > 1``), with median ``alpha``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype

__all__ = ["LogLogistic"]


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


# below this x, tan x - x by its Taylor series (x^3 / 3 + 2 x^5 / 15 + ...; five terms: the
# next is under 1e-15 of the sum); above it, tan x - x loses at most 1e-16 / x^2 relative
_SERIES_BELOW = 0.05
_TAN_TERMS = ((3, 1 / 3), (5, 2 / 15), (7, 17 / 315), (9, 62 / 2835), (11, 1382 / 155925))


def _tan_excess(x: NDArray) -> NDArray:
    """``tan x - x`` for ``0 < x < pi / 2``, accurate for small x."""
    small = x < _SERIES_BELOW
    xs = np.where(small, x, 0.0)
    series = sum(c * xs**n for n, c in _TAN_TERMS)
    return np.where(small, series, np.tan(x) - x)


class LogLogistic(Distribution):
    """Log-logistic distribution with ``scale`` alpha > 0 (the median) and ``concentration`` beta > 0.

    Parameters
    ----------
    scale : array-like
        ``alpha > 0``.
    concentration : array-like
        Shape ``beta > 0``. Broadcast with ``scale`` to the batch shape.

    Notes
    -----
    With ``r = beta log(t / alpha)``: ``log F = log_sigmoid(r)``, ``log S = log_sigmoid(-r)``,
    ``log p(t) = log beta - log t + log_sigmoid(r) + log_sigmoid(-r)``; ``icdf(q) = alpha
    (q / (1 - q))^(1/beta)``; mean ``alpha (pi/beta) / sin(pi/beta)`` for ``beta > 1`` (else
    inf), variance for ``beta > 2`` (else inf); entropy ``log(alpha / beta) + 2``.
    """

    support = "positive"

    def __init__(self, scale: ArrayLike, concentration: ArrayLike):
        self.dtype = param_dtype(scale, concentration)
        alpha = as_param(scale, "scale", "LogLogistic")
        beta = as_param(concentration, "concentration", "LogLogistic")
        check_positive(alpha, "scale", "LogLogistic")
        check_positive(beta, "concentration", "LogLogistic")
        self._alpha, self._beta = np.broadcast_arrays(alpha, beta)
        self.batch_shape = tuple(self._beta.shape)

    @property
    def scale(self) -> NDArray[np.floating]:
        """Scale ``alpha`` (the median), shape batch_shape."""
        return self._out(self._alpha)

    @property
    def concentration(self) -> NDArray[np.floating]:
        """Shape ``beta``, shape batch_shape."""
        return self._out(self._beta)

    @property
    def median(self) -> NDArray[np.floating]:
        """Median ``alpha``, shape batch_shape."""
        return self._out(np.broadcast_to(self._alpha, self.batch_shape))

    def _r(self, t):
        with np.errstate(divide="ignore"):
            return self._beta * (np.log(t) - np.log(self._alpha))

    def log_survival(self, t: ArrayLike) -> NDArray[np.floating]:
        """``log S(t) = log_sigmoid(-r)`` (0 for ``t <= 0``)."""
        t = np.asarray(t, dtype=np.float64)
        return self._out(_log_sigmoid(-self._r(np.maximum(t, 0.0))))

    def survival_function(self, t: ArrayLike) -> NDArray[np.floating]:
        """``S(t) = 1 / (1 + (t / alpha)^beta)``."""
        return self._out(np.exp(np.asarray(self.log_survival(t), dtype=np.float64)))

    def hazard(self, t: ArrayLike) -> NDArray[np.floating]:
        """``h(t) = p(t) / S(t) = (beta / t) F(t)`` for ``t > 0``."""
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(divide="ignore"):
            return self._out(self._beta / t * np.exp(_log_sigmoid(self._r(t))))

    def log_cdf(self, t: ArrayLike) -> NDArray[np.floating]:
        """``log F(t) = log_sigmoid(r)``, exact in both tails."""
        t = np.asarray(t, dtype=np.float64)
        return self._out(_log_sigmoid(self._r(np.maximum(t, 0.0))))

    def _log_prob(self, y):
        inside = (y > 0) & np.isfinite(y)
        ys = np.where(inside, y, 1.0)
        r = self._r(ys)
        out = np.log(self._beta) - np.log(ys) + _log_sigmoid(r) + _log_sigmoid(-r)
        return np.where(inside, out, -np.inf)

    def _cdf(self, y):
        return np.exp(_log_sigmoid(self._r(np.maximum(y, 0.0))))

    def _icdf(self, q):
        with np.errstate(divide="ignore", over="ignore"):
            power = (np.log(q) - np.log1p(-q)) / self._beta
            x = self._alpha * np.exp(power)
            # a subnormal exp(power) has few digits, which the scale then multiplies (q = 9e-244,
            # scale e^1.48, shape 0.78: 7 steps of the float grid off): there one rounding, of
            # exp of the sum (as Weibull's)
            tiny = x < np.finfo(np.float64).tiny
            if np.any(tiny):
                x = np.where(tiny, np.exp(np.log(self._alpha) + power), x)
            return x

    def _mean(self):
        b = self._beta
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.pi / b
            return np.where(b > 1, self._alpha * x / np.sin(np.where(b > 1, x, 1.0)), np.inf)

    def _variance(self):
        # alpha^2 (2x / sin 2x - x^2 / sin^2 x), x = pi / beta, written (x / sin x)^2 (tan x -
        # x) / x: the two terms, each about 1, cancel to x^2 / 3 (a shape of 2e9 gave 0)
        b = self._beta
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = b > 2
            x = np.where(ok, np.pi / b, 1.0)
            return np.where(ok, self._alpha**2 * (x / np.sin(x)) ** 2 * _tan_excess(x) / x, np.inf)

    def _entropy(self):
        return np.log(self._alpha) - np.log(self._beta) + 2.0

    def _sample(self, shape, rng):
        u = rng.random(shape)
        return self._alpha * np.exp((np.log(u) - np.log1p(-u)) / self._beta)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "LogLogistic":
        """Maximum likelihood for 1-D positive data: ``log y`` is logistic(log alpha, 1/beta),
        fitted by L-BFGS-B with the analytic gradient from the median and the spread of ``log y``.

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE shape is infinite.
        """
        arr, w = fit_inputs(y, sample_weight, "LogLogistic", lambda a: ~(a > 0), "positive reals")
        x = np.log(arr)
        w = w / w.sum()
        m = float(np.dot(w, x))
        sd = float(np.sqrt(np.dot(w, (x - m) ** 2)))
        if not sd > 0:
            raise ValueError(
                "LogLogistic.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {arr[0]:g} (the MLE shape would be infinite)"
            )
        xs = (x - m) / sd

        def objective(theta):  # theta = (location, log beta) of the standardised log y
            loc, log_b = theta
            b = np.exp(log_b)
            r = b * (xs - loc)
            nll = -(log_b + _log_sigmoid(r) + _log_sigmoid(-r))
            t = np.tanh(r / 2)  # d(-log_sigmoid(r) - log_sigmoid(-r))/dr
            return float(np.dot(w, nll)), np.array([float(np.dot(w, -b * t)),
                                                    float(np.dot(w, r * t - 1))])

        res = optimize.minimize(objective, np.array([0.0, np.log(np.pi / np.sqrt(3))]), jac=True,
                                method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15})
        loc, log_b = res.x
        dt = data_dtype(y)
        return cls(scale=np.asarray(np.exp(m + sd * loc), dtype=dt),
                   concentration=np.asarray(np.exp(log_b) / sd, dtype=dt))
