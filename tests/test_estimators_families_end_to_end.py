"""The new families through the estimators and the command line (issue 10 part 2).

Oracles: the generating distributions (scipy.stats), scikit-learn's LogisticRegression for a
linear model's class probabilities, and per-row log-probabilities computed with scipy.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from probnn.cli import main
from probnn.estimators import MLPClassifier, MLPRegressor
from probnn.families import FAMILIES


def _quiet_fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def test_mixture_normal_regressor_learns_two_modes_in_y_units():
    rng = np.random.default_rng(0)
    n = 1500
    x = rng.uniform(-2, 2, n)
    upper = rng.random(n) < 0.5
    y = 1000.0 + 100.0 * np.where(upper, 2.5 + np.sin(1.5 * x), -2.5 + 0.5 * x) \
        + 50.0 * rng.normal(size=n)
    X = x[:, None]
    est = _quiet_fit(MLPRegressor(family="mixture-normal", family_params={"n_components": 2},
                                  hidden_layer_sizes=(16, 16), activation="tanh", solver="lbfgs",
                                  max_iter=150, random_state=0), X, y)  # fmt: skip
    assert est.target_scale_ > 1  # the target was standardised around the mixture
    xt = rng.uniform(-2, 2, 3000)
    up = rng.random(3000) < 0.5
    yt = 1000.0 + 100.0 * np.where(up, 2.5 + np.sin(1.5 * xt), -2.5 + 0.5 * xt) \
        + 50.0 * rng.normal(size=3000)
    truth = -np.mean(np.logaddexp(
        stats.norm.logpdf(yt, 1000 + 100 * (2.5 + np.sin(1.5 * xt)), 50),
        stats.norm.logpdf(yt, 1000 + 100 * (-2.5 + 0.5 * xt), 50)) - np.log(2))
    nll = est.score_nll(xt[:, None], yt)
    normal = _quiet_fit(MLPRegressor(hidden_layer_sizes=(16, 16), activation="tanh",
                                     solver="lbfgs", max_iter=150, random_state=0), X, y)
    # excess over the truth: the mixture's is a small fraction of the single normal's
    assert nll - truth < 0.1 * (normal.score_nll(xt[:, None], yt) - truth)
    dist = est.predict_dist(xt[:, None])
    # the predictive distribution is in y's units: its log-density is the scored one
    np.testing.assert_allclose(-np.mean(dist.log_prob(yt)), nll, rtol=1e-5)
    lo, hi = est.predict_interval(xt[:, None], coverage=0.9)
    assert 0.86 < np.mean((lo <= yt) & (yt <= hi)) < 0.94


def test_ordinal_classifier_predicts_ordered_labels():
    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=(n, 2))
    latent = 1.5 * x[:, 0] - x[:, 1] + rng.logistic(size=n)
    labels = np.digitize(latent, [-1.0, 0.5, 2.0]) + 3  # ratings 3..6
    clf = _quiet_fit(MLPClassifier(family="ordinal", hidden_layer_sizes=(), solver="lbfgs",
                                   max_iter=300, alpha=0.0, random_state=0), x, labels)  # fmt: skip
    np.testing.assert_array_equal(clf.classes_, [3, 4, 5, 6])
    assert clf.family_.name == "ordinal" and clf.family_.n_classes == 4
    xt = rng.normal(size=(500, 2))
    proba = clf.predict_proba(xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # the truth: P(y <= k) = sigmoid(c_k - eta) with eta = 1.5 x0 - x1
    eta = 1.5 * xt[:, 0] - xt[:, 1]
    cdf = special.expit(np.array([-1.0, 0.5, 2.0])[None, :] - eta[:, None])
    truth = np.diff(np.c_[np.zeros(500), cdf, np.ones(500)], axis=1)
    assert np.mean(np.abs(proba - truth)) < 0.03
    yt = np.digitize(eta + rng.logistic(size=500), [-1.0, 0.5, 2.0]) + 3
    truth_nll = -np.mean(np.log(truth[np.arange(500), yt - 3]))
    assert clf.score_nll(xt, yt) - truth_nll < 0.03  # nats per example over the truth
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(xt)), proba, rtol=1e-5)
    assert set(clf.predict(xt)) <= {3, 4, 5, 6}


def test_ordinal_model_file_round_trip(tmp_path):
    from probnn.model_file import load_model, save_model

    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 1))
    labels = np.digitize(x[:, 0] + rng.logistic(size=300), [-1, 1])
    clf = _quiet_fit(MLPClassifier(family="ordinal", hidden_layer_sizes=(4,), max_iter=30,
                                   random_state=0), x, labels)  # fmt: skip
    loaded = load_model(save_model(clf, tmp_path / "o.safetensors"))
    np.testing.assert_array_equal(loaded.predict_proba(x), clf.predict_proba(x))


def test_compare_offers_ordinal_on_ratings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # compare's report folder goes beside the working directory
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = np.digitize(2 * x + rng.logistic(size=400), [-2, -0.5, 0.5, 2]) + 1  # ratings 1..5
    path = tmp_path / "r.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    assert main(["compare", str(path), "--target", "y", "--epochs", "30", "--hidden", "8",
                 "--quiet"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    ranked = [line.split()[1] for line in out.splitlines() if line.strip()[:1].isdigit()]
    # issue 20: a few integers are class labels and counts: both kinds of family are ranked
    assert {"categorical", "ordinal", "poisson"} <= set(ranked), out


@pytest.mark.parametrize("family", ["negative-binomial", "gamma", "log-normal", "beta"])
def test_positive_count_and_unit_families_fit_through_the_regressor(family):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (800, 1))
    mean = np.exp(1.0 + 0.7 * x[:, 0])
    y = {
        "negative-binomial": lambda: rng.negative_binomial(2.0, 2.0 / (2.0 + mean)),
        "gamma": lambda: rng.gamma(3.0, mean / 3.0),
        "log-normal": lambda: np.exp(rng.normal(np.log(mean), 0.4)),
        "beta": lambda: rng.beta(3 * special.expit(x[:, 0]) * 4, 3 * (1 - special.expit(x[:, 0])) * 4),
    }[family]()
    est = _quiet_fit(MLPRegressor(family=family, hidden_layer_sizes=(8,), max_iter=100,
                                  learning_rate_init=0.01, random_state=0), x, y)  # fmt: skip
    assert (est.target_shift_, est.target_scale_) == (0.0, 1.0)  # not location-scale
    dist = est.predict_dist(x)
    np.testing.assert_allclose(est.predict(x), dist.mean, rtol=1e-4)
    np.testing.assert_allclose(est.score_nll(x, y), -np.mean(dist.log_prob(y)), rtol=1e-5)
    lo, hi = est.predict_interval(x, coverage=0.8)
    assert 0.7 < np.mean((lo <= y) & (y <= hi)) < 0.95  # a discrete interval holds >= its level


@pytest.mark.parametrize(
    "family", sorted(name for name, cls in FAMILIES.items() if not cls.is_classifier))
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_every_regression_family_reads_back_from_a_model_file_bit_for_bit(tmp_path_factory, family,
                                                                         seed):
    # a file read back differently would predict other numbers with exit code 0
    from test_network import targets

    from probnn.model_file import load_model, save_model

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 2))
    y = targets(family, 60, rng)
    est = _quiet_fit(MLPRegressor(family=family, hidden_layer_sizes=(3,), max_iter=3,
                                  random_state=seed), x, y)  # fmt: skip
    path = save_model(est, tmp_path_factory.mktemp("m") / "m.safetensors")
    loaded = load_model(path)
    assert loaded.family_ == est.family_
    np.testing.assert_array_equal(loaded.predict(x), est.predict(x))
    mine, theirs = est.predict_dist(x), loaded.predict_dist(x)
    for name, values in est.family_.parameter_columns(mine).items():
        np.testing.assert_array_equal(loaded.family_.parameter_columns(theirs)[name], values)
    np.testing.assert_array_equal(loaded.predict_interval(x, 0.8), est.predict_interval(x, 0.8))
