"""Counts with excess zeros: a zero-inflated version of a count distribution.

With a count law ``B`` (Poisson, negative binomial; ``p_B(0)`` its zero mass) and a
probability ``pi = sigmoid(zero_logit)`` of a structural zero:
``P(0) = pi + (1 - pi) p_B(0)``, ``P(y) = (1 - pi) p_B(y)`` for ``y > 0``.
Everything is computed from ``zero_logit`` and ``B``'s log-probabilities
(``log pi = log_sigmoid(zero_logit)``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import log_sigmoid, sigmoid
from .base import Distribution, as_param, param_dtype, stddev_in_range

__all__ = ["ZeroInflated", "ZeroPart"]


class ZeroPart(Distribution):
    """The shared part of a count law with its own probability of zero, ``pi =
    sigmoid(zero_logit)``, beside a count law ``B`` (:class:`ZeroInflated`, :class:`Hurdle`):
    the parameters in log space, and the moments from ``B``'s through ``_log_keep``."""

    support = "count"

    def __init__(self, base: Distribution, zero_logit: ArrayLike):
        self.base = base
        logit = as_param(zero_logit, "zero_logit", type(self).__name__)
        self._logit = np.broadcast_to(logit, base.batch_shape).astype(np.float64)
        self.dtype = base.dtype if param_dtype(zero_logit) == base.dtype else np.dtype(np.float64)
        self.batch_shape = tuple(base.batch_shape)
        self._log_pi = log_sigmoid(self._logit)  # log pi
        self._log_not_pi = log_sigmoid(-self._logit)  # log(1 - pi)
        self._log_b0 = np.asarray(base._log_prob(np.zeros(self.batch_shape)), dtype=np.float64)

    @property
    def zero_probability(self) -> NDArray[np.floating]:
        """``pi = sigmoid(zero_logit)``, shape batch_shape."""
        return self._out(sigmoid(self._logit))

    @property
    def zero_logit(self) -> NDArray[np.floating]:
        """``logit(pi)``, shape batch_shape."""
        return self._out(self._logit)

    def _log_keep(self):
        """``log P(Y = y) - log p_B(y)`` for ``y > 0``."""
        raise NotImplementedError

    def _moments(self):
        """``E[Y]`` and ``E[Y^2]`` (zeros add nothing to either): ``B``'s, times the
        factor ``exp(_log_keep())`` that maps ``B``'s positive mass to this law's."""
        m = self.base._mean()
        keep = np.exp(self._log_keep())
        return keep * m, keep * (self.base._variance() + m * m)

    def _entropy(self):
        """``-sum_y P(y) log P(y)`` over the counts up to the quantile ``1 - 1e-15`` (of a
        zero-inflated or a hurdle law alike)."""
        top = float(np.max(self._icdf(np.full(self.batch_shape, 1 - 1e-15)), initial=0.0))
        ys = np.arange(top + 1).reshape((-1,) + (1,) * len(self.batch_shape))
        lp = self._log_prob(np.broadcast_to(ys, ys.shape[:1] + self.batch_shape).astype(float))
        finite = np.isfinite(lp)
        return -np.sum(np.where(finite, np.exp(lp) * lp, 0.0), axis=0)

    def _mean(self):
        return self._moments()[0]

    def _variance(self):
        """``k Var B + k (1 - k) E[B]^2`` with ``k = exp(_log_keep())``: the same as
        ``E[Y^2] - E[Y]^2`` without its cancellation (a rate of 1e17 with P(0) ~ 1e-26 gave
        0), ``1 - k`` by ``expm1``."""
        keep, spread = self._variance_terms()
        m = self.base._mean()
        with np.errstate(over="ignore"):  # inf past float max (``_stddev`` stays in range)
            return np.maximum(keep * self.base._variance() + spread * m * m, 0.0)

    def _variance_terms(self):
        """``k`` and ``k (1 - k)`` of :meth:`_variance`."""
        log_keep = self._log_keep()
        keep = np.exp(log_keep)
        return keep, keep * -np.expm1(log_keep)

    def _stddev(self):
        """``sqrt(variance)``; where that leaves float range, from ``B``'s standard deviation
        and mean in scaled units (``stddev_in_range``)."""
        keep, spread = self._variance_terms()
        return stddev_in_range(self._variance(), [keep, spread],
                               [self.base._stddev(), self.base._mean()])  # fmt: skip


class ZeroInflated(ZeroPart):
    """A count distribution with a separate probability of a structural zero.

    Parameters
    ----------
    base : Distribution
        The count law ``B`` (``Poisson`` or ``NegativeBinomial``), batch shape S.
    zero_logit : array-like, broadcast to S
        ``logit(pi)``, pi the probability of a structural zero.

    Notes
    -----
    ``cdf(y) = pi + (1 - pi) F_B(y)`` for ``y >= 0``; the quantile at ``q`` is 0 up to
    ``P(0)`` and above it ``B``'s quantile at ``(q - pi) / (1 - pi)`` (``B``'s own
    search, so any rate works); mean ``(1 - pi) E[B]``, variance
    ``(1 - pi) (Var B + E[B]^2) - ((1 - pi) E[B])^2``.
    """

    def _log_keep(self):
        return self._log_not_pi

    def _log_prob(self, y):
        valid = (y >= 0) & (y == np.floor(y)) & np.isfinite(y)
        ys = np.where(valid, y, 1.0)
        positive = self._log_keep() + self.base._log_prob(ys)
        zero = np.logaddexp(self._log_pi, self._log_not_pi + self._log_b0)
        out = np.where(ys == 0, zero, positive)
        return np.where(valid, out, -np.inf)

    def _cdf(self, y):
        pi = np.exp(self._log_pi)
        return np.where(np.floor(y) < 0, 0.0, pi + np.exp(self._log_not_pi) * self.base._cdf(y))

    def _icdf(self, q):
        """Smallest count with ``cdf >= q``: 0 up to ``P(0)``, else the count law's quantile."""
        pi = np.exp(self._log_pi)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.clip((q - pi) / np.exp(self._log_not_pi), 0.0, 1.0)
        p0 = np.exp(np.logaddexp(self._log_pi, self._log_not_pi + self._log_b0))
        return np.where(q <= p0, 0.0, np.maximum(self.base._icdf(u), 1.0))

    def _sample(self, shape, rng):
        pi = np.broadcast_to(np.exp(self._log_pi), shape)
        structural = rng.random(shape) < pi
        return np.where(structural, 0.0, self.base._sample(shape, rng))
