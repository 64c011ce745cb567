"""Count log-masses far from the mean, where ``1 + (y - mu) / mu`` rounds to 0.

The saddle-point forms (Loader's ``bd0``, from counts of 256) took ``log1p`` of a ratio that
rounds to ``-1`` for a count far below its mean (``y = 256``, ``mu = e^43``): the log-mass
came out ``+inf``, and the CRPS with it. Oracle: mpmath at 700 digits, the pmfs written out.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn import crps
from probnn.distributions import NegativeBinomial, Poisson

mp = pytest.importorskip("mpmath")  # the oracle extra (make test installs it)
DIGITS = 700  # y log(mu / (r + mu)) loses log10(mu / r) digits: up to 600 here (set per call:
#   other test modules set mpmath's global precision when they are imported)


@mp.workdps(DIGITS)
def _poisson(log_rate: float, y: float):
    mu = mp.e ** mp.mpf(log_rate)
    return float(mp.mpf(y) * mp.mpf(log_rate) - mu - mp.loggamma(mp.mpf(y) + 1))


@mp.workdps(DIGITS)
def _negative_binomial(mean: float, alpha: float, y: float):
    m, a, y = mp.mpf(mean), mp.mpf(alpha), mp.mpf(y)
    r = 1 / a
    return float(mp.loggamma(y + r) - mp.loggamma(r) - mp.loggamma(y + 1)
                 + r * mp.log(r / (r + m)) + y * mp.log(m / (r + m)))


@pytest.mark.parametrize("log_rate, y", [(43.0, 256.0), (43.0, 1e6), (600.0, 300.0),
                                         (-20.0, 1e6), (40.0, 1e3), (680.0, 1e295)])
def test_poisson_log_mass_far_from_the_mean(log_rate, y):
    got = float(Poisson(log_rate=log_rate).log_prob(y))
    assert got == pytest.approx(_poisson(log_rate, y), rel=1e-13)


@pytest.mark.parametrize("mean, alpha, y", [(4.7e18, 1e-30, 256.0), (1.0, 1.0, 1e18),
                                            (4.7e18, 0.5, 256.0), (1e-3, 1e-12, 1e6),
                                            (1e300, 1e-3, 1e3), (1.36e151, 148.4, 256.0),
                                            (1e298, 1e-3, 2e298)])
def test_negative_binomial_log_mass_far_from_the_mean(mean, alpha, y):
    got = float(NegativeBinomial(mean, alpha).log_prob(y))
    assert got == pytest.approx(_negative_binomial(mean, alpha, y), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(-30.0, 600.0), st.integers(256, 10**15),
       st.floats(-40.0, 5.0))  # fmt: skip
def test_count_log_masses_are_mpmath_s_anywhere(log_mean, y, log_alpha):
    y = float(y)
    assert float(Poisson(log_rate=log_mean).log_prob(y)) == pytest.approx(
        _poisson(log_mean, y), rel=1e-12, abs=1e-9)
    mean, alpha = float(np.exp(log_mean)), float(np.exp(log_alpha))
    assert float(NegativeBinomial(mean, alpha).log_prob(y)) == pytest.approx(
        _negative_binomial(mean, alpha, y), rel=1e-11, abs=1e-8)


@mp.workdps(50)
def test_a_count_far_below_a_huge_mean_has_a_finite_crps():
    # E|X - y| - E|X - X'|/2 = (mu - y) - mu e^{-2 mu} (I0 + I1)(2 mu) for y far below mu
    mu = mp.e ** 43
    half_gini = mu * (mp.besseli(0, 2 * mu) + mp.besseli(1, 2 * mu)) * mp.e ** (-2 * mu)
    want = float(mu - 256 - half_gini)
    assert float(crps(Poisson(log_rate=43.0), 256.0)) == pytest.approx(want, rel=1e-12)
