"""Poisson family: counts with a log link (Poisson deviance)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from probnn.distributions.poisson import _SADDLE_TRAINING_FROM, _with_large_counts
from probnn.families import register_family
from probnn.families.base import Array, Family, as_vector, check_count_target, weighted_mean

_TEXT = """\
Poisson family: a count y in {0, 1, 2, ...}, raw output z, rate lambda = exp(z).
Likelihood:      p(y | z) = lambda^y exp(-lambda) / y!
Log-likelihood:  log p(y | z) = y z - exp(z) - log(y!)      (log lambda = z exactly)
Loss (NLL):      L(z, y) = exp(z) - y z + log(y!),  log(y!) = gammaln(y + 1)
                 = half the Poisson deviance y log(y / lambda) - (y - lambda)
                 plus y - y log y + log(y!), which does not depend on z.
                 All terms are kept: this is the full NLL.
Gradient:        dL/dz = exp(z) - y = lambda - y
                 (canonical log link: predicted mean minus target)
"""

_LATEX = r"""\begin{aligned}
\lambda &= e^{z}, \qquad y \in \{0, 1, 2, \dots\} \\
p(y \mid z) &= \frac{\lambda^{y} e^{-\lambda}}{y!} \\
\log p(y \mid z) &= y z - e^{z} - \log y! \\
L(z, y) &= e^{z} - y z + \log y!
  \quad \text{(half Poisson deviance + terms free of } z) \\
\frac{\partial L}{\partial z} &= e^{z} - y = \lambda - y
\end{aligned}"""


@register_family
class PoissonFamily(Family):
    """Counts, ``lambda = exp(z)``: Poisson deviance.

    Domain
        ``y`` non-negative integers (counts), shape ``(n_samples,)``; one raw output.
    Link
        Log: ``lambda = exp(z)``, so ``log(lambda) = z`` exactly.
    Formula
        ``nll(z, y) = exp(z) - y z + gammaln(y + 1)``;
        ``d nll / dz = exp(z) - y`` (canonical pair: mean minus target).
    Loss
        Half the Poisson deviance plus ``y - y log(y) + log(y!)``, terms that do
        not depend on ``z``; all are kept (the full NLL, log(y!) included).
        Where ``exp(z)`` exceeds the float range the NLL is ``+inf``, as it
        mathematically is.
    """

    name = "poisson"
    loss_name = "Poisson deviance"
    link = "lambda = exp(z)"
    is_classifier = False
    out_activation = "exp"
    support = "count"
    target_kinds = ("count",)
    default_for = ("count",)
    param_names = ("rate",)
    sklearn_loss = "poisson"

    def check_target(self, y: ArrayLike) -> np.ndarray:
        """Non-negative integer counts of shape (n_samples,), as floats.

        Raises
        ------
        ValueError
            Naming values that are negative, not integers or not finite, and their rows.
        """
        return check_count_target(y, "Poisson")

    def _n_outputs_for(self, y: np.ndarray) -> int:
        return 1

    def _loss_gradient(self, raw: Array, y: np.ndarray, need_gradient: bool):
        z = raw[:, 0]
        rate = np.exp(z)
        loss = rate - y * z
        loss += gammaln(y + 1)
        if y.size and y.max() >= _SADDLE_TRAINING_FROM:  # huge counts: exact to a few
            # ulps, not y log y's (below, the direct form's rounding is under 2e-9 nats)
            loss = _with_large_counts(loss, y, z, _SADDLE_TRAINING_FROM).astype(
                raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        rate -= y
        return loss, rate[:, None]

    def _log_positive_mass(self, raw: Array, need_gradient: bool):
        """``T = log P(Y > 0) = log(1 - e^-lambda)`` per row and ``dT/dz`` (n, 1).

        ``T`` is ``log F`` of an exponential at 1 (``weibull_log_cdf(z, lambda)``: exact where
        ``lambda`` underflows); ``dT/dz = lambda / expm1(lambda)`` (1 as lambda -> 0).
        """
        from probnn.distributions.weibull import weibull_log_cdf

        z = raw[:, 0].astype(np.float64, copy=False)
        with np.errstate(over="ignore"):
            rate = np.exp(z)
        t = weibull_log_cdf(z, rate)
        if not need_gradient:
            return t, None
        with np.errstate(over="ignore", invalid="ignore"):
            d = np.where(rate > 0, rate / np.expm1(rate), 1.0)
        return t, np.where(np.isinf(rate), 0.0, d)[:, None]

    def _censored_loss_gradient(self, raw: Array, lower, upper, need_gradient: bool):
        """``-log(F(u) - F(l))`` on the integers, ``F`` the Poisson cdf (log space).

        ``dF(k)/dlambda = -p(k)``, so ``dL/dz = lambda (p(u) - p(l)) / P`` (``p`` = 0 at an
        infinite bound), each ratio formed as ``exp(z + log p - log P)``.
        """
        from probnn.distributions.poisson import poisson_log_cdf_sf, poisson_log_pmf
        from probnn.families._censored import log_interval_prob

        z = raw[:, 0].astype(np.float64, copy=False)
        log_p = log_interval_prob(*poisson_log_cdf_sf(lower, z), *poisson_log_cdf_sf(upper, z))
        loss = (-log_p).astype(raw.dtype, copy=False)
        if not need_gradient:
            return loss, None
        possible = log_p > -np.inf
        lp = np.where(possible, log_p, 0.0)
        terms = []
        for bound in (upper, lower):
            fin = np.isfinite(bound)
            log_pmf = poisson_log_pmf(np.where(fin, bound, 0.0), z)
            terms.append(np.where(fin, np.exp(z + log_pmf - lp), 0.0))
        # beyond the float range: the interval lies below the mean (+inf) or above it
        with np.errstate(over="ignore"):
            limit = np.where(upper < np.exp(z), np.inf, -np.inf)
        grad = np.where(possible, terms[0] - terms[1], limit)
        return loss, grad.astype(raw.dtype, copy=False)[:, None]

    def distribution(self, raw: ArrayLike):
        """``Poisson(log_rate=z)``, batch shape (n_samples,)."""
        from probnn.distributions import Poisson

        return Poisson(log_rate=as_vector(raw))

    def mean(self, raw: ArrayLike) -> Array:
        """``lambda = exp(z)``, shape (n_samples,)."""
        return np.exp(as_vector(raw))

    def constant_raw(self, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Array:
        """``log`` of the (weighted) mean count, shape (1,); ``-inf`` if all counts are 0."""
        y = self.check_target(y).astype(np.float64)
        with np.errstate(divide="ignore"):
            return np.atleast_1d(np.log(weighted_mean(y, sample_weight)))

    def derivation(self, latex: bool = False) -> str:
        """Likelihood -> log-likelihood -> loss -> gradient."""
        return _LATEX if latex else _TEXT

    def _raw_hessian(self, raw: Array, y: np.ndarray) -> np.ndarray:
        """``d2 nll / dz2 = exp(z)``, the rate, shape (n, 1, 1)."""
        return np.exp(raw)[:, :, None]
