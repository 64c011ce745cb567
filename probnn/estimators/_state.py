"""Fitted estimators rebuilt from their ``_export_state()``: the classes a model file may name.

Each estimator class registers itself here (:func:`register_state`) where it is defined, so
this module imports none of them and an ensemble, whose members are estimators of any class,
rebuilds them through :func:`estimator_from_state` without importing the package above it.
Importing this module runs ``probnn.estimators``' ``__init__`` first, which imports every
class: the registry is complete whenever it is read.
"""

from __future__ import annotations

import numpy as np

__all__ = ["register_state", "estimator_from_params", "estimator_from_state"]

_CLASSES: dict[str, type] = {}


def register_state(cls: type) -> type:
    """Class decorator: model files may name ``cls`` (by ``cls.__name__``)."""
    _CLASSES[cls.__name__] = cls
    return cls


def estimator_from_params(meta: dict):
    """An unfitted estimator from ``{"class": name, "params": {...}}`` (JSON: lists where the
    constructor had tuples)."""
    name = meta.get("class")
    if name not in _CLASSES:
        raise ValueError(
            f"model metadata names estimator class {name!r}; expected one of "
            f"{', '.join(sorted(_CLASSES))}"
        )
    if not isinstance(meta.get("params", {}), dict):
        raise ValueError(f"expected the estimator's parameters as a mapping; found "
                         f"{type(meta['params']).__name__}")  # fmt: skip
    params = dict(meta.get("params", {}))
    if "hidden_layer_sizes" in params and isinstance(params["hidden_layer_sizes"], list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    return _CLASSES[name](**params)


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
    MLPClassifier, MLPRegressor, GaussianGenerativeClassifier or EnsembleRegressor
    """
    estimator = estimator_from_params(meta)
    if hasattr(estimator, "_parameter_constraints"):  # each setting as a fit would check it
        estimator._validate_params()
    estimator._import_state(arrays, meta)
    return estimator
