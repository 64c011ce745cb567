"""Recalibration by likelihood on held-out rows: one parameter, fitted by maximum likelihood.

A fitted network's predictive distributions are often a little too sharp (or too wide) on new
data. :func:`recalibrate` keeps the network and fits one number on rows it was not trained on:

* a **temperature** ``T > 0`` for a classifier: the logits are divided by ``T`` before the
  sigmoid / softmax (Guo et al. 2017, "On calibration of modern neural networks"). ``T > 1``
  softens overconfident probabilities; the most probable class never changes.
* a **scale factor** ``s > 0`` for a regressor whose predictive distributions are
  location-scale (Normal, Laplace, Student-t: ``MLPRegressor`` with those families,
  ``normal-fixed`` included): every row's scale is multiplied by ``s``, the location kept
  (Kuleshov et al. 2018 recalibrate by quantiles; this is the likelihood's one-parameter
  version). For an ensemble's equal mixture (``EnsembleRegressor``) each component's scale
  is multiplied by ``s`` about the component's own location: the members' own spread
  (the aleatoric part) is recalibrated, their disagreement (the spread of their locations)
  is kept as it is.

The parameter maximises the (weighted) mean log-likelihood of the held-out rows. It is fitted on
``log T`` / ``log s`` by Brent's method, bracketed in ``[e^-12, e^12]``; the objective of a
location-scale family is smooth in ``log s`` (for a Normal it is convex, with the closed form
``s^2 = mean(((y - loc) / scale)^2)``).

The returned wrapper predicts like the estimator, with the parameter applied; its
``report_`` gives the held-out NLL and calibration (classifiers: top-label ECE; regressors: the
Kolmogorov-Smirnov distance of the PIT values from uniform and the 90% interval's coverage)
before and after, on the rows it was fitted on. :meth:`Recalibrated.report` computes the same on
other rows (e.g. a test set), which is the honest check.
"""

from __future__ import annotations


import numpy as np
from numpy.typing import ArrayLike

from probnn._validation import check_sample_weight, weighted_mean
from probnn.distributions import scaled_distribution
from probnn.likelihood import fit_factor

__all__ = ["recalibrate", "Recalibrated", "scaled_distribution"]

class Recalibrated:
    """A fitted estimator with a temperature (classifier) or scale factor (regressor) applied.

    Made by :func:`recalibrate`; not a scikit-learn estimator (it is never refitted) and not
    saved in model files.

    Attributes
    ----------
    estimator_ : the wrapped fitted estimator (unchanged)
    kind_ : {"temperature", "scale"}
    temperature_ : float or None
        Classifiers: the logits are divided by it.
    scale_factor_ : float or None
        Regressors: every predicted scale is multiplied by it.
    report_ : dict
        ``{"before": {...}, "after": {...}, "n_rows": n}`` on the rows it was fitted on
        (see :meth:`report`).
    """

    def __init__(self, estimator, kind: str, factor: float):
        self.estimator_ = estimator
        self.kind_ = kind
        self.temperature_ = factor if kind == "temperature" else None
        self.scale_factor_ = factor if kind == "scale" else None
        self._factor = factor

    # ----------------------------------------------------------- classifier
    def _logits(self, X) -> np.ndarray:
        return np.asarray(self.estimator_._raw(X), dtype=np.float64) / self._factor

    def _need(self, kind: str, what: str) -> None:
        if self.kind_ != kind:
            raise AttributeError(f"{what} is for a recalibrated "
                                 f"{'classifier' if kind == 'temperature' else 'regressor'}")

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities from the logits divided by ``temperature_``, shape (n, C)."""
        self._need("temperature", "predict_proba")
        est = self.estimator_
        return est.family_.class_probs(self._logits(X), multilabel=est._multilabel)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed from the logits."""
        self._need("temperature", "predict_log_proba")
        est = self.estimator_
        return est.family_.class_log_probs(self._logits(X), multilabel=est._multilabel)

    # ------------------------------------------------------------ both kinds
    def predict(self, X: ArrayLike) -> np.ndarray:
        """The estimator's own ``predict``: neither parameter moves the argmax or the mean."""
        return self.estimator_.predict(X)

    def predict_dist(self, X: ArrayLike):
        """The recalibrated predictive distribution of each row (batch shape (n_samples,))."""
        if self.kind_ == "temperature":
            return self.estimator_.family_.distribution(self._logits(X))
        return scaled_distribution(self.estimator_.predict_dist(X), self._factor)

    def predict_interval(self, X: ArrayLike, coverage: float = 0.9):
        """Central interval of the recalibrated distribution (regressors)."""
        self._need("scale", "predict_interval")
        from probnn.estimators._base import central_interval_of

        return central_interval_of(self.predict_dist(X), coverage)

    def score_nll(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean NLL of ``y`` under the recalibrated predictions, in nats."""
        return _mean(self._nll_rows(X, y, self._factor), sample_weight)

    def _nll_rows(self, X, y, factor: float) -> np.ndarray:
        return _objective_rows(self.estimator_, self.kind_, X, y)(factor)

    def report(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> dict:
        """NLL and calibration of ``y`` before (factor 1) and after recalibration.

        Returns
        -------
        dict
            ``{"before": m, "after": m, "n_rows": n}``; ``m`` has ``nll`` (weighted mean,
            nats) and, for classifiers with one label per row, ``ece`` (top-label, 10 bins,
            unweighted); for regressors ``pit_ks`` (Kolmogorov-Smirnov distance of the PIT
            values from Uniform(0, 1), unweighted) and ``coverage_90`` (share of rows inside
            the central 90% interval).
        """
        from probnn import metrics

        rows = _objective_rows(self.estimator_, self.kind_, X, y)
        out = {"n_rows": int(np.asarray(y).shape[0])}
        for name, factor in (("before", 1.0), ("after", self._factor)):
            m = {"nll": _mean(rows(factor), sample_weight)}
            if self.kind_ == "temperature":
                est = self.estimator_
                if not est._multilabel:
                    logits = np.asarray(est._raw(X), dtype=np.float64) / factor
                    proba = est.family_.class_probs(logits)
                    m["ece"] = metrics.expected_calibration_error(est._encode(np.asarray(y)),
                                                                  proba)  # fmt: skip
            else:
                dist = scaled_distribution(self.estimator_.predict_dist(X), factor)
                yy = np.asarray(y, dtype=np.float64)
                m["pit_ks"] = metrics.ks_distance_uniform(metrics.pit_values(dist, yy))
                lo, hi = dist.icdf(0.05), dist.icdf(0.95)
                m["coverage_90"] = metrics.interval_coverage(lo, hi, yy)
            out[name] = m
        return out


def _mean(nll: np.ndarray, sample_weight) -> float:
    return weighted_mean(nll, sample_weight)


def _objective_rows(estimator, kind: str, X, y):
    """``factor -> per-row NLL`` of the held-out rows, the predictions computed once."""
    y = np.asarray(y)
    if kind == "temperature":
        logits = np.asarray(estimator._raw(X), dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1 and not estimator._multilabel:
            y = y[:, 0]
        if logits.shape[0] != y.shape[0]:
            raise ValueError(f"X and y must have the same number of rows; found "
                             f"{logits.shape[0]} and {y.shape[0]}")
        target = estimator.family_.check_target(estimator._encode(y))
        family = estimator.family_

        def rows(factor):
            return np.asarray(family.nll(logits / factor, target), dtype=np.float64).reshape(
                logits.shape[0], -1).sum(axis=1)

        return rows
    dist = estimator.predict_dist(X)
    y = np.asarray(y, dtype=np.float64)
    if y.shape != tuple(dist.batch_shape):
        raise ValueError(f"y must have one value per row of X; found shape {y.shape} for "
                         f"{dist.batch_shape[0]} rows")
    scaled_distribution(dist, 1.0)  # refuses a distribution that is not location-scale

    def rows(factor):
        return -np.asarray(scaled_distribution(dist, factor).log_prob(y), dtype=np.float64)

    return rows


def recalibrate(estimator, X_val: ArrayLike, y_val: ArrayLike,
                sample_weight: ArrayLike | None = None) -> Recalibrated:  # fmt: skip
    """Fit a temperature (classifier) or scale factor (regressor) on held-out rows.

    Parameters
    ----------
    estimator : fitted MLPClassifier, MLPRegressor or EnsembleRegressor
        A classifier is recognised by ``predict_proba``; a regressor needs location-scale
        predictive distributions (see the module).
    X_val : array-like of shape (n_val, n_features)
        Rows the estimator was not trained on (nor early-stopped on, ideally).
    y_val : array-like of shape (n_val,)
    sample_weight : array-like of shape (n_val,), optional
        The objective is the weighted mean NLL.

    Returns
    -------
    Recalibrated
        With ``temperature_`` or ``scale_factor_`` and ``report_`` (NLL and calibration
        before / after on these rows).

    Raises
    ------
    ValueError
        For a regressor whose predictions are not location-scale, mismatched rows, or
        held-out rows that no factor gives a finite NLL.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    kind = "temperature" if hasattr(estimator, "predict_proba") else "scale"
    rows = _objective_rows(estimator, kind, X_val, y_val)
    w = check_sample_weight(sample_weight, np.asarray(y_val).shape[0])
    if not w.sum() > 0:
        raise ValueError("sample_weight must not be all zero; found zero weight on every row")

    factor = fit_factor(rows, w)
    out = Recalibrated(estimator, kind, factor)
    out.report_ = out.report(X_val, y_val, sample_weight)
    return out
