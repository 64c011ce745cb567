"""MLPClassifier / MLPRegressor against independent oracles.

Oracles: scikit-learn's LogisticRegression and PoissonRegressor (the GLMs our
networks reduce to without hidden layers), scipy.stats (densities, quantiles),
scipy.optimize.linprog-free hand-made separable / non-separable cases, and
duplicated rows for sample weights.
"""

from __future__ import annotations

import importlib.util

import json
import pickle
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, PoissonRegressor
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from probnn.estimators import MLPClassifier, MLPRegressor, estimator_from_state
from probnn.estimators.classifier import linearly_separable
from probnn.exceptions import SeparationWarning

# The estimators train through the engine (probnn.network), written in parallel;
# until it is importable these tests are skipped, not silently passed.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("probnn.network") is None,
    reason="the training engine probnn.network is not available yet",
)


# A GLM fit to (near) machine precision: the references below are optima, not runs.
GLM = dict(hidden_layer_sizes=(), solver="lbfgs", dtype="float64", tol=1e-12, max_iter=5000)


def _needs_distributions():
    pytest.importorskip("probnn.distributions", reason="predict_dist needs probnn.distributions")


def _logistic_data(seed=0, n=400, d=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w, b = np.linspace(-1.0, 1.0, d), 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ w + b)))).astype(int)
    return X, y


def _sklearn_unpenalised_lr(**kw):
    # C=inf is scikit-learn's way of asking for no penalty; its deprecation notes
    # about `penalty` are not what is tested here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000, **kw)


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


@pytest.fixture(scope="module")
def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ------------------------------------------------------------ GLMs vs sklearn
def test_logistic_glm_without_prior_matches_unpenalised_sklearn():
    X, y = _logistic_data()
    assert not linearly_separable(X, y)
    ours = _fit(MLPClassifier(prior=None, **GLM), X, y)
    ref = _sklearn_unpenalised_lr().fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], ref.coef_[0], atol=1e-4)
    np.testing.assert_allclose(ours.intercepts_[0], ref.intercept_, atol=1e-4)
    assert ours.converged_


def test_softmax_glm_without_prior_matches_multinomial_sklearn():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((450, 2))
    logits = X @ np.array([[1.0, -0.5, 0.0], [0.0, 0.8, -1.0]])
    y = (rng.random((450, 1)) > np.cumsum(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1)).sum(1)
    ours = _fit(MLPClassifier(prior=None, **GLM), X, y)
    ref = _sklearn_unpenalised_lr().fit(X, y)
    assert ours.family_.name == "categorical"
    # softmax weights are defined only up to a shared shift (a flat direction where
    # L-BFGS stops on its relative-decrease rule): compare probabilities and likelihoods
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)
    assert ours.score_nll(X, y) == pytest.approx(log_loss(y, ref.predict_proba(X)), rel=1e-8)


def test_separable_breast_cancer_warns_instead_of_converging(breast_cancer):
    X, y = breast_cancer
    assert linearly_separable(X, y)  # the LP agrees with the known fact
    est = MLPClassifier(prior=None, hidden_layer_sizes=(), solver="lbfgs", max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(SeparationWarning, match="prior"):
            est.fit(X, y)
    assert est.converged_ is False
    # with a prior the MAP estimate exists: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        _fit(MLPClassifier(alpha=1.0, hidden_layer_sizes=(), solver="lbfgs", max_iter=30), X, y)


def test_warm_start_continues_from_the_fitted_weights():
    X, y = _logistic_data(14)
    est = _fit(MLPClassifier(prior=None, warm_start=True, **GLM), X, y)
    ref = _sklearn_unpenalised_lr().fit(X, y)
    est.set_params(max_iter=3)  # a fresh optimiser, started at the optimum, stays there
    _fit(est, X, y)
    np.testing.assert_allclose(est.coefs_[0][:, 0], ref.coef_[0], atol=1e-4)
    cold = _fit(MLPClassifier(prior=None, **{**GLM, "max_iter": 1}), X, y)
    assert np.abs(cold.coefs_[0][:, 0] - ref.coef_[0]).max() > 1e-2


def test_linear_separability_hand_cases():
    square = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert not linearly_separable(square, np.array([0, 0, 1, 1]))  # XOR
    assert linearly_separable(square, np.array([0, 1, 1, 1]))  # OR
    line = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    assert linearly_separable(line, np.array([0, 0, 1, 1, 2, 2]))
    assert not linearly_separable(line, np.array([0, 1, 0, 1, 2, 2]))


def test_gaussian_prior_logistic_matches_l2_sklearn_at_equivalent_c(breast_cancer):
    # our objective times n: sum NLL + alpha/2 ||W||^2; sklearn's divided by C: the same at C = 1/alpha
    X, y = breast_cancer
    alpha = 2.0
    ours = _fit(MLPClassifier(alpha=alpha, **GLM), X, y)
    ref = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], ref.coef_[0], atol=1e-4)
    np.testing.assert_allclose(ours.intercepts_[0], ref.intercept_, atol=1e-4)
    # and the objective, computed here by hand, is at sklearn's optimum

    def objective(w, b):
        z = X @ w + b
        return np.mean(np.logaddexp(0, z) - y * z) + alpha / 2 * w @ w / len(y)

    reached = objective(ours.coefs_[0][:, 0], ours.intercepts_[0][0])
    assert reached == pytest.approx(objective(ref.coef_[0], ref.intercept_[0]), rel=1e-8)
    # the same prior given as its scale: alpha = 1 / prior_scale^2
    by_scale = _fit(MLPClassifier(prior_scale=alpha**-0.5, alpha=123.0, **GLM), X, y)
    np.testing.assert_allclose(by_scale.coefs_[0], ours.coefs_[0], atol=1e-5)


def test_poisson_glm_matches_unpenalised_poisson_regressor():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, 3))
    y = rng.poisson(np.exp(X @ np.array([0.3, -0.2, 0.5]) + 0.7))
    ours = _fit(MLPRegressor(family="poisson", prior=None, **GLM), X, y)
    ref = PoissonRegressor(alpha=0.0, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercepts_[0], ref.intercept_, atol=1e-4)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-4)


def test_multilabel_glm_is_independent_logistic_regressions():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 2))
    W = np.array([[1.0, -0.5, 0.2], [0.3, 0.9, -1.2]])
    Y = (rng.random((300, 3)) < 1 / (1 + np.exp(-(X @ W)))).astype(int)
    ours = _fit(MLPClassifier(prior=None, **GLM), X, Y)
    assert ours.family_.name == "bernoulli" and ours.predict_proba(X).shape == (300, 3)
    for j in range(3):
        ref = _sklearn_unpenalised_lr().fit(X, Y[:, j])
        np.testing.assert_allclose(ours.coefs_[0][:, j], ref.coef_[0], atol=1e-4)
        np.testing.assert_allclose(ours.predict_proba(X)[:, j], ref.predict_proba(X)[:, 1], atol=1e-5)
    assert ours.predict(X).shape == (300, 3)
    assert set(np.unique(ours.predict(X))) <= {0, 1}


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 3.0}, "balanced"])
def test_class_weight_matches_sklearn(class_weight):
    X, y = _logistic_data(4)
    ours = _fit(MLPClassifier(alpha=1.0, class_weight=class_weight, **GLM), X, y)
    # our J = (sum s_i nll_i + alpha/2 ||W||^2) / sum s_i (s_i: class weight times sample
    # weight); times sum s it is sklearn's objective sum s_i nll_i + ||W||^2 / (2C) at
    # C = 1 / alpha, whatever the class weights
    C = 1.0 / 1.0
    ref = LogisticRegression(C=C, class_weight=class_weight, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], ref.coef_[0], atol=1e-4)
    np.testing.assert_allclose(ours.intercepts_[0], ref.intercept_, atol=1e-4)


def test_weight_two_equals_a_duplicated_row():
    X, y = _logistic_data(5, n=200)
    w = np.ones(200)
    w[:30] = 2.0
    weighted = _fit(MLPClassifier(prior=None, **GLM), X, y, sample_weight=w)
    dup = _fit(MLPClassifier(prior=None, **GLM), np.vstack([X, X[:30]]), np.concatenate([y, y[:30]]))
    # (both stop by L-BFGS's relative-decrease rule, so agree to its precision)
    np.testing.assert_allclose(weighted.coefs_[0], dup.coefs_[0], atol=2e-5)
    np.testing.assert_allclose(weighted.intercepts_[0], dup.intercepts_[0], atol=2e-5)


def test_two_class_softmax_and_sigmoid_heads_give_the_same_model():
    X, y = _logistic_data(6)
    sig = _fit(MLPClassifier(prior=None, **GLM), X, y)
    soft = _fit(MLPClassifier(prior=None, family="categorical", **GLM), X, y)
    assert sig.n_outputs_ == 1 and soft.n_outputs_ == 2
    np.testing.assert_allclose(soft.predict_proba(X), sig.predict_proba(X), atol=2e-5)


# ------------------------------------------------------------- the texts' cases
def test_digits_zero_versus_one_held_out_accuracy():
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X / 16.0
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:250], order[250:]
    est = _fit(MLPClassifier((16,), learning_rate_init=0.01, max_iter=100, random_state=0), X[train], y[train])
    assert est.score(X[test], y[test]) >= 0.99


def _heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    sigma = 0.1 + 0.4 * (x[:, 0] + 1) ** 2 / 4  # from 0.1 at x=-1 to 0.5 at x=1
    y = np.sin(2 * x[:, 0]) + sigma * rng.standard_normal(n)
    return x, y


def _true_sigma(x):
    return 0.1 + 0.4 * (x + 1) ** 2 / 4


def test_learned_scale_recovers_heteroscedastic_noise():
    _needs_distributions()
    x, y = _heteroscedastic(3000, 7)
    grid = np.linspace(-0.9, 0.9, 19)[:, None]
    kw = dict(hidden_layer_sizes=(16,), activation="tanh", solver="lbfgs", max_iter=500,
              dtype="float64", random_state=0, alpha=1e-3)  # fmt: skip
    learned = _fit(MLPRegressor(family="normal", **kw), x, y)
    fixed = _fit(MLPRegressor(family="normal-fixed", **kw), x, y)
    truth = _true_sigma(grid[:, 0])
    learned_scale = learned.predict_dist(grid).scale
    fixed_scale = np.broadcast_to(fixed.predict_dist(grid).scale, truth.shape)
    np.testing.assert_allclose(learned_scale, truth, rtol=0.10)
    assert np.max(np.abs(fixed_scale / truth - 1)) > 0.5


# ------------------------------------------------------ predictions vs scipy
def test_predict_interval_is_the_normal_quantiles():
    _needs_distributions()
    x, y = _heteroscedastic(500, 8)
    est = _fit(MLPRegressor((8,), activation="tanh", solver="lbfgs", max_iter=200, random_state=0), x, y)
    dist = est.predict_dist(x[:20])
    lower, upper = est.predict_interval(x[:20], coverage=0.8)
    np.testing.assert_allclose(lower, stats.norm.ppf(0.1, dist.loc, dist.scale), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(upper, stats.norm.ppf(0.9, dist.loc, dist.scale), rtol=1e-5, atol=1e-6)
    nll = -stats.norm.logpdf(y[:20], dist.loc, dist.scale).mean()
    assert est.score_nll(x[:20], y[:20]) == pytest.approx(nll, rel=1e-5)
    with pytest.raises(ValueError, match="coverage"):
        est.predict_interval(x[:2], coverage=1.0)


def test_classifier_score_nll_equals_log_loss_and_log_proba_is_finite():
    _needs_distributions()
    X, y = _logistic_data(9)
    labels = np.array(["cat", "dog"])[y]
    est = _fit(MLPClassifier((4,), max_iter=50, random_state=0), X, labels)
    proba = est.predict_proba(X)
    assert est.score_nll(X, labels) == pytest.approx(log_loss(labels, proba), rel=1e-5)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), proba, rtol=1e-5)
    dist = est.predict_dist(X)
    np.testing.assert_allclose(dist.probs, proba[:, 1], rtol=1e-5)
    far = est.predict_log_proba(X * 1e4)
    assert np.isfinite(far).all()


def test_float32_in_float32_out():
    X, y = _logistic_data(10)
    est = _fit(MLPClassifier((4,), max_iter=5, random_state=0), X.astype(np.float32), y)
    assert est.coefs_[0].dtype == np.float32
    assert est.predict_proba(X).dtype == np.float32
    reg = _fit(MLPRegressor((4,), max_iter=5, random_state=0), X.astype(np.float32), y * 1.0)
    assert reg.coefs_[0].dtype == np.float32
    # predictions are in y's units, mapped back from the float32 network in float64 (issue 20:
    # a float32 prediction cannot tell 1e9 from 1e9 + 3)
    assert reg.predict(X).dtype == np.float64


# ------------------------------------------------------------------ errors
def test_targets_outside_the_family_support_are_named():
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match=r"-1.*2\.5|2\.5.*-1") as info:
        MLPRegressor(family="poisson").fit(X, [0, 1, -1, 3, 2.5, 0])
    assert "rows [2, 4]" in str(info.value)
    with pytest.raises(ValueError, match="family"):
        MLPRegressor(family="categorical").fit(X, np.arange(6.0))
    with pytest.raises(ValueError, match="bernoulli"):
        MLPClassifier(family="bernoulli").fit(np.zeros((3, 1)), [0, 1, 2])


def test_unknown_labels_in_score_nll_are_named():
    X, y = _logistic_data(11, n=40)
    est = _fit(MLPClassifier((2,), max_iter=2), X, y)
    with pytest.raises(ValueError, match=r"found 7 at row \[1\]"):
        est.score_nll(X[:3], [0, 7, 1])


def test_partial_fit_needs_classes_first_and_then_learns():
    X, y = _logistic_data(12, n=300)
    est = MLPClassifier((8,), learning_rate_init=0.05, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X[:50], y[:50])
    est.partial_fit(X[:100], y[:100], classes=[0, 1])
    first = est.score_nll(X, y)
    for _ in range(20):
        for start in range(0, 300, 100):
            est.partial_fit(X[start : start + 100], y[start : start + 100])
    assert est.score_nll(X, y) < first
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


# ------------------------------------------------------------------ state
@pytest.mark.parametrize(
    "make",
    [
        lambda: (MLPClassifier((5,), max_iter=20, random_state=0), "labels"),
        lambda: (MLPClassifier((5, 3), activation="tanh", max_iter=20, random_state=0), "multi"),
        lambda: (MLPRegressor((5,), family="studentt", family_params={"df": 4.0}, max_iter=20,
                              random_state=0), "real"),  # fmt: skip
    ],
    ids=["classifier", "multilabel", "studentt-regressor"],
)
def test_exported_state_rebuilds_identical_predictions(make):
    _needs_distributions()
    est, kind = make()
    X, y = _logistic_data(13, n=80)
    target = {"labels": np.array(["a", "b"])[y], "multi": np.column_stack([y, 1 - y, y]),
              "real": X[:, 0] + y}[kind]  # fmt: skip
    _fit(est, X, target)
    arrays, meta = est._export_state()
    rebuilt = estimator_from_state(arrays, json.loads(json.dumps(meta)))
    np.testing.assert_array_equal(rebuilt.predict(X), est.predict(X))
    if hasattr(est, "predict_proba"):
        np.testing.assert_array_equal(rebuilt.predict_proba(X), est.predict_proba(X))
    else:
        np.testing.assert_array_equal(rebuilt.predict_dist(X).scale, est.predict_dist(X).scale)
    assert rebuilt.get_params() == est.get_params()
    unpickled = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(unpickled.predict(X), est.predict(X))
