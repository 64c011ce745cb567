"""Zero-inflated count families and the ZeroInflated distribution.

Oracles: statsmodels' ``ZeroInflatedPoisson`` / ``ZeroInflatedNegativeBinomialP`` (p=2,
NB2) maximum-likelihood fits with the same features in the count and inflation parts;
the probability mass written out with scipy.stats (``pi + (1 - pi) p(0)`` at zero,
``(1 - pi) p(y)`` above); sums of that mass for the cdf, mean and variance; and the
Kolmogorov-type check of samples against it. The registry-wide tests
(tests/test_families.py) cover the NLL against scipy, finite differences, raw +-1e4,
dtypes and the constant model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, special, stats

from probnn import MLPRegressor
from probnn.distributions import NegativeBinomial, Poisson, ZeroInflated

sm = pytest.importorskip("statsmodels.api", reason="statsmodels is the oracle (extra 'oracle')")
from statsmodels.discrete.count_model import (  # noqa: E402
    ZeroInflatedNegativeBinomialP,
    ZeroInflatedPoisson,
)


def _pmf_table(pi, pmf):
    """P(y) for y = 0..K-1 rows (K, n) from pi (n,) and the count pmf table (K, n)."""
    out = (1 - pi) * pmf
    out[0] += pi
    return out


def test_distribution_matches_the_mixture_written_with_scipy():
    rate = np.array([0.3, 2.0, 7.5])
    logit = np.array([-1.0, 0.4, 2.0])
    pi = special.expit(logit)
    d = ZeroInflated(Poisson(rate=rate), logit)
    ys = np.arange(60)[:, None]
    table = _pmf_table(pi, stats.poisson.pmf(ys, rate))
    assert_allclose(d.log_prob(ys), np.log(table), rtol=1e-12)
    assert_allclose(d.cdf(ys), np.cumsum(table, axis=0), rtol=1e-12)
    assert_allclose(d.mean, (ys * table).sum(axis=0), rtol=1e-12)
    assert_allclose(d.variance, (ys**2 * table).sum(axis=0) - d.mean**2, rtol=1e-10)
    assert_allclose(d.zero_probability, pi, rtol=1e-15)
    assert_allclose(d.entropy(), -(table * np.log(table)).sum(axis=0), rtol=1e-10)
    # the quantile: the smallest y whose cdf reaches q
    q = np.array([0.05, 0.5, 0.93])
    cdf = np.cumsum(table, axis=0)
    expected = np.array([[np.argmax(cdf[:, j] >= qi) for j in range(3)] for qi in q])
    assert_allclose(d.icdf(q[:, None]), expected)
    assert (d.log_prob([-1.0, 0.5, np.inf]) == -np.inf).all()


def test_negative_binomial_base_and_quantiles_at_a_large_mean():
    mu, alpha, logit = np.array([3.0, 2e5]), np.array([0.5, 0.01]), np.array([0.0, -2.0])
    d = ZeroInflated(NegativeBinomial(mu, alpha), logit)
    pi = special.expit(logit)
    n, p = 1 / alpha, 1 / (1 + alpha * mu)
    for y in (0, 4, 150000):
        expected = np.where(y == 0, np.log(pi + (1 - pi) * stats.nbinom.pmf(0, n, p)),
                            np.log1p(-pi) + stats.nbinom.logpmf(y, n, p))  # fmt: skip
        assert_allclose(d.log_prob(np.full(2, y)), expected, rtol=1e-10)
    q = np.array([0.3, 0.9])
    inner = stats.nbinom.ppf(np.clip((q - pi) / (1 - pi), 0, 1), n, p)
    p0 = pi + (1 - pi) * stats.nbinom.pmf(0, n, p)
    assert_allclose(d.icdf(q), np.where(q <= p0, 0, inner))


def test_samples_follow_the_mass():
    d = ZeroInflated(Poisson(rate=np.array([3.0])), np.array([0.2]))
    draws = d.sample(20000, random_state=0)[:, 0]
    ys = np.arange(10)  # and the tail y >= 10 as one bin (its draws are too rare apart)
    freq = np.array([(draws == y).mean() for y in ys] + [(draws >= 10).mean()])
    table = _pmf_table(special.expit(0.2), stats.poisson.pmf(ys, 3.0))
    table = np.append(table, 1 - table.sum())
    # each frequency within 5 binomial standard errors
    assert (np.abs(freq - table) <= 5 * np.sqrt(table * (1 - table) / 20000) + 1e-12).all()


def _count_data(seed, n, nb=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    mu = np.exp(0.8 + 0.5 * X[:, 0] - 0.3 * X[:, 1])
    pi = special.expit(-0.5 + 0.8 * X[:, 1])
    if nb:
        counts = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))  # alpha = 1/2
    else:
        counts = rng.poisson(mu)
    y = np.where(rng.random(n) < pi, 0, counts).astype(float)
    return X, y


def _statsmodels_fit(model_cls, X, y, **kwargs):
    exog = sm.add_constant(X)
    model = model_cls(y, exog, exog_infl=exog, inflation="logit", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
        res = model.fit(start_params=res.params, method="newton", maxiter=200, disp=False)
    return res, exog


def test_zero_inflated_poisson_with_no_hidden_layer_equals_statsmodels():
    X, y = _count_data(0, 800)
    res, exog = _statsmodels_fit(ZeroInflatedPoisson, X, y)
    est = MLPRegressor(family="zero-inflated-poisson", hidden_layer_sizes=(), solver="lbfgs",
                       dtype="float64", max_iter=5000, tol=1e-12, random_state=0).fit(X, y)
    dist = est.predict_dist(X)
    assert_allclose(dist.mean, res.predict(exog, exog_infl=exog, which="mean"), rtol=1e-3)
    assert_allclose(np.exp(dist.log_prob(np.zeros(len(y)))),
                    res.predict(exog, exog_infl=exog, which="prob-zero"), rtol=1e-3)
    # the same maximum of the likelihood
    assert_allclose(-est.score_nll(X, y) * len(y), res.llf, rtol=1e-7)


def test_zero_inflated_negative_binomial_with_no_hidden_layer():
    """statsmodels' ZINB-P keeps the dispersion constant; probnn's network with no hidden
    layer makes it ``softplus`` of a linear function of the inputs, a larger model. So:
    its maximum is at least statsmodels' (the nested model), and it equals a direct
    ``scipy.optimize`` fit of the same larger model written with scipy.stats' NB pmf."""
    from scipy import optimize

    X, y = _count_data(1, 800, nb=True)
    res, exog = _statsmodels_fit(ZeroInflatedNegativeBinomialP, X, y, p=2)
    est = MLPRegressor(family="zero-inflated-negative-binomial", hidden_layer_sizes=(),
                       solver="lbfgs", dtype="float64", max_iter=5000, tol=1e-12,
                       random_state=0).fit(X, y)  # fmt: skip
    llf = -est.score_nll(X, y) * len(y)
    assert llf >= res.llf - 1e-6 * abs(res.llf)

    def parts(t):
        mu = np.exp(t[0] + X @ t[1:3])
        alpha = np.logaddexp(0, t[3] + X @ t[4:6])
        pi = special.expit(t[6] + X @ t[7:9])
        return mu, alpha, pi

    def nll(t):
        mu, alpha, pi = parts(t)
        n, p = 1 / alpha, 1 / (1 + alpha * mu)
        zero = np.logaddexp(np.log(pi), np.log1p(-pi) + stats.nbinom.logpmf(0, n, p))
        return -np.where(y == 0, zero, np.log1p(-pi) + stats.nbinom.logpmf(y, n, p)).sum()

    sm_params = np.asarray(res.params)  # inflation (3), count (3), alpha: a start
    start = np.r_[sm_params[3:6], np.log(np.expm1(sm_params[6])), 0, 0, sm_params[:3]]
    best = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-8})
    assert_allclose(llf, -best.fun, rtol=1e-7)
    mu, _, pi = parts(best.x)
    dist = est.predict_dist(X)
    assert_allclose(dist.mean, (1 - pi) * mu, rtol=1e-3)
    alpha = parts(best.x)[1]
    p0 = pi + (1 - pi) * stats.nbinom.pmf(0, 1 / alpha, 1 / (1 + alpha * mu))
    assert_allclose(np.exp(dist.log_prob(np.zeros(len(y)))), p0, rtol=1e-3)


def test_hurdle_poisson_with_no_hidden_layer_is_a_logit_and_a_truncated_poisson():
    """The hurdle likelihood splits: the zero part is a logistic regression of y == 0
    (scikit-learn's unpenalised LogisticRegression) and the count part statsmodels'
    zero-truncated Poisson regression (TruncatedLFPoisson) of the positive counts."""
    from sklearn.linear_model import LogisticRegression
    from statsmodels.discrete.truncated_model import TruncatedLFPoisson

    X, y = _count_data(2, 800)
    est = MLPRegressor(family="hurdle-poisson", hidden_layer_sizes=(), solver="lbfgs",
                       dtype="float64", max_iter=5000, tol=1e-12, random_state=0).fit(X, y)
    dist = est.predict_dist(X)
    logit = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y == 0)  # no penalty
    assert_allclose(dist.zero_probability, logit.predict_proba(X)[:, 1], rtol=1e-3)
    pos = y > 0
    exog = sm.add_constant(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trunc = TruncatedLFPoisson(y[pos], exog[pos], truncation=0).fit(
            method="newton", maxiter=200, disp=False)
    rate = np.exp(exog @ trunc.params)
    assert_allclose(dist.base.rate, rate, rtol=1e-3)
    # the mean: P(Y > 0) times the truncated Poisson's mean lambda / (1 - e^-lambda)
    assert_allclose(dist.mean, logit.predict_proba(X)[:, 0] * rate / -np.expm1(-rate), rtol=1e-3)
    # the same maximum: the two parts' log-likelihoods add up
    p0 = logit.predict_proba(X)[:, 1]
    llf_logit = np.sum(np.where(y == 0, np.log(p0), np.log1p(-p0)))
    assert_allclose(-est.score_nll(X, y) * len(y), llf_logit + trunc.llf, rtol=1e-7)


def test_hurdle_negative_binomial_with_no_hidden_layer_is_a_logit_and_a_truncated_nb2():
    """The hurdle likelihood splits: the zero part is scikit-learn's unpenalised logistic
    regression of y == 0; the count part is the zero-truncated NB2 regression of the
    positive counts, here with log alpha's softplus linear in the features as the network
    has it, maximised directly (scipy.optimize of scipy.stats' ``nbinom.logpmf - logsf(0)``).
    statsmodels' TruncatedLFNegativeBinomialP (one constant alpha, a nested model) may not
    do better."""
    from sklearn.linear_model import LogisticRegression
    from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

    rng = np.random.default_rng(4)
    X = rng.normal(size=(1200, 2))
    mu = np.exp(1.0 + 0.5 * X[:, 0] - 0.3 * X[:, 1])
    pi = special.expit(-0.5 + 0.8 * X[:, 1])
    draws = rng.negative_binomial(1 / 0.7, 1 / (1 + 0.7 * mu))  # alpha 0.7
    while (draws == 0).any():  # the truncated law: positive draws only
        again = draws == 0
        draws[again] = rng.negative_binomial(1 / 0.7, 1 / (1 + 0.7 * mu[again]))
    y = np.where(rng.random(1200) < pi, 0, draws).astype(float)
    est = MLPRegressor(family="hurdle-negative-binomial", hidden_layer_sizes=(), solver="lbfgs",
                       dtype="float64", max_iter=5000, tol=1e-12, alpha=0.0,
                       random_state=0).fit(X, y)
    dist = est.predict_dist(X)
    logit = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y == 0)
    assert_allclose(dist.zero_probability, logit.predict_proba(X)[:, 1], rtol=2e-3)
    pos = y > 0
    exog = sm.add_constant(X)

    def truncated_nll(theta):
        m = np.exp(exog[pos] @ theta[:3])
        a = np.logaddexp(0.0, exog[pos] @ theta[3:])
        n, p = 1 / a, 1 / (1 + a * m)
        return -np.sum(stats.nbinom.logpmf(y[pos], n, p) - stats.nbinom.logsf(0, n, p))

    best = optimize.minimize(truncated_nll, np.r_[1.0, 0, 0, 0, 0, 0], method="BFGS",
                             options={"gtol": 1e-8})
    assert_allclose(dist.base.mean, np.exp(exog @ best.x[:3]), rtol=2e-3)
    p0 = logit.predict_proba(X)[:, 1]
    llf_logit = np.sum(np.where(y == 0, np.log(p0), np.log1p(-p0)))
    llf = -est.score_nll(X, y) * len(y)
    assert_allclose(llf, llf_logit - best.fun, rtol=1e-7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trunc = TruncatedLFNegativeBinomialP(y[pos], exog[pos], truncation=0, p=2).fit(
            method="bfgs", maxiter=2000, disp=False)
    assert llf_logit + trunc.llf <= llf + 1e-6
    assert llf - (llf_logit + trunc.llf) < 5.0  # alpha is constant in the truth
