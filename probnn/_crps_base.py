"""What every CRPS rule of :mod:`probnn.scoring_rules` builds on: the registry of closed
forms (:func:`register_crps`) and the numerical rule for a law without one
(:func:`crps_numerical`, the quantile-score integral by a tanh-sinh rule, whose quadrature
:func:`_tanh_sinh_rule` and quantiles :func:`_quantiles` the closed forms of a mixture and
:mod:`probnn.survival` reuse). The closed forms themselves are in
:mod:`probnn._crps_continuous` and :mod:`probnn._crps_discrete`; :mod:`probnn.scoring_rules`
imports both (so they are registered) and holds :func:`~probnn.scoring_rules.crps`.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from probnn.distributions import Distribution

_CRPS_REGISTRY: dict[type, Callable] = {}


def register_crps(dist_type: type) -> Callable:
    """Decorator registering ``fn(dist, y) -> CRPS`` (float64) as ``dist_type``'s closed form.

    ``fn`` receives ``y`` as a finite float64 array and returns an array of shape
    ``broadcast(y.shape, dist.batch_shape)``; :func:`crps` casts it to the
    distribution's dtype.

    Examples
    --------
    >>> @register_crps(Normal)          # doctest: +SKIP
    ... def _crps_normal(dist, y): ...
    """
    def decorate(fn: Callable) -> Callable:
        _CRPS_REGISTRY[dist_type] = fn
        return fn
    return decorate


# --------------------------------------------------------------------------
# numerical rule

# Tanh-sinh (double exponential) nodes on (0, 1): t = k h, |t| <= _TS_T; the level
# (1 + tanh(pi/2 sinh t)) / 2 and its distance to 1 are both computed as logistic
# functions, so nodes near either end keep their relative precision. The integrands
# below vanish at the ends like (1 - tau)^(2 - 1/df) for a Student-t tail, which the
# double exponential rule integrates at full speed. The step h starts at 1/8 and halves
# (each level adds the odd multiples of the new step) until every row's sum moves by
# less than _TS_RTOL, or h = 1/128.
_TS_T = 3.5
_TS_LEVELS = 5
_TS_RTOL = 1e-11


# crps_numerical's units for rows whose integral leaves float range: 2^-16 (exact scaling)
_FAR_UNITS = 2.0**-16


def _tanh_sinh(t):
    """Levels (from 0), their distances to 1, and d level / dt at the points ``t``."""
    s = 0.5 * np.pi * np.sinh(t)
    left = special.expit(2.0 * s)
    right = special.expit(-2.0 * s)
    return left, right, np.pi * np.cosh(t) * left * right


def crps_numerical(dist: Distribution, y: ArrayLike) -> NDArray[np.float64]:
    """CRPS by the quantile-score integral, for any distribution with ``cdf`` and ``icdf``.

    ``CRPS(F, y) = 2 int_0^1 QS_tau(F^-1(tau), y) d tau`` with the quantile (pinball)
    score ``QS_tau(q, y) = (1{y < q} - tau)(q - y)`` (Laio & Tamea, "Verification tools
    for probabilistic forecasts of continuous hydrological variables", HESS 11, 2007;
    Gneiting & Ranjan 2011). The integral is split at ``tau = F(y)``, where its
    integrand has a kink, into ``int_0^F(y) tau (y - Q(tau))`` and
    ``int_F(y)^1 (1 - tau)(Q(tau) - y)``, each by a tanh-sinh rule whose step halves
    from 1/8 until the sums agree to 1e-11 (at most 1/128: 897 nodes a piece). The
    factors ``tau`` and ``1 - tau`` are carried exactly; levels that round to 0 or 1
    are left out: for a tail ``1 - F(x) ~ x^-df`` they hold ``O(1e-15^(2 - 1/df))``.
    Accurate to about 1e-10 relative for a smooth quantile function (a mixture of
    components of very different widths included), 1e-6 where the quantile function has
    a kink (a Laplace's median); for a discrete distribution (a step quantile function)
    only to about 1e-3.

    Parameters
    ----------
    dist : Distribution
        With ``cdf`` and ``icdf``; any batch shape.
    y : array-like
        Finite observations, broadcast with the batch shape.

    Returns
    -------
    ndarray of float64, shape broadcast(y.shape, dist.batch_shape)
    """
    y = np.asarray(y, dtype=np.float64)
    shape = np.broadcast_shapes(y.shape, tuple(dist.batch_shape))
    y = np.broadcast_to(y, shape)
    try:
        split = np.broadcast_to(dist._cdf(y), shape)
    except NotImplementedError as exc:
        raise NotImplementedError(
            f"no closed-form CRPS for {type(dist).__name__}, and no cdf to compute it "
            "numerically"
        ) from exc
    above = 1.0 - split  # 1 - F(y); only needs absolute precision here

    def integrand(factor) -> Callable:
        """The pieces in units of ``1 / factor`` (powers of 2, broadcast with ``y``: exact
        scaling)."""
        y_scaled = y * factor

        def pieces(left, right):
            tau = split * left                    # lower piece: tau in (0, F(y))
            q = _quantiles(dist, tau)
            # 0 * inf at a level that rounds to 0 or 1 (F(y) = 0, say): masked
            low = np.where(np.isfinite(q), tau * (y_scaled - q * factor), 0.0)
            gap = above * right                   # upper piece: 1 - tau in (0, 1 - F(y))
            q = _quantiles(dist, 1.0 - gap)
            high = np.where(np.isfinite(q), gap * (q * factor - y_scaled), 0.0)
            # each piece's integrand is >= 0; rounding in Q can leave a tiny negative at a node
            return split * np.maximum(low, 0.0) + above * np.maximum(high, 0.0)

        return pieces

    with np.errstate(invalid="ignore", over="ignore"):
        total = _tanh_sinh_rule(integrand(1.0), len(shape))
        far = ~np.isfinite(total)
        if far.any():
            # a difference Q(tau) - y, or the sum over the nodes, past float range (y = -1.7e308
            # under a scale of 1e307, CRPS 1.6e308): those rows again in units of 2^16, where
            # no difference of finite numbers nor the sum of the rule's <= 897 nodes can
            # overflow; the factor back at the end overflows only where the CRPS itself leaves
            # float range (an honest inf). Other rows keep factor 1: bit-identical.
            factor = np.where(far, _FAR_UNITS, 1.0)
            total = np.where(far, _tanh_sinh_rule(integrand(factor), len(shape)) / factor, total)
        return 2.0 * total


def _tanh_sinh_rule(pieces: Callable, ndim: int, levels: int | None = None) -> NDArray[np.float64]:
    """``int_{-T}^{T} pieces(left(t), right(t)) slope(t) dt`` by the trapezoid rule in t.

    ``pieces`` gets the levels ``left`` and their distances to 1 ``right``, shaped
    (n_nodes,) + (1,) * ndim, and returns the integrand (the pieces' lengths included)
    with n_nodes on the first axis. The step halves from 1/8 (each level adds the odd
    multiples of the new step) until every entry moves by less than _TS_RTOL, at most
    ``levels`` steps (h = 1/8 ... 1/128 by default).
    """
    def nodes_sum(t):
        left, right, slope = (a.reshape((-1,) + (1,) * ndim) for a in _tanh_sinh(t))
        return np.sum(slope * pieces(left, right), axis=0)

    h = 1.0 / 8.0
    raw = nodes_sum(np.arange(-_TS_T, _TS_T + h / 2, h))      # sum over the nodes k h
    total = h * raw
    for _ in range((_TS_LEVELS if levels is None else levels) - 1):
        h /= 2.0
        raw = raw + nodes_sum(np.arange(-_TS_T + h, _TS_T, 2 * h))  # the odd multiples of h
        previous, total = total, h * raw
        if np.all(np.abs(total - previous) <= _TS_RTOL * np.abs(total)):
            break
    return total


def _quantiles(dist: Distribution, levels: NDArray[np.float64]) -> NDArray[np.float64]:
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.asarray(dist._icdf(np.clip(levels, 0.0, 1.0)), dtype=np.float64)
    except NotImplementedError as exc:
        raise NotImplementedError(
            f"no closed-form CRPS for {type(dist).__name__}, and no icdf to compute it "
            "numerically"
        ) from exc
