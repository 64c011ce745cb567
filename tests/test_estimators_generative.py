"""GaussianGenerativeClassifier against independent oracles (scikit-learn LDA, scipy.stats)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.datasets import load_iris
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import log_loss

from probnn.estimators import GaussianGenerativeClassifier, estimator_from_state, nll_scorer


def _blobs(seed=0, n=120):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0, 0.0], [1.5, -1.0, 0.5], [-1.0, 2.0, 1.0]])
    y = rng.integers(0, 3, size=n)
    A = np.array([[1.0, 0.3, 0.0], [0.0, 0.8, -0.4], [0.2, 0.0, 1.2]])
    X = means[y] + rng.standard_normal((n, 3)) @ A
    return X, np.array(["a", "b", "c"])[y]


def test_shared_covariance_matches_lda_probabilities():
    X, y = load_iris(return_X_y=True)
    ours = GaussianGenerativeClassifier().fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), lda.predict_proba(X), rtol=1e-7, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), lda.predict(X))


def test_binary_shared_covariance_matches_lda_on_string_labels():
    X, y = _blobs(1)
    keep = y != "c"
    ours = GaussianGenerativeClassifier().fit(X[keep], y[keep])
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X[keep], y[keep])
    np.testing.assert_allclose(ours.predict_proba(X), lda.predict_proba(X), rtol=1e-7, atol=1e-12)


def test_log_joint_is_log_density_plus_log_prior_from_scipy():
    X, y = _blobs(2)
    model = GaussianGenerativeClassifier(shared_covariance=False).fit(X, y)
    expected = np.column_stack(
        [
            multivariate_normal(X[y == c].mean(axis=0), np.cov(X[y == c].T, bias=True)).logpdf(X)
            + np.log(np.mean(y == c))
            for c in ["a", "b", "c"]
        ]
    )
    np.testing.assert_allclose(model.log_joint(X), expected, rtol=1e-10)
    posterior = np.exp(expected - expected.max(axis=1, keepdims=True))
    posterior /= posterior.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X), posterior, rtol=1e-9, atol=1e-14)


def test_shared_covariance_posterior_is_logistic_in_x():
    # Hand-worked: with shared Sigma, g_1 - g_0 = w.x + b with w = Sigma^-1 (mu_1 - mu_0),
    # b = -(mu_1 + mu_0) . w / 2 + log(pi_1 / pi_0).
    X, y = _blobs(3)
    keep = y != "c"
    X, y = X[keep], (y[keep] == "b").astype(int)
    model = GaussianGenerativeClassifier().fit(X, y)
    mu0, mu1 = X[y == 0].mean(axis=0), X[y == 1].mean(axis=0)
    centred = np.where(y[:, None] == 1, X - mu1, X - mu0)
    sigma = centred.T @ centred / len(y)
    w = np.linalg.solve(sigma, mu1 - mu0)
    b = -0.5 * (mu1 + mu0) @ w + np.log(y.mean() / (1 - y.mean()))
    p1 = 1 / (1 + np.exp(-(X @ w + b)))
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], p1, rtol=1e-9)


def test_weight_two_equals_duplicated_row():
    X, y = _blobs(4, n=60)
    w = np.ones(len(y))
    w[:7] = 2.0
    weighted = GaussianGenerativeClassifier(shared_covariance=False).fit(X, y, sample_weight=w)
    dup = GaussianGenerativeClassifier(shared_covariance=False).fit(
        np.vstack([X, X[:7]]), np.concatenate([y, y[:7]])
    )
    np.testing.assert_allclose(weighted.log_joint(X), dup.log_joint(X), rtol=1e-10)


def test_given_priors_shift_the_log_odds_by_their_log_ratio():
    X, y = _blobs(5)
    keep = y != "c"
    X, y = X[keep], y[keep]
    base = GaussianGenerativeClassifier().fit(X, y)
    tilted = GaussianGenerativeClassifier(priors=[0.2, 0.8]).fit(X, y)
    freq = np.array([np.mean(y == "a"), np.mean(y == "b")])
    shift = np.log(0.8 / 0.2) - np.log(freq[1] / freq[0])
    odds = lambda m: np.diff(m.log_joint(X), axis=1)[:, 0]  # noqa: E731
    np.testing.assert_allclose(odds(tilted) - odds(base), shift, rtol=1e-10)


def test_singular_covariance_is_refused_with_the_remedy():
    X, y = _blobs(6)
    X = np.column_stack([X, np.ones(len(y))])  # a constant feature
    with pytest.raises(ValueError, match="reg_covar"):
        GaussianGenerativeClassifier().fit(X, y)
    fitted = GaussianGenerativeClassifier(reg_covar=1e-6).fit(X, y)
    assert np.isfinite(fitted.predict_proba(X)).all()


def test_nll_scorer_equals_sklearn_log_loss():
    X, y = _blobs(7)
    model = GaussianGenerativeClassifier().fit(X[:80], y[:80])
    expected = log_loss(y[80:], model.predict_proba(X[80:]), labels=model.classes_)
    assert nll_scorer(model, X[80:], y[80:]) == pytest.approx(-expected, rel=1e-10)


def test_state_round_trip_predicts_identically():
    X, y = _blobs(8)
    model = GaussianGenerativeClassifier(shared_covariance=False).fit(X, y)
    arrays, meta = model._export_state()
    import json

    rebuilt = estimator_from_state(arrays, json.loads(json.dumps(meta)))
    np.testing.assert_array_equal(rebuilt.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(rebuilt.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "weights, message",
    [
        (np.r_[-1.0, np.ones(119)], "finite and non-negative; found -1 at row \\[0\\]"),
        (np.r_[np.nan, np.ones(119)], "finite and non-negative; found nan at row \\[0\\]"),
        (np.ones(119), "shape \\(120,\\); found shape \\(119,\\)"),
        (np.zeros(120), "every class needs positive sample_weight"),
    ],
)
def test_bad_sample_weights_are_refused_by_name(weights, message):
    X, y = _blobs()
    with pytest.raises(ValueError, match=message):
        GaussianGenerativeClassifier().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("scale", [1e308, 1e-320])
def test_the_fit_and_its_nll_do_not_depend_on_the_weights_scale(scale):
    """The estimates are ratios of weights: weights of 1e308 (whose sums overflowed: nan means,
    scipy's "array must not contain infs or NaNs") or subnormal ones give the unweighted fit;
    score_nll's weighted mean the unweighted one (it was nan after numpy's warnings)."""
    import warnings

    X, y = _blobs()
    plain = GaussianGenerativeClassifier().fit(X, y)
    weights = np.full(len(y), scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = GaussianGenerativeClassifier().fit(X, y, sample_weight=weights)
        nll = scaled.score_nll(X, y, sample_weight=weights)
    np.testing.assert_allclose(scaled.means_, plain.means_, rtol=1e-13)
    np.testing.assert_allclose(scaled.covariances_, plain.covariances_, rtol=1e-13)
    np.testing.assert_allclose(scaled.priors_, plain.priors_, rtol=1e-13)
    assert nll == pytest.approx(plain.score_nll(X, y), rel=1e-13)


def test_labels_that_do_not_sort_are_refused_by_name():
    """None among text labels: scikit-learn's classifiers raise numpy's TypeError
    ("'<' not supported between instances of 'NoneType' and 'str'"); here a ValueError
    naming the rows."""
    X, y = _blobs(n=20)
    y = y.astype(object)
    y[[3, 7]] = None
    with pytest.raises(ValueError, match="none missing; found None or NaN at rows \\[3, 7\\]"):
        GaussianGenerativeClassifier().fit(X, y)
