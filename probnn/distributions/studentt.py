"""Student's t distribution with degrees of freedom ``df``, location and scale."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from probnn._math import student_t_digamma_gap, student_t_log_norm

from ._incomplete import beta_log_cdf_sf

from .base import Distribution, as_param, check_positive, data_dtype, fit_inputs, param_dtype

__all__ = ["StudentT", "log1p_square_over_df", "standard_cdf", "standard_cdf_sf",
           "standard_log_cdf_sf"]

_LOG_DF_BOUNDS = (np.log(0.05), np.log(1e6))


# The lower tail's quantile in closed form where x = df / (df + t^2) < _TAIL_X: scipy's
# stdtrit gave +inf (df = 3, q = 1e-250) or stuck at -1.5e153 to -8e153 for quantiles far
# beyond, wherever x fell below about 1e-50, and was 3e-11 off at df = 3.2, q = 1e-171 (x =
# 2e-107); below 1e-14 elsewhere (against mpmath's root of the incomplete beta, df 0.05 to 1e6,
# q 1e-323 to 1/2). There the series of I_x(df/2, 1/2), cut after x^2, is exact to x^3.
_TAIL_X = 1e-8
_FIXED_POINT_STEPS = 3  # each shrinks the error of log x by a factor x / 2 < 1e-8
# in the tail stdtrit is kept where it agrees with the closed form (its own error is ~1e-16,
# the closed form's up to 700 ulps, 2.5e-13: exp of a log |t| near 700); elsewhere it was off
# by 3e-11 (df = 3.2, q = 1e-171) to 100% and more
_AGREE = 5e-13
_TINY = np.finfo(np.float64).tiny  # stdtrit is 1e-3 off (or -inf) at a subnormal q
_NEWTON_STEPS = 4


def _tail_log_x(df: NDArray, q: NDArray) -> NDArray:
    """``log x``, ``x = df / (df + t^2)``, of the quantile ``t`` at ``q`` where x is small.

    ``F(t) = I_x(a, 1/2) / 2`` with ``a = df / 2``, and ``I_x(a, 1/2) = x^a S(x) / (a B(a,
    1/2))`` with ``S(x) = sum_n (1/2)_n / n! a / (a + n) x^n``; so ``log x = (log(2 q a B(a,
    1/2)) - log S(x)) / a``, solved by a fixed point from ``S = 1``, in logs (x underflows
    where t^2 overflows). ``log B(a, 1/2) = -student_t_log_norm(df) - log(df) / 2``.
    """
    a = 0.5 * df
    with np.errstate(divide="ignore"):
        log_c = np.log(2.0 * q) + np.log(a) - student_t_log_norm(df) - 0.5 * np.log(df)
    log_x = log_c / a
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(_FIXED_POINT_STEPS):
            x = np.exp(np.minimum(log_x, 0.0))
            series = 1.0 + x * (0.5 * a / (a + 1.0) + x * (0.375 * a / (a + 2.0)))
            log_x = (log_c - np.log(series)) / a
    return log_x


def _newton_from_tiny(df: NDArray, q: NDArray) -> NDArray:
    """The quantile at a subnormal ``q``: Newton's steps on ``log F`` (the project's log of
    the incomplete beta, exact there) from stdtrit's quantile at the smallest normal float."""
    t = special.stdtrit(df, np.full(df.shape, _TINY))
    for _ in range(_NEWTON_STEPS):
        t2 = t * t
        x, x1 = df / (df + t2), t2 / (df + t2)
        log_cdf = beta_log_cdf_sf(0.5 * df, 0.5, x, x1)[0] - np.log(2.0)
        t = t - (log_cdf - np.log(q)) * np.exp(log_cdf - _log_density(t, df, 0.0, 1.0))
    return t


def _lower_quantile(df: NDArray, q: NDArray) -> NDArray:
    """The standard t's quantile at ``q <= 1/2`` (so ``t <= 0``), finite wherever it is a
    float: ``-sqrt(df (1 - x) / x)`` from :func:`_tail_log_x` where ``x < _TAIL_X`` and scipy's
    ``stdtrit`` disagrees, ``stdtrit`` elsewhere (at a subnormal q, Newton's steps from it)."""
    log_x = _tail_log_x(df, q)
    far = log_x < np.log(_TAIL_X)
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.exp(np.minimum(log_x, np.log(_TAIL_X)))
        tail = -np.exp(0.5 * (np.log(df) - log_x + np.log1p(-x)))
        scipy_t = special.stdtrit(df, q)
        # (a tail of -inf is beyond the floats: stdtrit's finite answer there is wrong)
        agree = np.isfinite(tail) & (np.abs(scipy_t - tail) <= _AGREE * np.abs(tail))
    out = np.where(far & ~agree, tail, scipy_t)
    redo = ~far & (q > 0) & (q < _TINY)
    if redo.any():
        out[redo] = _newton_from_tiny(df[redo], q[redo])
    return out


# beyond |t| = 1e150, t^2 is within a factor 1e8 of overflow: x = df / (df + t^2) and the
# density's 1 + t^2 / df are formed from logs there (scipy's stdtr squares t, and gave 0 for
# every df from |t| ~ 1.3e154 on, where the cdf is 1e-16 at df = 0.1 and 3e-172 at df = 1.1)
_SQUARE_SAFE = 1e150
_LOG_2 = float(np.log(2.0))
_STDTR_TINY = 1e-290  # below it stdtr's lower tail is subnormal (digits lost) or 0
_LOG_FLOAT_TINY = float(np.log(np.finfo(np.float64).tiny))


def log1p_square_over_df(t: NDArray, df: NDArray) -> NDArray:
    """``log(1 + t^2 / df)`` for any finite t (``2 log|t| - log df + log1p(df / t^2)`` where
    t^2 would overflow)."""
    r = np.abs(t)
    far = r > _SQUARE_SAFE
    if not far.any():
        return np.log1p(t * t / df)
    near_r = np.where(far, 1.0, r)
    far_r = np.where(far, r, 1.0)
    with np.errstate(divide="ignore"):
        far_value = 2.0 * np.log(far_r) - np.log(df) + np.log1p((np.sqrt(df) / far_r) ** 2)
    return np.where(far, far_value, np.log1p(near_r * near_r / df))


def _log_density(y, df, loc, scale):
    t = (y - loc) / scale
    log_kernel = log1p_square_over_df(t, df)
    return student_t_log_norm(df) - np.log(scale) - 0.5 * (df + 1.0) * log_kernel


def standard_log_cdf_sf(df: ArrayLike, t: ArrayLike) -> tuple[NDArray, NDArray]:
    """``(log F(t), log(1 - F(t)))`` of the standard t with ``df`` degrees of freedom.

    Finite for every finite t (``-inf`` only where the float underflows past ``e^-745``
    in logs, i.e. never for df below ~1e6 at |t| below the largest float). The smaller
    tail is ``I_x(df/2, 1/2) / 2`` with ``x = df / (df + t^2)``: scipy's ``stdtr`` where
    ``t^2`` is finite and its value a normal float (so ordinary values are stdtr's own),
    elsewhere the project's log incomplete beta with ``log x = log df - 2 log|t| -
    log1p(df / t^2)`` given in logs (x itself underflows). The larger tail is
    ``1/2 + I_{1-x}(1/2, df/2) / 2``, never ``1 - tiny``'s cancellation.

    Parameters
    ----------
    df : array-like
        Degrees of freedom, > 0.
    t : array-like
        Points; broadcasts with ``df``.

    Returns
    -------
    log_cdf, log_sf : ndarray of float64, the broadcast shape.
    """
    df, t = np.broadcast_arrays(np.asarray(df, dtype=np.float64), np.asarray(t, dtype=np.float64))
    shape = t.shape
    df, t = df.ravel(), t.ravel()
    r = np.abs(t)
    with np.errstate(over="ignore", under="ignore"):
        small_tail = special.stdtr(df, -r)  # P(T <= -|t|)
    redo = ((r > _SQUARE_SAFE) | (small_tail < _STDTR_TINY)) & np.isfinite(r)
    with np.errstate(divide="ignore"):
        log_small = np.log(small_tail)
        log_large = np.log1p(-small_tail)
    if redo.any():
        dr, rr = df[redo], r[redo]
        with np.errstate(divide="ignore", under="ignore"):
            log_x1 = -np.log1p((np.sqrt(dr) / rr) ** 2)  # log(t^2 / (df + t^2))
            log_x = np.log(dr) - 2.0 * np.log(rr) + log_x1
            # a subnormal x has lost digits (scipy's betainc read 1e-316 and was 8e-9 off in
            # log): 0 sends the incomplete beta to its prefactor formed from log x
            x = np.where(log_x < _LOG_FLOAT_TINY, 0.0, np.exp(log_x))
            x1 = np.exp(log_x1)
        log_i, log_j = beta_log_cdf_sf(0.5 * dr, 0.5, x, x1, log_x, log_x1)
        log_small[redo] = log_i - _LOG_2
        log_large[redo] = np.log1p(np.exp(log_j)) - _LOG_2
    lower = t < 0
    return (np.where(lower, log_small, log_large).reshape(shape),
            np.where(lower, log_large, log_small).reshape(shape))


# df = 3 (the mixture-studentt family's default) has the closed form P(T <= -r) = (phi -
# sin phi) / (2 pi), phi = 2 atan(sqrt(3) / r): 20x faster than stdtr's incomplete beta (a
# Laplace predictive's CRPS and quantiles take 10^5-10^6 of these cdfs). Below _SERIES_PHI
# phi - sin phi is the series phi^3 sum_k (-1)^k phi^2k / (2k + 3)! (the difference cancels:
# 6 ulps lost at phi = 1); from it on the difference loses under 2 ulps. 13 terms: the last,
# 2^24 / 27!, is 1e-20 of the first at phi = 2. Against mpmath (|t| 1e-5 to 1e100, 1800
# points): 6 ulps at worst, 1 median; scipy's stdtr on the same points: 9 at worst, 1 median.
_SERIES_PHI = 2.0
_PHI_SERIES = tuple((-1.0) ** k / float(np.prod(np.arange(1.0, 2 * k + 4))) for k in range(13))


def _tail_df3(r: NDArray) -> NDArray:
    """``P(T <= -r)`` of the standard t with 3 degrees of freedom at ``r >= 0``, to a few
    ulps (1/2 at 0, 0 at inf; ~ 1.1 r^-3, subnormal beyond r ~ 1e102)."""
    with np.errstate(divide="ignore", over="ignore"):
        phi = 2.0 * np.arctan(np.sqrt(3.0) / r)
    small = np.minimum(phi, _SERIES_PHI)
    square = small * small
    # Horner's rule in place (10^6 entries a call: each new array costs as much as the step)
    tail = np.full(phi.shape, _PHI_SERIES[-1])
    for c in _PHI_SERIES[-2::-1]:
        tail *= square
        tail += c
    tail *= square  # phi^2 series first, phi last: one rounding where the result is subnormal
    tail *= small
    # sin phi = 2 tan(phi/2) / (1 + tan(phi/2)^2) = 2 sqrt(3) r / (3 + r^2), a few passes
    # where numpy's sine costs as many as the series; r <= 1.12 there
    with np.errstate(invalid="ignore", over="ignore"):  # (r = inf: phi = 0, the series')
        direct = phi - 2.0 * np.sqrt(3.0) * r / (3.0 + r * r)
    return np.where(phi >= _SERIES_PHI, direct, tail) / (2 * np.pi)


def _standard_cdf_df3(t: NDArray) -> NDArray:
    """``F(t)`` of the standard t with 3 degrees of freedom: the smaller tail from its own
    closed form (:func:`_tail_df3`), the larger as ``1 -`` it (one rounding)."""
    tail = _tail_df3(np.abs(t))
    return np.where(t < 0, tail, 1.0 - tail)


def standard_cdf_sf(df: ArrayLike, t: ArrayLike) -> tuple[NDArray, NDArray]:
    """``(F(t), 1 - F(t))`` of the standard t, each from its own tail (:func:`standard_cdf`
    at t and at -t; for df = 3 one closed-form tail serves both)."""
    df, t = np.broadcast_arrays(np.asarray(df, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if not (df == 3.0).all():
        return standard_cdf(df, t), standard_cdf(df, -t)
    tail = _tail_df3(np.abs(t))
    lower = t < 0
    return np.where(lower, tail, 1.0 - tail), np.where(lower, 1.0 - tail, tail)


def standard_cdf(df: ArrayLike, t: ArrayLike) -> NDArray:
    """``F(t)`` of the standard t with ``df`` degrees of freedom, broadcast shape.

    scipy's ``stdtr``, but from the log form where it fails (it squares t: 0 or 1 beyond
    |t| ~ 1.3e154 whatever df; its tail underflows from ~1e-308 on), and df = 3 by its
    closed form (:func:`_standard_cdf_df3`, the same values to a few ulps).

    Parameters
    ----------
    df : array-like
        Degrees of freedom, > 0.
    t : array-like
        Points; broadcasts with ``df``.

    Returns
    -------
    ndarray of float64, the broadcast shape.
    """
    df, t = np.broadcast_arrays(np.asarray(df, dtype=np.float64), np.asarray(t, dtype=np.float64))
    three = df == 3.0
    if three.all():
        return _standard_cdf_df3(t)
    if not three.any():
        return _standard_cdf_stdtr(df, t)
    # each entry by its own form only (stdtr of every entry was computed, then the df = 3
    # ones overwritten): elementwise, so the same values
    out = np.empty(t.shape)
    out[three] = _standard_cdf_df3(t[three])
    out[~three] = _standard_cdf_stdtr(df[~three], t[~three])
    return out


def _standard_cdf_stdtr(df: NDArray, t: NDArray) -> NDArray:
    """``F(t)`` by scipy's ``stdtr``, from the log form where it fails; df, t of one shape."""
    out = np.asarray(special.stdtr(df, t))
    # stdtr squares t: 0 (or 1) beyond |t| ~ 1.3e154 whatever df; the tail underflows
    # from ~1e-308 on; both from the log form there
    redo = ((np.abs(t) > _SQUARE_SAFE) | (out < _STDTR_TINY)) & np.isfinite(t)
    if redo.any():
        out = np.array(out, dtype=np.float64)  # (a writable copy)
        log_cdf, log_sf = standard_log_cdf_sf(df[redo], t[redo])
        # above 0 as 1 - S (one rounding), below as F itself
        out[redo] = np.where(t[redo] > 0, -np.expm1(log_sf), np.exp(log_cdf))
    return out


class StudentT(Distribution):
    """Student's t: ``loc + scale * T`` with T a standard t with ``df`` degrees of freedom.

    Parameters
    ----------
    df : array-like
        Degrees of freedom, > 0.
    loc : array-like, default 0.0
    scale : array-like, default 1.0
        > 0. All three broadcast to the batch shape.

    Notes
    -----
    The mean is ``loc`` for df > 1 (NaN otherwise); the variance is
    ``scale**2 df / (df - 2)`` for df > 2, +inf for 1 < df <= 2, NaN for df <= 1.
    """

    def __init__(self, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0):
        self.dtype = param_dtype(df, loc, scale)
        df_ = as_param(df, "df", "StudentT")
        loc_ = as_param(loc, "loc", "StudentT")
        scale_ = as_param(scale, "scale", "StudentT")
        check_positive(df_, "df", "StudentT")
        check_positive(scale_, "scale", "StudentT")
        if not np.isfinite(loc_).all():
            raise ValueError("StudentT: loc must be finite; found an infinite value")
        self._df, self._loc, self._scale = np.broadcast_arrays(df_, loc_, scale_)
        self.batch_shape = tuple(self._df.shape)

    @property
    def df(self) -> NDArray[np.floating]:
        """Degrees of freedom, shape batch_shape."""
        return self._out(self._df)

    @property
    def loc(self) -> NDArray[np.floating]:
        """Location, shape batch_shape."""
        return self._out(self._loc)

    @property
    def scale(self) -> NDArray[np.floating]:
        """Scale, shape batch_shape."""
        return self._out(self._scale)

    def affine(self, shift: float, scale: float) -> "StudentT":
        """The law of ``shift + scale * Y``: same df, location and scale mapped."""
        return StudentT(self._out(self._df), loc=self._out(shift + scale * self._loc),
                        scale=self._out(scale * self._scale))  # fmt: skip

    def _log_prob(self, y):
        return _log_density(y, self._df, self._loc, self._scale)

    def _cdf(self, y):
        return standard_cdf(self._df, (y - self._loc) / self._scale)

    def _icdf(self, q):
        # each tail from its own probability (1 - q exact in floats for q >= 1/2), by symmetry
        upper = q > 0.5
        df, lower_q = np.broadcast_arrays(self._df, np.where(upper, 1.0 - q, q))
        t = _lower_quantile(df, lower_q)
        out = self._loc + self._scale * np.where(upper, -t, t)
        # a standard quantile beyond the floats (-6.4e322 at q = 5e-324, df = 1) times a
        # small scale is a float: formed as exp(log s + log|t|), |t| = sqrt(df (1 - x) / x)
        df, lower_q, t, upper, loc, scale, out = np.broadcast_arrays(
            df, lower_q, t, upper, self._loc, self._scale, out)
        redo = np.isinf(t) & (lower_q > 0) & np.isfinite(scale)
        if redo.any():
            log_x = _tail_log_x(df[redo], lower_q[redo])
            log_abs_t = 0.5 * (np.log(df[redo]) - log_x + np.log1p(-np.exp(log_x)))
            with np.errstate(over="ignore"):
                size = np.exp(np.log(scale[redo]) + log_abs_t)
            out = out.copy()
            out[redo] = loc[redo] + np.where(upper[redo], size, -size)
        return out

    def _mean(self):
        return np.where(self._df > 1, self._loc, np.nan)

    def _variance(self):
        df = self._df
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            v = self._scale**2 * df / (df - 2.0)
        return np.where(df > 2, v, np.where(df > 1, np.inf, np.nan))

    def _stddev(self):
        # s sqrt(df / (df - 2)) where the variance is no normal float (s beyond ~1e154 or
        # below ~1e-154); sqrt(variance), the same to an ulp, elsewhere
        df, variance = self._df, self._variance()
        normal = (variance >= np.finfo(np.float64).tiny) & (variance < np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = self._scale * np.sqrt(df / (df - 2.0))
        sd = np.where(normal, np.sqrt(np.where(normal, variance, 1.0)), scaled)
        return np.where(df > 2, sd, np.where(df > 1, np.inf, np.nan))

    def _entropy(self):
        # (df+1)/2 [psi((df+1)/2) - psi(df/2)] + log(sqrt(df) B(df/2, 1/2)) + log scale, both
        # parts from _math's cancellation-free forms (the digamma gap is ~ 1/df)
        df = self._df
        h = 0.5 * (df + 1.0) * student_t_digamma_gap(df) - student_t_log_norm(df)
        return h + np.log(self._scale)

    def _sample(self, shape, rng):
        return self._loc + self._scale * rng.standard_t(np.broadcast_to(self._df, shape))

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "StudentT":
        """Maximum likelihood over (df, loc, scale), numerically (no closed form).

        Minimises the weighted NLL with L-BFGS-B over (loc, log scale, log df), with
        log df kept in [log 0.05, log 1e6] (df -> inf is the Normal limit).

        Parameters
        ----------
        y : array-like of shape (n_samples,), finite reals
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        StudentT with batch_shape ()
        """
        arr, w = fit_inputs(y, sample_weight, "StudentT")
        wsum = np.sum(w)
        med = float(np.median(arr))
        spread = float(np.median(np.abs(arr - med))) or float(np.std(arr)) or 1.0

        def nll(theta):
            loc, log_s, log_df = theta
            return -np.sum(w * _log_density(arr, np.exp(log_df), loc, np.exp(log_s))) / wsum

        res = optimize.minimize(
            nll, x0=np.array([med, np.log(spread), np.log(5.0)]), method="L-BFGS-B",
            bounds=[(None, None), (None, None), _LOG_DF_BOUNDS],
            options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
        )
        loc, log_s, log_df = res.x
        dt = data_dtype(y)
        return cls(df=np.asarray(np.exp(log_df), dtype=dt), loc=np.asarray(loc, dtype=dt),
                   scale=np.asarray(np.exp(log_s), dtype=dt))
