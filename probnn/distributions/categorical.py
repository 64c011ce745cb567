"""Categorical distribution over classes 0..C-1, classes on the last axis."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import log_softmax, softmax
from probnn._validation import describe_rows, describe_values
from .base import (ClassDistribution, as_data, as_param, data_dtype, exactly_one, fit_inputs,
                   param_dtype)

__all__ = ["Categorical"]


class Categorical(ClassDistribution):
    """Categorical distribution: ``P(Y = k) = p_k`` for integer classes k in 0..C-1.

    Parameters
    ----------
    probs : array-like of shape batch_shape + (C,), optional
        Non-negative rows summing to 1 (within a few ulps per class).
    logits : array-like of shape batch_shape + (C,), optional
        Unnormalised log-probabilities; ``probs = softmax(logits)``. Exactly one of the two.

    Notes
    -----
    ``mean`` and ``variance`` are those of the one-hot vector: ``p`` and ``p (1 - p)``,
    shape batch_shape + (C,). ``cdf`` / ``icdf`` are not defined (classes are unordered).
    """

    support = "classes"

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None):
        exactly_one(probs, logits, "probs", "logits", "Categorical")
        given = probs if probs is not None else logits
        self.dtype = param_dtype(given)
        arr = as_param(given, "probs" if probs is not None else "logits", "Categorical")
        if arr.ndim == 0 or arr.shape[-1] == 0:
            raise ValueError(
                "Categorical: parameters need a last axis of classes (shape (..., C), C >= 1); "
                f"found shape {arr.shape}"
            )
        if probs is not None:
            bad = ~((arr >= 0) & (arr <= 1))
            if bad.any():
                raise ValueError(
                    f"Categorical: probs must lie in [0, 1]; found {describe_values(arr[bad])}"
                )
            sums = arr.sum(axis=-1)
            # Tolerance scales with the dtype the caller used and with C.
            tol = 8 * np.finfo(self.dtype).eps * arr.shape[-1]
            off = np.abs(sums - 1.0) > tol
            if off.any():
                raise ValueError(
                    "Categorical: probs rows must sum to 1; found sums "
                    f"{describe_values(sums[off])}"
                    + (f" at {describe_rows(off.reshape(-1))}" if off.ndim else "")
                )
            self._p = arr / sums[..., None]
            with np.errstate(divide="ignore"):
                self._logp = np.log(self._p)
            self._z = self._logp
        else:
            self._z = arr
            self._logp = log_softmax(arr)
            self._p = softmax(arr)
        self.batch_shape = tuple(arr.shape[:-1])

    @property
    def n_classes(self) -> int:
        """Number of classes C."""
        return int(self._p.shape[-1])

    @property
    def probs(self) -> NDArray[np.floating]:
        """Class probabilities, shape batch_shape + (C,)."""
        return self._out(self._p)

    @property
    def logits(self) -> NDArray[np.floating]:
        """Logits (log-probabilities when built from probs), shape batch_shape + (C,)."""
        return self._out(self._z)

    def _mean(self):
        return self._p.copy()

    def _variance(self):
        return self._p * (1.0 - self._p)

    def _entropy(self):
        return -np.sum(np.where(self._p > 0, self._p * self._logp, 0.0), axis=-1)

    def _sample(self, shape, rng):
        # Inverse-cdf sampling: count how many cumulative sums lie below a uniform.
        cum = np.cumsum(self._p, axis=-1)
        u = rng.random(shape)[..., None]
        k = np.sum(u >= cum[..., :-1], axis=-1)
        return k.astype(np.float64)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None,
            n_classes: int | None = None) -> "Categorical":
        """Maximum likelihood: class probabilities = weighted class frequencies.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Integer labels 0..C-1.
        sample_weight : array-like of shape (n_samples,), optional
        n_classes : int, optional
            C; defaults to max(y) + 1. Classes never seen get probability 0.

        Returns
        -------
        Categorical with batch_shape () and C classes
        """
        arr = as_data(y, "Categorical")
        limit = np.inf if n_classes is None else n_classes
        expected = ("integer labels >= 0" if n_classes is None
                    else f"integer labels in 0..{n_classes - 1}")
        arr, w = fit_inputs(arr, sample_weight, "Categorical",
                            lambda a: (a != np.floor(a)) | (a < 0) | (a >= limit), expected)
        if n_classes is None:
            n_classes = int(arr.max()) + 1
        counts = np.bincount(arr.astype(np.intp), weights=w, minlength=n_classes)
        return cls(probs=(counts / counts.sum()).astype(data_dtype(y)))
