"""Issue 9 part 6: the ConvergenceWarning at max_iter states the fact and points at
early stopping, rather than only advising more iterations (which overfits when
nothing watches held-out data)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from probnn.estimators import MLPClassifier, MLPRegressor


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    return X, X[:, 0] + 0.1 * rng.normal(size=80)


@pytest.mark.parametrize("Est", [MLPRegressor, MLPClassifier])
def test_warning_without_early_stopping_suggests_it(Est):
    X, y = _data()
    if Est is MLPClassifier:
        y = (y > 0).astype(int)
    with pytest.warns(ConvergenceWarning) as record:
        Est((4,), max_iter=3, random_state=0, early_stopping=False).fit(X, y)
    message = str(record[0].message)
    assert "all max_iter=3 epochs" in message
    assert "still changing by more than tol=0.0001" in message
    assert "early_stopping=True" in message
    assert "overfit" in message
    assert "raise max_iter or tol" not in message


def test_warning_with_early_stopping_says_the_validation_nll_still_improved():
    X, y = _data()
    with pytest.warns(ConvergenceWarning) as record:
        MLPRegressor((4,), max_iter=3, early_stopping=True, random_state=0).fit(X, y)
    message = str(record[0].message)
    assert "all max_iter=3 epochs" in message
    assert "validation NLL" in message
    assert "max_iter" in message


def test_a_patience_longer_than_the_budget_is_said_so():
    # "improved within the last 334 epochs" of a 3-epoch fit would be nonsense
    X, y = _data()
    with pytest.warns(ConvergenceWarning) as record:
        MLPRegressor((4,), max_iter=3, n_iter_no_change=10, early_stopping=True,
                     random_state=0).fit(X, y)
    message = str(record[0].message)
    assert "n_iter_no_change=10 epochs, is longer than the budget" in message
    assert "within the last" not in message
    from probnn.families import get_family
    from probnn.network import MLP, Trainer

    shorter = Trainer(MLP([3, 1]), get_family("normal-fixed"), max_iter=3, n_iter_no_change=2)
    assert "within the last 2 epochs" in shorter._max_iter_message()
