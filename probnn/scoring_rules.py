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
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from probnn._crps_mixture import mixture_half_gini
from probnn._math import sigmoid, student_t_log_norm
from probnn._validation import describe_rows, describe_values
from probnn.distributions import (Bernoulli, Beta, Categorical, Distribution, Gamma, Hurdle,
                                  Laplace, LogNormal, Mixture, NegativeBinomial, Normal,
                                  OrderedLogistic, Poisson, StudentT, ZeroInflated)

__all__ = ["crps", "crps_numerical", "register_crps"]

_CRPS_REGISTRY: dict[type, Callable] = {}

_INV_SQRT_PI = 1.0 / np.sqrt(np.pi)


def crps(dist: Distribution, y: ArrayLike) -> NDArray[np.floating]:
    """Continuous ranked probability score of observations under predictive distributions.

    ``CRPS(F, y) = int (F(x) - 1{x >= y})^2 dx = E|X - y| - E|X - X'| / 2``, in the
    units of ``y``; lower is better. Closed forms: Normal, Laplace, Student-t (df >= 1.01),
    Gamma, LogNormal, Beta, a Mixture of Normals, Poisson, NegativeBinomial, Bernoulli
    (the Brier score ``(p - y)^2``) and OrderedLogistic (the ranked probability score
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

    def pieces(left, right):
        tau = split * left                    # lower piece: tau in (0, F(y))
        q = _quantiles(dist, tau)
        low = np.where(np.isfinite(q), tau * (y - q), 0.0)
        gap = above * right                   # upper piece: 1 - tau in (0, 1 - F(y))
        q = _quantiles(dist, 1.0 - gap)
        with np.errstate(invalid="ignore"):  # 0 * inf at a level that rounds to 1: masked
            high = np.where(np.isfinite(q), gap * (q - y), 0.0)
        # each piece's integrand is >= 0; rounding in Q can leave a tiny negative at a node
        return split * np.maximum(low, 0.0) + above * np.maximum(high, 0.0)

    return 2.0 * _tanh_sinh_rule(pieces, len(shape))


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
    1e-9 relative). A mixture of count distributions by the
    sum over the integers; any other mixture by :func:`crps_numerical`."""
    comps = dist.components
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    w = np.exp(dist._w_for(len(shape)))                     # (K, ...)
    k = len(comps)
    if all(type(c) is Normal for c in comps):
        mu = np.stack([np.broadcast_to(c._loc, dist.batch_shape) for c in comps])
        sd = np.stack([np.broadcast_to(c._scale, dist.batch_shape) for c in comps])
        mu = mu.reshape(w.shape[:1] + (1,) * (w.ndim - mu.ndim) + mu.shape[1:])
        sd = sd.reshape(mu.shape)
        first = np.sum(w * _abs_normal(mu - y, sd), axis=0)
        pair = _abs_normal(mu[:, None] - mu[None, :], np.sqrt(sd[:, None] ** 2 + sd[None, :] ** 2))
        second = np.sum(w[:, None] * w[None, :] * pair, axis=(0, 1))
        return first - 0.5 * second
    if all(type(c) in (NegativeBinomial, Poisson) for c in comps):
        return _crps_count_mixture(dist, y)
    if all(type(c) in _INTEGER_VALUED or getattr(c, "support", None) == "count" for c in comps):
        return _crps_integers(dist, y, dist.lattice_cdf)
    if all(type(c) in _MEAN_ABS and _finite_mean(c) for c in comps):
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
    return crps_numerical(dist, y)


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


# --------------------------------------------------------------------------
# distributions on the integers

@register_crps(Poisson)
def _crps_poisson(dist: Poisson, y):
    """``(y - l)(2 F(y) - 1) + 2 l f(floor y) - l e^{-2l} (I_0(2l) + I_1(2l))`` (Wei & Held,
    "Calibration tests for count data", TEST 23, 2014; Jordan, Krueger & Lerch 2019), the
    Bessel terms exponentially scaled (``i0e``, ``i1e``): exact at any rate, no sum."""
    lam = dist._rate
    out = _count_mean_abs(dist, y) - _poisson_half_gini(lam)
    # Below y = 1 and rate 1 the closed form is a difference of terms of size lam whose value
    # is about lam^2 (at y = 0): it cancels (1e-4 relative at lam = 1e-12). There the score
    # is summed over the integers instead, each tail P(X > k) without cancellation.
    lam, y, out = np.broadcast_arrays(lam, y, np.asarray(out, dtype=np.result_type(out, float)))
    small = (y < 1.0) & (lam < 1.0)
    if np.any(small):
        out = out.copy()
        out[small] = _crps_poisson_small(lam[small], y[small])
    return out


def _count_mean_abs(dist: Poisson | NegativeBinomial, y):
    """``E|X - y| = (y - mu)(2 F(y) - 1) + 2 mu (1 + alpha m) f(m)``, ``m = floor y``, of a
    Poisson (``alpha = 0``) or NB2: from ``sum_{k <= m} k f(k) = mu F(m) - mu (1 + alpha m)
    f(m)``, which follows from the pmf's ratio ``(k + 1) f(k + 1) = q (k + r) f(k)``."""
    poisson = type(dist) is Poisson
    mu, alpha = (dist._rate, 0.0) if poisson else (dist._mu, dist._alpha)
    m = np.floor(y)
    pmf = np.exp(dist._log_prob(np.maximum(m, 0.0))) * (m >= 0)
    m0 = np.maximum(m, 0.0)
    return (y - mu) * (2.0 * dist._cdf(y) - 1.0) + 2.0 * mu * (1.0 + alpha * m0) * pmf


def _poisson_half_gini(lam):
    """``E|X - X'| / 2 = lam e^{-2 lam} (I_0(2 lam) + I_1(2 lam))`` of a Poisson."""
    return lam * (special.i0e(2.0 * lam) + special.i1e(2.0 * lam))


_SMALL_RATE_TERMS = 30  # P(X > k) < lam^(k + 1) / (k + 1)!: beyond 30 terms, nothing for lam < 1


def _crps_poisson_small(lam, y):
    """The Poisson's CRPS for ``y < 1`` and rate ``lam < 1`` as ``int (F(x) - 1{x >= y})^2 dx``:
    ``max(0, -y)`` below 0, then on ``[0, 1)`` the share ``y`` (if positive) of ``F(0)^2`` and
    the rest of ``S(0)^2``, then ``S(k)^2`` on each ``[k, k + 1)``, ``S(k) = P(X > k)`` by
    scipy's ``pdtrc`` (``-expm1(-lam)`` for k = 0)."""
    below = np.clip(y, 0.0, 1.0)  # the share of [0, 1) below y
    total = np.maximum(0.0, -y) + below * np.exp(-2.0 * lam) + (1.0 - below) * np.expm1(-lam) ** 2
    for k in range(1, _SMALL_RATE_TERMS):
        total = total + special.pdtrc(k, lam) ** 2
    return total


# Gauss-Legendre nodes for the characteristic-function integral of the NB's E|X - X'|:
# panels of _NB_PANEL in log t, _NB_NODES nodes each
_NB_NODES = 12
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_NB_NODES)
# below exp(-_NB_DEPTH) / sd the integrand is ~ 2 Var t: its share is below 1e-15
_NB_DEPTH = 36.0
_NB_PANEL = 2.0  # width of a panel in log t (1e-10 relative; 1.0 gives 1e-14 at twice the cost)


def _nb_half_gini(mu, alpha):
    """``E|X - X'| / 2`` of NB2(mu, alpha), by ``(1 / 2 pi) int_0^pi (1 - psi(t)) / (1 - cos t) dt``.

    ``psi(t) = |phi(t)|^2 = (1 + 2 alpha mu (1 + alpha mu)(1 - cos t))^(-1/alpha)`` is the
    characteristic function of ``X - X'``; the identity is ``|d| = (1 / 2 pi)
    int_-pi^pi (1 - cos d t) / (1 - cos t) dt`` for integers d (the Fejer kernel) averaged
    over the law of d. Integrated in ``log t`` by 12-node Gauss-Legendre panels of width 2
    from ``t = exp(-36) / sd`` to ``pi``; the closed form through 2F1 (Wei & Held 2014) is
    not used because scipy's ``hyp2f1`` returns NaN for small dispersions.
    """
    mu, alpha = (a.ravel() for a in np.broadcast_arrays(mu, alpha))
    var = mu + alpha * mu * mu
    out = np.zeros(mu.shape)
    live = var > 0
    if not live.any():
        return out
    parts = [_nb_half_gini_rows(mu[live][i:i + _NB_CHUNK], alpha[live][i:i + _NB_CHUNK])
             for i in range(0, int(live.sum()), _NB_CHUNK)]
    out[live] = np.concatenate(parts)
    return out


_NB_CHUNK = 2048  # rows per block: the nodes take (panels x 12 x rows) floats


def _nb_half_gini_rows(mu, alpha):
    var = mu + alpha * mu * mu
    lo = -_NB_DEPTH - 0.5 * np.log(var)          # log t at the bottom
    top = np.log(np.pi)
    n_panels = int(np.ceil(np.max(top - lo) / _NB_PANEL))
    # panel edges per row: lo + j * width, width = (top - lo) / n_panels
    width = (top - lo) / n_panels
    j = np.arange(n_panels)[:, None, None]
    s = lo + width * (j + 0.5 + 0.5 * _GL_X[None, :, None])   # (P, N, rows)
    t = np.exp(s)
    v = 2.0 * np.sin(0.5 * t) ** 2                             # 1 - cos t, accurately
    pos = alpha > 0
    a_safe = np.where(pos, alpha, 1.0)
    g = np.where(pos, np.log1p(2.0 * a_safe * mu * (1.0 + a_safe * mu) * v) / a_safe, 2.0 * mu * v)
    integrand = -np.expm1(-g) / v * t                           # dt = t ds
    total = np.sum(integrand * _GL_W[None, :, None], axis=(0, 1)) * 0.5 * width
    return total / (2.0 * np.pi)


@register_crps(NegativeBinomial)
def _crps_negative_binomial(dist: NegativeBinomial, y):
    """``E|X - y| - E|X - X'| / 2``: :func:`_count_mean_abs` (the Poisson limit, alpha = 0,
    gives the Poisson form) and :func:`_nb_half_gini`."""
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    mu_b, alpha_b = (np.broadcast_to(a, shape) for a in (dist._mu, dist._alpha))
    return _count_mean_abs(dist, y) - _nb_half_gini(mu_b, alpha_b).reshape(shape)


# a hurdle or zero-inflated law whose count law puts at least this mass at 0 is summed over
# the integers (its support is short there): the closed form's differences cancel as P_B(0) -> 1
_ZERO_PART_CLOSED_BELOW = 0.1


@register_crps(Hurdle)
@register_crps(ZeroInflated)
def _crps_zero_part(dist: Hurdle | ZeroInflated, y):
    """``E|Z - y| - E|Z - Z'| / 2`` of ``Z = 0`` with probability pi, else ``T``: ``pi |y| + (1
    - pi) A_T(y) - pi (1 - pi) E[T] - (1 - pi)^2 G_T``, ``A_T(y) = E|T - y|``, ``G_T = E|T -
    T'| / 2``. A zero-inflated law's ``T`` is its count law ``B``; a hurdle's is ``B`` given
    ``B > 0``, with ``b0 = P_B(0)``: ``A_T = (A_B(y) - b0 |y|) / (1 - b0)``, ``E[T] = E[B] /
    (1 - b0)``, ``G_T = (G_B - b0 E[B]) / (1 - b0)^2`` (``B`` is 0 or ``T``). ``A_B`` and
    ``G_B`` are the Poisson's or NB2's closed forms, so no row needs the quantiles of a law
    whose counts are ~1e11 (the sum over the integers took seconds a row there); rows whose
    ``b0`` is ``_ZERO_PART_CLOSED_BELOW`` or more, and other count laws, are summed over the
    integers (:func:`_crps_integers`)."""
    base = dist.base
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    b0 = np.broadcast_to(np.exp(dist._log_b0), shape)
    closed = b0 < _ZERO_PART_CLOSED_BELOW
    if type(base) not in (Poisson, NegativeBinomial) or not closed.any():
        return _crps_integers(dist, y)
    yb = np.broadcast_to(y, shape)
    sub = dict(rate=base._rate) if type(base) is Poisson else dict(mean=base._mu,
                                                                    dispersion=base._alpha)
    pick = {k: np.broadcast_to(v, shape)[closed] for k, v in sub.items()}
    b, yc, b0c = type(base)(**pick), yb[closed], b0[closed]
    half = _poisson_half_gini(b._rate) if type(b) is Poisson else _nb_half_gini(b._mu, b._alpha)
    mean_abs, mean = _count_mean_abs(b, yc), np.asarray(b._mean())
    if type(dist) is Hurdle:
        keep = 1.0 - b0c
        mean_abs = (mean_abs - b0c * np.abs(yc)) / keep
        half, mean = (half - b0c * mean) / keep**2, mean / keep
    pi = np.broadcast_to(np.exp(dist._log_pi), shape)[closed]
    not_pi = np.broadcast_to(np.exp(dist._log_not_pi), shape)[closed]
    out = np.empty(shape)
    out[closed] = pi * np.abs(yc) + not_pi * mean_abs - pi * not_pi * mean - not_pi**2 * half
    if not closed.all():
        out[~closed] = _crps_integers(type(dist)(type(base)(**{k: np.broadcast_to(v, shape)[
            ~closed] for k, v in sub.items()}), np.broadcast_to(dist._logit, shape)[~closed]),
            yb[~closed])
    return out


def _lattice(y, below, above, n_points):
    """``int (F(x) - 1{x >= y})^2 dx`` for a law on ``0..n_points - 1``.

    ``below[..., k] = F(k)`` and ``above[..., k] = 1 - F(k)`` for ``k = 0..n_points - 2``
    (given separately so that neither loses digits); on ``[k, k + 1)`` the cdf is F(k), so
    the piece is ``F(k)^2 t_k + (1 - F(k))^2 (1 - t_k)`` with ``t_k`` the share of it below y;
    outside the support the step alone adds ``max(0, -y) + max(0, y - (n_points - 1))``.
    """
    k = np.arange(n_points - 1, dtype=np.float64)
    share = np.clip(y[..., None] - k, 0.0, 1.0)
    inside = np.sum(below**2 * share + above**2 * (1.0 - share), axis=-1)
    return inside + np.maximum(-y, 0.0) + np.maximum(y - (n_points - 1), 0.0)


@register_crps(Bernoulli)
def _crps_bernoulli(dist: Bernoulli, y):
    """The Brier score: ``(1 - p)^2`` at y = 1, ``p^2`` at y = 0 (the CRPS of a law on {0, 1})."""
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    y = np.broadcast_to(y, shape)
    p = np.broadcast_to(dist._p, shape)[..., None]
    q = np.broadcast_to(np.exp(dist._log_q), shape)[..., None]
    return _lattice(y, q, p, 2)


@register_crps(OrderedLogistic)
def _crps_ordered_logistic(dist: OrderedLogistic, y):
    """The ranked probability score ``sum_{k=0}^{C-2} (F(k) - 1{y <= k})^2`` over the class
    indices, ``F(k) = sigmoid(c_k - eta)`` and ``1 - F(k) = sigmoid(eta - c_k)``."""
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    y = np.broadcast_to(y, shape)
    eta = np.broadcast_to(dist._eta, shape)[..., None]
    cut = np.broadcast_to(dist._cut, shape + (dist.n_classes - 1,))
    return _lattice(y, sigmoid(cut - eta), sigmoid(eta - cut), dist.n_classes)


@register_crps(Categorical)
def _crps_categorical(dist: Categorical, y):
    raise ValueError(
        "crps needs ordered outcomes; found a Categorical, whose classes have no order "
        "(score it by its NLL or Brier score, or model ordered classes with OrderedLogistic)"
    )


# laws on the integers from 0 besides those whose support is "count" (a hurdle's, a
# zero-inflated law's): a mixture of them is scored by the sum over the integers
_INTEGER_VALUED = (Poisson, NegativeBinomial, Bernoulli, OrderedLogistic)
# the sum over the integers stops at the mixture's (1 - _LATTICE_TAIL)-quantile (and y)
_LATTICE_TAIL = 1e-13
_LATTICE_MAX_POINTS = 2_000_000
# ... and rows x points at most this many (128 MiB of float64 an array): beyond it, the
# quantile rule, whose memory does not grow with the counts
_LATTICE_MAX_CELLS = 1 << 24


def _crps_integers(dist: Distribution, y, lattice_cdf: Callable | None = None):
    """``sum_k (F(k) - 1{y <= k})^2`` summed up to ``K`` = the larger of y and the
    ``1 - 1e-13`` quantile: the terms left out add at most ``1e-13 E[(X - K)^+]``.
    ``lattice_cdf(n)``: ``F(0..n-1)`` at once, shape ``(n,) + batch_shape``, where the law
    has a cheaper way than its cdf at each point (a mixture of count laws)."""
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    y = np.broadcast_to(y, shape)
    top = np.broadcast_to(dist._icdf(np.full(shape, 1.0 - _LATTICE_TAIL)), shape)
    n_points = int(max(np.max(top, initial=0.0), np.max(np.ceil(y), initial=0.0))) + 2
    cells = n_points * max(1, int(np.prod(shape)))
    if n_points > _LATTICE_MAX_POINTS or cells > _LATTICE_MAX_CELLS:
        return crps_numerical(dist, y)
    k = np.arange(n_points - 1, dtype=np.float64).reshape((-1,) + (1,) * len(shape))
    cdf = dist._cdf(k) if lattice_cdf is None else lattice_cdf(n_points - 1)
    below = np.moveaxis(np.asarray(cdf, np.float64), 0, -1)
    below = np.broadcast_to(below, shape + (n_points - 1,))
    return _lattice(y, below, 1.0 - below, n_points)


# rows x points summed at a time by _crps_count_mixture
_WINDOW_CHUNK = 1 << 17


def _crps_count_mixture(dist: Mixture, y):
    """:func:`_crps_integers` for a mixture of negative binomials and Poissons, each row summed
    over its own window ``[lo, hi)``, lo and hi its ``1e-13`` and ``1 - 1e-13`` quantiles.

    Below lo the cdf is under 1e-13 and from hi on above ``1 - 1e-13``: there each integer adds
    ``1{k >= y}`` (below) or ``1{k < y}`` (above), counted at once as ``max(0, lo - y) + max(0,
    y - hi)``, each term exact to 2e-13 (rather than one lattice from 0 to the largest row's
    quantile for every row, and y's beyond it). Inside, ``F(k) = F(lo - 1) + sum`` of the
    mixture's masses from lo, by :func:`~probnn.distributions.negative_binomial.
    nb_mixture_pmf_run`; rows sorted by width, each chunk of them (at most ``_WINDOW_CHUNK``
    rows x points) padded to its widest.
    """
    from probnn.distributions.negative_binomial import nb_mixture_pmf_run

    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    n_rows = int(np.prod(shape))
    lo_full = np.broadcast_to(dist._icdf(np.full(dist.batch_shape, _LATTICE_TAIL)), shape)
    lo = lo_full.ravel()
    hi = np.broadcast_to(dist._icdf(np.full(dist.batch_shape, 1.0 - _LATTICE_TAIL)), shape).ravel()
    width = hi - lo
    if np.max(width, initial=0.0) > _LATTICE_MAX_POINTS or np.sum(width) > _LATTICE_MAX_CELLS:
        return crps_numerical(dist, y)
    with np.errstate(divide="ignore"):
        params = [(np.log(c._rate), np.full(c.batch_shape, -np.inf)) if type(c) is Poisson
                  else (c._log_mu, c._log_alpha) for c in dist.components]
    log_mu, log_alpha = (np.stack([np.broadcast_to(p[i], shape).ravel() for p in params])
                         for i in (0, 1))  # fmt: skip
    w = np.exp(np.broadcast_to(dist._w_for(len(shape)), (len(params),) + shape).reshape(
        len(params), n_rows))
    # F(lo - 1) of shape `shape` (lo raveled is (1,) for a scalar batch and y: no broadcast back)
    start = np.broadcast_to(dist._cdf(np.maximum(lo_full - 1.0, 0.0)), shape).ravel() * (lo > 0)
    y = np.broadcast_to(y, shape).ravel()
    out = np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0)
    order = np.argsort(width, kind="stable")
    i = 0
    while i < n_rows:  # rows by width: each chunk padded to its widest row
        j = i + 1
        while j < n_rows and (j - i + 1) * width[order[j]] <= _WINDOW_CHUNK:
            j += 1
        rows = order[i:j]
        n = int(width[rows[-1]])
        if n > 0:
            mass = nb_mixture_pmf_run(lo[rows], n, log_mu[:, rows], log_alpha[:, rows],
                                      w[:, rows])  # fmt: skip
            below = np.clip(start[rows] + np.cumsum(mass, axis=0), 0.0, 1.0)
            k = lo[rows] + np.arange(n, dtype=np.float64)[:, None]
            share = np.clip(y[rows] - k, 0.0, 1.0)
            inside = (below**2 * share + (1.0 - below) ** 2 * (1.0 - share)) * (k < hi[rows])
            out[rows] += np.sum(inside, axis=0)
        i = j
    return out.reshape(shape)
