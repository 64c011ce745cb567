"""Probability distributions: the objects a network's output parameterises.

Each distribution is batched over its parameters' broadcast shape and offers
``log_prob``, ``prob``, ``cdf``, ``icdf``, ``mean``, ``variance``, ``stddev``,
``entropy``, ``sample`` and a maximum-likelihood ``fit``.
"""

from .base import DISCRETE_SUPPORTS, Distribution
from .bernoulli import (Bernoulli, bernoulli_pmf_additive, bernoulli_pmf_multiplicative,
                        bernoulli_pmf_piecewise)
from .categorical import Categorical
from .laplace import Laplace
from .mixture import Mixture
from .normal import Normal
from .poisson import Poisson
from .studentt import StudentT
from .ordinal import OrderedLogistic
from .negative_binomial import NegativeBinomial
from .gamma import Gamma
from .lognormal import LogNormal
from .beta import Beta
from .weibull import Weibull
from .loglogistic import LogLogistic
from .zero_inflated import ZeroInflated
from .hurdle import Hurdle

__all__ = [
    "Distribution",
    "DISCRETE_SUPPORTS",
    "Bernoulli",
    "Categorical",
    "Normal",
    "Laplace",
    "Poisson",
    "StudentT",
    "Mixture",
    "bernoulli_pmf_piecewise",
    "bernoulli_pmf_additive",
    "bernoulli_pmf_multiplicative",
    "OrderedLogistic",
    "NegativeBinomial",
    "Gamma",
    "LogNormal",
    "Beta",
    "Weibull",
    "LogLogistic",
    "ZeroInflated",
    "Hurdle",
    "scaled_distribution",
]


def scaled_distribution(dist, factor: float):
    """``dist`` with every scale multiplied by ``factor``, the locations kept.

    Parameters
    ----------
    dist : Normal, Laplace, StudentT or Mixture of these
        Batch shape (n_samples,).
    factor : float > 0

    Returns
    -------
    Distribution of the same type; a Mixture keeps its weights and scales each component
    about the component's own location.

    Raises
    ------
    ValueError
        For a distribution that is not location-scale (e.g. Poisson).
    """
    factor = float(factor)
    if isinstance(dist, Mixture):
        return Mixture([scaled_distribution(c, factor) for c in dist.components],
                       logits=dist.logits)
    if isinstance(dist, Normal):
        return Normal(dist.loc, factor * dist.scale)
    if isinstance(dist, Laplace):
        return Laplace(dist.loc, factor * dist.scale)
    if isinstance(dist, StudentT):
        return StudentT(dist.df, loc=dist.loc, scale=factor * dist.scale)
    raise ValueError(
        "a scale factor needs location-scale predictive distributions (Normal, Laplace, "
        f"Student-t, or a Mixture of them); found {type(dist).__name__}"
    )

