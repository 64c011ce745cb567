"""Entropy, cross-entropy and Kullback-Leibler divergence.

For discrete distributions given as probability arrays (the last axis by default)
and, for KL, in closed form between two distribution objects of one family
through a registry keyed by the pair of types. Natural logarithms (nats) unless
``base`` is given (``base=2`` for bits). Conventions: ``0 log 0 = 0``; the KL
divergence is +inf wherever ``q = 0 < p``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from probnn._math import xlogy
from probnn._validation import describe_values
from probnn.distributions.poisson import _log1pmx_neg
from probnn.distributions import (Bernoulli, Categorical, Distribution, Laplace, Normal,
                                  Poisson)

__all__ = ["entropy", "cross_entropy", "kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable[[Any, Any], NDArray[np.float64]]] = {}


def _prob_vectors(p: ArrayLike, name: str, axis: int) -> NDArray[np.floating]:
    """Check that ``p`` holds probability vectors along ``axis``."""
    arr = np.asarray(p)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array of probabilities along an axis; found a scalar")
    bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; found {describe_values(arr[bad])}"
        )
    sums = np.sum(arr, axis=axis, dtype=np.float64)
    tol = 8 * np.finfo(arr.dtype).eps * arr.shape[axis]
    off = np.abs(sums - 1.0) > tol
    if off.any():
        raise ValueError(
            f"{name} must sum to 1 along axis {axis}; found sums {describe_values(sums[off])}"
        )
    return arr


def _in_base(x: NDArray[np.floating], base: float | None) -> NDArray[np.floating]:
    return x if base is None else x / np.log(base)


def entropy(p: ArrayLike | Distribution, base: float | None = None,
            axis: int = -1) -> NDArray[np.floating]:
    """Shannon entropy ``H(p) = -sum_k p_k log p_k``.

    Parameters
    ----------
    p : array-like of probabilities, or a Distribution
        Probability vectors along ``axis``; a Distribution returns ``p.entropy()``.
    base : float, optional
        Logarithm base (default e: nats; 2: bits).
    axis : int, default -1

    Returns
    -------
    ndarray, the shape of ``p`` without ``axis`` (a Distribution: its batch_shape)
    """
    if isinstance(p, Distribution):
        return _in_base(p.entropy(), base)
    arr = _prob_vectors(p, "p", axis)
    return _in_base(-np.sum(xlogy(arr, arr), axis=axis), base)


def cross_entropy(p: ArrayLike, q: ArrayLike, base: float | None = None,
                  axis: int = -1) -> NDArray[np.floating]:
    """Cross-entropy ``H(p, q) = -sum_k p_k log q_k`` (+inf where q_k = 0 < p_k).

    Parameters
    ----------
    p, q : array-like of probabilities, broadcastable
        Probability vectors along ``axis``.
    base : float, optional
    axis : int, default -1

    Returns
    -------
    ndarray, the broadcast shape without ``axis``
    """
    a, b = _prob_vectors(p, "p", axis), _prob_vectors(q, "q", axis)
    return _in_base(-np.sum(xlogy(a, b), axis=axis), base)


def kl_divergence(p: ArrayLike | Distribution, q: ArrayLike | Distribution,
                  base: float | None = None, axis: int = -1) -> NDArray[np.floating]:
    """Kullback-Leibler divergence ``KL(p || q) = sum_k p_k log(p_k / q_k)``.

    Parameters
    ----------
    p, q : array-like of probabilities, or two Distribution objects
        Arrays: probability vectors along ``axis`` (+inf where q_k = 0 < p_k).
        Distributions: the closed form registered for ``(type(p), type(q))``.
    base : float, optional
    axis : int, default -1 (arrays only)

    Returns
    -------
    ndarray: the broadcast shape without ``axis``, or the distributions' batch shape

    Raises
    ------
    NotImplementedError
        For two distributions whose pair of types has no registered closed form.
    """
    if isinstance(p, Distribution) or isinstance(q, Distribution):
        if not (isinstance(p, Distribution) and isinstance(q, Distribution)):
            raise TypeError(
                "kl_divergence expects two probability arrays or two Distribution objects; "
                f"found {type(p).__name__} and {type(q).__name__}"
            )
        fn = _KL_REGISTRY.get((type(p), type(q)))
        if fn is None:
            raise NotImplementedError(
                f"no closed-form KL divergence registered for ({type(p).__name__}, "
                f"{type(q).__name__})"
            )
        dtype = np.result_type(p.dtype, q.dtype)
        return _in_base(np.asarray(fn(p, q), dtype=np.float64), base).astype(dtype, copy=False)
    a, b = _prob_vectors(p, "p", axis), _prob_vectors(q, "q", axis)
    with np.errstate(divide="ignore"):
        # p log p - p log q: the first term is finite, the second +inf where q = 0 < p.
        terms = xlogy(a, a) - xlogy(a, b)
    return _in_base(np.sum(terms, axis=axis), base)


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator registering ``fn(P, Q) -> KL(P || Q)`` for a pair of distribution types.

    Examples
    --------
    >>> @register_kl(Normal, Normal)          # doctest: +SKIP
    ... def _kl_normal(p, q): ...
    """
    def decorate(fn: Callable) -> Callable:
        _KL_REGISTRY[(type_p, type_q)] = fn
        return fn
    return decorate


# The closed forms below work in float64 on the private parameters.

@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli(p: Bernoulli, q: Bernoulli) -> NDArray[np.float64]:
    """``p log(p/q) + (1-p) log((1-p)/(1-q))`` (Cover & Thomas, *Elements of Information
    Theory*, 2nd ed., Example 2.3.1), each term 0 when its weight is 0, from log-probabilities."""
    p1, q1 = p._p, np.exp(p._log_q)
    with np.errstate(invalid="ignore"):
        t1 = np.where(p1 > 0, p1 * (p._log_p - q._log_p), 0.0)
        t0 = np.where(q1 > 0, q1 * (p._log_q - q._log_q), 0.0)
    return t1 + t0


@register_kl(Categorical, Categorical)
def _kl_categorical(p: Categorical, q: Categorical) -> NDArray[np.float64]:
    """``sum_k p_k (log p_k - log q_k)`` (Cover & Thomas, eq. 2.26), 0 log 0 = 0."""
    if p.n_classes != q.n_classes:
        raise ValueError(
            f"KL between Categoricals needs the same number of classes; found {p.n_classes} "
            f"and {q.n_classes}"
        )
    with np.errstate(invalid="ignore"):
        terms = np.where(p._p > 0, p._p * (p._logp - q._logp), 0.0)
    return np.sum(terms, axis=-1)


@register_kl(Normal, Normal)
def _kl_normal(p: Normal, q: Normal) -> NDArray[np.float64]:
    """``log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2``: the one-dimensional case of
    the Gaussian KL (Bishop, *Pattern Recognition and Machine Learning*, 2006, Exercise 2.13)."""
    # As (u - log(1 + u)) / 2 + z^2 / 2, u = (s1/s2)^2 - 1, z = (m1 - m2) / s2: no squared
    # scale (inf past 1e154, 0 below 1e-154: nan even for two equal laws), and no
    # cancellation between log(s2/s1) and the ratio's square for nearly equal scales.
    s1, s2 = p._scale, q._scale
    with np.errstate(over="ignore"):
        z_sq = ((p._loc - q._loc) / s2) ** 2
        ratio = s1 / s2
        u = ((s1 - s2) / s2) * (ratio + 1.0)  # (s1 - s2 is exact when they are close)
        far = 0.5 * (ratio * ratio - 1.0) - (np.log(s1) - np.log(s2))  # (inf: KL is inf)
    near = np.abs(u) < 0.5
    return 0.5 * np.where(near, _log1pmx_neg(np.where(near, u, 0.0)), 2.0 * far) + 0.5 * z_sq


@register_kl(Laplace, Laplace)
def _kl_laplace(p: Laplace, q: Laplace) -> NDArray[np.float64]:
    """``log(b2/b1) + |m1 - m2|/b2 + (b1/b2) exp(-|m1 - m2|/b1) - 1`` (Gil, Alajaji &
    Hosseini, "Renyi divergence measures for commonly used univariate continuous
    distributions", Information Sciences 249, 2013: the alpha -> 1 limit)."""
    d = np.abs(p._loc - q._loc)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        direct = (np.log(q._scale) - np.log(p._scale) + d / q._scale
                  + (p._scale / q._scale) * np.exp(-d / p._scale) - 1.0)
        # nearly equal laws: (r - 1 - log r) + r (e^-a - 1 + a), r = b1/b2, a = d/b1, each
        # without cancelling (the direct sum's terms of size 1 leave 0.0 for 5e-19)
        sigma, a = (p._scale - q._scale) / q._scale, d / p._scale
    near = (np.abs(sigma) < 0.5) & (a < 0.5)
    a_near = np.where(near, a, 0.0)
    series = np.zeros_like(a_near)
    for k in range(20, 1, -1):  # (e^-a - 1 + a) / a^2 = sum_{k>=2} (-a)^(k-2) / k!
        series = series * -a_near + 1.0 / math.factorial(k)
    close = _log1pmx_neg(np.where(near, sigma, 0.0)) + (1.0 + sigma) * a_near * a_near * series
    return np.where(near, close, direct)


@register_kl(Poisson, Poisson)
def _kl_poisson(p: Poisson, q: Poisson) -> NDArray[np.float64]:
    """``l1 (log l1 - log l2) - l1 + l2``: the expectation under Poisson(l1) of the
    log-pmf ratio ``y log(l1/l2) - l1 + l2`` (the y! terms cancel); +inf for l2 = 0 < l1."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(p._rate > 0, p._rate * (p._log_rate - q._log_rate), 0.0)
        # l1 (v - log(1 + v)), v = (l2 - l1) / l1, where the rates are close: the direct
        # sum cancels terms of size l1 (1.7e-5 for 5e-11 at l1 = 1e10, l2 = l1 + 1)
        v = (q._rate - p._rate) / p._rate
    near = np.abs(v) < 0.5
    close = p._rate * _log1pmx_neg(np.where(near, v, 0.0))
    return np.where(near, close, t - p._rate + q._rate)
