"""Log-logistic family: survival times whose hazard can rise then fall; censored rows by S(t).

Raw outputs ``(z1, z2)``: scale (the median) ``alpha = exp(z1)``, shape
``beta = softplus(z2)``. With ``r = beta (log t - z1)``, ``log T`` is logistic:
``log F(t) = log_sigmoid(r)``, ``log S(t) = log_sigmoid(-r)``, both exact in the tails.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus, softplus_inverse
from probnn.families import register_family
from probnn.families.base import Array, Family, as_columns, check_positive_target, softplus_scale

_TEXT = """\
Log-logistic family: a positive time t, raw outputs (z1, z2), scale alpha = exp(z1)
                 (the median), shape beta = softplus(z2); r = beta (log t - z1).
Likelihood:      p(t | z) = (beta / t) sigmoid(r) sigmoid(-r);  S(t) = sigmoid(-r)
Log-likelihood:  log p = log beta - log t - softplus(-r) - softplus(r)
Loss (NLL):      L(z, t) = softplus(r) + softplus(-r) - log beta + log t   (exact time)
                 L = -log(F(u) - F(l)) in log space for censored rows (log F = -softplus(-r))
Gradient:        dL/dz1 = -beta tanh(r / 2)
                 dL/dz2 = (r tanh(r / 2) - 1) * sigmoid(z2) / softplus(z2)
"""

_LATEX = r"""\begin{aligned}
\alpha &= e^{z_1}, \quad \beta = \operatorname{softplus}(z_2), \quad r = \beta(\log t - z_1) \\
p(t \mid z) &= \frac{\beta}{t}\,\sigma(r)\,\sigma(-r), \qquad S(t) = \sigma(-r) \\
L(z, t) &= \operatorname{softplus}(r) + \operatorname{softplus}(-r) - \log\beta + \log t \\
\frac{\partial L}{\partial z_1} &= -\beta \tanh\frac{r}{2}, \qquad
\frac{\partial L}{\partial z_2} = \Big(r \tanh\frac{r}{2} - 1\Big)
  \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""


def _log_ratio(bound, z1):
    """``log(bound) - z1`` with the infinite bounds (and 0, as -inf) kept infinite."""
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(bound, 0.0)) - z1


@register_family
class LogLogisticFamily(Family):
    """Survival times: log-logistic with median ``alpha = exp(z1)``, shape ``beta = softplus(z2)``.

    Domain
        ``t > 0``, shape ``(n_samples,)``, or ``(lower, upper)`` rows (censored times).
    Link
        ``alpha = exp(z1)``, ``beta = softplus(z2)``; scipy's ``fisk(c=beta, scale=alpha)``.
    Formula
        ``nll = softplus(r) + softplus(-r) - log beta + log t`` with ``r = beta (log t - z1)``;
        ``d nll / dz1 = -beta tanh(r/2)``, ``d nll / dz2 = (r tanh(r/2) - 1) sigmoid(z2) / softplus(z2)``.
    Loss
        The full log-logistic NLL (``log t`` kept); finite for every finite raw output.
    """

    name = "log-logistic"
    loss_name = "log-logistic NLL (survival time)"
    link = "alpha = exp(z1), beta = softplus(z2)"
    is_classifier = False
    out_activation = "exp (scale), softplus (shape)"
    support = "positive"
    spread_power = -1
    target_kinds = ("positive",)
    param_names = ("scale", "concentration")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite times > 0 of shape (n_samples,)."""
        return check_positive_target(y, "log-logistic")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        raw64 = raw.astype(np.float64, copy=False)
        beta, log_beta, dlog = softplus_scale(raw64[:, 1], need_gradient)
        log_t = np.log(y.astype(np.float64, copy=False))
        r = beta * (log_t - raw64[:, 0])
        a = np.abs(r)
        loss = (a + 2 * np.log1p(np.exp(-a)) - log_beta + log_t).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        t = np.tanh(r / 2)
        grad = np.empty_like(raw)
        grad[:, 0] = -beta * t
        grad[:, 1] = (r * t - 1) * dlog
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(r_u) - F(r_l))`` with the standard logistic law (families._censored);
        ``dr/dz1 = -beta``, ``dr/dlog beta = r``."""
        from probnn.families._censored import LOGISTIC_LAW, standard_log_prob

        raw64 = raw.astype(np.float64, copy=False)
        z1 = raw64[:, 0]
        beta, _, dlog = softplus_scale(raw64[:, 1], need_gradient)
        rs = []
        for bound in (lower, upper):
            x = _log_ratio(bound, z1)
            # an infinite bound stays infinite whatever beta (also an underflowed 0)
            rs.append(np.where(np.isfinite(x), beta * np.where(np.isfinite(x), x, 0.0), x))
        r_l, r_u = rs
        log_p, a_l, a_u, possible = standard_log_prob(LOGISTIC_LAW, r_l, r_u, need_gradient)
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        with np.errstate(invalid="ignore"):  # degenerate rows (P = 0) are replaced below
            d_z1 = beta * (a_u - a_l)
            d_log_beta = np.where(a_l > 0, r_l * a_l, 0.0) - np.where(a_u > 0, r_u * a_u, 0.0)
        # beyond the float range: the median towards the interval, a wider law
        d_z1 = np.where(possible, d_z1, np.where(r_l >= 0, -np.inf, np.inf))
        d_log_beta = np.where(possible, d_log_beta, np.inf)
        grad = np.empty_like(raw)
        grad[:, 0] = d_z1
        grad[:, 1] = d_log_beta * dlog
        return loss, grad

    def distribution(self, raw: ArrayLike):
        """``LogLogistic(scale=exp(z1), concentration=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import LogLogistic

        raw = as_columns(raw, 2, self.name)
        with np.errstate(over="ignore"):
            return LogLogistic(scale=np.exp(raw[:, 0]), concentration=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``alpha (pi/beta) / sin(pi/beta)`` for ``beta > 1``, else inf; shape (n_samples,)."""
        raw = as_columns(raw, 2, self.name)
        return np.asarray(self.distribution(raw).mean)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[log alpha, softplus^-1(beta)]`` of the log-logistic MLE of ``y``, shape (2,).

        Constant ``y`` has its MLE at ``beta = inf``: there ``[log y, inf]``.
        """
        from probnn.distributions import LogLogistic

        y = self.check_target(y).astype(np.float64)
        try:
            fitted = LogLogistic.fit(y, sample_weight)
        except ValueError:  # one distinct value
            return np.array([float(np.log(y[0])), np.inf])
        return np.array([float(np.log(fitted.scale)),
                         float(softplus_inverse(fitted.concentration))])  # fmt: skip

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
