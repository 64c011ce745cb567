"""One Brier score convention, scikit-learn's ``brier_score_loss`` (``scale_by_half="auto"``):
two classes give ``mean (P(y = 1) - y)^2`` whichever family gives the probabilities (a
Bernoulli's P(y = 1), a two-class categorical's or ordinal's two columns); more classes the
sum over the classes. ``fit --family bernoulli`` printed 0.1424 and ``--family categorical``
0.2849 on the same two-class table, at the same NLL.

Oracle: ``sklearn.metrics.brier_score_loss`` on the same probabilities (for the command
line: on ``probnn predict``'s p(LABEL) columns of the rows ``evaluate`` scores).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cli import printed_metric, run
from sklearn.metrics import brier_score_loss

from probnn import metrics
from probnn.distributions import Bernoulli, Categorical

try:  # scikit-learn's multi-class brier_score_loss (1.7 on); the floor, 1.6, is binary only
    brier_score_loss([0, 1, 2], np.full((3, 3), 1 / 3), labels=[0, 1, 2])
    _SKLEARN_TAKES_COLUMNS = True
except (TypeError, ValueError):
    _SKLEARN_TAKES_COLUMNS = False


def _two_classes(seed: int = 3, n: int = 200):
    r = np.random.default_rng(seed)
    logits = r.normal(scale=1.5, size=n)
    y = (r.uniform(size=n) < 1 / (1 + np.exp(-logits))).astype(int)
    return logits, y


def test_two_columns_score_as_scikit_learns_binary_brier():
    logits, y = _two_classes()
    p = 1 / (1 + np.exp(-logits))
    proba = np.column_stack([1 - p, p])
    oracle = brier_score_loss(y, p)
    if _SKLEARN_TAKES_COLUMNS:  # (scikit-learn 1.7 on: the two columns too, the same figure)
        assert brier_score_loss(y, proba) == pytest.approx(oracle, rel=1e-12)
    assert metrics.brier_score(y, proba) == pytest.approx(oracle, rel=1e-12)
    assert metrics.brier_score(y, p) == pytest.approx(oracle, rel=1e-12)


def test_a_bernoulli_and_a_two_class_categorical_report_the_same_brier():
    logits, y = _two_classes()
    oracle = brier_score_loss(y, 1 / (1 + np.exp(-logits)))
    bernoulli = metrics.classification_metrics(y, Bernoulli(logits=logits))
    categorical = metrics.classification_metrics(
        y, Categorical(logits=np.column_stack([np.zeros_like(logits), logits])))
    assert bernoulli["brier"] == pytest.approx(oracle, rel=1e-10)
    assert categorical["brier"] == pytest.approx(oracle, rel=1e-10)
    assert categorical["nll_nats"] == pytest.approx(bernoulli["nll_nats"], rel=1e-10)


def test_more_classes_sum_over_the_classes_as_scikit_learn_does():
    r = np.random.default_rng(5)
    logits = r.normal(size=(300, 4))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = r.integers(0, 4, size=300)
    onehot = np.eye(4)[y]
    oracle = np.mean(np.sum((proba - onehot) ** 2, axis=1))  # the multi-class form, by hand
    if _SKLEARN_TAKES_COLUMNS:  # and scikit-learn's, where it has it (1.7 on)
        sklearn = brier_score_loss(y, proba, labels=[0, 1, 2, 3])
        assert sklearn == pytest.approx(oracle, rel=1e-12)
    assert metrics.brier_score(y, proba) == pytest.approx(oracle, rel=1e-12)
    got = metrics.classification_metrics(y, Categorical(logits=logits))["brier"]
    assert got == pytest.approx(oracle, rel=1e-10)


@pytest.mark.parametrize("family", ["bernoulli", "categorical"])
def test_the_printed_brier_is_scikit_learns_on_predicts_probabilities(tmp_path, capsys,
                                                                      monkeypatch, family):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    r = np.random.default_rng(9)
    x = r.normal(size=240)
    y = np.where(r.uniform(size=240) < 1 / (1 + np.exp(-2 * x)), "yes", "no")
    pd.DataFrame({"x": x, "y": y}).to_csv("train.csv", index=False)
    x_new = r.normal(size=80)
    y_new = np.where(r.uniform(size=80) < 1 / (1 + np.exp(-2 * x_new)), "yes", "no")
    pd.DataFrame({"x": x_new, "y": y_new}).to_csv("new.csv", index=False)
    code, _, err = run(capsys, "fit", "train.csv", "--target", "y", "--family", family,
                       "--hidden", "none", "--quiet")  # fmt: skip
    assert code == 0, err
    code, out, err = run(capsys, "evaluate", "train.safetensors", "new.csv")
    assert code == 0, err
    code, _, err = run(capsys, "predict", "train.safetensors", "new.csv", "--out", "p.csv")
    assert code == 0, err
    p_yes = pd.read_csv("p.csv")["p(yes)"].to_numpy()
    oracle = brier_score_loss(y_new == "yes", p_yes)
    assert printed_metric(out, "Brier score") == pytest.approx(oracle, abs=6e-5)
