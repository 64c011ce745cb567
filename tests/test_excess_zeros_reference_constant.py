"""The constant model that scores held-out rows, for the hurdle and zero-inflated families.

On counts with no zero a hurdle's constant MLE has P(0) = 0 exactly (no finite optimum), so
``probnn fit``'s best constant model scored a held-out zero at an infinite NLL ("the network
adds inf bits"). The zero part is a two-class model of y == 0, so it takes the class models'
rule for a label without training rows: half a pseudo-count of each outcome, the
Krichevsky-Trofimov P(0) = (1/2) / (n + 1). Oracles: that formula worked by hand, Kish's
effective count (sum w)^2 / sum w^2 for weighted rows, scipy.stats for the count part.
"""

import numpy as np
import pytest
from scipy import stats

from probnn.families import FAMILIES
from probnn.report.card import constant_baseline

HURDLES = ["hurdle-poisson", "hurdle-negative-binomial"]
EXCESS_ZEROS = [*HURDLES, "zero-inflated-poisson", "zero-inflated-negative-binomial"]
POSITIVE = np.array([1.0, 2.0, 3.0, 5.0, 1.0, 2.0, 4.0])  # n = 7, no zero


def _p0(family, raw):
    return float(np.exp(family.distribution(raw[None, :]).log_prob([0.0])[0]))


@pytest.mark.parametrize("name", HURDLES)
def test_a_hurdle_reference_on_counts_without_zeros_is_krichevsky_trofimov(name):
    family = FAMILIES[name]()
    assert _p0(family, family.reference_raw(POSITIVE)) == pytest.approx(0.5 / 8, rel=1e-12)
    # the MLE itself (the networks' start) is unchanged: P(0) = 0
    assert family.constant_raw(POSITIVE)[-1] == -np.inf


@pytest.mark.parametrize("name", EXCESS_ZEROS)
def test_only_zeros_give_the_krichevsky_trofimov_share_of_zeros(name):
    family = FAMILIES[name]()
    assert _p0(family, family.reference_raw(np.zeros(7))) == pytest.approx(7.5 / 8, rel=1e-12)


@pytest.mark.parametrize("name", HURDLES)
def test_weighted_rows_count_by_kish_and_scaling_the_weights_changes_nothing(name):
    family = FAMILIES[name]()
    w = np.array([1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0])
    n_eff = w.sum() ** 2 / (w**2).sum()  # 81 / 10
    expected = 0.5 / (n_eff + 1.0)
    for scale in (1.0, 1e-300, 1e300):
        raw = family.reference_raw(POSITIVE, w * scale)
        assert _p0(family, raw) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", EXCESS_ZEROS)
def test_rows_with_zeros_and_positives_keep_the_mle(name):
    family = FAMILIES[name]()
    y = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 4.0, 0.0, 1.0])
    np.testing.assert_array_equal(family.reference_raw(y), family.constant_raw(y))


@pytest.mark.parametrize("name", ["zero-inflated-poisson", "zero-inflated-negative-binomial"])
def test_zero_inflation_without_zeros_needs_no_rule(name):
    """The count law keeps P(0) > 0: the MLE scores a held-out zero finitely."""
    family = FAMILIES[name]()
    np.testing.assert_array_equal(family.reference_raw(POSITIVE), family.constant_raw(POSITIVE))
    assert _p0(family, family.reference_raw(POSITIVE)) > 0


def test_the_best_constant_model_scores_a_held_out_zero_finitely():
    """``probnn fit``'s constant reference (report, console warning): was inf."""
    family = FAMILIES["hurdle-poisson"]()
    nll, described = constant_baseline(family, POSITIVE, np.array([0.0, 3.0]))
    # count part: the zero-truncated Poisson MLE, mean rate / (1 - e^-rate) = mean(POSITIVE)
    from scipy.optimize import brentq

    rate = brentq(lambda r: r / -np.expm1(-r) - POSITIVE.mean(), 1e-6, 50)
    p0 = 0.5 / 8
    expected = -(np.log(p0) + np.log1p(-p0) + stats.poisson.logpmf(3, rate)
                 - np.log(-np.expm1(-rate))) / 2  # fmt: skip
    assert nll == pytest.approx(expected, rel=1e-7)
    assert "zero_probability = 0.0625" in described


@pytest.mark.parametrize("name", EXCESS_ZEROS)
@pytest.mark.parametrize("zeros", [False, True])
def test_a_weighted_tally_and_its_rows_get_one_reference(name, zeros):
    """counted_reference (a tally: a streamed or chosen constant) took the KT count from the
    rows counted, reference_raw (the report's) from Kish's effective rows: on one row of
    weight 1 among nine of weight 0, n = 10 (P(0) = 1/22) against n = 1 (1/4). Both now
    take Kish's count, (sum w)^2 / sum w^2 worked exactly in fractions, the rows' count
    for rows of weight 1."""
    from fractions import Fraction

    family = FAMILIES[name]()
    if name.startswith("zero-inflated") and not zeros:
        return  # (no zero: the count law keeps P(0) > 0, no rule)
    y = np.zeros(10) if zeros else np.arange(1.0, 11.0)
    for w in (np.eye(10)[3], np.array([0.0, 0.3, 1.7, 0.0, 2.0, 0.1, 0.0, 5.0, 1.0, 0.0])):
        exact = [Fraction(float(v)) for v in w]
        n_eff = float(sum(exact) ** 2 / sum(v * v for v in exact))
        held = w > 0
        expected = (n_eff + 0.5) / (n_eff + 1) if zeros else 0.5 / (n_eff + 1)
        rows = family.reference_raw(y, w)
        assert _p0(family, rows) == pytest.approx(expected, rel=1e-12)
        tally = family.counted_reference(family.constant_raw(y, w), int(held.sum()),
                                         int(np.count_nonzero(y[held] == 0)), n_eff)
        np.testing.assert_allclose(tally, rows, rtol=1e-15)
    # rows of weight 1: the tally's default count is the rows'
    raw = family.constant_raw(y)
    np.testing.assert_array_equal(family.counted_reference(raw, 10, 10 if zeros else 0),
                                  family.reference_raw(y))
