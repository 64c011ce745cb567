"""Log-normal family: positive targets whose logarithm is Normal with a learned scale.

Raw outputs ``(z1, z2)``: ``log y ~ Normal(mu = z1, sigma = softplus(z2))``. The NLL is the
``normal`` family's NLL of ``log y`` plus the Jacobian ``log y`` of ``y = exp(log y)``; the
gradient with respect to the raw outputs is the ``normal`` family's, at ``log y``
(reuse by reduction: the Jacobian does not depend on ``z``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._math import softplus
from probnn.families import register_family
from probnn.families.base import Array, Family, as_columns, check_positive_target
from probnn.families.normal import NormalFamily

_TEXT = """\
Log-normal family: a positive y, raw outputs (z1, z2), log y ~ Normal(mu, sigma),
                 mu = z1, sigma = softplus(z2); r = (log y - mu) / sigma.
Likelihood:      p(y | z) = exp(-r^2 / 2) / (y sigma sqrt(2 pi))
Log-likelihood:  log p(y | z) = -r^2 / 2 - log sigma - log(2 pi) / 2 - log y
Loss (NLL):      L(z, y) = r^2 / 2 + log sigma + log(2 pi) / 2 + log y
                 = the Gaussian NLL of log y plus the Jacobian log y (kept: the
                 full NLL in y's units, comparable with other families').
                 Median exp(mu), mean exp(mu + sigma^2 / 2).
Gradient:        dL/dz1 = (mu - log y) / sigma^2
                 dL/dz2 = (1 - r^2) * sigmoid(z2) / softplus(z2)
                 (the normal family's gradient at log y)
"""

_LATEX = r"""\begin{aligned}
\mu &= z_1, \qquad \sigma = \operatorname{softplus}(z_2), \qquad r = \frac{\log y - \mu}{\sigma} \\
p(y \mid z) &= \frac{1}{y \, \sigma \sqrt{2 \pi}} e^{-r^2 / 2} \\
\log p(y \mid z) &= -\tfrac12 r^2 - \log \sigma - \tfrac12 \log 2\pi - \log y \\
L(z, y) &= \tfrac12 r^2 + \log \sigma + \tfrac12 \log 2\pi + \log y
  \quad \text{(Gaussian NLL of } \log y \text{ + Jacobian)} \\
\frac{\partial L}{\partial z_1} &= \frac{\mu - \log y}{\sigma^2}, \qquad
\frac{\partial L}{\partial z_2} = (1 - r^2) \, \frac{\sigma(z_2)}{\operatorname{softplus}(z_2)}
\end{aligned}"""

_NORMAL = NormalFamily()


@register_family
class LogNormalFamily(Family):
    """Positive targets: ``log y ~ Normal(z1, softplus(z2))``.

    Domain
        ``y > 0``, shape ``(n_samples,)``; two raw outputs.
    Link
        ``mu = z1`` (the mean of ``log y``; ``exp(mu)`` is the median of ``y``),
        ``sigma = softplus(z2)``. scipy's ``lognorm(s=sigma, scale=exp(mu))``.
    Formula
        ``nll = r^2 / 2 + log(sigma) + log(2 pi) / 2 + log(y)``, ``r = (log y - mu) / sigma``;
        the gradient is the ``normal`` family's at ``log y``.
    Loss
        The Gaussian NLL of ``log y`` plus the Jacobian ``log y``: the full NLL of ``y``,
        so it compares with other families' NLLs on the same targets. ``+inf`` only where
        ``(log y - mu) / sigma`` exceeds the float range (sigma underflowed).
    """

    name = "log-normal"
    loss_name = "Gaussian NLL of log y plus its Jacobian"
    link = "mu = z1, sigma = softplus(z2) (of log y)"
    is_classifier = False
    out_activation = "identity (log-scale loc), softplus (log-scale scale)"
    support = "positive"
    spread_power = 1
    target_kinds = ("positive",)
    param_names = ("loc", "scale")

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Finite targets > 0 of shape (n_samples,).

        Raises
        ------
        ValueError
            Naming values that are <= 0 or not finite, and their rows.
        """
        return check_positive_target(y, "Log-normal")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 2

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        log_y = np.log(y)
        loss, grad = _NORMAL._loss_gradient(raw, log_y, need_gradient)
        loss += log_y
        return loss, grad

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``P(l < Y <= u) = P(log l < log Y <= log u)``: the censored Normal of ``log y``.

        No Jacobian: a probability does not change under the monotone map ``log``.
        """
        with np.errstate(divide="ignore"):  # a bound at 0 is log 0 = -inf: no lower bound
            return _NORMAL._censored_loss_gradient(raw, np.log(np.maximum(lower, 0)),
                                                   np.log(upper), need_gradient)  # fmt: skip

    def distribution(self, raw: ArrayLike):
        """``LogNormal(loc=z1, scale=softplus(z2))``, batch shape (n_samples,)."""
        from probnn.distributions import LogNormal

        raw = as_columns(raw, 2, self.name)
        return LogNormal(loc=raw[:, 0], scale=softplus(raw[:, 1]))

    def mean(self, raw: ArrayLike) -> Array:
        """``exp(mu + sigma^2 / 2)``, shape (n_samples,) (``inf`` beyond the float range)."""
        raw = as_columns(raw, 2, self.name)
        sigma = softplus(raw[:, 1])
        with np.errstate(over="ignore"):
            return np.exp(raw[:, 0] + 0.5 * sigma * sigma)

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``[mean, softplus^-1(sd)]`` of ``log y`` (weighted; the MLE sd divides by n), shape (2,).

        The normal family's closed form on ``log y``; constant ``y`` gives ``z2 = -inf``.
        """
        y = self.check_target(y).astype(np.float64)
        return _NORMAL.constant_raw(np.log(y), sample_weight)

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT
