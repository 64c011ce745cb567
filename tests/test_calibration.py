"""probnn.calibration: one parameter fitted by maximum likelihood on held-out rows.

Oracles: closed forms (a Normal's scale factor s^2 = mean z^2, a Laplace's s = mean |z|, the
temperature of repeated logits from the label frequencies, worked by hand), and
scipy.optimize.minimize on the same 1-D objective written here with scipy.stats / scipy.special.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, special, stats
from sklearn.metrics import log_loss

from probnn import recalibrate
from probnn.calibration import scaled_distribution
from probnn.distributions import Mixture, Normal, Poisson, StudentT
from probnn.estimators import EnsembleRegressor, MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _regression(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, 2.0 * X[:, 0] + (0.5 + np.abs(X[:, 1])) * rng.standard_normal(n)


@pytest.fixture(scope="module")
def fitted_regressors():
    X, y = _regression()
    kw = dict(hidden_layer_sizes=(16,), max_iter=60, early_stopping=False, random_state=0,
              dtype="float64", n_iter_no_change=10**6)
    out = {}
    for family in ("normal", "laplace", "studentt"):
        out[family] = MLPRegressor(family=family, **kw).fit(X, y)
    return out


def test_normal_scale_factor_is_the_closed_form(fitted_regressors):
    est = fitted_regressors["normal"]
    Xv, yv = _regression(seed=5, n=200)
    w = np.random.default_rng(1).uniform(0.1, 2.0, 200)
    cal = recalibrate(est, Xv, yv, sample_weight=w)
    d = est.predict_dist(Xv)
    z = (yv - np.asarray(d.loc, np.float64)) / np.asarray(d.scale, np.float64)
    np.testing.assert_allclose(cal.scale_factor_, np.sqrt(np.average(z**2, weights=w)), rtol=1e-7)
    # the recalibrated NLL, by scipy.stats
    oracle = np.average(-stats.norm.logpdf(yv, d.loc, cal.scale_factor_ * d.scale), weights=w)
    np.testing.assert_allclose(cal.score_nll(Xv, yv, sample_weight=w), oracle, rtol=1e-9)
    assert cal.report_["after"]["nll"] <= cal.report_["before"]["nll"]
    np.testing.assert_allclose(cal.report_["after"]["nll"], oracle, rtol=1e-9)


def test_laplace_scale_factor_is_the_closed_form(fitted_regressors):
    est = fitted_regressors["laplace"]
    Xv, yv = _regression(seed=6, n=200)
    cal = recalibrate(est, Xv, yv)
    d = est.predict_dist(Xv)
    z = np.abs(yv - np.asarray(d.loc, np.float64)) / np.asarray(d.scale, np.float64)
    np.testing.assert_allclose(cal.scale_factor_, z.mean(), rtol=1e-7)


def test_student_t_factor_matches_scipy_optimize(fitted_regressors):
    est = fitted_regressors["studentt"]
    Xv, yv = _regression(seed=7, n=200)
    cal = recalibrate(est, Xv, yv)
    d = est.predict_dist(Xv)
    df, loc, sc = (np.asarray(a, np.float64) for a in (d.df, d.loc, d.scale))

    def f(t):
        return -np.mean(stats.t.logpdf(yv, df, loc, np.exp(t[0]) * sc))

    res = optimize.minimize(f, [0.0], method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10})
    np.testing.assert_allclose(np.log(cal.scale_factor_), res.x[0], atol=1e-5)


def test_ensemble_mixture_scales_each_component_and_matches_scipy_optimize():
    X, y = _regression()
    member = MLPRegressor((8,), max_iter=30, early_stopping=False, n_iter_no_change=10**6,
                          dtype="float64")
    ens = EnsembleRegressor(member, n_members=3, random_state=0).fit(X, y)
    Xv, yv = _regression(seed=8, n=150)
    cal = recalibrate(ens, Xv, yv)
    locs = np.array([np.asarray(m.predict_dist(Xv).loc, np.float64) for m in ens.estimators_])
    scs = np.array([np.asarray(m.predict_dist(Xv).scale, np.float64) for m in ens.estimators_])

    def f(t):
        logp = special.logsumexp(stats.norm.logpdf(yv, locs, np.exp(t[0]) * scs), axis=0)
        return -np.mean(logp - np.log(3))

    res = optimize.minimize(f, [0.0], method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10})
    np.testing.assert_allclose(np.log(cal.scale_factor_), res.x[0], atol=1e-5)
    np.testing.assert_allclose(cal.score_nll(Xv, yv), f([np.log(cal.scale_factor_)]), rtol=1e-9)
    # the components keep their locations (the members' disagreement is not rescaled)
    d = cal.predict_dist(Xv)
    np.testing.assert_allclose([c.loc for c in d.components], locs)
    np.testing.assert_allclose(cal.predict(Xv), ens.predict(Xv))


def test_temperature_of_repeated_logits_worked_by_hand():
    """All rows share one logit vector, so the MLE probabilities are the label frequencies."""
    clf = MLPClassifier((), max_iter=1, random_state=0, dtype="float64")
    X = np.zeros((12, 1))
    # binary: logit z = 2 for every row, 9 of 12 labels positive -> sigmoid(2 / T) = 3/4
    y = np.array([1] * 9 + [0] * 3)
    with pytest.warns(Warning):
        clf.fit(X, y)
    clf.coefs_[0][...] = 0.0
    clf.intercepts_[0][...] = 2.0
    cal = recalibrate(clf, X, y)
    np.testing.assert_allclose(cal.temperature_, 2.0 / np.log(3.0), rtol=1e-7)
    np.testing.assert_allclose(cal.predict_proba(X)[:, 1], 0.75, rtol=1e-7)
    # three classes: logits (2, 0, 0), class 0 with frequency f -> e^{2/T} / (e^{2/T} + 2) = f
    y3 = np.array([0] * 6 + [1] * 3 + [2] * 3)
    with pytest.warns(Warning):
        clf3 = MLPClassifier((), max_iter=1, random_state=0, dtype="float64").fit(X, y3)
    clf3.coefs_[0][...] = 0.0
    clf3.intercepts_[0][...] = [2.0, 0.0, 0.0]
    f = 0.5
    cal3 = recalibrate(clf3, X, y3)
    np.testing.assert_allclose(cal3.temperature_, 2.0 / np.log(2 * f / (1 - f)), rtol=1e-7)


def test_temperature_matches_scipy_optimize_on_log_loss():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 3))
    y = np.array(["x", "y", "z"])[np.argmax(X + rng.gumbel(size=(400, 3)), axis=1)]
    clf = MLPClassifier((32,), max_iter=200, alpha=0.0, early_stopping=False, random_state=0,
                        dtype="float64").fit(X[:200], y[:200])
    cal = recalibrate(clf, X[200:], y[200:])
    logits = clf._raw(X[200:]).astype(np.float64)

    def f(t):
        return log_loss(y[200:], special.softmax(logits / np.exp(t[0]), axis=1), labels=clf.classes_)

    res = optimize.minimize(f, [0.0], method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10})
    np.testing.assert_allclose(np.log(cal.temperature_), res.x[0], atol=1e-5)
    assert cal.report_["after"]["nll"] <= cal.report_["before"]["nll"]
    np.testing.assert_array_equal(cal.predict(X[200:]), clf.predict(X[200:]))
    before, after = cal.report_["before"], cal.report_["after"]
    np.testing.assert_allclose(before["nll"], f([0.0]), rtol=1e-9)
    np.testing.assert_allclose(after["nll"], res.fun, rtol=1e-7)
    assert set(before) == {"nll", "ece"} and 0 <= after["ece"] <= 1


def test_regression_report_has_pit_and_coverage(fitted_regressors):
    est = fitted_regressors["normal"]
    Xv, yv = _regression(seed=9, n=200)
    cal = recalibrate(est, Xv, yv)
    rep = cal.report(Xv, yv)
    d = cal.predict_dist(Xv)
    u = stats.norm.cdf(yv, d.loc, d.scale)
    ks = stats.kstest(u, "uniform").statistic
    np.testing.assert_allclose(rep["after"]["pit_ks"], ks, rtol=1e-9)
    lo, hi = stats.norm.ppf([[0.05], [0.95]], d.loc, d.scale)
    np.testing.assert_allclose(rep["after"]["coverage_90"], np.mean((yv >= lo) & (yv <= hi)))


def test_scaled_distribution_keeps_locations_and_refuses_counts():
    d = scaled_distribution(StudentT(3.0, loc=[1.0, 2.0], scale=[0.5, 2.0]), 3.0)
    np.testing.assert_allclose(d.scale, [1.5, 6.0])
    np.testing.assert_allclose(d.loc, [1.0, 2.0])
    m = scaled_distribution(Mixture([Normal([0.0], [1.0]), Normal([4.0], [2.0])]), 0.5)
    np.testing.assert_allclose([c.scale[0] for c in m.components], [0.5, 1.0])
    with pytest.raises(ValueError, match="location-scale"):
        scaled_distribution(Poisson(rate=[1.0]), 2.0)
