"""The common interface of probnn's distributions and the helpers they share.

A distribution holds arrays of parameters that broadcast against each other; their
common shape is the ``batch_shape``. Every method works elementwise over the batch.
Arithmetic is carried out in float64 and the result is returned in the
distribution's dtype, so float32 parameters give float32 results.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from probnn._validation import check_sample_weight, describe_rows, describe_values, make_rng

__all__ = ["Distribution", "count_quantile", "DISCRETE_SUPPORTS"]

#: The supports (the families' ``SUPPORTS`` vocabulary) whose laws are discrete: a
#: distribution declaring one of them gets a randomised PIT (:func:`probnn.metrics.pit_values`)
DISCRETE_SUPPORTS = ("binary", "classes", "ordered-classes", "count")


def param_dtype(*params: Any) -> np.dtype:
    """Float32 when every array-valued parameter is float32, float64 otherwise.

    Python scalars do not vote, so ``StudentT(3, loc=np.float32 array)`` stays float32.
    """
    arrays = [np.asarray(p) for p in params if isinstance(p, (np.ndarray, np.generic))]
    if arrays and all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def as_param(value: Any, name: str, cls_name: str) -> NDArray[np.float64]:
    """A parameter as a float64 array; non-numeric or NaN input is refused."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{cls_name}: {name} must be numeric; found {value!r}"
        ) from exc
    if np.isnan(arr).any():
        raise ValueError(f"{cls_name}: {name} must not contain NaN; found NaN")
    return arr


def check_positive(value: NDArray[np.float64], name: str, cls_name: str) -> None:
    """Refuse any entry that is not a finite number > 0."""
    bad = ~(np.isfinite(value) & (value > 0))
    if bad.any():
        raise ValueError(
            f"{cls_name}: {name} must be finite and > 0; found {describe_values(value[bad])}"
        )


def exactly_one(a: Any, b: Any, name_a: str, name_b: str, cls_name: str) -> None:
    """Exactly one of a parameter pair (e.g. probs / logits) must be given."""
    given = [n for n, v in ((name_a, a), (name_b, b)) if v is not None]
    if len(given) != 1:
        found = "neither" if not given else "both"
        raise ValueError(
            f"{cls_name}: give exactly one of {name_a}= or {name_b}=; found {found}"
        )


def as_data(y: ArrayLike, cls_name: str) -> NDArray[np.float64]:
    """Data for ``fit``: a non-empty 1-D float64 array of finite numbers."""
    arr = np.asarray(y, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{cls_name}.fit expects a non-empty 1-D array of observations; "
            f"found shape {arr.shape}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        raise ValueError(
            f"{cls_name}.fit expects finite observations; found "
            f"{describe_values(arr[bad])} at {describe_rows(bad)}"
        )
    return arr


def fit_inputs(
    y: ArrayLike, sample_weight: ArrayLike | None, cls_name: str,
    outside: Any = None, support: str = "",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate ``fit``'s data and weights; ``outside(y)`` marks values off the support."""
    arr = as_data(y, cls_name)
    if outside is not None:
        bad = outside(arr)
        if bad.any():
            raise ValueError(
                f"{cls_name}.fit expects {support}; found {describe_values(arr[bad])} "
                f"at {describe_rows(bad)}"
            )
    w = check_sample_weight(sample_weight, arr.shape[0])
    if not w.sum() > 0:
        raise ValueError(f"{cls_name}.fit needs a positive total sample_weight; found 0")
    return arr, w


# ``fit_inputs``'s ``(outside, support)`` for counts: off the support, and how to say so
COUNTS = (lambda a: (a < 0) | (a != np.floor(a)), "non-negative integer counts")


def data_dtype(y: ArrayLike) -> np.dtype:
    """The dtype a fitted distribution keeps: float32 data give float32 parameters."""
    return np.dtype(np.float32) if np.asarray(y).dtype == np.float32 else np.dtype(np.float64)


rng_of = make_rng  # (the name the distributions use)


def as_size(size: int | tuple[int, ...] | None) -> tuple[int, ...]:
    """``size`` as a tuple of ints (None and () both mean one draw per batch entry)."""
    if size is None:
        return ()
    if np.ndim(size) == 0:
        return (int(size),)
    return tuple(int(s) for s in size)


def check_quantile_levels(q: ArrayLike, cls_name: str) -> NDArray[np.float64]:
    """Quantile levels must lie in [0, 1]."""
    q = np.asarray(q, dtype=np.float64)
    bad = ~((q >= 0) & (q <= 1))
    if bad.any():
        raise ValueError(
            f"{cls_name}.icdf expects levels q in [0, 1]; found {describe_values(q[bad])}"
        )
    return q


def count_quantile(cdf, q: NDArray[np.float64], mean: NDArray[np.float64],
                   sd: NDArray[np.float64], skew: NDArray[np.float64]) -> NDArray[np.float64]:  # fmt: skip
    """The smallest integer ``k >= 0`` with ``cdf(k) >= q``, at any mean (1e-3 to 1e15 and beyond).

    A Cornish-Fisher guess ``mean + sd (z + skew (z^2 - 1) / 6)`` (``z`` the standard normal
    quantile of ``q``) is bracketed by steps of ``sd`` that double until ``cdf(lo) < q <=
    cdf(hi)``, then the bracket is bisected on the integers with the exact ``cdf``: about
    ``log2(sd)`` evaluations whatever the mean, where a search from 0 needs ``log2(mean)``
    and scipy's ``poisson.ppf`` gives NaN from a rate of about 1e11. Beyond ``2**53``, where
    float64 no longer holds every integer, the bisection stops at the float64 neighbours.

    Parameters
    ----------
    cdf : callable
        ``cdf(k)`` for float64 integer arrays ``k`` of the flat batch's shape.
    q : ndarray of shape (n,)
        Levels in [0, 1]; 0 gives 0 and 1 gives ``inf``.
    mean, sd, skew : ndarray of shape (n,)
        The law's mean, standard deviation and skewness (finite; only the speed depends on
        them, not the answer).

    Returns
    -------
    ndarray of shape (n,)
    """
    todo = (q > 0) & (q < 1)
    with np.errstate(invalid="ignore", over="ignore"):
        z = special.ndtri(np.where(todo, q, 0.5))
        guess = np.floor(mean + sd * (z + skew * (z * z - 1.0) / 6.0))
    guess = np.where(np.isfinite(guess), np.maximum(guess, 0.0), 0.0)
    step = np.maximum(np.ceil(np.where(np.isfinite(sd), sd, 1.0)), 1.0)
    # hi: widened upwards until cdf(hi) >= q; lo: downwards until cdf(lo) < q (or lo = -1)
    hi = guess.copy()
    lo = np.maximum(guess - step, -1.0)  # (guess - 1 is guess itself beyond 2**53)
    grow = step.copy()
    for _ in range(2100):
        short = todo & (cdf(hi) < q)
        if not short.any():
            break
        lo = np.where(short, np.maximum(lo, hi), lo)
        hi = np.where(short, hi + grow, hi)
        grow = np.where(short, 2.0 * grow, grow)
    grow = step.copy()
    for _ in range(2100):
        over = todo & (lo >= 0) & (cdf(np.maximum(lo, 0.0)) >= q)
        if not over.any():
            break
        hi = np.where(over, np.minimum(hi, lo), hi)
        lo = np.where(over, np.maximum(lo - grow, -1.0), lo)
        grow = np.where(over, 2.0 * grow, grow)
    for _ in range(2200):
        mid = np.floor((lo + hi) / 2)
        open_ = todo & (hi - lo > 1) & (mid > lo) & (mid < hi)
        if not open_.any():
            break
        reach = cdf(np.maximum(mid, 0.0)) >= q
        hi = np.where(open_ & reach, mid, hi)
        lo = np.where(open_ & ~reach, mid, lo)
    return np.where(q <= 0, 0.0, np.where(q >= 1, np.inf, hi))


class Distribution:
    """Base class: a batch of distributions of one family.

    Subclasses set ``self.dtype`` and ``self.batch_shape`` in their constructor and
    implement the ``_``-prefixed float64 methods; this class casts the results.
    """

    dtype: np.dtype
    batch_shape: tuple[int, ...]
    #: the set the law lives on, in the families' words (``probnn.families.SUPPORTS``):
    #: subclasses declare it; what reads it (the PIT) needs no list of types
    support: str = "real"

    @property
    def is_discrete(self) -> bool:
        """Whether the law is on a discrete set (its ``support`` is one of ``DISCRETE_SUPPORTS``)."""
        return self.support in DISCRETE_SUPPORTS

    def _out(self, x: ArrayLike) -> NDArray[np.floating]:
        return np.asarray(x, dtype=np.float64).astype(self.dtype, copy=False)

    # -- densities ---------------------------------------------------------------
    def log_prob(self, y: ArrayLike) -> NDArray[np.floating]:
        """Log density / mass of ``y``; shape broadcast(y, batch_shape); -inf off the support."""
        return self._out(self._log_prob(np.asarray(y, dtype=np.float64)))

    def prob(self, y: ArrayLike) -> NDArray[np.floating]:
        """Density / mass of ``y``: ``exp(log_prob(y))``."""
        return self._out(np.exp(self._log_prob(np.asarray(y, dtype=np.float64))))

    def cdf(self, y: ArrayLike) -> NDArray[np.floating]:
        """``P(Y <= y)``; shape broadcast(y, batch_shape)."""
        return self._out(self._cdf(np.asarray(y, dtype=np.float64)))

    def icdf(self, q: ArrayLike) -> NDArray[np.floating]:
        """Quantile function: for discrete families the smallest y with ``cdf(y) >= q``."""
        return self._out(self._icdf(check_quantile_levels(q, type(self).__name__)))

    # -- moments -----------------------------------------------------------------
    @property
    def mean(self) -> NDArray[np.floating]:
        """Expected value, shape batch_shape."""
        return self._out(self._mean())

    @property
    def variance(self) -> NDArray[np.floating]:
        """Variance, shape batch_shape."""
        return self._out(self._variance())

    @property
    def stddev(self) -> NDArray[np.floating]:
        """Standard deviation ``sqrt(variance)``, shape batch_shape."""
        return self._out(self._stddev())

    def entropy(self) -> NDArray[np.floating]:
        """Entropy in nats, shape batch_shape."""
        return self._out(self._entropy())

    def sample(
        self, size: int | tuple[int, ...] = (), random_state: Any = None
    ) -> NDArray[np.floating]:
        """Random draws of shape ``size + batch_shape``."""
        shape = as_size(size) + tuple(self.batch_shape)
        return self._out(self._sample(shape, rng_of(random_state)))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Distribution":
        """Maximum-likelihood distribution for 1-D data ``y`` of shape (n_samples,)."""
        raise NotImplementedError(f"{cls.__name__}.fit is not implemented")

    def affine(self, shift: float, scale: float) -> "Distribution":
        """The distribution of ``shift + scale * Y``, ``scale > 0``, in this dtype.

        Defined by the location-scale distributions (their family is closed under
        the map: only ``loc`` and ``scale`` change); a model trained on a
        standardised target maps its predictions back to ``y``'s units with it.
        """
        raise NotImplementedError(f"{type(self).__name__} is not a location-scale distribution")

    # -- for subclasses ------------------------------------------------------------
    def _log_prob(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError

    def _cdf(self, y: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError(f"{type(self).__name__} has no cdf")

    def _icdf(self, q: NDArray[np.float64]) -> NDArray[np.float64]:
        raise NotImplementedError(f"{type(self).__name__} has no icdf")

    def _mean(self) -> NDArray[np.float64]:
        raise NotImplementedError

    def _variance(self) -> NDArray[np.float64]:
        raise NotImplementedError

    def _stddev(self) -> NDArray[np.float64]:
        # a scale law overrides it: its variance overflows from a scale of ~1e154 on
        return np.sqrt(self._variance())

    def _entropy(self) -> NDArray[np.float64]:
        raise NotImplementedError(f"{type(self).__name__} has no entropy")

    def _sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> NDArray[np.float64]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={tuple(self.batch_shape)}, dtype={self.dtype})"


class LocScale(Distribution):
    """Base of the distributions with a finite real ``loc`` and a positive ``scale``.

    Checks and broadcasts the two parameters once; subclasses say what they mean.
    """

    def __init__(self, loc: ArrayLike, scale: ArrayLike):
        name = type(self).__name__
        self.dtype = param_dtype(loc, scale)
        loc_, scale_ = as_param(loc, "loc", name), as_param(scale, "scale", name)
        check_positive(scale_, "scale", name)
        if not np.isfinite(loc_).all():
            raise ValueError(f"{name}: loc must be finite; found an infinite value")
        self._loc, self._scale = np.broadcast_arrays(loc_, scale_)
        self.batch_shape = tuple(self._loc.shape)

    @property
    def loc(self) -> NDArray[np.floating]:
        """The location parameter, shape batch_shape."""
        return self._out(self._loc)

    @property
    def scale(self) -> NDArray[np.floating]:
        """The scale parameter, shape batch_shape."""
        return self._out(self._scale)


class ClassDistribution(Distribution):
    """Base of the distributions over classes ``0..C-1`` held as log-probabilities.

    Subclasses set ``self._logp`` (float64, shape ``batch_shape + (C,)``) and
    ``n_classes``; the log-probability of a class index is read from it, ``-inf``
    for anything that is not a class.
    """

    n_classes: int

    def _log_prob(self, y):
        shape = np.broadcast_shapes(y.shape, self.batch_shape)
        y = np.broadcast_to(y, shape)
        valid = (y == np.floor(y)) & (y >= 0) & (y < self.n_classes)
        idx = np.where(valid, y, 0).astype(np.intp)
        logp = np.broadcast_to(self._logp, shape + (self.n_classes,))
        picked = np.take_along_axis(logp, idx[..., None], axis=-1)[..., 0]
        return np.where(valid, picked, -np.inf)


# Below this a variance is recomputed in scaled units (``stddev_in_range``): a sum's term that
# underflows there can hold more than eps of the sum (float64's smallest normal over eps).
_VARIANCE_FLOOR = np.finfo(np.float64).tiny / np.finfo(np.float64).eps


def stddev_in_range(variance: NDArray[np.float64], coefficients, magnitudes,
                    factor: float = 1.0) -> NDArray[np.float64]:
    """``sqrt(variance)``, but where the variance left float range (inf, or below ~1e-292)
    ``factor * sqrt(sum_k c_k a_k^2)`` computed in units of a power of 2 near the largest
    ``|a_k|``, so that no square overflows or underflows though the standard deviation is a
    float (a mixture of components of scale 1e200: variance 1e400, sd 1e200).

    Parameters
    ----------
    variance : ndarray of shape S
        The variance ``factor^2 sum_k c_k a_k^2`` as computed plainly.
    coefficients, magnitudes : sequences of arrays broadcast to S
        ``c_k`` (finite; some may be negative where the sum is not) and ``a_k``.
    factor : float, default=1
        A power of 2 the caller divided the ``a_k`` by (to keep their differences finite).

    Returns
    -------
    ndarray of shape S
        Bit for bit ``sqrt(variance)`` where that is in range; inf where the sd itself is not.
    """
    variance = np.asarray(variance, dtype=np.float64)
    plain = np.sqrt(np.maximum(variance, 0.0))
    far = ~(np.isfinite(variance) & (variance >= _VARIANCE_FLOOR))
    if not far.any():
        return plain
    shape = variance.shape
    mags = [np.broadcast_to(np.abs(np.asarray(a, dtype=np.float64)), shape) for a in magnitudes]
    largest = np.max(np.stack(mags), axis=0) if mags else np.zeros(shape)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        usable = np.isfinite(largest) & (largest > 0)
        unit = np.where(usable, np.ldexp(1.0, np.frexp(np.where(usable, largest, 1.0))[1]), 1.0)
        total = sum(np.asarray(c, dtype=np.float64) * (a / unit) ** 2
                    for c, a in zip(coefficients, mags))  # fmt: skip
        scaled = factor * (unit * np.sqrt(np.maximum(total, 0.0)))  # unit * factor: 2^1024
        scaled = np.where(usable, scaled, np.where(np.isfinite(largest), 0.0, np.inf))
    return np.where(far, scaled, plain)
