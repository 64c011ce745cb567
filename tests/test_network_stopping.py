"""The stopping rule (probnn.network.stopping.PlateauRule) on hand-built score sequences, and
the Trainer's "plateau" schedule that uses it."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn import defaults
from probnn.families import get_family
from probnn.network.mlp import MLP
from probnn.network.stopping import DROP, IMPROVED, STOP, WAIT, PlateauRule
from probnn.network.training import Trainer


def _decisions(rule, scores, rates=None):
    out = []
    for i, s in enumerate(scores):
        out.append(rule.update(s, math.inf if rates is None else rates[i]))
        if out[-1] == STOP:
            break
    return out


def test_drops_the_rate_at_each_plateau_and_stops_only_after_k_drops():
    # worked by hand: 5 improving epochs, then flat; patience 3 -> the 4th flat epoch is a
    # plateau (epoch index 8); after a drop the waiting starts again: plateaus at 12 and 16,
    # then with both drops spent the plateau at 20 stops
    scores = [5.0, 4.0, 3.0, 2.0, 1.0] + [1.0] * 30
    rule = PlateauRule(patience=3, tol=1e-4, drops=2)
    got = _decisions(rule, scores)
    assert got[:5] == [IMPROVED] * 5
    assert [i for i, d in enumerate(got) if d == DROP] == [8, 12]
    assert got[-1] == STOP and len(got) == 17
    assert rule.n_drops == 2 and rule.best == 1.0


def test_an_improvement_after_a_drop_resets_the_waiting():
    # plateau at index 5 (4 flat epochs after index 1): the one drop; the lowered rate finds a
    # better score at index 8, and a fresh wait of 3 epochs runs from there: stop at index 12
    scores = [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.5] + [1.5] * 20
    got = _decisions(PlateauRule(patience=3, tol=1e-4, drops=1), scores)
    assert [i for i, d in enumerate(got) if d == DROP] == [5]
    assert got[8] == IMPROVED
    assert len(got) == 13 and got[-1] == STOP


def test_without_drops_it_is_scikit_learns_rule():
    # scikit-learn's MLP stops when the loss has not improved by tol for more than
    # n_iter_no_change epochs (an improvement smaller than tol does not count)
    scores = [1.0, 0.9, 0.89995, 0.8999, 0.89985, 0.8998]
    got = _decisions(PlateauRule(patience=2, tol=1e-3), scores)
    assert got == [IMPROVED, IMPROVED, WAIT, WAIT, STOP]


def test_the_rate_floor_stops_where_drops_would_go_on():
    # "adaptive": unlimited drops, but a plateau at a rate at or below min_rate stops
    rule = PlateauRule(patience=0, tol=0.0, drops=None, min_rate=1e-6)
    rates = [1e-3 / 5**k for k in range(10)]
    got = _decisions(rule, [1.0] * 10, rates)
    # rates 1e-3, 2e-4, 4e-5, 8e-6, 1.6e-6 are above 1e-6 (epochs 1..4 drop, epoch 0 is the
    # first score, an improvement on inf); 3.2e-7 at epoch 5 is not: stop
    assert got == [IMPROVED, DROP, DROP, DROP, DROP, STOP]


@settings(max_examples=50, deadline=None)
@given(step=st.floats(2e-4, 1e-2), n=st.integers(50, 3000), patience=st.integers(1, 40))
def test_a_long_slowly_improving_curve_is_never_cut(step, n, patience):
    # a curve that improves by more than tol every epoch, however slowly, never plateaus
    tol = 1e-4
    rule = PlateauRule(patience=patience, tol=tol, drops=3)
    got = _decisions(rule, [10.0 - step * i for i in range(n)])
    assert got == [IMPROVED] * n and rule.n_drops == 0


@settings(max_examples=50, deadline=None)
@given(gap=st.integers(1, 30), patience=st.integers(1, 30), drops=st.integers(0, 4))
def test_improvements_every_few_epochs_within_patience_never_stop(gap, patience, drops):
    # one improvement every `gap` epochs: the rule waits gap - 1 epochs each time, so it drops
    # or stops exactly when gap - 1 > patience
    scores = [10.0 - (i // gap) for i in range(400)]
    got = _decisions(PlateauRule(patience=patience, tol=1e-4, drops=drops), scores)
    if gap - 1 <= patience:
        assert STOP not in got and DROP not in got
    else:
        assert DROP in got or STOP in got


@pytest.mark.parametrize("bad", [dict(patience=-1, tol=0.0), dict(patience=2, tol=0.0, factor=1.0),
                                 dict(patience=2, tol=0.0, drops=-1)])
def test_bad_settings_say_what_was_expected(bad):
    with pytest.raises(ValueError, match="must be"):
        PlateauRule(**bad)


def test_trainer_plateau_schedule_lowers_the_rate_k_times_then_stops():
    # a full-batch-sized problem that converges fast: the plateau schedule must have divided
    # the rate by 1 / PLATEAU_FACTOR exactly PLATEAU_DROPS times when it stops
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0]) + rng.normal(0, 0.5, 200)).astype(np.float32)
    t = Trainer(MLP([2, 2], random_state=0), get_family("normal"), learning_rate="plateau",
                learning_rate_init=0.01, batch_size=50, max_iter=5000, n_iter_no_change=5,
                tol=1e-3, early_stopping=True, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning: the rule, not the budget, ends it
        t.fit(X, y)
    assert t.converged_ and t._n_drops == defaults.PLATEAU_DROPS
    assert t._lr == pytest.approx(0.01 * defaults.PLATEAU_FACTOR**defaults.PLATEAU_DROPS, rel=1e-12)
    # the last epochs are the final plateau: more than patience epochs without improvement
    v = np.array(t.validation_scores_)
    assert v[-6:].min() >= v[:-6].min() - 1e-3
