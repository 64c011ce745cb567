"""Zero-inflated negative binomial: overdispersed counts with excess zeros."""

from __future__ import annotations

from probnn.families import register_family
from probnn.families._zero_inflated import ExcessZerosFamily, NegativeBinomialCounts

_TEXT = """\
Zero-inflated negative binomial family: a count y, raw outputs (z1, z2, z0),
                 NB2 mean mu = exp(z1), dispersion alpha = softplus(z2),
                 structural-zero probability pi = sigmoid(z0).
Likelihood:      P(0) = pi + (1 - pi) NB(0; mu, alpha),  NB(0) = (1 + alpha mu)^(-1/alpha)
                 P(y) = (1 - pi) NB(y; mu, alpha), y > 0
Log-likelihood:  log P(0) = logaddexp(log pi, log(1 - pi) - L_NB(0)),
                 log P(y) = log(1 - pi) - L_NB(y), L_NB the negative-binomial family's NLL
Loss (NLL):      L = -log P(y); log pi = log_sigmoid(z0), log(1 - pi) = log_sigmoid(-z0)
Gradient:        y > 0: dL/dz1,2 = dL_NB(y)/dz1,2,     dL/dz0 = pi
                 y = 0: dL/dz1,2 = rho dL_NB(0)/dz1,2, dL/dz0 = rho - (1 - pi)
                 rho = (1 - pi) NB(0) / P(0)  (the NB's share of the zeros)
"""

_LATEX = r"""\begin{aligned}
\mu &= e^{z_1}, \quad \alpha = \operatorname{softplus}(z_2), \quad \pi = \sigma(z_0) \\
P(0) &= \pi + (1 - \pi)\,\mathrm{NB}(0), \qquad P(y) = (1 - \pi)\,\mathrm{NB}(y) \quad (y > 0) \\
L &= -\log P(y), \qquad \rho = \frac{(1 - \pi)\,\mathrm{NB}(0)}{P(0)} \\
\frac{\partial L}{\partial z_{1,2}} &= \begin{cases} \rho\,\partial L_{NB}(0) & y = 0 \\
  \partial L_{NB}(y) & y > 0 \end{cases}, \qquad
\frac{\partial L}{\partial z_0} = \begin{cases} \rho - (1 - \pi) & y = 0 \\ \pi & y > 0
  \end{cases}
\end{aligned}"""


@register_family
class ZeroInflatedNegativeBinomialFamily(NegativeBinomialCounts, ExcessZerosFamily):
    """Overdispersed counts with excess zeros: ``pi = sigmoid(z0)``, else NB2(exp(z1), softplus(z2)).

    Domain
        Non-negative integer counts, shape ``(n_samples,)``; three raw outputs ``[z1, z2, z0]``.
    Link
        ``mu = exp(z1)``, ``alpha = softplus(z2)`` (NB2: ``Var = mu + alpha mu^2``),
        ``pi = sigmoid(z0)``.
    Formula
        See :mod:`probnn.families._zero_inflated`: the negative-binomial family's own NLL
        and gradient, mixed with the point mass at 0 in log space.
    Loss
        The full zero-inflated NB2 NLL.
    """

    name = "zero-inflated-negative-binomial"
    # the zeros' weight -> 0; the dispersion -> 0: limits
    nests = ("negative-binomial", "zero-inflated-poisson")
    loss_name = "zero-inflated negative binomial NLL"
    derivation_texts = (_TEXT, _LATEX)
