"""The CRPS of the continuous laws in closed form: Normal, Laplace, Student-t (df >= 1.01, and
by the numerical rule below), Gamma, LogNormal, Beta; and a mixture of LogNormals
(:func:`lognormal_mixture_crps`).

Each is ``E|X - z| - E|X - X'| / 2`` (Gneiting & Raftery 2007, eq. 21), kept as its two
terms in ``_MEAN_ABS`` and ``_HALF_GINI`` (keyed by the distribution's type) for the mixture
rule of :mod:`probnn.scoring_rules`, which reads both; registered with
:func:`probnn._crps_base.register_crps` on import.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import special

from probnn._crps_base import crps_numerical, register_crps
from probnn._math import student_t_log_norm
from probnn.distributions import Beta, Gamma, Laplace, LogNormal, Normal, StudentT

_INV_SQRT_PI = 1.0 / np.sqrt(np.pi)


# --------------------------------------------------------------------------
# closed forms (float64, on the private parameters)

def _abs_normal(mean, sd):
    """``E|Z|`` for ``Z ~ Normal(mean, sd^2)``: ``mean (2 Phi(mean/sd) - 1) + 2 sd phi(mean/sd)``."""
    with np.errstate(over="ignore"):  # mean / sd = +-inf for |mean| >> sd: the terms are right
        z = mean / sd
        bump = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    # mean rather than sd z: finite when z overflows
    return mean * (2.0 * special.ndtr(z) - 1.0) + 2.0 * sd * bump


# Each continuous closed form is ``E|X - z|`` and ``E|X - X'| / 2`` (CRPS = their difference,
# Gneiting & Raftery 2007, eq. 21); a mixture of such components uses both (_crps_mixture).
_MEAN_ABS: dict[type, Callable] = {}
_HALF_GINI: dict[type, Callable] = {}


def _kernel_form(dist_type: type) -> Callable:
    """Register ``fn(dist) -> (mean_abs(z), half_gini)`` and the CRPS it gives."""
    def decorate(fn: Callable) -> Callable:
        _MEAN_ABS[dist_type] = lambda dist, z: fn(dist)[0](z)
        _HALF_GINI[dist_type] = lambda dist: fn(dist)[1]
        register_crps(dist_type)(lambda dist, y: _kernel_crps(fn, dist, y))
        return fn
    return decorate


def _kernel_crps(fn, dist, y):
    mean_abs, half_gini = fn(dist)
    return mean_abs(y) - half_gini


@_kernel_form(Normal)
def _normal(dist: Normal):
    """``E|X - z| = A(z - mu, sigma)`` (:func:`_abs_normal`), ``E|X - X'| / 2 = sigma / sqrt(pi)``:
    the CRPS ``sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)]`` (Gneiting, Raftery, Westveld &
    Goldman, Monthly Weather Review 133, 2005, eq. 5)."""
    return (lambda z: _abs_normal(z - dist._loc, dist._scale)), dist._scale * _INV_SQRT_PI


@_kernel_form(Laplace)
def _laplace(dist: Laplace):
    """``E|X - z| = |d| + b exp(-|d| / b)``, ``d = z - mu``; ``E|X - X'| / 2 = 3 b / 4``: the CRPS
    ``b (|d|/b + exp(-|d|/b) - 3/4)`` (Jordan, Krueger & Lerch, "Evaluating probabilistic
    forecasts with scoringRules", J. Stat. Softw. 90, 2019, appendix A)."""
    def mean_abs(z):
        d = np.abs(z - dist._loc)
        with np.errstate(over="ignore"):
            a = d / dist._scale
        return d + dist._scale * np.exp(-a)
    return mean_abs, 0.75 * dist._scale


# Below this df the closed form's two terms cancel (both ~ 1/(df - 1)): the numerical rule
# takes over
_STUDENT_CLOSED_DF = 1.01


def _studentt(dist: StudentT):
    """For df = nu > 1: ``E|X - z| = d (2 F(w) - 1) + 2 s f(w) (nu + w^2) / (nu - 1)`` with the
    standard t's F, f, ``d = z - mu``, ``w = d / s``, and ``E|X - X'| / 2 = s 2 sqrt(nu)
    B(1/2, nu - 1/2) / ((nu - 1) B(1/2, nu/2)^2)`` (Jordan, Krueger & Lerch 2019, appendix A)."""
    nu, loc, s = dist._df, dist._loc, dist._scale

    def mean_abs(z):
        d = z - loc
        with np.errstate(over="ignore"):
            w = d / s
            # f(w) (nu + w^2) = nu c (1 + w^2/nu)^(-(nu - 1)/2): one power, 0 at w = inf
            log_fw = (student_t_log_norm(nu) + np.log(nu)
                      - 0.5 * (nu - 1) * np.log1p(w * w / nu))  # fmt: skip
        return d * (2.0 * special.stdtr(nu, w) - 1.0) + 2.0 * s * np.exp(log_fw) / (nu - 1.0)

    # betaln(1/2, b) = -student_t_log_norm(2b) - log(2b)/2: scipy's betaln drifts 1e-9 near 1e6
    const = 2.0 * np.sqrt(nu) * np.exp(2.0 * student_t_log_norm(nu) + np.log(nu)
                                       - student_t_log_norm(2.0 * nu - 1.0)
                                       - 0.5 * np.log(2.0 * nu - 1.0))
    return mean_abs, s * const / (nu - 1.0)


@register_crps(StudentT)
def _crps_studentt(dist: StudentT, y):
    """``E|X - y| - E|X - X'| / 2`` (:func:`_studentt`) where df >= 1.01; for 1/2 < df < 1.01
    numerically (:func:`crps_numerical`); +inf for df <= 1/2, where ``int (1 - F)^2`` diverges."""
    nu, loc, s = np.broadcast_arrays(dist._df, dist._loc, dist._scale)
    shape = np.broadcast_shapes(y.shape, nu.shape)
    nu, loc, s, y = (np.broadcast_to(a, shape) for a in (nu, loc, s, y))
    closed = nu >= _STUDENT_CLOSED_DF
    mean_abs, half_gini = _studentt(StudentT(np.where(closed, nu, 2.0), loc=loc, scale=s))
    out = np.where(closed, mean_abs(y) - half_gini, np.inf)
    heavy = ~closed & (nu > 0.5)
    if heavy.any():
        sub = StudentT(nu[heavy], loc=loc[heavy], scale=s[heavy])
        out[heavy] = crps_numerical(sub, y[heavy])
    return out


@_kernel_form(Gamma)
def _gamma(dist: Gamma):
    """``E|X - z| = (z - mu)(2 F(z) - 1) + 2 theta u^k e^-u / Gamma(k)`` with shape k, scale
    ``theta = 1 / rate``, ``u = z / theta``, mean ``mu = k theta``, and ``E|X - X'| / 2 =
    theta / B(1/2, k)``: the CRPS of Jordan, Krueger & Lerch (2019, appendix A), ``y (2 F_k - 1)
    - mu (2 F_{k+1} - 1) - theta / B(1/2, k)``, after ``F_{k+1}(y) = F_k(y) - u^k e^-u /
    Gamma(k + 1)``, which removes the cancellation of its two large first terms."""
    k, rate = dist._k, dist._beta

    def mean_abs(z):
        u = rate * np.maximum(z, 0.0)
        inside = z > 0
        # u^k e^-u / Gamma(k) = z p(z), by the density's stable form (the direct one cancels)
        z_safe = np.where(inside, z, 1.0)
        bump = np.where(inside, np.exp(np.log(z_safe) + dist._log_prob(z_safe)), 0.0)
        cdf = np.where(inside, special.gammainc(k, u), 0.0)
        return (z - k / rate) * (2.0 * cdf - 1.0) + 2.0 * bump / rate

    return mean_abs, np.exp(-special.betaln(0.5, k)) / rate


@_kernel_form(LogNormal)
def _lognormal(dist: LogNormal):
    """``E|X - z| = (z - m)(2 Phi(w) - 1) + 2 m [Phi(w) - Phi(w - s)]`` with ``w = (log z - mu) /
    s`` and mean ``m = exp(mu + s^2 / 2)``; ``E|X - X'| / 2 = m erf(s / 2)``: Baran & Lerch's
    CRPS (QJRMS 141, 2015, eq. 5), regrouped so that a small ``s`` loses no digits; +inf where
    ``m`` overflows."""
    mu, s = dist._loc, dist._scale
    with np.errstate(over="ignore"):
        m = np.exp(mu + 0.5 * s * s)

    def mean_abs(z):
        with np.errstate(divide="ignore"):
            w = (np.log(np.maximum(z, 0.0)) - mu) / s
        # Phi(w) - Phi(w - s) from the side where both are small (no difference of two ~1s)
        upper = w - 0.5 * s > 0
        diff = np.where(upper, special.ndtr(s - w) - special.ndtr(-w),
                        special.ndtr(w) - special.ndtr(w - s))
        with np.errstate(invalid="ignore"):
            out = (z - m) * (2.0 * special.ndtr(w) - 1.0) + 2.0 * m * diff
        return np.where(np.isinf(m), np.inf, out)

    return mean_abs, m * special.erf(0.5 * s)


@register_crps(LogNormal)
def _lognormal_crps(dist: LogNormal, y):
    """The kernel form's difference for ``s < 1``; from ``s = 1`` (where it loses digits: 1e-6 at
    s = 10, all at 20; nan where ``m`` overflows, hostile5 F3) the same CRPS as ``y (2 Phi(w) - 1)
    + 2 m [Phi(-s / sqrt 2) - Phi(w - s)]``, each ``m Phi(.)`` one exp of a sum of logs."""
    mean_abs, half_gini = _lognormal(dist)
    mu, s = dist._loc, dist._scale
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        near = mean_abs(y) - half_gini
        w, t = (np.log(np.maximum(y, 0.0)) - mu) / s, mu + 0.5 * s * s
        far = y * (2.0 * special.ndtr(w) - 1.0) + 2.0 * (
            np.exp(t + special.log_ndtr(-s / np.sqrt(2.0))) - np.exp(t + special.log_ndtr(w - s)))
    out = np.where(s >= 1.0, far, near)
    return np.where(np.isnan(out) & np.isinf(half_gini), np.inf, out)  # the mean past float max


@_kernel_form(Beta)
def _beta(dist: Beta):
    """``E|X - z| = (z - m)(2 F(z) - 1) + 2 x^a (1 - x)^b / ((a + b) B(a, b))`` with ``x`` = z
    clipped to [0, 1], ``m = a / (a + b)``; ``E|X - X'| / 2 = 2 B(2a, 2b) / ((a + b) B(a, b)^2)``:
    Taillardat, Mestre, Zamo & Naveau's CRPS (MWR 144, 2016, appendix), regrouped with
    ``I_x(a + 1, b) = I_x(a, b) - x^a (1 - x)^b / (a B(a, b))`` so that no two large terms
    cancel."""
    a, b = dist._a, dist._b
    lbeta = special.betaln(a, b)

    def mean_abs(z):
        x = np.clip(z, 0.0, 1.0)
        bump = np.exp(special.xlogy(a, x) + special.xlog1py(b, -x) - lbeta)
        return (z - a / (a + b)) * (2.0 * special.betainc(a, b, x) - 1.0) + 2.0 * bump / (a + b)

    return mean_abs, 2.0 * np.exp(special.betaln(2.0 * a, 2.0 * b) - 2.0 * lbeta) / (a + b)


_MEAN_ABS[StudentT] = lambda dist, z: _studentt(dist)[0](z)
_HALF_GINI[StudentT] = lambda dist: _studentt(dist)[1]


def lognormal_mixture_crps(log_w, mu, s, y):
    """The CRPS of ``sum_i w_i LogNormal(mu_i, s_i)`` at ``y`` with no two terms of the size of
    the mean: ``y sum_i w_i (2 Phi(v_i) - 1) + 2 sum_i w_i m_i [sum_j w_j Phi(-(mu_i - mu_j +
    s_i^2) / r_ij) - Phi(v_i - s_i)]``, ``v_i = (log y - mu_i) / s_i``, ``m_i = exp(mu_i +
    s_i^2 / 2)``, ``r_ij = sqrt(s_i^2 + s_j^2)``; each ``m_i Phi(.)`` one exp of a sum of logs.

    From the kernel form ``sum_i w_i E|X_i - y| - 1/2 sum_ij w_i w_j E|X_i - X_j'|`` with
    ``E|X_i - y| = y (2 Phi(v_i) - 1) + m_i (1 - 2 Phi(v_i - s_i))`` and ``E|X_i - X_j'| =
    m_i + m_j - 2 E[min(X_i, X_j')]``, ``E[X_i 1{X_i < X_j'}] = m_i Phi(-(mu_i - mu_j + s_i^2)
    / r_ij)`` (the tilted law of ``log X_i - log X_j'``): the ``m_i`` terms cancel in the
    algebra (the weights sum to 1), where the kernel form subtracts them in floats, losing
    every digit at ``s`` about 20 (``m = e^200``, the CRPS ``e^94``). One component is
    :func:`_lognormal_crps`'s wide form.

    Parameters
    ----------
    log_w, mu, s : ndarray of shape (K, ...)
        Log weights, log-scale locations and scales, broadcast with ``y``.
    y : ndarray
        Observations.

    Returns
    -------
    ndarray of shape broadcast(y.shape, mu.shape[1:]); +inf where the CRPS overflows.
    """
    log_w, mu, s = np.broadcast_arrays(log_w, mu, s)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        v = (np.log(np.maximum(y, 0.0)) - mu) / s
        t = mu + 0.5 * s * s                                   # log m_i
        w = np.exp(log_w)
        out = y * np.sum(w * (2.0 * special.ndtr(v) - 1.0), axis=0)
        for i in range(mu.shape[0]):
            r = np.sqrt(s[i] ** 2 + s * s)
            log_p = special.logsumexp(log_w + special.log_ndtr(-(mu[i] - mu + s[i] ** 2) / r),
                                      axis=0)  # fmt: skip
            out = out + 2.0 * w[i] * (np.exp(t[i] + log_p)
                                      - np.exp(t[i] + special.log_ndtr(v[i] - s[i])))
    return np.where(np.isnan(out), np.inf, out)  # inf - inf: the terms past float max
