"""Censored and interval targets: ``log P(l < Y <= u)`` and its gradient, in log space.

A censored observation says only that ``Y`` lies in ``(l, u]``: its likelihood is
``P = F(u) - F(l)``. Both forms of that difference are exact,

* ``log F(u) + log1mexp(log F(l) - log F(u))`` (subtracting cdfs), and
* ``log S(l) + log1mexp(log S(u) - log S(l))`` (subtracting survivals),

and :func:`log_interval_prob` takes the one whose logs are accurate: the cdf form when
``l`` is below the median (``F(l) <= 1/2``), the survival form above, so a bound far in
either tail never rounds ``F`` to 0 or 1 first.

For a location-scale family ``F(y) = G((y - mu) / sigma)`` with a standard law ``G``
(density ``g``), with ``r = (y - mu) / sigma``,

    d log P / d mu       = -(g(r_u) - g(r_l)) / (sigma P)
    d log P / d log sigma = -(r_u g(r_u) - r_l g(r_l)) / P,

each ratio ``g(r) / P`` formed as ``exp(log g(r) - log P)`` (a bound at +-inf has
``g = 0`` and contributes 0). :func:`location_scale_log_prob` computes these; a family
chains them through its own link (``d log sigma / dz2`` of the softplus scale).

A family whose shape enters its cdf through an incomplete gamma or beta function (gamma,
beta, negative binomial) has no closed form for ``d log P / d shape``: it differentiates
``log P`` numerically, :func:`central_difference`, a fourth-order central difference in
a log-shape of the float64 log-probability. With step ``h = 1e-3`` its truncation error
is ``h^4 f^(5) / 30 ~ 3e-14 f^(5)`` and its rounding error about ``1.5 eps |log P| / h ~
3e-13 |log P|`` (``eps`` the float64 ulp, ``log P`` accurate to a few ulps), so the
derivative is good to about ``1e-10`` relative for probabilities that are not far-tail
(``|log P|`` of order 1-100): far beyond what minibatch training needs, and checked
against finite differences of scipy's log-cdf in the tests.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from probnn._math import log1mexp, student_t_log_norm
from probnn.distributions.studentt import (_SQUARE_SAFE, _STDTR_TINY, log1p_square_over_df,
                                           standard_log_cdf_sf)

__all__ = [
    "log_interval_prob", "log_difference", "location_scale_log_prob",
    "NORMAL_LAW", "LAPLACE_LAW", "LOGISTIC_LAW", "StudentTLaw", "standard_log_prob",
    "central_difference", "bound_logs", "end_ratio", "location_shape_gradient",
]  # fmt: skip

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_LOG_2 = math.log(2.0)


def log_difference(log_p: np.ndarray, log_q: np.ndarray) -> np.ndarray:
    """``log(p - q)`` for ``0 <= q <= p`` given as logs; ``-inf`` where ``p == q``.

    Where ``p`` is 0 (``log_p = -inf``) the difference is 0 (``-inf``), not the
    ``nan`` of ``-inf - -inf``.
    """
    zero = log_p == -np.inf
    with np.errstate(invalid="ignore"):
        d = np.minimum(np.where(zero, -np.inf, log_q - log_p), 0.0)
    return np.where(zero, -np.inf, log_p + log1mexp(d))


def log_interval_prob(log_cdf_l, log_sf_l, log_cdf_u, log_sf_u) -> np.ndarray:
    """``log(F(u) - F(l))`` from the logs of the cdf and the survival at both bounds.

    Parameters
    ----------
    log_cdf_l, log_sf_l : ndarray
        ``log F(l)`` and ``log S(l) = log(1 - F(l))``.
    log_cdf_u, log_sf_u : ndarray
        The same at ``u >= l``; all four broadcast together.

    Returns
    -------
    ndarray
        ``log P(l < Y <= u)``; ``-inf`` where the interval has no probability in floats.
    """
    above_median = log_cdf_l > log_sf_l
    return np.where(above_median, log_difference(log_sf_l, log_sf_u),
                    log_difference(log_cdf_u, log_cdf_l))  # fmt: skip


def central_difference(f, t: np.ndarray, h: float | np.ndarray = 1e-3) -> np.ndarray:
    """``df/dt`` by the fourth-order central difference ``(8 (f(t+h) - f(t-h)) - (f(t+2h) -
    f(t-2h))) / (12 h)``, elementwise for a vectorised ``f`` (accuracy in the module's
    docstring). Where ``f`` is ``-inf`` at some step (a probability at the float range's
    edge) the difference is not a number: 0 there, and the caller sets its own limit."""
    with np.errstate(invalid="ignore", over="ignore"):
        d = (8 * (f(t + h) - f(t - h)) - (f(t + 2 * h) - f(t - 2 * h))) / (12 * h)
    return np.where(np.isfinite(d), d, 0.0)


def bound_logs(bound: np.ndarray, log_cdf_sf) -> tuple[np.ndarray, np.ndarray]:
    """``(log F(b), log S(b))`` at bounds that are ``-inf``, ``+inf`` or finite.

    ``log_cdf_sf(mask)`` gives the two logs at the finite bounds ``bound[mask]``; an
    absent lower bound (``-inf``) has ``F = 0``, an absent upper one (``+inf``) ``S = 0``.
    """
    fin = np.isfinite(bound)
    lc = np.where(bound > 0, 0.0, -np.inf)
    ls = np.where(bound > 0, -np.inf, 0.0)
    if fin.any():
        lc[fin], ls[fin] = log_cdf_sf(fin)
    return lc, ls


def end_ratio(log_density: np.ndarray, log_p: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """``g(b) / P`` as ``exp(log g - log P)``; 0 at an infinite bound or where ``P = 0``."""
    ok = np.isfinite(bound) & (log_p > -np.inf)
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.exp(np.where(ok, log_density, 0.0) - np.where(ok, log_p, 0.0))
    return np.where(ok, r, 0.0)


def location_shape_gradient(raw, log_p, logs_l, d_z1, d_z2):
    """The gradient (n, 2) of a censored NLL in a location-type output ``z1`` and a shape
    ``z2``, in ``raw``'s dtype, from their values where ``P > 0``; where ``P`` is 0 in floats
    the limits: ``dL/dz1`` ``-inf`` when the interval lies in the upper tail (``F(l) > 1/2``,
    from ``logs_l = (log F(l), log S(l))``), ``+inf`` below, and ``dL/dz2 = 0``."""
    possible = log_p > -np.inf
    grad = np.empty_like(raw)
    grad[:, 0] = np.where(possible, d_z1, np.where(logs_l[0] > logs_l[1], -np.inf, np.inf))
    grad[:, 1] = np.where(possible, d_z2, 0.0)
    return grad


class _Law:
    """A standard law (location 0, scale 1): ``log_cdf``, ``log_sf``, ``log_pdf`` of r, and
    ``log_hazard = log(g / S)`` (``log_reverse_hazard = log(g / F)``), which a law whose
    logs grow like ``r^2`` forms directly: their difference of two huge logs would lose it."""

    def log_cdf(self, r):  # pragma: no cover - abstract
        raise NotImplementedError

    def log_sf(self, r):  # symmetric laws: S(r) = F(-r)
        return self.log_cdf(-r)

    def log_pdf(self, r):  # pragma: no cover - abstract
        raise NotImplementedError

    def log_hazard(self, r):
        return self.log_pdf(r) - self.log_sf(r)

    def log_reverse_hazard(self, r):  # symmetric laws: g(r) / F(r) = g(-r) / S(-r)
        return self.log_hazard(-r)


class _NormalLaw(_Law):
    def log_cdf(self, r):
        return special.log_ndtr(r)

    def log_pdf(self, r):
        return -0.5 * r * r - _HALF_LOG_2PI

    def log_hazard(self, r):
        # g / S = sqrt(2 / pi) / erfcx(r / sqrt 2) above 0 (Mills' ratio, no exp(-r^2/2) formed)
        pos = r > 0
        with np.errstate(over="ignore", invalid="ignore"):
            tail = 0.5 * math.log(2 / math.pi) - np.log(special.erfcx(np.where(pos, r, 1.0)
                                                                      / math.sqrt(2)))
            direct = self.log_pdf(r) - special.log_ndtr(-np.where(pos, 0.0, r))
        return np.where(pos, tail, direct)


class _LaplaceLaw(_Law):
    def log_cdf(self, r):
        # F(r) = e^r / 2 below 0, 1 - e^-r / 2 above
        with np.errstate(over="ignore"):
            return np.where(r < 0, r - _LOG_2, np.log1p(-0.5 * np.exp(-np.abs(r))))

    def log_pdf(self, r):
        return -np.abs(r) - _LOG_2

    def log_hazard(self, r):
        # above 0: g / S = (e^-r / 2) / (e^-r / 2) = 1 exactly
        return np.where(r > 0, 0.0, self.log_pdf(np.minimum(r, 0.0)) - self.log_sf(np.minimum(r, 0.0)))


class StudentTLaw(_Law):
    """Student's t with ``df`` degrees of freedom: the tail ``I_x(df/2, 1/2) / 2``."""

    def __init__(self, df: float):
        self.df = float(df)
        self._log_norm = float(student_t_log_norm(df))

    def log_cdf(self, r):
        nu = self.df
        with np.errstate(over="ignore", divide="ignore"):
            # P(T <= -|r|) = I_x(nu/2, 1/2) / 2 = (1 - I_{1-x}(1/2, nu/2)) / 2, x = nu / (nu + r^2):
            # the first from x = 1 / (1 + q), q = r^2 / nu, where x <= 1/2 (a huge r gives x -> 0,
            # not inf / inf), the second from 1 - x = 1 / (1 + 1/q) where x > 1/2 (x rounds to 1
            # and loses r^2 / nu there for large nu)
            q = (r / math.sqrt(nu)) ** 2
            near = q < 1
            tail = 0.5 * np.where(
                near, special.betaincc(0.5, 0.5 * nu, 1 / (1 + 1 / np.where(near, q, 1.0))),
                special.betainc(0.5 * nu, 0.5, 1 / (1 + np.where(near, 1.0, q))))
            out = np.where(r < 0, np.log(tail), np.log1p(-tail))
        # beyond |r| ~ 1e154 q overflows (tail 0) and below 1e-290 the tail is subnormal: the
        # log form there (elsewhere these values are unchanged)
        redo = ((tail < _STDTR_TINY) | (np.abs(r) > _SQUARE_SAFE)) & np.isfinite(r)
        if np.any(redo):
            r_b = np.broadcast_to(r, out.shape)
            out = np.array(out, dtype=np.float64)
            out[redo] = standard_log_cdf_sf(nu, r_b[redo])[0]
        return out

    def log_pdf(self, r):
        with np.errstate(over="ignore"):
            q = (r / math.sqrt(self.df)) ** 2
        out = self._log_norm - 0.5 * (self.df + 1) * np.log1p(q)
        # q overflowed to a log density of -inf beyond |r| ~ 1e154: the log form there
        far = np.isinf(q) & np.isfinite(r)
        if np.any(far):
            r_far = np.broadcast_to(np.asarray(r, dtype=np.float64), far.shape)[far]
            out = np.array(out, dtype=np.float64)
            out[far] = self._log_norm - 0.5 * (self.df + 1) * log1p_square_over_df(r_far, self.df)
        return out


class _LogisticLaw(_Law):
    def log_cdf(self, r):
        return -np.logaddexp(0.0, -r)  # log sigmoid(r)

    def log_pdf(self, r):
        return -np.logaddexp(0.0, -r) - np.logaddexp(0.0, r)

    def log_hazard(self, r):  # g / S = sigmoid(r)
        return -np.logaddexp(0.0, -r)


NORMAL_LAW = _NormalLaw()
LOGISTIC_LAW = _LogisticLaw()
LAPLACE_LAW = _LaplaceLaw()


def _standardise(y, loc, scale):
    """``(y - loc) / scale`` with ``0 / 0 = 0`` (a bound at the location of a zero scale)."""
    d = y - loc
    out = np.zeros(np.broadcast(d, scale).shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        np.divide(d, scale, out=out, where=d != 0)
    return out


def _end_ratios(law: _Law, r_l, r_u, logs):
    """``g(r_l) / P`` and ``g(r_u) / P`` through the (reverse) hazards, never ``log g - log P``.

    Below the median (``P = F(u) (1 - F(l) / F(u))``, ``D = log F(u) - log F(l)``):
    ``g(r_u) / P = (g/F)(r_u) / -expm1(-D)``, ``g(r_l) / P = (g/F)(r_l) / expm1(D)``; above
    it the same with the hazard ``g/S`` and ``E = log S(l) - log S(u)``. An infinite end
    contributes 0.
    """
    lc_l, ls_l, lc_u, ls_u = logs
    above = lc_l > ls_l
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d = np.where(lc_l == -np.inf, np.inf, lc_u - lc_l)
        e = np.where(ls_u == -np.inf, np.inf, ls_l - ls_u)
        a_l = np.where(above, np.exp(law.log_hazard(r_l)) / -np.expm1(-e),
                       np.exp(law.log_reverse_hazard(r_l)) / np.expm1(d))
        a_u = np.where(above, np.exp(law.log_hazard(r_u)) / np.expm1(e),
                       np.exp(law.log_reverse_hazard(r_u)) / -np.expm1(-d))
    a_l = np.where(np.isfinite(r_l), a_l, 0.0)
    a_u = np.where(np.isfinite(r_u), a_u, 0.0)
    return a_l, a_u


def standard_log_prob(law: _Law, r_l, r_u, need_gradient: bool):
    """``log P(r_l < T <= r_u)`` for T of the standard ``law``, and ``g(r) / P`` at both ends.

    Returns
    -------
    log_p : ndarray
    a_l, a_u : ndarray or None
        ``g(r_l) / P`` and ``g(r_u) / P`` (``d log P / d r_u = a_u``, ``d log P / d r_l = -a_l``);
        0 at an infinite end; meaningless where ``log_p = -inf``.
    possible : ndarray of bool or None
        ``log_p > -inf``.
    """
    logs = (law.log_cdf(r_l), law.log_sf(r_l), law.log_cdf(r_u), law.log_sf(r_u))
    log_p = log_interval_prob(*logs)
    if not need_gradient:
        return log_p, None, None, None
    a_l, a_u = _end_ratios(law, r_l, r_u, logs)
    return log_p, a_l, a_u, log_p > -np.inf


def location_scale_log_prob(law: _Law, loc, scale, lower, upper, need_gradient: bool):
    """``log P(l < Y <= u)`` for ``Y = loc + scale * T``, T of the standard ``law``.

    Parameters
    ----------
    law : the standard law
    loc, scale : ndarray, float64, broadcasting with the bounds
        ``scale >= 0`` (0 where a softplus underflowed).
    lower, upper : ndarray, float64
        ``lower < upper``; ``-inf`` / ``+inf`` for a bound that is absent.
    need_gradient : bool

    Returns
    -------
    log_p : ndarray
    dlog_p_dloc, dlog_p_dlog_scale : ndarray or None
        Where ``log_p = -inf`` (the interval is beyond the float range from ``loc``) they are
        the limits: ``-inf`` for ``log scale`` (widening helps) and ``+-inf`` towards the
        interval for ``loc``.
    """
    r_l, r_u = _standardise(lower, loc, scale), _standardise(upper, loc, scale)
    log_p, a_l, a_u, possible = standard_log_prob(law, r_l, r_u, need_gradient)
    if not need_gradient:
        return log_p, None, None
    a_l = np.where(possible, a_l, 0.0)  # g(r_l) / P; 0 at an infinite bound
    a_u = np.where(possible, a_u, 0.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d_loc = np.zeros(np.broadcast(a_l, scale).shape)
        diff = a_l - a_u
        np.divide(diff, scale, out=d_loc, where=diff != 0)
        d_log_scale = np.where(a_l > 0, r_l * a_l, 0.0) - np.where(a_u > 0, r_u * a_u, 0.0)
    towards = np.where(r_l >= 0, np.inf, -np.inf)  # the interval lies above loc, or below
    d_loc = np.where(possible, d_loc, towards)
    d_log_scale = np.where(possible, d_log_scale, np.inf)
    return log_p, d_loc, d_log_scale
