"""The new families' distributions (issue 10 part 2) and their raw-space kernels, against oracles.

Oracles: scipy.stats, torch.distributions, mpmath at 50 digits, direct sums worked by hand,
and scipy.optimize for maximum likelihood. (The registry-wide family tests are in
tests/test_families.py; the generic scipy comparisons in tests/test_distributions.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import optimize, stats

from probnn.distributions import Beta, Gamma, LogNormal, NegativeBinomial, Poisson
from probnn.families import get_family
from probnn.families.negative_binomial import POISSON_LIMIT_Z2

try:  # the oracle extra (CI installs it); only the tests that ask for `mp` need it
    import mpmath
except ImportError:
    mpmath = None


@pytest.fixture
def mp():
    """mpmath at 50 digits, or a skip naming the missing extra."""
    module = pytest.importorskip("mpmath")  # the default reason: strict CI fails on it
    with module.workdps(50):
        yield module


def softplus_oracle(z):
    return np.logaddexp(0.0, z)


# ------------------------------------------------------------- negative binomial
def nb_logpmf_mp(y: int, log_mu, log_alpha):
    """log P(Y = y) of NB2 at 50 digits (mpmath), from log mu and log alpha.

    log G(y + r) - log G(r) = y log r + sum_{j < y} log(1 + j alpha) for integer y, so
    log P = sum_j log1p(j alpha) + y log mu - (y + r) log1p(alpha mu) - log y!.
    """
    mu, alpha = mpmath.exp(log_mu), mpmath.exp(log_alpha)
    d = mpmath.fsum(mpmath.log1p(j * alpha) for j in range(y))
    return (d + y * mpmath.mpf(log_mu) - (y + 1 / alpha) * mpmath.log1p(alpha * mu)
            - mpmath.loggamma(y + 1))


def test_nb_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    mu, alpha = rng.uniform(0.1, 80, 20), rng.uniform(0.02, 20, 20)
    y = rng.integers(0, 150, 20).astype(float)
    ref = torch.distributions.NegativeBinomial(
        total_count=torch.tensor(1 / alpha), probs=torch.tensor(alpha * mu / (1 + alpha * mu))
    )
    dist = NegativeBinomial(mu, alpha)
    assert_allclose(dist.log_prob(y), ref.log_prob(torch.tensor(y)).numpy(), rtol=1e-10)
    assert_allclose(dist.mean, ref.mean.numpy(), rtol=1e-12)
    assert_allclose(dist.variance, ref.variance.numpy(), rtol=1e-12)
    assert_allclose(dist.total_count, 1 / alpha, rtol=1e-15)


@pytest.mark.parametrize("log_alpha", [-2.0, -4.6, -4.61, -10.0, -25.0, -60.0, -1e4])
def test_nb_log_prob_near_the_poisson_limit_against_mpmath(log_alpha, mp):
    # scipy's gammaln difference loses digits for huge r; 50-digit arithmetic does not
    y = np.array([0, 1, 2, 7, 40, 300, 5000])
    log_mu = np.array([0.3, -2.0, 1.0, 2.0, 3.5, 5.7, 8.5])
    dist = NegativeBinomial(np.exp(log_mu), math.exp(log_alpha))
    expected = [float(nb_logpmf_mp(int(k), m, log_alpha)) for k, m in zip(y, log_mu)]
    # terms of size y log y ~ 4e4 cancel to ~6 at y = 5000: an absolute 1e-11 is float64 rounding
    assert_allclose(dist.log_prob(y), expected, rtol=1e-12, atol=2e-11)


def test_nb_at_zero_dispersion_is_the_poisson():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.1, 40, 10)
    y = rng.integers(0, 60, 10).astype(float)
    dist = NegativeBinomial(mu, 0.0)
    assert_allclose(dist.log_prob(y), stats.poisson.logpmf(y, mu), rtol=1e-13)
    assert_allclose(dist.cdf(y), stats.poisson.cdf(y, mu), rtol=1e-13)
    assert_array_equal(dist.icdf(0.7), stats.poisson.ppf(0.7, mu))
    assert np.all(np.isinf(dist.total_count))


def test_nb_zero_mean_is_the_point_mass_at_zero():
    dist = NegativeBinomial(0.0, [0.0, 0.5, 1e4])
    assert_array_equal(dist.log_prob(0.0), [0.0, 0.0, 0.0])
    assert_array_equal(dist.log_prob(3.0), [-np.inf] * 3)
    assert_array_equal(dist.cdf(0.0), [1.0] * 3)


def test_nb_off_support_and_extreme_parameters():
    dist = NegativeBinomial([3.0, 1e300, 1e-300], [0.5, 1e4, 1e-300])
    assert np.all(dist.log_prob([-1.0, 2.5, np.inf]) == -np.inf)
    assert not np.isnan(dist.log_prob([4.0, 4.0, 4.0])).any()
    assert np.isfinite(dist.log_prob([4.0, 4.0, 4.0])).all()


def test_nb_construction_validates():
    with pytest.raises(ValueError, match="dispersion must be finite and >= 0; found -1"):
        NegativeBinomial(1.0, -1.0)
    with pytest.raises(ValueError, match="mean must be finite and >= 0; found inf"):
        NegativeBinomial(np.inf, 1.0)
    with pytest.raises(ValueError, match=r"fit expects non-negative integer counts.*2.5.*row \[1\]"):
        NegativeBinomial.fit([1, 2.5, 3])


@settings(max_examples=80, deadline=None)
@given(mu=st.floats(1e-3, 1e4), log_alpha=st.floats(-30, 8), q=st.floats(0.0, 1.0))
def test_nb_icdf_is_the_smallest_count_reaching_q(mu, log_alpha, q):
    alpha = math.exp(log_alpha)
    dist = NegativeBinomial(mu, alpha)
    k = float(dist.icdf(q))
    if q == 1.0:
        assert k == np.inf
        return
    assert k == math.floor(k) and k >= 0
    assert dist.cdf(k) >= q
    assert k == 0 or dist.cdf(k - 1) < q


@settings(max_examples=60, deadline=None)
@given(mu=st.floats(1e-2, 50), log_alpha=st.floats(-20, 3))
def test_nb_pmf_sums_to_one_and_mean_matches(mu, log_alpha):
    alpha = math.exp(log_alpha)
    dist = NegativeBinomial(mu, alpha)
    k = np.arange(float(dist.icdf(1 - 1e-14)) + 1)
    p = dist.prob(k)
    assert np.isfinite(dist.log_prob(k)).all()
    assert_allclose(p.sum(), 1.0, rtol=1e-10)
    assert_allclose(np.sum(k * p), mu, rtol=1e-8)


def test_nb_sample_moments():
    mu, alpha = np.array([0.5, 4.0, 30.0, 7.0]), np.array([2.0, 0.5, 0.05, 0.0])
    n = 200_000
    draws = NegativeBinomial(mu, alpha).sample((n,), random_state=0)
    assert draws.shape == (n, 4) and np.all(draws == np.floor(draws)) and np.all(draws >= 0)
    refs = [stats.nbinom(1 / a, 1 / (1 + a * m)) for m, a in zip(mu[:3], alpha[:3])]
    refs.append(stats.poisson(mu[3]))
    var = np.array([ref.var() for ref in refs])
    kurt = np.array([float(ref.stats(moments="k")) for ref in refs])  # excess kurtosis
    # sample mean and variance within 5 of their standard errors
    assert np.all(np.abs(draws.mean(axis=0) - mu) < 5 * np.sqrt(var / n))
    assert np.all(np.abs(draws.var(axis=0) - var) < 5 * var * np.sqrt((kurt + 2) / n))


def test_nb_fit_against_optimizer():
    rng = np.random.default_rng(3)
    y = rng.negative_binomial(1.5, 0.2, 300).astype(float)  # mu = 6, alpha = 2/3
    w = rng.uniform(0.2, 3.0, 300)
    fit = NegativeBinomial.fit(y, sample_weight=w)

    def nll(theta):
        mu, alpha = np.exp(theta)
        return -np.sum(w * stats.nbinom.logpmf(y, 1 / alpha, 1 / (1 + alpha * mu)))

    res = optimize.minimize(nll, [1.0, 0.0], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    assert_allclose([fit.mean, fit.dispersion], np.exp(res.x), rtol=1e-6)
    assert_allclose(fit.mean, np.sum(w * y) / np.sum(w), rtol=1e-14)  # the weighted mean


def test_nb_fit_without_overdispersion_is_the_poisson():
    # variance 2/3 < mean 2 (hand-worked): the likelihood increases towards alpha = 0
    y = [1, 2, 3] * 10
    fit = NegativeBinomial.fit(y)
    assert float(fit.dispersion) == 0.0
    assert_allclose(fit.mean, 2.0, rtol=1e-15)
    assert_allclose(fit.log_prob(np.array(y)), Poisson(rate=2.0).log_prob(np.array(y)), rtol=1e-14)
    assert NegativeBinomial.fit(np.array(y, dtype=np.float32)).mean.dtype == np.float32


# --------------------------------------------------------- negative-binomial family
def test_nb_family_gradient_near_the_poisson_limit_against_mpmath(mp):
    # d nll / d z2 is O(alpha) there: finite differences of the NLL cannot resolve it
    family = get_family("negative-binomial")
    raw = np.array([[1.0, -15.0], [3.0, -25.0], [-2.0, -40.0], [6.0, -19.0], [0.5, -21.0]])
    y = np.array([5.0, 12.0, 0.0, 300.0, 1.0])
    grad = family.gradient(raw, y)
    for i in range(len(y)):
        z1, z2 = (mpmath.mpf(v) for v in raw[i])

        def nll(a, b):
            return -nb_logpmf_mp(int(y[i]), a, mpmath.log(mpmath.log1p(mpmath.exp(b))))

        expected = [mpmath.diff(lambda a: nll(a, z2), z1), mpmath.diff(lambda b: nll(z1, b), z2)]
        assert_allclose(grad[i], [float(e) for e in expected], rtol=1e-9)
        assert_allclose(family.nll(raw[i:i + 1], y[i:i + 1]), [float(nll(z1, z2))], rtol=1e-13)


def test_nb_family_mean_gradient_by_hand():
    # d nll / d z1 = (mu - y) / (1 + alpha mu): mu = e, alpha = softplus(0.5)
    family = get_family("negative-binomial")
    mu, alpha = math.e, float(softplus_oracle(0.5))
    grad = family.gradient(np.array([[1.0, 0.5]]), [4])
    assert_allclose(grad[0, 0], (mu - 4) / (1 + alpha * mu), rtol=1e-13)


def test_nb_family_tends_to_the_poisson_family():
    rng = np.random.default_rng(4)
    z1 = rng.uniform(-3, 5, 30)
    y = rng.poisson(np.exp(z1))
    poisson = get_family("poisson").nll(z1, y)
    raw = np.column_stack([z1, np.full(30, -1e4)])
    nb = get_family("negative-binomial")
    assert_allclose(nb.nll(raw, y), poisson, rtol=1e-13)
    assert_allclose(nb.gradient(raw, y)[:, 0], get_family("poisson").gradient(z1, y), rtol=1e-12,
                    atol=1e-14)


def test_nb_family_constant_raw_without_overdispersion():
    family = get_family("negative-binomial")
    y = [1, 2, 3] * 10
    theta = family.constant_raw(y)
    assert_allclose(theta, [math.log(2.0), POISSON_LIMIT_Z2], rtol=1e-15)
    # the summed NLL only decreases towards the Poisson limit there
    totals = [family.nll(np.tile([theta[0], z2], (30, 1)), y).sum() for z2 in (-5.0, -10.0, -20.0)]
    assert totals[0] > totals[1] >= totals[2]
    zeros = family.constant_raw([0, 0, 0])
    assert zeros[0] == -np.inf and np.isfinite(zeros[1])


def test_nb_family_parameter_columns():
    family = get_family("negative-binomial")
    raw = np.array([[0.0, 0.0], [1.0, -3.0]])
    cols = family.parameter_columns(family.distribution(raw))
    assert_allclose(cols["mean"], np.exp(raw[:, 0]), rtol=1e-15)
    assert_allclose(cols["dispersion"], softplus_oracle(raw[:, 1]), rtol=1e-15)


# ------------------------------------------------------------------------ gamma
def test_gamma_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    k, rate = rng.uniform(0.05, 50, 20), rng.uniform(0.01, 20, 20)
    y = rng.gamma(k, 1 / rate) + 1e-300
    ref = torch.distributions.Gamma(torch.tensor(k), torch.tensor(rate))
    dist = Gamma(k, rate)
    assert_allclose(dist.log_prob(y), ref.log_prob(torch.tensor(y)).numpy(), rtol=1e-10)
    # torch's igamma agrees with scipy's to ~1e-9 (scipy: tests/test_distributions.py, 1e-9)
    assert_allclose(dist.cdf(y), ref.cdf(torch.tensor(y)).numpy(), rtol=1e-8, atol=1e-15)
    assert_allclose(dist.mean, ref.mean.numpy(), rtol=1e-14)
    assert_allclose(dist.variance, ref.variance.numpy(), rtol=1e-14)
    assert_allclose(dist.entropy(), ref.entropy().numpy(), rtol=1e-10, atol=1e-13)


def test_gamma_off_support_and_validation():
    dist = Gamma(2.0, 1.0)
    assert np.all(dist.log_prob([0.0, -1.0, np.inf]) == -np.inf)
    assert_array_equal(dist.cdf([-1.0, 0.0]), [0.0, 0.0])
    with pytest.raises(ValueError, match="concentration must be finite and > 0; found 0"):
        Gamma(0.0, 1.0)
    expected = r"Gamma.fit expects positive observations; found -1, 0 at rows \[0, 2\]"
    with pytest.raises(ValueError, match=expected):
        Gamma.fit([-1.0, 2.0, 0.0])
    with pytest.raises(ValueError, match="MLE shape would be infinite"):
        Gamma.fit([2.0, 2.0, 2.0])


@settings(max_examples=80, deadline=None)
@given(log_k=st.floats(-4, 8), log_rate=st.floats(-10, 10), q=st.floats(1e-6, 1 - 1e-6))
@example(log_k=-3.97, log_rate=0.0, q=1e-6)  # a subnormal quantile (failed before)
def test_gamma_cdf_inverts_icdf(log_k, log_rate, q):
    k = math.exp(log_k)
    dist = Gamma(k, math.exp(log_rate))
    y = float(dist.icdf(q))
    if y < np.finfo(np.float64).tiny:
        # below the normal float range: P(k, x) ~ x^k / G(k + 1) puts the quantile under
        # 1e-300, where it is 0 or a subnormal with few significant bits (2.2e-318 carries
        # 1 part in 1e6, so its cdf cannot match q to 1e-8: hypothesis found k = e^-3.97)
        assert (math.log(q) + math.lgamma(k + 1)) / k - log_rate < math.log(1e-300)
        return
    assert np.isfinite(dist.log_prob(y))
    assert_allclose(dist.cdf(y), q, rtol=1e-8)


def test_gamma_sample_moments():
    k, rate = np.array([0.3, 2.0, 40.0]), np.array([1.0, 0.5, 8.0])
    n = 200_000
    draws = Gamma(k, rate).sample((n,), random_state=1)
    assert np.all(draws > 0)
    refs = [stats.gamma(a, scale=1 / b) for a, b in zip(k, rate)]
    var = np.array([r.var() for r in refs])
    kurt = np.array([float(r.stats(moments="k")) for r in refs])
    assert np.all(np.abs(draws.mean(axis=0) - k / rate) < 5 * np.sqrt(var / n))
    assert np.all(np.abs(draws.var(axis=0) - var) < 5 * var * np.sqrt((kurt + 2) / n))


def test_gamma_fit_against_scipy():
    rng = np.random.default_rng(6)
    y = rng.gamma(3.0, 2.0, 400)
    a, _, scale = stats.gamma.fit(y, floc=0)
    fit = Gamma.fit(y)
    assert_allclose([fit.concentration, fit.rate], [a, 1 / scale], rtol=1e-6)
    # weighted: the optimum of the weighted scipy log-density
    w = rng.uniform(0.2, 3.0, 400)
    fit = Gamma.fit(y, sample_weight=w)
    res = optimize.minimize(
        lambda t: -np.sum(w * stats.gamma.logpdf(y, np.exp(t[0]), scale=np.exp(-t[1]))),
        [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    assert_allclose([fit.concentration, fit.rate], np.exp(res.x), rtol=1e-6)


def gamma_nll_mp(y, z1, z2):
    """The gamma family's NLL at 50 digits: k = softplus(z2), rate k / exp(z1)."""
    y, z1, z2 = (mpmath.mpf(v) for v in (y, z1, z2))
    k = mpmath.log1p(mpmath.exp(z2))
    rate = k / mpmath.exp(z1)
    return -(k * mpmath.log(rate) + (k - 1) * mpmath.log(y) - rate * y - mpmath.loggamma(k))


def test_gamma_family_against_mpmath_where_terms_cancel(mp):
    # y = mu exactly (v = 1), y close to mu, huge and tiny shapes, the k = 10 series boundary
    family = get_family("gamma")
    raw = np.array([[0.0, 50.0], [1.0, 9.0], [1.0, 10.0], [2.0, 1e3], [0.5, -30.0],
                    [-3.0, 4.0], [3.0, -700.0], [0.0, 9.99995], [0.0, 10.00005]])
    y = np.array([1.0, math.e * 1.001, math.e * 0.97, math.exp(2.0), 7.0, 2.5, 0.3, 0.4, 0.4])
    loss, grad = family.loss_gradient(raw, y)
    for i in range(len(y)):
        expected = gamma_nll_mp(y[i], raw[i, 0], raw[i, 1])
        assert_allclose(loss[i], float(expected), rtol=1e-12, atol=1e-13)
        d1 = mpmath.diff(lambda a: gamma_nll_mp(y[i], a, raw[i, 1]), raw[i, 0])
        d2 = mpmath.diff(lambda b: gamma_nll_mp(y[i], raw[i, 0], b), raw[i, 1])
        # atol: log(y) - z1 is rounded to 0 at y = fl(e^2), where the exact dL/dz1 is k * 1e-17
        assert_allclose(grad[i], [float(d1), float(d2)], rtol=1e-9, atol=1e-12)


def test_gamma_family_constant_raw_for_equal_targets_is_infinite_shape():
    theta = get_family("gamma").constant_raw([2.0, 2.0, 2.0])
    assert_allclose(theta[0], math.log(2.0), rtol=1e-15) and theta[1] == np.inf
    assert theta[1] == np.inf


# ------------------------------------------------------------------- log-normal
def test_lognormal_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    loc, scale = rng.normal(0, 3, 20), rng.uniform(0.05, 3, 20)
    y = rng.lognormal(loc, scale)
    ref = torch.distributions.LogNormal(torch.tensor(loc), torch.tensor(scale))
    dist = LogNormal(loc, scale)
    assert_allclose(dist.log_prob(y), ref.log_prob(torch.tensor(y)).numpy(), rtol=1e-12)
    assert_allclose(dist.cdf(y), ref.cdf(torch.tensor(y)).numpy(), rtol=1e-10)
    q = rng.uniform(0.01, 0.99, 20)
    assert_allclose(dist.icdf(q), ref.icdf(torch.tensor(q)).numpy(), rtol=1e-10)
    assert_allclose(dist.mean, ref.mean.numpy(), rtol=1e-13)
    assert_allclose(dist.variance, ref.variance.numpy(), rtol=1e-12)
    assert_allclose(dist.entropy(), ref.entropy().numpy(), rtol=1e-12, atol=1e-14)


def test_lognormal_off_support_fit_and_validation():
    dist = LogNormal(0.0, 1.0)
    assert np.all(dist.log_prob([0.0, -1.0, np.inf]) == -np.inf)
    assert_array_equal(dist.cdf([-1.0, 0.0]), [0.0, 0.0])
    rng = np.random.default_rng(8)
    y = rng.lognormal(1.0, 0.4, 300)
    s, _, scale = stats.lognorm.fit(y, floc=0)
    fit = LogNormal.fit(y)
    assert_allclose([fit.loc, fit.scale], [math.log(scale), s], rtol=1e-6)
    with pytest.raises(ValueError, match=r"expects positive observations; found 0 at row \[1\]"):
        LogNormal.fit([1.0, 0.0])
    with pytest.raises(ValueError, match="scale would be 0"):
        LogNormal.fit([2.0, 2.0])


@settings(max_examples=80, deadline=None)
@given(loc=st.floats(-20, 20), log_scale=st.floats(-5, 1.5), q=st.floats(1e-9, 1 - 1e-9))
def test_lognormal_cdf_inverts_icdf(loc, log_scale, q):
    dist = LogNormal(loc, math.exp(log_scale))
    y = float(dist.icdf(q))
    assert y > 0 and np.isfinite(dist.log_prob(y))
    assert_allclose(dist.cdf(y), q, rtol=1e-8)


def test_lognormal_sample_moments():
    loc, scale = np.array([0.0, 2.0, -1.0]), np.array([0.2, 0.5, 1.0])
    n = 200_000
    draws = LogNormal(loc, scale).sample((n,), random_state=2)
    logs = np.log(draws)
    # log Y is Normal(loc, scale): its sample mean and variance (variance SE sqrt(2/n) scale^2)
    assert np.all(np.abs(logs.mean(axis=0) - loc) < 5 * scale / np.sqrt(n))
    assert np.all(np.abs(logs.var(axis=0) - scale**2) < 5 * scale**2 * np.sqrt(2 / n))


def test_lognormal_family_is_normal_of_log_y_plus_jacobian():
    rng = np.random.default_rng(9)
    raw = rng.normal(0, 2, (25, 2))
    y = rng.lognormal(0.0, 2.0, 25)
    family, normal = get_family("log-normal"), get_family("normal")
    assert_allclose(family.nll(raw, y), normal.nll(raw, np.log(y)) + np.log(y), rtol=1e-13)
    assert_allclose(family.gradient(raw, y), normal.gradient(raw, np.log(y)), rtol=1e-13)
    sigma = softplus_oracle(raw[:, 1])
    expected_mean = stats.lognorm.mean(sigma, scale=np.exp(raw[:, 0]))
    assert_allclose(family.mean(raw), expected_mean, rtol=1e-12)
    # constant model: mean and (divide-by-n) sd of log y, worked by hand for y = 1, e^2
    theta = family.constant_raw([1.0, math.exp(2.0)])
    assert_allclose([theta[0], softplus_oracle(theta[1])], [1.0, 1.0], rtol=1e-14)


# ------------------------------------------------------------------------- beta
def test_beta_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    a, b = rng.uniform(0.1, 40, 20), rng.uniform(0.1, 40, 20)
    y = np.clip(rng.beta(a, b), 1e-12, 1 - 1e-12)
    ref = torch.distributions.Beta(torch.tensor(a), torch.tensor(b))
    dist = Beta(a, b)
    assert_allclose(dist.log_prob(y), ref.log_prob(torch.tensor(y)).numpy(), rtol=1e-9)
    assert_allclose(dist.mean, ref.mean.numpy(), rtol=1e-14)
    assert_allclose(dist.variance, ref.variance.numpy(), rtol=1e-13)
    assert_allclose(dist.entropy(), ref.entropy().numpy(), rtol=1e-9, atol=1e-12)


def test_beta_off_support_and_validation():
    dist = Beta(2.0, 3.0)
    assert np.all(dist.log_prob([0.0, 1.0, -0.5, 1.5, np.nan]) == -np.inf)
    assert_array_equal(dist.cdf([-1.0, 0.0, 1.0, 2.0]), [0.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="concentration0 must be finite and > 0; found -1"):
        Beta(1.0, -1.0)
    with pytest.raises(ValueError, match=r"strictly between 0 and 1; found 1 at row \[2\]"):
        Beta.fit([0.2, 0.5, 1.0])
    with pytest.raises(ValueError, match="MLE is at infinity"):
        Beta.fit([0.3, 0.3])


@settings(max_examples=80, deadline=None)
@given(log_a=st.floats(-3, 6), log_b=st.floats(-3, 6), q=st.floats(1e-6, 1 - 1e-6))
def test_beta_cdf_inverts_icdf(log_a, log_b, q):
    dist = Beta(math.exp(log_a), math.exp(log_b))
    y = float(dist.icdf(q))
    assert 0 <= y <= 1
    if 0 < y < 1:
        assert np.isfinite(dist.log_prob(y))
        # right to a few units in the last place of y: near 0 or 1 a float cannot resolve y
        # any finer, and there the cdf can be steep (Beta(1, e^-1.5) at q = 0.999: y = 1 -
        # 3.8e-14, where one step of y moves the cdf by 6e-7), so cdf(y) itself may miss q
        step = 4 * np.spacing(y)
        lo, hi = float(dist.cdf(max(y - step, 0.0))), float(dist.cdf(min(y + step, 1.0)))
        assert lo * (1 - 1e-7) <= q <= hi * (1 + 1e-7)


def test_beta_quantile_where_one_step_of_y_moves_the_cdf():
    # hypothesis found it: the old check cdf(icdf(q)) == q to 1e-7 cannot hold here; the
    # closed form for a = 1 (cdf = 1 - (1 - y)^b) says where the quantile is
    b, q = math.exp(-1.5), 0.999
    y = float(Beta(1.0, b).icdf(q))
    assert 1 - y == pytest.approx((1 - q) ** (1 / b), rel=1e-2)
    test_beta_cdf_inverts_icdf.hypothesis.inner_test(0.0, -1.5, q)


def test_beta_sample_moments():
    a, b = np.array([0.5, 2.0, 30.0]), np.array([0.5, 5.0, 10.0])
    n = 200_000
    draws = Beta(a, b).sample((n,), random_state=3)
    assert np.all((draws > 0) & (draws < 1))
    refs = [stats.beta(p, r) for p, r in zip(a, b)]
    var = np.array([ref.var() for ref in refs])
    kurt = np.array([float(ref.stats(moments="k")) for ref in refs])
    assert np.all(np.abs(draws.mean(axis=0) - a / (a + b)) < 5 * np.sqrt(var / n))
    assert np.all(np.abs(draws.var(axis=0) - var) < 5 * var * np.sqrt((kurt + 2) / n))


def test_beta_fit_against_scipy():
    rng = np.random.default_rng(11)
    y = rng.beta(2.5, 4.0, 400)
    a, b, _, _ = stats.beta.fit(y, floc=0, fscale=1)
    fit = Beta.fit(y)
    assert_allclose([fit.concentration1, fit.concentration0], [a, b], rtol=1e-5)
    w = rng.uniform(0.2, 3.0, 400)
    fit = Beta.fit(y, sample_weight=w)
    res = optimize.minimize(lambda t: -np.sum(w * stats.beta.logpdf(y, *np.exp(t))), [0.0, 0.0],
                            method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 5000})
    assert_allclose([fit.concentration1, fit.concentration0], np.exp(res.x), rtol=1e-6)


def beta_nll_mp(y, z1, z2):
    """The beta family's NLL at 50 digits: a = phi sigmoid(z1), b = phi sigmoid(-z1)."""
    y, z1, z2 = (mpmath.mpf(v) for v in (y, z1, z2))
    phi = mpmath.log1p(mpmath.exp(z2))
    a, b = phi / (1 + mpmath.exp(-z1)), phi / (1 + mpmath.exp(z1))
    log_beta = mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)
    return log_beta - (a - 1) * mpmath.log(y) - (b - 1) * mpmath.log1p(-y)


def test_beta_family_against_mpmath_where_a_or_b_underflow_or_is_tiny(mp):
    family = get_family("beta")
    raw = np.array([[40.0, 0.0], [-50.0, 3.0], [800.0, 2.0], [0.3, -60.0], [0.3, -800.0],
                    [2.0, 0.5], [-1.0, 8.0], [1.0, 1e3]])
    y = np.array([0.9, 0.2, 0.999, 0.4, 0.6, 0.7, 0.1, 0.73])
    loss, grad = family.loss_gradient(raw, y)
    for i in range(len(y)):
        expected = beta_nll_mp(y[i], raw[i, 0], raw[i, 1])
        assert_allclose(loss[i], float(expected), rtol=1e-12)
        d1 = mpmath.diff(lambda t: beta_nll_mp(y[i], t, raw[i, 1]), raw[i, 0])
        d2 = mpmath.diff(lambda t: beta_nll_mp(y[i], raw[i, 0], t), raw[i, 1])
        assert_allclose(grad[i], [float(d1), float(d2)], rtol=1e-8, atol=1e-12)


def test_beta_family_constant_raw_and_mean():
    family = get_family("beta")
    theta = family.constant_raw([0.25, 0.25, 0.25])
    assert_allclose(theta[0], math.log(1 / 3), rtol=1e-14) and theta[1] == np.inf
    assert theta[1] == np.inf
    raw = np.array([[0.5, 1.0], [-2.0, 3.0]])
    assert_allclose(family.mean(raw), 1 / (1 + np.exp(-raw[:, 0])), rtol=1e-15)
    with pytest.raises(ValueError, match=r"found 0, 1 at rows \[0, 2\]\. .*transform"):
        family.check_target([0.0, 0.5, 1.0])


# ------------------------------------------------------------ parameter columns
@pytest.mark.parametrize("name, expected", [
    ("negative-binomial", lambda z1, s: {"mean": np.exp(z1), "dispersion": s}),
    ("gamma", lambda z1, s: {"concentration": s, "rate": s / np.exp(z1)}),
    ("log-normal", lambda z1, s: {"loc": z1, "scale": s}),
    ("beta", lambda z1, s: {"concentration1": s / (1 + np.exp(-z1)),
                            "concentration0": s / (1 + np.exp(z1))}),
])
def test_parameter_columns_are_the_links_by_hand(name, expected):
    family = get_family(name)
    raw = np.array([[0.3, -1.0], [-2.0, 0.5], [1.5, 4.0]])
    cols = family.parameter_columns(family.distribution(raw))
    want = expected(raw[:, 0], softplus_oracle(raw[:, 1]))
    assert list(cols) == list(family.param_names) == list(want)
    for key in want:
        assert cols[key].shape == (3,)
        assert_allclose(cols[key], want[key], rtol=1e-14)


@pytest.mark.parametrize("need_gradient", [True, False])
def test_nb_nll_terms_of_a_row_do_not_depend_on_the_others(need_gradient):
    """``nb_nll_terms`` evaluates each regime (``alpha mu`` below or above 1; ``alpha`` below
    or above the series' threshold) only where some entry takes it. Oracle: the same rows
    evaluated among rows of the other regimes (where both branches are evaluated and
    chosen entry by entry) give the same numbers to the bit; and the gradient holds against
    central finite differences."""
    from probnn.distributions.negative_binomial import nb_nll_terms

    rng = np.random.default_rng(5)
    n = 400
    y = np.round(rng.lognormal(3.0, 1.5, n))
    y[::9] = 0.0
    log_mean = np.log(y + 0.5) + rng.normal(0.0, 1.0, n)
    log_alpha = np.where(np.arange(n) % 2 == 0, rng.normal(-8.0, 1.0, n), rng.normal(1.0, 1.0, n))
    log_mean[::4] -= 12.0  # alpha mu < 1 on these and some others
    mixed = nb_nll_terms(y, log_mean, log_alpha, need_gradient)
    t = log_mean + log_alpha
    small_alpha = np.exp(log_alpha) < 0.01
    for regime in (t <= 0, t > 0, small_alpha, ~small_alpha, (t > 0) & ~small_alpha):
        assert 0 < regime.sum() < n
        alone = nb_nll_terms(y[regime], log_mean[regime], log_alpha[regime], need_gradient)
        for got, want in zip(alone, mixed):
            if want is None:
                assert got is None
            else:
                assert_array_equal(got, want[regime])
    if need_gradient:
        h = 1e-6
        for i, d in ((1, mixed[1]), (2, mixed[2])):
            up = [log_mean, log_alpha][i - 1] + h
            down = [log_mean, log_alpha][i - 1] - h
            args_up = (y, up, log_alpha) if i == 1 else (y, log_mean, up)
            args_down = (y, down, log_alpha) if i == 1 else (y, log_mean, down)
            numeric = (nb_nll_terms(*args_up)[0] - nb_nll_terms(*args_down)[0]) / (2 * h)
            assert_allclose(d, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("y", [3e5, 1e8, 1.598e12, 1e15])
def test_nb_log_prob_of_huge_counts_is_exact(mp, y):
    """At counts of 1e5 to 1e15 ``y log mu`` and ``log y!`` are each ~``y log y`` and cancel to
    an NLL of ~15-40 nats: summed directly their roundings were the NLL's error (0.3 nats at
    1e15, 5e-4 at 1e11: noise that stalled L-BFGS on a table of counts near 1e11). Oracle:
    mpmath's log-gamma at 50 digits, at the mean the kernel sees (``exp(log mu)`` in floats),
    from the Poisson limit (``alpha = 0``) to ``alpha = 30``."""
    sd = math.sqrt(y)
    for mu in (y - 3 * sd, y, y + 2 * sd, 0.5 * y, 40.0 * y):
        for alpha in (0.0, 1e-20, 1e-13, 1e-9, 1e-3, 0.5, 30.0):
            with np.errstate(divide="ignore"):
                dist = NegativeBinomial(mean=np.array([mu]), dispersion=np.array([alpha]))
            got = dist.log_prob(np.array([y]))[0]
            m, yy = mp.mpf(float(np.exp(np.log(mu)))), mp.mpf(y)
            if alpha == 0:
                want = yy * mp.log(m) - m - mp.loggamma(yy + 1)
            else:
                r = 1 / mp.mpf(alpha)
                want = (mp.loggamma(yy + r) - mp.loggamma(r) - mp.loggamma(yy + 1)
                        + r * mp.log(r / (r + m)) + yy * mp.log(m / (r + m)))
            assert_allclose(got, float(want), rtol=1e-13, atol=1e-12,
                            err_msg=f"y={y:g}, mu={mu:g}, alpha={alpha:g}")


@pytest.mark.parametrize("y", [300.0, 1e8, 1.598e12, 1e15])
def test_poisson_log_prob_of_huge_counts_is_exact(mp, y):
    """The Poisson's ``y log mu - mu - log y!`` cancels the same ~``y log y`` terms as the NB's
    (5e-4 nats of rounding at 1e11): the distribution's and the family's NLL against mpmath at
    the rate the kernel sees (``exp(log rate)`` in floats)."""
    family = get_family("poisson")
    sd = math.sqrt(y)
    for mu in (y - 3 * sd, y, y + 2 * sd, 0.5 * y, 40.0 * y):
        log_mu = np.log(mu)
        m = mp.mpf(float(np.exp(log_mu)))
        want = float(-(y * mp.log(m) - m - mp.loggamma(mp.mpf(y) + 1)))
        got = -Poisson(rate=np.array([mu])).log_prob(np.array([y]))[0]
        assert_allclose(got, want, rtol=1e-13, atol=1e-12, err_msg=f"y={y:g}, mu={mu:g}")
        got = family.nll(np.array([[log_mu]]), np.array([y]))[0]
        assert_allclose(got, want, rtol=1e-13, atol=1e-12, err_msg=f"family: y={y:g}, mu={mu:g}")
