"""Quantiles and means of count families at any rate (issue 20, section 1: counts near 1e12).

Oracles: scipy.stats where its quantile is exact (``poisson.ppf`` up to a rate of 1e5,
``nbinom.ppf``), a sum of the pmf in float64 logs, and the Edgeworth expansion of the Poisson
cdf (error below ``1 / rate``) where scipy gives NaN.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from probnn.distributions import NegativeBinomial, Poisson
from probnn.families import get_family
from probnn.families._affine import AffineTarget

levels = st.floats(1e-10, 1 - 1e-10)


def _edgeworth_cdf(k, rate):
    # P(Y <= k) for Poisson(rate), continuity-corrected normal plus the skewness term
    w = (k + 0.5 - rate) / np.sqrt(rate)
    return stats.norm.cdf(w) - stats.norm.pdf(w) * (w * w - 1) / (6 * np.sqrt(rate))


@settings(max_examples=300, deadline=None)
@given(log_rate=st.floats(-3, 15), q=levels)
def test_poisson_quantile_is_the_smallest_count_reaching_q(log_rate, q):
    rate = 10.0**log_rate
    k = float(Poisson(rate=np.array([rate])).icdf(q)[0])
    assert np.isfinite(k) and k == np.floor(k) and k >= 0
    if rate <= 1e5:
        assert k == stats.poisson.ppf(q, rate)
    else:
        tol = 10.0 / rate  # the expansion's error is O(1 / rate)
        assert _edgeworth_cdf(k, rate) >= q - tol
        assert _edgeworth_cdf(k - 1, rate) < q + tol


@settings(max_examples=200, deadline=None)
@given(log_mean=st.floats(-3, 15), log_alpha=st.one_of(st.just(None), st.floats(-8, 3)), q=levels)
def test_negative_binomial_quantile_matches_scipy(log_mean, log_alpha, q):
    mu = 10.0**log_mean
    alpha = 0.0 if log_alpha is None else 10.0**log_alpha
    k = float(NegativeBinomial(np.array([mu]), np.array([alpha])).icdf(q)[0])
    assert np.isfinite(k) and k == np.floor(k) and k >= 0
    if alpha == 0 and mu > 1e5:  # the Poisson limit, where scipy's ppf gives NaN
        assert _edgeworth_cdf(k, mu) >= q - 10.0 / mu
        assert _edgeworth_cdf(k - 1, mu) < q + 10.0 / mu
        return
    if alpha == 0:
        ref = stats.poisson.ppf(q, mu)
    else:
        ref = stats.nbinom.ppf(q, 1 / alpha, 1 / (1 + alpha * mu))
    if ref is not None and np.isfinite(ref):
        # where one count's probability is below what the oracle's cdf resolves, no cdf can
        # single out the integer: allow those steps. The resolution is float64's (a mean of
        # 1e15 with dispersion 1), or scipy's incomplete beta with b ~ 1e13, about 1e-11 of
        # the cdf (scipy 1.12's nbinom.ppf is one count below 1.17's and probnn's at mean 1e13,
        # dispersion 1e-4, q 0.75, where one count holds 3e-12)
        pmf = (stats.poisson.pmf(ref, mu) if alpha == 0
               else stats.nbinom.pmf(ref, 1 / alpha, 1 / (1 + alpha * mu)))  # fmt: skip
        resolution = 8 * np.finfo(float).eps if alpha == 0 else 1e-11
        assert abs(k - ref) <= np.floor(resolution / pmf)


def test_poisson_cdf_upper_tail_at_a_rate_of_1e9():
    # scipy's pdtr gives 1.0e-12 here; the sum of the pmf (float64 logs) gives 2.78e-12
    rate, k = 1e9, 1000217910.0
    j = np.arange(k + 1, k + 3e6)
    tail = np.exp(j * np.log(rate) - rate - special.gammaln(j + 1)).sum()
    got = 1.0 - float(Poisson(rate=np.array([rate])).cdf(k)[0])
    assert abs(got / tail - 1) < 1e-3


def test_the_mean_of_a_huge_rate_is_exp_of_the_raw_output_in_float64():
    # a float32 network's log rate near log(1e12): the prediction was rounded to float32
    # (steps of 65,536 there) while the distribution's rate was not
    raw = np.array([[27.631021], [27.9], [34.5]], dtype=np.float32)
    mapped = AffineTarget(get_family("poisson"))
    expected = np.exp(raw[:, 0].astype(np.float64))
    np.testing.assert_array_equal(mapped.mean(raw), expected)
    dist = mapped.distribution(raw)
    np.testing.assert_array_equal(dist.rate, expected)
    lo, hi = dist.icdf(0.05), dist.icdf(0.95)
    assert np.all(np.isfinite(lo)) and np.all(lo < expected) and np.all(expected < hi)
