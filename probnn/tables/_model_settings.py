"""The estimator a table's model trains: its settings (:func:`estimator_settings`, in memory
and streamed), early stopping's rows by the row hash (:func:`early_stopping_fraction`,
:func:`early_stopping_rows`), the regressor or ensemble (``_regressor``), the float64
fallback's warning (``_in_float64``) and the Laplace posterior a fit may wrap the network in
(:func:`laplace_posterior`).

Split from :mod:`probnn.tables.model`, which re-exports every name here.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from probnn import defaults
from probnn.exceptions import DataError, PrecisionError, PrecisionWarning
from probnn.tables.targets import is_classifier_family

__all__ = ["laplace_posterior", "estimator_settings", "early_stopping_fraction",
           "early_stopping_rows"]


def laplace_posterior(estimator, X: np.ndarray, y: np.ndarray, seed: int | None = 0):
    """The fitted ``estimator`` wrapped in its Laplace posterior (``defaults.TABLE_LAPLACE``).

    ``seed`` (None: 0) fixes the draws of a Monte Carlo predictive, so a saved model predicts
    the same every time.

    Raises
    ------
    DataError
        If the posterior cannot be formed (its message says why).
    """
    from probnn.laplace import LaplaceApproximation

    try:
        return LaplaceApproximation(estimator, prefit=True, random_state=0 if seed is None else seed,
                                    **defaults.TABLE_LAPLACE).fit(X, y)  # fmt: skip
    except ValueError as exc:
        raise DataError(f"the Laplace posterior over the network's weights: {exc}") from None


def _regressor(params: dict, ensemble: int, n_jobs, seed):
    """An unfitted MLPRegressor of ``params``, or an ensemble of ``ensemble`` of them."""
    from probnn.estimators import MLPRegressor

    if ensemble > 1:
        from probnn.estimators import EnsembleRegressor

        # the members EnsembleRegressor measures by default, as far as options allow
        member = MLPRegressor(**{**defaults.ENSEMBLE_MEMBER, **params})
        return EnsembleRegressor(member, n_members=int(ensemble), n_jobs=n_jobs, random_state=seed)
    return MLPRegressor(**params)


def _in_float64(problem: PrecisionError, target: str | None = None) -> str:
    """``"float64"``, having said with a :class:`PrecisionWarning` why float32 would not do."""
    why = " ".join(problem.problem.split())  # without its remedy (float64: taken)
    where = f"column {target!r}: " if target is not None and not why.startswith("column") else ""
    warnings.warn(f"{where}trained in float64, since float32 training cannot hold this target "
                  f"({why})", PrecisionWarning, stacklevel=3)  # fmt: skip
    return "float64"


def estimator_settings(family: str, hidden: Sequence[int] | None, epochs: int | None,
                       params: dict) -> dict:  # fmt: skip
    """The estimator's settings for a table, in memory and streamed: a regressor keeps
    MLPRegressor's defaults (sized by the data; early stopping on validation NLL where it
    helps) but its plug-in predictive; a classifier gets ``defaults.TABLE_CLASSIFIER``, with
    early stopping (which also gives the report its validation curve) except under L-BFGS.
    ``params`` (the caller's options) override them; ``solver`` among them."""
    settings: dict[str, Any] = {}
    if is_classifier_family(family):
        settings = dict(defaults.TABLE_CLASSIFIER,
                        early_stopping=params.get("solver", "adam") != "lbfgs")  # fmt: skip
    else:
        # a table's network predicts by its own law, as a streamed fit does (its rows are not
        # in memory for the output layer's posterior): the same fit either way;
        # ``--posterior laplace`` adds the posterior
        settings["predictive"] = "plug-in"
    if hidden is not None:
        settings["hidden_layer_sizes"] = tuple(int(h) for h in hidden)
    if epochs is not None:
        settings["max_iter"] = int(epochs)
    settings.update(params)
    return settings


def early_stopping_fraction(family: str, n_fit: int, settings: dict) -> float:
    """The share of a table's fitted rows (those not held out for testing) that the row
    hash keeps for early stopping, in memory and streamed: 0 without early stopping (L-BFGS,
    ``early_stopping=False``, a regressor's "auto" on fewer than 40 rows); else
    ``validation_fraction``, a regressor's "auto" raised to about 20 rows
    (:func:`~probnn.estimators._auto.auto_validation_fraction`)."""
    from probnn.estimators._auto import auto_validation_fraction

    classifier = is_classifier_family(family)
    base = defaults.CLASSIFIER if classifier else defaults.REGRESSOR
    if settings.get("solver", base["solver"]) == "lbfgs":
        return 0.0
    es = settings.get("early_stopping", base["early_stopping"])
    fraction = float(settings.get("validation_fraction", base["validation_fraction"]))
    if es is False:
        return 0.0
    if es is True:
        return fraction
    return auto_validation_fraction(n_fit, fraction)


def early_stopping_rows(rows: np.ndarray, family: str, seed: int, test_fraction: float, *,
                        hidden: Sequence[int] | None = None, epochs: int | None = None,
                        solver: str = "adam", **params) -> np.ndarray | None:  # fmt: skip
    """Which of a table's training rows early stopping scores, by the row hash a streamed
    fit with the same seed and test fraction uses (``probnn fit``, ``compare``).

    Parameters
    ----------
    rows : ndarray of int, shape (n,)
        The training rows' numbers in the table (those not held out for testing).
    family, seed, test_fraction
    hidden, epochs, solver, **params
        The fit's settings, as :meth:`TabularModel.fit` takes them.

    Returns
    -------
    ndarray of bool, shape (n,), or None
        The mask to give :meth:`TabularModel.fit` as ``validation``; None without early
        stopping (:func:`early_stopping_fraction` is 0).
    """
    from probnn.tables.split import VALIDATION, row_parts

    settings = estimator_settings(family, hidden, epochs, {**params, "solver": solver})
    fraction = early_stopping_fraction(family, len(rows), settings)
    if fraction == 0:
        return None
    return row_parts(np.asarray(rows, dtype=np.uint64), seed, test_fraction, fraction) == VALIDATION
