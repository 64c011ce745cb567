"""Finite mixture of distributions of the same batch shape (e.g. a deep ensemble's prediction)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .base import Distribution, as_param, count_quantile, param_dtype, stddev_in_range

__all__ = ["Mixture"]

# bisection steps of icdf: the bracket's width shrinks by 2**-_BISECT_STEPS (below float64
# spacing where the components' quantiles are of one magnitude); the bracket of those not yet
# adjacent floats then halves its count of floats (at most 2**64) in _COUNT_STEPS
_BISECT_STEPS = 80
_COUNT_STEPS = 64
# Newton steps on a count mixture's cdf before its quantile's bracket (Mixture._count_icdf)
_NEWTON_STEPS = 4


def _float_midpoint(a: NDArray, b: NDArray) -> NDArray:
    """The float halfway (by count) between the finite floats ``a <= b`` (same shapes).

    The arithmetic mean halves the bracket's width: 80 times stop far from a quantile 1e-320
    when the other component's is 1e-60 (a mixture of positive laws at q = 1e-117: 2.5e-91 for
    3.6e-321); halving the count of floats between reaches adjacent floats in 64 steps from
    any bracket.
    """
    def flip(bits):  # a negative's bits but its sign reversed: the floats' order as integers
        return bits ^ ((bits >> 63) & np.int64(0x7FFFFFFFFFFFFFFF))  # (its own inverse)

    i = flip(np.asarray(a, dtype=np.float64).view(np.int64))
    j = flip(np.asarray(b, dtype=np.float64).view(np.int64))
    return flip((i >> 1) + (j >> 1) + (i & j & 1)).view(np.float64)  # the floor of the mean


class Mixture(Distribution):
    """Mixture ``p(y) = sum_k w_k p_k(y)`` of K component distributions.

    Parameters
    ----------
    components : list of Distribution, length K >= 1
        Distributions of one common batch shape ``batch_shape`` (each may also broadcast to it).
    weights : array-like, optional
        Mixture weights of shape (K,) or (K,) + batch_shape, non-negative, summing to 1 over
        the first axis (they are renormalised). Default: equal weights ``1 / K``.
    logits : array-like, optional
        Unnormalised log weights of the same shapes as ``weights`` (softmax over the first
        axis). Give at most one of ``weights`` and ``logits``.

    Notes
    -----
    ``log_prob`` is ``logsumexp_k(log w_k + log p_k(y))``; ``mean`` the law of total
    expectation ``sum_k w_k mu_k``; ``variance`` the law of total variance
    ``sum_k w_k (sigma_k^2 + mu_k^2) - mu^2`` (computed as ``sum_k w_k (sigma_k^2 +
    (mu_k - mu)^2)``, which cannot go negative); ``cdf`` the weighted sum of the components'
    cdfs; ``icdf`` is numerical: the quantile lies between the smallest and the largest of the
    components' quantiles at the same level, and vectorised bisection on the mixture's cdf
    narrows that bracket to float64 precision.
    """

    def __init__(
        self,
        components: Sequence[Distribution],
        weights: ArrayLike | None = None,
        logits: ArrayLike | None = None,
    ):
        components = list(components)
        if not components or not all(isinstance(c, Distribution) for c in components):
            raise ValueError(
                "Mixture needs a non-empty list of Distribution objects; found "
                f"{[type(c).__name__ for c in components]!r}"
            )
        try:
            shape = np.broadcast_shapes(*(tuple(c.batch_shape) for c in components))
        except ValueError as exc:
            raise ValueError(
                "Mixture components must have broadcastable batch shapes; found "
                f"{[tuple(c.batch_shape) for c in components]}"
            ) from exc
        k = len(components)
        if weights is not None and logits is not None:
            raise ValueError("Mixture: give at most one of weights= or logits=; found both")
        if logits is not None:
            lg = as_param(logits, "logits", "Mixture")
            log_w = lg - special.logsumexp(lg, axis=0, keepdims=True)
            given = logits
        elif weights is not None:
            w = as_param(weights, "weights", "Mixture")
            if (w < 0).any() or not np.isfinite(w).all():
                raise ValueError("Mixture: weights must be finite and >= 0; found a negative "
                                 "or infinite weight")
            total = w.sum(axis=0, keepdims=True)
            if not (total > 0).all():
                raise ValueError("Mixture: weights must have a positive sum; found 0")
            with np.errstate(divide="ignore"):
                log_w = np.log(w / total)
            given = weights
        else:
            log_w = np.full((k,), -np.log(k))
            given = None
        if log_w.ndim == 0 or log_w.shape[0] != k:
            raise ValueError(
                f"Mixture: weights / logits need a first axis of length {k} (one per "
                f"component); found shape {log_w.shape}"
            )
        try:
            shape = np.broadcast_shapes(shape, log_w.shape[1:])
        except ValueError as exc:
            raise ValueError(
                f"Mixture: weights of shape {log_w.shape} do not broadcast with the batch "
                f"shape {shape}"
            ) from exc
        self.components = components
        self.batch_shape = tuple(shape)
        self.dtype = np.result_type(*(c.dtype for c in components))
        if given is not None and param_dtype(given) == np.float64:
            self.dtype = np.result_type(self.dtype, np.float64)
        # log weights, shape (K,) + batch_shape
        wshape = log_w.shape[1:]
        log_w = log_w.reshape((k,) + (1,) * (len(shape) - len(wshape)) + wshape)
        self._log_w = np.broadcast_to(log_w, (k,) + tuple(shape))

    def affine(self, shift: float, scale: float) -> "Mixture":
        """The law of ``shift + scale * Y``: each component mapped, the weights kept."""
        return Mixture([c.affine(shift, scale) for c in self.components], logits=self.logits)

    @property
    def n_components(self) -> int:
        """Number of components K."""
        return len(self.components)

    @property
    def weights(self) -> NDArray[np.floating]:
        """Mixture weights, shape (K,) + batch_shape."""
        return self._out(np.exp(self._log_w))

    @property
    def support(self) -> str:  # type: ignore[override]
        """The components' common support ("real" when they differ)."""
        supports = {c.support for c in self.components}
        return supports.pop() if len(supports) == 1 else "real"

    @property
    def logits(self) -> NDArray[np.floating]:
        """Normalised log weights, shape (K,) + batch_shape."""
        return self._out(self._log_w)

    def _w_for(self, ndim: int) -> NDArray[np.float64]:
        """Log weights shaped (K,) + (1,)*extra + batch_shape to broadcast with y of ``ndim``."""
        extra = max(ndim - len(self.batch_shape), 0)
        return self._log_w.reshape((self._log_w.shape[0],) + (1,) * extra + self.batch_shape)

    def _stack(self, fn) -> NDArray[np.float64]:
        """``fn(component)`` for every component, broadcast to one shape and stacked on axis 0."""
        parts = [np.asarray(fn(c), dtype=np.float64) for c in self.components]
        shape = np.broadcast_shapes(*(a.shape for a in parts))
        return np.stack([np.broadcast_to(a, shape) for a in parts])

    def _stacked(self, ndim: int) -> Distribution | None:
        """The K components as one law of batch shape ``(K,) + (1,) * extra + batch_shape``
        (to broadcast with y of ``ndim``) where all are negative binomials, all Poissons, all
        Normals, all Student-t's, or all hurdle (or zero-inflated) laws of one of those, else
        None: one call of its cdf on K x rows entries, where K calls on the rows each pay
        numpy's overhead on the incomplete beta function's dozens of steps (a Laplace
        posterior's 100-draw predictive: 100x the calls; a mixture family's pooled draws, the
        bisection's every step; the same values entry by entry)."""
        from .hurdle import Hurdle
        from .negative_binomial import NegativeBinomial
        from .normal import Normal
        from .poisson import Poisson
        from .studentt import StudentT
        from .zero_inflated import ZeroInflated

        outer = type(self.components[0])
        if any(type(c) is not outer for c in self.components):
            return None  # (a hurdle beside a plain law has no .base to stack)
        zero = outer in (Hurdle, ZeroInflated)
        bases = [c.base if zero else c for c in self.components]
        kind = type(bases[0])
        if (kind not in (NegativeBinomial, Poisson, Normal, StudentT)
                or any(type(b) is not kind for b in bases)
                or any(type(c) is not outer for c in self.components)):
            return None
        cache = self.__dict__.setdefault("_stacked_cache", {})
        extra = max(ndim - len(self.batch_shape), 0)
        if extra not in cache:
            shape = (len(self.components),) + (1,) * extra + self.batch_shape

            def stacked(laws, name):
                return np.stack([np.broadcast_to(getattr(law, name), self.batch_shape)
                                 for law in laws]).reshape(shape)

            names = {NegativeBinomial: ("_mu", "_alpha"), Poisson: ("_rate",),
                     Normal: ("_loc", "_scale"),
                     StudentT: ("_df", "_loc", "_scale")}[kind]  # fmt: skip
            law = kind(*(stacked(bases, name) for name in names))
            cache[extra] = outer(law, stacked(self.components, "_logit")) if zero else law
        return cache[extra]

    def _stack_at(self, method: str, y) -> NDArray[np.float64]:
        """The components' ``_cdf`` or ``_log_prob`` at y stacked on axis 0: in one call where
        :meth:`_stacked` gives one law."""
        y = np.asarray(y)
        law = self._stacked(y.ndim)
        if law is None:
            return self._stack(lambda c: getattr(c, method)(y))
        out = np.asarray(getattr(law, method)(y[None]), dtype=np.float64)
        shape = (len(self.components),) + np.broadcast_shapes(y.shape, self.batch_shape)
        return np.broadcast_to(out, shape)

    def _log_prob(self, y):
        lp = self._stack_at("_log_prob", y)
        out_ndim = lp.ndim - 1
        return special.logsumexp(lp + self._w_for(out_ndim), axis=0)

    def _cdf(self, y):
        cdfs = self._stack_at("_cdf", y)
        w = np.exp(self._w_for(cdfs.ndim - 1))
        return np.clip(np.sum(w * cdfs, axis=0), 0.0, 1.0)

    def _icdf(self, q):
        shape = np.broadcast_shapes(q.shape, self.batch_shape)
        q = np.broadcast_to(q, shape)
        if self.support == "count":
            return self._count_icdf(q)
        law = self._stacked(len(shape))
        if law is None:
            qs = self._stack(lambda c: np.broadcast_to(c._icdf(q), shape))
        else:  # (one call: 300 components' quantiles each paid stdtrit's overhead)
            qs = np.broadcast_to(np.asarray(law._icdf(q[None]), dtype=np.float64),
                                 (len(self.components),) + shape)
        # the quantile lies between the smallest and the largest component quantile (a
        # component of weight 0 does not bound it)
        live = np.broadcast_to(self._w_for(len(shape)) > -np.inf, qs.shape)
        lo = np.where(live, qs, np.inf).min(axis=0)
        hi = np.where(live, qs, -np.inf).max(axis=0)
        ends = (q <= 0) | (q >= 1) | ~np.isfinite(lo) | ~np.isfinite(hi)
        if self.is_discrete:
            return np.where(ends, np.where(q <= 0, lo, hi), self._integer_icdf(q, lo, hi, ends))
        a = np.where(ends, 0.0, lo)
        b = np.where(ends, 0.0, hi)
        for step in range(_BISECT_STEPS + _COUNT_STEPS):
            mid = 0.5 * (a + b) if step < _BISECT_STEPS else _float_midpoint(a, b)
            if np.all((mid == a) | (mid == b)):
                break
            below = self._cdf(mid) < q
            a = np.where(below, mid, a)
            b = np.where(below, b, mid)
        # at q = 0 / 1 the quantile is the end of the support (the components' own answer)
        return np.where(ends, np.where(q <= 0, lo, hi), b)

    def _count_icdf(self, q):
        """The smallest integer ``k >= 0`` with ``F(k) >= q`` of a mixture of laws on the
        counts, by :func:`~probnn.distributions.base.count_quantile` on the mixture's own cdf
        from a guess by its mean and standard deviation and Newton's steps: 6 to 19
        evaluations of the mixture's cdf, where bracketing by every component's own quantile
        took each component's search (about 27 of its cdf) and a bisection after it. The same
        integer: the cdf is the same, and the smallest integer reaching q is one whatever the
        bracket."""
        shape = q.shape
        mean = np.broadcast_to(self._mean(), shape).ravel()
        sd = np.broadcast_to(self._stddev(), shape).ravel()
        flat = q.ravel()

        def cdf(k):
            return np.broadcast_to(self._cdf(k.reshape(shape)), shape).ravel()

        # the guess: the normal quantile, then Newton's steps on log F (below the median; log
        # S above), k + (log q - log F(k)) F(k) / P(k), near linear in the tail where F itself
        # is convex; each at most 3 sd (the masses cost a fifth of the cdf); the bracket about
        # the guess starts from the last step's size
        todo = (flat > 0) & (flat < 1)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            z = np.where(todo, special.ndtri(np.where(todo, flat, 0.5)), 0.0)
            guess = np.where(np.isfinite(sd), np.floor(mean + sd * z), 0.0)
            step = np.maximum(np.where(np.isfinite(sd), sd, 1.0), 1.0)
            lower = flat < 0.5
            for _ in range(_NEWTON_STEPS):
                k = np.maximum(guess, 0.0)
                mass = np.exp(np.broadcast_to(self._log_prob(k.reshape(shape)), shape).ravel())
                below = cdf(k)
                move = np.where(lower, (np.log(flat) - np.log(below)) * below,
                                (np.log1p(-below) - np.log1p(-flat)) * (1.0 - below)) / mass
                move = np.where(np.isnan(move), np.where(below < flat, np.inf, -np.inf), move)
                move = np.round(np.clip(move, -3.0 * step, 3.0 * step))
                guess, step = k + move, np.maximum(2.0 * np.abs(move), 1.0)
        guess = np.where(todo & np.isfinite(guess), np.maximum(guess, 0.0), 0.0)
        # count_quantile's first guess is mean + sd z: so centred on ours
        return count_quantile(cdf, flat, guess - step * z, step,
                              np.zeros(flat.shape)).reshape(shape)  # fmt: skip

    def _integer_icdf(self, q, lo, hi, ends):
        """The smallest integer ``k`` with ``F(k) >= q``, bisecting on the integers between
        the components' quantiles (``F(lo - 1) < q <= F(hi)``: each live component's own
        holds there), so ``log2(hi - lo + 1)`` steps rather than a float bisection's dozens
        (each step is every component's cdf on every row)."""
        a, b = np.where(ends, 0.0, lo - 1.0), np.where(ends, 0.0, hi)
        while True:
            gap = b - a > 1.0
            if not gap.any():
                return b
            mid = np.where(gap, np.floor(0.5 * (a + b)), a)
            below = gap & (self._cdf(mid) < q)
            a = np.where(below, mid, a)
            b = np.where(gap & ~below, mid, b)

    def lattice_cdf(self, n_points: int) -> NDArray[np.float64]:
        """``F(k)`` for ``k = 0..n_points - 1`` of a mixture of laws on the integers from 0,
        shape ``(n_points,) + batch_shape``: each component's masses summed up the lattice
        (its ``log_prob`` at the points, not its cdf at each: a negative binomial's cdf is a
        regularised incomplete beta function, 100x the cost of its mass), weighted."""
        k = np.arange(n_points, dtype=np.float64).reshape((-1,) + (1,) * len(self.batch_shape))
        out = np.zeros((n_points,) + self.batch_shape)
        for log_w, c in zip(self._log_w, self.components):
            out += np.exp(log_w) * np.cumsum(np.exp(np.asarray(c._log_prob(k), np.float64)),
                                             axis=0)  # fmt: skip
        return np.clip(out, 0.0, 1.0)

    def _mean(self):
        mus = self._stack(lambda c: np.broadcast_to(c._mean(), self.batch_shape))
        return np.sum(np.exp(self._log_w) * mus, axis=0)

    def _variance(self):
        w = np.exp(self._log_w)
        mus = self._stack(lambda c: np.broadcast_to(c._mean(), self.batch_shape))
        vs = self._stack(lambda c: np.broadcast_to(c._variance(), self.batch_shape))
        mu = np.sum(w * mus, axis=0)
        with np.errstate(over="ignore"):  # inf past float max (``_stddev`` stays in range)
            return np.sum(w * (vs + (mus - mu) ** 2), axis=0)

    def _stddev(self):
        """``sqrt`` of the law of total variance; where the variance leaves float range
        (components of scale 1e200, or 1e-200) from the components' own standard deviations
        and the halved deviations of their means, in scaled units (``stddev_in_range``)."""
        variance = self._variance()
        w = np.exp(self._log_w)
        mus = self._stack(lambda c: np.broadcast_to(c._mean(), self.batch_shape))
        sds = self._stack(lambda c: np.broadcast_to(c._stddev(), self.batch_shape))
        mu = np.sum(w * mus, axis=0)  # |mu| <= max |mu_k|: no overflow
        halved_deviations = 0.5 * mus - 0.5 * mu  # the difference of two halves stays finite
        return stddev_in_range(variance, [*w, *w], [*(0.5 * sds), *halved_deviations], 2.0)

    def _entropy(self):
        raise NotImplementedError("Mixture has no closed-form entropy")

    def _sample(self, shape, rng):
        k = self.n_components
        draws = self._stack(lambda c: c._sample(shape, rng))  # (K,) + shape
        # component index per draw: inverse-cdf of the weights with one uniform per draw
        cw = np.cumsum(np.exp(self._log_w), axis=0)
        cw = cw.reshape((k,) + (1,) * (len(shape) - len(self.batch_shape)) + self.batch_shape)
        u = rng.random(shape)
        pick = np.minimum(np.sum(u[None] >= cw, axis=0), k - 1)
        return np.take_along_axis(draws, pick[None], axis=0)[0]

    def __repr__(self) -> str:
        return (f"Mixture(n_components={self.n_components}, batch_shape={self.batch_shape}, "
                f"dtype={self.dtype})")
