"""Negative binomial family (NB2): overdispersed counts, log mean and softplus dispersion.

Raw outputs ``(z1, z2)``; mean ``mu = exp(z1)``, dispersion ``alpha = softplus(z2)``,
``Var Y = mu + alpha mu^2`` (NB2); ``r = 1 / alpha``, ``p = r / (r + mu)``. As ``alpha -> 0``
the law tends to the Poisson with rate ``mu``, and so does the NLL: it is computed from
``log mu = z1`` and ``log alpha = log softplus(z2)`` (finite even where ``alpha`` underflows)
by :func:`probnn.distributions.negative_binomial.nb_nll_terms`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn._validation import check_sample_weight
from probnn.families import register_family
from probnn.families.base import Array, Family, as_columns, check_count_target, softplus_scale

# The raw z2 returned by constant_raw when the counts are not overdispersed (the MLE is the
# Poisson limit alpha = 0, z2 = -inf): alpha = softplus(-20) = 2e-9, Poisson to ~1e-9.
POISSON_LIMIT_Z2 = -20.0
# Below this log(alpha) (r > 4e15) a censored row is scored by the Poisson's cdf, as the
# distribution's cdf is (the NB's differs by about alpha mu^2 relative).
from probnn.distributions.negative_binomial import POISSON_BELOW_LOG_ALPHA as _POISSON_BELOW  # noqa: E402
from probnn.distributions.negative_binomial import _where  # noqa: E402

_TEXT = """\
Negative binomial (NB2): a count y in {0, 1, 2, ...}, raw outputs (z1, z2),
                 mu = exp(z1), alpha = softplus(z2), r = 1/alpha, Var = mu + alpha mu^2.
Likelihood:      p(y | z) = G(y + r) / (G(r) y!) (r / (r + mu))^r (mu / (r + mu))^y
Log-likelihood:  log p = D(y, r) + y z1 - (y + r) log(1 + alpha mu) - log(y!)
                 D(y, r) = log G(y + r) - log G(r) - y log r   (-> 0 as alpha -> 0)
Loss (NLL):      L(z, y) = (y + r) log(1 + alpha mu) - y z1 - D(y, r) + log(y!)
                 the full NLL (log y! kept); alpha -> 0 gives the Poisson NLL
                 mu - y z1 + log(y!). With t = z1 + log alpha:
                 log(1 + alpha mu) = softplus(t), r log(1 + alpha mu) -> mu.
Gradient:        dL/dz1 = (mu - y) / (1 + alpha mu)
                 dL/dz2 = [r (psi(y + r) - psi(r)) - y + y sigmoid(t)
                           - r (softplus(t) - sigmoid(t))] * sigmoid(z2) / softplus(z2)
                 (psi = digamma; the bracket is dL/dlog(alpha), O(alpha) near 0)
"""

_LATEX = r"""\begin{aligned}
\mu &= e^{z_1}, \quad \alpha = \operatorname{softplus}(z_2), \quad r = \tfrac{1}{\alpha},
  \quad t = z_1 + \log\alpha, \quad \operatorname{Var} Y = \mu + \alpha\mu^2 \\
p(y \mid z) &= \frac{\Gamma(y + r)}{\Gamma(r)\, y!}
  \Big(\frac{r}{r + \mu}\Big)^{r} \Big(\frac{\mu}{r + \mu}\Big)^{y} \\
\log p(y \mid z) &= D(y, r) + y z_1 - (y + r)\operatorname{softplus}(t) - \log y!,
  \quad D = \log\Gamma(y + r) - \log\Gamma(r) - y \log r \\
L(z, y) &= (y + r)\operatorname{softplus}(t) - y z_1 - D(y, r) + \log y!
  \quad \xrightarrow{\alpha \to 0} \quad \mu - y z_1 + \log y! \\
\frac{\partial L}{\partial z_1} &= \frac{\mu - y}{1 + \alpha\mu}, \qquad
\frac{\partial L}{\partial z_2} = \Big[r\big(\psi(y + r) - \psi(r)\big) - y + y\,\sigma(t)
  - r\big(\operatorname{softplus}(t) - \sigma(t)\big)\Big]
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


def _g_series(xs: np.ndarray) -> np.ndarray:
    """``g(x) = sum_{k>=2} (-1)^(k+1) (k-1)/k x^(k-2)`` by Horner (``x < 0.1``)."""
    g = np.zeros_like(xs)
    for k in range(30, 1, -1):
        g = g * xs + (-1) ** (k + 1) * (k - 1) / k
    return g


@register_family
class NegativeBinomialFamily(Family):
    """Overdispersed counts: NB2 with ``mu = exp(z1)``, ``alpha = softplus(z2)``.

    Domain
        ``y`` non-negative integers (counts), shape ``(n_samples,)``; two raw outputs.
    Link
        ``mu = exp(z1)`` (log link), ``alpha = softplus(z2)``; ``Var = mu + alpha mu^2``.
        scipy's ``nbinom(n=1/alpha, p=1/(1 + alpha mu))``.
    Formula
        ``nll = (y + r) log(1 + alpha mu) - y z1 - D(y, r) + log(y!)``,
        ``D = gammaln(y + r) - gammaln(r) - y log r``, ``r = 1 / alpha``;
        ``d nll / dz1 = (mu - y) / (1 + alpha mu)``; ``d nll / dz2`` in :meth:`derivation`.
    Loss
        The full NB2 NLL (``log y!`` kept). It tends to the Poisson NLL as ``alpha -> 0``
        (``z2 -> -inf``) and stays finite there: ``D`` comes from Stirling's series in
        ``alpha`` for ``alpha < 0.01``, and ``r log(1 + alpha mu)`` from ``mu log(1 + x) / x``.
        It is ``+inf`` only where ``mu`` itself exceeds the float range with a small
        ``alpha`` (then the NLL ~ ``mu`` does too). Computed in float64, returned in the
        dtype of ``raw``.
    """

    name = "negative-binomial"
    nests = ("poisson",)  # its dispersion -> 0, a limit
    loss_name = "negative binomial (NB2) log-loss"
    link = "mu = exp(z1), alpha = softplus(z2)"
    is_classifier = False
    out_activation = "exp (mean), softplus (dispersion)"
    support = "count"
    target_kinds = ("count",)
    param_names = ("mean", "dispersion")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Non-negative integer counts of shape (n_samples,), as floats.

        Raises
        ------
        ValueError
            Naming values that are negative, not integers or not finite, and their rows.
        """
        return check_count_target(y, "Negative binomial")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        from probnn.distributions.negative_binomial import nb_nll_terms
        from probnn.distributions.poisson import _SADDLE_TRAINING_FROM

        raw64 = raw.astype(np.float64, copy=False)
        _, log_alpha, dlog = softplus_scale(raw64[:, 1], need_gradient)
        loss, d_mean, d_disp = nb_nll_terms(
            y.astype(np.float64, copy=False), raw64[:, 0], log_alpha, need_gradient,
            large_from=_SADDLE_TRAINING_FROM,  # (the direct form is exact enough below)
        )
        loss = loss.astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = d_mean
        grad[:, 1] = d_disp * dlog
        return loss, grad

    def _log_positive_mass(self, raw: Array, need_gradient: bool):
        """``T = log P(Y > 0) = log(1 - (1 + alpha mu)^(-1/alpha))`` per row and ``dT/dz`` (n, 2):
        the hurdle's truncation at zero.

        With ``x = alpha mu`` (``s = log x = z1 + log alpha``) and ``c = -log P(Y = 0) =
        log1p(x) / alpha = mu r(x)``, ``r(x) = log1p(x) / x``: ``T = log(-expm1(-c))``,
        formed as ``log1p(-e^-c)`` for ``c > 1`` and ``log c + log(-expm1(-c) / c)`` below,
        ``log c = z1 + log r(x)`` (exact where ``mu`` underflows). ``dT/dtheta = (dc/dtheta) /
        expm1(c)`` with ``dc/dz1 = mu / (1 + x)`` and ``dc/dalpha = mu^2 g(x)``, ``g(x) =
        (x / (1 + x) - log1p(x)) / x^2`` (-1/2 at 0; its series below ``x = 0.1``), each
        ratio formed without ``mu`` or ``alpha`` alone. ``alpha -> 0`` is the Poisson's
        ``log(1 - e^-mu)``.
        """
        z1 = raw[:, 0].astype(np.float64, copy=False)
        _, log_alpha, dlog = softplus_scale(raw[:, 1].astype(np.float64, copy=False), need_gradient)
        s = z1 + log_alpha
        low = s <= 0.0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            x = np.exp(np.where(low, s, 0.0))  # x <= 1 where used
            log1p_x = np.logaddexp(0.0, s)
            r = np.where(x > 1e-8, log1p_x / np.where(x > 0, x, 1.0), 1.0 - 0.5 * x)
            mu = np.exp(z1)
            c = np.where(low, mu * r, log1p_x * np.exp(-log_alpha))
            log_c = np.where(low, z1 + np.log(r), np.log(log1p_x) - log_alpha)
            small = c <= 1.0
            cs = np.where(small & (c > 0), c, 1.0)
            log_h = np.where(c > 0, np.log(-np.expm1(-cs) / cs), 0.0)
            t = np.where(small, log_c + log_h, np.log1p(-np.exp(-np.where(small, 1.0, c))))
        far = ~(c < 700.0)  # P(Y = 0) below e^-700: T = 0 and its gradient 0 in floats
        t = np.where(far, 0.0, t)
        if not need_gradient:
            return t, None
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            e = np.where(c > 0, np.expm1(cs) / cs, 1.0)  # expm1(c) / c, c <= 1 here
            e = np.where(small, e, np.expm1(np.where(far, 1.0, c)) / np.where(far, 1.0, c))
            sig = 1.0 / (1.0 + np.exp(-s))
            # g(x) by its series where x < 0.1: sum_k>=2 (-1)^(k+1) (k-1)/k x^(k-2) (each
            # form evaluated only where some row takes it)
            g = _where(x < 0.1, lambda: _g_series(np.where(x < 0.1, x, 0.0)),
                       lambda: (x / (1 + x) - log1p_x) / np.where(x > 0, x, 1.0) ** 2)
            d1 = np.where(low, 1.0 / ((1.0 + x) * r), sig / log1p_x) / e
            d2 = np.where(low, x * g / r, (sig - log1p_x) / log1p_x) * dlog / e
        grad = np.column_stack([np.where(far, 0.0, d1), np.where(far, 0.0, d2)])
        return t, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(u) - F(l))`` on the integers (log space), with ``p = 1 / (1 + alpha mu)``:
        ``F(k) = I_p(r, k + 1)``, ``S(k) = I_{1-p}(k + 1, r)``.

        Both logs come from :func:`probnn.distributions.negative_binomial.nb_log_cdf_sf`
        (the distribution's cdf too), exact where ``p`` or ``1 - p`` underflows or nears 1. ``dF(k)/dz1 = -g(k)``, ``g(k) = p^r
        (1 - p)^(k + 1) / B(r, k + 1)``, so ``dL/dz1 = (g(u) - g(l)) / P``; ``d log P /
        d log alpha`` has no closed form: a fourth-order central difference in ``log alpha``
        (:func:`probnn.families._censored.central_difference`, about 1e-10 relative). Below
        ``log alpha = -36`` (``r > 4e15``) the law is the Poisson's to about ``alpha mu^2``:
        the Poisson's censored probability and ``dL/dz1``, and ``dL/dz2 = 0``. Where ``P``
        is 0 in floats the NLL is ``+inf``, ``dL/dz1`` ``-inf`` / ``+inf`` towards the
        interval and ``dL/dz2`` 0.
        """
        from scipy.special import betaln

        from probnn.distributions.negative_binomial import nb_log_cdf_sf
        from probnn.distributions.poisson import poisson_log_cdf_sf, poisson_log_pmf
        from probnn.families._censored import (bound_logs, central_difference, end_ratio,
                                               location_shape_gradient, log_interval_prob)

        raw64 = raw.astype(np.float64, copy=False)
        z1 = raw64[:, 0]
        _, log_alpha, dlog = softplus_scale(raw64[:, 1], need_gradient)
        poisson = log_alpha < _POISSON_BELOW

        def logs_at(bound, m, la):
            lc, ls = np.empty(m.sum()), np.empty(m.sum())
            pm = poisson[m]
            if pm.any():
                lc[pm], ls[pm] = poisson_log_cdf_sf(bound[m][pm], z1[m][pm])
            nb = ~pm
            if nb.any():
                lc[nb], ls[nb] = nb_log_cdf_sf(bound[m][nb], z1[m][nb], la[m][nb])
            return lc, ls

        def log_prob(la):
            logs = []
            for bound in (lower, upper):
                logs += bound_logs(bound, lambda m: logs_at(bound, m, la))
            return log_interval_prob(*logs), logs

        log_p, logs = log_prob(log_alpha)
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        t = z1 + log_alpha
        with np.errstate(over="ignore"):
            r = np.exp(-log_alpha)
        ratios = []
        for bound in (lower, upper):
            k = np.where(np.isfinite(bound), bound, 0.0)
            with np.errstate(over="ignore", invalid="ignore"):
                # log g = r log p + (k + 1) log(1 - p) - log B(r, k + 1); Poisson: mu p(k)
                log_g = np.where(poisson, z1 + poisson_log_pmf(k, z1),
                                 -r * np.logaddexp(0.0, t) - (k + 1) * np.logaddexp(0.0, -t)
                                 - betaln(np.where(poisson, 1.0, r), k + 1))
            ratios.append(end_ratio(log_g, log_p, bound))
        d_log_alpha = -central_difference(lambda la: log_prob(la)[0], log_alpha)
        return loss, location_shape_gradient(raw, log_p, logs[:2], ratios[1] - ratios[0],
                                             np.where(poisson, 0.0, d_log_alpha * dlog))

    def distribution(self, raw: ArrayLike):
        """``NegativeBinomial(mean=exp(z1), dispersion=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import NegativeBinomial

        raw = as_columns(raw, 2, self.name)
        with np.errstate(over="ignore"):
            return NegativeBinomial(mean=np.exp(raw[:, 0]), dispersion=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``mu = exp(z1)``, shape (n_samples,)."""
        with np.errstate(over="ignore"):
            return np.exp(as_columns(raw, 2, self.name)[:, 0])

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[log mu, softplus^-1(alpha)]`` of the NB2 MLE of ``y``, shape (2,).

        ``mu`` is the weighted mean (for every ``alpha``); ``alpha`` maximises the profile
        likelihood (a 1-D root search, no closed form). Counts whose weighted variance
        does not exceed their mean have their MLE at the Poisson limit ``alpha = 0``;
        then ``z2 = POISSON_LIMIT_Z2`` (-20: finite, alpha ~ 2e-9). All-zero counts give
        ``z1 = -inf``, as for the Poisson family.
        """
        from probnn.distributions.negative_binomial import fit_mean_dispersion

        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        if not w.sum() > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {w.sum()}")
        mu, alpha = fit_mean_dispersion(y, w)
        z2 = float(softplus_inverse(alpha)) if alpha > 0 else POISSON_LIMIT_Z2
        with np.errstate(divide="ignore"):
            return np.array([np.log(mu), z2])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
