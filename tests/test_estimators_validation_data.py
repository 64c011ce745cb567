"""``fit(..., validation_data=(X_val, y_val[, w_val]))``: a fixed validation set for early stopping.

Oracles: scipy.stats / scikit-learn's log_loss on the predictions at the restored weights, and a
second fit without early stopping stopped at the best epoch (the same weights, bit for bit, when
every training row is trained on and no random held-out part is drawn).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats
from sklearn.metrics import log_loss

from probnn.estimators import MLPClassifier, MLPRegressor


def _regression(seed=0, n=160, d=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = 3.0 * np.sin(X[:, 0]) + X[:, 1] + (0.3 + 0.5 * np.abs(X[:, 2])) * rng.standard_normal(n)
    return X, 50.0 + 10.0 * y  # a target far from unit scale: standardisation matters


def _forward_float64(est, X):
    """The network's raw outputs recomputed here in float64 from coefs_ / intercepts_ (relu)."""
    h = np.asarray(X, np.float64)
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        h = h @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
        if i < len(est.coefs_) - 1:
            h = np.maximum(h, 0.0)
    return h


def _normal_nll(est, X, y, w=None):
    """Weighted mean -log Normal(y; mu, softplus(z2)) in y's units, with scipy.stats."""
    raw = _forward_float64(est, X)
    loc = raw[:, 0] * est.target_scale_ + est.target_shift_
    scale = np.logaddexp(0.0, raw[:, 1]) * est.target_scale_
    return float(np.average(-stats.norm.logpdf(y, loc, scale), weights=w))


KW = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, batch_size=32, max_iter=300,
          n_iter_no_change=15, tol=0.0, random_state=3, dtype="float64")
# a regressor's own distribution (what early stopping scores), not the last layer's posterior
PLUG_IN = dict(predictive="plug-in")


@pytest.mark.parametrize("weighted", [False, True])
def test_regressor_scores_the_given_rows_and_keeps_the_best_epoch(weighted):
    X, y = _regression()
    Xv, yv = _regression(seed=1, n=60)
    wv = np.random.default_rng(2).uniform(0.2, 3.0, size=60) if weighted else None
    # recalibrate=False: the network's own predictions (the default then widens its scales by
    # the factor fitted on these rows, which can only lower their NLL: factor 1 is a candidate)
    est = MLPRegressor(family="normal", early_stopping=True, recalibrate=False, **KW, **PLUG_IN)
    est.fit(X, y, validation_data=(Xv, yv), validation_sample_weight=wv)
    recal = MLPRegressor(family="normal", early_stopping=True, **KW, **PLUG_IN)
    recal.fit(X, y, validation_data=(Xv, yv), validation_sample_weight=wv)
    assert recal.score_nll(Xv, yv, sample_weight=wv) <= est.score_nll(Xv, yv, sample_weight=wv)
    scores = np.asarray(est.validation_scores_)
    assert len(scores) == est.n_iter_ < KW["max_iter"]  # stopped by the rule
    # the best score is that of the restored weights, computed independently
    oracle = _normal_nll(est, Xv, yv, wv)
    np.testing.assert_allclose(scores.min(), oracle, rtol=1e-9)
    np.testing.assert_allclose(est.best_validation_score_, oracle, rtol=1e-9)
    np.testing.assert_allclose(est.score_nll(Xv, yv, sample_weight=wv), oracle, rtol=1e-9)
    # the 3-tuple form is the same fit
    est3 = MLPRegressor(family="normal", early_stopping=True, recalibrate=False, **KW, **PLUG_IN)
    est3.fit(X, y, validation_data=(Xv, yv, wv))
    np.testing.assert_array_equal(est3.validation_scores_, est.validation_scores_)


def test_every_training_row_is_trained_on():
    """No random tenth held out: the best epoch's weights are those of a plain fit of that length."""
    X, y = _regression()
    Xv, yv = _regression(seed=1, n=60)
    # a constant rate: "plateau"'s warm-up lasts one patience, which the plain fit's differs in
    es = MLPRegressor(family="normal", early_stopping=True, learning_rate="constant", **KW).fit(
        X, y, validation_data=(Xv, yv))
    best_epoch = int(np.argmin(es.validation_scores_)) + 1
    assert best_epoch < es.n_iter_
    plain = MLPRegressor(family="normal", early_stopping=False, learning_rate="constant",
                         **{**KW, "max_iter": best_epoch, "n_iter_no_change": 10**6})
    with pytest.warns(Warning):  # stopped at max_iter on purpose
        plain.fit(X, y)
    for a, b in zip(es.coefs_ + es.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_without_early_stopping_the_rows_are_only_recorded():
    X, y = _regression()
    Xv, yv = _regression(seed=1, n=60)
    kw = {**KW, "max_iter": 25, "n_iter_no_change": 10**6, "early_stopping": False}
    with pytest.warns(Warning):
        rec = MLPRegressor(family="normal", **kw).fit(X, y, validation_data=(Xv, yv))
    with pytest.warns(Warning):
        plain = MLPRegressor(family="normal", **kw).fit(X, y)
    np.testing.assert_array_equal(rec.coefs_[0], plain.coefs_[0])  # training unchanged
    assert len(rec.validation_scores_) == 25 and rec.best_validation_score_ is None
    np.testing.assert_allclose(rec.validation_scores_[-1], _normal_nll(rec, Xv, yv), rtol=1e-9)


def test_classifier_validation_scores_are_the_log_loss_at_the_best_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    logits = np.stack([X[:, 0], X[:, 1] - X[:, 2], -X[:, 0] + 0.5 * X[:, 3]], 1)
    labels = np.array(["a", "b", "c"])
    y = labels[[rng.choice(3, p=special.softmax(r)) for r in 2 * logits]]
    Xv, yv = X[:80], y[:80]
    wv = rng.uniform(0.5, 2.0, 80)
    est = MLPClassifier(early_stopping=True, **KW).fit(
        X[80:], y[80:], validation_data=(Xv, yv, wv))
    oracle = log_loss(yv, est.predict_proba(Xv), labels=est.classes_, sample_weight=wv)
    np.testing.assert_allclose(min(est.validation_scores_), oracle, rtol=1e-9)
    np.testing.assert_allclose(est.best_validation_score_, oracle, rtol=1e-9)


def test_classifier_balanced_class_weight_uses_the_training_classes_weights():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 2))
    y = (X[:, 0] + 0.5 * rng.standard_normal(200) > 0.8).astype(int)  # imbalanced
    Xv, yv = X[:50], y[:50]
    est = MLPClassifier(early_stopping=True, class_weight="balanced", **KW).fit(
        X[50:], y[50:], validation_data=(Xv, yv))
    counts = np.bincount(y[50:])
    per_class = len(y[50:]) / (2 * counts)  # scikit-learn's "balanced" rule, by hand
    oracle = log_loss(yv, est.predict_proba(Xv), sample_weight=per_class[yv])
    np.testing.assert_allclose(min(est.validation_scores_), oracle, rtol=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(validation_sample_weight=np.ones(5)), "needs validation_data"),
        (dict(validation_data=(np.zeros((5, 3)),)), "tuple"),
        (dict(validation_data=(np.zeros((5, 3)), np.zeros(4))), "same number of rows"),
        (dict(validation_data=(np.zeros((5, 2)), np.zeros(5))), "features"),
        (dict(validation_data=(np.zeros((5, 3)), np.zeros(5), np.ones(5)),
              validation_sample_weight=np.ones(5)), "not both"),
        (dict(validation_data=(np.zeros((5, 3)), np.zeros(5), np.zeros(5))), "zero"),
    ],
)
def test_bad_validation_data_is_refused_with_a_reason(kwargs, message):
    X, y = _regression(n=40)
    with pytest.raises(ValueError, match=message):
        MLPRegressor(**KW).fit(X, y, **kwargs)


def test_lbfgs_refuses_validation_data():
    X, y = _regression(n=40)
    with pytest.raises(ValueError, match="stochastic solver"):
        MLPRegressor(solver="lbfgs").fit(X, y, validation_data=(X, y))


def test_early_stopping_keeps_the_start_when_no_epoch_beats_it():
    """Pure noise and a large step: every epoch is worse on the validation rows than the start
    (the constant model: mean and spread of the training y), which is kept."""
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((120, 5)), 7.0 + 3.0 * rng.standard_normal(120)
    Xv, yv = rng.standard_normal((40, 5)), 7.0 + 3.0 * rng.standard_normal(40)
    # at a constant rate: the default "plateau" schedule goes on from the start at rates 5,
    # 25, 125 times smaller, where a chance fit of the noise can beat it on 40 rows
    est = MLPRegressor(family="normal", early_stopping=True, recalibrate=False,
                       learning_rate="constant", **{**KW, "learning_rate_init": 0.3}, **PLUG_IN)
    est.fit(X, y, validation_data=(Xv, yv))
    oracle = float(-np.mean(stats.norm.logpdf(yv, y.mean(), y.std())))
    assert min(est.validation_scores_) > oracle  # no epoch beat the start
    np.testing.assert_allclose(est.best_validation_score_, oracle, rtol=1e-9)
    np.testing.assert_allclose(est.predict(Xv), y.mean(), rtol=1e-12)
    np.testing.assert_allclose(est.predict_dist(Xv).scale, y.std(), rtol=1e-9)


@pytest.mark.parametrize(
    "n, expected",
    [(30, dict(early_stopping_=False, batch_size_=30, max_iter_=100000, n_iter_no_change_=1000)),
     (150, dict(early_stopping_=True, batch_size_=32, max_iter_=20000, n_iter_no_change_=200)),
     (1000, dict(early_stopping_=True, batch_size_=32, max_iter_=3449, n_iter_no_change_=35)),
     (20000, dict(early_stopping_=True, batch_size_=200, max_iter_=1112, n_iter_no_change_=12))],
)
def test_auto_settings_follow_the_documented_rule(n, expected, monkeypatch):
    """The rule worked by hand: from 40 rows on, held out max(ceil(n / 10), 20) rows; batch
    n_train // 50 in [32, 200] (at most n_train); ceil(100000 / steps) epochs; patience
    max(10, ceil(1000 / steps)) (issue 22 changed 20000 and 2000 to these)."""
    from probnn.network.training import Trainer

    monkeypatch.setattr(Trainer, "run", lambda self, *a, **k: self)  # settings only, no training
    X, y = _regression(n=n)
    est = MLPRegressor()
    try:
        est.fit(X, y)
    except Exception:  # nothing trained: attributes after the trainer may be missing
        pass
    assert {k: getattr(est, k) for k in expected} == expected


@pytest.mark.parametrize(
    "family, solver, zero",
    [("normal", "adam", True), ("laplace", "sgd", True), ("poisson", "adam", False),
     ("normal", "lbfgs", False)],
)
def test_the_constant_start_is_for_location_scale_families_under_stochastic_solvers(
        family, solver, zero, monkeypatch):
    from probnn.network import MLP
    from probnn.network.training import Trainer

    monkeypatch.setattr(Trainer, "run", lambda self, *a, **k: self)  # the start, untrained
    monkeypatch.setattr(Trainer, "_fit_lbfgs", lambda self, *a, **k: self, raising=False)
    X, y = _regression(n=80)
    y = np.round(np.abs(y)) if family == "poisson" else y
    est = MLPRegressor(family=family, solver=solver, random_state=5)
    try:
        est.fit(X, y)
    except Exception:  # attributes after the trainer may be missing
        pass
    last = est._network.coefs[-1]
    if zero:
        assert not last.any()
    else:  # the initialiser's own layer (the same draw as a fresh MLP of that seed)
        ref = MLP(est._layer_sizes, "relu", dtype=np.float32, random_state=5)
        np.testing.assert_array_equal(last, ref.coefs[-1])
