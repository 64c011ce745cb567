"""A tiny table's predictive (``estimators._folds``): below the early-stopping threshold
``MLPRegressor`` predicts with the equal-weight mixture of its fit on all rows and the K fold
networks the folds trained again to the chosen epoch. Before, the fit on all rows alone: on
so few rows the folds can be optimistic about that one epoch (yacht subsample 8: 73 nats a
row on new rows against the constant model's 4.18; ``bench/studies/tiny_tables.md``).

Oracles: fresh rows from the generating law scored by scipy's Normal NLL of the constant model
(the training rows' MLE); the mixture's NLL, mean, interval and CRPS recomputed from its
components with scipy (``norm.logpdf``, ``logsumexp``, ``norm.cdf``, ``integrate.quad``);
model files and ensembles compared with the estimator they hold.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import logsumexp

from probnn import MLPRegressor
from probnn.distributions import Mixture

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _skewed(n: int, seed: int):
    """y = exp(1.5 x1) + x2 + N(0, 0.3^2), x ~ N(0, I_2): a skewed target whose new rows
    reach beyond a handful of training rows (as yacht's)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, np.exp(1.5 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=n)


@pytest.fixture(scope="module")
def tiny():
    X, y = _skewed(12, 3)
    return X, y, MLPRegressor(random_state=0).fit(X, y)


def _components(model, X):
    """The mixture's (loc, scale) per component, shape (M, n)."""
    dist = model.predict_dist(X)
    assert isinstance(dist, Mixture)
    return (np.array([np.asarray(c.loc, dtype=np.float64) for c in dist.components]),
            np.array([np.asarray(c.scale, dtype=np.float64) for c in dist.components]))


def test_the_predictive_is_the_equal_mixture_of_the_fit_on_all_rows_and_the_folds(tiny):
    X, y, model = tiny
    X_new, y_new = _skewed(300, 99)
    assert len(model.fold_members_) == 5  # (12 rows: 5 folds)
    loc, scale = _components(model, X_new)
    assert loc.shape == (6, 300)
    # the first component is the fit on all rows, the others the fold networks'
    own = model._predictive.distribution(model._raw(X_new))
    np.testing.assert_array_equal(loc[0], own.loc)
    for k, member in enumerate(model.fold_members_, 1):
        np.testing.assert_array_equal(loc[k], member.predict_dist(X_new).loc)
    # by hand: the NLL, the mean and the 90% interval's coverage of an equal mixture
    nll = np.log(6) - logsumexp(stats.norm.logpdf(y_new, loc, scale), axis=0)
    np.testing.assert_allclose(model._nll_per_row(X_new, y_new), nll, rtol=1e-10, atol=1e-12)
    assert model.score_nll(X_new, y_new) == pytest.approx(nll.mean(), rel=1e-10)
    np.testing.assert_allclose(model.predict(X_new), loc.mean(axis=0), rtol=1e-12)
    lower, upper = model.predict_interval(X_new[:20], coverage=0.9)
    for bound, level in ((lower, 0.05), (upper, 0.95)):
        cdf = stats.norm.cdf(bound, loc[:, :20], scale[:, :20]).mean(axis=0)
        np.testing.assert_allclose(cdf, level, atol=1e-7)


def test_the_crps_is_the_mixtures(tiny):
    from probnn.scoring_rules import crps

    X, y, model = tiny
    X_new, y_new = _skewed(3, 7)
    loc, scale = _components(model, X_new)
    found = crps(model.predict_dist(X_new), y_new)
    for i in range(3):
        cdf = lambda t: stats.norm.cdf(t, loc[:, i], scale[:, i]).mean()  # noqa: E731
        lo, hi = loc[:, i].min() - 12 * scale[:, i].max(), loc[:, i].max() + 12 * scale[:, i].max()
        below = integrate.quad(lambda t: cdf(t) ** 2, lo, y_new[i], limit=200)[0]
        above = integrate.quad(lambda t: (1 - cdf(t)) ** 2, y_new[i], hi, limit=200)[0]
        assert found[i] == pytest.approx(below + above, rel=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=6))
def test_the_nll_is_the_mixtures(tiny, values):
    X, y, model = tiny
    rows = X[: len(values)]
    y_exact = np.asarray(values)
    loc, scale = _components(model, rows)
    nll = np.log(6) - logsumexp(stats.norm.logpdf(y_exact, loc, scale), axis=0)
    np.testing.assert_allclose(model._nll_per_row(rows, y_exact), nll, rtol=1e-9, atol=1e-9)


def test_a_skewed_eight_row_table_scores_near_the_constant_not_far_above():
    # before: the fit on all rows alone scored 245 nats a row on these 4,000 fresh rows
    # against the constant model's 30.0 (its folds chose epoch 602 on 8 rows); the mixture 8.0
    X, y = _skewed(8, 9)
    X_new, y_new = _skewed(4000, 1000 + 9)
    model = MLPRegressor(random_state=9).fit(X, y)
    constant = -stats.norm.logpdf(y_new, y.mean(), y.std()).mean()
    nll = model.score_nll(X_new, y_new)
    assert nll < constant, (nll, constant)
    members, model.fold_members_ = model.fold_members_, []  # the fit on all rows alone
    assert model.score_nll(X_new, y_new) > constant + 1.0  # (the test sees the failure)
    model.fold_members_ = members


def test_a_model_file_keeps_the_members_and_older_files_load_as_before(tiny, tmp_path):
    from probnn.model_file import load_model, save_model

    X, y, model = tiny
    X_new, y_new = _skewed(50, 5)
    again = load_model(save_model(model, tmp_path / "m.safetensors"))
    assert len(again.fold_members_) == 5
    np.testing.assert_array_equal(again.predict(X_new), model.predict(X_new))
    np.testing.assert_array_equal(again._nll_per_row(X_new, y_new), model._nll_per_row(X_new, y_new))
    # a file written before the members (none stored): the fit on all rows alone, as then
    arrays, meta = model._export_state()
    assert {k for k in arrays if not k.startswith("fold")} == {"params"}
    meta.pop("fold_members")
    from probnn.estimators import estimator_from_state

    old = estimator_from_state({"params": arrays["params"]}, meta)
    assert not getattr(old, "fold_members_", None)
    np.testing.assert_array_equal(old.predict_dist(X_new).loc, _components(model, X_new)[0][0])
    # a member that is not a regressor of the same features: a bad file, said so
    arrays, meta = model._export_state()
    meta["fold_members"][1]["n_features_in_"] = 3
    with pytest.raises(ValueError):
        estimator_from_state(arrays, meta)


def test_forty_rows_and_a_refit_have_no_members(tiny):
    X, y = _skewed(40, 1)
    model = MLPRegressor(random_state=0, max_iter=20).fit(X, y)
    assert model.fold_members_ == []
    arrays, meta = model._export_state()
    assert not any(name.startswith("fold") for name in arrays) and "fold_members" not in meta
    # more training of the fit on all rows leaves the folds behind: the network alone
    import copy

    X, y, fitted = tiny
    model = copy.deepcopy(fitted)
    model.partial_fit(X, y)
    assert model.fold_members_ == []
    assert not isinstance(model.predict_dist(X), Mixture)


def test_wrappers_of_a_tiny_tables_regressor(tiny):
    from probnn import EnsembleRegressor
    from probnn.calibration import recalibrate
    from probnn.laplace import LaplaceApproximation

    X, y, model = tiny
    X_new, y_new = _skewed(40, 11)
    # the Laplace posterior is over the fit on all rows' weights (its own predictive)
    laplace = LaplaceApproximation(model, prefit=True).fit(X, y)
    assert np.isfinite(laplace.score_nll(X_new, y_new))
    # recalibration scales every component about its own location
    calibrated = recalibrate(model, X_new[:20], y_new[:20])
    dist = calibrated.predict_dist(X_new)
    loc, scale = _components(model, X_new)
    factor = calibrated.scale_factor_
    np.testing.assert_allclose([c.scale for c in dist.components], factor * scale, rtol=1e-6)
    # an ensemble of such regressors: the equal mixture of their mixtures
    small = MLPRegressor(hidden_layer_sizes=(8,), max_iter=50)  # (kept short: the wiring)
    ensemble = EnsembleRegressor(small, n_members=2, random_state=0).fit(X, y)
    members = [m._nll_per_row(X_new, y_new) for m in ensemble.estimators_]
    expected = np.log(2) - logsumexp(-np.array(members), axis=0)
    assert ensemble.score_nll(X_new, y_new) == pytest.approx(expected.mean(), rel=1e-9)


def test_probnn_predict_writes_each_components_parameters(tiny):
    from probnn.tables.model import _parameter_columns

    X, y, model = tiny
    dist = model.predict_dist(X[:4])
    columns = _parameter_columns(model, dist)
    assert list(columns) == [f"{p}_{k}" for k in range(1, 7) for p in ("loc", "scale")]
    for k, component in enumerate(dist.components, 1):
        np.testing.assert_array_equal(columns[f"loc_{k}"], component.loc)
        np.testing.assert_array_equal(columns[f"scale_{k}"], component.scale)
