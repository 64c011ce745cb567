"""EnsembleRegressor: mixture of independently seeded MLPRegressors."""
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from probnn.distributions.mixture import Mixture
from probnn.estimators import EnsembleRegressor, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore:training stopped at max_iter")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X[:, 0] * 2.0 + np.sin(X[:, 1]) + 0.3 * rng.normal(size=120) + 10.0
    return X, y


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    member = MLPRegressor(hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.01)
    return EnsembleRegressor(member, n_members=3, random_state=0).fit(X, y)


def _norm_params(ens, X):
    dists = [m.predict_dist(X) for m in ens.estimators_]
    return (np.array([np.asarray(d.loc, np.float64) for d in dists]),
            np.array([np.asarray(d.scale, np.float64) for d in dists]))


def _member_law(ens, X):
    """scipy's law of each member's predictive (a Normal, or the Student-t of a member whose
    widening factor is integrated out: MLPRegressor's default predictive)."""
    loc, scale = _norm_params(ens, X)
    df = np.array([np.asarray(getattr(m.predict_dist(X), "df", np.inf), np.float64)
                   for m in ens.estimators_])
    return stats.t(np.broadcast_to(df.reshape(len(df), -1), loc.shape), loc, scale)


def test_members_differ_and_predictions_are_the_equal_mixture(fitted, data):
    X, y = data
    assert len(fitted.estimators_) == 3
    seeds = {m.random_state for m in fitted.estimators_}
    assert len(seeds) == 3
    loc, scale = _norm_params(fitted, X)
    assert not np.allclose(loc[0], loc[1])
    dist = fitted.predict_dist(X)
    assert isinstance(dist, Mixture) and dist.batch_shape == (120,)
    np.testing.assert_allclose(fitted.predict(X), loc.mean(0), rtol=1e-5)
    # NLL by hand: -log of the mean of scipy's densities
    pdf = _member_law(fitted, X).pdf(y).mean(0)
    np.testing.assert_allclose(fitted.score_nll(X, y), -np.mean(np.log(pdf)), rtol=1e-4)
    w = np.arange(1.0, 121.0)
    np.testing.assert_allclose(fitted.score_nll(X, y, sample_weight=w),
                               -np.dot(w, np.log(pdf)) / w.sum(), rtol=1e-4)


def test_interval_is_mixture_quantiles(fitted, data):
    X, _ = data
    lo, hi = fitted.predict_interval(X[:10], coverage=0.8)
    cdf = lambda v: _member_law(fitted, X[:10]).cdf(v).mean(0)  # noqa: E731
    np.testing.assert_allclose(cdf(lo), 0.1, atol=1e-4)
    np.testing.assert_allclose(cdf(hi), 0.9, atol=1e-4)
    with pytest.raises(ValueError, match="coverage"):
        fitted.predict_interval(X, coverage=1.0)


def test_same_seed_same_fit_and_clone(data):
    X, y = data
    member = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5)
    a = EnsembleRegressor(member, n_members=2, random_state=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert b.get_params()["n_members"] == 2
    # in parallel through joblib (threads here, to keep the test fast): the same members
    from joblib import parallel_backend

    with parallel_backend("threading"):
        c = EnsembleRegressor(member, n_members=2, random_state=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), c.predict(X))


def test_model_file_round_trip(fitted, data, tmp_path):
    from probnn.model_file import load_model, save_model

    X, y = data
    path = save_model(fitted, tmp_path / "ens.safetensors")
    back = load_model(path)
    assert isinstance(back, EnsembleRegressor) and len(back.estimators_) == 3
    np.testing.assert_array_equal(back.predict(X), fitted.predict(X))
    assert back.score_nll(X, y) == fitted.score_nll(X, y)
    assert back.estimator.get_params()["hidden_layer_sizes"] == (8,)


def test_errors(data):
    X, y = data
    with pytest.raises(ValueError, match="n_members"):
        EnsembleRegressor(n_members=0).fit(X, y)
    ens = EnsembleRegressor(MLPRegressor(hidden_layer_sizes=(2,), max_iter=2), n_members=1)
    ens.fit(X, y)
    with pytest.raises(ValueError, match="one value per row"):
        ens.score_nll(X, y[:5])


@parametrize_with_checks(
    [EnsembleRegressor(MLPRegressor((8,), learning_rate_init=0.01, max_iter=100), n_members=2,
                       random_state=0)],
)
def test_sklearn_estimator_checks(estimator, check):
    if getattr(check, "func", check).__name__ == "check_sample_weight_equivalence_on_dense_data":
        # as for MLPRegressor (tests/test_estimators_sklearn_compat.py, following scikit-learn's own
        # settings for its MLPs): members fitted by L-BFGS in float64 with squared error, where
        # a weight of k is exactly k repeated rows; each member is seeded, so both fits match
        # (alpha 1e-4: see tests/test_estimators_sklearn_compat.py's _LBFGS)
        member = clone(estimator.estimator).set_params(solver="lbfgs", dtype="float64",
                                                       family="normal-fixed", alpha=1e-4)
        estimator = clone(estimator).set_params(estimator=member)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
