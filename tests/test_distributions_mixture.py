"""Mixture distribution against scipy.stats / numpy oracles."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from probnn.distributions import Laplace, Normal
from probnn.distributions.mixture import Mixture

LOCS = np.array([[-1.0, 0.5, 3.0], [0.0, 2.0, -4.0]])  # (K=2, batch 3)
SCALES = np.array([[0.5, 1.0, 2.0], [1.5, 0.2, 1.0]])
W = np.array([0.3, 0.7])


def _mix(weights=W):
    return Mixture([Normal(LOCS[k], SCALES[k]) for k in range(2)], weights=weights)


def _pdf(y):
    return sum(W[k] * stats.norm.pdf(y, LOCS[k], SCALES[k]) for k in range(2))


def test_log_prob_prob_cdf_match_weighted_scipy_sums():
    y = np.array([0.1, -2.0, 7.0])
    m = _mix()
    np.testing.assert_allclose(m.log_prob(y), np.log(_pdf(y)), rtol=1e-12)
    np.testing.assert_allclose(m.prob(y), _pdf(y), rtol=1e-12)
    cdf = sum(W[k] * stats.norm.cdf(y, LOCS[k], SCALES[k]) for k in range(2))
    np.testing.assert_allclose(m.cdf(y), cdf, rtol=1e-12)
    # broadcasting y of shape (4, 3) against batch (3,)
    yy = np.linspace(-3, 3, 12).reshape(4, 3)
    assert m.log_prob(yy).shape == (4, 3)
    np.testing.assert_allclose(m.log_prob(yy), np.log(_pdf(yy)), rtol=1e-12)


def test_log_prob_far_in_tail_is_finite():
    # logsumexp: pdf underflows to 0 in float64 at 60 scales, log_prob does not
    m = Mixture([Normal(0.0, 1.0), Normal(1.0, 1.0)])
    expect = np.logaddexp(stats.norm.logpdf(60.0, 0, 1), stats.norm.logpdf(60.0, 1, 1)) - np.log(2)
    np.testing.assert_allclose(m.log_prob(60.0), expect, rtol=1e-12)


def test_logits_equal_weights():
    a = Mixture([Normal(LOCS[k], SCALES[k]) for k in range(2)], logits=np.log(W) + 5.0)
    np.testing.assert_allclose(a.weights, np.broadcast_to(W[:, None], (2, 3)), rtol=1e-12)
    y = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(a.log_prob(y), np.log(_pdf(y)), rtol=1e-12)
    eq = Mixture([Normal(0.0, 1.0), Normal(2.0, 1.0)])
    np.testing.assert_allclose(eq.prob(1.0), stats.norm.pdf(1.0, 0, 1), rtol=1e-12)


def test_mean_and_variance_by_numerical_integration():
    m = _mix()
    for j in range(3):
        f = lambda y: _pdf(np.full(3, y))[j]  # noqa: E731
        pts = list(LOCS[:, j])
        mu = integrate.quad(lambda y: y * f(y), -30, 30, points=pts, limit=200)[0]
        var = integrate.quad(lambda y: (y - mu) ** 2 * f(y), -30, 30, points=pts, limit=200)[0]
        np.testing.assert_allclose(m.mean[j], mu, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(m.variance[j], var, rtol=1e-8)
        np.testing.assert_allclose(m.stddev[j], np.sqrt(var), rtol=1e-8)


@pytest.mark.parametrize("q", [1e-6, 0.05, 0.3, 0.5, 0.9, 0.999])
def test_icdf_inverts_cdf(q):
    m = _mix()
    x = m.icdf(q)
    assert x.shape == (3,)
    cdf = sum(W[k] * stats.norm.cdf(x, LOCS[k], SCALES[k]) for k in range(2))
    np.testing.assert_allclose(cdf, q, rtol=1e-10, atol=1e-14)


def test_icdf_array_levels_ends_and_one_component():
    m = _mix()
    q = np.array([0.0, 0.25, 1.0])
    x = m.icdf(q)
    assert x[0] == -np.inf and x[2] == np.inf
    # a single component reduces to its own quantile function (scipy's ppf)
    one = Mixture([Normal(LOCS[0], SCALES[0])])
    np.testing.assert_allclose(one.icdf(0.8), stats.norm.ppf(0.8, LOCS[0], SCALES[0]), rtol=1e-12)
    # equal components: any quantile is the component's
    two = Mixture([Laplace(1.0, 2.0), Laplace(1.0, 2.0)])
    np.testing.assert_allclose(two.icdf(0.1), stats.laplace.ppf(0.1, 1.0, 2.0), rtol=1e-12)


def test_icdf_mixed_families():
    m = Mixture([Normal(0.0, 1.0), Laplace(3.0, 0.5)], weights=[0.6, 0.4])
    x = m.icdf(np.array([0.1, 0.5, 0.95]))
    cdf = 0.6 * stats.norm.cdf(x) + 0.4 * stats.laplace.cdf(x, 3.0, 0.5)
    np.testing.assert_allclose(cdf, [0.1, 0.5, 0.95], rtol=1e-10)


def test_sample_shape_and_moments():
    m = _mix()
    s = m.sample(40000, random_state=0)
    assert s.shape == (40000, 3)
    # Monte Carlo: 5 standard errors
    sd = np.sqrt(m.variance)
    assert np.all(np.abs(s.mean(0) - m.mean) < 5 * sd / np.sqrt(40000))
    # fraction below the median of the mixture is 1/2 within 5 binomial standard errors
    med = m.icdf(0.5)
    assert np.all(np.abs((s < med).mean(0) - 0.5) < 5 * 0.5 / np.sqrt(40000))


def test_float32_components_give_float32():
    m = Mixture([Normal(np.zeros(2, np.float32), np.ones(2, np.float32))] * 2)
    assert m.log_prob(np.zeros(2)).dtype == np.float32
    assert m.mean.dtype == np.float32


@pytest.mark.parametrize("kwargs, match", [
    (dict(components=[]), "non-empty list"),
    (dict(components=[Normal(0.0, 1.0)], weights=[-1.0]), ">= 0"),
    (dict(components=[Normal(0.0, 1.0)] * 2, weights=[1.0, 1.0, 1.0]), "length 2"),
    (dict(components=[Normal(0.0, 1.0)] * 2, weights=[0.5, 0.5], logits=[0.0, 0.0]), "both"),
    (dict(components=[Normal(np.zeros(2), 1.0), Normal(np.zeros(3), 1.0)]), "broadcastable"),
])
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Mixture(**kwargs)


def test_components_of_broadcastable_batch_shapes():
    m = Mixture([Normal(0.0, 1.0), Normal(np.array([1.0, 2.0]), 2.0)])
    assert m.batch_shape == (2,)
    y = np.array([0.5, -1.0])
    pdf = 0.5 * stats.norm.pdf(y, 0, 1) + 0.5 * stats.norm.pdf(y, [1.0, 2.0], 2.0)
    np.testing.assert_allclose(m.log_prob(y), np.log(pdf), rtol=1e-12)
    np.testing.assert_allclose(m.mean, [0.5, 1.0], rtol=1e-12)
    x = m.icdf(0.7)
    cdf = 0.5 * stats.norm.cdf(x) + 0.5 * stats.norm.cdf(x, [1.0, 2.0], 2.0)
    np.testing.assert_allclose(cdf, 0.7, rtol=1e-10)
    assert m.sample(3, random_state=0).shape == (3, 2)


# ------------------------------------------------------ a mixture of laws on the integers
@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), q=st.floats(1e-6, 1 - 1e-6))
def test_a_count_mixtures_quantile_is_the_smallest_integer_reaching_the_level(seed, q):
    # oracle: scipy's negative-binomial and Poisson cdfs summed on a lattice, the first
    # integer whose mixture cdf reaches q (the quantile of a law on the integers)
    from probnn.distributions import NegativeBinomial, Poisson

    rng = np.random.default_rng(seed)
    n = 6
    mu = np.exp(rng.normal(2.0, 1.5, (3, n)))
    alpha = rng.uniform(0.05, 1.5, n)
    w = rng.dirichlet(np.ones(3))
    mix = Mixture([NegativeBinomial(mean=mu[0], dispersion=alpha), Poisson(mu[1]),
                   NegativeBinomial(mean=mu[2], dispersion=alpha)], weights=w)  # fmt: skip
    k = np.arange(20_000)[:, None]
    r = 1 / alpha
    cdf = (w[0] * stats.nbinom.cdf(k, r, r / (r + mu[0])) + w[1] * stats.poisson.cdf(k, mu[1])
           + w[2] * stats.nbinom.cdf(k, r, r / (r + mu[2])))  # fmt: skip
    got = mix.icdf(np.full(n, q))
    near = np.min(np.abs(cdf - q), axis=0) > 1e-9  # no lattice value within rounding of q
    np.testing.assert_array_equal(got[near], np.argmax(cdf >= q, axis=0)[near])
    assert np.all(got == np.floor(got))
    # the lattice cdf the CRPS sums is the same law's cdf
    np.testing.assert_allclose(mix.lattice_cdf(50), cdf[:50], rtol=1e-10, atol=1e-14)


def test_a_count_mixtures_quantile_with_components_far_apart():
    # issue 22: the quantile is searched on the mixture's own cdf from its normal guess (no
    # longer bracketed by the components' own quantiles); rows whose components lie far apart
    # (two modes, the guess between them) or whose counts are near 0 or in the thousands.
    # Oracle: scipy's cdfs summed on a lattice, the first integer whose cdf reaches q
    from probnn.distributions import NegativeBinomial

    mu = np.array([[5.0, 0.05, 3000.0, 40.0], [5000.0, 2.0, 3100.0, 40.0]])
    alpha = np.array([[0.02, 1.0, 0.7, 0.0], [0.05, 0.3, 0.01, 0.0]])
    w = np.array([[0.5, 0.9, 0.3, 0.4], [0.5, 0.1, 0.7, 0.6]])
    comps = [NegativeBinomial(mean=mu[c], dispersion=alpha[c]) for c in range(2)]
    mix = Mixture(comps, weights=w)
    k = np.arange(200_000)[:, None]
    cdf = np.zeros((k.size, mu.shape[1]))
    for c in range(2):
        r = 1.0 / np.where(alpha[c] > 0, alpha[c], 1.0)
        nb = stats.nbinom.cdf(k, r, r / (r + mu[c]))
        cdf += w[c] * np.where(alpha[c] > 0, nb, stats.poisson.cdf(k, mu[c]))
    for q in (1e-10, 0.01, 0.3, 0.5, 0.51, 0.9, 0.999, 1 - 1e-10):
        got = mix.icdf(np.full(mu.shape[1], q))
        near = np.min(np.abs(cdf - q), axis=0) > 1e-9  # no lattice value within rounding of q
        np.testing.assert_array_equal(got[near], np.argmax(cdf >= q, axis=0)[near])
