"""The continuous ranked probability score (CRPS) of a predictive distribution.

``CRPS(F, y) = int (F(x) - 1{x >= y})^2 dx``: the squared distance between the
predicted cdf and the step of the observation, in the units of ``y`` (lower is
better; 0 only for a point mass at ``y``). It equals ``E|X - y| - E|X - X'| / 2``
for X, X' independent draws from F (Gneiting & Raftery, "Strictly proper scoring
rules, prediction, and estimation", JASA 102, 2007, eq. 21), and, for a
distribution on the integers, the (unnormalised) ranked probability score
``sum_k (F(k) - 1{y <= k})^2`` at an integer ``y``.

Closed forms are kept in a registry keyed by the distribution's type, as the KL
divergences of :mod:`probnn.information` are; :func:`register_crps` adds one.
A distribution without one is scored numerically (:func:`crps_numerical`): by the
quantile-score integral over the levels, for any distribution with a ``cdf`` and an
``icdf``. A location-scale distribution mapped by ``affine(shift, scale)`` (a
model trained on a standardised target) is again of its own type, so its CRPS is
the closed form in ``y``'s units: ``scale`` times the standardised one.

The rules live by the kind of law: the registry and the numerical rule in
:mod:`probnn._crps_base`, the continuous closed forms in :mod:`probnn._crps_continuous`, the
laws on the integers in :mod:`probnn._crps_discrete`; here :func:`crps` and the mixture's rule,
which reads both kinds.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._crps_base import (_CRPS_REGISTRY, _quantiles, _tanh_sinh_rule, crps_numerical,
                               register_crps)
from probnn._crps_continuous import (_HALF_GINI, _MEAN_ABS, _STUDENT_CLOSED_DF, _abs_normal,
                                     lognormal_mixture_crps)
from probnn._crps_discrete import _INTEGER_VALUED, _crps_count_mixture, _crps_integers
from probnn._crps_mixture import mixture_half_gini
from probnn._validation import describe_rows, describe_values
from probnn.distributions import (Distribution, Hurdle, LogNormal, Mixture, NegativeBinomial,
                                  Normal, Poisson, StudentT, ZeroInflated)

__all__ = ["crps", "crps_numerical", "register_crps"]


def crps(dist: Distribution, y: ArrayLike) -> NDArray[np.floating]:
    """Continuous ranked probability score of observations under predictive distributions.

    ``CRPS(F, y) = int (F(x) - 1{x >= y})^2 dx = E|X - y| - E|X - X'| / 2``, in the
    units of ``y``; lower is better. Closed forms: Normal, Laplace, Student-t (df >= 1.01),
    Gamma, LogNormal, Beta, a Mixture of Normals (of LogNormals), Poisson, NegativeBinomial,
    Bernoulli (the Brier score ``(p - y)^2``) and OrderedLogistic (the ranked probability score
    ``sum_k (F(k) - 1{y <= k})^2`` over the class indices). Other laws on the counts
    (zero-inflated, hurdle) are summed over the integers by their cdf. A Mixture of the other
    continuous ones gets its cross terms ``E|X_i - X_j'|`` by one-dimensional quadrature
    (above 8 components ``E|X - X'| / 2`` as one integral of ``F (1 - F)``), a Mixture of
    count laws the sum over the integers. Other distributions with a
    ``cdf`` and an ``icdf`` are scored by :func:`crps_numerical`.

    Parameters
    ----------
    dist : Distribution
        Predictive distributions, batch shape ``(n_samples,)`` (any batch shape works).
    y : array-like
        Finite observations, broadcast with ``dist.batch_shape`` (for classes: the class
        index ``0..C-1``; for a Bernoulli: 0 or 1).

    Returns
    -------
    ndarray of shape broadcast(y.shape, dist.batch_shape)
        In ``dist``'s dtype; ``inf`` where the distribution has no finite CRPS
        (a Student-t with df <= 1/2).

    Raises
    ------
    ValueError
        For non-finite ``y``, and for a Categorical: its classes have no order, so
        the CRPS is not defined (score it by its NLL or Brier score instead).
    NotImplementedError
        For a distribution with no closed form and no ``cdf`` / ``icdf``.

    Examples
    --------
    >>> import probnn
    >>> round(float(probnn.crps(probnn.Normal(0.0, 1.0), 0.0)), 6)   # (sqrt(2) - 1) / sqrt(pi)
    0.233695
    """
    if not isinstance(dist, Distribution):
        raise TypeError(f"crps expects a probnn Distribution; found {type(dist).__name__}")
    y = _observations(y)
    try:
        np.broadcast_shapes(y.shape, tuple(dist.batch_shape))
    except ValueError:
        raise ValueError(
            f"crps: observations y of shape {y.shape} do not broadcast with the distribution's "
            f"batch shape {tuple(dist.batch_shape)}"
        ) from None
    # a count law without a closed form (a zero-inflated or hurdle law) is summed over
    # the integers by its cdf, exactly; the quantile rule resolves a step function only
    # to about 1e-3
    default = _crps_integers if getattr(dist, "support", "real") == "count" else crps_numerical
    fn = _CRPS_REGISTRY.get(type(dist), default)
    return dist._out(fn(dist, y))


def _observations(y: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"crps expects numeric observations y; found {y!r}") from exc
    bad = ~np.isfinite(arr)
    if bad.any():
        where = f" at {describe_rows(bad)}" if arr.ndim == 1 else ""
        raise ValueError(
            f"crps expects finite observations y; found {describe_values(arr[bad])}{where}"
        )
    return arr


# --------------------------------------------------------------------------
# mixtures

# Above this many components a mixture's E|X - X'| / 2 is one integral of F (1 - F) over x
# (probnn._crps_mixture: O(K) cdfs per node) instead of K (K - 1) / 2 pairwise cross terms
_PAIRWISE_MAX_COMPONENTS = 8
# its integrand has kinks in its second derivative (a Laplace's mode): down to h = 1/512
_MIXTURE_TS_LEVELS = 7


@register_crps(Mixture)
def _crps_mixture(dist: Mixture, y):
    """``sum_i w_i E|X_i - y| - 1/2 sum_ij w_i w_j E|X_i - X_j'|`` (Grimit, Gneiting, Berrocal &
    Johnson, QJRMS 132, 2006, eq. 5): for Normals every term in closed form; for other
    continuous components with closed forms (and finite means) the cross terms
    ``E|X_i - X_j'| = E[A_j(X_i)]`` (``A_j(z) = E|X_j - z|``) are one-dimensional integrals
    over X_i's quantiles (:func:`_cross_mean_abs`); above _PAIRWISE_MAX_COMPONENTS components
    (a Laplace posterior's predictive has 100) ``E|X - X'| / 2 = int F (1 - F) dx`` instead,
    one integral over x with the K cdfs per node (:func:`probnn._crps_mixture.mixture_half_gini`,
    1e-9 relative). A mixture of LogNormals holding a component with ``s >= 1`` by
    :func:`probnn._crps_continuous.lognormal_mixture_crps` (closed form, no cancellation). A
    mixture of count distributions by the sum over the integers; any other mixture by
    :func:`crps_numerical`."""
    if any(isinstance(c, Mixture) for c in dist.components):
        # a Laplace predictive of a mixture family (100 mixtures of K): one mixture of its
        # leaves, by the kernel form (an integral of F (1 - F) above _PAIRWISE_MAX_COMPONENTS),
        # where the nested one went to crps_numerical (each quantile a bisection of the
        # nested cdf: 633 of a 300-row mixture-normal fit's 755 s under cProfile)
        dist = _flattened(dist)
        if all(type(c) in _MEAN_ABS and _finite_mean(c) for c in dist.components):
            shape = np.broadcast_shapes(y.shape, dist.batch_shape)
            return _crps_kernel_mixture(dist, np.exp(dist._w_for(len(shape))), y)
    comps = dist.components
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    w = np.exp(dist._w_for(len(shape)))                     # (K, ...)
    if all(type(c) is Normal for c in comps):
        mu = np.stack([np.broadcast_to(c._loc, dist.batch_shape) for c in comps])
        sd = np.stack([np.broadcast_to(c._scale, dist.batch_shape) for c in comps])
        mu = mu.reshape(w.shape[:1] + (1,) * (w.ndim - mu.ndim) + mu.shape[1:])
        sd = sd.reshape(mu.shape)
        first = np.sum(w * _abs_normal(mu - y, sd), axis=0)
        return first - 0.5 * _normal_pairs(w, mu, sd, len(comps))
    if all(type(c) in (NegativeBinomial, Poisson) or (type(c) in (Hurdle, ZeroInflated) and type(
            c.base) in (NegativeBinomial, Poisson)) for c in comps):
        return _crps_count_mixture(dist, y)
    if all(type(c) in _INTEGER_VALUED or getattr(c, "support", None) == "count" for c in comps):
        return _crps_integers(dist, y, dist.lattice_cdf)
    if all(type(c) is LogNormal for c in comps):
        wide = _lognormal_mixture_wide(dist, y, shape)
        if wide is not None:
            return wide
    if all(type(c) in _MEAN_ABS and _finite_mean(c) for c in comps):
        return _crps_kernel_mixture(dist, w, y)
    return crps_numerical(dist, y)


def _normal_pairs(w, mu, sd, k: int):
    """``sum_ij w_i w_j E|X_i - X_j'|`` of Normal components (weights, locations, scales of
    shape (K, ...)): every pair at once up to _PAIRWISE_MAX_COMPONENTS components, one
    component's row of pairs at a time above (K x K x rows at once took 2.3 GB for a 100-draw
    Laplace predictive on 5,000 rows; K x rows now)."""
    # hypot: sd^2 underflows to 0 below ~1e-154 (0 / 0 = nan) and overflows above ~1e154
    if k <= _PAIRWISE_MAX_COMPONENTS:
        pair = _abs_normal(mu[:, None] - mu[None, :], np.hypot(sd[:, None], sd[None, :]))
        return np.sum(w[:, None] * w[None, :] * pair, axis=(0, 1))
    return sum(w[i] * np.sum(w * _abs_normal(mu[i] - mu, np.hypot(sd[i], sd)), axis=0)
               for i in range(k))


def _flattened(dist: Mixture) -> Mixture:
    """A mixture of mixtures as one mixture of its leaves, weights multiplied."""
    shape = dist.batch_shape
    leaves, log_w = [], []
    for outer, c in zip(dist._w_for(len(shape)), dist.components):
        inner = _flattened(c) if isinstance(c, Mixture) else None
        for lw, leaf in (zip(inner._w_for(len(shape)), inner.components) if inner is not None
                         else [(0.0, c)]):  # fmt: skip
            leaves.append(leaf)
            log_w.append(np.broadcast_to(outer + lw, shape))
    return Mixture(leaves, logits=np.stack(log_w))


def _crps_kernel_mixture(dist: Mixture, w, y):
    """``sum_i w_i E|X_i - y| - E|X - X'| / 2`` for components with closed forms (see
    :func:`_crps_mixture`): the pairs' cross terms, or one integral above
    _PAIRWISE_MAX_COMPONENTS components."""
    comps = dist.components
    k = len(comps)
    first = sum(w[i] * _MEAN_ABS[type(c)](c, y) for i, c in enumerate(comps))
    if k > _PAIRWISE_MAX_COMPONENTS:
        half = mixture_half_gini(comps, dist._w_for(len(dist.batch_shape)), dist.batch_shape,
                                 partial(_tanh_sinh_rule, levels=_MIXTURE_TS_LEVELS))
        if half is not None:
            return first - half
    # the same pairs' E|X_i - X_j'| in both orders: 2 x the pairs i < j, plus i = j
    second = sum(w[i] * w[i] * 2.0 * np.broadcast_to(_HALF_GINI[type(c)](c), dist.batch_shape)
                 for i, c in enumerate(comps))
    for i in range(k):
        for j in range(i + 1, k):
            second = second + 2.0 * w[i] * w[j] * _cross_mean_abs(comps[i], comps[j])
    return first - 0.5 * second


def _lognormal_mixture_wide(dist: Mixture, y, shape):
    """A LogNormal mixture's CRPS by :func:`lognormal_mixture_crps` where a row holds a
    component with ``s >= 1`` (the kernel form's terms, of the size of the mean, cancel: 1e-3
    relative lost at s = 10, all at 20), the kernel form's on the other rows (which keeps every
    digit of a small ``s``); None where no row holds one."""
    mu, s, log_w = (np.stack([np.broadcast_to(a, shape) for a in arrays]) for arrays in (
        [c._loc for c in dist.components], [c._scale for c in dist.components],
        list(dist._w_for(len(shape)))))  # fmt: skip
    y = np.broadcast_to(y, shape)
    wide = np.max(s, axis=0) >= 1.0
    if not wide.any():
        return None
    out = lognormal_mixture_crps(log_w, mu, s, y)
    if not wide.all():  # the narrow rows alone, as a mixture of their own
        narrow = ~wide
        part = Mixture([LogNormal(loc=m[narrow], scale=sd[narrow]) for m, sd in zip(mu, s)],
                       logits=log_w[:, narrow])
        out[narrow] = _crps_kernel_mixture(part, np.exp(log_w[:, narrow]), y[narrow])
    return out


def _finite_mean(dist: Distribution) -> bool:
    # the cross terms subtract |z - mean|; a Student-t needs df >= 1.01 for its closed form
    return not isinstance(dist, StudentT) or bool(np.all(dist._df >= _STUDENT_CLOSED_DF))


def _cross_mean_abs(first: Distribution, second: Distribution) -> NDArray[np.float64]:
    """``E|X - X'|`` for independent X ~ first, X' ~ second, batch-shaped.

    ``E[A(X)]`` with ``A(z) = E|X' - z|``, written ``E|X - m'| + E[R(X)]``, ``m'`` = E[X'] and
    ``R(z) = A(z) - |z - m'| >= 0``: the first term is ``first``'s closed form at ``m'``, the
    second bounded and decaying in the tails, integrated over ``first``'s quantile levels on
    each side of ``F(m')`` (where R has a kink) by the tanh-sinh rule.
    """
    shape = np.broadcast_shapes(tuple(first.batch_shape), tuple(second.batch_shape))
    centre = np.broadcast_to(np.asarray(second._mean(), dtype=np.float64), shape)
    split = np.broadcast_to(first._cdf(centre), shape)
    above = 1.0 - split
    mean_abs = _MEAN_ABS[type(second)]

    def rest(z):
        with np.errstate(invalid="ignore"):
            r = mean_abs(second, z) - np.abs(z - centre)
        return np.where(np.isfinite(z), np.maximum(r, 0.0), 0.0)

    def pieces(left, right):
        low = rest(_quantiles(first, split * left))
        high = rest(_quantiles(first, 1.0 - above * right))
        return split * low + above * high

    return _MEAN_ABS[type(first)](first, centre) + _tanh_sinh_rule(pieces, len(shape))
