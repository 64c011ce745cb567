"""probnn: neural networks seen through probability.

A network maps an input ``x`` to the parameters of a distribution over the
target ``y``; the loss is that distribution's negative log-likelihood, and
training is maximum-likelihood estimation by backpropagation.

Public names are imported lazily (on first attribute access), so that
``import probnn`` stays fast and the command line does not pay for matplotlib
or scikit-learn unless it uses them.
"""

from __future__ import annotations

import importlib

from probnn._version import __version__

# public name -> module that defines it
_EXPORTS = {
    # distributions
    "Distribution": "probnn.distributions",
    "Bernoulli": "probnn.distributions",
    "Categorical": "probnn.distributions",
    "Normal": "probnn.distributions",
    "Laplace": "probnn.distributions",
    "Poisson": "probnn.distributions",
    "StudentT": "probnn.distributions",
    "Mixture": "probnn.distributions",
    "bernoulli_pmf_piecewise": "probnn.distributions",
    "bernoulli_pmf_additive": "probnn.distributions",
    "bernoulli_pmf_multiplicative": "probnn.distributions",
    "OrderedLogistic": "probnn.distributions",
    "NegativeBinomial": "probnn.distributions",
    "Gamma": "probnn.distributions",
    "LogNormal": "probnn.distributions",
    "Beta": "probnn.distributions",
    "Weibull": "probnn.distributions",
    "LogLogistic": "probnn.distributions",
    "ZeroInflated": "probnn.distributions",
    "Hurdle": "probnn.distributions",
    # information theory
    "entropy": "probnn.information",
    "cross_entropy": "probnn.information",
    "kl_divergence": "probnn.information",
    "register_kl": "probnn.information",
    # proper scores of distributions
    "crps": "probnn.scoring_rules",
    "register_crps": "probnn.scoring_rules",
    # survival (time-to-event) scores
    "concordance_index": "probnn.survival",
    # likelihood tools
    "log_likelihood_grid": "probnn.likelihood",
    "fit_numerical": "probnn.likelihood",
    "observed_information": "probnn.likelihood",
    "standard_errors": "probnn.likelihood",
    # likelihood heads
    "Family": "probnn.families",
    "get_family": "probnn.families",
    "register_family": "probnn.families",
    "FAMILIES": "probnn.families",
    # networks
    "MLP": "probnn.network",
    # estimators
    "MLPClassifier": "probnn.estimators",
    "MLPRegressor": "probnn.estimators",
    "EnsembleRegressor": "probnn.estimators",
    "GaussianGenerativeClassifier": "probnn.estimators",
    "nll_scorer": "probnn.estimators",
    "crps_scorer": "probnn.estimators",
    "predict_dist": "probnn.estimators",
    "predict_interval": "probnn.estimators",
    # what moves each predicted parameter
    "parameter_importance": "probnn.inspection",
    "ParameterImportance": "probnn.inspection",
    # recalibration on held-out rows
    "recalibrate": "probnn.calibration",
    # the Laplace approximation over a network's weights
    "LaplaceApproximation": "probnn.laplace",
    # families side by side on one table
    "compare_families": "probnn.compare",
    "AutoRegressor": "probnn.auto",
    "AutoClassifier": "probnn.auto",
    "select_model": "probnn.selection",
    "FamilyComparison": "probnn.compare",
    # model files
    "save_model": "probnn.model_file",
    "load_model": "probnn.model_file",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'probnn' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later look-ups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
