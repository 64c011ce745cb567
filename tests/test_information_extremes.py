"""Entropies and KL divergences at extreme parameters (the eleventh hostile trial).

Oracle: mpmath, the closed forms evaluated with enough digits that their cancelling terms
(each about ``x log x``) leave the answer's digits intact.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.distributions import Beta, Gamma, Laplace, Normal, Poisson
from probnn.information import kl_divergence

mp = pytest.importorskip("mpmath")  # the oracle extra (make test installs it)

_SHAPES = [1e-300, 1e-10, 0.3, 1.0, 7.0, 24.9, 25.0, 26.0, 1e3, 1e10, 1e100, 1e300]


def _digits_for(*values: float) -> int:
    """Digits enough for terms of size x log x to cancel down to the answer's 20 digits."""
    return 40 + int(max(abs(np.log10(v)) for v in values))


def _gamma_entropy(k: float, rate: float) -> float:
    with mp.workdps(_digits_for(k, rate)):
        k_, r_ = mp.mpf(k), mp.mpf(rate)
        return float(k_ - mp.log(r_) + mp.loggamma(k_) + (1 - k_) * mp.digamma(k_))


def _beta_entropy(a: float, b: float) -> float:
    with mp.workdps(_digits_for(a, b)):
        a_, b_ = mp.mpf(a), mp.mpf(b)
        return float(mp.loggamma(a_) + mp.loggamma(b_) - mp.loggamma(a_ + b_)
                     - (a_ - 1) * mp.digamma(a_) - (b_ - 1) * mp.digamma(b_)
                     + (a_ + b_ - 2) * mp.digamma(a_ + b_))


@pytest.mark.parametrize("k", _SHAPES)
@pytest.mark.parametrize("rate", [1e-300, 1.0, 1e300])
def test_gamma_entropy_at_every_shape_matches_mpmath(k, rate):
    # was k + log G(k) + (1 - k) psi(k) summed directly: 1e-5 nats off at k = 1e10, 0.0 for
    # 116.5 at k = 1e100 (every digit cancelled)
    expected = _gamma_entropy(k, rate)
    assert float(Gamma(k, rate).entropy()) == pytest.approx(expected, rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("a", _SHAPES)
@pytest.mark.parametrize("b", [1e-10, 1.0, 26.0, 1e10, 1e100, 1e300])
def test_beta_entropy_at_every_shape_matches_mpmath(a, b):
    # was 0.0 for Beta(1, 1e100), whose entropy is 1 - log(1e100) = -229.26
    expected = _beta_entropy(a, b)
    assert float(Beta(a, b).entropy()) == pytest.approx(expected, rel=1e-13, abs=1e-13)


def test_beta_entropy_of_one_and_b_is_the_hand_worked_value():
    # Beta(1, b) has density b (1 - y)^(b - 1): entropy -log b + 1 - 1/b
    for b in (1e10, 1e100, 1e300):
        expected = -np.log(b) + 1.0 - 1.0 / b
        assert float(Beta(1.0, b).entropy()) == pytest.approx(expected, rel=1e-14)


def _normal_kl(m1, s1, m2, s2) -> float:
    with mp.workdps(60):
        m1, s1, m2, s2 = map(mp.mpf, (m1, s1, m2, s2))
        return float(mp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mp.mpf(1) / 2)


@pytest.mark.parametrize("m1, s1, m2, s2", [
    (0.0, 1e200, 0.0, 1e200),        # was nan (the squares overflow)
    (0.0, 1e-200, 0.0, 1e-200),      # was nan (the squares underflow)
    (0.0, 1e-200, 1e-200, 2e-200),   # was nan
    (0.0, 1e160, 0.0, 2e160),        # was nan
    (0.0, 1.0, 0.0, 1.0 + 1e-8),     # was 2.2e-16 for 1.0e-16
    (1.0, 1.0, 1.0 + 1e-9, 1.0),
    (0.0, 1.0, 3.0, 2.0),
    (0.0, 1e-300, 0.0, 1e300),
    (0.0, 1e300, 0.0, 1e-300),      # KL is +inf in float64
    (1e300, 1.0, -1e300, 1.0),       # +inf
])
def test_normal_kl_at_extreme_scales_matches_mpmath(m1, s1, m2, s2):
    expected = _normal_kl(m1, s1, m2, s2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no bare RuntimeWarning either
        found = float(kl_divergence(Normal(m1, s1), Normal(m2, s2)))
    assert found == pytest.approx(expected, rel=1e-13, abs=0.0)


@settings(max_examples=60, deadline=None)
@given(log_scale=st.floats(-300, 300), ratio=st.floats(0.01, 100.0),
       shift=st.floats(-10, 10))
def test_normal_kl_is_invariant_to_the_common_scale(log_scale, ratio, shift):
    # KL(N(m1, s1) || N(m2, s2)) depends only on s1 / s2 and (m1 - m2) / s2
    s = 10.0**log_scale
    expected = _normal_kl(shift, ratio, 0.0, 1.0)
    found = float(kl_divergence(Normal(shift * s, ratio * s), Normal(0.0, s)))
    assert found == pytest.approx(expected, rel=1e-9, abs=1e-300)


def _poisson_kl(l1, l2) -> float:
    with mp.workdps(60):
        l1, l2 = mp.mpf(l1), mp.mpf(l2)
        return float(l1 * mp.log(l1 / l2) - l1 + l2)


@pytest.mark.parametrize("l1, l2", [
    (1e10, 1e10 + 1),             # was 1.7e-5 for 5.0e-11
    (1e15, 1e15 * (1 + 1e-6)),    # was 499.75 for 499.9997
    (5.0, 5.0 + 1e-9),
    (1e-300, 2e-300),
    (1e300, 1.5e300),
    (3.0, 40.0),
    (40.0, 3.0),
])
def test_poisson_kl_of_close_rates_matches_mpmath(l1, l2):
    found = float(kl_divergence(Poisson(l1), Poisson(l2)))
    assert found == pytest.approx(_poisson_kl(l1, l2), rel=1e-12, abs=0.0)


@pytest.mark.parametrize("rate", [1e4, 1e10, 1e160, 1e300])
def test_poisson_entropy_at_huge_rates_is_quiet_and_matches_the_series(rate):
    # was a bare "overflow encountered in square" at 1e300; Evans & Boersma's series by hand
    expected = (0.5 * np.log(2 * np.pi * np.e * rate) - 1 / (12 * rate) - 1 / (24 * rate * rate)
                - 19 / (360 * rate * rate * rate) if rate < 1e100 else
                0.5 * np.log(2 * np.pi * np.e * rate))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = float(Poisson(rate).entropy())
    assert found == pytest.approx(expected, rel=1e-14)


def _laplace_kl(m1, b1, m2, b2) -> float:
    with mp.workdps(60):
        m1, b1, m2, b2 = map(mp.mpf, (m1, b1, m2, b2))
        d = abs(m1 - m2)
        return float(mp.log(b2 / b1) + d / b2 + (b1 / b2) * mp.exp(-d / b1) - 1)


@pytest.mark.parametrize("m1, b1, m2, b2", [
    (0.0, 1.0, 1e-9, 1.0),          # was 0.0 for 5.0e-19
    (0.0, 1.0, 0.0, 1.0 + 1e-9),    # was 0.0 for 5.0e-19
    (0.0, 1.0, 0.3, 1.2),
    (0.0, 1.0, 0.0, 3.0),
    (0.0, 2.0, 5.0, 1.0),
    (0.0, 1e200, 0.0, 1e200),
    (0.0, 1e-300, 1e-300, 1e-300),
])
def test_laplace_kl_matches_mpmath(m1, b1, m2, b2):
    found = float(kl_divergence(Laplace(m1, b1), Laplace(m2, b2)))
    assert found == pytest.approx(_laplace_kl(m1, b1, m2, b2), rel=1e-13, abs=0.0)
