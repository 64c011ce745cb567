"""Predictive distributions and proper scores of a fitted model, Pipelines included.

``predict_dist`` and ``predict_interval`` answer for a probnn estimator or for a
scikit-learn ``Pipeline`` that ends in one (its transforms applied to the rows first,
then the last step's method), so a table with text columns, encoded by a
``ColumnTransformer`` in the Pipeline, keeps its distribution. ``nll_scorer`` and
``crps_scorer`` score the same objects by held-out negative log-likelihood and
continuous ranked probability score, negated, as ``cross_val_score`` and
``GridSearchCV`` maximise.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import check_outcomes, encode_labels, weighted_mean

__all__ = ["nll_scorer", "crps_scorer", "predict_dist", "predict_interval"]


def _last_step(estimator, X: ArrayLike):
    """``(model, rows)``: a Pipeline's last step and ``X`` through the steps before it.

    Nested Pipelines are unwrapped the same way; any other estimator is returned with
    ``X`` unchanged.
    """
    from sklearn.pipeline import Pipeline

    while isinstance(estimator, Pipeline):
        if len(estimator) > 1:
            X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    return estimator, X


def predict_dist(estimator, X: ArrayLike):
    """The predicted distribution of ``y`` for each row of ``X``.

    Parameters
    ----------
    estimator : fitted probnn estimator, or a fitted ``sklearn.pipeline.Pipeline``
        ending in one (anything with ``predict_dist``: ``MLPRegressor``,
        ``MLPClassifier``, ``EnsembleRegressor``, a recalibrated model).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Rows as the estimator (the Pipeline's first step) takes them.

    Returns
    -------
    Distribution
        Batch shape (n_samples,) (a multi-label classifier: (n_samples, k)), in the
        units of ``y``.

    Raises
    ------
    TypeError
        When the (last) estimator has no ``predict_dist``.
    """
    model, rows = _last_step(estimator, X)
    if not hasattr(model, "predict_dist"):
        raise TypeError(
            "predict_dist needs a probnn estimator (or a Pipeline ending in one) with "
            f"predict_dist; found {type(model).__name__}"
        )
    return model.predict_dist(rows)


def predict_interval(estimator, X: ArrayLike, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Central predictive interval holding ``y`` with probability ``coverage``.

    The predicted distribution's quantiles at ``(1 - coverage) / 2`` and
    ``(1 + coverage) / 2``: the estimator's own ``predict_interval`` where it has one.

    Parameters
    ----------
    estimator : fitted probnn regressor, or a Pipeline ending in one
    X : array-like or DataFrame of shape (n_samples, n_features)
    coverage : float in (0, 1), default=0.9

    Returns
    -------
    lower, upper : ndarray of shape (n_samples,)
    """
    from probnn.estimators._base import central_interval_of

    model, rows = _last_step(estimator, X)
    if hasattr(model, "predict_interval"):
        return model.predict_interval(rows, coverage=coverage)
    return central_interval_of(predict_dist(model, rows), coverage)


def nll_scorer(estimator, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Minus the mean negative log-likelihood of ``y`` under ``estimator``'s predictions.

    scikit-learn maximises scores, so this returns ``-mean NLL`` (in nats):
    ``cross_val_score(est, X, y, scoring=nll_scorer)`` and
    ``GridSearchCV(est, grid, scoring=nll_scorer)`` then pick the model that
    gives held-out data the highest likelihood.

    Parameters
    ----------
    estimator : fitted estimator
        One with ``score_nll(X, y, sample_weight)`` (every probnn estimator), a
        ``Pipeline`` ending in one, or any scikit-learn classifier (or Pipeline) with
        ``predict_log_proba`` and ``classes_``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        ``-mean NLL``; greater is better, 0 is the best possible for a
        discrete target.
    """
    model, rows = _last_step(estimator, X)
    if hasattr(model, "score_nll"):
        return -float(model.score_nll(rows, y, sample_weight=sample_weight))
    if not hasattr(model, "predict_log_proba"):
        raise TypeError(
            f"nll_scorer needs an estimator with score_nll or predict_log_proba; found "
            f"{type(model).__name__}"
        )
    log_proba = np.asarray(model.predict_log_proba(rows), dtype=np.float64)
    y = check_outcomes(y, log_proba.shape[:1])
    index = encode_labels(y, model.classes_, "the estimator's classes")
    return -weighted_mean(-log_proba[np.arange(y.shape[0]), index], sample_weight)


def crps_scorer(estimator, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Minus the mean continuous ranked probability score of ``y`` (see :func:`probnn.crps`).

    The CRPS is in the units of ``y`` (for classes: of the class index), lower is
    better; scikit-learn maximises scores, so this returns ``-mean CRPS``.

    Parameters
    ----------
    estimator : fitted probnn estimator with ``predict_dist``, or a Pipeline ending in one
        Regressors, and classifiers whose classes are ordered: two classes (the CRPS
        is then the Brier score of ``classes_[1]``), ``family="ordinal"`` (the ranked
        probability score over the class indices, classes in ``classes_``'s order).
        A ``family="categorical"`` classifier is refused: its classes have no order.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) (a multi-label classifier: (n_samples, k),
        whose per-label scores are summed over each row)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        ``-sum_i w_i CRPS_i / sum_i w_i``; greater is better, 0 the best possible.
    """
    from probnn.scoring_rules import crps

    model, rows = _last_step(estimator, X)
    dist = predict_dist(model, rows)
    # a column-vector y against (n,) predictions would broadcast to an n x n table
    outcomes = check_outcomes(_as_outcomes(model, y), dist.batch_shape)
    scores = np.asarray(crps(dist, outcomes), dtype=np.float64)
    if scores.ndim == 0:
        scores = scores.reshape(1)
    per_row = scores.reshape(scores.shape[0], -1).sum(axis=1)
    return -weighted_mean(per_row, sample_weight)


def _as_outcomes(model, y: ArrayLike) -> np.ndarray:
    """``y`` as the predicted distribution's outcomes: a classifier's labels as class indices."""
    y = np.asarray(y)
    owner = getattr(model, "estimator_", model)  # a recalibrated model wraps the estimator
    if hasattr(owner, "_encode") and hasattr(owner, "classes_"):
        return owner._encode(y)
    classes = getattr(owner, "classes_", None)
    if classes is not None:
        return encode_labels(y, classes, "the estimator's classes")
    return y
