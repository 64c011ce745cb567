"""Rows of sample weight 0 count for nothing, wherever they sit (eighth hostile trial).

Each case failed before its fix: a tiny table whose fold held out only rows of weight 0
(ValueError "zero weight on all 2 rows", though 5 of the 8 rows weigh), a zero-weight row
whose NLL overflowed (0 x inf = nan: training "diverged", a scale factor "not finite for any
factor", a nan mean), a float32 fit refused for the size of a target it does not fit.
Oracles: hand-worked sums, scipy's normal law (the one that made the data), KFold's own split.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from probnn import MLPRegressor
from probnn._validation import weighted_mean
from probnn.families import get_family
from probnn.likelihood import fit_factor


def test_weighted_mean_ignores_an_infinite_row_of_weight_zero():
    assert weighted_mean([math.inf, 1.0, 3.0], [0.0, 1.0, 1.0]) == 2.0  # by hand


def test_a_row_of_weight_zero_adds_nothing_to_the_training_loss_even_at_inf():
    family = get_family("normal")
    raw = np.array([[0.0, -800.0], [0.0, 0.0]])  # row 0: a scale of ~e^-800, its NLL inf
    y = np.array([1.0, 0.5])
    with np.errstate(divide="ignore", over="ignore"):
        loss, grad = family._loss_gradient(raw, y, True)
    assert not np.isfinite(loss[0])  # (the premise)
    from probnn.families.base import weigh_rows

    loss, grad = weigh_rows(loss, grad, np.array([0.0, 2.0]))
    # row 1 by hand: 2 x (0.5 log(2 pi) + log softplus(0) + 0.5 (0.5 / softplus(0))^2)
    s = math.log(2.0)
    assert loss[0] == 0.0 and np.all(grad[0] == 0.0)
    assert loss[1] == pytest.approx(2 * (0.5 * math.log(2 * math.pi) + math.log(s)
                                         + 0.5 * (0.5 / s) ** 2), rel=1e-12)  # fmt: skip


def test_fit_factor_ignores_an_infinite_row_of_weight_zero():
    # rows 1, 2: N(0, f) at y = 1, 1 -> the MLE factor is 1 (by hand); row 0 has weight 0
    y = np.array([1e300, 1.0, -1.0])

    def nll_rows(f):
        with np.errstate(over="ignore"):
            return -stats.norm.logpdf(y, scale=f * np.array([1e-300, 1.0, 1.0]))

    assert fit_factor(nll_rows, [0.0, 1.0, 1.0]) == pytest.approx(1.0, rel=1e-6)


def test_tiny_table_whose_fold_would_hold_out_only_rows_of_weight_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(8, 3))
    y = X[:, 0] + rng.normal(size=8)
    w = np.array([0, 2, 0, 3, 3, 3, 3, 0], dtype=float)
    model = MLPRegressor(random_state=0).fit(X, y, sample_weight=w)
    assert np.isfinite(model.score_nll(X, y, w))


def test_tiny_table_folds_split_the_rows_of_positive_weight():
    from sklearn.model_selection import KFold

    from probnn.estimators._folds import _weighted_splits

    w = np.array([0, 2, 0, 3, 3, 3, 3, 0, 1, 1], dtype=float)
    splits = _weighted_splits(w, seed=7)
    positive = np.flatnonzero(w > 0)
    expected = list(KFold(3, shuffle=True, random_state=7).split(positive))
    assert len(splits) == 3
    for (train, held), (kf_train, kf_held) in zip(splits, expected):
        np.testing.assert_array_equal(held, positive[kf_held])
        np.testing.assert_array_equal(train, np.sort(np.r_[positive[kf_train], 0, 2, 7]))
    # no weight 0: KFold's own split of every row (unchanged fits)
    ones = np.ones(10)
    for (a, b), (c, d) in zip(_weighted_splits(ones, 7),
                              KFold(5, shuffle=True, random_state=7).split(ones)):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert _weighted_splits(np.array([0, 0, 1, 1, 1, 0.0]), 7) is None  # 3 weighing rows


def _outlier_rows(n=120, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=n)
    w = np.ones(n)
    w[:12] = 0.0
    Xt = rng.normal(size=(2000, 2))
    yt = Xt[:, 0] + 0.1 * rng.normal(size=2000)
    return X, y, w, Xt, yt


@pytest.mark.parametrize("dtype, outlier", [("float64", 1e200), ("float32", 1e20)])
def test_rows_of_weight_zero_far_away_do_not_stop_the_fit(dtype, outlier):
    # the user weighs out 12 gross outliers; the fit must be the other rows' (the law:
    # N(x0, 0.1)); before: float64 "training diverged" (0 x inf), float32 a PrecisionError
    X, y, w, Xt, yt = _outlier_rows()
    y[:12] = outlier
    model = MLPRegressor(random_state=0, dtype=dtype, max_iter=300).fit(X, y, sample_weight=w)
    law = -stats.norm.logpdf(yt, loc=Xt[:, 0], scale=0.1).mean()
    assert model.score_nll(Xt, yt) < law + 0.5


def test_laplace_approximation_ignores_rows_of_weight_zero_far_away():
    # before: "array must not contain infs or NaNs" (the GGN's 0 x inf curvature)
    from probnn import LaplaceApproximation

    X, y, w, Xt, yt = _outlier_rows()
    y[:12] = 1e200
    base = MLPRegressor(random_state=0, dtype="float64", max_iter=200, predictive="plug-in")
    posterior = LaplaceApproximation(base).fit(X, y, sample_weight=w)
    law = -stats.norm.logpdf(yt, loc=Xt[:, 0], scale=0.1).mean()
    assert posterior.score_nll(Xt, yt) < law + 0.6
