"""Logs of the regularised incomplete gamma and beta functions, accurate in both tails.

scipy's ``gammainc`` / ``gammaincc`` and ``betainc`` / ``betaincc`` are accurate to a few
ulps where their value is a normal float; the log of the smaller of the two tails is
taken from them, and the larger one as ``log1p(-smaller)``. Where the smaller tail is
below ``_TINY`` (it underflows, or is about to lose digits as a subnormal), its log is
formed directly as ``log(prefactor) + log(continued fraction)`` (Numerical Recipes'
``gcf`` / ``betacf``, Lentz's method, in float64), so a bound far in a tail gives a
large finite ``-log`` probability, not ``log(0)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["gamma_log_cdf_sf", "beta_log_cdf_sf"]

_TINY = 1e-290
_FPMIN = 1e-300
_MAX_ITER = 2000


def _lentz(coef, b0, n_iter: int = _MAX_ITER):
    """``b0 + a_1 / (b_1 + a_2 / (b_2 + ...))`` for ``coef(i) -> (a_i, b_i)`` (arrays),
    by the modified Lentz method; each row stops when its factor is within 4 ulps of 1."""
    f = np.where(np.abs(b0) < _FPMIN, _FPMIN, b0)
    c, d = f.copy(), np.zeros_like(f)
    done = np.zeros(f.shape, dtype=bool)
    for i in range(1, n_iter + 1):
        a, b = coef(i)
        d = b + a * d
        d = np.where(np.abs(d) < _FPMIN, _FPMIN, d)
        c = b + a / c
        c = np.where(np.abs(c) < _FPMIN, _FPMIN, c)
        d = 1.0 / d
        delta = np.where(done, 1.0, c * d)
        f = f * delta
        done |= np.abs(delta - 1.0) < 1e-15
        if done.all():
            break
    return f


def _log_gamma_q_cf(a, x, log_x):
    """``log Q(a, x)`` by Legendre's continued fraction (converges for ``x > a - 1``)."""
    xs = np.where(np.isfinite(x), x, 1.0)
    # Q = e^-x x^a / G(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))
    cf = _lentz(lambda i: (-i * (i - a), xs + 2 * i + 1 - a), xs + 1 - a)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -xs + a * log_x - special.gammaln(a) - np.log(cf)
    return np.where(np.isfinite(x), out, -np.inf)


def _log_gamma_p_series(a, x, log_x):
    """``log P(a, x) = a log x - x - log G(a + 1) + log sum_n x^n / ((a + 1) ... (a + n))``
    (converges for every x; fast for ``x < a``, where P underflows)."""
    term, total = np.ones_like(x), np.ones_like(x)
    for n in range(1, _MAX_ITER + 1):
        term = term * x / (a + n)
        total = total + term
        if (term < 1e-17 * total).all():
            break
    # log G(a + 1) = log a + log G(a), kept finite as a -> 0 through gammaln(1 + a)
    return a * log_x - x - special.gammaln(1 + a) + np.log(total)


def gamma_log_cdf_sf(log_a, log_x):
    """``(log P(a, x), log Q(a, x))``, the regularised lower and upper incomplete gamma.

    Parameters
    ----------
    log_a : ndarray
        Log of the shape ``a > 0`` (finite; ``a`` itself may underflow to 0).
    log_x : ndarray
        Log of the argument ``x >= 0`` (``-inf`` for 0, ``+inf`` for infinity); broadcasts.

    Returns
    -------
    log_p, log_q : ndarray of float64
        ``log_p = log P`` (the Gamma(a, 1) cdf at x), ``log_q = log(1 - P)``; never NaN.
    """
    log_a, log_x = np.broadcast_arrays(np.asarray(log_a, dtype=np.float64),
                                       np.asarray(log_x, dtype=np.float64))  # fmt: skip
    shape = log_a.shape
    log_a, log_x = log_a.ravel(), log_x.ravel()
    with np.errstate(over="ignore", under="ignore"):
        a, x = np.exp(log_a), np.exp(log_x)
    # a = 0 (underflowed): all mass at 0 in floats, F = x^a / G(1 + a) = 1 for every x > 0
    limit = (a == 0) | ~np.isfinite(log_x)
    a_s, x_s = np.where(limit, 1.0, a), np.where(limit, 1.0, x)
    p = special.gammainc(a_s, x_s)  # gammaincc only where the upper tail is the smaller
    q = 1.0 - p
    upper_tail = p > 0.5
    if upper_tail.any():
        q[upper_tail] = special.gammaincc(a_s[upper_tail], x_s[upper_tail])
    at_zero = log_x == -np.inf
    p = np.where(limit, np.where(at_zero, 0.0, 1.0), p)
    q = np.where(limit, np.where(at_zero, 1.0, 0.0), q)
    lower_small = p <= q
    with np.errstate(divide="ignore"):
        log_small = np.log(np.where(lower_small, p, q))
    redo = (np.where(lower_small, p, q) < _TINY) & ~limit
    if redo.any():
        ar, xr, lxr = a[redo], x[redo], log_x[redo]
        lo = lower_small[redo]
        fixed = np.empty(ar.shape)
        if lo.any():
            fixed[lo] = _log_gamma_p_series(ar[lo], xr[lo], lxr[lo])
        if (~lo).any():
            fixed[~lo] = _log_gamma_q_cf(ar[~lo], xr[~lo], lxr[~lo])
        log_small[redo] = fixed
    log_large = np.log1p(-np.exp(log_small))
    return (np.where(lower_small, log_small, log_large).reshape(shape),
            np.where(lower_small, log_large, log_small).reshape(shape))


def _log_beta_cf(a, b, x, log_x, log_x1):
    """``log I_x(a, b)`` by the continued fraction of Numerical Recipes' ``betacf`` (fast
    where ``x < (a + 1) / (a + b + 2)``, the side on which I underflows)."""

    def coef(i):
        if i % 2:  # d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
            m = (i - 1) // 2
            # (as ratios: the products of two shapes of 1e200 overflow)
            num = -((a + m) / (a + 2 * m)) * ((a + b + m) / (a + 2 * m + 1)) * x
        else:  # d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m))
            m = i // 2
            num = (m / (a + 2 * m - 1)) * ((b - m) / (a + 2 * m)) * x
        return num, np.ones_like(x)

    # I = x^a (1 - x)^b / (a B(a, b)) / (1 + d1 / (1 + d2 / (1 + ...)))
    cf = _lentz(coef, np.ones_like(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        return a * log_x + b * log_x1 - np.log(a) - special.betaln(a, b) - np.log(cf)


def beta_log_cdf_sf(a, b, x, x1, log_x=None, log_x1=None):
    """``(log I_x(a, b), log I_{1-x}(b, a))``: the Beta(a, b) cdf and survival at x, in logs.

    Parameters
    ----------
    a, b : ndarray
        Shapes ``> 0`` (finite).
    x, x1 : ndarray
        ``x`` in [0, 1] and ``x1 = 1 - x``, each given accurately (so that a point near
        either end keeps its digits); broadcast together.
    log_x, log_x1 : ndarray, optional
        ``log x`` and ``log(1 - x)``, where the caller has them more accurately than the
        floats ``x`` and ``x1`` hold them: a point within ``e^-745`` of an end, where ``x1``
        (or ``x``) underflows to 0 but its log is finite (the negative binomial's ``1 - p
        = sigmoid(-t)`` for ``t`` beyond 745). The tail that depends on the end is then
        formed from the logs (its continued fraction's prefactor ``x^a (1 - x)^b``).

    Returns
    -------
    log_cdf, log_sf : ndarray of float64, never NaN.
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in (a, b, x, x1)]
    with np.errstate(divide="ignore"):
        arrays.append(np.log(arrays[2]) if log_x is None else np.asarray(log_x, np.float64))
        arrays.append(np.log(arrays[3]) if log_x1 is None else np.asarray(log_x1, np.float64))
    a, b, x, x1, log_x, log_x1 = np.broadcast_arrays(*arrays)
    shape = a.shape
    a, b, x, x1, log_x, log_x1 = (v.ravel() for v in (a, b, x, x1, log_x, log_x1))
    # I_x(a, b) = 1 - I_{1-x}(b, a): evaluated at the smaller of x and 1 - x, whose digits the
    # caller gave exactly (scipy's betainc at x = 1 - 1e-9 would read the float x, and lose
    # 7 digits of 1 - x: a geometric law of mean 1e9 had its median off by 58 counts)
    flip = x > x1
    if flip.any():
        a, b = np.where(flip, b, a), np.where(flip, a, b)
        x, x1 = np.where(flip, x1, x), np.where(flip, x, x1)
        log_x, log_x1 = np.where(flip, log_x1, log_x), np.where(flip, log_x, log_x1)
    log_cdf, log_sf = _beta_log_tails(a, b, x, x1, log_x, log_x1)
    return (np.where(flip, log_sf, log_cdf).reshape(shape),
            np.where(flip, log_cdf, log_sf).reshape(shape))


def _beta_log_tails(a, b, x, x1, log_x, log_x1):
    """:func:`beta_log_cdf_sf` on flat arrays, at the smaller end's point (``x <= 1/2``)."""
    # the smaller tail's own function (the other is 1 - it, formed in logs below); betaincc
    # only where the lower tail is the larger, halving the work of the calls
    p = special.betainc(a, b, x)
    lower_small = p <= 0.5
    q = 1.0 - p
    if (~lower_small).any():
        q[~lower_small] = special.betaincc(a[~lower_small], b[~lower_small], x[~lower_small])
    with np.errstate(divide="ignore"):
        log_small = np.log(np.where(lower_small, p, q))
    # the continued fraction converges only below x = (a + 1) / (a + b + 2) (of its own
    # argument): beyond, where scipy's tail is still a normal float, scipy's value is kept
    # (a negative binomial of dispersion 1e300 had F(1e10) = e^-689 for 1 - 7e-298)
    with np.errstate(over="ignore", invalid="ignore"):
        # (both sides read from x, given exactly here: x1 rounds to 1)
        cf_side = np.where(lower_small, x <= (a + 1) / (a + b + 2), x >= (a + 1) / (a + b + 2))
    small = np.where(lower_small, p, q)
    redo = ((small < _TINY) & (cf_side | (small < np.finfo(np.float64).tiny))
            & np.isfinite(log_x) & np.isfinite(log_x1) & (a > 0) & (b > 0))
    if redo.any():
        ar, br, xr, x1r = a[redo], b[redo], x[redo], x1[redo]
        lxr, lx1r = log_x[redo], log_x1[redo]
        lo = lower_small[redo]
        fixed = np.empty(ar.shape)
        if lo.any():
            fixed[lo] = _log_beta_cf(ar[lo], br[lo], xr[lo], lxr[lo], lx1r[lo])
        if (~lo).any():
            fixed[~lo] = _log_beta_cf(br[~lo], ar[~lo], x1r[~lo], lx1r[~lo], lxr[~lo])
        log_small[redo] = fixed
    log_large = np.log1p(-np.exp(log_small))
    return (np.where(lower_small, log_small, log_large),
            np.where(lower_small, log_large, log_small))
