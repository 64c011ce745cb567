"""Scores from the Python API with a column-vector ``y`` or all-zero weights.

A distribution's methods broadcast, so ``y`` of shape (n, 1) against predictions of batch
(n,) scores every row against every observation: an n x n table whose mean is a wrong
number returned without an error. The scores that reduce to one number (``mean_nll``,
``mean_crps``, ``pit_values``, ``crps_scorer``, ``parameter_importance``) take a column
vector as scikit-learn does (flattened) and refuse any other shape. A weighted mean over
weights that are all zero is undefined: it raises instead of returning ``nan`` (which
``GridSearchCV`` would rank last without a word). Oracles: scipy.stats and the
closed-form CRPS of a normal law (Gneiting & Raftery, 2007).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import probnn
from probnn import metrics
from probnn.distributions import Normal
from _crps_oracles import student_t_crps

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _normal_crps(y, loc, scale):
    """CRPS of N(loc, scale^2) at y: scale * (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))."""
    z = (y - loc) / scale
    return scale * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def _law(dist):
    """scipy's law of a Normal or Student-t predictive."""
    loc, scale = np.asarray(dist.loc, np.float64), np.asarray(dist.scale, np.float64)
    if hasattr(dist, "df"):
        return stats.t(np.asarray(dist.df, np.float64), loc, scale)
    return stats.norm(loc, scale)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_metrics_score_a_column_vector_row_by_row(n, seed):
    rng = np.random.default_rng(seed)
    loc, scale = rng.normal(size=n), rng.uniform(0.5, 2.0, size=n)
    y = rng.normal(size=n)
    dist = Normal(loc, scale)
    column = y[:, None]
    assert metrics.mean_nll(dist, column) == pytest.approx(
        -np.mean(stats.norm.logpdf(y, loc, scale)), rel=1e-10)
    assert metrics.mean_crps(dist, column) == pytest.approx(
        np.mean(_normal_crps(y, loc, scale)), rel=1e-8)
    np.testing.assert_allclose(metrics.pit_values(dist, column), stats.norm.cdf(y, loc, scale),
                               rtol=1e-10)


@pytest.mark.parametrize("shape", [(5, 2), (1, 5), (4,), (6,), (5, 1, 1)])
def test_metrics_refuse_observations_of_another_shape(shape):
    dist = Normal(np.zeros(5), np.ones(5))
    y = np.zeros(shape)
    for score in (metrics.mean_nll, metrics.mean_crps, metrics.pit_values):
        with pytest.raises(ValueError, match=r"one value per row .*\(5,\).*found shape"):
            score(dist, y)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = X[:, 0] + 0.5 * rng.normal(size=80)
    reg = probnn.MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    return reg, X, y


def test_crps_scorer_scores_a_column_vector_like_its_rows(regression):
    reg, X, y = regression
    dist = reg.predict_dist(X)
    oracle = -np.mean(student_t_crps(y, np.asarray(dist.df), np.asarray(dist.loc),
                                      np.asarray(dist.scale)))
    assert probnn.crps_scorer(reg, X, y[:, None]) == pytest.approx(oracle, rel=1e-6)
    laplace = probnn.LaplaceApproximation(reg, prefit=True).fit(X, y)
    assert probnn.crps_scorer(laplace, X, y[:, None]) == pytest.approx(
        probnn.crps_scorer(laplace, X, y), rel=1e-12)


def test_parameter_importance_baseline_of_a_column_vector(regression):
    reg, X, y = regression
    dist = reg.predict_dist(X)
    oracle = -np.mean(_law(dist).logpdf(y))
    importance = probnn.parameter_importance(reg, X, y[:, None], n_repeats=1)
    assert importance.baseline["nll"] == pytest.approx(oracle, rel=1e-6)


def test_weighted_scores_refuse_weights_that_are_all_zero(regression):
    reg, X, y = regression
    zeros = np.zeros(len(y))
    labels = (X[:, 0] > 0).astype(int)
    generative = probnn.GaussianGenerativeClassifier().fit(X, labels)
    laplace = probnn.LaplaceApproximation(reg, prefit=True).fit(X, y)
    recalibrated = probnn.recalibrate(reg, X[:40], y[:40])
    scores = [lambda: reg.score_nll(X, y, sample_weight=zeros),
              lambda: probnn.nll_scorer(reg, X, y, sample_weight=zeros),
              lambda: probnn.crps_scorer(reg, X, y, sample_weight=zeros),
              lambda: laplace.score_nll(X, y, sample_weight=zeros),
              lambda: recalibrated.score_nll(X, y, sample_weight=zeros),
              lambda: generative.score_nll(X, labels, sample_weight=zeros)]
    for score in scores:
        with pytest.raises(ValueError, match="positive sum"):
            score()


def test_generative_score_nll_takes_a_column_vector():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    labels = (X[:, 0] > 0).astype(int)
    model = probnn.GaussianGenerativeClassifier().fit(X, labels)
    oracle = -np.mean(model.predict_log_proba(X)[np.arange(40), labels])
    assert model.score_nll(X, labels[:, None]) == pytest.approx(oracle, rel=1e-12)


def test_nll_scorer_scores_an_auto_regressor_with_weights():
    """nll_scorer passes sample_weight: AutoRegressor.score_nll refused the keyword, so the
    scorer (and cross_val_score with it) failed on every selection."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = X[:, 0] + 0.5 * rng.normal(size=60)
    auto = probnn.AutoRegressor(families=["normal"], epochs=3).fit(X, y)
    dist = auto.predict_dist(X)
    rows = -stats.norm.logpdf(y, np.asarray(dist.loc), np.asarray(dist.scale))
    weights = np.r_[np.full(30, 2.0), np.zeros(30)]
    assert probnn.nll_scorer(auto, X, y) == pytest.approx(-rows.mean(), rel=1e-6)
    assert probnn.nll_scorer(auto, X, y, sample_weight=weights) == pytest.approx(
        -rows[:30].mean(), rel=1e-6)
    assert auto.score(X, y[:, None]) == pytest.approx(-rows.mean(), rel=1e-6)


def test_ensemble_takes_a_numpy_generator_as_its_random_state():
    """MLPRegressor and LaplaceApproximation take a Generator; the ensemble raised numpy's
    'cannot be used to seed a numpy.random.RandomState instance'."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] + rng.normal(size=40)

    def fitted(random_state):
        member = probnn.MLPRegressor(hidden_layer_sizes=(2,), max_iter=2)
        return probnn.EnsembleRegressor(member, n_members=2, random_state=random_state).fit(X, y)

    first = fitted(np.random.default_rng(7))
    again = fitted(np.random.default_rng(7))
    seeds = np.random.default_rng(7).integers(0, 2**31 - 1, size=2)
    assert [est.random_state for est in first.estimators_] == [int(s) for s in seeds]
    np.testing.assert_array_equal(first.predict(X), again.predict(X))


def test_a_loaded_selection_names_the_frame_it_needs(tmp_path):
    """An AutoRegressor fitted on an array saves a tabular model with columns x0, x1; given
    the array again it failed with AttributeError ('ndarray' has no attribute 'columns')."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(50, 2))
    y = X[:, 0] + 0.5 * rng.normal(size=50)
    auto = probnn.AutoRegressor(families=["normal"], epochs=2).fit(X, y)
    loaded = probnn.load_model(probnn.save_model(auto, tmp_path / "auto.probnn"))
    with pytest.raises(TypeError, match=r"DataFrame .*'x0', 'x1'.*found ndarray"):
        loaded.predict(X)
    frame = pd.DataFrame(X, columns=["x0", "x1"])
    np.testing.assert_array_equal(loaded.predict(frame), auto.predict(X))


def test_an_unfitted_laplace_approximation_raises_not_fitted_on_predict():
    """scikit-learn's own check: predict raised AttributeError (no estimator_) instead."""
    from sklearn.utils.estimator_checks import check_estimators_unfitted

    model = probnn.LaplaceApproximation(probnn.MLPRegressor(hidden_layer_sizes=(2,)))
    check_estimators_unfitted("LaplaceApproximation", model)
