"""Issue 9 part 2: a sample weight of k is the same as k copies of the row.

The objective is ``sum_i s_i nll_i / sum_i s_i + penalty(W) / sum_i s_i``: with
integer weights this is exactly the objective of the data set with each row
repeated ``s_i`` times (a row of weight 0 removed). The oracles are the
repeated-row data and a hand-written penalty, not the trainer's own numbers.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from probnn.estimators import MLPClassifier, MLPRegressor
from probnn.families import get_family
from probnn.network import MLP
from probnn.network.training import Trainer


def _data(seed=0, n=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=n)
    w = rng.integers(0, 4, size=n).astype(float)
    w[0] = 2.0
    return X, y, w


@pytest.mark.parametrize("prior", ["gaussian", "laplace"])
def test_objective_with_weights_equals_objective_on_repeated_rows(prior):
    X, y, w = _data()
    Xr, yr = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    net = MLP([3, 5, 1], "tanh", dtype=np.float64, random_state=0)
    t = Trainer(net, get_family("normal-fixed"), prior=prior, alpha=0.7)
    f_w, g_w = t.objective(X, y, w)
    f_r, g_r = t.objective(Xr, yr)
    np.testing.assert_allclose(f_w, f_r, rtol=1e-12)
    np.testing.assert_allclose(g_w, g_r, rtol=1e-10, atol=1e-14)
    # by hand: weighted mean half squared error (+ constant) + penalty / total weight
    raw = net.forward(X)[:, 0]
    nll = 0.5 * (y - raw) ** 2 + 0.5 * np.log(2 * np.pi)
    W = np.concatenate([c.ravel() for c in net.coefs])
    pen = 0.5 * 0.7 * W @ W if prior == "gaussian" else 0.7 * np.abs(W).sum()
    np.testing.assert_allclose(f_w, (w @ nll + pen) / w.sum(), rtol=1e-12)


def test_full_batch_gd_with_weights_follows_the_repeated_rows_path():
    # "gd" is the minibatch loop with one batch: the same steps as on repeated rows
    X, y, w = _data(1)
    Xr, yr = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    kw = dict(solver="gd", learning_rate_init=0.05, alpha=3.0, max_iter=30, tol=0.0,
              n_iter_no_change=1000)  # fmt: skip
    nets = [MLP([3, 4, 1], "tanh", dtype=np.float64, random_state=0) for _ in range(2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ta = Trainer(nets[0], get_family("normal-fixed"), **kw).fit(X, y, w)
        tb = Trainer(nets[1], get_family("normal-fixed"), **kw).fit(Xr, yr)
    np.testing.assert_allclose(nets[0].params, nets[1].params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ta.loss_curve_, tb.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize(
    "Est, extra",
    [(MLPRegressor, {"family": "normal-fixed"}),
     (MLPClassifier, {})],
)  # fmt: skip
def test_lbfgs_estimator_with_weights_equals_fit_on_repeated_rows(Est, extra):
    X, y, w = _data(2, n=30)
    if Est is MLPClassifier:
        y = (y > 0).astype(int)
    Xr, yr = np.repeat(X, w.astype(int), axis=0), np.repeat(y, w.astype(int))
    kw = dict(hidden_layer_sizes=(4,), solver="lbfgs", alpha=5.0, dtype="float64",
              random_state=0, max_iter=300)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = Est(**kw, **extra).fit(X, y, sample_weight=w)
        b = Est(**kw, **extra).fit(Xr, yr)
    pa = a.predict_proba(X) if Est is MLPClassifier else a.predict(X)
    pb = b.predict_proba(X) if Est is MLPClassifier else b.predict(X)
    np.testing.assert_allclose(pa, pb, rtol=1e-6, atol=1e-9)


def test_sklearn_equivalence_check_for_the_learned_variance_normal():
    # With a learned scale and a weak prior the check's data (15 rows, 30 features)
    # let the scale collapse: no optimum, and L-BFGS's path amplifies rounding. A
    # prior of alpha=1 gives the problem an optimum; then weights are repetitions.
    from sklearn.utils.estimator_checks import (
        check_sample_weight_equivalence_on_dense_data,
    )

    est = MLPRegressor((8,), family="normal", solver="lbfgs", dtype="float64", alpha=1.0,
                       max_iter=100, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_sample_weight_equivalence_on_dense_data("MLPRegressor", est)
