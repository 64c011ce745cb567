"""Hurdle Poisson: zero or not by a logit, positive counts from a zero-truncated Poisson."""

from __future__ import annotations

from probnn.families import register_family
from probnn.families._zero_inflated import HurdleFamily, PoissonCounts

_TEXT = """\
Hurdle Poisson family: a count y, raw outputs (z1, z0), rate lambda = exp(z1),
                 probability of zero pi = sigmoid(z0).
Likelihood:      P(0) = pi;  P(y) = (1 - pi) Poisson(y; lambda) / (1 - exp(-lambda)), y > 0
Log-likelihood:  log P(0) = log_sigmoid(z0)
                 log P(y) = log_sigmoid(-z0) + y z1 - lambda - log(y!) - log(1 - exp(-lambda))
Loss (NLL):      L = -log P(y); log(1 - exp(-lambda)) exact where lambda underflows
Gradient:        y = 0: dL/dz1 = 0,                               dL/dz0 = pi - 1
                 y > 0: dL/dz1 = lambda - y + lambda / expm1(lambda), dL/dz0 = pi
"""

_LATEX = r"""\begin{aligned}
\lambda &= e^{z_1}, \qquad \pi = \sigma(z_0) \\
P(0) &= \pi, \qquad P(y) = (1 - \pi)\,\frac{\lambda^y e^{-\lambda}}{y!\,(1 - e^{-\lambda})}
  \quad (y > 0) \\
L &= -\log P(y) \\
\frac{\partial L}{\partial z_1} &= \begin{cases} 0 & y = 0 \\
  \lambda - y + \frac{\lambda}{e^\lambda - 1} & y > 0 \end{cases}, \qquad
\frac{\partial L}{\partial z_0} = \begin{cases} \pi - 1 & y = 0 \\ \pi & y > 0 \end{cases}
\end{aligned}"""


@register_family
class HurdlePoissonFamily(PoissonCounts, HurdleFamily):
    """Counts whose zeros have their own process: ``pi = sigmoid(z0)``, else a zero-truncated
    Poisson(exp(z1)).

    Domain
        Non-negative integer counts, shape ``(n_samples,)``; two raw outputs ``[z1, z0]``.
    Link
        ``lambda = exp(z1)`` (the untruncated Poisson's rate), ``pi = sigmoid(z0)``.
    Formula
        See :class:`probnn.families._zero_inflated.HurdleFamily`.
    Loss
        The full hurdle Poisson NLL: a logistic loss for zero / not zero plus the
        zero-truncated Poisson NLL of the positive counts.
    """

    name = "hurdle-poisson"
    loss_name = "hurdle Poisson NLL"
    derivation_texts = (_TEXT, _LATEX)
