"""scikit-learn estimators whose outputs are distributions.

``MLPClassifier`` and ``MLPRegressor`` are drop-ins for scikit-learn's classes
of the same names, trained by maximum likelihood (or MAP with a prior) through
a likelihood family; ``GaussianGenerativeClassifier`` is the generative
counterpart (class densities + Bayes' rule); ``nll_scorer`` and ``crps_scorer``
score any of them (or a Pipeline ending in one) by held-out negative
log-likelihood and CRPS; ``predict_dist`` / ``predict_interval`` reach the
distribution through a Pipeline. ``estimator_from_state`` rebuilds a
fitted estimator from the arrays and metadata of its ``_export_state()``.
"""

from __future__ import annotations

from probnn.estimators._state import estimator_from_state
from probnn.estimators.classifier import MLPClassifier
from probnn.estimators.ensemble import EnsembleRegressor
from probnn.estimators.generative import GaussianGenerativeClassifier
from probnn.estimators.regressor import MLPRegressor
from probnn.estimators.scoring import crps_scorer, nll_scorer, predict_dist, predict_interval

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "GaussianGenerativeClassifier",
    "nll_scorer",
    "crps_scorer",
    "predict_dist",
    "predict_interval",
    "estimator_from_state",
    "EnsembleRegressor",
]
