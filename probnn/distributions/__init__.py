"""Probability distributions: the objects a network's output parameterises.

Each distribution is batched over its parameters' broadcast shape and offers
``log_prob``, ``prob``, ``cdf``, ``icdf``, ``mean``, ``variance``, ``stddev``,
``entropy``, ``sample`` and a maximum-likelihood ``fit``.
"""

from .base import Distribution
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

__all__ = [
    "Distribution",
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
]
