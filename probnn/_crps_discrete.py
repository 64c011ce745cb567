"""The CRPS of the laws on the integers: Poisson and NegativeBinomial in closed form, a Hurdle
or ZeroInflated law of either from theirs, Bernoulli (the Brier score), OrderedLogistic (the
ranked probability score), a Categorical refused (no order); any other law on the counts,
and a mixture of them, by the sum over the integers (:func:`_crps_integers`,
:func:`_crps_count_mixture`, which :mod:`probnn.scoring_rules` calls). Registered with
:func:`probnn._crps_base.register_crps` on import.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import special

from probnn._crps_base import crps_numerical, register_crps
from probnn._math import sigmoid
from probnn.distributions import (Bernoulli, Categorical, Distribution, Hurdle, Mixture,
                                  NegativeBinomial, OrderedLogistic, Poisson, ZeroInflated)

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
    if not np.all(np.isfinite(top)):  # a quantile that ran off float range: no lattice to sum
        return crps_numerical(dist, y)
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
    """The CRPS of a mixture of negative binomials and Poissons (or of hurdle / zero-inflated
    laws of them), ``sum_k (F(k) - 1{y <= k})^2``: rows whose mixture's sd is ``_CF_MIN_SD``
    or more (every row of hurdle / zero-inflated laws whose ``P_B(0)`` allows) as ``sum_c w_c
    E|X_c - y| - E|X - X'| / 2`` (:func:`_count_mean_abs` per piece of
    :func:`_count_pieces`, :func:`count_mixture_half_gini`), where the sum over their
    integers, a window of at least ~15 sd, cost ~K flops an integer and, beyond
    ``_LATTICE_MAX_CELLS``, the quantile rule's hundreds of mixture cdfs (minutes for 60 rows
    of counts ~1e5); the other rows, and any whose characteristic-function integral does not
    settle, by :func:`_crps_count_rows`. A batch with no such row is the sum's alone."""
    shape = np.broadcast_shapes(y.shape, dist.batch_shape)
    n_rows = int(np.prod(shape))
    w = np.exp(np.broadcast_to(dist._w_for(len(shape)), (len(dist.components),) + shape).reshape(
        len(dist.components), n_rows))
    mu, alpha, w, closed = _count_pieces(dist.components, w, shape)
    mean = np.sum(w * mu, axis=0)
    var = np.sum(w * (mu + alpha * mu * mu + (mu - mean) ** 2), axis=0)
    # a hurdle / zero-inflated mixture's alternative is one lattice from 0 for all rows, K
    # log-masses a point (minutes for 63 rows of counts ~1e5): every row takes the rule
    zero_part = any(type(c) in (Hurdle, ZeroInflated) for c in dist.components)
    wide = np.flatnonzero(((var >= _CF_MIN_SD**2) | zero_part) & closed)
    if wide.size == 0:
        return _crps_count_rows(dist, y, shape, None)
    yb = np.broadcast_to(y, shape).ravel()
    out = np.full(n_rows, np.nan)
    # the law at 0 apart (its cross terms with a count law of mean m turn at rate m): X = 0
    # with weight a, else M, ``E|X - X'| / 2 = a (1 - a) E[M] + (1 - a)^2 E|M - M'| / 2``
    at_zero = np.sum(np.where(mu[:, wide] == 0, w[:, wide], 0.0), axis=0)
    keep = 1.0 - at_zero
    w_m = np.where(mu[:, wide] == 0, 0.0, w[:, wide]) / np.where(keep > 0, keep, 1.0)
    half, settled = count_mixture_half_gini(mu[:, wide], alpha[:, wide], w_m)
    half = at_zero * keep * np.sum(w_m * mu[:, wide], axis=0) + keep**2 * half
    settled &= keep > 0
    rows = wide[settled]
    if rows.size:
        laws = NegativeBinomial(mean=mu[:, rows], dispersion=alpha[:, rows])  # alpha 0: Poisson
        mean_abs = np.sum(w[:, rows] * _count_mean_abs(laws, yb[None, rows]), axis=0)
        out[rows] = mean_abs - half[settled]
    rest = np.flatnonzero(np.isnan(out))
    if rest.size:
        out[rest] = _crps_count_rows(dist, yb, shape, rest)
    return out.reshape(shape)


def _count_pieces(components, w, shape):
    """The mixture as a signed mixture of NB2 laws (Poisson: ``alpha = 0``; the law at 0: ``mu =
    0``), ``(mu, alpha, weight)`` each (pieces, rows), and per row whether every Hurdle's count
    law has ``P_B(0) < _ZERO_PART_CLOSED_BELOW``. A zero-inflated law is ``pi`` at 0 plus ``1 -
    pi`` of B; a hurdle ``pi - (1 - pi) b0 / (1 - b0)`` at 0 (may be negative) plus ``(1 - pi)
    / (1 - b0)`` of B, ``b0 = P_B(0)``: bounded factors below that b0 (as
    :func:`_crps_zero_part`)."""
    mu, alpha, weight = [], [], []
    closed = np.ones(w.shape[1], dtype=bool)

    def flat(v):
        return np.broadcast_to(v, shape).ravel().astype(float)

    for c, wc in zip(components, w):
        base, zero = (c.base, True) if type(c) in (Hurdle, ZeroInflated) else (c, False)
        rate = (flat(base._rate), np.zeros(wc.shape)) if type(base) is Poisson else (
            flat(base._mu), flat(base._alpha))
        if not zero:
            mu.append(rate[0]), alpha.append(rate[1]), weight.append(wc)
            continue
        pi, not_pi = flat(np.exp(c._log_pi)), flat(np.exp(c._log_not_pi))
        if type(c) is Hurdle:
            b0 = flat(np.exp(c._log_b0))
            closed &= b0 < _ZERO_PART_CLOSED_BELOW
            keep = np.maximum(1.0 - b0, 1.0 - _ZERO_PART_CLOSED_BELOW)
            at_zero, of_base = pi - not_pi * b0 / keep, not_pi / keep
        else:
            at_zero, of_base = pi, not_pi
        mu += [np.zeros(wc.shape), rate[0]]
        alpha += [np.zeros(wc.shape), rate[1]]
        weight += [wc * at_zero, wc * of_base]
    return np.stack(mu), np.stack(alpha), np.stack(weight), closed


def _crps_count_rows(dist: Mixture, y, shape, rows):
    """The sum over the integers of the mixture's ``rows`` (flat indices of ``shape``; None:
    all of ``dist`` and y as given): :func:`_crps_count_window` for NBs and Poissons, else
    :func:`_crps_integers` by the mixture's ``lattice_cdf``."""
    simple = all(type(c) in (NegativeBinomial, Poisson) for c in dist.components)
    if rows is None:
        return _crps_count_window(dist, y) if simple else _crps_integers(dist, y, dist.lattice_cdf)
    w = np.exp(np.broadcast_to(dist._w_for(len(shape)), (len(dist.components),) + shape).reshape(
        len(dist.components), -1))[:, rows]
    sub = Mixture([_rows_of(c, shape, rows) for c in dist.components], weights=w)
    return _crps_count_window(sub, y[rows]) if simple else _crps_integers(sub, y[rows],
                                                                         sub.lattice_cdf)


def _rows_of(c: Distribution, shape, rows) -> Distribution:
    """The count law ``c`` (NB2, Poisson, or a Hurdle / ZeroInflated of one) at flat ``rows``."""
    def pick(v):
        return np.broadcast_to(v, shape).ravel()[rows]

    if type(c) in (Hurdle, ZeroInflated):
        return type(c)(_rows_of(c.base, shape, rows), pick(c._logit))
    if type(c) is Poisson:
        return Poisson(pick(c._rate))
    return NegativeBinomial(mean=pick(c._mu), dispersion=pick(c._alpha))


def _crps_count_window(dist: Mixture, y):
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


# --------------------------------------------------------------------------
# E|X - X'| / 2 of a mixture of negative binomials and Poissons by its characteristic function

# rows whose mixture's sd is at least this take it: their windows hold >= ~15 sd integers,
# K flops each, where the integral takes ~K x 1000 nodes (the crossover measured on NB
# mixtures of 100 components, sd 100 to 1e4: see the commit)
_CF_MIN_SD = 300.0
_CF_PANEL = 1.0  # Gauss-Legendre panels in s, this wide (the check: twice as wide)
_CF_PHASE = 1.5  # radians of the components' phase differences a unit of s may hold
_CF_SETTLED = 1e-7  # the two widths agree to this: the fine one's error ~2^-24 of it
_CF_MAX_NODES = 20_000  # a row needing more (components far apart) is summed over the integers
_CF_CELLS = 1 << 21  # components x nodes x rows evaluated at a time
# |phi_c(t)|^2 below 1e-18 (log 1e18): a component's cross terms with the others are gone
_CF_GONE = 18.0 * np.log(10.0)


def _count_log_cf(t, mu, alpha):
    """``log phi(t)`` of NB2 (Poisson at ``alpha = 0``) as (real, imaginary) parts, ``phi(t) =
    (1 + alpha mu (1 - e^{it}))^(-1 / alpha)``; ``log(1 + z)`` as ``log1p(2 Re z + |z|^2) / 2``
    and ``atan2``, so no digits go at small t (numpy has no complex ``log1p``)."""
    pos = alpha > 0
    a = np.where(pos, alpha, 1.0)
    half_vers = np.sin(0.5 * t) ** 2  # (1 - cos t) / 2
    z_re, z_im = 2.0 * a * mu * half_vers, -a * mu * np.sin(t)
    log_abs = 0.5 * np.log1p(2.0 * z_re + z_re * z_re + z_im * z_im)
    angle = np.arctan2(z_im, 1.0 + z_re)
    return (np.where(pos, -log_abs / a, -2.0 * mu * half_vers),
            np.where(pos, -angle / a, mu * np.sin(t)))


def _cf_phase(t, gain, damp):
    """``P(t) = gain arctan(damp t) / damp`` (``gain t`` at ``damp = 0``)."""
    d = np.where(damp > 0, damp, 1.0)
    return np.where(damp > 0, gain * np.arctan(damp * t) / d, gain * t)


def _cf_plan(mu, alpha, w):
    """Per row: ``log t`` at the bottom, at ``t_osc`` and at pi, and the phase rule's ``gain``
    and ``damp`` (:func:`_cf_nodes`). The bottom is ``e^-36 / sd`` (the integrand, ~2 Var,
    holds < 1e-15 of the integral below it); ``t_osc`` is where the second most lasting
    component's ``|phi_c|^2`` falls below 1e-18, beyond which every cross term ``phi_i
    conj(phi_j)`` is below 1e-18 and nothing oscillates; below it the phase differences grow
    at most as fast as the spread ``omega`` of the live components' means, slowing beyond ``t
    ~ 1 / (alpha mu)`` (a NB's phase flattens there): ``damp`` their least ``alpha mu``."""
    live = w != 0
    mean = np.sum(w * mu, axis=0)
    var = np.sum(w * (mu + alpha * mu * mu + (mu - mean) ** 2), axis=0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        gap = np.where(alpha > 0,  # the 1 - cos t at which |phi_c|^2 = 1e-18
                       np.expm1(_CF_GONE * alpha) / (2.0 * alpha * mu * (1.0 + alpha * mu)),
                       _CF_GONE / (2.0 * mu))
        x_lo = -36.0 - 0.5 * np.log(var)
    # a law at 0 (mu = 0) never fades: inf; a piece of weight 0 does not count: 0
    gap = np.where(live, np.where(mu > 0, np.nan_to_num(gap, nan=np.inf), np.inf), 0.0)
    t_c = np.sort(np.arccos(1.0 - np.minimum(gap, 2.0)), axis=0)
    t_osc = t_c[-2] if len(mu) > 1 else t_c[-1]
    x_top = np.full(x_lo.shape, np.log(np.pi))
    x_osc = np.minimum(np.maximum(np.log(np.maximum(t_osc, 1e-300)), x_lo + 1.0), x_top)
    omega = np.max(np.where(live, mu, -np.inf), axis=0) - np.min(np.where(live, mu, np.inf), axis=0)
    # the law at 0's phase is flat: its cross terms turn at the other's rate
    damp = np.min(np.where(live & (mu > 0), alpha * mu, np.inf), axis=0)
    damp = np.where(np.isfinite(damp), damp, 0.0)
    return x_lo, x_osc, x_top, omega / _CF_PHASE, damp


def _cf_panels(x0, x1, gain, damp, width):
    """Panels per row of :func:`_cf_nodes` on ``[x0, x1]``, and the ends in s."""
    s0, s1 = x0 + _cf_phase(np.exp(x0), gain, damp), x1 + _cf_phase(np.exp(x1), gain, damp)
    return np.ceil((s1 - s0) / width), s0, s1


def _cf_nodes(x0, x1, gain, damp, width):
    """Gauss-Legendre nodes ``t`` and weights ``dt``, shape (nodes, rows), on ``[e^x0, e^x1]``:
    panels ``width`` wide in ``s = log t + P(t)`` (:func:`_cf_phase`), so each holds at most
    ``width`` in log t and ``width _CF_PHASE`` radians of a phase whose rate is ``omega / (1 +
    (damp t)^2)``. s is inverted by bisection in ``x = log t`` (60 halvings of a range < 100:
    below float64's spacing). Rows share the largest count of panels."""
    counts, s0, s1 = _cf_panels(x0, x1, gain, damp, width)
    n_panels = max(int(np.max(counts, initial=1.0)), 1)
    step = (s1 - s0) / n_panels
    j = np.arange(n_panels)[:, None, None]
    s = (s0 + step * (j + 0.5 + 0.5 * _GL_X[None, :, None])).reshape(-1, s0.size)
    lo, hi = np.broadcast_to(x0, s.shape).copy(), np.broadcast_to(x1, s.shape).copy()
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        below = mid + _cf_phase(np.exp(mid), gain, damp) < s
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    t = np.exp(0.5 * (lo + hi))
    slope = t / (1.0 + t * gain / (1.0 + (damp * t) ** 2))  # dt / ds = 1 / (1 / t + P'(t))
    return t, slope * (0.5 * step) * np.tile(_GL_W, n_panels)[:, None]


def _cf_integral(mu, alpha, w, plan, width):
    """``(1 / 2 pi) int (1 - |phi(t)|^2) / (1 - cos t) dt`` on :func:`_cf_nodes`' panels of
    ``width``, ``phi = sum_c w_c phi_c``: ``1 - |phi|^2 = 2 Re u - |u|^2``, ``u = sum_c w_c (1
    - phi_c e^{-i m t})``, m the mixture's mean (``|phi|`` is the same; centred, u is ~ t^2 Var
    near 0: no cancellation), each ``1 - e^{a + ib}`` from ``expm1(a)`` and ``sin(b / 2)``."""
    x_lo, x_osc, x_top, gain, damp = plan
    zero = np.zeros_like(gain)
    t_a, dt_a = _cf_nodes(x_lo, x_osc, gain, damp, width)
    t_b, dt_b = _cf_nodes(x_osc, x_top, zero, zero, width)
    t, dt = np.concatenate([t_a, t_b]), np.concatenate([dt_a, dt_b * (x_top > x_osc)])
    mean = np.sum(w * mu, axis=0)
    re, im = _count_log_cf(t[None], mu[:, None], alpha[:, None])
    b = im - mean * t[None]
    u_re = np.sum(w[:, None] * (2.0 * np.sin(0.5 * b) ** 2 - np.expm1(re) * np.cos(b)), axis=0)
    u_im = np.sum(w[:, None] * np.exp(re) * np.sin(b), axis=0)  # minus Im u: squared below
    integrand = (2.0 * u_re - u_re * u_re - u_im * u_im) / (2.0 * np.sin(0.5 * t) ** 2)
    return np.sum(integrand * dt, axis=0) / (2.0 * np.pi)


def count_mixture_half_gini(mu, alpha, w):
    """``E|X - X'| / 2 = sum_k F(k) (1 - F(k))`` of a mixture of NB2 laws (Poisson where
    ``alpha = 0``), by ``(1 / 2 pi) int_0^pi (1 - |phi(t)|^2) / (1 - cos t) dt``.

    ``|phi|^2`` is the characteristic function of ``X - X'`` and ``|d| = (1 / 2 pi)
    int_-pi^pi (1 - cos d t) / (1 - cos t) dt`` for integers d (as :func:`_nb_half_gini` for
    one NB): exact for the integer law, O(K) per node where the pairwise form takes K^2 terms
    and the sum over the integers K per integer. 12-node Gauss-Legendre panels 1 wide in
    :func:`_cf_nodes`' variable, and again 2 wide: a row is settled where the two agree to
    ``_CF_SETTLED`` (the error of such panels falls ~2^24-fold as they halve: ~1e-14 left)
    and needs at most ``_CF_MAX_NODES`` nodes (components far apart need many). Rows in
    blocks of like node counts, ``_CF_CELLS`` component-nodes at a time.

    Parameters
    ----------
    mu, alpha, w : ndarray of shape (K, n)
        The components' means, dispersions (0: Poisson) and weights (summing to 1; some may
        be negative, as a hurdle's pieces: see :func:`_count_pieces`).

    Returns
    -------
    half : ndarray of shape (n,)
        NaN where not settled.
    settled : ndarray of bool, shape (n,)
    """
    n = mu.shape[1]
    half = np.full(n, np.nan)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        plan = _cf_plan(mu, alpha, w)
        x_lo, x_osc, x_top, gain, damp = plan
        zero = np.zeros_like(gain)
        nodes = 12 * (_cf_panels(x_lo, x_osc, gain, damp, _CF_PANEL)[0]
                      + _cf_panels(x_osc, x_top, zero, zero, _CF_PANEL)[0])
        nodes = np.where(np.isfinite(nodes), nodes, np.inf)
        order = np.argsort(nodes, kind="stable")
        order = order[nodes[order] <= _CF_MAX_NODES]
        i = 0
        while i < order.size:
            j = i + 1
            while j < order.size and (j - i + 1) * nodes[order[j]] * mu.shape[0] <= _CF_CELLS:
                j += 1
            rows = order[i:j]
            part = [a[..., rows] for a in (mu, alpha, w)]
            sub = tuple(p[rows] for p in plan)
            fine = _cf_integral(*part, sub, _CF_PANEL)
            coarse = _cf_integral(*part, sub, 2.0 * _CF_PANEL)
            half[rows] = np.where(np.abs(coarse - fine) <= _CF_SETTLED * np.abs(fine), fine, np.nan)
            i = j
    return half, np.isfinite(half)
