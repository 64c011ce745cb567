"""Issue 9 part 5: "normal-fixed" estimates sigma by maximum likelihood unless given.

The fixed-variance Normal of the texts has sigma = the MLE given the fitted mean,
the (weighted) residual RMS ``sqrt(sum w r^2 / sum w)``. The oracles are numpy's
RMS of the model's own predictions and ``scipy.stats.norm``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from probnn.estimators import MLPRegressor
from probnn.model_file import load_model, save_model


def _data(n, seed, offset=0.0, unit=1.0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 2))
    f = 5.0 * np.sin(1.5 * X[:, 0]) + 3.0 * X[:, 1]
    y = f + rng.normal(0.0, 3.0, size=n)
    return X, offset + unit * y


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


MODEL = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60, random_state=0)


@pytest.mark.parametrize("unit, offset", [(1.0, 0.0), (1e5, 2e5)])
def test_sigma_is_the_residual_rms_and_intervals_cover(unit, offset):
    X, y = _data(2000, 0, offset, unit)
    Xt, yt = _data(4000, 1, offset, unit)
    est = _fit(MLPRegressor(family="normal-fixed", **MODEL), X, y)
    rms = np.sqrt(np.mean((y - est.predict(X)) ** 2))
    # sigma comes from the network's float64-cast outputs; predict() rounds them to float32
    np.testing.assert_allclose(est.scale_, rms, rtol=1e-7)
    assert est.family_.scale == est.scale_
    assert 2.7 * unit < est.scale_ < 3.6 * unit  # the noise's 3, plus some misfit
    np.testing.assert_allclose(est.predict_dist(Xt).scale, est.scale_, rtol=1e-6)
    oracle = -np.mean(stats.norm.logpdf(yt, loc=est.predict(Xt), scale=est.scale_))
    np.testing.assert_allclose(est.score_nll(Xt, yt), oracle, rtol=1e-6)
    lo, hi = est.predict_interval(Xt, coverage=0.9)
    np.testing.assert_allclose(
        hi - lo, 2 * stats.norm.ppf(0.95) * est.scale_, rtol=1e-5
    )
    covered = np.mean((lo <= yt) & (yt <= hi))
    assert 0.87 < covered < 0.93


def test_sigma_with_sample_weights_is_the_weighted_rms():
    X, y = _data(600, 2)
    w = np.random.default_rng(3).uniform(0.2, 3.0, size=600)
    est = _fit(MLPRegressor(family="normal-fixed", **MODEL), X, y, sample_weight=w)
    r = y - est.predict(X)
    np.testing.assert_allclose(est.scale_, np.sqrt(np.sum(w * r**2) / np.sum(w)), rtol=1e-7)  # predict() rounds to float32


def test_squared_error_loss_estimates_sigma_too():
    X, y = _data(600, 4)
    est = _fit(MLPRegressor(loss="squared_error", **MODEL), X, y)
    np.testing.assert_allclose(est.scale_, np.sqrt(np.mean((y - est.predict(X)) ** 2)), rtol=1e-7)  # predict() rounds to float32


@pytest.mark.parametrize("standardize_target", ["auto", False])
def test_a_given_scale_is_used_unchanged(standardize_target):
    X, y = _data(600, 5)
    est = _fit(MLPRegressor(family="normal-fixed", family_params={"scale": 2.5},
                            standardize_target=standardize_target, **MODEL), X, y)  # fmt: skip
    assert est.scale_ == 2.5 and est.family_.scale == 2.5
    np.testing.assert_allclose(est.predict_dist(X).scale, 2.5, rtol=1e-6)
    oracle = -np.mean(stats.norm.logpdf(y, loc=est.predict(X), scale=2.5))
    np.testing.assert_allclose(est.score_nll(X, y), oracle, rtol=1e-6)


def test_the_mean_does_not_depend_on_how_sigma_is_chosen():
    # sigma only scales the squared error: a given scale equal to the target's
    # standard deviation trains exactly the network the estimated-sigma fit trains
    X, y = _data(600, 6)
    est = _fit(MLPRegressor(family="normal-fixed", **MODEL), X, y)
    given = _fit(MLPRegressor(family="normal-fixed", family_params={"scale": float(np.std(y))},
                              **MODEL), X, y)  # fmt: skip
    np.testing.assert_allclose(est.predict(X), given.predict(X), rtol=1e-4, atol=1e-4)


def test_a_model_file_keeps_the_estimated_sigma(tmp_path):
    X, y = _data(600, 7, 1e3, 10.0)
    est = _fit(MLPRegressor(family="normal-fixed", **MODEL), X, y)
    loaded = load_model(save_model(est, tmp_path / "m.probnn"))
    assert loaded.scale_ == est.scale_
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    np.testing.assert_array_equal(loaded.predict_dist(X).scale, est.predict_dist(X).scale)
    assert loaded.score_nll(X, y) == est.score_nll(X, y)


def test_warm_start_and_partial_fit_keep_training_the_same_network():
    X, y = _data(600, 8)
    est = _fit(MLPRegressor(family="normal-fixed", warm_start=True, **MODEL), X, y)
    first = est.n_iter_
    _fit(est, X, y)
    assert est.n_iter_ > first  # the network went on, not rebuilt
    np.testing.assert_allclose(est.scale_, np.sqrt(np.mean((y - est.predict(X)) ** 2)), rtol=1e-7)  # predict() rounds to float32
    est2 = MLPRegressor(family="normal-fixed", **MODEL)
    est2.partial_fit(X, y)
    est2.partial_fit(X, y)
    assert est2.n_iter_ == 2
    np.testing.assert_allclose(est2.scale_, np.sqrt(np.mean((y - est2.predict(X)) ** 2)), rtol=1e-7)  # predict() rounds to float32


@pytest.mark.parametrize("family_params", [None, {"scale": 4.0}])
def test_early_stopping_as_the_command_line_fits(family_params):
    # `probnn fit` trains with early stopping on a validation tenth of the rows, and
    # `--family-param scale=VALUE` passes family_params={"scale": VALUE}
    X, y = _data(600, 9)
    est = _fit(MLPRegressor(family="normal-fixed", family_params=family_params,
                            early_stopping=True, **MODEL), X, y)  # fmt: skip
    expected = 4.0 if family_params else np.sqrt(np.mean((y - est.predict(X)) ** 2))
    np.testing.assert_allclose(est.scale_, expected, rtol=1e-7)  # predict() rounds to float32
    np.testing.assert_allclose(est.predict_dist(X).scale, expected, rtol=1e-6)
