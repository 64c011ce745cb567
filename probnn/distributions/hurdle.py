"""Hurdle counts: zero with probability pi, else a count law truncated at zero.

``P(0) = pi``, ``P(y) = (1 - pi) p_B(y) / (1 - p_B(0))`` for ``y > 0``, with
``pi = sigmoid(zero_logit)``. Every zero is structural; the positive counts are ``B``
conditioned on ``B > 0``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log1mexp
from .base import Distribution
from .zero_inflated import ZeroPart

__all__ = ["Hurdle"]


class Hurdle(ZeroPart):
    """A hurdle count distribution.

    Parameters
    ----------
    base : Distribution
        The count law ``B`` (``Poisson``), batch shape S.
    zero_logit : array-like, broadcast to S
        ``logit(pi)``, pi the probability of zero.

    Notes
    -----
    ``cdf(y) = pi + (1 - pi) (F_B(y) - p_B(0)) / (1 - p_B(0))`` for ``y >= 0``; the quantile
    at ``q > pi`` is ``B``'s at ``p_B(0) + (q - pi) / (1 - pi) (1 - p_B(0))`` (at least 1);
    mean ``(1 - pi) E[B] / (1 - p_B(0))``.
    """

    def __init__(self, base: Distribution, zero_logit: ArrayLike):
        super().__init__(base, zero_logit)
        self._log_b_pos = log1mexp(self._log_b0)  # log(1 - p_B(0))

    def _log_keep(self):
        return self._log_not_pi - self._log_b_pos

    def _log_prob(self, y):
        valid = (y >= 0) & (y == np.floor(y)) & np.isfinite(y)
        ys = np.where(valid, y, 1.0)
        positive = self._log_keep() + self.base._log_prob(ys)
        out = np.where(ys == 0, self._log_pi + 0 * positive, positive)
        return np.where(valid, out, -np.inf)

    def _cdf(self, y):
        b0 = np.exp(self._log_b0)
        with np.errstate(invalid="ignore"):
            inner = np.clip((self.base._cdf(y) - b0) / np.exp(self._log_b_pos), 0.0, 1.0)
        pi = np.exp(self._log_pi)
        return np.where(np.floor(y) < 0, 0.0, pi + np.exp(self._log_not_pi) * inner)

    def _icdf(self, q):
        pi = np.exp(self._log_pi)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.clip((q - pi) / np.exp(self._log_not_pi), 0.0, 1.0)
            level = np.clip(np.exp(self._log_b0) + u * np.exp(self._log_b_pos), 0.0, 1.0)
        return np.where(q <= pi, 0.0, np.maximum(self.base._icdf(level), 1.0))

    def _sample(self, shape, rng):
        zero = rng.random(shape) < np.broadcast_to(np.exp(self._log_pi), shape)
        b0 = np.broadcast_to(np.exp(self._log_b0), shape)
        level = b0 + rng.random(shape) * (1 - b0)  # B truncated at 0, by its quantile
        counts = np.maximum(self.base._icdf(level), 1.0)
        return np.where(zero, 0.0, counts)
