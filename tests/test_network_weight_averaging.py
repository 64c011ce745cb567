"""Polyak averaging (``ema_decay``): the Trainer's averaged weights against a replay by hand.

The oracle: the same fit without averaging (same seeds, so the same optimiser path: the
average never feeds back into the steps) records the weights after every step; the documented
recursion ``a_k = d_k a_{k-1} + (1 - d_k) w_k``, ``d_k = min(decay, (1 + k) / (10 + k))``, is
then run here in float64, and the validation NLL of each epoch's average is computed with
scipy.stats from the network's outputs.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from probnn import MLPClassifier, MLPRegressor
from probnn._math import softplus
from probnn.families import get_family
from probnn.model_file import load_model, save_model
from probnn.network import MLP, Trainer
from probnn.network.optimizers import Optimizer

DECAY = 0.9


def regression_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] + rng.normal(0, 0.2 + 0.2 * np.abs(X[:, 1]), n)
    return X, y


def fit(ema_decay, steps=None, early_stopping=False, max_iter=6):
    """A small float64 fit of the "normal" family on fixed validation rows; ``steps``
    collects the weights after every optimiser step."""
    X, y = regression_data(50, 0)
    Xv, yv = regression_data(30, 1)
    net = MLP([2, 8, 2], dtype=np.float64, random_state=3)
    start = net.copy_params()
    trainer = Trainer(net, get_family("normal"), solver="adam", learning_rate_init=0.05,
                      batch_size=16, max_iter=max_iter, tol=0.0, n_iter_no_change=2,
                      early_stopping=early_stopping, ema_decay=ema_decay, random_state=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y, validation_data=(Xv, yv, None))
    return trainer, start, (Xv, yv)


@pytest.fixture
def raw_path(monkeypatch):
    """(start weights, weights after each step) of the fit without averaging."""
    steps = []
    original = Optimizer.step

    def recording(self, params, grad, lr):
        original(self, params, grad, lr)
        steps.append(params.copy())

    monkeypatch.setattr(Optimizer, "step", recording)
    trainer, start, _ = fit(None)
    monkeypatch.setattr(Optimizer, "step", original)
    return start, steps, trainer


def averages_by_hand(start, steps, decay):
    """The average after each step, by the documented recursion, in float64."""
    a, out = start.astype(np.float64), []
    for k, w in enumerate(steps):
        d = min(decay, (1.0 + k) / (10.0 + k))
        a = d * a + (1.0 - d) * w
        out.append(a)
    return out


def validation_nll(params, Xv, yv):
    net = MLP([2, 8, 2], dtype=np.float64)
    net.set_params(params)
    raw = net.forward(Xv)
    return float(-np.mean(stats.norm.logpdf(yv, raw[:, 0], softplus(raw[:, 1]))))


def test_the_fit_ends_with_the_average_of_the_steps(raw_path):
    start, steps, _ = raw_path
    trainer, start_again, _ = fit(DECAY)
    np.testing.assert_array_equal(start_again, start)
    assert len(steps) == 6 * 4  # 50 rows in batches of 16: 4 steps an epoch
    expected = averages_by_hand(start, steps, DECAY)[-1]
    np.testing.assert_allclose(trainer.network.params, expected, rtol=1e-12, atol=1e-14)
    # ... which is not the last step's weights
    assert np.max(np.abs(trainer.network.params - steps[-1])) > 1e-3


def test_each_epoch_scores_its_average_and_the_optimiser_path_is_unchanged(raw_path):
    start, steps, plain = raw_path
    trainer, _, (Xv, yv) = fit(DECAY)
    averages = averages_by_hand(start, steps, DECAY)
    by_hand = [validation_nll(averages[4 * e + 3], Xv, yv) for e in range(6)]
    np.testing.assert_allclose(trainer.validation_scores_, by_hand, rtol=1e-10)
    # the training losses are the raw path's, step for step the same as without averaging
    np.testing.assert_allclose(trainer.loss_curve_, plain.loss_curve_, rtol=1e-12)


def test_early_stopping_keeps_the_best_epochs_average(raw_path):
    start, steps, _ = raw_path
    trainer, _, (Xv, yv) = fit(DECAY, early_stopping=True, max_iter=6)
    averages = averages_by_hand(start, steps, DECAY)
    scores = [validation_nll(averages[4 * e + 3], Xv, yv) for e in range(trainer.n_iter_)]
    candidates = [validation_nll(start, Xv, yv), *scores]
    best = int(np.argmin(candidates))
    kept = start if best == 0 else averages[4 * best - 1]
    np.testing.assert_allclose(trainer.network.params, kept, rtol=1e-12, atol=1e-14)
    assert trainer.best_validation_score_ == pytest.approx(min(candidates), rel=1e-10)


def test_a_subnormal_average_is_flushed_to_zero():
    net = MLP([1, 1], dtype=np.float32, random_state=0)
    trainer = Trainer(net, get_family("normal-fixed"), ema_decay=0.999)
    trainer._optimizer = Optimizer(net.params.size, np.float32)
    tiny = np.finfo(np.float32).tiny
    trainer._average = np.full(net.params.size, 10 * np.float32(2.0**-149) * 1e6, np.float32)
    trainer._average_tmp = np.empty_like(trainer._average)
    trainer._average_steps = 10**6  # past the warm-up: decay 0.999
    zeros = np.zeros(net.params.size, np.float32)
    for _ in range(Optimizer.FLUSH_EVERY * 200):
        trainer._update_average(zeros)
    # without the flush the average would stall in the subnormals (x * 0.999 rounds to x)
    assert np.all(trainer._average == 0)
    assert np.all((trainer._average == 0) | (np.abs(trainer._average) >= tiny))


def test_bad_decays_are_refused():
    net = MLP([1, 1])
    for bad in (0.0, 1.0, -0.5, 1.5, "auto", True):
        with pytest.raises(ValueError, match="ema_decay"):
            Trainer(net, get_family("normal-fixed"), ema_decay=bad)
    with pytest.raises(ValueError, match="ema_decay"):
        MLPRegressor(ema_decay=1.0).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="ema_decay"):
        MLPClassifier(ema_decay="on").fit([[0.0], [1.0]], [0, 1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_estimators_average_by_default_and_say_so(tmp_path):
    X, y = regression_data(200, 5)
    est = MLPRegressor(random_state=0, max_iter=20).fit(X, y)
    assert est.ema_decay_ == 0.995
    assert MLPRegressor(solver="lbfgs", max_iter=5).fit(X, y).ema_decay_ is None
    assert MLPRegressor(ema_decay=None, max_iter=5).fit(X, y).ema_decay_ is None
    assert MLPClassifier(max_iter=5).fit(X, y > 0).ema_decay_ == 0.995
    assert MLPClassifier(solver="lbfgs", max_iter=5).fit(X, y > 0).ema_decay_ is None
    path = save_model(est, tmp_path / "m.safetensors")
    loaded = load_model(path)
    assert loaded.ema_decay_ == 0.995
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))


def test_partial_fit_does_not_average_and_says_so():
    X, y = regression_data(64, 6)
    a = MLPRegressor(random_state=1, ema_decay=0.9).partial_fit(X, y)
    b = MLPRegressor(random_state=1, ema_decay=None).partial_fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.ema_decay_ is None  # the report card must not claim an average
    assert MLPClassifier(random_state=1).partial_fit(X, y > 0, classes=[0, 1]).ema_decay_ is None


@pytest.mark.parametrize("early_stopping", [False, True])
def test_two_warm_fits_average_like_one_longer_fit(early_stopping):
    # (early stopping on given rows: a random held-out part would be drawn again)
    X, y = regression_data(120, 7)
    fit_kw = {"validation_data": regression_data(40, 8)} if early_stopping else {}
    kw = dict(hidden_layer_sizes=(6,), random_state=0, tol=0.0, n_iter_no_change=10**6,
              ema_decay=0.95, early_stopping=early_stopping)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once = MLPRegressor(max_iter=8, **kw).fit(X, y, **fit_kw)
        twice = MLPRegressor(max_iter=4, warm_start=True, **kw).fit(X, y, **fit_kw)
        twice.fit(X, y, **fit_kw)
    np.testing.assert_array_equal(twice._network.params, once._network.params)
    np.testing.assert_array_equal(twice.loss_curve_, once.loss_curve_)


@settings(max_examples=25, deadline=None)
@given(decay=st.floats(0.01, 0.999), batch=st.integers(1, 40), seed=st.integers(0, 2**16),
       epochs=st.integers(1, 4))
def test_the_average_is_a_convex_combination_of_the_path(decay, batch, seed, epochs):
    # whatever the decay, warm-up and batch size: every averaged weight lies between the
    # smallest and largest value that weight took on the path (its start included)
    X, y = regression_data(40, seed)
    net = MLP([2, 5, 2], dtype=np.float64, random_state=seed)
    path = [net.copy_params()]
    original = Optimizer.step

    def recording(self, params, grad, lr):
        original(self, params, grad, lr)
        path.append(params.copy())

    trainer = Trainer(net, get_family("normal"), learning_rate_init=0.05, batch_size=batch,
                      max_iter=epochs, ema_decay=decay, random_state=seed)
    Optimizer.step = recording
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            trainer.fit(X, y)
    finally:
        Optimizer.step = original
    path = np.array(path)
    assert len(path) == 1 + epochs * -(-40 // batch)
    spread = path.max(0) - path.min(0)
    slack = 1e-12 * (1 + np.abs(path).max(0))
    assert np.all(net.params >= path.min(0) - slack)
    assert np.all(net.params <= path.max(0) + slack)
    # and it is not just the last step (unless the path did not move)
    moved = spread > 1e-9
    if moved.any() and decay > 0.5 and len(path) > 20:
        assert not np.allclose(net.params[moved], path[-1][moved], rtol=0, atol=1e-12)
