"""The Trainer against closed-form MLEs, scikit-learn / NumPy reference fits and finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from probnn.exceptions import TrainingDivergedError
from probnn.families import get_family
from probnn.network import MLP, Trainer


def quiet_fit(trainer, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return trainer.fit(*args, **kw)


def classification_data(n=120, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(dtype)
    logit = X @ np.array([1.5, -1.0, 0.5]) + 0.3
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_descent_on_the_constant_model_reaches_the_mean(weighted):
    rng = np.random.default_rng(1)
    y = rng.normal(3.0, 2.0, 40)
    w = rng.uniform(0.1, 3.0, 40) if weighted else None
    net = MLP([0, 1], dtype=np.float64)
    trainer = Trainer(net, get_family("normal-fixed"), solver="gd", learning_rate_init=0.5,
                      max_iter=2000, tol=0.0, n_iter_no_change=5)  # fmt: skip
    trainer.fit(np.empty((40, 0)), y, w)
    assert trainer.converged_
    np.testing.assert_allclose(net.intercepts[0][0], np.average(y, weights=w), atol=1e-6)


def test_lbfgs_on_the_constant_poisson_model_reaches_log_mean():
    y = np.array([0, 3, 1, 4, 2, 2, 7])
    net = MLP([0, 1], dtype=np.float64)
    Trainer(net, get_family("poisson"), solver="lbfgs", tol=1e-12).fit(np.empty((7, 0)), y)
    np.testing.assert_allclose(net.intercepts[0][0], np.log(y.mean()), atol=1e-6)


def test_lbfgs_linear_gaussian_model_is_least_squares():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.7 + rng.normal(0, 0.3, 60)
    net = MLP([4, 1], dtype=np.float64, random_state=0)
    Trainer(net, get_family("normal-fixed"), solver="lbfgs", tol=1e-12).fit(X, y)
    ref, *_ = np.linalg.lstsq(np.c_[X, np.ones(60)], y, rcond=None)
    np.testing.assert_allclose(np.r_[net.coefs[0][:, 0], net.intercepts[0]], ref, atol=1e-6)


def test_gaussian_prior_map_is_sklearn_l2_logistic_regression():
    # mean NLL + alpha/2 ||w||^2 / n is sklearn's C sum NLL + ||w||^2 / 2 divided by C n, C = 1/alpha
    X, y = classification_data()
    C = 0.3
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    Trainer(net, get_family("bernoulli"), solver="lbfgs", alpha=1 / C, tol=1e-12).fit(X, y)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(net.coefs[0][:, 0], ref.coef_[0], atol=1e-5)
    np.testing.assert_allclose(net.intercepts[0], ref.intercept_, atol=1e-5)


@pytest.mark.parametrize("prior", ["gaussian", "laplace"])
def test_penalised_objective_gradient_matches_finite_differences(prior):
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(15, 3)), rng.normal(size=15)
    w = rng.uniform(0.5, 2, 15)
    net = MLP([3, 4, 2], "tanh", dtype=np.float64, random_state=0)
    net.params[...] += 0.1  # keep coefficients off 0, where |W| has its kink
    trainer = Trainer(net, get_family("normal"), prior=prior, alpha=2.5)
    _, grad = trainer.objective(X, y, w)
    fd = np.zeros_like(grad)
    h = 1e-6
    for i in range(net.params.size):
        old = net.params[i]
        net.params[i] = old + h
        up = trainer.objective(X, y, w)[0]
        net.params[i] = old - h
        down = trainer.objective(X, y, w)[0]
        net.params[i] = old
        fd[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)
    # the value is the weighted mean NLL plus the penalty over the total weight
    # (so that a weight of k is k repeated rows), biases excluded
    W = np.concatenate([c.ravel() for c in net.coefs])
    pen = 1.25 * W @ W if prior == "gaussian" else 2.5 * np.abs(W).sum()
    nll = get_family("normal").nll(net.forward(X), y)
    np.testing.assert_allclose(trainer.objective(X, y, w)[0],
                               np.average(nll, weights=w) + pen / w.sum(), rtol=1e-12)  # fmt: skip


def test_partial_fit_is_one_gradient_step_by_hand():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    net = MLP([2, 1], dtype=np.float64, random_state=0)
    W, b = net.coefs[0][:, 0].copy(), net.intercepts[0][0]
    trainer = Trainer(net, get_family("normal-fixed"), solver="gd", learning_rate_init=0.1)
    for _ in range(2):
        trainer.partial_fit(X, y)
        r = X @ W + b - y  # d mean(r^2/2) / d (W, b) = (X^T r, sum r) / n
        W, b = W - 0.1 * X.T @ r / 10, b - 0.1 * r.mean()
    np.testing.assert_allclose(net.coefs[0][:, 0], W, rtol=1e-12)
    np.testing.assert_allclose(net.intercepts[0][0], b, rtol=1e-12)
    assert trainer.n_iter_ == 2 and trainer.t_ == 20 and len(trainer.loss_curve_) == 2


def test_same_random_state_gives_identical_weights():
    X, y = classification_data(dtype=np.float32)

    def run(seed):
        net = MLP([3, 8, 1], random_state=seed, dropout=0.2)
        quiet_fit(Trainer(net, get_family("bernoulli"), batch_size=16, max_iter=5,
                          random_state=seed), X, y)  # fmt: skip
        return net.params

    a, b, c = run(3), run(3), run(4)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_early_stopping_restores_the_best_weights():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 5))
    # pure noise around an offset the random start does not know: the first epochs learn
    # the offset, then the validation NLL rises (the start itself is a candidate too)
    y = 3.0 + rng.normal(size=60)
    kw = dict(solver="adam", learning_rate_init=0.05, batch_size=10, random_state=0,
              early_stopping=True, validation_fraction=0.3, tol=0.0, n_iter_no_change=5)
    net = MLP([5, 32, 1], "tanh", dtype=np.float64, random_state=0)
    trainer = quiet_fit(Trainer(net, get_family("normal-fixed"), max_iter=200, **kw), X, y)
    scores = trainer.validation_scores_
    best = int(np.argmin(scores))
    assert best < len(scores) - 1  # the last epochs were worse: something to restore
    assert trainer.best_validation_score_ == min(scores)
    # a run stopped right after the best epoch is the same run up to there
    net2 = MLP([5, 32, 1], "tanh", dtype=np.float64, random_state=0)
    quiet_fit(Trainer(net2, get_family("normal-fixed"), max_iter=best + 1, **kw), X, y)
    np.testing.assert_array_equal(net.params, net2.params)


def test_stopping_rule_and_convergence_warning():
    X, y = classification_data()
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        Trainer(net, get_family("bernoulli"), max_iter=3).fit(X, y)
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    t = Trainer(net, get_family("bernoulli"), learning_rate_init=0.05, max_iter=500, tol=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        t.fit(X, y)
    assert t.converged_ and t.n_iter_ < 500
    # sklearn's rule: each of the last n_iter_no_change + 1 epochs failed to beat
    # the best loss before it by tol, and the epoch before them did beat it
    curve = t.loss_curve_
    k = len(curve)
    assert all(curve[i] > min(curve[:i]) - 1e-3 for i in range(k - 11, k))
    assert curve[k - 12] <= min(curve[: k - 12]) - 1e-3


def test_divergence_raises_and_keeps_finite_weights():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 3)) * 10
    y = rng.poisson(5, 50)
    net = MLP([3, 8, 1], dtype=np.float64, random_state=0)
    trainer = Trainer(net, get_family("poisson"), solver="sgd", learning_rate_init=10.0,
                      max_iter=50)  # fmt: skip
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError) as info:
        quiet_fit(trainer, X, y)
    assert np.all(np.isfinite(net.params))
    # the message names the epoch: one more than the epochs completed before it
    assert f"at epoch {trainer.n_iter_ + 1}:" in str(info.value)


@pytest.mark.parametrize("solver", ["adam", "adamw", "sgd", "rmsprop", "gd", "lbfgs"])
def test_every_solver_lowers_the_objective(solver):
    X, y = classification_data(dtype=np.float32)
    net = MLP([3, 6, 1], "tanh", random_state=0)
    fam = get_family("bernoulli")
    lr = 1.0 if solver == "gd" else 0.05  # full-batch steps are few: take bigger ones
    trainer = Trainer(net, fam, solver=solver, learning_rate_init=lr, max_iter=30)
    before = trainer.objective(X, y)[0]
    quiet_fit(trainer, X, y)
    assert trainer.objective(X, y)[0] < before - 0.05
    assert net.params.dtype == np.float32


def test_bad_settings_are_refused():
    net = MLP([3, 1])
    fam = get_family("bernoulli")
    with pytest.raises(ValueError, match="solver must be one of"):
        Trainer(net, fam, solver="newton")
    with pytest.raises(ValueError, match="prior must be"):
        Trainer(net, fam, prior="cauchy")
    with pytest.raises(ValueError, match="dropout=0.5 makes the objective random"):
        Trainer(MLP([3, 2, 1], dropout=0.5), fam, solver="lbfgs")
    with pytest.raises(ValueError, match="partial_fit needs a stochastic solver"):
        Trainer(net, fam, solver="lbfgs").partial_fit(np.ones((2, 3), np.float32), [0, 1])


def test_unpenalised_logistic_regression_matches_sklearn():
    X, y = classification_data(n=300, seed=8)  # drawn from a logistic model: not separable
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    Trainer(net, get_family("bernoulli"), solver="lbfgs", prior=None, tol=1e-12).fit(X, y)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(net.coefs[0][:, 0], ref.coef_[0], atol=1e-4)
    np.testing.assert_allclose(net.intercepts[0], ref.intercept_, atol=1e-4)


def test_poisson_glm_matches_sklearn_poisson_regressor():
    from sklearn.linear_model import PoissonRegressor

    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 3))
    y = rng.poisson(np.exp(X @ np.array([0.3, -0.5, 0.2]) + 0.5))
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    Trainer(net, get_family("poisson"), solver="lbfgs", prior=None, tol=1e-12).fit(X, y)
    ref = PoissonRegressor(alpha=0, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(net.coefs[0][:, 0], ref.coef_, atol=1e-5)
    np.testing.assert_allclose(net.intercepts[0], ref.intercept_, atol=1e-5)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_minibatch_training_reaches_the_logistic_mle(solver):
    # the stochastic solvers end near the same optimum L-BFGS finds exactly
    X, y = classification_data(n=300, seed=8)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    t = Trainer(net, get_family("bernoulli"), solver=solver, learning_rate_init=0.05,
                batch_size=300, max_iter=3000, tol=1e-10, n_iter_no_change=50, random_state=0,
                learning_rate="adaptive")  # fmt: skip
    quiet_fit(t, X, y)
    np.testing.assert_allclose(net.coefs[0][:, 0], ref.coef_[0], atol=1e-4)


def test_fitting_twice_continues_exactly_like_one_longer_run():
    # warm start: the second fit goes on from the weights, optimiser state and random stream
    X, y = classification_data(dtype=np.float32)
    kw = dict(batch_size=32, n_iter_no_change=100, random_state=5)  # never stops early

    net_a = MLP([3, 6, 1], random_state=1)
    a = Trainer(net_a, get_family("bernoulli"), max_iter=4, **kw)
    quiet_fit(a, X, y)
    quiet_fit(a, X, y)
    net_b = MLP([3, 6, 1], random_state=1)
    b = quiet_fit(Trainer(net_b, get_family("bernoulli"), max_iter=8, **kw), X, y)
    np.testing.assert_array_equal(net_a.params, net_b.params)
    assert a.loss_curve_ == b.loss_curve_ and a.n_iter_ == 8 and a.t_ == b.t_ == 8 * 120


def test_progress_bar_and_verbose_report_the_epochs(capsys, monkeypatch):
    import probnn.network.training as training

    monkeypatch.setattr(training, "PROGRESS_DELAY_S", 0.0)  # this fit lasts milliseconds
    X, y = classification_data()
    net = MLP([3, 1], dtype=np.float64, random_state=0)
    quiet_fit(Trainer(net, get_family("bernoulli"), max_iter=3, progress=True, verbose=True),
              X, y)  # fmt: skip
    out, err = capsys.readouterr()
    assert "Iteration 3, loss = " in out
    assert "epochs" in err


def test_progress_bar_waits_for_a_second_unless_told(capsys):
    X, y = classification_data()
    for progress, shown in ((True, False), (0, True), (False, False), (None, False)):
        net = MLP([3, 1], dtype=np.float64, random_state=0)
        quiet_fit(Trainer(net, get_family("bernoulli"), max_iter=3, progress=progress), X, y)
        assert ("epochs" in capsys.readouterr().err) is shown, progress


def _fit_weights(family, X, y, sw=None, **kw):
    net = MLP([X.shape[1], 7, family.n_outputs(y)], dtype=np.float32, random_state=3)
    trainer = Trainer(net, family, batch_size=16, max_iter=4, tol=0.0, random_state=5, **kw)
    quiet_fit(trainer, X, y, sw)
    return net.copy_params(), trainer.loss_curve_


class _UntrustedCategorical:
    """A family-like object that is no Family: the Trainer must take the public, checked path."""

    def __init__(self):
        self._family = get_family("categorical")

    def __getattr__(self, name):
        return getattr(self._family, name)


def test_a_family_that_overrides_the_checked_methods_is_refused():
    # the Trainer trusts a Family's kernel once targets are checked: overriding the public,
    # checked methods would bypass that contract, so it is refused when the class is made
    with pytest.raises(TypeError, match="implements the kernel _loss_gradient"):

        class Overriding(type(get_family("categorical"))):
            def loss_gradient(self, raw, y, sample_weight=None):
                return super().loss_gradient(raw, y, sample_weight)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("weighted", [False, True])
def test_minibatch_fast_path_equals_the_checked_loss_gradient_bit_for_bit(solver, weighted):
    # the Trainer checks targets once per epoch and calls _loss_gradient per batch; a family
    # that overrides loss_gradient gets the public path: both must give the same weights
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 5)).astype(np.float32)
    y = rng.integers(0, 3, 100)
    sw = rng.uniform(0.2, 2.0, 100) if weighted else None
    fast, curve_fast = _fit_weights(get_family("categorical"), X, y, sw, solver=solver)
    slow, curve_slow = _fit_weights(_UntrustedCategorical(), X, y, sw, solver=solver)
    np.testing.assert_array_equal(fast, slow)
    assert curve_fast == curve_slow


def test_unit_sample_weights_are_exactly_no_weights():
    X, y = classification_data(90, dtype=np.float32)
    a, ca = _fit_weights(get_family("bernoulli"), X, y, None)
    b, cb = _fit_weights(get_family("bernoulli"), X, y, np.ones(90))
    np.testing.assert_array_equal(a, b)
    assert ca == cb


def test_bad_targets_are_refused_before_any_step():
    X, y = classification_data(40)
    y = y.astype(float)
    y[33] = 2.0  # not a Bernoulli label, in a late minibatch
    net = MLP([3, 4, 1], dtype=np.float64, random_state=0)
    start = net.copy_params()
    trainer = Trainer(net, get_family("bernoulli"), batch_size=8, max_iter=1, shuffle=False)
    with pytest.raises(ValueError, match="found 2 at row \\[33\\]"):
        trainer.fit(X, y)
    np.testing.assert_array_equal(net.params, start)


def test_too_many_classes_for_the_network_are_refused():
    X, y = classification_data(40)
    y[5] = 3  # a label the network's two raw outputs cannot score
    net = MLP([3, 2], dtype=np.float64, random_state=0)
    with pytest.raises(ValueError, match="0..1 for 2 raw output columns"):
        Trainer(net, get_family("categorical"), batch_size=8, max_iter=1).fit(X, y)


def test_the_validation_nll_is_float64_at_counts_near_a_billion():
    # a float32 network predicting Poisson counts near 1e9: the NLL's terms (y log rate,
    # the rate, log y!) are each about 2e10 and cancel to about 13 nats, which float32
    # cannot hold (it scored -89.6 nats, so early stopping chose epochs at random). The
    # oracle: scipy's logpmf at the network's raw outputs in float64.
    from scipy import stats

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = rng.poisson(1e9, size=64).astype(np.float64)
    net = MLP([2, 1], dtype=np.float32, random_state=0)
    net.coefs[0][...] = 0.0
    net.intercepts[0][...] = np.log(1e9)
    trainer = Trainer(net, get_family("poisson"), solver="sgd", learning_rate_init=1e-30,
                      max_iter=1, batch_size=64)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y, validation_data=(X, y, None))
    rate = np.exp(net.forward(X).astype(np.float64).ravel())
    expected = -np.mean(stats.poisson.logpmf(y, rate))
    assert 10 < expected < 20
    # float64 itself cancels terms of 2e10 to about 2e10 * 2**-52 = 4e-6 nats
    assert trainer.validation_scores_[0] == pytest.approx(expected, abs=2e-5)
