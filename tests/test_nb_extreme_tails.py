"""The negative binomial's cdf and censored NLL where floats lose the law: a small dispersion
(scipy's ``betainc(r, k + 1, p)`` loses digits for a large ``r = 1 / alpha``) and a mean so
large that ``p = 1 / (1 + alpha mu)`` underflows to 0 while ``P(Y = 0) = p^r`` does not.

Oracle: mpmath at 40 digits, the pmf ``Gamma(j + r) / (Gamma(r) j!) p^r (1 - p)^j`` summed
over ``j <= k`` with ``log p = -log1p(alpha mu)`` (a sum, not the incomplete beta the code
uses).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.distributions import NegativeBinomial
from probnn.families import get_family

mp = pytest.importorskip("mpmath")  # the oracle extra (make test installs it)
DIGITS = 40


def _nb_log_cdf(k: int, log_mu, log_alpha):
    with mp.workdps(DIGITS):
        return _nb_log_cdf_at(k, log_mu, log_alpha)


def _nb_log_cdf_at(k: int, log_mu, log_alpha):
    log_mu, log_alpha = mp.mpf(log_mu), mp.mpf(log_alpha)
    r = mp.exp(-log_alpha)
    log_p = -mp.log1p(mp.exp(log_mu + log_alpha))
    log_q = log_mu + log_alpha + log_p  # log(1 - p) = log(alpha mu) - log(1 + alpha mu)
    return mp.log(mp.fsum(mp.exp(mp.loggamma(j + r) - mp.loggamma(r) - mp.loggamma(j + 1)
                                 + r * log_p + j * log_q) for j in range(k + 1)))  # fmt: skip


@pytest.mark.parametrize("mu, alpha, k", [
    (5.0, 0.5, 3), (3.0, 1e-10, 2), (50.0, 1e-9, 40), (2.0, 3e-16, 1), (1e4, 1e-7, 10100),
    (1e300, 1e5, 46), (0.2, 1e-13, 0)])  # fmt: skip
def test_cdf_matches_the_summed_pmf(mu, alpha, k):
    with mp.workdps(DIGITS):
        expected = float(mp.exp(_nb_log_cdf(k, mp.log(mu), mp.log(alpha))))
    assert float(NegativeBinomial(mu, alpha).cdf(k)) == pytest.approx(expected, rel=1e-11)


def _softplus_log(z):
    return mp.log(mp.log1p(mp.exp(mp.mpf(z))))


def test_censored_nll_where_p_underflows():
    with mp.workdps(DIGITS):
        _censored_nll_where_p_underflows()


def _censored_nll_where_p_underflows():
    # mean e^1334.5, dispersion 8699: p = e^-1343.6 underflows, P(Y = 0) = p^r = 0.857
    z1, z2, z0 = 1334.53260382, 8699.37533408, -5410.9674978
    log_f46 = _nb_log_cdf(46, z1, _softplus_log(z2))
    log_f0 = _nb_log_cdf(0, z1, _softplus_log(z2))
    nb_expected = -float(mp.log(1 - mp.exp(log_f46)))  # -log P(Y > 46)
    nb = get_family("negative-binomial")
    got = nb.censored_nll(np.array([[z1, z2]]), np.array([46.0]), np.array([np.inf]))
    assert got[0] == pytest.approx(nb_expected, rel=1e-9)
    # the hurdle: -log((1 - pi) P(Y > 46) / P(Y > 0)), pi = sigmoid(z0)
    log_not_pi = -mp.log1p(mp.exp(mp.mpf(z0)))
    hurdle_expected = -float(log_not_pi + mp.log(1 - mp.exp(log_f46)) - mp.log(1 - mp.exp(log_f0)))
    hurdle = get_family("hurdle-negative-binomial")
    got = hurdle.censored_nll(np.array([[z1, z2, z0]]), np.array([46.0]), np.array([np.inf]))
    assert got[0] == pytest.approx(hurdle_expected, rel=1e-6, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(raw=st.lists(st.floats(-1e4, 1e4), min_size=3, max_size=3),
       t=st.integers(0, 60), kind=st.sampled_from(["right", "left", "interval"]))
def test_censored_probabilities_never_exceed_one(raw, t, kind):
    lower = {"right": float(t), "left": -1.0, "interval": float(t)}[kind]
    upper = {"right": np.inf, "left": float(t), "interval": float(t) + 3.0}[kind]
    for name, k in (("negative-binomial", 2), ("hurdle-negative-binomial", 3),
                    ("zero-inflated-negative-binomial", 3)):
        nll = get_family(name).censored_nll(np.array([raw[:k]]), np.array([lower]),
                                            np.array([upper]))  # fmt: skip
        assert not np.isnan(nll[0])
        assert nll[0] >= -1e-12  # -log of a probability


def test_huge_dispersion_keeps_its_mass_at_zero():
    # alpha = 1e300, mu = 1e-10: P(Y = 0) = (1 + alpha mu)^(-1/alpha) = 1 - 6.68e-298 (mpmath),
    # so F(k) = 1 in floats from k = 0 and every quantile below 1 - 1e-297 is 0. The
    # incomplete beta's continued fraction, run beyond the side where it converges, gave
    # F(1e10) = e^-689 and the quantiles ~1e291.
    log_p = -mp.log1p(mp.mpf(10) ** 290)
    sf0 = -mp.expm1(log_p / mp.mpf(10) ** 300)  # P(Y > 0)
    law = NegativeBinomial(1e-10, 1e300)
    np.testing.assert_array_equal(law.icdf(np.array([1e-300, 1e-16, 0.01])), 0.0)
    np.testing.assert_array_equal(law.cdf(np.array([0.0, 1.0, 1e10, 1e100])), 1.0)
    assert np.exp(law._log_sf(np.array([0.0])))[0] == pytest.approx(float(sf0), rel=1e-9)
