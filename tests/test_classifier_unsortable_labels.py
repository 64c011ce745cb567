"""Class labels NumPy cannot sort (None among text, text among numbers): scikit-learn's
classifiers (MLPClassifier, LogisticRegression) let numpy's TypeError "'<' not supported
between instances of 'NoneType' and 'str'" through from ``np.unique``; probnn's name the rows,
at fit and wherever labels are encoded against the fitted classes (score_nll, validation)."""

from __future__ import annotations

import numpy as np
import pytest

from probnn import MLPClassifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _X(n=40):
    return np.random.default_rng(0).normal(size=(n, 2))


@pytest.mark.parametrize(
    "labels, message",
    [
        (["a", None] * 20, "none missing; found None or NaN at rows \\[1, 3, 5"),
        (["a", 1] * 20, "all text or all numbers.*found text at rows \\[0, 2.*; int at rows \\[1, 3"),
    ],
)
def test_fit_refuses_unsortable_labels_by_their_rows(labels, message):
    y = np.array(labels, dtype=object)
    with pytest.raises(ValueError, match=message):
        MLPClassifier(hidden_layer_sizes=(), max_iter=5).fit(_X(), y)


def test_scoring_labels_of_another_kind_names_them():
    X = _X()
    est = MLPClassifier(hidden_layer_sizes=(), max_iter=5).fit(X, np.array([0, 1] * 20))
    with pytest.raises(ValueError, match="among the classes seen in fit \\[0, 1\\]; found text"):
        est.score_nll(X, np.array(["a", 1] * 20, dtype=object))
