"""Ordered logistic distribution (cumulative logits) over ordered classes 0..C-1."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import log1mexp, log_sigmoid, sigmoid
from probnn._validation import describe_values
from .base import ClassDistribution, as_param, data_dtype, fit_inputs, param_dtype

__all__ = ["OrderedLogistic", "log1mexp_of_exp"]

# below this log gap, g = e^lg < 2e-9 and log(1 - e^-g) = lg + log1p(-g/2 + g^2/6 - ...)
# = lg - g/2 to within g^2/24 < 2e-19 (the log1mexp of an underflowed g would be -inf)
_SMALL_LOG_GAP = -20.0


def log1mexp_of_exp(log_gap: ArrayLike) -> NDArray[np.float64]:
    """``log(1 - exp(-g))`` for ``g = exp(log_gap)``, finite for every finite ``log_gap``.

    The log of a class's share ``1 - e^{-(c_k - c_{k-1})}`` from the log of its gap:
    :func:`probnn._math.log1mexp` of ``-g`` where ``g`` is not small, and the series
    ``log_gap - g/2`` (error below ``g^2/24``) where it is, which stays finite where ``g``
    itself underflows (``log_gap`` below about -745). ``-inf`` gives ``-inf``, ``+inf`` 0.

    Parameters
    ----------
    log_gap : array-like
        ``log g``, float64.

    Returns
    -------
    ndarray of float64, the shape of ``log_gap``
    """
    lg = np.asarray(log_gap, dtype=np.float64)
    small = lg < _SMALL_LOG_GAP
    with np.errstate(over="ignore"):  # an infinite gap: log1mexp(-inf) = 0
        g = np.exp(np.where(small, 0.0, lg))
    return np.where(small, lg - np.exp(np.minimum(lg, _SMALL_LOG_GAP)) / 2, log1mexp(-g))


class OrderedLogistic(ClassDistribution):
    """Ordered logistic (proportional-odds) distribution on the classes 0..C-1.

    ``P(Y <= k) = sigmoid(c_k - eta)`` for ``k = 0..C-2`` with non-decreasing cut
    points ``c_0 <= ... <= c_{C-2}``, so

        P(Y = k) = sigmoid(c_k - eta) - sigmoid(c_{k-1} - eta)
                 = sigmoid(c_k - eta) sigmoid(eta - c_{k-1}) (1 - exp(-(c_k - c_{k-1})))

    (``c_{-1} = -inf``, ``c_{C-1} = +inf``; the second line is the identity
    ``s(u) - s(l) = s(u) s(-l) (1 - e^{l - u})`` of the logistic function ``s``).
    ``log_prob`` takes the log of the second line term by term
    (``log_sigmoid`` twice and :func:`log1mexp`): no difference of two rounded
    probabilities, so tail classes keep their relative precision.

    Parameters
    ----------
    eta : array-like
        The linear predictor (location on the logit scale), finite.
    cutpoints : array-like of shape (..., C - 1), C >= 2
        Non-decreasing along the last axis; ``-inf`` / ``+inf`` allowed (a class
        of probability 0). Broadcast with ``eta`` to the batch shape.
    log_gaps : array-like of shape (..., C - 2), optional
        ``log(c_k - c_{k-1})``, k = 1..C-2, where the gaps are known more precisely
        than the difference of the rounded cut points: a gap far below the cut
        points' rounding unit (``1e-37`` beside ``-34``) is lost in ``c_k``, and one
        below the smallest float in the gap itself, yet each leaves its class a
        positive probability. ``-inf`` is a gap of 0, ``+inf`` an infinite one.
        By default the differences of ``cutpoints``. Not checked against them:
        the caller vouches that they are the same gaps (``families.ordinal`` passes
        ``log softplus`` of its raw outputs). Broadcast with the batch shape.

    Notes
    -----
    ``mean`` and ``variance`` are those of the class index Y; ``mean`` is the
    tail sum ``sum_k P(Y > k) = sum_k sigmoid(eta - c_k)``. ``probs`` (shape
    batch_shape + (C,)) are the class probabilities (``predict_proba``).
    ``icdf(q)`` is the smallest class k with ``cdf(k) >= q``.
    """

    support = "ordered-classes"

    def __init__(self, eta: ArrayLike, cutpoints: ArrayLike, log_gaps: ArrayLike | None = None):
        self.dtype = param_dtype(eta, cutpoints, *(() if log_gaps is None else (log_gaps,)))
        eta_ = as_param(eta, "eta", "OrderedLogistic")
        cut = as_param(cutpoints, "cutpoints", "OrderedLogistic")
        if not np.isfinite(eta_).all():
            raise ValueError(
                "OrderedLogistic: eta must be finite; found "
                f"{describe_values(eta_[~np.isfinite(eta_)])}"
            )
        if cut.ndim == 0 or cut.shape[-1] == 0:
            raise ValueError(
                "OrderedLogistic: cutpoints need a last axis of C - 1 >= 1 cut points "
                f"(shape (..., C - 1)); found shape {cut.shape}"
            )
        with np.errstate(invalid="ignore"):
            steps = np.diff(cut, axis=-1)  # nan between two equal infinities: not a fall
        bad = steps < 0
        if bad.any():
            raise ValueError(
                "OrderedLogistic: cutpoints must be non-decreasing along the last axis; "
                f"found steps {describe_values(steps[bad])}"
            )
        shape = np.broadcast_shapes(eta_.shape, cut.shape[:-1])
        self.batch_shape = tuple(shape)
        self._eta = np.broadcast_to(eta_, shape)
        self._cut = np.broadcast_to(cut, shape + (cut.shape[-1],))
        self._log_gaps = None
        if log_gaps is not None:
            lg = as_param(log_gaps, "log_gaps", "OrderedLogistic")
            if lg.ndim == 0 or lg.shape[-1] != cut.shape[-1] - 1:
                raise ValueError(
                    "OrderedLogistic: log_gaps need a last axis of C - 2 = "
                    f"{cut.shape[-1] - 1} gaps (shape (..., C - 2)); found shape {lg.shape}"
                )
            self._log_gaps = np.broadcast_to(lg, shape + (lg.shape[-1],))
        self._logp = self._log_probs()

    # ---------------------------------------------------------------- params
    @property
    def n_classes(self) -> int:
        """Number of classes C."""
        return int(self._cut.shape[-1]) + 1

    @property
    def eta(self) -> NDArray[np.floating]:
        """The linear predictor, shape batch_shape."""
        return self._out(self._eta)

    @property
    def cutpoints(self) -> NDArray[np.floating]:
        """Cut points, shape batch_shape + (C - 1,)."""
        return self._out(self._cut)

    @property
    def probs(self) -> NDArray[np.floating]:
        """Class probabilities ``P(Y = k)``, shape batch_shape + (C,)."""
        return self._out(np.exp(self._logp))

    @property
    def log_probs(self) -> NDArray[np.floating]:
        """``log P(Y = k)``, shape batch_shape + (C,)."""
        return self._out(self._logp)

    def _log_probs(self) -> NDArray[np.float64]:
        eta, cut = self._eta[..., None], self._cut
        logp = np.zeros(self.batch_shape + (self.n_classes,))
        logp[..., :-1] += log_sigmoid(cut - eta)  # log P(Y <= k), k < C - 1
        logp[..., 1:] += log_sigmoid(eta - cut)  # log P(Y > k - 1), k > 0
        if self._log_gaps is not None:
            logp[..., 1:-1] += log1mexp_of_exp(self._log_gaps)
            return logp
        # the gap between neighbouring cut points (0 where both are the same infinity)
        lower, upper = cut[..., :-1], cut[..., 1:]
        with np.errstate(invalid="ignore"):
            gap = np.where(upper == lower, 0.0, upper - lower)
        logp[..., 1:-1] += log1mexp(-gap)
        return logp

    # ------------------------------------------------------------- methods
    def _cdf(self, y):
        shape = np.broadcast_shapes(y.shape, self.batch_shape)
        y = np.broadcast_to(y, shape)
        k = np.floor(y)
        inside = (k >= 0) & (k < self.n_classes - 1)
        idx = np.where(inside, k, 0).astype(np.intp)
        cut = np.broadcast_to(self._cut, shape + (self.n_classes - 1,))
        c = np.take_along_axis(cut, idx[..., None], axis=-1)[..., 0]
        below = sigmoid(c - np.broadcast_to(self._eta, shape))
        return np.where(inside, below, np.where(k < 0, 0.0, 1.0))

    def _cumulative(self, extra: int) -> NDArray[np.float64]:
        """``P(Y <= k)``, k = 0..C-2, shaped (1,)*extra + batch_shape + (C - 1,)."""
        cdf = sigmoid(self._cut - self._eta[..., None])
        return cdf.reshape((1,) * extra + cdf.shape)

    def _icdf(self, q):
        shape = np.broadcast_shapes(q.shape, self.batch_shape)
        extra = len(shape) - len(self.batch_shape)
        cdf = self._cumulative(extra)
        return np.sum(cdf < np.broadcast_to(q, shape)[..., None], axis=-1).astype(np.float64)

    def _mean(self):
        return np.sum(sigmoid(self._eta[..., None] - self._cut), axis=-1)

    def _variance(self):
        k = np.arange(self.n_classes, dtype=np.float64)
        p = np.exp(self._logp)
        return np.sum(p * (k - self._mean()[..., None]) ** 2, axis=-1)

    def _entropy(self):
        p = np.exp(self._logp)
        return -np.sum(np.where(p > 0, p * self._logp, 0.0), axis=-1)

    def _sample(self, shape, rng):
        # inverse cdf: Y = the number of cut levels P(Y <= k) at or below a uniform u
        cdf = self._cumulative(len(shape) - len(self.batch_shape))
        u = rng.random(shape)[..., None]
        return np.sum(cdf <= u, axis=-1).astype(np.float64)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None,
            n_classes: int | None = None) -> "OrderedLogistic":
        """Maximum likelihood for i.i.d. classes: ``eta = 0``, ``c_k = logit(F_k)``.

        The model without covariates is any distribution on 0..C-1, so the MLE
        matches the weighted class frequencies; with ``eta`` fixed at 0 (only
        ``c_k - eta`` is identified) the cut points are the logits of the
        cumulative frequencies ``F_k`` (``-inf`` / ``+inf`` where ``F_k`` is 0 / 1).

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Integer classes 0..C-1.
        sample_weight : array-like of shape (n_samples,), optional
        n_classes : int, optional
            C; defaults to max(y) + 1 (at least 2).

        Returns
        -------
        OrderedLogistic with batch_shape ()
        """
        limit = np.inf if n_classes is None else n_classes
        expected = ("integer classes >= 0" if n_classes is None
                    else f"integer classes in 0..{n_classes - 1}")
        arr, w = fit_inputs(y, sample_weight, "OrderedLogistic",
                            lambda a: (a != np.floor(a)) | (a < 0) | (a >= limit), expected)
        if n_classes is None:
            n_classes = max(int(arr.max()) + 1, 2)
        freq = np.bincount(arr.astype(np.intp), weights=w, minlength=n_classes) / w.sum()
        below = np.cumsum(freq)[:-1]
        above = np.cumsum(freq[::-1])[::-1][1:]  # 1 - F_k without the cancellation
        with np.errstate(divide="ignore"):
            cut = np.log(below) - np.log(above)
        dtype = data_dtype(y)
        return cls(eta=np.zeros((), dtype=dtype), cutpoints=cut.astype(dtype))
