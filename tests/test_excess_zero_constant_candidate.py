"""The selection's constant candidate of a hurdle / zero-inflated family where the training
rows hold no zero (or only zeros): its zero part is the Krichevsky-Trofimov share, as the
report's reference (``Family.reference_raw``), not the intercept-only fit's stand-in for
the boundary MLE (``ZERO_LOGIT_START``: P(0) = sigmoid(-20) = 2e-9).

Oracles: the KT rule by hand, ``P(0) = (1/2) / (n + 1)`` (no zero among ``n`` rows) or
``(n + 1/2) / (n + 1)`` (only zeros), and the Poisson law at rate 1 (the count part's start
where no positive count was seen).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from probnn.families import get_family
from probnn.tables.model import TabularModel

N = 40  # training rows


def _constant(family: str, y: np.ndarray) -> TabularModel:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=y.size), "y": y})
    return TabularModel.fit(frame, "y", family=family, hidden=(), solver="lbfgs", constant=True,
                            seed=0)  # fmt: skip


def _nll(model: TabularModel, y) -> np.ndarray:
    frame = pd.DataFrame({"x": np.zeros(len(y)), "y": np.asarray(y, dtype=np.float64)})
    return model.nll_rows(frame)


@pytest.mark.parametrize("family", ["hurdle-poisson", "hurdle-negative-binomial"])
def test_a_hurdle_constant_on_counts_without_zeros_scores_a_zero_by_kt(family):
    y = np.random.default_rng(1).poisson(6.0, size=N) + 1.0  # no zero
    model = _constant(family, y)
    # P(0) = (0 + 1/2) / (N + 1): a held-out 0 at -log of it = log(2N + 2) = log 82
    np.testing.assert_allclose(_nll(model, [0]), [math.log(2 * N + 2)], rtol=1e-5)
    # the count part is the MLE's (the family's closed-form fit, P(0) = 0): a positive count's
    # probability is (1 - P0) times the zero-truncated law's
    head = get_family(family)
    mle = np.asarray(head.constant_raw(y), dtype=np.float64)
    counts = np.array([1.0, 3.0, 7.0, 12.0])
    expected = head.nll(np.tile(mle, (counts.size, 1)), counts) - math.log1p(-0.5 / (N + 1))
    np.testing.assert_allclose(_nll(model, counts), expected, rtol=1e-4)


def test_a_hurdle_constant_on_only_zeros_scores_a_positive_count_by_kt():
    model = _constant("hurdle-poisson", np.zeros(N))
    p_positive = 0.5 / (N + 1)
    # the count part at rate 1 (none seen): zero-truncated Poisson P(1) = e^-1 / (1 - e^-1)
    truncated = math.exp(-1.0) / (1.0 - math.exp(-1.0))
    np.testing.assert_allclose(_nll(model, [0, 1]),
                               [-math.log1p(-p_positive), -math.log(p_positive * truncated)],
                               rtol=1e-5)  # fmt: skip


def test_a_zero_inflated_constant_on_only_zeros_scores_by_kt():
    model = _constant("zero-inflated-poisson", np.zeros(N))
    p_zero = (N + 0.5) / (N + 1)
    # P(1) = (1 - pi) e^-1 with pi making up P(0): (1 - P0) / (1 - e^-1) * e^-1
    p_one = (1 - p_zero) / (1 - math.exp(-1.0)) * math.exp(-1.0)
    np.testing.assert_allclose(_nll(model, [0, 1]), [-math.log(p_zero), -math.log(p_one)],
                               rtol=1e-5)  # fmt: skip


def test_with_zeros_on_both_sides_the_constant_is_the_fit_as_before():
    """No boundary: the intercepts are the intercept-only fit's, P(0) its share of zeros (to
    the L-BFGS fit's tolerance in float32)."""
    y = np.random.default_rng(2).poisson(1.0, size=N).astype(float)
    share = float(np.mean(y == 0))
    assert 0 < share < 1
    np.testing.assert_allclose(_nll(_constant("hurdle-poisson", y), [0]), [-math.log(share)],
                               rtol=1e-3)  # fmt: skip
