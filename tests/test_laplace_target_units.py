"""The Laplace predictive in a target's units of 1e200 and 1e-200: finite, and scaled.

Oracles: scaling invariance (a target multiplied by ``s`` gives a predictive whose
locations and scales are the unscaled fit's times ``s``: exactly for ``s`` a power of two,
whose products are exact, to rounding for ``s = 1e200`` on a converged linear fit) and
scipy.stats' densities of the unscaled predictive, shifted by ``log s`` per row.
Before: the widening squared the scale and the location's variance, which overflowed (1e400)
or underflowed (1e-400) and gave a NaN scale.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn import LaplaceApproximation, MLPRegressor
from probnn.distributions import Laplace, Normal, StudentT
from probnn.laplace import _widened

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.standard_t(4, size=40)
    return X, y


def _predictive(family: str, hidden: tuple, X, y):
    est = MLPRegressor(hidden_layer_sizes=hidden, family=family, dtype="float64", solver="lbfgs",
                       max_iter=2000, tol=1e-12, random_state=0)  # fmt: skip
    return LaplaceApproximation(est, subset="all").fit(X, y).predict_dist(X[:8])


@pytest.mark.parametrize("family", ["normal", "laplace", "studentt"])
@pytest.mark.parametrize("units", [2.0**664, 2.0**-664])  # 7.7e199, 1.3e-200
def test_power_of_two_units_scale_the_predictive_exactly(family, units):
    X, y = _data()
    base = _predictive(family, (3,), X, y)
    scaled = _predictive(family, (3,), X, y * units)
    np.testing.assert_allclose(np.asarray(scaled.scale), np.asarray(base.scale) * units, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(scaled.loc), np.asarray(base.loc) * units, rtol=1e-12)


_SCIPY_LOGPDF = {
    "normal": lambda d, y, s: stats.norm.logpdf(y, np.asarray(d.loc) * s, np.asarray(d.scale) * s),
    "studentt": lambda d, y, s: stats.t.logpdf(y, np.asarray(d.df), np.asarray(d.loc) * s,
                                               np.asarray(d.scale) * s),
}


@pytest.mark.parametrize("family", ["normal", "studentt"])  # smooth NLLs: the fit converges
@pytest.mark.parametrize("units", [1e200, 1e-200])
def test_units_of_1e200_scale_the_predictive_and_shift_its_nll(family, units):
    X, y = _data()
    base = _predictive(family, (), X, y)
    scaled = _predictive(family, (), X, y * units)
    np.testing.assert_allclose(np.asarray(scaled.scale), np.asarray(base.scale) * units, rtol=1e-12)
    # the NLL in units of s is the unscaled one plus log s (scipy at the unscaled predictive)
    unscaled_nll = -_SCIPY_LOGPDF[family](base, y[:8], 1.0)
    nll = -np.asarray(scaled.log_prob(y[:8] * units))
    np.testing.assert_allclose(nll, unscaled_nll + math.log(units), rtol=1e-10)


_UNIT_LAWS = [
    (lambda s: Normal(0.0, s), stats.norm()),
    (lambda s: Laplace(0.0, s), stats.laplace()),
    (lambda s: StudentT(3.0, loc=0.0, scale=s), stats.t(3.0)),
]


@settings(max_examples=40, deadline=None)
@given(law=st.sampled_from(range(3)), log10_units=st.integers(-300, 300),
       scale=st.floats(0.05, 20.0), extra_sd=st.floats(0.0, 20.0))  # fmt: skip
def test_widened_variance_adds_the_extra_variance_in_any_units(law, log10_units, scale, extra_sd):
    make, unit = _UNIT_LAWS[law]
    units = 10.0**log10_units
    widened = _widened(make(np.array([scale * units])), np.array([extra_sd * units]))
    new_scale = float(np.asarray(widened.scale)[0]) / units
    assert math.isfinite(new_scale)
    # scipy's variance of the unit law: c scale'^2 = c scale^2 + extra_sd^2
    c = unit.var()
    assert c * new_scale**2 == pytest.approx(c * scale**2 + extra_sd**2, rel=1e-12)
