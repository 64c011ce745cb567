"""The selection by held-out likelihood as scikit-learn estimators.

:class:`AutoRegressor` and :class:`AutoClassifier` run :func:`probnn.selection.select_model`
in ``fit`` (``cv_results_``, ``best_family_``, ``best_capacity_``, ``best_estimator_``), in
the spirit of ``LassoCV`` and ``HalvingGridSearchCV``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from probnn._validation import check_outcomes, weighted_mean
from probnn.compare import _row_nll
from probnn.selection import select_model

__all__ = ["AutoClassifier", "AutoRegressor"]


def _as_frame(X, names: Sequence[str] | None = None) -> pd.DataFrame:
    """``X`` as a DataFrame: a DataFrame as it is, an array with columns ``x0, x1, ...``."""
    if isinstance(X, pd.DataFrame):
        return X
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); found shape {array.shape}")
    return pd.DataFrame(array, columns=list(names) if names is not None
                        else [f"x{j}" for j in range(array.shape[1])])  # fmt: skip


def _internal_target(y, columns):
    """``y`` named apart from ``columns``: its name (or ``"y"``, unnamed) where free, else that
    name with ``" (target)"`` appended until free. The target's name is internal to the
    selection here, so a y named as one of X's columns (y = f(X.a), named "a") is fine."""
    name = y.name if isinstance(y, pd.Series) and isinstance(y.name, str) else "y"
    if name not in columns:
        return y
    while name in columns:
        name += " (target)"
    return pd.Series(np.asarray(y), name=name)


class _AutoEstimator(BaseEstimator):
    """The selection of :func:`select_model` as a scikit-learn estimator."""

    _task = "regressor"

    def __init__(self, *, families=None, cv="auto", network_families="auto",
                 hidden=None, solver="adam", epochs=None, impute=False, levels=None,
                 n_jobs=1, random_state=0, point_mass="censor"):  # fmt: skip
        self.families = families
        self.cv = cv
        self.network_families = network_families
        self.hidden = hidden
        self.solver = solver
        self.epochs = epochs
        self.impute = impute
        self.levels = levels
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.point_mass = point_mass

    def fit(self, X, y):
        """Select on ``X``, ``y`` and fit the choice.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        frame = _as_frame(X)
        y = _internal_target(y, frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        network = {"hidden": self.hidden, "solver": self.solver, "epochs": self.epochs}
        selection = select_model(
            frame, y, families=self.families, task=self._task, cv=self.cv,
            seed=self.random_state, network_families=self.network_families, impute=self.impute,
            levels=self.levels, n_jobs=self.n_jobs, point_mass=self.point_mass,
            **network)  # fmt: skip
        self.selection_ = selection
        self.cv_results_ = {k: selection.table[k].to_numpy() for k in selection.table.columns}
        self.best_family_, self.best_capacity_ = selection.family, selection.capacity
        self.best_estimator_ = selection.model
        return self

    def _frame(self, X) -> pd.DataFrame:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "best_estimator_")
        if not isinstance(X, pd.DataFrame):
            n = np.shape(X)[1] if np.ndim(X) == 2 else None
            if n is not None and n != self.n_features_in_:
                raise ValueError(f"X has {n} features, but {type(self).__name__} is expecting "
                                 f"{self.n_features_in_} features as input")  # fmt: skip
        return _as_frame(X, None if isinstance(X, pd.DataFrame) else self.feature_names_in_)

    def _model_to_save(self):
        """The chosen model, what :func:`probnn.save_model` writes for this selection."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_

    def predict(self, X) -> np.ndarray:
        """The chosen model's prediction (mean, or most probable class), shape (n_samples,)."""
        return self.best_estimator_.predict(self._frame(X))

    def predict_dist(self, X):
        """The chosen model's predictive distribution, batch shape (n_samples,)."""
        return self.best_estimator_.predict_dist(self._frame(X))

    def score_nll(self, X, y, sample_weight=None) -> float:
        """Mean NLL of ``y`` in nats, scored as the selection scored (integers' probabilities
        for a continuous family on counts); weighted by ``sample_weight`` (shape
        (n_samples,)) as ``sum_i s_i nll_i / sum_i s_i``, so that :func:`probnn.nll_scorer`
        (which passes it) scores a selection like any other estimator."""
        model = self.best_estimator_
        frame = self._frame(X).copy()
        frame[model.target] = check_outcomes(y, (len(frame),))
        return weighted_mean(_row_nll(model, frame, self.selection_.kinds[0]), sample_weight)

    def score(self, X, y, sample_weight=None) -> float:
        """Mean log-likelihood of ``y`` in nats (higher is better): ``-score_nll``."""
        return -self.score_nll(X, y, sample_weight=sample_weight)


class AutoRegressor(_AutoEstimator):
    """A regression family and capacity chosen by held-out NLL
    (:func:`~probnn.selection.select_model`).

    Parameters
    ----------
    families : sequence of str, optional
        Regression families to try (default: those of the target's kinds).
    cv : "auto", int, None or a splitter, default="auto"
        K-fold below 5,000 rows, one split above (:func:`~probnn.selection.cv_splits`).
    network_families : int or "auto", default="auto"
        Families whose default network is tried (2 under K folds, 1 on one split).
    hidden, solver, epochs
        The network candidates' ``TabularModel.fit`` arguments (None: the defaults).
    impute, levels, n_jobs, random_state, point_mass
        As :func:`~probnn.selection.select_model` (``random_state`` is its ``seed``;
        ``point_mass="censor"`` reads a point mass at an end of ``y`` as censored there, a
        Tobit model).

    Attributes
    ----------
    cv_results_ : dict of str -> ndarray
        The candidates' table (:attr:`probnn.selection.Selection.table`;
        ``pandas.DataFrame(cv_results_)``).
    best_family_, best_capacity_ : str
    best_estimator_ : TabularModel
        The chosen candidate, fitted.
    selection_ : probnn.selection.Selection
    """

    _task = "regressor"

    def predict_interval(self, X, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Predictive interval of probability ``coverage``, two arrays (n_samples,); of the
        value recorded where ``y`` was read as censored at a bound (a point mass there:
        :func:`probnn.metrics.central_interval` with the bounds)."""
        from probnn.metrics import central_interval

        model, censoring = self.best_estimator_, self.best_estimator_.censoring
        dist = model.estimator.predict_dist(model.transform(self._frame(X)))
        return central_interval(dist, coverage, *((None, None) if censoring is None
                                                  else (censoring.below, censoring.above)))


class AutoClassifier(_AutoEstimator):
    """A class family and capacity chosen by held-out NLL
    (:func:`~probnn.selection.select_model`).

    Parameters and attributes as :class:`AutoRegressor` (the class families only), and
    ``classes_``: the labels in the model's order.
    """

    _task = "classifier"

    def fit(self, X, y):
        super().fit(X, y)
        self.classes_ = np.asarray(self.best_estimator_.classes, dtype=object)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), in ``classes_``' order."""
        model = self.best_estimator_
        return model.estimator.predict_proba(model.transform(self._frame(X)))
