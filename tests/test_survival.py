"""Survival times: the Weibull distribution and family, censored AFT fits, Harrell's C.

Oracles: ``scipy.stats.weibull_min`` (densities, cdf, quantiles, moments, entropy,
``fit``), mpmath for the far left tail, and direct maximum-likelihood fits by
``scipy.optimize.minimize`` of the right-censored log-likelihood written here with
``scipy.stats`` ``logpdf`` / ``logsf``. lifelines' ``WeibullAFTFitter`` /
``LogNormalAFTFitter`` (the issue's oracle) cannot be installed beside this project's
pandas, so the same maximum-likelihood problem is solved directly instead; note that
probnn's network with no hidden layer makes the shape (and the log-normal's sigma)
linear in the inputs too, so the oracle's model has that form. Harrell's C against a
brute-force count over all pairs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, stats

import probnn
from probnn import MLPRegressor
from probnn.distributions import Weibull


# ------------------------------------------------------------- distribution
def test_weibull_methods_match_scipy_weibull_min():
    lam = np.array([0.5, 1.0, 3.0, 10.0])
    k = np.array([0.7, 1.0, 2.5, 5.0])
    d = Weibull(scale=lam, concentration=k)
    ref = stats.weibull_min(k, scale=lam)
    t = np.array([0.3, 1.2, 2.0, 9.0])
    assert_allclose(d.log_prob(t), ref.logpdf(t), rtol=1e-12)
    assert_allclose(d.cdf(t), ref.cdf(t), rtol=1e-12)
    assert_allclose(d.survival_function(t), ref.sf(t), rtol=1e-12)
    assert_allclose(d.log_survival(t), ref.logsf(t), rtol=1e-12)
    assert_allclose(d.log_cdf(t), ref.logcdf(t), rtol=1e-12)
    assert_allclose(d.hazard(t), ref.pdf(t) / ref.sf(t), rtol=1e-10)
    q = np.array([0.01, 0.3, 0.5, 0.99])
    assert_allclose(d.icdf(q), ref.ppf(q), rtol=1e-12)
    assert_allclose(d.median, ref.median(), rtol=1e-12)
    assert_allclose(d.mean, ref.mean(), rtol=1e-12)
    assert_allclose(d.variance, ref.var(), rtol=1e-10)
    assert_allclose(d.entropy(), ref.entropy(), rtol=1e-10)
    assert_allclose(Weibull(1.0, 2.0).log_prob([-1.0, 0.0]), [-np.inf, -np.inf])


def test_log_logistic_methods_match_scipy_fisk():
    from probnn.distributions import LogLogistic

    alpha = np.array([0.5, 1.0, 3.0, 10.0])
    beta = np.array([0.7, 1.5, 2.5, 5.0])
    d = LogLogistic(scale=alpha, concentration=beta)
    ref = stats.fisk(beta, scale=alpha)
    t = np.array([0.3, 1.2, 2.0, 9.0])
    assert_allclose(d.log_prob(t), ref.logpdf(t), rtol=1e-12)
    assert_allclose(d.cdf(t), ref.cdf(t), rtol=1e-12)
    assert_allclose(d.survival_function(t), ref.sf(t), rtol=1e-12)
    assert_allclose(d.log_survival(t), ref.logsf(t), rtol=1e-12)
    assert_allclose(d.log_cdf(t), ref.logcdf(t), rtol=1e-12)
    assert_allclose(d.hazard(t), ref.pdf(t) / ref.sf(t), rtol=1e-10)
    q = np.array([0.01, 0.3, 0.5, 0.99])
    assert_allclose(d.icdf(q), ref.ppf(q), rtol=1e-12)
    assert_allclose(d.median, ref.median(), rtol=1e-12)
    assert_allclose(d.mean[1:], ref.mean()[1:], rtol=1e-10)
    assert d.mean[0] == np.inf  # beta <= 1: the integral diverges (scipy says nan)
    assert_allclose(d.variance[2:], ref.var()[2:], rtol=1e-10)
    assert_allclose(d.entropy(), ref.entropy(), rtol=1e-10)
    data = stats.fisk(2.2, scale=3.0).rvs(400, random_state=3)
    fitted = LogLogistic.fit(data)
    nll = lambda th: -stats.fisk.logpdf(data, np.exp(th[0]), scale=np.exp(th[1])).sum()  # noqa: E731
    best = optimize.minimize(nll, [0.5, 1.0], method="Nelder-Mead",
                             options={"xatol": 1e-12, "fatol": 1e-14}).x
    assert_allclose([fitted.concentration, fitted.scale], np.exp(best), rtol=1e-7)
    draws = LogLogistic(scale=[2.0], concentration=[3.0]).sample(4000, random_state=0)[:, 0]
    assert stats.kstest(draws, stats.fisk(3.0, scale=2.0).cdf).pvalue > 1e-3


def test_weibull_log_cdf_far_in_the_left_tail_matches_mpmath():
    mpmath = pytest.importorskip("mpmath")  # the oracle extra; strict CI fails on the skip
    d = Weibull(scale=2.0, concentration=3.0)
    for t in (1e-3, 1e-30, 1e-120):
        x = (mpmath.mpf(t) / 2) ** 3
        expected = float(mpmath.log(-mpmath.expm1(-x)))
        assert_allclose(d.log_cdf(t), expected, rtol=1e-13)


def test_weibull_samples_follow_the_cdf():
    d = Weibull(scale=np.full(1, 2.0), concentration=np.full(1, 1.7))
    draws = d.sample(4000, random_state=0)[:, 0]
    assert stats.kstest(draws, stats.weibull_min(1.7, scale=2.0).cdf).pvalue > 1e-3


def test_weibull_fit_matches_scipy():
    data = stats.weibull_min(1.8, scale=3.0).rvs(500, random_state=1)
    fitted = Weibull.fit(data)
    c, _, scale = stats.weibull_min.fit(data, floc=0)
    # scipy's fit stops at its optimiser's default tolerance: refined here by Nelder-Mead
    nll = lambda t: -stats.weibull_min.logpdf(data, np.exp(t[0]), scale=np.exp(t[1])).sum()  # noqa: E731
    best = optimize.minimize(nll, np.log([c, scale]), method="Nelder-Mead",
                             options={"xatol": 1e-12, "fatol": 1e-14}).x
    assert_allclose(fitted.concentration, np.exp(best[0]), rtol=1e-7)
    assert_allclose(fitted.scale, np.exp(best[1]), rtol=1e-7)
    assert_allclose(fitted.concentration, c, rtol=1e-4)
    with pytest.raises(ValueError, match="two distinct"):
        Weibull.fit([2.0, 2.0])


# ------------------------------------------------------------- AFT oracles
def _survival_data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    scale = np.exp(1.0 + 0.6 * X[:, 0] - 0.3 * X[:, 1])
    times = scale * rng.weibull(1.6, n)
    censor = rng.exponential(4.0, n)
    observed = np.minimum(times, censor)
    event = times <= censor
    y = np.column_stack([observed, np.where(event, observed, np.inf)])
    return X, y, event


def _direct_fit(X, y, event, logpdf, logsf, x0):
    """argmax of sum_events logpdf + sum_censored logsf by scipy.optimize."""
    t = y[:, 0]

    def nll(theta):
        return -(logpdf(t[event], theta, X[event]).sum() + logsf(t[~event], theta, X[~event]).sum())

    res = optimize.minimize(nll, x0, method="BFGS", options={"gtol": 1e-9})
    res = optimize.minimize(nll, res.x, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxfev": 20000})
    return res.x, res.fun / len(t)


def _softplus(z):
    return np.logaddexp(0.0, z)


def test_weibull_no_hidden_layer_medians_equal_a_direct_censored_fit():
    X, y, event = _survival_data()

    def parts(theta, Xs):
        return np.exp(theta[0] + Xs @ theta[1:3]), _softplus(theta[3] + Xs @ theta[4:6])

    def logpdf(t, theta, Xs):
        lam, k = parts(theta, Xs)
        return stats.weibull_min.logpdf(t, k, scale=lam)

    def logsf(t, theta, Xs):
        lam, k = parts(theta, Xs)
        return stats.weibull_min.logsf(t, k, scale=lam)

    theta, best = _direct_fit(X, y, event, logpdf, logsf, np.array([1.0, 0, 0, 1.0, 0, 0]))
    est = MLPRegressor(family="weibull", hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       max_iter=5000, tol=1e-14, random_state=0).fit(X, y)
    assert_allclose(est.score_nll(X, y), best, rtol=1e-8)
    lam, k = parts(theta, X)
    assert_allclose(est.predict_dist(X).median, stats.weibull_min(k, scale=lam).median(),
                    rtol=1e-3)  # fmt: skip


def test_log_normal_no_hidden_layer_medians_equal_a_direct_censored_fit():
    X, y, event = _survival_data(seed=1)

    def parts(theta, Xs):
        return theta[0] + Xs @ theta[1:3], _softplus(theta[3] + Xs @ theta[4:6])

    def logpdf(t, theta, Xs):
        mu, s = parts(theta, Xs)
        return stats.lognorm.logpdf(t, s, scale=np.exp(mu))

    def logsf(t, theta, Xs):
        mu, s = parts(theta, Xs)
        return stats.lognorm.logsf(t, s, scale=np.exp(mu))

    theta, best = _direct_fit(X, y, event, logpdf, logsf, np.array([1.0, 0, 0, 0.5, 0, 0]))
    est = MLPRegressor(family="log-normal", hidden_layer_sizes=(), solver="lbfgs",
                       dtype="float64", max_iter=5000, tol=1e-14, random_state=0).fit(X, y)
    assert_allclose(est.score_nll(X, y), best, rtol=1e-8)
    mu, _ = parts(theta, X)
    assert_allclose(est.predict_dist(X).icdf(0.5), np.exp(mu), rtol=1e-3)


# ------------------------------------------------------------- Harrell's C
def brute_force_c(time, event, predicted):
    concordant = ties = comparable = 0.0
    n = len(time)
    for i in range(n):
        if not event[i]:
            continue
        for j in range(n):
            if time[i] < time[j] or (time[i] == time[j] and not event[j] and i != j):
                comparable += 1
                if predicted[i] < predicted[j]:
                    concordant += 1
                elif predicted[i] == predicted[j]:
                    ties += 1
    return (concordant + 0.5 * ties) / comparable


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans(), st.integers(0, 4)),
                min_size=2, max_size=25))
def test_concordance_index_is_the_pairwise_count(rows):
    time, event, predicted = (np.array(c) for c in zip(*rows))
    try:
        expected = brute_force_c(time, event, predicted)
    except ZeroDivisionError:
        with pytest.raises(ValueError, match="no comparable pair"):
            probnn.concordance_index(time, event, predicted)
        return
    assert probnn.concordance_index(time, event, predicted) == pytest.approx(expected, abs=1e-12)


def test_concordance_index_extremes_and_errors():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    e = np.ones(4)
    assert probnn.concordance_index(t, e, t) == 1.0
    assert probnn.concordance_index(t, e, -t) == 0.0
    assert probnn.concordance_index(t, e, np.zeros(4)) == 0.5
    with pytest.raises(ValueError, match="event must be 1"):
        probnn.concordance_index(t, [1, 2, 0, 1], t)
    with pytest.raises(ValueError, match="same shape"):
        probnn.concordance_index(t, e, t[:3])


def test_weibull_fit_orders_the_held_out_rows():
    X, y, event = _survival_data(seed=2, n=600)
    est = MLPRegressor(family="weibull", hidden_layer_sizes=(), solver="lbfgs",
                       random_state=0).fit(X[:400], y[:400])
    c = probnn.concordance_index(y[400:, 0], event[400:], est.predict_dist(X[400:]).median)
    # the true scale's own ordering, by the same count: the fit comes close to it
    truth = np.exp(0.6 * X[400:, 0] - 0.3 * X[400:, 1])
    c_truth = brute_force_c(y[400:, 0], event[400:], truth)
    assert c > c_truth - 0.02 and c > 0.6


@pytest.mark.filterwarnings("ignore:L-BFGS stopped at max_iter")
@pytest.mark.parametrize("family", ["weibull", "log-logistic", "zero-inflated-poisson"])
def test_model_file_round_trips_the_new_families(family, tmp_path):
    X, y, _ = _survival_data(seed=4, n=120)
    if family == "zero-inflated-poisson":
        y = np.floor(y[:, 0])  # counts, exact
    est = MLPRegressor(family=family, hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30,
                       random_state=0).fit(X, y)  # fmt: skip
    path = tmp_path / "model.safetensors"
    probnn.save_model(est, path)
    same = probnn.load_model(path)
    np.testing.assert_array_equal(same.predict(X), est.predict(X))
    assert same.score_nll(X, y) == est.score_nll(X, y)
