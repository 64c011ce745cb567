"""Spreads of the positive laws whose shape grows without bound on a target far from zero.

A target such as ``1e9 + N(0, 1)`` gives the Weibull and log-logistic best constants shapes
near 1e9: their variances, written as differences of two terms each about 1, cancelled to a
negative number (Weibull: a NaN standard deviation and a RuntimeWarning on the console of
``probnn fit``) or to 0 (log-logistic). Oracle: mpmath at 60 digits on the textbook formulas.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.distributions import LogLogistic, Weibull

mpmath = pytest.importorskip("mpmath")


def _weibull_variance(scale: float, k: float) -> float:
    with mpmath.workdps(60):
        k = mpmath.mpf(k)
        spread = mpmath.gamma(1 + 2 / k) - mpmath.gamma(1 + 1 / k) ** 2
        return float(mpmath.mpf(scale) ** 2 * spread)


def _loglogistic_variance(scale: float, beta: float) -> float:
    with mpmath.workdps(60):
        x = mpmath.pi / mpmath.mpf(beta)
        spread = 2 * x / mpmath.sin(2 * x) - (x / mpmath.sin(x)) ** 2
        return float(mpmath.mpf(scale) ** 2 * spread)


@settings(max_examples=60, deadline=None)
@given(log_shape=st.floats(0.05, 16.0), scale=st.floats(1e-3, 1e9))
def test_weibull_variance_at_any_shape(log_shape, scale):
    k = 10.0**log_shape
    got = float(Weibull(scale=scale, concentration=k).variance)
    np.testing.assert_allclose(got, _weibull_variance(scale, k), rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(log_shape=st.floats(0.35, 16.0), scale=st.floats(1e-3, 1e9))
def test_loglogistic_variance_at_any_shape(log_shape, scale):
    beta = 10.0**log_shape  # (beta > 2: a finite variance)
    got = float(LogLogistic(scale=scale, concentration=beta).variance)
    np.testing.assert_allclose(got, _loglogistic_variance(scale, beta), rtol=1e-12)


@pytest.mark.parametrize("law", [Weibull, LogLogistic])
def test_the_best_constant_of_a_target_far_from_zero_has_its_spread(law):
    # y = 1e9 + N(0, 1): the fitted shape is about 1e9, the spread about 1, not 0 or NaN
    y = 1e9 + np.random.default_rng(0).normal(size=160)
    dist = law.fit(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sd = float(dist.stddev)
    assert 0.5 < sd < 2.0, sd
