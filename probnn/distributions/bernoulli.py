"""Bernoulli distribution on {0, 1}, parameterised by a probability or a logit.

Also the three textbook forms of the Bernoulli pmf (piecewise, additive,
multiplicative), which agree on {0, 1} and are 0 elsewhere.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import log_sigmoid, sigmoid
from .base import (Distribution, as_param, data_dtype, exactly_one, fit_inputs,
                   param_dtype)

__all__ = [
    "Bernoulli",
    "bernoulli_pmf_piecewise",
    "bernoulli_pmf_additive",
    "bernoulli_pmf_multiplicative",
]


def _check_probs(p: NDArray[np.float64], where: str) -> None:
    bad = ~((p >= 0) & (p <= 1))
    if bad.any():
        from probnn._validation import describe_values
        raise ValueError(f"{where}: p must lie in [0, 1]; found {describe_values(p[bad])}")


def bernoulli_pmf_piecewise(y: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """Bernoulli pmf by cases: ``p`` if y = 1, ``1 - p`` if y = 0, and 0 otherwise.

    Parameters
    ----------
    y : array-like, any shape
        Values at which to evaluate the pmf.
    p : array-like, broadcastable with ``y``
        Probability of a 1, in [0, 1].

    Returns
    -------
    ndarray, shape broadcast(y, p)
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    _check_probs(p, "bernoulli_pmf_piecewise")
    return np.where(y == 1, p, np.where(y == 0, 1.0 - p, 0.0))


def bernoulli_pmf_additive(y: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """Bernoulli pmf as a sum: ``p y + (1 - p)(1 - y)`` on {0, 1}, 0 elsewhere.

    The formula alone is not a pmf off {0, 1} (y = 2 would give 3p - 1), hence the mask.

    Parameters
    ----------
    y : array-like, any shape
    p : array-like, broadcastable with ``y``, in [0, 1]

    Returns
    -------
    ndarray, shape broadcast(y, p)
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    _check_probs(p, "bernoulli_pmf_additive")
    on_support = (y == 0) | (y == 1)
    return np.where(on_support, p * y + (1.0 - p) * (1.0 - y), 0.0)


def bernoulli_pmf_multiplicative(y: ArrayLike, p: ArrayLike) -> NDArray[np.float64]:
    """Bernoulli pmf as a product: ``p**y (1 - p)**(1 - y)`` on {0, 1}, 0 elsewhere.

    Uses 0**0 = 1 (numpy's convention), so p = 0 gives pmf(0) = 1 and pmf(1) = 0.

    Parameters
    ----------
    y : array-like, any shape
    p : array-like, broadcastable with ``y``, in [0, 1]

    Returns
    -------
    ndarray, shape broadcast(y, p)
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    _check_probs(p, "bernoulli_pmf_multiplicative")
    on_support = (y == 0) | (y == 1)
    ys = np.where(on_support, y, 0.0)
    return np.where(on_support, np.power(p, ys) * np.power(1.0 - p, 1.0 - ys), 0.0)


class Bernoulli(Distribution):
    """Bernoulli distribution: ``P(Y = 1) = p``, ``P(Y = 0) = 1 - p``.

    Parameters
    ----------
    probs : array-like, optional
        ``p`` in [0, 1], any shape (the batch shape).
    logits : array-like, optional
        ``log(p / (1 - p))``, any real (or +-inf). Exactly one of probs / logits.

    Notes
    -----
    Log-probabilities are taken from the parameter actually given: from logits as
    ``log_sigmoid(+-z)`` (finite for ``|z|`` = 1e4), from probs as ``log p`` and ``log1p(-p)``.
    """

    support = "binary"

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None):
        exactly_one(probs, logits, "probs", "logits", "Bernoulli")
        self.dtype = param_dtype(probs if probs is not None else logits)
        if probs is not None:
            p = as_param(probs, "probs", "Bernoulli")
            bad = ~((p >= 0) & (p <= 1))
            if bad.any():
                from probnn._validation import describe_values
                raise ValueError(
                    f"Bernoulli: probs must lie in [0, 1]; found {describe_values(p[bad])}"
                )
            self._p = p
            with np.errstate(divide="ignore"):
                self._log_p, self._log_q = np.log(p), np.log1p(-p)
            self._z = self._log_p - self._log_q
        else:
            z = as_param(logits, "logits", "Bernoulli")
            self._z = z
            self._p = sigmoid(z)
            self._log_p, self._log_q = log_sigmoid(z), log_sigmoid(-z)
        self.batch_shape = tuple(self._p.shape)

    @property
    def probs(self) -> NDArray[np.floating]:
        """``P(Y = 1)``, shape batch_shape."""
        return self._out(self._p)

    @property
    def logits(self) -> NDArray[np.floating]:
        """``log(p / (1 - p))``, shape batch_shape (+-inf at p = 1 / 0)."""
        return self._out(self._z)

    def _log_prob(self, y):
        return np.where(y == 1, self._log_p, np.where(y == 0, self._log_q, -np.inf))

    def _cdf(self, y):
        return np.where(y < 0, 0.0, np.where(y < 1, 1.0 - self._p, 1.0))

    def _icdf(self, q):
        # cdf(0) = 1 - p, so 0 is the answer exactly when q <= 1 - p.
        return np.where(q <= np.exp(self._log_q), 0.0, 1.0)

    def _mean(self):
        return np.broadcast_to(self._p, self.batch_shape).copy()

    def _variance(self):
        return self._p * (1.0 - self._p)

    def _entropy(self):
        # -p log p - (1-p) log(1-p), each term 0 when its weight is 0.
        p, q = self._p, np.exp(self._log_q)
        return -(np.where(p > 0, p * self._log_p, 0.0) + np.where(q > 0, q * self._log_q, 0.0))

    def _sample(self, shape, rng):
        return (rng.random(shape) < self._p).astype(np.float64)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Bernoulli":
        """Maximum likelihood: ``p = sum(w y) / sum(w)``.

        Parameters
        ----------
        y : array-like of shape (n_samples,), values in {0, 1}
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        Bernoulli with batch_shape ()
        """
        arr, w = fit_inputs(y, sample_weight, "Bernoulli",
                            lambda a: (a != 0) & (a != 1), "values in {0, 1}")
        p = np.sum(w * arr) / np.sum(w)
        return cls(probs=np.asarray(p, dtype=data_dtype(y)))
