"""scikit-learn estimators whose outputs are distributions.

``MLPClassifier`` and ``MLPRegressor`` are drop-ins for scikit-learn's classes
of the same names, trained by maximum likelihood (or MAP with a prior) through
a likelihood family; ``GaussianGenerativeClassifier`` is the generative
counterpart (class densities + Bayes' rule); ``nll_scorer`` scores any of them
by held-out negative log-likelihood. ``estimator_from_state`` rebuilds a
fitted estimator from the arrays and metadata of its ``_export_state()``.
"""

from __future__ import annotations

import numpy as np

from probnn.estimators.classifier import MLPClassifier
from probnn.estimators.ensemble import EnsembleRegressor
from probnn.estimators.generative import GaussianGenerativeClassifier
from probnn.estimators.regressor import MLPRegressor
from probnn.estimators.scoring import nll_scorer

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "GaussianGenerativeClassifier",
    "nll_scorer",
    "estimator_from_state",
    "EnsembleRegressor",
]

_CLASSES = {
    cls.__name__: cls for cls in (MLPClassifier, MLPRegressor, GaussianGenerativeClassifier)
}
_CLASSES["EnsembleRegressor"] = EnsembleRegressor  # members rebuilt through this function


def estimator_from_state(arrays: dict[str, np.ndarray], meta: dict):
    """Rebuild a fitted estimator from ``_export_state()``'s ``(arrays, meta)``.

    The rebuilt estimator predicts bit for bit what the original predicted.

    Parameters
    ----------
    arrays : dict of str -> ndarray
    meta : dict
        JSON-able metadata; ``meta["class"]`` names the estimator class and
        ``meta["params"]`` its constructor parameters.

    Returns
    -------
    MLPClassifier, MLPRegressor or GaussianGenerativeClassifier
    """
    name = meta.get("class")
    if name not in _CLASSES:
        raise ValueError(
            f"model metadata names estimator class {name!r}; expected one of "
            f"{', '.join(sorted(_CLASSES))}"
        )
    cls = _CLASSES[name]
    if not isinstance(meta.get("params", {}), dict):
        raise ValueError(f"expected the estimator's parameters as a mapping; found "
                         f"{type(meta['params']).__name__}")  # fmt: skip
    params = dict(meta.get("params", {}))
    if "hidden_layer_sizes" in params and isinstance(params["hidden_layer_sizes"], list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    estimator = cls(**params)
    if hasattr(estimator, "_parameter_constraints"):  # each setting as a fit would check it
        estimator._validate_params()
    estimator._import_state(arrays, meta)
    return estimator
