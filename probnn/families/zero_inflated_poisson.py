"""Zero-inflated Poisson: counts with more zeros than a Poisson allows."""

from __future__ import annotations

from probnn.families import register_family
from probnn.families._zero_inflated import ExcessZerosFamily, PoissonCounts

_TEXT = """\
Zero-inflated Poisson family: a count y, raw outputs (z1, z0), rate lambda = exp(z1),
                 structural-zero probability pi = sigmoid(z0).
Likelihood:      P(0) = pi + (1 - pi) exp(-lambda);  P(y) = (1 - pi) Poisson(y; lambda), y > 0
Log-likelihood:  log P(0) = logaddexp(log pi, log(1 - pi) - lambda)
                 log P(y) = log(1 - pi) + y z1 - lambda - log(y!)
Loss (NLL):      L = -log P(y); log pi = log_sigmoid(z0), log(1 - pi) = log_sigmoid(-z0)
Gradient:        y > 0: dL/dz1 = lambda - y,        dL/dz0 = pi
                 y = 0: dL/dz1 = rho lambda,         dL/dz0 = rho - (1 - pi)
                 rho = (1 - pi) exp(-lambda) / P(0)  (the Poisson's share of the zeros)
"""

_LATEX = r"""\begin{aligned}
\lambda &= e^{z_1}, \qquad \pi = \sigma(z_0) \\
P(0) &= \pi + (1 - \pi) e^{-\lambda}, \qquad
P(y) = (1 - \pi) \frac{\lambda^y e^{-\lambda}}{y!} \quad (y > 0) \\
L &= -\log P(y), \qquad \rho = \frac{(1 - \pi) e^{-\lambda}}{P(0)} \\
\frac{\partial L}{\partial z_1} &= \begin{cases} \rho \lambda & y = 0 \\ \lambda - y & y > 0
  \end{cases}, \qquad
\frac{\partial L}{\partial z_0} = \begin{cases} \rho - (1 - \pi) & y = 0 \\ \pi & y > 0
  \end{cases}
\end{aligned}"""


@register_family
class ZeroInflatedPoissonFamily(PoissonCounts, ExcessZerosFamily):
    """Counts with excess zeros: ``pi = sigmoid(z0)`` structural zeros, else Poisson(exp(z1)).

    Domain
        Non-negative integer counts, shape ``(n_samples,)``; two raw outputs ``[z1, z0]``.
    Link
        ``lambda = exp(z1)``, ``pi = sigmoid(z0)``.
    Formula
        See :mod:`probnn.families._zero_inflated`: the Poisson family's own NLL and
        gradient, mixed with the point mass at 0 in log space.
    Loss
        The full zero-inflated Poisson NLL (``log y!`` kept).
    """

    name = "zero-inflated-poisson"
    nests = ("poisson",)  # the zeros' weight -> 0, a limit
    loss_name = "zero-inflated Poisson NLL"
    derivation_texts = (_TEXT, _LATEX)
