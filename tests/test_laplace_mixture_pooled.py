"""A mixture family's Laplace Monte Carlo predictive: one mixture of the draws' components.

The predictive of S draws of a K-component mixture family is a mixture of S mixtures; it is
built as the one mixture of S K components with weights ``pi_sk / S`` (the same law), so its
quantiles bracket with the components' closed-form quantiles and bisect one weighted sum of
cdfs, evaluated at once, where each draw's mixture was bisected inside every step of the
outer bisection (a 300-row mixture-normal fit's report: minutes).

Oracles: the law written out with scipy.stats (cdf, density, mean, variance; quantiles by
the written-out cdf), and the nested mixture of the family's distributions at the same draws.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from probnn import LaplaceApproximation, MLPRegressor
from probnn.distributions import Mixture, Normal
from probnn.laplace import _pooled


def _draws(rng, S, K, n):
    loc = rng.normal(scale=3.0, size=(S, K, n))
    scale = np.exp(rng.normal(size=(S, K, n)))
    logits = rng.normal(scale=2.0, size=(S, K, n))
    draws = [Mixture([Normal(loc[s, k], scale[s, k]) for k in range(K)], logits=logits[s])
             for s in range(S)]  # fmt: skip
    w = np.exp(logits - logsumexp(logits, axis=1, keepdims=True)) / S  # (S, K, n)
    return draws, loc, scale, w


@settings(max_examples=40, deadline=None)
@given(S=st.integers(1, 6), K=st.integers(1, 4), n=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1), q=st.floats(0.001, 0.999))  # fmt: skip
def test_pooled_mixture_is_the_mixture_of_mixtures(S, K, n, seed, q):
    rng = np.random.default_rng(seed)
    draws, loc, scale, w = _draws(rng, S, K, n)
    flat = _pooled(draws)
    assert len(flat.components) == S * K and all(type(c) is Normal for c in flat.components)
    y = rng.normal(scale=4.0, size=n)

    def cdf(x):  # the law written out: sum_s sum_k w_sk Phi((x - mu_sk) / sigma_sk)
        return np.sum(w * stats.norm.cdf(x, loc, scale), axis=(0, 1))

    np.testing.assert_allclose(flat.cdf(y), cdf(y), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        flat.log_prob(y), logsumexp(np.log(w) + stats.norm.logpdf(y, loc, scale), axis=(0, 1)),
        rtol=1e-11, atol=1e-11)
    mean = np.sum(w * loc, axis=(0, 1))
    np.testing.assert_allclose(flat.mean, mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(flat.variance, np.sum(w * (scale**2 + loc**2), axis=(0, 1))
                               - mean**2, rtol=1e-9, atol=1e-9)  # fmt: skip
    # both quantiles solve F(x) = q for the law written out (where F is flat between
    # modes they may differ, both right)
    for quantile in (flat.icdf(np.full(n, q)), Mixture(draws).icdf(np.full(n, q))):
        np.testing.assert_allclose(cdf(quantile), q, rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def mixture_posterior():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = np.where(rng.random(80) < 0.5, -2.0, 2.0) + X[:, 0] + 0.3 * rng.normal(size=80)
    est = MLPRegressor(family="mixture-normal", hidden_layer_sizes=(), solver="lbfgs",
                       max_iter=100, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (L-BFGS's budget: any fitted weights serve)
        return LaplaceApproximation(est, n_samples=30, random_state=1).fit(X, y), X[:7]


def test_laplace_mixture_predictive_is_one_mixture_of_the_draws_components(mixture_posterior):
    la, X = mixture_posterior
    dist = la.predict_dist(X)
    k = la.estimator_.family_.n_components
    assert len(dist.components) == 30 * k
    assert all(type(c) is Normal for c in dist.components)
    # the oracle: the nested mixture of the family's distributions at the same draws
    mean, cov = la._raw_moments(X)
    from probnn.laplace import _view

    nested = Mixture([_view(la).family.distribution(r) for r in la._raw_samples(mean, cov)])
    y = np.linspace(-4.0, 4.0, 7)
    np.testing.assert_allclose(dist.cdf(y), nested.cdf(y), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dist.log_prob(y), nested.log_prob(y), rtol=1e-11)
    lower, upper = la.predict_interval(X, 0.9)
    np.testing.assert_allclose(nested.cdf(lower), 0.05, atol=1e-6)  # (float32 ends)
    np.testing.assert_allclose(nested.cdf(upper), 0.95, atol=1e-6)


def test_laplace_mixture_interval_evaluates_the_components_at_once(mixture_posterior,
                                                                   monkeypatch):
    """Each bisection step of the interval's quantiles is one call of the stacked Normal cdf
    (30 draws x K components at once), where the nested mixture called each draw's mixture,
    each of which called its K Normals, and bisected each draw's own quantile first."""
    la, X = mixture_posterior
    calls = []
    cdf = Normal._cdf
    monkeypatch.setattr(Normal, "_cdf", lambda self, y: calls.append(1) or cdf(self, y))
    la.predict_interval(X, 0.9)
    assert len(calls) <= 2 * 80  # two quantiles, each a bisection to float64 precision
