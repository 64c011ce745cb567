"""Widening a positive family's spread parameter (``Family.widened_raw``) and a regressor's
``recalibrate`` for the log-normal, log-logistic, Weibull and gamma families.

Oracles: scipy.stats (``lognorm``, ``fisk``, ``weibull_min``, ``gamma``) with the spread widened
by the factor by hand (a log-normal's ``s`` times it; a log-logistic's or Weibull's shape ``c``
divided by it; a gamma's shape divided by its square at the same mean); for the log-normal the maximum-likelihood factor has a closed form worked by
hand from the NLL ``log s + z^2 / (2 s^2) + const`` with ``z = (log y - mu) / sigma``:
``s^2 = sum_i w_i z_i^2 / sum_i w_i``; for the others scipy's bounded scalar minimiser of the
scipy NLL.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from probnn import MLPRegressor
from probnn.families import get_family
from probnn.model_file import load_model, save_model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _softplus(z):
    return np.logaddexp(0.0, z)


def _scipy(name, raw, factor=1.0):
    """The frozen scipy distribution of raw outputs (z1, z2), widened by ``factor`` by hand."""
    z1, v = raw[:, 0], _softplus(raw[:, 1])
    if name == "log-normal":
        return stats.lognorm(s=v * factor, scale=np.exp(z1))
    if name == "log-logistic":
        return stats.fisk(c=v / factor, scale=np.exp(z1))
    if name == "weibull":
        return stats.weibull_min(c=v / factor, scale=np.exp(z1))
    shape = v / factor**2  # gamma: the mean exp(z1) kept, the standard deviation times factor
    return stats.gamma(a=shape, scale=np.exp(z1) / shape)


FAMILIES = ("log-normal", "log-logistic", "weibull", "gamma")


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("factor", [0.5, 1.0, 1.7, 40.0])
def test_widened_raw_is_log_ys_scale_times_the_factor(name, factor):
    rng = np.random.default_rng(0)
    raw = np.column_stack([rng.normal(size=30), rng.normal(scale=2.0, size=30)])
    y = np.exp(rng.normal(size=30))
    family = get_family(name)
    widened = family.widened_raw(raw, factor)
    np.testing.assert_array_equal(widened[:, 0], raw[:, 0])  # the location, so the median
    np.testing.assert_allclose(family.nll(widened, y), -_scipy(name, raw, factor).logpdf(y),
                               rtol=1e-9, atol=1e-9)  # fmt: skip
    np.testing.assert_allclose(family.distribution(widened).cdf(y),
                               _scipy(name, raw, factor).cdf(y), rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(z=st.floats(-1e4, 1e4), log_factor=st.floats(-5.0, 5.0))
def test_widened_raw_is_finite_for_raw_outputs_of_1e4(z, log_factor):
    for name in FAMILIES:
        family = get_family(name)
        widened = family.widened_raw(np.array([[0.0, z]]), float(np.exp(log_factor)))
        assert np.all(np.isfinite(widened))
        # the spread parameter times factor ** power: log softplus(z') - log softplus(z)
        sign = {"log-normal": 1.0, "log-logistic": -1.0, "weibull": -1.0, "gamma": -2.0}[name]
        log_v = z if z < -30 else np.log(_softplus(z))
        log_w = widened[0, 1] if widened[0, 1] < -30 else np.log(_softplus(widened[0, 1]))
        assert log_w - log_v == pytest.approx(sign * log_factor, abs=1e-9 * max(1.0, abs(z)))


def test_a_family_without_a_spread_parameter_refuses_to_widen():
    with pytest.raises(ValueError, match="no spread parameter"):
        get_family("poisson").widened_raw(np.zeros((2, 2)), 2.0)


def _positive(n, seed, noise):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.exp(1.0 + 0.8 * X[:, 0] + noise * 0.3 * rng.normal(size=n))
    return X, y


SMALL = dict(hidden_layer_sizes=(8,), max_iter=60, random_state=0)


@pytest.mark.parametrize("name", FAMILIES)
def test_recalibrate_fits_the_spread_factor_by_maximum_likelihood(name):
    X, y = _positive(200, 0, 1.0)
    Xv, yv = _positive(80, 1, 3.0)  # noisier validation rows: the network is overconfident
    wv = np.random.default_rng(2).uniform(0.5, 2.0, size=80)
    fit = MLPRegressor(family=name, recalibrate_estimate="mle", **SMALL).fit(
        X, y, validation_data=(Xv, yv, wv))
    plain = MLPRegressor(family=name, recalibrate=False, **SMALL).fit(
        X, y, validation_data=(Xv, yv, wv))
    np.testing.assert_array_equal(fit.coefs_[0], plain.coefs_[0])  # the same network
    raw = np.asarray(plain._raw(Xv), dtype=np.float64)
    if name == "log-normal":
        z = (np.log(yv) - raw[:, 0]) / _softplus(raw[:, 1])
        expected = np.sqrt(np.dot(wv, z**2) / wv.sum())
    else:
        def mean_nll(log_f):
            return np.dot(wv, -_scipy(name, raw, np.exp(log_f)).logpdf(yv)) / wv.sum()
        expected = np.exp(optimize.minimize_scalar(mean_nll, bounds=(-3, 3), method="bounded",
                                                   options={"xatol": 1e-10}).x)  # fmt: skip
    assert expected > 1.05  # overconfident on the noisier rows: the factor widens
    assert fit.scale_factor_ == pytest.approx(expected, rel=1e-4)
    assert plain.scale_factor_ == 1.0
    # predictions: scipy's widened distribution, the same median, NLL and intervals
    Xt, yt = _positive(50, 3, 1.0)
    raw_t = np.asarray(plain._raw(Xt), dtype=np.float64)
    oracle = _scipy(name, raw_t, fit.scale_factor_)
    assert fit.score_nll(Xt, yt) == pytest.approx(-oracle.logpdf(yt).mean(), rel=1e-6)
    lo, hi = fit.predict_interval(Xt, coverage=0.9)
    np.testing.assert_allclose(hi, oracle.ppf(0.95), rtol=1e-6)
    np.testing.assert_allclose(lo, oracle.ppf(0.05), rtol=1e-6)
    np.testing.assert_allclose(fit.predict_dist(Xt).mean, oracle.mean(), rtol=1e-6)


def test_the_widened_log_normal_survives_a_model_file(tmp_path):
    X, y = _positive(200, 0, 1.0)
    Xv, yv = _positive(80, 1, 3.0)
    fit = MLPRegressor(family="log-normal", **SMALL).fit(X, y, validation_data=(Xv, yv))
    assert fit.scale_factor_ > 1.05
    save_model(fit, tmp_path / "m.safetensors")
    back = load_model(tmp_path / "m.safetensors")
    Xt, yt = _positive(40, 3, 1.0)
    assert back.scale_factor_ == fit.scale_factor_
    np.testing.assert_array_equal(back.score_nll(Xt, yt), fit.score_nll(Xt, yt))
