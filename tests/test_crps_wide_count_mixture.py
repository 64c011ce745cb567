"""The CRPS of wide mixtures of negative binomials and Poissons (a Laplace posterior's Monte
Carlo predictive of counts ~1e5): ``sum_c w_c E|X_c - y| - E|X - X'| / 2``, the second term by
the mixture's characteristic function. Oracles: the sum over the integers of scipy's cdfs
(or its masses cumulated by numpy), by hand below; scipy.stats.nbinom / poisson."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import probnn._crps_discrete as rules
from probnn.distributions import Hurdle, Mixture, NegativeBinomial, Poisson, ZeroInflated
from probnn.scoring_rules import crps


def _law(mu: float, alpha: float):
    if alpha == 0.0:
        return stats.poisson(mu)
    r = 1.0 / alpha
    return stats.nbinom(r, r / (r + mu))


def _brute_cdf(mu, alpha, w, top, cumulate=False):
    """The mixture's cdf at 0..top-1 (one row): scipy's cdf, or its masses cumulated."""
    k = np.arange(top)
    if cumulate:
        return sum(wc * np.cumsum(_law(m, a).pmf(k)) for m, a, wc in zip(mu, alpha, w))
    return sum(wc * _law(m, a).cdf(k) for m, a, wc in zip(mu, alpha, w))


def test_wide_mixture_equals_the_sum_over_the_integers():
    # windows of millions of integers: before, the quantile rule of a step function (2e-6 off)
    mu = np.array([[2.0e5, 3.0e4], [2.4e5, 3.3e4]])
    alpha = np.array([[0.5, 0.3], [0.6, 0.35]])
    w = np.array([0.4, 0.6])
    mix = Mixture([NegativeBinomial(mu[c], alpha[c]) for c in range(2)], weights=w)
    y = np.array([150_000.0, 41_234.0])
    top = 4_000_000  # scipy's sf there: below 1e-12, squared below the sum's rounding
    want = []
    for i in range(2):
        cdf = _brute_cdf(mu[:, i], alpha[:, i], w, top, cumulate=True)
        assert 1.0 - cdf[-1] < 1e-9
        want.append(np.sum((cdf - (np.arange(top) >= y[i])) ** 2))
    np.testing.assert_allclose(crps(mix, y), want, rtol=1e-10)


def test_wide_poisson_mixture_and_a_narrow_row_equal_the_sum():
    # Poissons of rates ~1e6 (sd 1e3: the characteristic function) beside a row of rates ~3
    # (its window of integers), and a row whose components lie far apart
    rates = np.array([[1.0e6, 3.0, 40.0], [1.002e6, 3.5, 9000.0], [0.999e6, 2.5, 300.0]])
    w = np.array([0.2, 0.5, 0.3])
    mix = Mixture([Poisson(r) for r in rates], weights=w)
    y = np.array([1_000_500.0, 2.0, 250.0])
    top = 1_010_000
    k = np.arange(top)
    want = []
    for i in range(3):
        cdf = _brute_cdf(rates[:, i], np.zeros(3), w, top)
        want.append(np.sum((cdf - (k >= y[i])) ** 2))
    np.testing.assert_allclose(crps(mix, y), want, rtol=1e-10)


@st.composite
def _mixtures(draw):
    k = draw(st.integers(1, 4))
    mu = np.array([draw(st.floats(0.05, 2000.0)) for _ in range(k)])
    alpha = np.array([draw(st.sampled_from([0.0, 1e-3, 0.01, 0.2, 1.0])) for _ in range(k)])
    w = np.array([draw(st.floats(0.05, 1.0)) for _ in range(k)])
    y = draw(st.integers(0, 3000))
    return mu, alpha, w / w.sum(), float(y)


@settings(max_examples=25, deadline=None)
@given(_mixtures())
def test_characteristic_function_rule_equals_the_sum_on_small_mixtures(case):
    # every row to the characteristic function, however narrow (a Poisson of rate 0.05
    # included): the half Gini and the CRPS against the sum over the integers by hand
    mu, alpha, w, y = case
    top = int(max(_law(m, a).ppf(1.0 - 1e-15) for m, a in zip(mu, alpha))) + 3000
    cdf = _brute_cdf(mu, alpha, w, top)
    half, settled = rules.count_mixture_half_gini(mu[:, None], alpha[:, None], w[:, None])
    if settled[0]:  # else (components far apart: too many nodes) the window's sum takes it
        assert half[0] == pytest.approx(np.sum(cdf * (1.0 - cdf)), rel=1e-10, abs=1e-13)
    comps = [Poisson(m) if a == 0.0 else NegativeBinomial(m, a) for m, a in zip(mu, alpha)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules, "_CF_MIN_SD", 0.0)
        got = float(crps(Mixture(comps, weights=w), y))
    want = np.sum((cdf - (np.arange(top) >= y)) ** 2)
    assert got == pytest.approx(want, rel=1e-10, abs=1e-12)


def test_stacked_components_give_each_components_values():
    # a mixture of NBs (or of Poissons) evaluates them as one stacked law: the same numbers
    rng = np.random.default_rng(5)
    mu, alpha = np.exp(rng.normal(6.0, 1.0, (4, 3))), np.exp(rng.normal(-2.0, 1.0, (4, 3)))
    k = np.arange(0.0, 2000.0, 7.0)[:, None]
    for comps in ([NegativeBinomial(m, a) for m, a in zip(mu, alpha)], [Poisson(m) for m in mu]):
        mix = Mixture(comps, weights=[0.1, 0.2, 0.3, 0.4])
        for y in (k, k[5, 0], np.round(mu[0])):
            each = np.stack([np.broadcast_to(c._cdf(y), np.broadcast_shapes(np.shape(y), (3,)))
                             for c in comps])
            np.testing.assert_array_equal(mix._stack_at("_cdf", y), each)
            each = np.stack([np.broadcast_to(c._log_prob(y), each.shape[1:]) for c in comps])
            np.testing.assert_array_equal(mix._stack_at("_log_prob", y), each)
    assert Mixture([Poisson(mu[0]), NegativeBinomial(mu[1], alpha[1])])._stacked(1) is None


@pytest.mark.parametrize("kind", [Hurdle, ZeroInflated])
def test_wide_zero_part_mixture_equals_the_sum(kind):
    # a Laplace predictive of a hurdle / zero-inflated NB on counts ~1e4: the law at 0 and B's
    # pieces (a hurdle's at-0 weight pi - (1 - pi) b0 / (1 - b0)); oracle: the cdf by hand
    # from scipy's, pi + (1 - pi) F_B (zero-inflated), pi + (1 - pi) (F_B - b0) / (1 - b0)
    mu = np.array([[1.0e4, 5.0e3, 2.0], [1.1e4, 5.5e3, 2.5]])
    alpha = np.array([[0.3, 0.05, 0.5], [0.35, 0.06, 0.4]])
    pi = np.array([[0.05, 0.3, 0.02], [0.07, 0.25, 0.5]])
    w = np.array([0.45, 0.55])
    comps = [kind(NegativeBinomial(mu[c], alpha[c]), np.log(pi[c] / (1 - pi[c]))) for c in range(2)]
    y = np.array([0.0, 4_321.0, 3.0])
    top = 400_000
    k = np.arange(top)
    want = []
    for i in range(3):
        cdf = 0.0
        for c in range(2):
            base = _law(mu[c, i], alpha[c, i])
            b0 = base.pmf(0) if kind is Hurdle else 0.0
            cdf = cdf + w[c] * (pi[c, i] + (1 - pi[c, i]) * (base.cdf(k) - b0) / (1 - b0))
        want.append(np.sum((cdf - (k >= y[i])) ** 2))
    np.testing.assert_allclose(crps(Mixture(comps, weights=w), y), want, rtol=1e-10)


@pytest.mark.parametrize("kind", [Hurdle, ZeroInflated])
def test_stacked_zero_part_components_give_each_components_values(kind):
    rng = np.random.default_rng(6)
    mu, alpha = np.exp(rng.normal(3.0, 1.0, (3, 4))), np.exp(rng.normal(-1.0, 1.0, (3, 4)))
    logit = rng.normal(0.0, 1.0, (3, 4))
    k = np.arange(0.0, 300.0, 3.0)[:, None]
    for bases in ([NegativeBinomial(m, a) for m, a in zip(mu, alpha)], [Poisson(m) for m in mu]):
        comps = [kind(b, z) for b, z in zip(bases, logit)]
        mix = Mixture(comps, weights=[0.2, 0.3, 0.5])
        for method in ("_cdf", "_log_prob"):
            each = np.stack([getattr(c, method)(k) for c in comps])
            np.testing.assert_array_equal(mix._stack_at(method, k), each)
