"""Distributions against scipy.stats, scipy.optimize and hand-worked cases."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

import probnn.distributions as D
from probnn.distributions import (Bernoulli, Categorical, Distribution, Laplace, Normal,
                                  Poisson, StudentT, bernoulli_pmf_additive,
                                  bernoulli_pmf_multiplicative, bernoulli_pmf_piecewise)

RTOL = 1e-10


# Each example: (our distribution, the scipy frozen oracle, points to evaluate at, discrete?).
def _bernoulli(rng):
    p = rng.uniform(0.05, 0.95, size=4)
    return Bernoulli(probs=p), stats.bernoulli(p), np.array([0.0, 1.0, 0.0, 1.0]), True


def _normal(rng):
    loc, scale = rng.normal(size=4) * 3, rng.uniform(0.2, 4, size=4)
    return Normal(loc, scale), stats.norm(loc, scale), rng.normal(size=4) * 4, False


def _laplace(rng):
    loc, scale = rng.normal(size=4) * 3, rng.uniform(0.2, 4, size=4)
    return Laplace(loc, scale), stats.laplace(loc, scale), rng.normal(size=4) * 4, False


def _poisson(rng):
    rate = rng.uniform(0.1, 30, size=4)
    return Poisson(rate=rate), stats.poisson(rate), rng.integers(0, 40, size=4).astype(float), True


def _studentt(rng):
    df, loc, scale = rng.uniform(2.5, 30, size=4), rng.normal(size=4), rng.uniform(0.2, 4, size=4)
    return StudentT(df, loc, scale), stats.t(df, loc, scale), rng.normal(size=4) * 4, False


SCALAR_EXAMPLES = {Bernoulli: _bernoulli, Normal: _normal, Laplace: _laplace,
                   Poisson: _poisson, StudentT: _studentt}


# --- fam1 (issue 10 part 2): the new families' distributions
def _negative_binomial(rng):
    mu, alpha = rng.uniform(0.5, 30, size=4), rng.uniform(0.05, 3, size=4)
    ref = stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))
    return D.NegativeBinomial(mu, alpha), ref, rng.integers(0, 60, size=4).astype(float), True


def _gamma(rng):
    k, rate = rng.uniform(0.3, 20, size=4), rng.uniform(0.1, 5, size=4)
    return D.Gamma(k, rate), stats.gamma(k, scale=1 / rate), rng.gamma(2.0, 2.0, size=4), False


def _lognormal(rng):
    loc, scale = rng.normal(size=4), rng.uniform(0.1, 1.5, size=4)
    return (D.LogNormal(loc, scale), stats.lognorm(scale, scale=np.exp(loc)),
            rng.lognormal(0.0, 1.0, size=4), False)


def _beta(rng):
    a, b = rng.uniform(0.3, 20, size=4), rng.uniform(0.3, 20, size=4)
    return D.Beta(a, b), stats.beta(a, b), rng.uniform(0.01, 0.99, size=4), False


def _weibull(rng):
    lam, k = rng.uniform(0.3, 5, size=4), rng.uniform(0.5, 5, size=4)
    return D.Weibull(lam, k), stats.weibull_min(k, scale=lam), rng.gamma(2.0, 1.0, size=4), False


def _loglogistic(rng):
    alpha, beta = rng.uniform(0.3, 5, size=4), rng.uniform(2.5, 8, size=4)  # finite variance
    return (D.LogLogistic(alpha, beta), stats.fisk(beta, scale=alpha), rng.gamma(2.0, 1.0, size=4),
            False)


SCALAR_EXAMPLES.update({D.NegativeBinomial: _negative_binomial, D.Gamma: _gamma,
                        D.LogNormal: _lognormal, D.Beta: _beta,
                        D.Weibull: _weibull, D.LogLogistic: _loglogistic})
# Categorical (vector-valued parameters) is covered by the named test below.
EXAMPLES = {**SCALAR_EXAMPLES, Categorical: "test_categorical_against_scipy",
            D.Mixture: "test_mixture_against_scipy",  # more in tests/test_distributions_mixture.py
            D.ZeroInflated: "test_zero_inflated_against_scipy",  # more: tests/test_zero_inflated.py
            D.Hurdle: "test_hurdle_against_scipy"}


def test_hurdle_against_scipy():
    rate, pi = np.array([0.5, 4.0]), 1 / (1 + np.exp(-np.array([-0.3, 1.1])))
    d = D.Hurdle(Poisson(rate=rate), np.array([-0.3, 1.1]))
    ys = np.arange(60)[:, None]
    mass = np.where(ys == 0, pi, (1 - pi) * stats.poisson.pmf(ys, rate) / stats.poisson.sf(0, rate))
    np.testing.assert_allclose(d.log_prob(ys), np.log(mass), rtol=RTOL)
    np.testing.assert_allclose(d.cdf(ys), np.cumsum(mass, axis=0), rtol=1e-12)
    np.testing.assert_allclose(d.mean, (ys * mass).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(d.variance, (ys**2 * mass).sum(axis=0) - d.mean**2, rtol=1e-10)
    q = np.array([0.05, 0.5, 0.93])
    cdf = np.cumsum(mass, axis=0)
    expected = np.array([[np.argmax(cdf[:, j] >= qi) for j in range(2)] for qi in q])
    np.testing.assert_allclose(d.icdf(q[:, None]), expected)
    draws = d.sample(20000, random_state=0)
    for j in range(2):
        freq = np.array([(draws[:, j] == y).mean() for y in range(6)])
        se = np.sqrt(mass[:6, j] * (1 - mass[:6, j]) / 20000)
        assert (np.abs(freq - mass[:6, j]) <= 5 * se).all()


def test_zero_inflated_against_scipy():
    d = D.ZeroInflated(Poisson(rate=np.array([0.5, 4.0])), np.array([-0.3, 1.1]))
    pi = 1 / (1 + np.exp(-np.array([-0.3, 1.1])))
    y = np.array([[0.0], [3.0]])
    mass = np.where(y == 0, pi + (1 - pi) * stats.poisson.pmf(0, [0.5, 4.0]),
                    (1 - pi) * stats.poisson.pmf(y, [0.5, 4.0]))
    np.testing.assert_allclose(d.log_prob(y), np.log(mass), rtol=RTOL)
    np.testing.assert_allclose(d.cdf(y), pi + (1 - pi) * stats.poisson.cdf(y, [0.5, 4.0]),
                               rtol=RTOL)


def test_mixture_against_scipy():
    m = D.Mixture([Normal(0.0, 1.0), Normal(3.0, 0.5)], weights=[0.25, 0.75])
    y = np.array([-1.0, 1.5, 3.2])
    pdf = 0.25 * stats.norm.pdf(y, 0, 1) + 0.75 * stats.norm.pdf(y, 3, 0.5)
    np.testing.assert_allclose(m.log_prob(y), np.log(pdf), rtol=RTOL)
    np.testing.assert_allclose(m.cdf(y), 0.25 * stats.norm.cdf(y) + 0.75 * stats.norm.cdf(y, 3, 0.5),
                               rtol=RTOL)


def test_every_exported_distribution_has_an_example():
    exported = {obj for _, obj in inspect.getmembers(D, inspect.isclass)
                if issubclass(obj, Distribution) and obj is not Distribution}
    missing = exported - set(EXAMPLES)
    assert not missing, f"no test example for {sorted(c.__name__ for c in missing)}"
    for example in EXAMPLES.values():
        assert callable(example) or callable(globals().get(example))


@pytest.mark.parametrize("cls", list(SCALAR_EXAMPLES), ids=lambda c: c.__name__)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_scipy(cls, seed):
    dist, ref, y, discrete = SCALAR_EXAMPLES[cls](np.random.default_rng(seed))
    logpdf = ref.logpmf if discrete else ref.logpdf
    np.testing.assert_allclose(dist.log_prob(y), logpdf(y), rtol=RTOL)
    np.testing.assert_allclose(dist.prob(y), np.exp(logpdf(y)), rtol=RTOL)
    np.testing.assert_allclose(dist.cdf(y), ref.cdf(y), rtol=1e-9)
    np.testing.assert_allclose(dist.mean, ref.mean(), rtol=RTOL)
    np.testing.assert_allclose(dist.variance, ref.var(), rtol=RTOL)
    np.testing.assert_allclose(dist.stddev, ref.std(), rtol=RTOL)
    np.testing.assert_allclose(dist.entropy(), ref.entropy(), rtol=1e-9)
    q = np.array([0.01, 0.3, 0.5, 0.97])
    np.testing.assert_allclose(dist.icdf(q), ref.ppf(q), rtol=1e-9)
    assert dist.batch_shape == (4,)


@pytest.mark.parametrize("cls", list(SCALAR_EXAMPLES), ids=lambda c: c.__name__)
def test_sample_shape_and_mean(cls):
    dist, ref, _, _ = SCALAR_EXAMPLES[cls](np.random.default_rng(5))
    draws = dist.sample((4000,), random_state=np.random.default_rng(0))
    assert draws.shape == (4000, 4)
    # The sample mean lies within 5 standard errors of the true mean.
    se = np.sqrt(ref.var() / 4000)
    assert np.all(np.abs(draws.mean(axis=0) - ref.mean()) < 5 * se)
    same = dist.sample((3,), random_state=7)
    np.testing.assert_array_equal(same, dist.sample((3,), random_state=7))


@pytest.mark.parametrize("cls", list(SCALAR_EXAMPLES), ids=lambda c: c.__name__)
def test_float32_in_float32_out(cls):
    dist64, _, y, _ = SCALAR_EXAMPLES[cls](np.random.default_rng(3))
    params = {k: getattr(dist64, k).astype(np.float32)
              for k in inspect.signature(cls).parameters if k not in ("logits", "log_rate")}
    dist = cls(**params)
    assert dist.dtype == np.float32
    outs = [dist.log_prob(y.astype(np.float32)), dist.prob(y), dist.cdf(y), dist.mean,
            dist.variance, dist.stddev, dist.entropy(), dist.icdf(np.float32(0.3)),
            dist.sample((2,), random_state=0)]
    for out in outs:
        assert out.dtype == np.float32
    np.testing.assert_allclose(outs[0], dist64.log_prob(y), rtol=1e-5)
    data = dist64.sample((50,), random_state=1)[:, 0]
    assert cls.fit(data.astype(np.float32)).mean.dtype == np.float32


def _weighted_nll_minimum(logpdf, x0, y, w):
    """Reference MLE: scipy.optimize.minimize of the weighted NLL built from scipy.stats."""
    res = optimize.minimize(lambda t: -np.sum(w * logpdf(y, t)), x0, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 20000})
    return res.x


def test_fit_against_optimizer():
    rng = np.random.default_rng(11)
    n = 60
    w = rng.uniform(0.2, 2.0, size=n)
    y = rng.normal(1.0, 2.0, size=n)
    m, log_s = _weighted_nll_minimum(lambda y, t: stats.norm.logpdf(y, t[0], np.exp(t[1])),
                                     [0.0, 0.0], y, w)
    fitted = Normal.fit(y, sample_weight=w)
    np.testing.assert_allclose([fitted.loc, fitted.scale], [m, np.exp(log_s)], rtol=1e-6)

    y = rng.laplace(1.0, 2.0, size=n)
    m, log_s = _weighted_nll_minimum(lambda y, t: stats.laplace.logpdf(y, t[0], np.exp(t[1])),
                                     [0.0, 0.0], y, w)
    fitted = Laplace.fit(y, sample_weight=w)
    nll = lambda d: -np.sum(w * stats.laplace.logpdf(y, d[0], d[1]))
    # loc may sit anywhere in a flat stretch; the attained likelihood must match.
    assert nll([fitted.loc, fitted.scale]) <= nll([m, np.exp(log_s)]) + 1e-8
    np.testing.assert_allclose(fitted.scale, np.exp(log_s), rtol=1e-6)

    y = rng.poisson(3.0, size=n).astype(float)
    (lr,) = _weighted_nll_minimum(lambda y, t: stats.poisson.logpmf(y, np.exp(t[0])), [0.0], y, w)
    np.testing.assert_allclose(Poisson.fit(y, sample_weight=w).rate, np.exp(lr), rtol=1e-6)

    y = (rng.random(n) < 0.3).astype(float)
    (z,) = _weighted_nll_minimum(lambda y, t: stats.bernoulli.logpmf(y, 1 / (1 + np.exp(-t[0]))),
                                 [0.0], y, w)
    np.testing.assert_allclose(Bernoulli.fit(y, sample_weight=w).probs, 1 / (1 + np.exp(-z)),
                               rtol=1e-6)

    labels = rng.integers(0, 3, size=n)
    counts = np.array([w[labels == k].sum() for k in range(3)])
    np.testing.assert_allclose(Categorical.fit(labels, sample_weight=w).probs,
                               counts / counts.sum(), rtol=1e-12)


def test_studentt_fit_against_optimizer():
    y = stats.t(4.0, 1.0, 2.0).rvs(400, random_state=3)
    fitted = StudentT.fit(y)
    res = optimize.minimize(
        lambda t: -np.sum(stats.t.logpdf(y, np.exp(t[2]), t[0], np.exp(t[1]))),
        [0.0, 0.0, 1.0], method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    ref = res.x
    np.testing.assert_allclose([fitted.loc, fitted.scale, fitted.df],
                               [ref[0], np.exp(ref[1]), np.exp(ref[2])], rtol=1e-4)


def test_worked_cases():
    assert Bernoulli.fit([0, 0, 0, 1, 0]).probs == pytest.approx(0.2, rel=1e-15)
    normal = Normal.fit([-1.0, 0.0, 1.0])
    assert normal.loc == pytest.approx(0.0, abs=1e-15)
    assert normal.scale == pytest.approx(np.sqrt(2 / 3), rel=1e-15)
    # Hand case: Laplace MLE of 1, 2, 3, 10 is any median in [2, 3] with b = (1+0+0+8... )/4
    lap = Laplace.fit([1.0, 2.0, 3.0, 10.0])
    assert 2.0 <= lap.loc <= 3.0
    assert lap.scale == pytest.approx((1.5 + 0.5 + 0.5 + 7.5) / 4)


def test_categorical_against_scipy():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(5, 4)) * 3
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    dist = Categorical(logits=logits)
    y = rng.integers(0, 4, size=5)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(dist.log_prob(y), stats.multinomial.logpmf(onehot, 1, p), rtol=RTOL)
    np.testing.assert_allclose(dist.entropy(), stats.entropy(p, axis=1), rtol=RTOL)
    np.testing.assert_allclose(dist.probs, p, rtol=1e-12)
    np.testing.assert_allclose(Categorical(probs=p).log_prob(y), np.log(p[np.arange(5), y]),
                               rtol=RTOL)
    np.testing.assert_allclose(dist.mean, p, rtol=1e-12)
    np.testing.assert_allclose(dist.variance, p * (1 - p), rtol=1e-12)
    assert dist.batch_shape == (5,)
    draws = dist.sample((3000,), random_state=0)
    assert draws.shape == (3000, 5)
    freq = np.stack([(draws == k).mean(axis=0) for k in range(4)], axis=1)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / 3000) + 1e-12)
    # Off the support: non-integer, negative, too large.
    assert np.all(dist.log_prob(np.array([0.5, -1, 4, 7, 2.2])) == -np.inf)
    assert Categorical(logits=np.float32(logits)).log_prob(y).dtype == np.float32


def test_extreme_raw_parameters_stay_finite():
    z = np.array([-1e4, 1e4])
    b = Bernoulli(logits=z)
    np.testing.assert_array_equal(b.log_prob([1.0, 0.0]), [-1e4, -1e4])
    assert np.all(np.isfinite(b.log_prob([0.0, 1.0]))) and np.all(np.isfinite(b.entropy()))
    c = Categorical(logits=np.array([[1e4, -1e4, 0.0]]))
    np.testing.assert_allclose(c.log_prob([1]), [-2e4], rtol=1e-12)
    p = Poisson(log_rate=np.array([-1e4, 300.0]))
    assert np.all(np.isfinite(p.log_prob([3.0, 5.0])))
    np.testing.assert_allclose(p.log_prob([3.0, 5.0])[0], -3e4 - np.log(6), rtol=1e-12)


def test_off_support_is_minus_inf():
    assert np.all(Bernoulli(probs=0.3).log_prob([0.5, 2.0, -1.0]) == -np.inf)
    assert np.all(Poisson(rate=2.0).log_prob([-1.0, 1.5]) == -np.inf)
    assert np.all(Poisson(rate=2.0).prob([-1.0, 1.5]) == 0)


@pytest.mark.parametrize("cls,data,bad", [
    (Bernoulli, [0, 1, 2, 0.5], ["0.5", "2", "rows [2, 3]"]),
    (Poisson, [1, -1, 2.5, 3], ["-1", "2.5", "rows [1, 2]"]),
    (Categorical, [0, 1, -2], ["-2", "row [2]"]),
    (Normal, [0.0, np.nan, 1.0], ["nan", "row [1]"]),
])
def test_fit_refuses_data_off_the_support(cls, data, bad):
    with pytest.raises(ValueError) as info:
        cls.fit(data)
    for text in bad:
        assert text in str(info.value)


@pytest.mark.parametrize("build,text", [
    (lambda: Bernoulli(probs=[0.2, 1.5]), "[0, 1]"),
    (lambda: Bernoulli(), "exactly one"),
    (lambda: Bernoulli(probs=0.2, logits=0.0), "exactly one"),
    (lambda: Poisson(rate=[-1.0]), ">= 0"),
    (lambda: Normal(0.0, [1.0, 0.0]), "> 0"),
    (lambda: Laplace(0.0, -1.0), "> 0"),
    (lambda: StudentT(0.0), "df"),
    (lambda: Categorical(probs=[0.5, 0.6]), "sum to 1"),
    (lambda: Categorical(probs=[[0.5, 0.5], [0.2, 0.7]]), "row [1]"),
])
def test_construction_validates(build, text):
    with pytest.raises(ValueError, match=None) as info:
        build()
    assert text in str(info.value)


def test_fit_with_single_value_refuses_zero_scale():
    with pytest.raises(ValueError, match="scale would be 0"):
        Normal.fit([2.0, 2.0])


def test_discrete_icdf_is_smallest_value_reaching_q():
    b = Bernoulli(probs=0.3)
    # cdf(0) = 0.7 exactly at the boundary: q = 0.7 gives 0, just above gives 1.
    np.testing.assert_array_equal(b.icdf([0.0, 0.7, 0.70001, 1.0]), [0, 0, 1, 1])
    p = Poisson(rate=2.5)
    q = np.array([0.0, 0.1, 0.5, 0.9])
    got = p.icdf(q)
    assert np.all(stats.poisson.cdf(got, 2.5) >= q)
    assert np.all((got == 0) | (stats.poisson.cdf(got - 1, 2.5) < q))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        p.icdf(1.5)


def test_bernoulli_pmf_forms():
    y = np.array([0, 1, 0, 1, 2, -1, 0.5])
    p = np.array([0.0, 0.0, 1.0, 1.0, 0.3, 0.3, 0.3])
    # Hand-worked: 0**0 = 1 gives pmf(0 | p=0) = 1 and pmf(1 | p=1) = 1.
    expected = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    for fn in (bernoulli_pmf_piecewise, bernoulli_pmf_additive, bernoulli_pmf_multiplicative):
        np.testing.assert_array_equal(fn(y, p), expected)
    ps = np.linspace(0.01, 0.99, 7)
    for yy in (0, 1):
        ref = stats.bernoulli.pmf(yy, ps)
        for fn in (bernoulli_pmf_piecewise, bernoulli_pmf_additive, bernoulli_pmf_multiplicative):
            np.testing.assert_allclose(fn(yy, ps), ref, rtol=1e-14)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        bernoulli_pmf_additive(1, 1.2)


@settings(max_examples=60, deadline=None)
@given(z=st.floats(-40, 40), y=st.sampled_from([0.0, 1.0]))
def test_bernoulli_logits_and_probs_agree(z, y):
    # Oracle: log sigmoid(+-z) = -log(1 + exp(-+z)) via numpy's logaddexp.
    expected = -np.logaddexp(0.0, -z if y == 1 else z)
    np.testing.assert_allclose(Bernoulli(logits=z).log_prob(y), expected, rtol=1e-12, atol=1e-300)
    p = 1.0 / (1.0 + np.exp(-z))
    np.testing.assert_allclose(Bernoulli(probs=p).log_prob(y), stats.bernoulli.logpmf(y, p),
                               rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(loc=st.floats(-50, 50), scale=st.floats(0.01, 50), q=st.floats(0.001, 0.999))
def test_continuous_icdf_inverts_cdf(loc, scale, q):
    for dist in (Normal(loc, scale), Laplace(loc, scale), StudentT(3.0, loc, scale)):
        np.testing.assert_allclose(dist.cdf(dist.icdf(q)), q, rtol=1e-8)


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(0.0, 60.0))
def test_poisson_pmf_sums_to_one_and_entropy_matches_scipy(rate):
    k = np.arange(0, 400, dtype=float)
    assert Poisson(rate=rate).prob(k).sum() == pytest.approx(1.0, rel=1e-12)
    assert Poisson(rate=rate).entropy() == pytest.approx(stats.poisson(rate).entropy(),
                                                         rel=1e-9, abs=1e-12)


def test_poisson_entropy_large_rate():
    rates = np.array([900.0, 1500.0, 5000.0])
    np.testing.assert_allclose(Poisson(rate=rates).entropy(),
                               [stats.poisson(r).entropy() for r in rates], rtol=1e-10)


def test_studentt_moments_where_they_do_not_exist():
    df = np.array([0.5, 1.5, 3.0])
    dist = StudentT(df, 1.0, 2.0)
    ref = stats.t(df, 1.0, 2.0)
    # The mean's integral diverges for df <= 1: undefined, so NaN (as in torch.distributions;
    # scipy reports inf there). Variance as scipy: NaN for df <= 1, +inf for 1 < df <= 2.
    np.testing.assert_array_equal(dist.mean, [np.nan, 1.0, 1.0])
    np.testing.assert_array_equal(dist.mean[1:], ref.mean()[1:])
    np.testing.assert_array_equal(dist.variance, ref.var())
    np.testing.assert_allclose(dist.entropy(), ref.entropy(), rtol=1e-9)


def test_laplace_cdf_tails():
    dist = Laplace(0.0, 1.0)
    y = np.array([-700.0, -30.0, 30.0, 700.0])
    np.testing.assert_allclose(dist.cdf(y), stats.laplace.cdf(y), rtol=1e-12)
    np.testing.assert_allclose(dist.cdf(-y), stats.laplace.sf(y), rtol=1e-12)


# --- issue 10 part 2 (fam2): OrderedLogistic (more in tests/test_families_ordinal.py) ----------
def test_ordered_logistic_against_scipy():
    from scipy import special

    eta, cut = 0.4, np.array([-1.5, 0.0, 2.5])
    cdf = special.expit(cut - eta)
    probs = np.diff(np.r_[0.0, cdf, 1.0])
    ref = stats.rv_discrete(values=(np.arange(4), probs))
    dist = D.OrderedLogistic(eta, cut)
    k = np.arange(4.0)
    np.testing.assert_allclose(dist.log_prob(k), ref.logpmf(k), rtol=RTOL)
    np.testing.assert_allclose(dist.cdf(k), ref.cdf(k), rtol=RTOL)
    np.testing.assert_allclose(dist.icdf([0.1, 0.5, 0.9]), ref.ppf([0.1, 0.5, 0.9]))
    np.testing.assert_allclose([dist.mean, dist.variance, dist.entropy()],
                               [ref.mean(), ref.var(), ref.entropy()], rtol=RTOL)


EXAMPLES[D.OrderedLogistic] = "test_ordered_logistic_against_scipy"
