"""Beta distribution on (0, 1) by its concentrations a (of y) and b (of 1 - y).

    p(y) = y^(a - 1) (1 - y)^(b - 1) / B(a, b),   mean a / (a + b)

The same law as ``scipy.stats.beta(a, b)`` and
``torch.distributions.Beta(concentration1=a, concentration0=b)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from probnn._math import gamma_entropy_part
from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype

__all__ = ["Beta"]

# scipy's betaincinv is NaN deep in the lower tail (a = 2.5, b = 18, q = 3e-196; 2.4% of
# random a, b in [0.05, 150] at q below 1e-17, a >= 1 and x up to 1e-15 in each) and stops
# at 2.2e-308 where the quantile is smaller; there I_x(a, b) = x^a S(x) / (a B(a, b)) with
# S(x) = sum_n (1 - b)_n / n! a / (a + n) x^n, cut after x^2: exact to ((|1 - b| + 1) x)^3
_TAIL_X = 1e-8  # the closed form where (|1 - b| + 1) x is below it
_AGREE = 5e-13  # betaincinv kept where it agrees (its error ~1e-16, the closed form's <= 745 ulps)


def _lower_tail_quantile(a: NDArray, b: NDArray, q: NDArray) -> tuple[NDArray, NDArray]:
    """``(x, valid)``: the quantile at q from ``log x = (log(q a B(a, b)) - log S(x)) / a``
    (a fixed point from S = 1: each step shrinks the error by ``|1 - b| x / (a + 1)``), in logs
    (x may underflow: 0 then is honest), and where its series is exact."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_c = np.log(q) + np.log(a) + special.betaln(a, b)
        log_x = log_c / a
        c1, c2 = (1 - b) * a / (a + 1), 0.5 * (1 - b) * (2 - b) * a / (a + 2)
        for _ in range(3):
            x = np.exp(np.minimum(log_x, 0.0))
            log_x = (log_c - np.log(1.0 + x * (c1 + x * c2))) / a
        valid = log_x + np.log(np.abs(1 - b) + 1) < np.log(_TAIL_X)
        return np.exp(np.minimum(log_x, 0.0)), valid


class Beta(Distribution):
    """Beta distribution with ``concentration1`` a > 0 and ``concentration0`` b > 0.

    Parameters
    ----------
    concentration1 : array-like
        ``a``, the exponent of ``y`` plus one (torch's name), > 0.
    concentration0 : array-like
        ``b``, the exponent of ``1 - y`` plus one, > 0. Broadcast with ``a`` to the batch shape.

    Notes
    -----
    ``cdf(y) = I_y(a, b)`` (``scipy.special.betainc``), ``icdf`` by ``betaincinv``;
    variance ``a b / ((a + b)^2 (a + b + 1))``; entropy
    ``log B(a, b) - (a - 1) psi(a) - (b - 1) psi(b) + (a + b - 2) psi(a + b)``.
    In mean-precision terms ``m = a / (a + b)``, ``phi = a + b`` (the ``beta`` family's).
    """

    support = "unit-interval"

    def __init__(self, concentration1: ArrayLike, concentration0: ArrayLike):
        self.dtype = param_dtype(concentration1, concentration0)
        a = as_param(concentration1, "concentration1", "Beta")
        b = as_param(concentration0, "concentration0", "Beta")
        check_positive(a, "concentration1", "Beta")
        check_positive(b, "concentration0", "Beta")
        self._a, self._b = np.broadcast_arrays(a, b)
        self.batch_shape = tuple(self._a.shape)

    @property
    def concentration1(self) -> NDArray[np.floating]:
        """``a``, shape batch_shape."""
        return self._out(self._a)

    @property
    def concentration0(self) -> NDArray[np.floating]:
        """``b``, shape batch_shape."""
        return self._out(self._b)

    def _log_prob(self, y):
        inside = (y > 0) & (y < 1)
        ys = np.where(inside, y, 0.5)
        out = (special.xlogy(self._a - 1, ys) + special.xlog1py(self._b - 1, -ys)
               - special.betaln(self._a, self._b))
        return np.where(inside, out, -np.inf)

    def _cdf(self, y):
        x = np.clip(y, 0.0, 1.0)
        p = special.betainc(self._a, self._b, x)
        # betainc gives 0 for a subnormal I_x (as gammainc); where (|1 - b| + 1) x < 2^-26,
        # I_x = x^a / (a B(a, b)) (1 + a (1 - b) x / (a + 1)) to a relative 2^-52, in logs
        a, b = self._a, self._b
        tiny = (p < np.finfo(np.float64).tiny) & (x > 0) & ((np.abs(1 - b) + 1) * x < 2.0**-26)
        if np.any(tiny):
            xs = np.where(tiny, x, 2.0**-60)
            log_p = (a * np.log(xs) - np.log(a) - special.betaln(a, b)
                     + np.log1p(a * (1 - b) * xs / (a + 1)))
            p = np.where(tiny, np.exp(log_p), p)
        return p

    def _icdf(self, q):
        x = special.betaincinv(self._a, self._b, q)
        tail, valid = _lower_tail_quantile(self._a, self._b, q)
        with np.errstate(invalid="ignore"):
            agree = np.isfinite(tail) & (np.abs(x - tail) <= _AGREE * tail)
        return np.where(valid & ~agree, tail, x)

    def _mean(self):
        return self._a / (self._a + self._b)

    def _variance(self):
        total = self._a + self._b
        return self._a * self._b / (total * total * (total + 1))

    def _entropy(self):
        # log B(a, b) - (a - 1) psi(a) - (b - 1) psi(b) + (a + b - 2) psi(a + b), regrouped
        # as U(a) + U(b) - U(a + b) - psi(a + b) (the x's of U cancel exactly), so that the
        # terms of size x log x cancel in closed form, not in floating point
        a, b = self._a, self._b
        return (gamma_entropy_part(a) + gamma_entropy_part(b) - gamma_entropy_part(a + b)
                - special.digamma(a + b))

    def _sample(self, shape, rng):
        return rng.beta(np.broadcast_to(self._a, shape), np.broadcast_to(self._b, shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Beta":
        """Maximum likelihood over ``(a, b)``, numerically (no closed form).

        The weighted NLL ``log B(a, b) - (a - 1) mean(log y) - (b - 1) mean(log(1 - y))`` is
        convex in ``(a, b)``; it is minimised over ``(log a, log b)`` by L-BFGS-B with its
        analytic gradient, from the method-of-moments estimate.

        Parameters
        ----------
        y : array-like of shape (n_samples,), values strictly between 0 and 1
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Beta with batch_shape ()

        Raises
        ------
        ValueError
            If all (positively weighted) observations are equal: the MLE is at infinity.
        """
        arr, w = fit_inputs(y, sample_weight, "Beta", lambda v: ~((v > 0) & (v < 1)),
                            "observations strictly between 0 and 1")
        a, b = fit_concentrations(arr, w)
        if not (np.isfinite(a) and np.isfinite(b)):
            raise ValueError(
                "Beta.fit needs at least two distinct observations with positive weight; "
                f"found all equal to {np.sum(w * arr) / np.sum(w):g} (the MLE is at infinity)"
            )
        dt = data_dtype(y)
        return cls(concentration1=np.asarray(a, dtype=dt), concentration0=np.asarray(b, dtype=dt))


def fit_concentrations(y: NDArray[np.float64], w: NDArray[np.float64]) -> tuple[float, float]:
    """The Beta MLE ``(a, b)`` of ``y`` in (0, 1) with weights ``w`` (positive sum).

    ``(inf, inf)`` when the weighted variance is 0 (all observations equal).
    """
    w = w / w.sum()
    mean = float(np.sum(w * y))
    var = float(np.sum(w * (y - mean) ** 2))
    if not var > 0:
        return np.inf, np.inf
    s1, s0 = float(np.sum(w * np.log(y))), float(np.sum(w * np.log1p(-y)))
    # method of moments: a + b = m (1 - m) / var - 1 (positive for any sample: var < m (1 - m))
    total = max(mean * (1 - mean) / var - 1, 1e-3)
    start = np.log([mean * total, (1 - mean) * total])

    def objective(theta):
        a, b = np.exp(theta)
        psi_ab = special.digamma(a + b)
        value = special.betaln(a, b) - (a - 1) * s1 - (b - 1) * s0
        grad = [a * (special.digamma(a) - psi_ab - s1), b * (special.digamma(b) - psi_ab - s0)]
        return value, np.array(grad)

    res = optimize.minimize(objective, start, jac=True, method="L-BFGS-B",
                            options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 1000})
    a, b = np.exp(res.x)
    return float(a), float(b)
