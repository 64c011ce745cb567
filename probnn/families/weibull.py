"""Weibull family: survival times, log scale and softplus shape; censored rows by S(t).

Raw outputs ``(z1, z2)``: scale ``lambda = exp(z1)``, shape ``k = softplus(z2)``. With
``s = k (log t - z1)`` and ``e = exp(s) = (t / lambda)^k`` everything is a function of
``s``: ``log S(t) = -e``, ``log p(t) = log k - log t + s - e``. A right-censored time
(``y = (t, inf)``) scores ``-log S(t) = e``: the survival model's usual likelihood.
With no hidden layer this is the Weibull accelerated-failure-time model (``log lambda``
linear in the inputs) whose shape also depends on them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn.families import register_family
from probnn.families.base import Array, Family, as_columns, check_positive_target, softplus_scale

_TEXT = """\
Weibull family: a positive time t, raw outputs (z1, z2), scale lambda = exp(z1),
                 shape k = softplus(z2); s = k (log t - z1), e = exp(s) = (t / lambda)^k.
Likelihood:      p(t | z) = (k / lambda) (t / lambda)^(k - 1) exp(-(t / lambda)^k)
Log-likelihood:  log p = log k - log t + s - e;   log S(t) = -e
Loss (NLL):      L(z, t) = e - s - log k + log t            (exact time)
                 L(z, t) = e                                (right-censored at t)
                 L = -log(S(l) - S(u))                      (interval (l, u], log space)
Gradient:        dL/dz1 = k (1 - e)
                 dL/dz2 = ((e - 1) s - 1) * sigmoid(z2) / softplus(z2)
                 (censored: dL/dz1 = -k e, dL/dz2 = e s * sigmoid(z2) / softplus(z2))
"""

_LATEX = r"""\begin{aligned}
\lambda &= e^{z_1}, \quad k = \operatorname{softplus}(z_2), \quad
  s = k(\log t - z_1), \quad e = e^{s} = (t / \lambda)^k \\
p(t \mid z) &= \frac{k}{\lambda}\Big(\frac{t}{\lambda}\Big)^{k-1} e^{-(t/\lambda)^k},
  \qquad \log S(t) = -e \\
L(z, t) &= e - s - \log k + \log t
  \quad \text{(right-censored at } t\text{: } L = e) \\
\frac{\partial L}{\partial z_1} &= k\,(1 - e), \qquad
\frac{\partial L}{\partial z_2} = \big((e - 1)\,s - 1\big)
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


@register_family
class WeibullFamily(Family):
    """Survival times: Weibull with ``lambda = exp(z1)``, shape ``k = softplus(z2)``.

    Domain
        ``t > 0``, shape ``(n_samples,)``, or ``(lower, upper)`` rows of shape
        ``(n_samples, 2)`` for censored times (``upper = inf``: still alive at ``lower``).
    Link
        ``lambda = exp(z1)`` (log link on the scale, an accelerated-failure-time model),
        ``k = softplus(z2)``. scipy's ``weibull_min(c=k, scale=lambda)``.
    Formula
        ``nll = e - s - log k + log t`` with ``s = k (log t - z1)``, ``e = exp(s)``;
        ``d nll / dz1 = k (1 - e)``, ``d nll / dz2 = ((e - 1) s - 1) sigmoid(z2) / softplus(z2)``.
    Loss
        The full Weibull NLL (``log t`` kept). ``+inf`` only where ``(t / lambda)^k``
        overflows. Computed in float64, returned in the dtype of ``raw``.
    """

    name = "weibull"
    loss_name = "Weibull NLL (survival time)"
    link = "lambda = exp(z1), k = softplus(z2)"
    is_classifier = False
    out_activation = "exp (scale), softplus (shape)"
    support = "positive"
    spread_power = -1
    target_kinds = ("positive",)
    param_names = ("scale", "concentration")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite times > 0 of shape (n_samples,).

        Raises
        ------
        ValueError
            Naming values that are <= 0 or not finite, and their rows.
        """
        return check_positive_target(y, "Weibull")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        raw64 = raw.astype(np.float64, copy=False)
        k, log_k, dlog = softplus_scale(raw64[:, 1], need_gradient)
        log_t = np.log(y.astype(np.float64, copy=False))
        s = k * (log_t - raw64[:, 0])
        e = np.exp(s)
        loss = (e - s - log_k + log_t).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        grad = np.empty_like(raw)
        grad[:, 0] = k * (1 - e)
        grad[:, 1] = ((e - 1) * s - 1) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(S(l) - S(u))`` with ``log S = -e``, ``log F = log(1 - e^-e)`` (log space).

        ``dS/dz1 = S e k`` and ``dS/dlog k = -S e s``, so with ``A = S e / P``
        (0 at a bound of 0 or inf):
        ``dL/dz1 = -k (A_l - A_u)``, ``dL/dlog k = s_l A_l - s_u A_u``.
        """
        from probnn.distributions.weibull import weibull_log_cdf
        from probnn.families._censored import log_interval_prob

        raw64 = raw.astype(np.float64, copy=False)
        z1 = raw64[:, 0]
        k, _, dlog = softplus_scale(raw64[:, 1], need_gradient)
        parts = []
        for bound in (lower, upper):
            inside = np.isfinite(bound) & (bound > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(inside, k * (np.log(np.where(inside, bound, 1.0)) - z1), 0.0)
                e = np.exp(s)
            # a bound at 0 (or -inf) has F = 0; at +inf S = 0
            log_sf = np.where(inside, -e, np.where(bound == np.inf, -np.inf, 0.0))
            log_cdf = np.where(inside, weibull_log_cdf(s, e), np.where(bound == np.inf, 0.0,
                                                                      -np.inf))  # fmt: skip
            parts.append((inside, s, e, log_cdf, log_sf))
        (in_l, s_l, e_l, lc_l, ls_l), (in_u, s_u, e_u, lc_u, ls_u) = parts
        log_p = log_interval_prob(lc_l, ls_l, lc_u, ls_u)
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        possible = log_p > -np.inf
        # A = S e / P with P = S(l) (1 - e^-g), g = e_u - e_l: A_l = e_l / -expm1(-g),
        # A_u = e_u / expm1(g) (never exp(s - e - log P), whose e - log P cancels). Where g
        # is small (both ends far in the left tail, e's underflowing) the same from s:
        # e_u / g = 1 / -expm1(-(s_u - s_l)), e_l / g = 1 / expm1(s_u - s_l), times
        # g / expm1(g) and g / -expm1(-g) (both 1 at g = 0).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            gap = np.where(in_u, e_u, np.inf) - np.where(in_l, e_l, 0.0)
            ds = np.where(in_u, s_u, np.inf) - np.where(in_l, s_l, -np.inf)
            g = np.where(gap > 1, 1.0, gap)
            phi = np.where(g > 0, g / np.expm1(g), 1.0)
            psi = np.where(g > 0, g / -np.expm1(-g), 1.0)
            small_l = np.where(ds > 0, 1 / np.expm1(ds), 0.0) * psi
            small_u = np.where(ds > 0, 1 / -np.expm1(-ds), 0.0) * phi
            a_l = np.where(gap > 1, e_l / -np.expm1(-gap), small_l)
            a_u = np.where(gap > 1, np.where(np.isfinite(e_u), e_u / np.expm1(gap), 0.0), small_u)
            a_l = np.where(in_l, np.where(in_u, a_l, e_l), 0.0)  # right-censored: A_l = e_l
            a_u = np.where(in_u, a_u, 0.0)
            d_z1 = -k * (a_l - a_u)
            d_log_k = np.where(a_l > 0, s_l * a_l, 0.0) - np.where(a_u > 0, s_u * a_u, 0.0)
        # beyond the float range: move the scale towards the interval, and lower k
        above = in_l & (s_l > 0)
        d_z1 = np.where(possible, d_z1, np.where(above, -np.inf, np.inf))
        d_log_k = np.where(possible, d_log_k, np.inf)
        grad = np.empty_like(raw)
        grad[:, 0] = d_z1
        grad[:, 1] = d_log_k * dlog
        return loss, grad

    def distribution(self, raw: ArrayLike):
        """``Weibull(scale=exp(z1), concentration=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import Weibull

        raw = as_columns(raw, 2, self.name)
        with np.errstate(over="ignore"):
            return Weibull(scale=np.exp(raw[:, 0]), concentration=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``lambda G(1 + 1/k)``, shape (n_samples,)."""
        from scipy.special import gammaln

        raw = as_columns(raw, 2, self.name)
        k = softplus(raw[:, 1])
        with np.errstate(over="ignore", divide="ignore"):
            return np.exp(raw[:, 0] + gammaln(1 + 1 / k)).astype(raw.dtype, copy=False)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[log lambda, softplus^-1(k)]`` of the Weibull MLE of ``y``, shape (2,).

        Constant ``y`` has its MLE at ``k = inf``: there ``[log y, inf]``.
        """
        from probnn.distributions import Weibull

        y = self.check_target(y).astype(np.float64)
        try:
            fitted = Weibull.fit(y, sample_weight)
        except ValueError:  # one distinct value: k -> inf, lambda -> y
            return np.array([float(np.log(y[0])), np.inf])
        return np.array([float(np.log(fitted.scale)), float(softplus_inverse(fitted.concentration))])

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
