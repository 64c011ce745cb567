"""Continuous distributions scored as probabilities of integers.

A density and a probability are different kinds of number: on integer targets
a continuous family's density at ``y`` cannot be ranked against a Poisson's
probability of ``y``. :func:`integer_log_prob` gives the continuous family's
probability of the integer instead, ``P(y - 1/2 < Y <= y + 1/2) =
cdf(y + 1/2) - cdf(y - 1/2)`` (the distribution of ``Y`` rounded to the
nearest integer), computed in log space so that rows far in a tail keep their
(tiny) probability rather than rounding to ``log 0``.

The families here (Normal, Laplace, Student-t) are symmetric about ``loc``; an
interval above ``loc`` is reflected below it, so both cdfs are lower-tail
values, which are accurate in log space. Then
``log(F(b) - F(a)) = log F(b) + log1mexp(log F(a) - log F(b))``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from probnn._math import log1mexp

__all__ = ["integer_log_prob"]

_LN2 = float(np.log(2.0))


def _standard_log_cdf(dist, z: np.ndarray) -> np.ndarray:
    """log F(z) of the standardised distribution, for z <= 0 mostly (any z works)."""
    from probnn.distributions import Laplace, Normal, StudentT

    if isinstance(dist, Normal):
        return special.log_ndtr(z)
    if isinstance(dist, Laplace):
        # F(z) = exp(z) / 2 for z <= 0, 1 - exp(-z) / 2 above
        with np.errstate(over="ignore"):
            return np.where(z <= 0, z - _LN2, np.log1p(-0.5 * np.exp(-np.abs(z))))
    if isinstance(dist, StudentT):
        from probnn.distributions.studentt import _SQUARE_SAFE, _STDTR_TINY, standard_log_cdf_sf

        df = np.asarray(dist.df, dtype=np.float64)
        with np.errstate(divide="ignore"):
            out = np.log(special.stdtr(df, z))
        # stdtr is 0 beyond |z| ~ 1e154 and subnormal below 1e-290: the log form there
        redo = (out < np.log(_STDTR_TINY)) | (np.abs(z) > _SQUARE_SAFE)
        if np.any(redo):
            df_b, z_b = np.broadcast_arrays(df, z)
            out = np.array(np.broadcast_to(out, z_b.shape), dtype=np.float64)
            redo = np.broadcast_to(redo, z_b.shape) & np.isfinite(z_b)
            out[redo] = standard_log_cdf_sf(df_b[redo], z_b[redo])[0]
        return out
    raise TypeError(
        f"expected a Normal, Laplace or StudentT distribution to score on integers; found "
        f"{type(dist).__name__}"
    )


def integer_log_prob(dist, y: ArrayLike) -> NDArray[np.float64]:
    """``log P(y - 1/2 < Y <= y + 1/2)`` for a continuous ``dist`` and integers ``y``.

    Parameters
    ----------
    dist : Distribution with a cdf
        Batch shape ``(n,)`` (or broadcastable with ``y``). Normal, Laplace and
        StudentT are computed in log space from reflected lower tails; a
        ``Mixture`` as the log-sum-exp of its components' log-probabilities;
        any other from the difference of its cdf.
    y : array-like of shape (n,)
        Integer-valued targets.

    Returns
    -------
    ndarray of shape (n,), float64
        The log-probability of each integer under ``dist`` rounded to the
        nearest integer; always <= 0 and finite unless the probability is
        below the smallest float (about 1e-308).
    """
    from probnn.distributions import Laplace, Mixture, Normal, StudentT

    y = np.asarray(y, dtype=np.float64)
    if isinstance(dist, Mixture):
        # P(interval) = sum_k w_k P_k(interval): a log-sum-exp of the components' log-probabilities
        terms = [integer_log_prob(c, y) for c in dist.components]
        log_w = np.asarray(dist.logits, dtype=np.float64)
        return special.logsumexp(log_w + np.stack(np.broadcast_arrays(*terms)), axis=0)
    if not isinstance(dist, (Normal, Laplace, StudentT)):
        # any other distribution with a cdf: the difference of its cdfs (exact in the lower
        # tail; in a far upper tail the difference of two numbers near 1 loses its digits)
        with np.errstate(divide="ignore"):
            return np.log(np.maximum(np.asarray(dist.cdf(y + 0.5), dtype=np.float64)
                                     - np.asarray(dist.cdf(y - 0.5), dtype=np.float64), 0.0))
    loc = np.asarray(dist.loc, dtype=np.float64)
    scale = np.asarray(dist.scale, dtype=np.float64)
    a = (y - 0.5 - loc) / scale
    b = (y + 0.5 - loc) / scale
    # reflect intervals above the centre below it (symmetric families): [a, b] -> [-b, -a]
    upper = a > 0
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    log_hi = _standard_log_cdf(dist, hi)
    log_lo = _standard_log_cdf(dist, lo)
    with np.errstate(invalid="ignore"):
        return log_hi + log1mexp(np.minimum(log_lo - log_hi, 0.0))
