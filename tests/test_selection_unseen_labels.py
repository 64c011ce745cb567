"""A class label rarer than the folds is still scored (``probnn.selection``, ``compare``).

A label held by one row is missing from the training rows of the fold that holds it out.
The fold's models know every label of the column (``TabularModel.fit(classes=)``) and,
where a label has no training row, learn with half a pseudo-count of every label
(``probnn.tables.model.JEFFREYS_COUNT``), so the label's held-out rows cost a finite NLL.

Oracles: the Krichevsky-Trofimov estimate ``(n_k + 1/2) / (n + C/2)`` worked by hand (and
the maximum-likelihood ``n_k / n`` where every label has rows), scikit-learn's
``StratifiedKFold`` for the folds, and a fit without ``classes`` (the code before the change)
for the tables whose every label is among the training rows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from probnn.compare import compare_families
from probnn.selection import cv_splits, select_model
from probnn.tables.model import TabularModel

NET = dict(hidden=(4,), epochs=20)


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.uniform(-2, 2, size=n)})


def _proba(model: TabularModel, frame: pd.DataFrame) -> np.ndarray:
    """Each class's probability, columns in the model's class order."""
    return model.estimator.predict_proba(model.transform(frame))


def _heaped_rating(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    """A rating in 10, 20, ..., 90 (multiples of 10) from an ordered logit in ``a``, with
    the level 90 held by exactly one row."""
    X = _table(n, seed)
    rng = np.random.default_rng(seed + 1)
    cuts = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    y = 10 * (1 + np.searchsorted(cuts, 1.5 * X["a"].to_numpy() + rng.logistic(size=n)))
    y[int(np.argmax(X["a"].to_numpy()))] = 90
    return X, pd.Series(y, name="rating")


def test_a_label_of_one_row_gets_stratified_folds():
    labels = np.array(["a"] * 9 + ["b"] * 6 + ["c"])
    folds = cv_splits(labels.size, "auto", seed=4, labels=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected = list(StratifiedKFold(5, shuffle=True, random_state=4).split(labels, labels))
    assert len(folds) == 5
    for (train, test), (train_e, test_e) in zip(folds, expected):
        np.testing.assert_array_equal(train, train_e)
        np.testing.assert_array_equal(test, test_e)


def test_the_constant_without_a_label_is_the_krichevsky_trofimov_estimate():
    # 4 rows of a, 4 of b, none of c (of classes a, b, c): (n_k + 1/2) / (n + 3/2), n = 8
    frame = _table(8).assign(pet=["a"] * 4 + ["b"] * 4)
    model = TabularModel.fit(frame, "pet", family="categorical", constant=True, hidden=(),
                             solver="lbfgs", classes=np.array(["a", "b", "c"], dtype=object))
    probs = model.predict_dist(frame).probs
    np.testing.assert_allclose(probs, np.tile([9 / 19, 9 / 19, 1 / 19], (8, 1)), rtol=1e-6)
    # bernoulli, one label absent: (0 + 1/2) / (n + 1)
    binary = _table(6).assign(won=[0] * 6)
    model = TabularModel.fit(binary, "won", family="bernoulli", constant=True, hidden=(),
                             solver="lbfgs", classes=np.array([0, 1]))
    np.testing.assert_allclose(_proba(model, binary)[:, 1], 1 / 14, rtol=1e-6)


@pytest.mark.parametrize("capacity", ["glm", "network"])
@pytest.mark.parametrize("family, labels, absent", [
    ("categorical", ["a", "b", "c"], "c"),
    ("ordinal", [1, 2, 3, 4], 3),    # a level between two observed ones
    ("ordinal", [1, 2, 3, 4], 4),    # the top level
    ("bernoulli", [0, 1], 1),
])  # fmt: skip
def test_a_glm_or_network_gives_a_label_without_training_rows_a_finite_nll(
        family, labels, absent, capacity):  # fmt: skip
    X = _table(60, seed=2)
    present = [v for v in labels if v != absent]
    y = np.array([present[i % len(present)] for i in range(59)] + [absent], dtype=object)
    if not isinstance(absent, str):
        y = y.astype(np.int64)
    y = pd.Series(y, name="y")
    test = np.array([3, 7, 59])  # the absent label's one row is held out
    train = np.setdiff1d(np.arange(60), test)
    params = dict(hidden=(), solver="lbfgs") if capacity == "glm" else NET
    result = compare_families(X, y, [family], split=(train, test), calibration=False, **params)
    assert result.skipped == []
    nll = result.nll_rows[family]
    assert np.all(np.isfinite(nll))
    p = _proba(result.models[family], X.iloc[test])[-1, labels.index(absent)]
    assert 0.0 < p < 1.0
    assert math.isclose(nll[-1], -math.log(p), rel_tol=1e-5)


def test_a_table_with_a_label_of_one_row_is_scored_not_unscored():
    X = _table(11, seed=16)
    y = pd.Series(["a"] * 5 + ["b"] * 5 + ["c"], name="pet")
    sel = select_model(X, y, network_families=0)
    assert "unscored" not in sel.line, sel.line
    assert len(sel.folds) == 5 and sel.nll_rows
    assert set(sel.table["status"]) <= {"chosen", "best", "within 1 SE", "scored"}
    # the constant's per-row NLL, fold by fold: the MLE n_k / n where the fold's training
    # rows hold every label, else (n_k + 1/2) / (n + 3/2)
    expected = []
    for train, test in sel.folds:
        counts = y.iloc[train].value_counts().reindex(["a", "b", "c"], fill_value=0)
        n = counts.sum()
        prob = counts / n if (counts > 0).all() else (counts + 0.5) / (n + 1.5)
        expected.extend(-np.log(prob[y.iloc[test]].to_numpy()))
    np.testing.assert_allclose(sel.nll_rows[("categorical", "constant")], expected, rtol=1e-5)


@pytest.mark.parametrize("n, seed", [(60, 0), (200, 1)])
def test_a_heaped_rating_with_a_level_of_one_row_is_scored(n, seed):
    X, y = _heaped_rating(n, seed)
    assert (y == 90).sum() == 1 and set(y) == set(range(10, 100, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = select_model(X, y, seed=seed, **NET)
    assert "unscored" not in sel.line, sel.line
    scored = sel.table[sel.table["folds"] == len(sel.folds)]
    assert {("categorical", "constant"), ("ordinal", "glm")} <= set(
        zip(scored["family"], scored["capacity"]))
    for rows in sel.nll_rows.values():
        assert np.all(np.isfinite(rows))


def test_every_label_among_the_training_rows_fits_as_without_classes():
    X = _table(40, seed=5)
    y = pd.Series(np.repeat([10, 20, 30, 40], 10), name="y")
    frame = X.assign(y=y)
    for family, params in [("categorical", dict(hidden=(), solver="lbfgs")),
                           ("ordinal", dict(hidden=(), solver="lbfgs", constant=True)),
                           ("ordinal", NET)]:  # fmt: skip
        before = TabularModel.fit(frame, "y", family=family, **params)
        after = TabularModel.fit(frame, "y", family=family, classes=np.array([10, 20, 30, 40]),
                                 **params)  # fmt: skip
        np.testing.assert_array_equal(after.predict_dist(frame).probs,
                                      before.predict_dist(frame).probs)


def test_the_selection_given_the_columns_classes_scores_a_label_its_rows_lack():
    # probnn fit's training rows hold a and b only (a binary target there); the column's
    # third label c is held out: every class model knows it, the constant by (n_k + 1/2) /
    # (n + 3/2)
    X = _table(30, seed=7)
    y = pd.Series(["a"] * 18 + ["b"] * 12, name="pet")
    classes = np.array(["a", "b", "c"], dtype=object)
    sel = select_model(X, y, network_families=0, classes=classes,
                       kinds=(("classes",), "3 distinct text labels"))  # fmt: skip
    assert "unscored" not in sel.line, sel.line
    assert sel.family == "categorical" and sel.model.classes == ["a", "b", "c"]
    expected = []  # the constant's per-row NLL, fold by fold
    for train, test in sel.folds:
        counts = y.iloc[train].value_counts().reindex(classes, fill_value=0)
        prob = (counts + 0.5) / (train.size + 1.5)
        expected.extend(-np.log(prob[y.iloc[test]].to_numpy()))
    np.testing.assert_allclose(sel.nll_rows[("categorical", "constant")], expected, rtol=1e-5)
    assert 0.0 < _proba(sel.model, X.iloc[:1])[0, 2] < 1.0  # c, refitted on all 30 rows


def test_the_reports_constant_baseline_gives_a_label_without_training_rows_its_half_count():
    from probnn.report.model_card import constant_model

    frame = _table(12).assign(pet=["a"] * 8 + ["b"] * 4)
    model = TabularModel.fit(frame, "pet", family="categorical", hidden=(), solver="lbfgs",
                             classes=np.array(["a", "b", "c"], dtype=object))  # fmt: skip
    held_out = frame.iloc[:3].assign(pet=["a", "b", "c"])
    nll, _ = constant_model(model, frame, held_out)
    # (n_k + 1/2) / (n + 3/2), n = 12: 8.5, 4.5 and 0.5 over 13.5
    expected = -np.mean(np.log(np.array([8.5, 4.5, 0.5]) / 13.5))
    assert nll == pytest.approx(expected, rel=1e-9)
