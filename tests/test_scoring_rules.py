"""The CRPS against properscoring, the defining integral (scipy.integrate.quad of scipy.stats
cdfs) and direct sums over the integers; the numerical rule against the closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from probnn.distributions import (Bernoulli, Beta, Categorical, Distribution, Gamma, Laplace,
                                  LogNormal, Mixture, NegativeBinomial, Normal, OrderedLogistic,
                                  Poisson, StudentT, scaled_distribution)
from probnn.distributions import Hurdle, ZeroInflated
from probnn.scoring_rules import crps, crps_numerical

properscoring = pytest.importorskip("properscoring")

RTOL = 1e-6
finite = dict(allow_nan=False, allow_infinity=False)


def integral_crps(cdf, y, lower=-np.inf, upper=np.inf):
    """``int (F(x) - 1{x >= y})^2 dx`` by scipy's quad, split at y and the support's ends."""
    def quad(f, a, b):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quad's accuracy notes on the infinite ranges
            return integrate.quad(f, a, b, limit=500, epsabs=0.0, epsrel=1e-12)[0]

    below = quad(lambda x: cdf(x) ** 2, lower, min(y, upper)) if y > lower else 0.0
    above = quad(lambda x: (1.0 - cdf(x)) ** 2, max(y, lower), upper) if y < upper else 0.0
    # the step alone outside the support: F = 0 on [y, lower), F = 1 on [upper, y)
    return below + above + max(lower - y, 0.0) + max(y - upper, 0.0)


def sum_crps(cdf_at, y, top, sf_at=None):
    """``sum_{k=0}^{top} (F(k) - 1{y <= k})^2`` for integer y (the ranked probability score);
    with ``sf_at`` the terms at and above y are ``S(k)^2``, exact where ``1 - F(k)`` cancels
    (a rate of 1e-12)."""
    k = np.arange(top + 1)
    if sf_at is None:
        return float(np.sum((cdf_at(k) - (y <= k)) ** 2))
    return float(np.sum(np.where(y <= k, sf_at(k), cdf_at(k)) ** 2))


# ----------------------------------------------------------------- continuous closed forms
@settings(max_examples=40, deadline=None)
@given(st.floats(-50, 50, **finite), st.floats(1e-3, 1e3, **finite), st.floats(-6, 6, **finite))
def test_normal_equals_properscoring_and_the_integral(mu, sigma, z):
    y = mu + sigma * z
    got = float(crps(Normal(mu, sigma), y))
    assert got == pytest.approx(properscoring.crps_gaussian(y, mu, sigma), rel=1e-10)
    assert got == pytest.approx(integral_crps(stats.norm(mu, sigma).cdf, y), rel=RTOL)


def test_normal_batch_against_properscoring():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=50), np.exp(rng.normal(size=50))
    y = rng.normal(size=50) * 3
    np.testing.assert_allclose(crps(Normal(mu, sigma), y),
                               properscoring.crps_gaussian(y, mu, sigma), rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(-20, 20, **finite), st.floats(1e-2, 1e2, **finite), st.floats(-8, 8, **finite))
def test_laplace_equals_the_integral(mu, b, z):
    y = mu + b * z
    assert float(crps(Laplace(mu, b), y)) == pytest.approx(
        integral_crps(stats.laplace(mu, b).cdf, y), rel=RTOL)


@settings(max_examples=30, deadline=None)
@given(st.floats(1.05, 200, **finite), st.floats(-5, 5, **finite), st.floats(0.1, 10, **finite),
       st.floats(-10, 10, **finite))
def test_student_t_equals_the_integral(df, mu, s, z):
    y = mu + s * z
    assert float(crps(StudentT(df, mu, s), y)) == pytest.approx(
        integral_crps(stats.t(df, mu, s).cdf, y), rel=RTOL)


@pytest.mark.parametrize("df", [0.55, 0.8, 1.0, 1.005])
def test_student_t_heavy_tails_by_the_numerical_rule(df):
    # below df = 1.01 the closed form cancels; the integral of (1 - F)^2 ~ x^-2df is finite
    # down to df = 1/2, and the quantile rule drops levels beyond 1 - 1e-15
    y = np.array([-3.0, 0.2, 4.0])
    got = crps(StudentT(df, 0.0, 1.0), y)
    want = [integral_crps(stats.t(df).cdf, v) for v in y]
    np.testing.assert_allclose(got, want, rtol=1e-6 if df >= 0.8 else 1e-3)


def test_student_t_without_a_finite_crps_is_inf():
    assert np.isinf(crps(StudentT(0.5, 0.0, 1.0), 1.0))


@settings(max_examples=30, deadline=None)
@given(st.floats(0.05, 500, **finite), st.floats(0.01, 100, **finite), st.floats(0.01, 0.99, **finite))
def test_gamma_equals_the_integral(k, rate, level):
    law = stats.gamma(k, scale=1 / rate)
    y = float(law.ppf(level))
    assert float(crps(Gamma(k, rate), y)) == pytest.approx(
        integral_crps(law.cdf, y, lower=0.0), rel=RTOL)


def test_gamma_outside_the_support():
    # y < 0: the score is E[X] - y - E|X - X'| / 2, all computed by the integral
    for y in (-2.0, 0.0):
        assert float(crps(Gamma(2.5, 1.5), y)) == pytest.approx(
            integral_crps(stats.gamma(2.5, scale=1 / 1.5).cdf, y, lower=0.0), rel=RTOL)


@settings(max_examples=30, deadline=None)
@given(st.floats(-3, 3, **finite), st.floats(0.02, 2.5, **finite), st.floats(0.01, 0.99, **finite))
def test_lognormal_equals_the_integral(mu, s, level):
    law = stats.lognorm(s, scale=np.exp(mu))
    y = float(law.ppf(level))
    assert float(crps(LogNormal(mu, s), y)) == pytest.approx(
        integral_crps(law.cdf, y, lower=0.0), rel=RTOL)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 300, **finite), st.floats(0.1, 300, **finite), st.floats(-0.2, 1.2, **finite))
def test_beta_equals_the_integral(a, b, y):
    assert float(crps(Beta(a, b), y)) == pytest.approx(
        integral_crps(stats.beta(a, b).cdf, y, lower=0.0, upper=1.0), rel=RTOL)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_mixture_of_normals_equals_the_integral(k, seed):
    rng = np.random.default_rng(seed)
    n = 3
    loc, scale = rng.normal(size=(k, n)) * 2, np.exp(rng.normal(size=(k, n)))
    weights = rng.dirichlet(np.ones(k))
    mix = Mixture([Normal(loc[i], scale[i]) for i in range(k)], weights=weights)
    y = rng.normal(size=n) * 2
    for row in range(n):
        def cdf(x, row=row):
            return float(np.dot(weights, stats.norm.cdf(x, loc[:, row], scale[:, row])))
        assert float(crps(mix, y)[row]) == pytest.approx(integral_crps(cdf, y[row]), rel=RTOL)


def test_mixture_of_normals_equals_properscoring_quadrature():
    weights, loc, scale = np.array([0.25, 0.75]), np.array([-1.0, 2.0]), np.array([0.5, 1.5])

    class Law:  # what crps_quadrature integrates: the mixture's cdf from scipy's normals
        @staticmethod
        def cdf(x):
            return np.dot(weights, stats.norm.cdf(x, loc, scale))

    mix = Mixture([Normal(loc[0], scale[0]), Normal(loc[1], scale[1])], weights=weights)
    want = properscoring.crps_quadrature(0.3, Law, xmin=-30, xmax=30, tol=1e-6)
    assert float(crps(mix, 0.3)) == pytest.approx(float(want), rel=RTOL)


def test_mixture_of_other_continuous_laws_equals_the_integral():
    # cross terms E|X_i - X_j'| by quadrature over X_i's quantiles, the rest closed
    rng = np.random.default_rng(11)
    n = 3
    t_loc, t_scale = rng.normal(size=n), np.exp(rng.normal(size=n))
    l_loc, l_scale = rng.normal(size=n), np.exp(rng.normal(size=n))
    shape_k, ln_loc, n_loc = np.exp(rng.normal(size=n)), 0.3 * rng.normal(size=n), rng.normal(size=n)
    w = np.array([0.2, 0.15, 0.2, 0.15, 0.2, 0.1])
    mix = Mixture([StudentT(3.5, t_loc, t_scale), Laplace(l_loc, l_scale), Gamma(shape_k, 1.0),
                   LogNormal(ln_loc, 0.5), Normal(n_loc, 0.2), Beta(2.0, np.full(n, 3.0))],
                  weights=w)
    y = rng.normal(size=n)
    for i in range(n):
        laws = [stats.t(3.5, t_loc[i], t_scale[i]), stats.laplace(l_loc[i], l_scale[i]),
                stats.gamma(shape_k[i]), stats.lognorm(0.5, scale=np.exp(ln_loc[i])),
                stats.norm(n_loc[i], 0.2), stats.beta(2.0, 3.0)]
        want = integral_crps(lambda x: sum(wk * law.cdf(x) for wk, law in zip(w, laws)), y[i])
        assert float(crps(mix, y)[i]) == pytest.approx(want, rel=1e-7)


def test_mixture_with_a_heavy_tail_falls_back_to_the_numerical_rule():
    mix = Mixture([StudentT(0.9, [0.0], [1.0]), Normal([1.0], [0.5])], weights=[0.5, 0.5])
    want = integral_crps(lambda x: 0.5 * stats.t.cdf(x, 0.9) + 0.5 * stats.norm.cdf(x, 1.0, 0.5), 0.4)
    assert float(crps(mix, [0.4])[0]) == pytest.approx(want, rel=1e-5)


def test_equal_mixture_of_narrow_normals_is_the_ensemble_crps():
    rng = np.random.default_rng(3)
    members = rng.normal(size=(5, 8))
    y = rng.normal(size=8)
    mix = Mixture([Normal(m, 1e-9) for m in members])
    np.testing.assert_allclose(crps(mix, y), properscoring.crps_ensemble(y, members.T),
                               rtol=1e-6, atol=1e-8)


# ----------------------------------------------------------------- discrete closed forms
@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 300, **finite), st.integers(0, 400))
def test_poisson_equals_the_sum(rate, y):
    law = stats.poisson(rate)
    top = int(law.ppf(1 - 1e-16)) + y + 10
    want = sum_crps(law.cdf, y, top, law.sf)
    assert float(crps(Poisson(rate), y)) == pytest.approx(want, rel=RTOL, abs=1e-300)


@pytest.mark.parametrize("rate", [1e-12, 1e-6, 0.3])
@pytest.mark.parametrize("y", [0.0, 0.5, -0.5])
def test_poisson_small_rate_below_one_does_not_cancel(rate, y):
    # hand-worked: int (F(x) - 1{x >= y})^2 dx = max(0, -y) + y+ F(0)^2 + (1 - y+) S(0)^2
    # + sum_{k >= 1} S(k)^2, with S(0) = 1 - exp(-rate) (expm1, exact), S(k) by scipy's sf
    below = min(max(y, 0.0), 1.0)
    want = (max(0.0, -y) + below * np.exp(-2 * rate) + (1 - below) * np.expm1(-rate) ** 2
            + sum(stats.poisson.sf(k, rate) ** 2 for k in range(1, 40)))
    assert float(crps(Poisson(rate), y)) == pytest.approx(want, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("rate", [1e6, 1e8])
def test_poisson_huge_rate_needs_no_sum(rate):
    law = stats.poisson(rate)
    width = int(60 * np.sqrt(rate))
    y = np.array([rate - 3 * np.sqrt(rate), rate, rate + 0.5 * np.sqrt(rate)]).round()
    k = np.arange(int(rate) - width, int(rate) + width)
    cdf = law.cdf(k)
    want = [np.sum((cdf - (v <= k)) ** 2) for v in y]  # the terms outside the window are 0
    np.testing.assert_allclose(crps(Poisson(rate), y), want, rtol=RTOL)


def test_poisson_non_integer_y_is_the_integral_of_the_step_cdf():
    law = stats.poisson(2.3)
    for y in (1.4, 3.75, -0.5):
        knots = list(np.arange(0, 30))
        below = integrate.quad(lambda x: law.cdf(x) ** 2, -1, y, points=[k for k in knots if k < y],
                               limit=200)[0] if y > -1 else 0.0
        above = integrate.quad(lambda x: (1 - law.cdf(x)) ** 2, y, 40,
                               points=[k for k in knots if k > y], limit=200)[0]
        assert float(crps(Poisson(2.3), y)) == pytest.approx(below + above, rel=1e-8)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.01, 500, **finite), st.floats(1e-3, 20, **finite), st.integers(0, 300))
def test_negative_binomial_equals_the_sum(mean, dispersion, y):
    law = stats.nbinom(1 / dispersion, 1 / (1 + dispersion * mean))
    top = int(law.ppf(1 - 1e-15)) + y + 10
    if top > 2_000_000:
        return  # the oracle's sum would be too long
    want = sum_crps(law.cdf, y, top)
    assert float(crps(NegativeBinomial(mean, dispersion), y)) == pytest.approx(want, rel=RTOL)


def test_negative_binomial_with_zero_dispersion_is_the_poisson():
    y = np.array([0, 2, 7, 30])
    np.testing.assert_allclose(crps(NegativeBinomial(6.5, 0.0), y), crps(Poisson(6.5), y),
                               rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.floats(-6, 6, **finite), st.lists(st.floats(-5, 5, **finite), min_size=1, max_size=5),
       st.data())
def test_ordered_logistic_is_the_ranked_probability_score(eta, cuts, data):
    cuts = np.sort(cuts)
    n_classes = cuts.size + 1
    y = data.draw(st.integers(0, n_classes - 1))
    cdf = special.expit(cuts - eta)  # P(Y <= k), k = 0..C-2
    want = float(np.sum((cdf - (y <= np.arange(n_classes - 1))) ** 2))
    assert float(crps(OrderedLogistic(eta, cuts), y)) == pytest.approx(want, rel=1e-10, abs=1e-300)


def test_bernoulli_is_the_brier_score():
    p = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    for y in (0, 1):
        np.testing.assert_allclose(crps(Bernoulli(probs=p), y), (p - y) ** 2, rtol=1e-12)
    # multi-label: one score per label
    probs = np.array([[0.1, 0.7], [0.6, 0.3]])
    labels = np.array([[0, 1], [1, 1]])
    np.testing.assert_allclose(crps(Bernoulli(probs=probs), labels), (probs - labels) ** 2)


def test_mixture_of_poissons_equals_the_sum():
    rates = np.array([[0.5, 4.0, 20.0], [3.0, 3.5, 60.0]])
    weights = np.array([0.3, 0.7])
    mix = Mixture([Poisson(rates[0]), Poisson(rates[1])], weights=weights)
    y = np.array([1, 9, 40])
    for i in range(3):
        want = sum_crps(lambda k: weights[0] * stats.poisson.cdf(k, rates[0, i])
                        + weights[1] * stats.poisson.cdf(k, rates[1, i]), y[i], 200)
        assert float(crps(mix, y)[i]) == pytest.approx(want, rel=1e-10)


def test_mixture_of_negative_binomials_with_large_counts_equals_the_sum():
    # a Laplace posterior's predictive of a count GLM: many similar negative binomials, counts
    # in the hundreds (the lattice summed by the components' masses; scipy's cdf the oracle)
    rng = np.random.default_rng(3)
    n, k_comps, alpha = 4, 30, 0.05
    mu = np.exp(rng.normal(5.0, 0.5, n))[None, :] * np.exp(rng.normal(0, 0.1, (k_comps, n)))
    mix = Mixture([NegativeBinomial(mean=m, dispersion=np.full(n, alpha)) for m in mu])
    y = rng.poisson(mu[0]).astype(float)
    r = 1 / alpha
    for i in range(n):
        want = sum_crps(lambda k: np.mean(stats.nbinom.cdf(k[:, None], r, r / (r + mu[None, :, i])),
                                          axis=1), y[i], 4000)
        assert float(crps(mix, y)[i]) == pytest.approx(want, rel=1e-9)


def test_mixture_of_count_laws_with_windows_far_apart_equals_the_sum():
    # each row is summed over its own window of the integers (issue 22): rows with counts near
    # 0 and in the thousands in one call, observations far below and far above a row's bulk
    # (one beyond two million, where one lattice for all rows was too long), a Poisson
    # component beside negative binomials. Oracle: scipy's cdfs on one lattice from 0 for every
    # row, summed by numpy, each integer beyond it adding 1 (scipy's sf there is below 1e-16)
    rng = np.random.default_rng(22)
    mu = np.array([0.02, 0.8, 6.0, 40.0, 900.0, 4000.0, 7000.0, 3.0])
    alpha = np.array([2.0, 0.3, 0.01, 0.5, 0.05, 0.35, 0.02, 0.0])
    k_comps = 5
    mus = mu * np.exp(rng.normal(0.0, 0.2, (k_comps, mu.size)))
    alphas = alpha * np.exp(rng.normal(0.0, 0.3, (k_comps, mu.size)))
    weights = rng.dirichlet(np.ones(k_comps), size=mu.size).T
    comps = [NegativeBinomial(mean=mus[c], dispersion=alphas[c]) for c in range(k_comps - 1)]
    comps.append(Poisson(mus[-1]))
    mix = Mixture(comps, weights=weights)
    y = np.array([0.0, 250.0, 3_000_000.0, 0.0, 20_000.0, 0.0, 3.0, -3.0])
    top = 120_000
    k = np.arange(-5, top + 1)[:, None]
    cdf = np.zeros((k.size, mu.size))
    for c in range(k_comps):
        if c < k_comps - 1:  # dispersion 0 (the last row): the Poisson limit
            r = 1.0 / np.where(alpha > 0, alphas[c], 1.0)
            laws = (stats.nbinom(r, r / (r + mus[c])), stats.poisson(mus[c]))
            law_cdf = np.where(alpha > 0, laws[0].cdf(k), laws[1].cdf(k))
            law_sf = np.where(alpha > 0, laws[0].sf(top), laws[1].sf(top))
        else:
            law_cdf, law_sf = stats.poisson.cdf(k, mus[c]), stats.poisson.sf(top, mus[c])
        cdf += weights[c] * law_cdf
        assert np.all(law_sf < 1e-16)
    want = np.sum((cdf - (k >= y)) ** 2, axis=0) + np.maximum(y - top - 1, 0.0)
    got = crps(mix, y)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_categorical_is_refused_clearly():
    with pytest.raises(ValueError, match="no order"):
        crps(Categorical(probs=[[0.2, 0.8]]), [1])


# ----------------------------------------------------------------- the numerical rule
def _cases():
    rng = np.random.default_rng(7)
    n = 6
    mu, s = rng.normal(size=n), np.exp(rng.normal(size=n) * 0.5)
    return [
        (Normal(mu, s), mu + s * rng.normal(size=n) * 2, 1e-9),
        (Laplace(mu, s), mu + s * rng.normal(size=n) * 2, 1e-7),  # a kink at the median
        (StudentT(np.exp(rng.uniform(0.1, 3, n)), mu, s), mu + 3 * rng.normal(size=n), 1e-8),
        (Gamma(np.exp(rng.uniform(-2, 4, n)), s), rng.gamma(2.0, size=n), 1e-8),
        (LogNormal(mu, s), np.exp(mu + rng.normal(size=n)), 1e-8),
        (Beta(np.exp(rng.normal(size=n)), np.exp(rng.normal(size=n))), rng.uniform(size=n), 1e-8),
        (Mixture([Normal(mu, s), Normal(mu + 2, 0.3 * s)], weights=[0.4, 0.6]),
         mu + rng.normal(size=n), 1e-8),
    ]


@pytest.mark.parametrize("dist, y, rtol", _cases(), ids=lambda v: type(v).__name__
                         if isinstance(v, Distribution) else "")
def test_numerical_rule_agrees_with_the_closed_forms(dist, y, rtol):
    np.testing.assert_allclose(crps_numerical(dist, y), crps(dist, y), rtol=rtol)


class _Uniform(Distribution):
    """A distribution probnn does not ship: only cdf and icdf."""

    def __init__(self, low, high):
        self._low, self._high = np.asarray(low, float), np.asarray(high, float)
        self.dtype, self.batch_shape = np.dtype(np.float64), np.broadcast(self._low, self._high).shape

    def _cdf(self, y):
        return np.clip((y - self._low) / (self._high - self._low), 0.0, 1.0)

    def _icdf(self, q):
        return self._low + q * (self._high - self._low)


def test_a_distribution_without_a_closed_form_is_scored_numerically():
    dist = _Uniform([0.0, -1.0], [1.0, 3.0])
    y = np.array([0.3, 5.0])
    want = [integral_crps(stats.uniform(0, 1).cdf, 0.3), integral_crps(stats.uniform(-1, 4).cdf, 5.0)]
    np.testing.assert_allclose(crps(dist, y), want, rtol=1e-9)


def test_a_distribution_without_a_cdf_is_refused():
    class Opaque(Distribution):
        dtype, batch_shape = np.dtype(np.float64), (1,)

    with pytest.raises(NotImplementedError, match="Opaque"):
        crps(Opaque(), [0.0])


# ----------------------------------------------------------------- units, shapes, extremes
@settings(max_examples=30, deadline=None)
@given(st.floats(-100, 100, **finite), st.floats(1e-3, 1e3, **finite), st.floats(-4, 4, **finite))
def test_affine_maps_scale_the_crps(shift, scale, y):
    # a model trained on a standardised target answers in y's units: the CRPS scales by |scale|
    for dist in (Normal([0.3], [1.2]), Laplace([0.3], [1.2]), StudentT(4.0, [0.3], [1.2]),
                 Mixture([Normal([0.3], [1.2]), Normal([-1.0], [0.5])], weights=[0.3, 0.7])):
        mapped = crps(dist.affine(shift, scale), shift + scale * y)
        np.testing.assert_allclose(mapped, scale * crps(dist, y), rtol=1e-9, atol=1e-12 * scale)


def test_scaled_distribution_widens_by_the_factor():
    dist = Normal(np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    y = np.array([0.5, -2.0])
    wide = scaled_distribution(dist, 1.7)
    np.testing.assert_allclose(crps(wide, y), properscoring.crps_gaussian(y, dist.loc, 1.7 * dist.scale),
                               rtol=1e-12)


def test_float32_in_float32_out_and_shapes():
    dist = Normal(np.zeros(3, np.float32), np.ones(3, np.float32))
    out = crps(dist, np.zeros(3))
    assert out.dtype == np.float32 and out.shape == (3,)
    assert crps(Normal(0.0, 1.0), np.zeros((2, 4))).shape == (2, 4)


def test_bad_observations_are_refused_with_their_rows():
    with pytest.raises(ValueError, match=r"finite observations.*nan at row \[1\]"):
        crps(Normal(np.zeros(3), 1.0), [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="do not broadcast"):
        crps(Normal(np.zeros(3), 1.0), np.zeros(4))


@settings(max_examples=40, deadline=None)
@given(st.floats(-1e4, 1e4, **finite), st.floats(-1e4, 1e4, **finite), st.floats(-1e6, 1e6, **finite))
def test_raw_outputs_of_1e4_never_give_nan(raw_loc, raw_scale, y):
    # the families' links: loc = z1, scale = softplus(z2) (> 0 where it does not underflow)
    scale = np.logaddexp(0.0, raw_scale)
    if not scale > 0:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [crps(Normal(raw_loc, scale), y), crps(Laplace(raw_loc, scale), y),
                crps(StudentT(3.0, raw_loc, scale), y),
                crps(Poisson(log_rate=min(raw_loc, 700.0)), abs(round(y))),
                crps(Bernoulli(logits=raw_loc), 1.0),
                crps(OrderedLogistic(raw_loc, [-1.0, 0.0, 2.0]), 2)]
    for out in outs:
        assert np.isfinite(out) and out >= 0


def test_mixture_of_hurdle_and_zero_inflated_laws_is_the_sum_over_the_integers():
    # a Laplace posterior's predictive of a hurdle or zero-inflated GLM is a mixture of 100 such
    # laws: it went to the quantile-integral rule (a count quantile per node, each the
    # components' incomplete-beta cdfs: minutes for 183 rows, and only 1e-3 accurate on a step
    # quantile function). Oracle: scipy's pmfs of the hurdle and zero-inflated forms, their
    # cdf summed by numpy on one lattice
    rng = np.random.default_rng(7)
    mu = np.array([0.3, 2.0, 9.0, 40.0])
    y = np.array([0.0, 3.0, 1.0, 120.0])
    k = np.arange(0, 3001)[:, None]
    comps, cdf, weights = [], np.zeros((k.size, mu.size)), rng.dirichlet(np.ones(4), size=4).T
    for c in range(4):
        m = mu * np.exp(rng.normal(0.0, 0.2, mu.size))
        pi = 1.0 / (1.0 + np.exp(-rng.normal(0.0, 1.0, mu.size)))
        if c % 2 == 0:  # a hurdle negative binomial, dispersion 0.4
            r = 1.0 / 0.4
            base = stats.nbinom(r, r / (r + m))
            comps.append(Hurdle(NegativeBinomial(mean=m, dispersion=0.4), np.log(pi / (1 - pi))))
            pmf = np.where(k == 0, pi, (1 - pi) * base.pmf(k) / base.sf(0))
        else:  # a zero-inflated Poisson
            comps.append(ZeroInflated(Poisson(m), np.log(pi / (1 - pi))))
            pmf = (1 - pi) * stats.poisson.pmf(k, m) + np.where(k == 0, pi, 0.0)
        cdf += weights[c] * np.cumsum(pmf, axis=0)
    want = np.sum((cdf - (k >= y)) ** 2, axis=0)
    got = crps(Mixture(comps, weights=weights), y)
    np.testing.assert_allclose(got, want, rtol=1e-9)


# --------------------------------------------------------------------------
# many-component mixtures (issue 22): E|X - X'| / 2 as one integral of F (1 - F) over x

def piecewise_integral_crps(cdf, y, points, lower=-np.inf, upper=np.inf):
    """``int (F(x) - 1{x >= y})^2 dx`` by quad on the segments between ``points`` and y."""
    edges = np.unique(np.clip(np.concatenate([[lower, upper, y], points]), lower, upper))
    total = max(lower - y, 0.0) + max(y - upper, 0.0)   # the step alone outside the support
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in zip(edges[:-1], edges[1:]):
            step = 1.0 if a >= y else 0.0
            total += integrate.quad(lambda x: (cdf(x) - step) ** 2, a, b, limit=500,
                                    epsabs=0.0, epsrel=1e-12)[0]
    return total


def _many(family, k, n, multimodal, rng):
    """K components per row of one family (two far-apart groups if multimodal), their
    scipy.stats laws (one frozen vectorised law per row), the support and the observations."""
    half = np.arange(k)[:, None] % 2 == 1
    far = half if multimodal else np.zeros((k, 1), dtype=bool)
    if family == "beta":
        a = np.where(far, 40.0, 2.0) * rng.uniform(0.7, 1.4, (k, n))
        b = np.where(far, 2.0, 30.0) * rng.uniform(0.7, 1.4, (k, n))
        comps = [Beta(a[i], b[i]) for i in range(k)]
        laws = [stats.beta(a[:, r], b[:, r]) for r in range(n)]
        return comps, laws, (0.0, 1.0), [-0.5, 1e-3, 0.05, 0.5, 0.97, 1.7]
    if family == "gamma":
        shape_k = rng.uniform(0.5, 5.0, (k, n))
        rate = np.where(far, 0.01, 1.0) * rng.uniform(0.5, 2.0, (k, n))
        comps = [Gamma(shape_k[i], rate[i]) for i in range(k)]
        laws = [stats.gamma(shape_k[:, r], scale=1.0 / rate[:, r]) for r in range(n)]
        return comps, laws, (0.0, np.inf), [-3.0, 1e-4, 1.0, 30.0, 300.0, 1e5]
    if family == "lognormal":
        mu = rng.normal(0.0, 0.2, (k, n)) + np.where(far, 8.0, 0.0)
        s = rng.uniform(0.1, 1.0, (k, n))
        comps = [LogNormal(mu[i], s[i]) for i in range(k)]
        laws = [stats.lognorm(s[:, r], scale=np.exp(mu[:, r])) for r in range(n)]
        return comps, laws, (0.0, np.inf), [-1.0, 1e-3, 1.0, 100.0, 3000.0, 1e6]
    loc = rng.normal(0.0, 0.3, (k, n)) + np.where(far, 60.0, 0.0)
    scale = rng.uniform(0.2, 1.5, (k, n))
    if family == "studentt":
        df = rng.uniform(1.5, 5.0, (k, n))
        comps = [StudentT(df[i], loc[i], scale[i]) for i in range(k)]
        laws = [stats.t(df[:, r], loc[:, r], scale[:, r]) for r in range(n)]
    else:
        comps = [Laplace(loc[i], scale[i]) for i in range(k)]
        laws = [stats.laplace(loc[:, r], scale[:, r]) for r in range(n)]
    return comps, laws, (-np.inf, np.inf), [-1e4, -5.0, 0.0, 30.0, 61.0, 1e4]


@pytest.mark.parametrize("multimodal", [False, True])
@pytest.mark.parametrize("family,k", [("beta", 100), ("gamma", 40), ("lognormal", 30),
                                      ("studentt", 20), ("laplace", 60)])
def test_mixture_of_many_components_equals_the_integral(family, k, multimodal):
    rng = np.random.default_rng(abs(hash((family, multimodal))) % 2**32)
    n = 6
    comps, laws, (lower, upper), y = _many(family, k, n, multimodal, rng)
    weights = rng.dirichlet(np.ones(k), size=n).T                          # (K, n)
    got = crps(Mixture(comps, weights=weights), np.array(y))
    for r in range(n):
        law = laws[r]
        points = np.quantile(law.median(), np.linspace(0.0, 1.0, 9))      # the groups' centres
        want = piecewise_integral_crps(lambda x: float(weights[:, r] @ law.cdf(x)), y[r],
                                       np.concatenate([points, law.ppf(1e-6), law.ppf(1 - 1e-6)]),
                                       lower, upper)
        assert got[r] == pytest.approx(want, rel=1e-8, abs=1e-13)


def test_mixture_of_many_components_equals_the_pairwise_formula(monkeypatch):
    # the same mixtures through the pairwise path (cross terms over the quantiles)
    import probnn.scoring_rules as scoring_rules
    rng = np.random.default_rng(5)
    n, k = 3, 12
    df, loc = rng.uniform(1.5, 5.0, (k, n)), rng.normal(0.0, 3.0, (k, n))
    scale = rng.uniform(0.3, 2.0, (k, n))
    mixes = [Mixture([StudentT(df[i], loc[i], scale[i]) if i % 2 else Laplace(loc[i], scale[i])
                      for i in range(k)]),
             Mixture([Beta(1.0 + df[i], 1.0 + scale[i]) for i in range(k)])]
    ys = [np.array([-20.0, 0.5, 7.0]), np.array([0.02, 0.6, 1.3])]
    got = [crps(m, y) for m, y in zip(mixes, ys)]
    monkeypatch.setattr(scoring_rules, "_PAIRWISE_MAX_COMPONENTS", 10**9)
    want = [crps(m, y) for m, y in zip(mixes, ys)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-8)


def test_mixture_of_many_components_takes_no_pairwise_cross_terms(monkeypatch):
    # issue 22: a Laplace posterior's predictive (100 components) took 4950 cross terms,
    # each a quadrature over a component's quantiles: minutes for 60 rows
    import probnn.scoring_rules as scoring_rules

    def refuse(first, second):
        raise AssertionError("pairwise cross term")
    monkeypatch.setattr(scoring_rules, "_cross_mean_abs", refuse)
    rng = np.random.default_rng(8)
    a, b = rng.uniform(2.0, 4.0, (100, 2)), rng.uniform(2.0, 4.0, (100, 2))
    mix = Mixture([Beta(a[i], b[i]) for i in range(100)])
    want = [integral_crps(lambda x: float(np.mean(stats.beta.cdf(x, a[:, r], b[:, r]))), 0.4,
                          0.0, 1.0) for r in range(2)]
    np.testing.assert_allclose(crps(mix, 0.4), want, rtol=1e-8)


@settings(max_examples=15, deadline=None)
@given(st.integers(9, 30), st.floats(0.0, 80.0, **finite), st.floats(1.5, 6.0, **finite),
       st.floats(-100.0, 100.0, **finite), st.integers(0, 2**31))
def test_mixture_of_many_components_matches_the_pairwise_formula_property(k, gap, df, y, seed):
    import probnn.scoring_rules as scoring_rules
    rng = np.random.default_rng(seed)
    loc = rng.normal(size=k) + gap * (np.arange(k) % 2)
    scale = np.exp(rng.normal(0.0, 0.7, size=k))
    mix = Mixture([StudentT(df, [loc[i]], [scale[i]]) if i % 3 else Laplace([loc[i]], [scale[i]])
                   for i in range(k)], weights=rng.dirichlet(np.ones(k)))
    got = crps(mix, [y])
    threshold = scoring_rules._PAIRWISE_MAX_COMPONENTS
    try:
        scoring_rules._PAIRWISE_MAX_COMPONENTS = 10**9
        want = crps(mix, [y])
    finally:
        scoring_rules._PAIRWISE_MAX_COMPONENTS = threshold
    np.testing.assert_allclose(got, want, rtol=1e-7)


@pytest.mark.parametrize("kind", [Hurdle, ZeroInflated])
@pytest.mark.parametrize("count", ["negative-binomial", "poisson"])
def test_zero_part_laws_equal_the_integral_of_their_step_cdf(kind, count):
    """A hurdle's or zero-inflated law's CRPS by its closed form from the count law's
    ``E|B - y|`` and ``E|B - B'|`` (rows with ``P_B(0) < 0.1``) or the sum over the integers
    (the others: means 0.5 and 4): oracle, ``int (F - 1{x >= y})^2`` over the steps of scipy's
    cdf, non-integer y included."""
    mu = np.array([30.0, 4.0, 0.5, 200.0, 12.0, 3.0])
    alpha = np.array([0.3, 1.5, 0.2, 0.01, 1e-9, 0.05]) if count != "poisson" else 0 * mu
    pi = special.expit(np.array([-1.0, 0.5, -2.0, -3.0, 1.0, -40.0]))
    y = np.array([0.0, 3.0, 1.0, 250.0, 7.5, 0.25])
    k = np.arange(20000.0)[:, None]
    if count == "poisson":
        base, law = Poisson(rate=mu), stats.poisson(mu)
    else:
        base, law = NegativeBinomial(mu, alpha), stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))
    b0 = law.pmf(0)
    cdf = (pi + (1 - pi) * (law.cdf(k) - b0) / (1 - b0) if kind is Hurdle
           else pi + (1 - pi) * law.cdf(k))
    share = np.clip(y - k, 0.0, 1.0)
    want = np.sum(cdf**2 * share + (1 - cdf) ** 2 * (1 - share), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = crps(kind(base, special.logit(pi)), y)
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize("kind", [Hurdle, ZeroInflated])
def test_zero_part_laws_of_huge_counts_need_no_quantile_rule(kind):
    """Counts near 1e11 (a table whose hurdle model's evaluation took 4 s a row in the quantile
    rule, 1e-4 relative): the closed form. Oracle: with pi = e^-60 and ``P_B(0)`` below 1e-300
    the law is its count law, whose own CRPS is exact (tested against sums above)."""
    mu = np.array([1e11, 2.7e11, 5e9])
    y = np.array([1.00001e11, 2.6e11, 4.8e9])
    for base in (NegativeBinomial(mu, np.array([1e-12, 1e-6, 0.3])), Poisson(rate=mu)):
        got = crps(kind(base, np.full(3, -60.0)), y)
        np.testing.assert_allclose(got, crps(base, y), rtol=1e-12)
