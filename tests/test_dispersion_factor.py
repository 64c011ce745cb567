"""The cross-fitted factor of a negative binomial's dispersion (issue 22's count intervals).

Oracles: ``scipy.stats.nbinom`` (the law that generated the data; NB2 with mean ``mu`` and
dispersion ``alpha`` is ``nbinom(n=1/alpha, p=1/(1 + alpha mu))``) and ``softplus`` written
out with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.estimators import MLPRegressor
from probnn.estimators._widening import cross_fitted_dispersion, set_dispersion_factor
from probnn.families._affine import dispersed_raw, has_dispersion
from probnn.families import get_family
from probnn.model_file import load_model, save_model

# (the fixture's 30 epochs: enough for a model to score, not to converge)
pytestmark = pytest.mark.filterwarnings("ignore:training used all")


def _softplus(z):
    return np.logaddexp(0.0, z)


@settings(max_examples=60, deadline=None)
@given(z=st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=20),
       factor=st.floats(0.05, 20.0))
def test_dispersed_raw_multiplies_alpha_and_keeps_the_other_outputs(z, factor):
    raw = np.column_stack([np.linspace(-3, 3, len(z)), z, -np.ones(len(z))])
    out = dispersed_raw(raw, factor)
    np.testing.assert_allclose(_softplus(out[:, 1]), factor * _softplus(raw[:, 1]), rtol=1e-9)
    np.testing.assert_array_equal(out[:, [0, 2]], raw[:, [0, 2]])


def test_the_negative_binomial_laws_have_a_dispersion_and_the_others_none():
    for name in ("negative-binomial", "hurdle-negative-binomial",
                 "zero-inflated-negative-binomial"):
        assert has_dispersion(get_family(name))
    for name in ("poisson", "hurdle-poisson", "zero-inflated-poisson", "normal"):
        assert not has_dispersion(get_family(name))


class _Estimator:
    """A fitted model's stand-in: NB2(mu, alpha * dispersion_factor_) per row."""

    def __init__(self, mu, alpha):
        self.mu, self.alpha, self.dispersion_factor_ = mu, alpha, 1.0

    def _set_predictive(self):
        pass


class _Model:
    """A TabularModel's stand-in whose NLL is scipy's: the oracle of the fitted factor."""

    def __init__(self, mu, alpha):
        self.estimator = _Estimator(mu, alpha)

    def encode_target(self, rows):
        return rows["y"].to_numpy(float)

    def nll_rows(self, rows, y):
        idx = rows.index.to_numpy()
        est = self.estimator
        a = est.alpha * est.dispersion_factor_
        mu = est.mu[idx]
        return -stats.nbinom.logpmf(y, 1.0 / a, 1.0 / (1.0 + a * mu))


def _nb_table(n, alpha, seed):
    import pandas as pd

    rng = np.random.default_rng(seed)
    mu = np.exp(rng.normal(1.5, 0.7, n))
    y = stats.nbinom.rvs(1.0 / alpha, 1.0 / (1.0 + alpha * mu), random_state=rng)
    return pd.DataFrame({"y": y}), mu


def _two_folds(n, seed):
    idx = np.random.default_rng(seed).permutation(n)
    a, b = np.sort(idx[: n // 2]), np.sort(idx[n // 2:])
    return [(a, b), (b, a)]


def test_the_factor_recovers_a_known_overdispersion():
    # counts from NB2(mu, 0.6); each fold's model predicts the right mean and alpha 0.3:
    # the factor that restores the law is 2
    frame, mu = _nb_table(8000, 0.6, seed=1)
    folds = _two_folds(len(frame), 1)
    models = {i: _Model(mu, 0.3) for i in range(2)}
    factor = cross_fitted_dispersion(models, frame, folds, seed=0)
    assert factor == pytest.approx(2.0, rel=0.1)
    assert all(m.estimator.dispersion_factor_ == 1.0 for m in models.values())  # restored


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_the_factor_is_one_on_a_true_negative_binomial(seed):
    # the models' alpha is the law's: widening cannot help rows it was not fitted on
    frame, mu = _nb_table(3000, 0.5, seed=seed)
    folds = _two_folds(len(frame), seed)
    factor = cross_fitted_dispersion({i: _Model(mu, 0.5) for i in range(2)}, frame, folds)
    assert 1.0 <= factor < 1.06


def test_a_model_too_dispersed_is_never_sharpened():
    frame, mu = _nb_table(3000, 0.3, seed=5)
    folds = _two_folds(len(frame), 5)
    assert cross_fitted_dispersion({i: _Model(mu, 0.9) for i in range(2)}, frame, folds) == 1.0


@pytest.fixture(scope="module")
def nb_regressor():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    mu = np.exp(1.0 + 0.4 * X[:, 0])
    y = stats.nbinom.rvs(2.0, 2.0 / (2.0 + mu), random_state=rng)
    model = MLPRegressor(family="negative-binomial", hidden_layer_sizes=(), max_iter=30,
                         random_state=0).fit(X, y)
    return model, X, y


def test_the_factor_scales_the_predicted_law_and_its_model_file_keeps_it(nb_regressor, tmp_path):
    model, X, y = nb_regressor
    before = model.predict_dist(X[:20])
    mu0, alpha0 = np.asarray(before.mean), np.asarray(before.dispersion)
    set_dispersion_factor(model, 1.7)
    try:
        after = model.predict_dist(X[:20])
        np.testing.assert_allclose(np.asarray(after.mean), mu0, rtol=1e-10)
        a = 1.7 * alpha0
        oracle = stats.nbinom.logpmf(y[:20], 1.0 / a, 1.0 / (1.0 + a * mu0))
        np.testing.assert_allclose(-model._nll_per_row(X[:20], y[:20]), oracle, rtol=1e-8)
        save_model(model, tmp_path / "m.safetensors")
        again = load_model(tmp_path / "m.safetensors")
        assert again.dispersion_factor_ == 1.7
        np.testing.assert_allclose(again._nll_per_row(X, y), model._nll_per_row(X, y))
    finally:
        set_dispersion_factor(model, 1.0)


def test_a_file_without_the_factor_loads_with_the_networks_own_dispersion(nb_regressor, tmp_path):
    # a factor of 1 writes no field: the file is as before the factor existed, and such a
    # file (an older one) loads with factor 1
    model, X, y = nb_regressor
    save_model(model, tmp_path / "m.safetensors")
    assert b"dispersion_factor" not in (tmp_path / "m.safetensors").read_bytes()
    again = load_model(tmp_path / "m.safetensors")
    assert again.dispersion_factor_ == 1.0
    np.testing.assert_allclose(again._nll_per_row(X, y), model._nll_per_row(X, y))


def test_the_report_card_names_an_adopted_factor_only(nb_regressor):
    from probnn.report.card import training_rows

    model, _, _ = nb_regressor
    assert not any(r[0] == "dispersion widened" for r in training_rows(model))
    set_dispersion_factor(model, 1.25)
    try:
        assert ("dispersion widened", "factor 1.25", "select_model(dispersion=True)") in \
            training_rows(model)
    finally:
        set_dispersion_factor(model, 1.0)


@pytest.mark.parametrize("dispersion", [False, True])
def test_the_selection_widens_only_when_asked_with_every_folds_model(monkeypatch, dispersion):
    import pandas as pd

    import probnn.estimators._widening as widening
    from probnn.selection import select_model

    calls = []

    def fake(fold_models, frame, folds, seed=0):
        calls.append((sorted(fold_models), len(folds), frame.shape[0]))
        return 1.5

    monkeypatch.setattr(widening, "cross_fitted_dispersion", fake)
    table, mu = _nb_table(200, 0.5, seed=6)
    X = pd.DataFrame({"x": np.log(mu)})
    sel = select_model(X, table["y"], families=["negative-binomial"], cv=2, network_families=0,
                       dispersion=dispersion)
    assert sel.family == "negative-binomial"
    factor = sel.model.estimator.dispersion_factor_
    if dispersion:
        assert calls == [([0, 1], 2, 200)] and factor == 1.5
    else:
        assert calls == [] and factor == 1.0
