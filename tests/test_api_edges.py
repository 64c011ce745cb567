"""Small API defects of hostile trial 3: each failed (or gave another library's message) before.

Oracles: scipy.stats (Poisson pmf and cdf summed by hand), ordinary least squares (numpy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import probnn
from probnn.auto import AutoRegressor
from probnn.distributions import Hurdle, Mixture, Poisson


def test_crps_of_a_scalar_count_mixture():
    # raised "cannot broadcast a non-scalar to a scalar array" (batch shape (1,) worked)
    k = np.arange(400)
    cdf = 0.5 * stats.poisson.cdf(k, 2.0) + 0.5 * stats.poisson.cdf(k, 5.0)
    mixture = Mixture([Poisson(2.0), Poisson(5.0)])
    got = probnn.crps(mixture, 3)
    assert np.shape(got) == ()
    assert float(got) == pytest.approx(np.sum((cdf - (k >= 3)) ** 2), rel=1e-10)
    many = probnn.crps(mixture, np.array([0.0, 3.0, 40.0]))
    np.testing.assert_allclose(many, [np.sum((cdf - (k >= y)) ** 2) for y in (0, 3, 40)],
                               rtol=1e-10)


def test_hurdle_entropy():
    # raised a bare NotImplementedError; now -sum P log P, as ZeroInflated's
    pi = 1 / (1 + np.exp(-0.3))
    k = np.arange(1, 200)
    p = np.concatenate([[pi], (1 - pi) * stats.poisson.pmf(k, 2.0) / (1 - np.exp(-2.0))])
    p = p[p > 0]
    got = Hurdle(Poisson(2.0), 0.3).entropy()
    assert float(got) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)


def test_no_entropy_says_which_distribution():
    from probnn.distributions.base import Distribution

    class Bare(Distribution):
        batch_shape = ()
        dtype = np.dtype(np.float64)

    with pytest.raises(NotImplementedError, match="Bare has no entropy"):
        Bare().entropy()


def test_generative_classifier_predict_before_fit():
    with pytest.raises(NotFittedError):
        probnn.GaussianGenerativeClassifier().predict(np.zeros((2, 2)))


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(150, 2)), columns=["a", "b"])
    y = pd.Series(1.0 + 3.0 * X["a"] + 0.1 * rng.normal(size=150), name="a")
    return X, y


@pytest.fixture(scope="module")
def auto(frame):
    X, y = frame  # y named as one of X's columns: refused before
    return AutoRegressor(families=["normal"], network_families=0, cv=3).fit(X, y)


def test_auto_regressor_takes_a_target_named_as_a_column(frame, auto):
    X, y = frame
    design = np.column_stack([np.ones(len(X)), X.to_numpy()])
    ols = design @ np.linalg.lstsq(design, y.to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(auto.predict(X), ols, atol=0.05)  # y, not the column "a"
    assert np.isfinite(auto.score(X, y))
    assert list(X.columns) == ["a", "b"] and y.name == "a"  # the caller's data unchanged


def test_auto_regressor_predict_with_wrong_width(frame, auto):
    X, _ = frame
    with pytest.raises(ValueError, match="X has 1 features, but AutoRegressor is expecting 2"):
        auto.predict(X.to_numpy()[:, :1])
    with pytest.raises(ValueError, match="X has 3 features, but AutoRegressor is expecting 2"):
        auto.predict(np.ones((4, 3)))


def test_save_model_of_an_auto_regressor_saves_its_choice(frame, auto, tmp_path):
    X, _ = frame
    path = probnn.save_model(auto, tmp_path / "auto.safetensors")
    loaded = probnn.load_model(path)
    np.testing.assert_allclose(loaded.predict(X), auto.predict(X), rtol=1e-12)
    with pytest.raises(NotFittedError):
        probnn.save_model(AutoRegressor(), tmp_path / "unfitted.safetensors")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_save_model_of_a_pipeline_says_what_can_be_saved(frame, tmp_path):
    X, y = frame
    pipe = make_pipeline(StandardScaler(),
                         probnn.MLPRegressor(hidden_layer_sizes=(), max_iter=5)).fit(X, y)
    with pytest.raises(TypeError, match="save_model expects a TabularModel.*Pipeline"):
        probnn.save_model(pipe, tmp_path / "pipe.safetensors")
    assert not (tmp_path / "pipe.safetensors").exists()
