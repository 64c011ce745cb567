"""Scoring by held-out likelihood: the NLL scorer for ``cross_val_score`` and ``GridSearchCV``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import check_sample_weight, encode_labels

__all__ = ["nll_scorer"]


def nll_scorer(estimator, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Minus the mean negative log-likelihood of ``y`` under ``estimator``'s predictions.

    scikit-learn maximises scores, so this returns ``-mean NLL`` (in nats):
    ``cross_val_score(est, X, y, scoring=nll_scorer)`` and
    ``GridSearchCV(est, grid, scoring=nll_scorer)`` then pick the model that
    gives held-out data the highest likelihood.

    Parameters
    ----------
    estimator : fitted estimator
        One with ``score_nll(X, y, sample_weight)`` (every probnn estimator),
        or any scikit-learn classifier with ``predict_log_proba`` and ``classes_``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    sample_weight : array-like of shape (n_samples,), optional

    Returns
    -------
    float
        ``-mean NLL``; greater is better, 0 is the best possible for a
        discrete target.
    """
    if hasattr(estimator, "score_nll"):
        return -float(estimator.score_nll(X, y, sample_weight=sample_weight))
    if not hasattr(estimator, "predict_log_proba"):
        raise TypeError(
            f"nll_scorer needs an estimator with score_nll or predict_log_proba; found "
            f"{type(estimator).__name__}"
        )
    log_proba = np.asarray(estimator.predict_log_proba(X), dtype=np.float64)
    y = np.asarray(y)
    index = encode_labels(y, estimator.classes_, "the estimator's classes")
    nll = -log_proba[np.arange(y.shape[0]), index]
    w = check_sample_weight(sample_weight, nll.shape[0])
    return -float(np.dot(w, nll) / w.sum())
