"""Standard deviations of mixtures and excess-zero laws where the variance leaves float range.

``Mixture.stddev`` was ``sqrt(variance)``: components of scale 1e200 gave inf (variance 1e400)
with a bare overflow warning, components of scale 1e-200 gave 0 (variance 1e-400). A
zero-inflated / hurdle law's variance ``E[Y^2] - E[Y]^2`` cancelled: a Poisson rate of 1e17
with P(0) ~ 1e-26 gave variance 0. Oracles: the law of total variance worked at order 1 and
scaled (a scale law's sd scales with it), and mpmath at 60 digits for the count laws.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.distributions import Laplace, Normal, Poisson
from probnn.distributions.hurdle import Hurdle
from probnn.distributions.mixture import Mixture
from probnn.distributions.zero_inflated import ZeroInflated

unit_floats = st.floats(-3.0, 3.0)


@settings(max_examples=40, deadline=None)
@given(locs=st.lists(unit_floats, min_size=2, max_size=4),
       log_scales=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4),
       raw_weights=st.lists(st.floats(0.05, 1.0), min_size=4, max_size=4),
       power=st.sampled_from([-1000, -900, -700, -300, 0, 300, 700, 1000]))  # fmt: skip
def test_a_mixture_sd_scales_with_its_components(locs, log_scales, raw_weights, power):
    """Oracle: at order 1, sqrt(sum w (s^2 + (m - mean)^2)); times c = 2^power exactly."""
    k = len(locs)
    w = np.array(raw_weights[:k]) / np.sum(raw_weights[:k])
    m, s = np.array(locs), np.exp(log_scales[:k])
    mean = np.sum(w * m)
    expected = np.sqrt(np.sum(w * (s**2 + (m - mean) ** 2)))
    c = 2.0**power
    comps = [(Normal if j % 2 else Laplace)(np.array([m[j] * c]),
                                            np.array([s[j] * c / (1 if j % 2 else np.sqrt(2))]))
             for j in range(k)]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = Mixture(comps, weights=w).stddev[0]
    assert got / c == pytest.approx(expected, rel=1e-12)


def test_mixtures_at_the_float_limits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        far = Mixture([Normal(np.array([-1.7e308]), np.array([1.0])),
                       Normal(np.array([1.7e308]), np.array([1.0]))], weights=[0.5, 0.5])
        assert far.stddev[0] == pytest.approx(1.7e308, rel=1e-15)
        assert far.variance[0] == np.inf  # 2.9e616: honestly past float max


@pytest.mark.parametrize("law", [ZeroInflated, Hurdle])
@pytest.mark.parametrize("rate, logit", [(1e10, -60.0), (1e16, -60.0), (1e17, -60.0),
                                         (1e200, -60.0), (3.0, 0.5), (1e-3, -2.0)])
def test_excess_zero_variance_without_cancellation(law, rate, logit):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    lam, pi = mp.mpf(rate), 1 / (1 + mp.exp(-mp.mpf(logit)))
    keep = (1 - pi) if law is ZeroInflated else (1 - pi) / (1 - mp.exp(-lam))
    mean, second = keep * lam, keep * (lam + lam**2)
    variance = second - mean**2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = law(Poisson(np.array([rate])), np.array([logit]))
        sd = d.stddev[0]
        var = d.variance[0]
    assert sd == pytest.approx(float(mp.sqrt(variance)), rel=1e-12)
    if variance < mp.mpf("1e308"):
        assert var == pytest.approx(float(variance), rel=1e-12)
    else:
        assert var == np.inf


def test_a_mixture_of_hurdle_laws_has_the_total_variance():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    parts = [(1e17, -60.0), (2e17, -1.0)]
    comps = [Hurdle(Poisson(np.array([r])), np.array([z])) for r, z in parts]
    moments = []
    for r, z in parts:
        lam, pi = mp.mpf(r), 1 / (1 + mp.exp(-mp.mpf(z)))
        keep = (1 - pi) / (1 - mp.exp(-lam))
        moments.append((keep * lam, keep * (lam + lam**2)))
    mean = sum(m for m, _ in moments) / 2
    second = sum(s for _, s in moments) / 2
    assert Mixture(comps, weights=[0.5, 0.5]).stddev[0] == pytest.approx(
        float(mp.sqrt(second - mean**2)), rel=1e-12)
