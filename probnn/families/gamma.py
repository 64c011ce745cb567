"""Gamma family: positive, right-skewed targets, log mean and softplus shape.

Raw outputs ``(z1, z2)``; mean ``mu = exp(z1)``, shape ``k = softplus(z2)``, rate
``beta = k / mu``; ``Var Y = mu^2 / k`` (a constant coefficient of variation ``1 / sqrt(k)``
given the inputs, the classical Gamma GLM with a log link when ``k`` is fixed). The mean
parametrisation keeps the two outputs' roles apart: ``z1`` is ``log E[Y]`` whatever the
shape, so the bias initialisation and ``mean`` are read straight off ``z1``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn._validation import check_sample_weight
from probnn.families import register_family
from probnn.families.base import Array, Family, as_columns, check_positive_target, softplus_scale

_TEXT = """\
Gamma family: a positive y, raw outputs (z1, z2), mean mu = exp(z1),
                 shape k = softplus(z2), rate beta = k / mu; Var = mu^2 / k.
Likelihood:      p(y | z) = beta^k y^(k - 1) exp(-beta y) / G(k)
Log-likelihood:  log p = k log k - k z1 + (k - 1) log y - k y / mu - log G(k)
Loss (NLL):      L(z, y) = c(k) + k (v - 1 - log v) + log y,   v = y / mu
                 c(k) = log G(k) - k log k + k;  for fixed k this is k times half
                 the Gamma deviance plus terms free of z1. The full NLL (log y kept).
                 v - 1 - log v >= 0 is computed from w = v - 1 = expm1(log y - z1).
Gradient:        dL/dz1 = k (1 - v) = k (mu - y) / mu
                 dL/dz2 = [k (psi(k) - log k) + k (v - 1 - log v)] * sigmoid(z2) / softplus(z2)
                 (psi = digamma; the bracket is dL/dlog k)
"""

_LATEX = r"""\begin{aligned}
\mu &= e^{z_1}, \quad k = \operatorname{softplus}(z_2), \quad \beta = \frac{k}{\mu},
  \quad v = \frac{y}{\mu}, \quad \operatorname{Var} Y = \frac{\mu^2}{k} \\
p(y \mid z) &= \frac{\beta^{k} y^{k - 1} e^{-\beta y}}{\Gamma(k)} \\
\log p(y \mid z) &= k \log k - k z_1 + (k - 1)\log y - k v - \log\Gamma(k) \\
L(z, y) &= c(k) + k\,(v - 1 - \log v) + \log y, \qquad c(k) = \log\Gamma(k) - k\log k + k \\
\frac{\partial L}{\partial z_1} &= k\,(1 - v), \qquad
\frac{\partial L}{\partial z_2} = \Big[k\big(\psi(k) - \log k\big) + k\,(v - 1 - \log v)\Big]
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""

# Above this log(y / mu), k (v - 1 - log v) is formed as exp(log k + log v) - k (1 + log v):
# v itself would overflow while k may have underflowed (their product is finite).
_LOG_V_OVERFLOW = 700.0


def _gap(w, log_v):
    """``v - 1 - log v`` from ``w = v - 1`` and ``log v``; a series for ``|w| < 0.1``."""
    small = np.abs(w) < 0.1
    ws = np.where(small, w, 0.0)
    series = np.zeros_like(ws)
    for j in range(18, 1, -1):  # w - log(1 + w) = sum_{j>=2} (-1)^j w^j / j
        series = ws * ((-1) ** j / j + series)
    return np.where(small, ws * series, w - log_v)


@register_family
class GammaFamily(Family):
    """Positive targets: Gamma with ``mu = exp(z1)``, shape ``k = softplus(z2)``.

    Domain
        ``y > 0``, shape ``(n_samples,)``; two raw outputs.
    Link
        ``mu = exp(z1)`` (log link on the mean), ``k = softplus(z2)``; rate ``k / mu``.
        scipy's ``gamma(a=k, scale=mu/k)``.
    Formula
        ``nll = c(k) + k (v - 1 - log v) + log y`` with ``v = y / mu`` and
        ``c(k) = gammaln(k) - k log k + k``;
        ``d nll / dz1 = k (1 - v)``, ``d nll / dz2 = [k (psi(k) - log k) + k (v - 1 - log v)]
        sigmoid(z2) / softplus(z2)``.
    Loss
        The full Gamma NLL; for a fixed ``k`` it is ``k`` times half the Gamma deviance
        ``2 (v - 1 - log v)`` plus terms free of ``mu``. ``c(k)`` and ``psi(k) - log k``
        come from Stirling's series for ``k >= 10`` and from ``log k`` (never ``log`` of an
        underflowed ``k``) below. ``+inf`` only where ``y / mu`` overflows with ``k`` not tiny.
        Computed in float64, returned in the dtype of ``raw``.
    """

    name = "gamma"
    loss_name = "Gamma deviance with learned shape"
    link = "mu = exp(z1), k = softplus(z2)"
    is_classifier = False
    out_activation = "exp (mean), softplus (shape)"
    support = "positive"
    spread_power = -2
    target_kinds = ("positive",)
    param_names = ("concentration", "rate")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite targets > 0 of shape (n_samples,).

        Raises
        ------
        ValueError
            Naming values that are <= 0 or not finite, and their rows.
        """
        return check_positive_target(y, "Gamma")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        from probnn.distributions.gamma import shape_terms

        raw64 = raw.astype(np.float64, copy=False)
        k, log_k, dlog = softplus_scale(raw64[:, 1], need_gradient)
        log_y = np.log(y.astype(np.float64, copy=False))
        log_v = log_y - raw64[:, 0]
        huge = log_v > _LOG_V_OVERFLOW
        w = np.expm1(np.where(huge, 0.0, log_v))  # v - 1
        # k (v - 1 - log v), and k v where v would overflow
        kv_huge = np.exp(np.where(huge, log_k + log_v, -np.inf))
        k_gap = np.where(huge, kv_huge - k * (1 + log_v), k * _gap(w, log_v))
        c, kc = shape_terms(k, log_k, need_gradient)
        loss = (c + k_gap + log_y).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = np.where(huge, k - kv_huge, -k * w)
        grad[:, 1] = (kc + k_gap) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(u) - F(l))`` with ``F(y) = P(k, x)``, ``x = k y / mu`` (log space).

        ``log P`` / ``log Q`` of the regularised incomplete gamma come from scipy where they
        are normal floats and from its series / continued fraction in logs in a far tail
        (:func:`probnn.distributions._incomplete.gamma_log_cdf_sf`), from ``log k`` (exact
        where ``k`` underflows). ``dF(y)/dz1 = -g(y)`` with ``g = x^k e^-x / G(k)`` (the
        density in ``log x``), so ``dL/dz1 = (g(u) - g(l)) / P``, each ratio
        ``exp(log g - log P)``. ``d log P / d log k`` has no closed form: a fourth-order
        central difference in ``log k`` (:func:`probnn.families._censored.central_difference`,
        about 1e-10 relative). Where ``P`` is 0 in floats the NLL is ``+inf``, ``dL/dz1``
        ``-inf`` / ``+inf`` towards the interval and ``dL/dz2`` 0.
        """
        from scipy.special import gammaln

        from probnn.distributions._incomplete import gamma_log_cdf_sf
        from probnn.families._censored import (bound_logs, central_difference, end_ratio,
                                               location_shape_gradient, log_interval_prob)

        raw64 = raw.astype(np.float64, copy=False)
        z1 = raw64[:, 0]
        k, log_k, dlog = softplus_scale(raw64[:, 1], need_gradient)
        with np.errstate(divide="ignore"):
            log_bounds = [np.log(np.where(np.isfinite(b), b, 1.0)) - z1 for b in (lower, upper)]

        def log_prob(lk):
            logs = []
            for bound, log_y in zip((lower, upper), log_bounds):
                logs += bound_logs(bound, lambda m: gamma_log_cdf_sf(lk[m], lk[m] + log_y[m]))
            return log_interval_prob(*logs), logs

        log_p, logs = log_prob(log_k)
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        ratios = []
        for bound, log_y in zip((lower, upper), log_bounds):
            log_x = log_k + log_y
            with np.errstate(over="ignore"):
                log_g = k * log_x - np.exp(log_x) + log_k - gammaln(1 + k)  # x^k e^-x / G(k)
            ratios.append(end_ratio(log_g, log_p, bound))
        d_log_k = -central_difference(lambda lk: log_prob(lk)[0], log_k)
        return loss, location_shape_gradient(raw, log_p, logs[:2], ratios[1] - ratios[0],
                                             d_log_k * dlog)  # fmt: skip

    def distribution(self, raw: ArrayLike):
        """``Gamma(concentration=k, rate=k / mu)``, batch shape (n_samples,)."""
        from probnn.distributions import Gamma

        raw = as_columns(raw, 2, self.name)
        k = softplus(raw[:, 1])
        with np.errstate(over="ignore"):
            return Gamma(concentration=k, rate=k * np.exp(-raw[:, 0]))

    def mean(self, raw: ArrayLike) -> Array:
        """``mu = exp(z1)``, shape (n_samples,)."""
        with np.errstate(over="ignore"):
            return np.exp(as_columns(raw, 2, self.name)[:, 0])

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[log mu, softplus^-1(k)]`` of the Gamma MLE of ``y``, shape (2,).

        ``mu`` is the weighted mean; ``k`` solves ``log k - psi(k) = log(mean y) - mean(log y)``
        (a 1-D root search). Constant ``y`` has its MLE at ``k = inf`` (``z2 = inf``).
        """
        from probnn.distributions.gamma import fit_mean_shape

        y = self.check_target(y).astype(np.float64)
        w = check_sample_weight(sample_weight, y.shape[0])
        if not w.sum() > 0:
            raise ValueError(f"sample_weight must have a positive sum; found {w.sum()}")
        mu, k = fit_mean_shape(y, w)
        return np.array([np.log(mu), float(softplus_inverse(k))])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
