"""Negative binomial distribution (NB2) on {0, 1, 2, ...}, by its mean and dispersion.

Parametrisation (NB2, the "quadratic" variance of Cameron & Trivedi)::

    mean mu > 0,  dispersion alpha >= 0,  Var Y = mu + alpha mu^2
    r = 1 / alpha  (scipy's ``n``, torch's ``total_count``),  p = r / (r + mu) = 1 / (1 + alpha mu)
    P(Y = y) = G(y + r) / (G(r) y!) * p^r (1 - p)^y

so ``scipy.stats.nbinom(n=1/alpha, p=1/(1 + alpha mu))`` is the same law, and
``torch.distributions.NegativeBinomial(total_count=1/alpha, probs=alpha mu / (1 + alpha mu))``
(torch's ``probs`` is the success probability ``1 - p``). ``alpha = 0`` is the Poisson limit
(``r -> inf``), allowed here: a network whose dispersion underflows still has a law.

The log-mass is computed from ``log mu`` and ``log alpha`` (:func:`nb_nll_terms`, shared with
the ``negative-binomial`` family) so it stays finite from ``alpha = 0`` to ``alpha = 1e4`` and
for ``mu`` from underflow to overflow: with ``t = log(alpha mu)``,

    -log P(y) = (y + r) softplus(t) - y log mu - D(y, r) + log y!
              = r softplus(t) + y (softplus(-|t|) - min(log mu, log r)) - D(y, r) + log y!
    D(y, r)   = log G(y + r) - log G(r) - y log r          (-> 0 as r -> inf)

(the second line because ``softplus(t) - log mu = softplus(-|t|) - min(log mu, log r)``, with
no large terms cancelling whichever of ``mu`` and ``r`` is the larger).

``D`` comes from ``gammaln`` where ``r < 100`` and from Stirling's series in ``1 / r`` above
(the ``gammaln`` difference cancels there), so the Poisson limit is reached smoothly.

Large counts (``y >= 256``): ``y log mu`` and ``log y!`` are each about ``y log y`` and
cancel to the NLL, so their roundings (``1e-16 y log y``: 5e-4 nats at ``y = 1e11``, 0.3 at
``1e15``) would be the NLL's error, noise enough to stall an optimiser. There the NLL is
Loader's saddle-point form (R's ``dnbinom_mu``: the mass as ``r / (r + y)`` times a
binomial's, each ``x log(x / M) + M - x`` a deviance formed from ``y - mu`` without
cancelling terms)::

    -log P(y) = bd0(y, M_y) + bd0(r, M_r) + stirlerr(y) + stirlerr(r) - stirlerr(r + y)
                + log(2 pi y) / 2 + log1p(alpha y) / 2

``M_y = mu (r + y) / (r + mu)``, ``M_r = r (r + y) / (r + mu)``, ``stirlerr(n) = log n! -
(n + 1/2) log n + n - log(2 pi) / 2``: exact to a few ulps of the NLL itself.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from probnn._validation import describe_values
from .poisson import (_HALF_LOG_2PI, _SADDLE_FROM, _log1pmx_over_sq, _stirlerr, poisson_cdf,
                      poisson_log_cdf_sf)
from .base import COUNTS, Distribution, count_quantile, as_param, data_dtype, fit_inputs, param_dtype

__all__ = ["NegativeBinomial", "nb_log_cdf_sf", "nb_nll_terms", "POISSON_BELOW_LOG_ALPHA"]

# Below this log(alpha) (r > 4e15) the cdf is the Poisson's: the NB's differs by about
# alpha mu^2 relative, and the incomplete beta's shape r is beyond what it resolves.
POISSON_BELOW_LOG_ALPHA = -36.0

# Below this dispersion (r = 1 / alpha above 100) D(y, r) and its derivative come from
# Stirling's series, whose truncation error there is below 1e-20.
_SERIES_BELOW_ALPHA = 0.01
# Stirling's series: log G(x) = (x - 1/2) log x - x + log(2 pi) / 2 + sum_k LG[k] x^-(2k+1)
_LGAMMA_SERIES = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)
# psi(x) = log x - 1 / (2x) + sum_k PSI[k] x^-(2k+2)   (-B_2k / 2k)
_PSI_SERIES = (-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132)
# Entropy by summing the pmf: at most this many support points per distribution.
_ENTROPY_MAX_TERMS = 2_000_000


def _log1pmx_over_x(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(log(1 + u) - u) / u`` for ``u >= 0`` (``0`` at ``u = 0``); a series below 0.1."""
    small = u < 0.1
    us = np.where(small, u, 0.0)
    series = np.zeros_like(us)
    for k in range(15, 0, -1):  # sum_{k>=1} (-1)^k u^k / (k + 1), Horner from the top
        series = us * ((-1) ** k / (k + 1) + series)
    ub = np.where(small, 1.0, u)
    return np.where(small, series, (np.log1p(ub) - ub) / ub)


def _nll_large_counts(y, log_mean, log_alpha):
    """``-log P(Y = y)`` of NB2 by the saddle-point form (module docstring), for ``y >= 1``,
    ``mu = exp(log_mean)`` a positive normal float and ``alpha`` finite (``0``: Poisson).

    With ``u = alpha y``, ``x = alpha mu``, ``dev = y - mu``: ``bd0(y, M_y) = y log1p(w) -
    dev / (1 + x)``, ``w = dev / (mu (1 + u))``, formed as ``y w^2 l(w) + w dev / (1 + x)``
    for ``|w| < 0.1`` (``l(v) = (log1p(v) - v) / v^2``); ``bd0(r, M_r) = r log1p(v) + dev /
    (1 + x)``, ``v = -alpha dev / (1 + u)``, formed as ``-v dev (l(v) / (1 + u) + 1 / (1 +
    x))`` for ``|v| < 0.1`` (0 at ``alpha = 0``). (No product of two large factors: ``dev^2``
    overflows from counts of 1e154.)
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mu, alpha = np.exp(log_mean), np.exp(log_alpha)
        u, x, dev = alpha * y, alpha * mu, y - mu
        w = dev / (mu * (1 + u))
        v = -alpha * dev / (1 + u)
        near_w, near_v = np.abs(w) < 0.1, np.abs(v) < 0.1
        # 1 + w = y (1 + x) / (mu (1 + u)) and 1 + v = (1 + x) / (1 + u) may round to 0 far
        # below -1/2 (log1p: -inf): there their logs are taken apart
        log_w = np.where(w > -0.5, np.log1p(np.where(near_w, 0.0, w)),
                         np.log(y) + np.log1p(x) - log_mean - np.log1p(u))
        term_y = np.where(near_w,
                          y * w * w * _log1pmx_over_sq(w) + w * dev / (1 + x),
                          y * log_w - dev / (1 + x))
        log_v = np.where(v > -0.5, np.log1p(np.where(near_v, 0.0, v)), np.log1p(x) - np.log1p(u))
        term_r = np.where(near_v,
                          -v * dev * (_log1pmx_over_sq(v) / (1 + u) + 1 / (1 + x)),
                          log_v / np.where(near_v, 1.0, alpha) + dev / (1 + x))
        r = 1 / alpha
        stir = np.where(alpha > 0, _stirlerr(r) - _stirlerr(r + y), 0.0)
    return (term_y + term_r + _stirlerr(y) + stir + _HALF_LOG_2PI + 0.5 * np.log(y)
            + 0.5 * np.log1p(u))


def _log1p_over_x(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log(1 + x) / x`` for ``x >= 0``, ``1`` at ``x = 0``."""
    xs = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, np.log1p(xs) / xs)


def _h_over_x(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(log(1 + x) / x - 1 / (1 + x)) / x`` for ``0 <= x <= 1``; a series below 0.01."""
    small = x < 0.01
    xs = np.where(small, x, 0.0)
    series = np.zeros_like(xs)
    for j in range(8, -1, -1):  # sum_{j>=0} (-1)^j (j + 1) / (j + 2) x^j
        series = (-1) ** j * (j + 1) / (j + 2) + xs * series
    xb = np.where(small, 1.0, x)
    return np.where(small, series, (np.log1p(xb) / xb - 1 / (1 + xb)) / xb)


def _softplus(t):
    return np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))


def _d_and_e(y, alpha, log_alpha, need_e):
    """``D = log G(y + r) - log G(r) - y log r`` and ``E = r dD/dr = r (psi(y+r) - psi(r)) - y``.

    Both vanish as ``r = 1 / alpha -> inf``; below ``alpha = 0.01`` they come from Stirling's
    series in ``alpha`` and ``u = y alpha`` (no cancellation, exact 0 at ``alpha = 0``).
    Each branch is evaluated on its own entries only (arrays of one shape).
    """
    series = alpha < _SERIES_BELOW_ALPHA
    d = np.empty(y.shape)
    e = np.empty(y.shape) if need_e else None
    direct = ~series
    some_direct, some_series = bool(direct.any()), bool(series.any())
    # one branch on every entry: the arrays themselves, not copies of all their entries
    if y.ndim and not some_series:
        direct = slice(None)
    elif y.ndim and not some_direct:
        series = slice(None)
    if some_direct:  # r <= 100: finite
        yd, lad = y[direct], log_alpha[direct]
        r = np.exp(-lad)
        d[direct] = special.gammaln(yd + r) - special.gammaln(r) + yd * lad
        if need_e:
            e[direct] = r * (special.digamma(yd + r) - special.digamma(r)) - yd
    if some_series:
        ys, a = y[series], alpha[series]
        u = ys * a
        q = _log1pmx_over_x(u)
        inv = 1 / (1 + u)
        inv_sq = inv * inv
        a_sq = a * a
        d_series = ys * q + (ys - 0.5) * np.log1p(u)
        power, inv_power = a.copy(), inv.copy()  # alpha^(2k+1), (1 + u)^-(2k+1)
        for coef in _LGAMMA_SERIES:
            d_series += coef * power * (inv_power - 1)
            power *= a_sq
            inv_power *= inv_sq
        d[series] = d_series
        if need_e:
            e_series = ys * q + 0.5 * u * inv
            power, inv_power = a.copy(), inv_sq.copy()  # alpha^(2k+1), (1 + u)^-(2k+2)
            for coef in _PSI_SERIES:
                e_series += coef * power * (inv_power - 1)
                power *= a_sq
                inv_power *= inv_sq
            e[series] = e_series
    return d, e


def _where(condition: NDArray[np.bool_], if_true, if_false) -> NDArray[np.float64]:
    """``np.where(condition, if_true(), if_false())`` of two full-shape branches given as
    functions, evaluating a branch only where some entry takes it: the same numbers (each
    branch is elementwise), without the series of the other regime on every row."""
    if condition.all():
        return if_true()
    if not condition.any():
        return if_false()
    return np.where(condition, if_true(), if_false())


class _Once:
    """A value computed at its first call, then kept."""

    def __init__(self, compute) -> None:
        self.compute, self.value = compute, None

    def __call__(self):
        if self.value is None:
            self.value = self.compute()
        return self.value


def nb_nll_terms(y, log_mean, log_dispersion, need_gradient: bool = False,
                 large_from: float = _SADDLE_FROM):
    """NB2 negative log-mass of counts ``y`` and its derivatives, from ``log mu`` and ``log alpha``.

    Parameters
    ----------
    y : ndarray
        Non-negative integer counts (as floats), broadcastable with the parameters.
    log_mean, log_dispersion : ndarray
        ``log mu`` (may be ``-inf``: the law at 0) and ``log alpha`` (may be ``-inf``:
        the Poisson limit), float64.
    need_gradient : bool
        Whether to return the derivatives too.
    large_from : float
        Counts from which the NLL is the saddle-point form (a family's training loss
        passes ``poisson._SADDLE_TRAINING_FROM``: cheaper, and exact enough below it).

    Returns
    -------
    nll : ndarray
        ``-log P(Y = y)``; ``+inf`` only where it exceeds the float range (``mu`` beyond it).
    d_log_mean, d_log_dispersion : ndarray or None
        ``d nll / d log mu = (mu - y) / (1 + alpha mu)`` and ``d nll / d log alpha``.
    """
    y, log_mean, la = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (y, log_mean, log_dispersion))
    )
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        alpha = np.exp(la)
        t = log_mean + la  # log(alpha mu)
        neg = t <= 0
        s = _softplus(-np.abs(t))  # softplus(-|t|)
        b = np.minimum(log_mean, -la)  # log min(mu, r)
        # r softplus(t) = r log(1 + alpha mu): mu log(1 + x) / x for x = alpha mu <= 1, else
        # exp(log softplus(t) - log alpha) (r itself may overflow where alpha underflows).
        x = np.exp(np.minimum(t, 0.0))
        tp = np.where(neg, 1.0, t)
        sp_tp = _Once(lambda: _softplus(tp))  # softplus(t) where t > 0: r_sp's and m's
        r_sp = _where(neg, lambda: np.exp(log_mean) * _log1p_over_x(x),
                      lambda: np.exp(np.log(sp_tp()) - np.where(neg, 0.0, la)))
        d, e = _d_and_e(y, alpha, la, need_gradient)
        # y softplus(t) - y log mu = y (softplus(-|t|) - min(log mu, log r)): no large terms cancel
        y_term = np.where(y > 0, y * (s - b), 0.0)
        nll = r_sp - d + y_term + special.gammaln(y + 1)
        # large counts: the saddle-point form, free of the y log y terms' rounding
        large = (y >= large_from) & (np.abs(log_mean) < 690.0) & (la < 690.0)
        if large.any():
            nll = np.array(nll, dtype=np.float64)  # (a 0-d result is a scalar)
            nll[large] = _nll_large_counts(y[large], log_mean[large], la[large])
        if not need_gradient:
            return nll, None, None
        sig_t = _where(neg, lambda: x / (1 + x),
                       lambda: 1 / (1 + np.exp(-np.abs(t))))  # sigmoid(t)
        # (mu - y) / (1 + alpha mu) = exp(log(mu r / (mu + r))) - y sigmoid(-t)
        d_mean = np.exp(b - s) - y * (1 - sig_t)
        # mu (log(1 + x) / x - 1 / (1 + x)) = r (softplus(t) - sigmoid(t))
        m = _where(neg, lambda: np.exp(log_mean + np.minimum(t, 0.0)) * _h_over_x(x),
                   lambda: np.exp(-np.where(neg, 0.0, la)) * (sp_tp() - sig_t))
        d_disp = e + y * sig_t - m
    return nll, d_mean, d_disp


# nb_mixture_pmf_run: one exact log-mass (nb_nll_terms) every at most this many integers, the masses
# between by the ratio of consecutive ones
_RUN_BLOCK = 64
# ... and fewer where the ratios could multiply past this (exp(600) of 1e308)
_RUN_LOG_GROWTH = 600.0


def nb_mixture_pmf_run(start: ArrayLike, n: int, log_mu: ArrayLike, log_alpha: ArrayLike,
                       weights: ArrayLike) -> NDArray[np.float64]:  # fmt: skip
    """``sum_c w_c P_c(Y = start + j)`` for ``j = 0..n-1``: masses of mixtures of NB2 laws.

    Each component's masses: every ``B``-th integer's is ``exp`` of :func:`nb_nll_terms`'
    log-mass (the law's own ``_log_prob``); the ``B - 1`` after it are it times the running
    product of the ratios of consecutive masses, ``P(k + 1) / P(k) = mu (1 + alpha k) / ((1
    + alpha mu)(k + 1))`` (the recurrence ``(k + 1) f(k + 1) = (1 - p)(k + r) f(k)``): a few
    flops per integer rather than log-gamma functions, and at most ``B`` roundings of
    ``1e-16`` in a row (``gammaln(k + r)`` alone carries ``1e-16 k log k`` of absolute error).
    A ratio is at most ``R = max(1, alpha) mu / (1 + alpha mu)``; ``B = 64``, fewer where
    ``R^B`` could pass ``e^600``, so the products stay finite and a mass under ``e^-745`` (0 in
    float64) makes none after it larger than ``e^-145``.

    Parameters
    ----------
    start : array-like of shape (m,)
        Integers ``>= 0``, the first point of each mixture's run (float64).
    n : int
        Points per run.
    log_mu, log_alpha : array-like of shape (K, m)
        The components' ``log mu`` and ``log alpha`` (``-inf``: the Poisson limit).
    weights : array-like of shape (K, m)
        The components' weights.

    Returns
    -------
    ndarray of float64, shape ``(n, m)``
    """
    start = np.asarray(start, dtype=np.float64)
    log_mu, log_alpha, weights = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (log_mu, log_alpha, weights)))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        log_c = log_mu - np.logaddexp(0.0, log_mu + log_alpha)  # log(mu / (1 + alpha mu))
        growth = np.max(log_c + np.maximum(log_alpha, 0.0), initial=0.0)
        c, alpha = np.exp(log_c), np.exp(log_alpha)
    block = int(min(_RUN_BLOCK, max(1.0, _RUN_LOG_GROWTH // max(growth, 1.0))))
    n_blocks = max(-(-int(n) // block), 1)
    # laid out (block, n_blocks, m): each step of the running product is one contiguous slab
    first = start + block * np.arange(n_blocks, dtype=np.float64)[:, None]
    k = first + np.arange(block - 1, dtype=np.float64)[:, None, None]
    inv = 1.0 / (k + 1.0)
    total = np.zeros((block, n_blocks) + start.shape)
    run = np.empty_like(total)
    for i in range(log_mu.shape[0]):
        anchor, _, _ = nb_nll_terms(first, log_mu[i], log_alpha[i])
        run[0] = np.exp(-anchor) * weights[i]
        with np.errstate(over="ignore", invalid="ignore"):
            np.multiply(alpha[i] * k + 1.0, c[i] * inv, out=run[1:])
        for j in range(1, block):  # the running product, slab by slab
            np.multiply(run[j - 1], run[j], out=run[j])
        total += run
    # a law at 0 (mu = 0): the ratio is 0, and so is every mass after the anchor
    return total.transpose(1, 0, 2).reshape((n_blocks * block,) + start.shape)[:n]


def nb_log_cdf_sf(k: ArrayLike, log_mu: ArrayLike,
                  log_alpha: ArrayLike) -> tuple[NDArray, NDArray]:  # fmt: skip
    """``(log F(k), log S(k))`` of NB2 at integers ``k >= 0``, from ``log mu`` and ``log alpha``.

    ``F(k) = I_p(r, k + 1)``, ``S(k) = I_{1-p}(k + 1, r)``, ``r = 1 / alpha``, ``p = 1 / (1 +
    alpha mu) = sigmoid(-t)``, ``t = log mu + log alpha``: both ends and their logs are given
    exactly to :func:`~probnn.distributions._incomplete.beta_log_cdf_sf`, which evaluates at the
    smaller. scipy's ``betainc(r, k + 1, p)`` at ``p`` near 1 loses digits (a small dispersion:
    0.350 for 0.406 at ``alpha = 3e-16``), and ``p`` in floats is 0 where ``alpha mu`` overflows
    though ``P(Y = 0) = p^r`` is not (a mean of ``e^1334`` with ``alpha`` 8699: 0.86).

    Parameters
    ----------
    k, log_mu, log_alpha : ndarray
        Broadcast together; ``log_alpha`` finite (the Poisson limit is the caller's).

    Returns
    -------
    log_cdf, log_sf : ndarray of float64
    """
    from probnn.distributions._incomplete import beta_log_cdf_sf

    log_alpha = np.asarray(log_alpha, dtype=np.float64)
    t = np.asarray(log_mu, dtype=np.float64) + log_alpha
    with np.errstate(over="ignore"):
        r = np.exp(-log_alpha)
    log_sf, log_cdf = beta_log_cdf_sf(np.asarray(k, dtype=np.float64) + 1, r, special.expit(t),
                                      special.expit(-t), -np.logaddexp(0.0, -t),
                                      -np.logaddexp(0.0, t))  # fmt: skip
    return log_cdf, log_sf


class NegativeBinomial(Distribution):
    """Negative binomial (NB2) by its mean and dispersion: ``Var Y = mu + alpha mu^2``.

    Parameters
    ----------
    mean : array-like
        ``mu >= 0`` (``0`` is the law at 0).
    dispersion : array-like
        ``alpha >= 0``; ``0`` is the Poisson limit. Broadcast with ``mean`` to the batch shape.

    Notes
    -----
    The same law as ``scipy.stats.nbinom(n=1/alpha, p=1/(1 + alpha mu))``: ``r = 1 / alpha``
    successes, success probability ``p = r / (r + mu)``; equivalently a Poisson whose rate is
    Gamma distributed with shape ``r`` and mean ``mu`` (the Gamma-Poisson mixture that
    :meth:`sample` draws). ``cdf(k) = I_p(r, k + 1)`` (regularised incomplete beta).
    The entropy has no closed form: it is summed over the pmf.
    """

    support = "count"

    def __init__(self, mean: ArrayLike, dispersion: ArrayLike):
        self.dtype = param_dtype(mean, dispersion)
        mu = as_param(mean, "mean", "NegativeBinomial")
        alpha = as_param(dispersion, "dispersion", "NegativeBinomial")
        for value, name in ((mu, "mean"), (alpha, "dispersion")):
            bad = ~(np.isfinite(value) & (value >= 0))
            if bad.any():
                raise ValueError(
                    f"NegativeBinomial: {name} must be finite and >= 0; "
                    f"found {describe_values(value[bad])}"
                )
        self._mu, self._alpha = np.broadcast_arrays(mu, alpha)
        with np.errstate(divide="ignore"):
            self._log_mu, self._log_alpha = np.log(self._mu), np.log(self._alpha)
        self.batch_shape = tuple(self._mu.shape)

    @property
    def dispersion(self) -> NDArray[np.floating]:
        """``alpha``, shape batch_shape (``Var = mean + alpha mean^2``)."""
        return self._out(self._alpha)

    @property
    def total_count(self) -> NDArray[np.floating]:
        """``r = 1 / alpha`` (scipy's ``n``; ``inf`` in the Poisson limit), shape batch_shape."""
        with np.errstate(divide="ignore"):
            return self._out(1 / self._alpha)

    def _log_prob(self, y):
        valid = (y >= 0) & (y == np.floor(y)) & np.isfinite(y)
        ys = np.where(valid, y, 0.0)
        nll, _, _ = nb_nll_terms(ys, self._log_mu, self._log_alpha)
        return np.where(valid, -nll, -np.inf)

    def _cdf(self, y):
        """``F(k)`` by :func:`nb_log_cdf_sf` (the Poisson's below
        ``POISSON_BELOW_LOG_ALPHA``)."""
        k = np.floor(y)
        km, mu, log_mu, log_alpha = np.broadcast_arrays(np.maximum(k, 0.0), self._mu,
                                                        self._log_mu, self._log_alpha)  # fmt: skip
        poisson = log_alpha < POISSON_BELOW_LOG_ALPHA  # alpha = 0 included
        out = np.empty(km.shape)
        if poisson.any():
            out[poisson] = poisson_cdf(km[poisson], mu[poisson])
        nb = ~poisson
        if nb.any():
            out[nb] = np.exp(nb_log_cdf_sf(km[nb], log_mu[nb], log_alpha[nb])[0])
        return np.where(k < 0, 0.0, np.where(np.isinf(y), 1.0, out))

    def _log_sf(self, k):
        """``log P(Y > k)`` for integers ``k >= 0``, from the tail itself (``1 - F`` rounds
        to 0 below 1e-16), split at ``POISSON_BELOW_LOG_ALPHA`` as :meth:`_cdf` is."""
        k, log_mu, log_alpha = np.broadcast_arrays(k, self._log_mu, self._log_alpha)
        poisson = log_alpha < POISSON_BELOW_LOG_ALPHA
        out = np.empty(k.shape)
        if poisson.any():
            out[poisson] = poisson_log_cdf_sf(k[poisson], log_mu[poisson])[1]
        if (~poisson).any():
            out[~poisson] = nb_log_cdf_sf(k[~poisson], log_mu[~poisson], log_alpha[~poisson])[1]
        return out

    def _icdf(self, q):
        """Smallest integer k with ``cdf(k) >= q``, by an exact search about the normal guess."""
        q, mu, alpha = np.broadcast_arrays(q, self._mu, self._alpha)
        shape = q.shape
        q, mu, alpha = q.ravel(), mu.ravel(), alpha.ravel()
        sub = NegativeBinomial(mu, alpha)
        var = mu + alpha * mu * mu
        sd = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            skew = np.where(var > 0, (1 + 2 * alpha * mu) / np.where(var > 0, sd, 1.0), 0.0)
        return count_quantile(sub._cdf, q, mu, sd, skew).reshape(shape)

    def _mean(self):
        return self._mu.copy()

    def _variance(self):
        return self._mu + self._alpha * self._mu * self._mu

    def _entropy(self):
        mu, alpha = (a.ravel() for a in np.broadcast_arrays(self._mu, self._alpha))
        out = np.empty(mu.shape)
        top = NegativeBinomial(mu, alpha)._icdf(np.full(mu.shape, 1 - 1e-15))
        for i in range(mu.size):
            if not top[i] < _ENTROPY_MAX_TERMS:
                raise NotImplementedError(
                    "NegativeBinomial.entropy sums the pmf and needs more than "
                    f"{_ENTROPY_MAX_TERMS} terms for mean={mu[i]:g}, dispersion={alpha[i]:g}"
                )
            k = np.arange(top[i] + 1)
            nll, _, _ = nb_nll_terms(k, self._log(mu[i]), self._log(alpha[i]))
            finite = np.isfinite(nll)
            out[i] = np.sum(np.exp(-nll[finite]) * nll[finite])
        return out.reshape(self.batch_shape)

    @staticmethod
    def _log(v):
        with np.errstate(divide="ignore"):
            return np.log(v)

    def _sample(self, shape, rng):
        mu = np.broadcast_to(self._mu, shape)
        alpha = np.broadcast_to(self._alpha, shape)
        pos = alpha > 0
        # Gamma-Poisson: rate ~ Gamma(shape r, scale alpha mu) has mean mu, variance alpha mu^2.
        rate = rng.gamma(np.where(pos, 1 / np.where(pos, alpha, 1.0), 1.0), alpha * mu)
        return rng.poisson(np.where(pos, rate, mu)).astype(np.float64)

    @classmethod
    def fit(cls, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "NegativeBinomial":
        """Maximum likelihood: ``mu`` the weighted mean, ``alpha`` by a 1-D root search.

        For any ``alpha`` the score in ``mu`` is ``sum w (y - mu) / (1 + alpha mu)``, so
        ``mu`` is the weighted mean. The profile likelihood in ``alpha`` has an interior
        maximum exactly when the (weighted, divide-by-n) variance exceeds the mean; it is
        found by Brent's method on the score in ``log alpha``. Otherwise the MLE is the
        Poisson limit ``alpha = 0``.

        Parameters
        ----------
        y : array-like of shape (n_samples,), non-negative integers
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        NegativeBinomial with batch_shape ()
        """
        arr, w = fit_inputs(y, sample_weight, "NegativeBinomial", *COUNTS)
        mu, alpha = fit_mean_dispersion(arr, w)
        dt = data_dtype(y)
        return cls(mean=np.asarray(mu, dtype=dt), dispersion=np.asarray(alpha, dtype=dt))


def fit_mean_dispersion(y: NDArray[np.float64], w: NDArray[np.float64]) -> tuple[float, float]:
    """The NB2 MLE ``(mu, alpha)`` of counts ``y`` with checked weights ``w`` (positive sum).

    ``alpha = 0`` (the Poisson limit) when the weighted variance does not exceed the mean.
    """
    w = w / w.sum()
    mu = float(np.sum(w * y))
    excess = float(np.sum(w * ((y - mu) ** 2 - y)))  # n (variance - mean), weighted
    if not (mu > 0 and excess > 0):
        return mu, 0.0
    log_mu = np.full(y.shape, np.log(mu))

    def score(la: float) -> float:  # d/d log(alpha) of the weighted mean NLL
        _, _, d_disp = nb_nll_terms(y, log_mu, np.full(y.shape, la), True)
        return float(np.sum(w * d_disp))

    start = np.log(excess / mu**2)  # the moment estimate (var - mean) / mean^2
    lo, hi = start - 1.0, start + 1.0
    for _ in range(60):
        if score(lo) < 0:
            break
        lo -= 2.0
    for _ in range(60):
        if score(hi) > 0:
            break
        hi += 2.0
    la = optimize.brentq(score, lo, hi, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=500)
    return mu, float(np.exp(la))
