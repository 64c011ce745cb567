"""Hurdle counts: zero with probability pi, else a count law truncated at zero.

``P(0) = pi``, ``P(y) = (1 - pi) p_B(y) / (1 - p_B(0))`` for ``y > 0``, with
``pi = sigmoid(zero_logit)``. Every zero is structural; the positive counts are ``B``
conditioned on ``B > 0``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import log1mexp
from .base import Distribution, count_quantile
from .negative_binomial import NegativeBinomial
from .poisson import Poisson
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
    at ``q > pi`` is ``B``'s at ``p_B(0) + (q - pi) / (1 - pi) (1 - p_B(0))`` (at least 1),
    above ``B``'s median in survival form (:meth:`_upper_icdf`); mean ``(1 - pi) E[B] / (1 -
    p_B(0))``.
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
        # where p_B(0) > 1/2 the difference F_B(y) - p_B(0) keeps 1e-16 / (1 - p_B(0)) of
        # absolute error (1e-7 at a rate of 1e-9): there 1 - S_B(y) / S_B(0) instead
        tails = (b0 > 0.5) & (np.floor(y) >= 0) & np.isfinite(y)
        tails &= type(self.base) in _EXACT_TAILS
        if np.any(tails):
            y, log_b_pos = np.broadcast_arrays(y, self._log_b_pos)
            base = _base_rows(self.base, tails.shape, tails)
            ratio = np.exp(base._log_sf(np.floor(y[tails])) - log_b_pos[tails])
            inner = np.array(np.broadcast_to(inner, tails.shape), dtype=np.float64)
            inner[tails] = np.clip(1.0 - ratio, 0.0, 1.0)
        pi = np.exp(self._log_pi)
        return np.where(np.floor(y) < 0, 0.0, pi + np.exp(self._log_not_pi) * inner)

    def _icdf(self, q):
        pi = np.exp(self._log_pi)
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.clip((q - pi) / np.exp(self._log_not_pi), 0.0, 1.0)
            level = np.clip(np.exp(self._log_b0) + u * np.exp(self._log_b_pos), 0.0, 1.0)
            # above B's median its tail in survival form (a Poisson's or NB2's exact tail)
            upper = (level > 0.5) & (q > pi) & (q < 1.0) & (type(self.base) in _EXACT_TAILS)
            counts = self.base._icdf(np.where(upper, 0.5, level))
        if np.any(upper):
            counts = np.array(counts, dtype=np.float64)
            counts[upper] = self._upper_icdf(q, level, upper)
        return np.where(q <= pi, 0.0, np.maximum(counts, 1.0))

    def _upper_icdf(self, q, level, rows):
        """The smallest k with ``S_B(k) <= (1 - q) (1 - p_B(0)) / (1 - pi)`` at the ``rows``
        (a boolean mask of q's broadcast shape), in logs.

        ``cdf(k) >= q`` is ``S(k) = (1 - pi) S_B(k) / (1 - p_B(0)) <= 1 - q``: ``1 - q`` is
        exact near 1, where ``level = 1 - (1 - q)(1 - p_B(0)) / (1 - pi)`` rounds to 1 once
        that is below 1e-16 (a count law with ``p_B(0) ~ 1``: B's quantile at 1 is inf).
        ``level`` only places count_quantile's first guess: the test it bisects is 0 or 1.
        """
        shape = rows.shape
        q, level, log_b_pos, log_not_pi = (np.broadcast_to(v, shape)[rows] for v in (
            q, level, self._log_b_pos, self._log_not_pi))
        log_target = np.log1p(-q) + log_b_pos - log_not_pi
        base = _base_rows(self.base, shape, rows)

        def reached(k):
            return (base._log_sf(k) <= log_target).astype(np.float64)

        guess_level = np.clip(level, 0.5, np.nextafter(1.0, 0.0))
        mean, sd = (np.broadcast_to(v, q.shape) for v in (base._mean(), base._stddev()))
        return count_quantile(reached, guess_level, mean, sd, np.zeros(q.shape))

    def _sample(self, shape, rng):
        zero = rng.random(shape) < np.broadcast_to(np.exp(self._log_pi), shape)
        b0 = np.broadcast_to(np.exp(self._log_b0), shape)
        level = b0 + rng.random(shape) * (1 - b0)  # B truncated at 0, by its quantile
        counts = np.maximum(self.base._icdf(level), 1.0)
        return np.where(zero, 0.0, counts)


_EXACT_TAILS = (Poisson, NegativeBinomial)


def _base_rows(base: Poisson | NegativeBinomial, shape, rows) -> Poisson | NegativeBinomial:
    """The count law ``base`` broadcast to ``shape`` at the boolean mask ``rows``."""
    def flat(v):
        return np.broadcast_to(v, shape)[rows]

    if type(base) is Poisson:
        return Poisson(rate=flat(base._rate))
    return NegativeBinomial(mean=flat(base._mu), dispersion=flat(base._alpha))

