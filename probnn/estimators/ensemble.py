"""Deep ensemble of probabilistic regressors: M independently seeded networks, one mixture.

Lakshminarayanan, Pritzel and Blundell (2017, "Simple and scalable predictive uncertainty
estimation using deep ensembles"): train M networks with a proper scoring rule (here each
network's NLL) from independent random initialisations and minibatch orders, and predict with
the equally weighted mixture of their predictive distributions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from probnn import defaults
from probnn._math import logsumexp
from probnn._validation import weighted_mean
from probnn.estimators._state import estimator_from_params, estimator_from_state, register_state

__all__ = ["EnsembleRegressor", "default_member"]


def default_member():
    """The ensemble's default member: ``MLPRegressor(recalibrate=False)``, the default
    "normal" family with a learned scale (``probnn.defaults.ENSEMBLE_MEMBER``)."""
    from probnn.estimators.regressor import MLPRegressor

    return MLPRegressor(**defaults.ENSEMBLE_MEMBER)  # the default family: Normal, learned scale


def _fit_member(task):
    estimator, X, y, sample_weight = task
    if sample_weight is None:
        return estimator.fit(X, y)
    return estimator.fit(X, y, sample_weight=sample_weight)


@register_state
class EnsembleRegressor(RegressorMixin, BaseEstimator):
    """Deep ensemble: ``p(y | x) = (1 / M) sum_m p_m(y | x)``, M independently seeded regressors.

    Parameters
    ----------
    estimator : regressor with ``predict_dist`` and ``random_state``, optional
        The member template, cloned M times (e.g. a probnn ``MLPRegressor``). Default:
        :func:`default_member`, an ``MLPRegressor(family="normal")`` with the configuration in
        ``probnn.defaults.ENSEMBLE_MEMBER`` (each setting with why).
    n_members : int, default=5
        Number of members M >= 1.
    n_jobs : int or None, default=None
        Members fitted in parallel through joblib (``probnn._parallel.parallel_map``: any
        joblib backend, e.g. ``parallel_config(backend="dask")``; None: one at a time unless
        ``joblib.parallel_config`` says otherwise, -1: all cores). The members are the same
        whatever it is: their seeds are drawn before they are dispatched.
    random_state : None, int, RandomState or Generator, default=None
        Draws the M member seeds (each member's ``random_state``), so members differ in their
        initial weights and minibatch orders.

    Attributes
    ----------
    estimators_ : list of fitted regressors, length M
    n_features_in_ : int
    """

    def __init__(self, estimator=None, n_members: int = defaults.ENSEMBLE_MEMBERS,
                 n_jobs: int | None = None, random_state=None):
        self.estimator = estimator
        self.n_members = n_members
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _template(self):
        return default_member() if self.estimator is None else self.estimator

    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None):
        """Fit M clones of the template, each with its own seed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or (n_samples, 2) of (lower, upper) bounds
            (censored and interval targets, see ``MLPRegressor.fit``)
        sample_weight : array-like of shape (n_samples,), optional
            Passed to every member's ``fit``.

        Returns
        -------
        self
        """
        from probnn._parallel import parallel_map

        m = self.n_members
        if not (isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 1):
            raise ValueError(f"n_members must be an integer >= 1; found {m!r}")
        if isinstance(self.random_state, np.random.Generator):  # as MLPRegressor accepts
            seeds = self.random_state.integers(0, 2**31 - 1, size=int(m))
        else:  # int / None / RandomState: the seeds drawn as before
            seeds = check_random_state(self.random_state).randint(0, 2**31 - 1, size=int(m))
        members = [clone(self._template()).set_params(random_state=int(s)) for s in seeds]
        self.estimators_ = list(parallel_map(
            _fit_member, [(est, X, y, sample_weight) for est in members], n_jobs=self.n_jobs
        ))
        self.n_features_in_ = self.estimators_[0].n_features_in_
        if hasattr(self.estimators_[0], "feature_names_in_"):
            self.feature_names_in_ = self.estimators_[0].feature_names_in_
        return self

    # -------------------------------------------------------------- predict
    def predict_dist(self, X: ArrayLike):
        """The ensemble's predictive distribution: the equally weighted mixture of the members'.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Mixture
            Batch shape (n_samples,), M components in the units of ``y``.
        """
        from probnn.distributions.mixture import Mixture

        check_is_fitted(self, "estimators_")
        return Mixture([est.predict_dist(X) for est in self.estimators_])

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted mean: the average of the members' means (the mixture's mean).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return np.asarray(self.predict_dist(X).mean)

    def predict_interval(self, X: ArrayLike, coverage: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central interval of the mixture: its quantiles at ``(1 -/+ coverage) / 2``
        (:func:`probnn.metrics.central_interval`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        coverage : float in (0, 1), default=0.9

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,)
        """
        from probnn.estimators._base import central_interval_of

        return central_interval_of(self.predict_dist(X), coverage)

    def score_nll(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean negative log-likelihood of ``y`` under the mixture, in nats (in y's units).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), or (n_samples, 2) of (lower, upper) bounds
            (censored and interval targets, as ``MLPRegressor`` takes them).
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        from probnn.families._interval import is_interval_target

        if is_interval_target(y):
            # (lower, upper) rows: the mixture's probability of each row's event (its
            # density where exact) is the members' average: -log mean_m exp(-nll_m)
            check_is_fitted(self, "estimators_")
            nll = np.stack([np.asarray(est._nll_per_row(X, y), dtype=np.float64)
                            for est in self.estimators_])  # fmt: skip
            per_row = np.log(len(self.estimators_)) - logsumexp(-nll, axis=0)
            return weighted_mean(per_row, sample_weight)
        y = np.asarray(y, dtype=np.float64)
        dist = self.predict_dist(X)
        if y.shape != tuple(dist.batch_shape):
            raise ValueError(
                f"y must have one value per row of X; found shape {y.shape} for "
                f"{dist.batch_shape[0]} rows"
            )
        from probnn.metrics import mean_nll

        return mean_nll(dist, y, sample_weight)

    # ------------------------------------------------------------ model files
    def _export_state(self) -> tuple[dict[str, np.ndarray], dict]:
        """Members' arrays prefixed ``member{k}.`` and their metadata, for ``probnn.model_file``.

        Returns
        -------
        arrays : dict of str -> ndarray
        meta : dict
            ``class``, ``params`` (``estimator`` stored as ``estimator_params``) and
            ``members``: each member's own metadata.
        """
        from probnn.estimators._base import _jsonable

        check_is_fitted(self, "estimators_")
        arrays: dict[str, np.ndarray] = {}
        members = []
        for k, est in enumerate(self.estimators_):
            a, meta = est._export_state()
            arrays.update({f"member{k}.{name}": v for name, v in a.items()})
            members.append(meta)
        params = _jsonable({k: v for k, v in self.get_params(deep=False).items()
                            if k != "estimator"})
        template = None
        if self.estimator is not None:
            template = {"class": type(self.estimator).__name__,
                        "params": _jsonable(self.estimator.get_params(deep=False))}
        return arrays, {"class": type(self).__name__, "params": params,
                        "estimator": template, "members": members}

    def _import_state(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        """Inverse of :meth:`_export_state` (called by ``estimator_from_state``)."""
        members = meta.get("members")
        if not isinstance(members, list) or not members:
            raise ValueError("ensemble metadata must list its members; found none")
        self.estimators_ = []
        for k, member_meta in enumerate(members):
            prefix = f"member{k}."
            own = {name[len(prefix):]: v for name, v in arrays.items() if name.startswith(prefix)}
            self.estimators_.append(estimator_from_state(own, member_meta))
        template = meta.get("estimator")
        if template is not None:
            self.estimator = estimator_from_params(template)
        self.n_features_in_ = self.estimators_[0].n_features_in_
        if hasattr(self.estimators_[0], "feature_names_in_"):
            self.feature_names_in_ = self.estimators_[0].feature_names_in_
