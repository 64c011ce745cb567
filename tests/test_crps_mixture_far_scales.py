"""The CRPS of a mixture of normals at scales far from 1 (hostile trial 7).

Its cross terms ``E|X_i - X_j'|`` need ``sqrt(s_i^2 + s_j^2)``: squared, scales below ~1e-154
gave 0 (a nan CRPS: ``probnn fit`` on targets of 1e-300 printed "CRPS nan" and exit 0) and
above ~1e154 inf. The oracle: the CRPS is the integral of ``(F(x) - 1{x >= y})^2`` (scipy's
quad at unit scale), and a law and its observation scaled by c have c times the CRPS.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from probnn.distributions import Mixture, Normal
from probnn.scoring_rules import crps

WEIGHTS = np.array([0.6, 0.3, 0.1])
LOC = np.array([0.7, 2.1, 6.0])
SCALE = np.array([0.4, 0.85, 2.7])


def unit_scale_crps(y: float) -> float:
    """``int (F(x) - 1{x >= y})^2 dx`` of the unit-scale mixture, by scipy's quad."""
    def cdf(x):
        return float(np.dot(WEIGHTS, stats.norm.cdf(x, LOC, SCALE)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        below = integrate.quad(lambda x: cdf(x) ** 2, -np.inf, y, epsabs=0.0, epsrel=1e-12)[0]
        above = integrate.quad(lambda x: (1 - cdf(x)) ** 2, y, np.inf, epsabs=0.0,
                               epsrel=1e-12)[0]  # fmt: skip
    return below + above


@settings(max_examples=12, deadline=None)
@given(st.sampled_from([-300, -250, -200, -160, -100, 0, 100, 160, 200, 250, 300]),
       st.floats(-3.0, 9.0))
def test_mixture_of_normals_crps_is_equivariant_far_from_unit_scale(exponent, y):
    factor = 10.0 ** exponent
    mix = Mixture([Normal(LOC[i] * factor, SCALE[i] * factor) for i in range(3)],
                  weights=WEIGHTS)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0 / 0 nor overflow on the way
        got = float(crps(mix, y * factor))
    assert got == pytest.approx(unit_scale_crps(y) * factor, rel=1e-6)
