"""Hurdle negative binomial: zero or not by a logit, positive counts from a zero-truncated NB2."""

from __future__ import annotations

from probnn.families import register_family
from probnn.families._zero_inflated import HurdleFamily, NegativeBinomialCounts

_TEXT = """\
Hurdle negative binomial family: a count y, raw outputs (z1, z2, z0),
                 NB2 mean mu = exp(z1), dispersion alpha = softplus(z2),
                 probability of zero pi = sigmoid(z0).
Likelihood:      P(0) = pi;  P(y) = (1 - pi) NB(y; mu, alpha) / (1 - NB(0)), y > 0,
                 NB(0) = (1 + alpha mu)^(-1/alpha)
Log-likelihood:  log P(0) = log_sigmoid(z0)
                 log P(y) = log_sigmoid(-z0) - L_NB(y) - T,  T = log(1 - NB(0)) < 0
                 L_NB the negative-binomial family's NLL
Loss (NLL):      L = -log P(y); T = log(-expm1(-c)), c = log1p(alpha mu) / alpha, in log space
Gradient:        y = 0: dL/dz1,2 = 0,                       dL/dz0 = pi - 1
                 y > 0: dL/dz1,2 = dL_NB(y)/dz1,2 + dT/dz1,2, dL/dz0 = pi
                 dT/dz1 = (mu / (1 + alpha mu)) / expm1(c)
                 dT/dz2 = ((alpha mu / (1 + alpha mu) - log1p(alpha mu)) / alpha^2)
                          * sigmoid(z2) / expm1(c)
"""

_LATEX = r"""\begin{aligned}
\mu &= e^{z_1}, \quad \alpha = \operatorname{softplus}(z_2), \quad \pi = \sigma(z_0), \quad
  c = \tfrac{1}{\alpha}\log(1 + \alpha\mu) = -\log \mathrm{NB}(0) \\
P(0) &= \pi, \qquad P(y) = (1 - \pi)\,\frac{\mathrm{NB}(y)}{1 - e^{-c}} \quad (y > 0) \\
L &= -\log P(y) = -\log(1 - \pi) + L_{NB}(y) + T \ (y > 0), \qquad T = \log(1 - e^{-c}) \\
\frac{\partial L}{\partial z_{1,2}} &= \begin{cases} 0 & y = 0 \\
  \partial L_{NB}(y) + \partial T & y > 0 \end{cases}, \qquad
\frac{\partial T}{\partial z_1} = \frac{\mu / (1 + \alpha\mu)}{e^c - 1}, \quad
\frac{\partial L}{\partial z_0} = \begin{cases} \pi - 1 & y = 0 \\ \pi & y > 0 \end{cases}
\end{aligned}"""


@register_family
class HurdleNegativeBinomialFamily(NegativeBinomialCounts, HurdleFamily):
    """Overdispersed counts whose zeros have their own process: ``pi = sigmoid(z0)``, else a
    zero-truncated NB2(exp(z1), softplus(z2)).

    Domain
        Non-negative integer counts, shape ``(n_samples,)``; three raw outputs ``[z1, z2, z0]``.
    Link
        ``mu = exp(z1)``, ``alpha = softplus(z2)`` (the untruncated NB2's mean and
        dispersion, ``Var = mu + alpha mu^2``), ``pi = sigmoid(z0)``.
    Formula
        See :class:`probnn.families._zero_inflated.HurdleFamily`; ``log P(Y > 0)`` and its
        gradient from the negative-binomial family's ``_log_positive_mass``.
    Loss
        The full hurdle NB2 NLL: a logistic loss for zero / not zero plus the
        zero-truncated NB2 NLL of the positive counts.
    """

    name = "hurdle-negative-binomial"
    # the dispersion -> 0, a limit (not the NB itself: its P(0) = f(mu) is no logit affine in
    # the features, so the GLMs are not nested; hurdle-poisson likewise not the poisson)
    nests = ("hurdle-poisson",)
    loss_name = "hurdle negative binomial NLL"
    derivation_texts = (_TEXT, _LATEX)
