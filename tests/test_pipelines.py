"""Distributions and proper scores through scikit-learn Pipelines with a ColumnTransformer.

A table with a text column needs a ``ColumnTransformer`` in a ``Pipeline``; the Pipeline's
predictive distribution, NLL and CRPS must be its last step's on the transformed rows (the
oracles: scipy.stats' log-density, the Student-t's closed-form CRPS, scikit-learn's log loss and Brier
score), and ``GridSearchCV`` / ``cross_val_score`` must score every fold.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import probnn
from probnn.estimators import MLPClassifier, MLPRegressor
from _crps_oracles import student_t_crps

CITIES = np.array(["Lyon", "Oslo", "Quito"])


def _table(n=240, seed=0):
    """Two numbers and a text column; the city moves the mean and the noise."""
    rng = np.random.default_rng(seed)
    city = rng.choice(CITIES, size=n)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 10, size=n)
    shift = np.select([city == "Lyon", city == "Oslo"], [0.0, 2.0], -1.0)
    noise = np.where(city == "Quito", 1.5, 0.4)
    y = 1.0 + x1 + 0.2 * x2 + shift + noise * rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "city": city}), y


def _columns():
    return ColumnTransformer([("numbers", StandardScaler(), ["x1", "x2"]),
                              ("text", OneHotEncoder(handle_unknown="ignore"), ["city"])])


def _regressor_pipe(**params):
    return make_pipeline(_columns(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=100,
                                                  learning_rate_init=0.01, random_state=0,
                                                  **params))


@pytest.fixture(scope="module")
def fitted():
    X, y = _table()
    pipe = _regressor_pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X[:180], y[:180])
    return pipe, X, y


def test_pipeline_gives_its_last_steps_distribution_nll_and_crps(fitted):
    pipe, X, y = fitted
    X_test, y_test = X[180:], y[180:]
    # the rows as the last step sees them, from a ColumnTransformer fitted apart
    rows = clone(_columns()).fit(X[:180]).transform(X_test)
    last = pipe[-1].predict_dist(rows)
    dist = probnn.predict_dist(pipe, X_test)
    np.testing.assert_array_equal(dist.loc, last.loc)
    np.testing.assert_array_equal(dist.scale, last.scale)
    loc, scale = np.asarray(last.loc, np.float64), np.asarray(last.scale, np.float64)
    # the default predictive: a Student-t (the widening factor integrated out)
    df = np.asarray(last.df, np.float64)
    nll = -np.mean(stats.t.logpdf(y_test, df, loc, scale))
    assert -probnn.nll_scorer(pipe, X_test, y_test) == pytest.approx(nll, rel=1e-5)
    crps = np.mean(student_t_crps(y_test, df, loc, scale))
    assert -probnn.crps_scorer(pipe, X_test, y_test) == pytest.approx(crps, rel=1e-5)
    low, high = probnn.predict_interval(pipe, X_test, coverage=0.8)
    np.testing.assert_allclose(low, stats.t.ppf(0.1, df, loc, scale), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(high, stats.t.ppf(0.9, df, loc, scale), rtol=1e-5, atol=1e-5)


def test_sample_weight_gives_the_weighted_mean(fitted):
    pipe, X, y = fitted
    w = np.linspace(0.0, 2.0, 60)
    dist = probnn.predict_dist(pipe, X[180:])
    per_row = student_t_crps(y[180:], np.asarray(dist.df, float), np.asarray(dist.loc, float),
                              np.asarray(dist.scale, float))
    assert -probnn.crps_scorer(pipe, X[180:], y[180:], sample_weight=w) == pytest.approx(
        np.dot(w, per_row) / w.sum(), rel=1e-5)


@pytest.mark.parametrize("scorer", [probnn.nll_scorer, probnn.crps_scorer],
                         ids=["nll", "crps"])
def test_grid_search_over_the_pipeline_scores_every_fold(scorer):
    X, y = _table(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # scikit-learn's "Scoring failed" warning
        warnings.simplefilter("ignore", ConvergenceWarning)  # (one, not an error)
        search = GridSearchCV(_regressor_pipe(), {"mlpregressor__alpha": [1e-3, 1e4]},
                              scoring=scorer, cv=3).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    # a prior this strong pins the weights near 0: the constant model, clearly worse
    assert search.best_params_ == {"mlpregressor__alpha": 1e-3}


def test_cross_val_score_with_the_crps_scorer():
    X, y = _table(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(_regressor_pipe(), X, y, cv=3, scoring=probnn.crps_scorer)
    # the CRPS of the best constant Normal is about 0.56 sd(y) (sd(y) near 2): the model
    # beats it on every fold
    assert np.all(np.isfinite(scores)) and np.all(-scores < 0.56 * np.std(y))


def _rows_of_one(proba):
    proba = proba.astype(np.float64)
    return proba / proba.sum(axis=1, keepdims=True)  # float32 rows sum to 1 only to ~1e-7


def _classes(seed=3, n=240):
    X, y = _table(n, seed)
    return X, y


def _classifier_pipe(**params):
    return make_pipeline(_columns(), MLPClassifier(hidden_layer_sizes=(), solver="lbfgs",
                                                   max_iter=300, random_state=0, **params))


def test_binary_classifier_pipeline_nll_is_log_loss_and_crps_is_brier():
    X, y = _classes()
    labels = np.where(y > np.median(y), "high", "low")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = _classifier_pipe().fit(X[:180], labels[:180])
    proba = _rows_of_one(pipe.predict_proba(X[180:]))
    assert -probnn.nll_scorer(pipe, X[180:], labels[180:]) == pytest.approx(
        log_loss(labels[180:], proba, labels=pipe.classes_), rel=1e-5)
    # the Bernoulli is of classes_[1] ("low")
    assert -probnn.crps_scorer(pipe, X[180:], labels[180:]) == pytest.approx(
        brier_score_loss(labels[180:] == "low", proba[:, 1]), rel=1e-5)


def test_ordinal_classifier_pipeline_crps_is_the_ranked_probability_score():
    X, y = _classes(seed=4)
    grade = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75]))  # 4 ordered classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe = _classifier_pipe(family="ordinal").fit(X[:180], grade[:180])
    proba = pipe.predict_proba(X[180:]).astype(np.float64)
    cdf = np.cumsum(proba, axis=1)[:, :-1]
    steps = grade[180:, None] <= np.arange(3)
    rps = np.mean(np.sum((cdf - steps) ** 2, axis=1))
    assert -probnn.crps_scorer(pipe, X[180:], grade[180:]) == pytest.approx(rps, rel=1e-5)


def test_categorical_pipeline_nll_works_and_crps_is_refused():
    X, _ = _classes(seed=5)
    labels = X["city"].to_numpy()
    X = X.assign(city="same")  # the label must not be a feature
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(_classifier_pipe(), {"mlpclassifier__alpha": [1e-2, 1e4]},
                              scoring=probnn.nll_scorer, cv=3).fit(X, labels)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    pipe = search.best_estimator_
    proba = _rows_of_one(pipe.predict_proba(X))
    assert -probnn.nll_scorer(pipe, X, labels) == pytest.approx(
        log_loss(labels, proba, labels=pipe.classes_), rel=1e-5)
    with pytest.raises(ValueError, match="no order"):
        probnn.crps_scorer(pipe, X, labels)


def test_a_pipeline_without_a_distribution_is_named():
    X, y = _table(60)
    pipe = make_pipeline(_columns(), Ridge()).fit(X, y)
    with pytest.raises(TypeError, match="predict_dist.*Ridge"):
        probnn.predict_dist(pipe, X)
    with pytest.raises(TypeError, match="Ridge"):
        probnn.nll_scorer(pipe, X, y)


def test_crps_scorer_refuses_a_y_of_the_wrong_length(fitted):
    pipe, X, y = fitted
    with pytest.raises(ValueError, match="one value per row"):
        probnn.crps_scorer(pipe, X[180:], y[:10])
