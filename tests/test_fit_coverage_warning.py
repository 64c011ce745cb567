"""The console warns when the held-out central interval holds far too few rows (hostile5 F4).

A Poisson network on counts ~1e12 held 0 of 63 held-out rows in its 90% interval and printed
no warning (its best constant model was worse still, so the constant check was silent). The
rule: warn when a calibrated model (each row inside with the interval's mass) would hold so
few with binomial probability below 1e-6. Oracle: scipy.stats.binom and hand-worked tails.
"""

from __future__ import annotations

import pytest
from scipy import stats

from probnn.cli.fit import _coverage_far_below


def test_none_of_63_rows_inside_a_90_percent_interval_is_warned():
    warning = _coverage_far_below({"coverage": 0.0, "coverage_expected": 0.9}, 63, 0.9)
    assert warning is not None and "held 0 of the 63" in warning
    assert "1e-63" in warning  # 0.1^63, by hand


@pytest.mark.parametrize("inside, n, mass", [(50, 63, 0.9), (57, 63, 0.9), (40, 100, 0.5)])
def test_coverage_within_chance_is_not_warned(inside, n, mass):
    assert stats.binom.cdf(inside, n, mass) > 1e-6  # the oracle: a calibrated model's chance
    metrics = {"coverage": inside / n, "coverage_expected": mass}
    assert _coverage_far_below(metrics, n, 0.9) is None


def test_the_threshold_is_the_binomial_tail():
    # 63 rows at 0.9 (scipy): P(X <= 42) = 4.2e-7, warned; P(X <= 43) = 1.9e-6, not
    assert stats.binom.cdf(42, 63, 0.9) < 1e-6 < stats.binom.cdf(43, 63, 0.9)
    warned = [_coverage_far_below({"coverage": k / 63, "coverage_expected": 0.9}, 63, 0.9)
              for k in (42, 43)]
    assert warned[0] is not None and warned[1] is None


def test_classifier_metrics_have_no_coverage_and_no_warning():
    assert _coverage_far_below({"accuracy": 0.2, "nll_nats": 3.0}, 63, 0.9) is None
