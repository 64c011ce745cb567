"""Interval coverage of a target censored at fixed bounds (``probnn.survival.recorded_coverage``):
the central interval of the value recorded, ``clip(Y, below, above)``, and the model's own mass.

Oracles: cases worked by hand with scipy.stats.norm (which rows are covered, and the mass
``F(b) [lo <= b] + (F(min(hi, a)) - F(max(lo, b)))+ + S(a) [hi >= a]``), and the calibration
identity: values drawn from the predicted laws and clipped are covered at the rate of the
model's own mass (a binomial count within 4 standard errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.distributions import Normal
from probnn.survival import censored_metrics, recorded_coverage


def test_worked_cases_left_censored_at_zero():
    loc = np.array([-3.0, 0.5, 5.0, 0.0])
    scale = np.ones(4)
    dist = Normal(loc, scale)
    z = stats.norm.ppf(0.95)
    lo, hi = loc - z * scale, loc + z * scale
    recorded = np.array([0.0, 0.0, 0.0, 1.0])  # three at the limit, one exact
    covered, mass = recorded_coverage(dist, recorded, 0.0, None, 0.9)
    # A latent interval reaching 0 leaves nothing recorded below it (the atom at 0 is inside),
    # so its lower tail's 5% goes to the upper end, Y's quantile at 0.9 (z90 = 1.2816):
    # row 0: interval [-4.6, -1.4] -> [0, max(0, -3 + 1.28)] = [0, 0]: holds 0; mass F(0)
    # row 1: [-1.1, 2.1] -> [0, 0.5 + 1.28]: holds 0; mass F(0.5 + z90) = 0.9
    # row 2: [3.4, 6.6]: does not reach 0; mass 0.9
    # row 3: [-1.6, 1.6] -> [0, 1.28] holds 1; mass 0.9
    z90 = stats.norm.ppf(0.9)
    assert lo[1] < 0 and 0.5 + z90 < hi[1] and lo[3] < 0 < 1.0 < z90
    np.testing.assert_array_equal(covered, [True, True, False, True])
    expected = [stats.norm.cdf(0, -3.0), 0.9, 0.9, 0.9]
    np.testing.assert_allclose(mass, expected, rtol=1e-9)


def test_worked_cases_with_both_bounds():
    dist = Normal(np.array([0.5, 0.5]), np.array([2.0, 2.0]))
    z = stats.norm.ppf(0.95)
    lo, hi = 0.5 - 2 * z, 0.5 + 2 * z  # [-2.79, 3.79] reaches both bounds
    covered, mass = recorded_coverage(dist, np.array([-1.0, 2.0]), -1.0, 2.0, 0.9)
    np.testing.assert_array_equal(covered, [True, True])
    f = stats.norm(0.5, 2.0)
    whole = f.cdf(-1.0) + (f.cdf(2.0) - f.cdf(-1.0)) + f.sf(2.0)  # every recorded value
    np.testing.assert_allclose(mass, [whole, whole], rtol=1e-12)
    assert lo < -1.0 and hi > 2.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), below=st.floats(-1.5, 0.5), width=st.floats(0.5, 4.0))
def test_values_drawn_from_the_model_are_covered_at_its_own_rate(seed, below, width):
    rng = np.random.default_rng(seed)
    n = 4000
    loc, scale = rng.normal(size=n), rng.uniform(0.3, 2.0, size=n)
    above = below + width
    recorded = np.clip(rng.normal(loc, scale), below, above)
    covered, mass = recorded_coverage(Normal(loc, scale), recorded, below, above, 0.9)
    se = np.sqrt(np.sum(mass * (1 - mass))) / n
    assert abs(covered.mean() - mass.mean()) < 4 * se + 1e-9


def test_censored_metrics_measure_it_only_at_fixed_bounds():
    dist = Normal(np.array([-3.0, 0.5, 5.0]), np.ones(3))
    y = np.array([[-np.inf, 0.0], [-np.inf, 0.0], [5.2, 5.2]])
    nll = np.zeros(3)
    fixed = censored_metrics(y, dist, nll, coverage=0.9, bounds=(0.0, None))
    covered, mass = recorded_coverage(dist, np.array([0.0, 0.0, 5.2]), 0.0, None, 0.9)
    assert fixed["coverage"] == pytest.approx(covered.mean())
    assert fixed["coverage_expected"] == pytest.approx(mass.mean())
    assert "coverage" not in censored_metrics(y, dist, nll)  # bounds from columns: none


def test_probnn_fit_prints_the_recorded_values_coverage_for_a_tobit_target(tmp_path, capsys):
    from probnn.tables.censoring import Censoring
    from probnn.tables.model import TabularModel

    rng = np.random.default_rng(0)
    x = rng.normal(size=600)
    y = np.maximum(0.0, 0.5 + x + rng.normal(size=600))  # about 35% at the limit 0
    frame = pd.DataFrame({"x": x, "y": y})
    model = TabularModel.fit(frame.iloc[:500], "y", family="normal", hidden=(), solver="lbfgs",
                             censoring=Censoring(below=0.0), seed=0)  # fmt: skip
    held = frame.iloc[500:]
    m = model.evaluate(held, coverage=0.9)
    dist = model.predict_dist(held)
    covered, mass = recorded_coverage(dist, held["y"].to_numpy(), 0.0, None, 0.9)
    assert m["coverage"] == pytest.approx(covered.mean())
    assert m["coverage_expected"] == pytest.approx(mass.mean())
    assert m["coverage_expected"] > 0.9  # intervals that reach the limit take its whole atom
