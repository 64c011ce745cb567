"""MLPRegressor's standardised target, against oracles outside the code under test.

Oracles: numpy's least squares (``lstsq``) and moments (``mean``, ``std``),
scipy.stats densities and quantiles, the known noise level of a synthetic
heteroscedastic target, the training engine (``MLP`` + ``Trainer``) driven by
hand, and a model file written and read back.
"""

from __future__ import annotations

import importlib.util
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.exceptions import ConvergenceWarning

from probnn.estimators import MLPRegressor, nll_scorer

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("probnn.network") is None,
    reason="the training engine probnn.network is not available yet",
)

# A GLM fit to (near) machine precision: the references below are optima, not runs.
GLM = dict(hidden_layer_sizes=(), solver="lbfgs", dtype="float64", tol=1e-12, max_iter=5000)
BIG = 1e5  # house prices are of this order


def _fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _linear(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.0, 2.0, -1.0]) + 0.3 + 0.5 * rng.standard_normal(n)
    return X, y


def _heteroscedastic(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 1))
    y = np.sin(2 * x[:, 0]) + _true_sigma(x[:, 0]) * rng.standard_normal(n)
    return x, y


def _true_sigma(x):
    return 0.1 + 0.4 * (x + 1) ** 2 / 4  # from 0.1 at x=-1 to 0.5 at x=1


# ------------------------------------------------------------ least squares
def test_linear_normal_fixed_equals_least_squares_on_large_targets():
    X, y = _linear(1)
    y = BIG * y + 2 * BIG
    est = _fit(MLPRegressor(family="normal-fixed", prior=None, random_state=0, **GLM), X, y)
    A = np.column_stack([X, np.ones(len(y))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    # L-BFGS's relative stopping rule (64 eps) leaves about sqrt(64 eps) ~ 1e-7 of
    # y's spread
    np.testing.assert_allclose(est.predict(X), A @ coef, rtol=0, atol=1e-7 * BIG)
    # the shift and scale are y's mean and (population) standard deviation
    assert est.target_shift_ == pytest.approx(np.mean(y), rel=1e-12)
    assert est.target_scale_ == pytest.approx(np.std(y), rel=1e-12)
    # sigma is estimated (issue 9 part 5): the least-squares residual RMS, in y's units
    rms = np.sqrt(np.mean((y - A @ coef) ** 2))
    np.testing.assert_allclose(est.predict_dist(X).scale, rms, rtol=1e-6)
    # the network's weights are those of the standardised problem
    np.testing.assert_allclose(est.coefs_[0][:, 0] * est.target_scale_, coef[:3], rtol=1e-7)


def test_weighted_shift_and_scale_are_the_weighted_moments():
    X, y = _linear(2)
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    est = _fit(MLPRegressor(family="normal-fixed", prior=None, **GLM), X, BIG * y, sample_weight=w)
    mean = np.average(BIG * y, weights=w)
    assert est.target_shift_ == pytest.approx(mean, rel=1e-12)
    assert est.target_scale_ == pytest.approx(
        math.sqrt(np.average((BIG * y - mean) ** 2, weights=w)), rel=1e-12
    )


def test_constant_target_is_shifted_not_divided_by_zero():
    X, _ = _linear(3, n=50)
    est = _fit(MLPRegressor(family="normal-fixed", prior=None, **GLM), X, np.full(50, 7.0))
    assert (est.target_shift_, est.target_scale_) == (7.0, 1.0)
    np.testing.assert_allclose(est.predict(X), 7.0, atol=1e-9)


@pytest.mark.parametrize("family", ["normal", "log-normal", "gamma"])
def test_a_constant_target_under_a_fitted_spread_is_refused_before_training(family):
    """``y = 1 + 1e-25 N(0, 1)`` is 1 on every row in float64: its likelihood grows without
    bound as the fitted spread shrinks. MLPRegressor(family="normal") trained to a scale of 0
    and then raised "Normal: scale must be finite and > 0; found 0" (``probnn fit --family
    normal``: after 20,000 epochs); log-normal and gamma reported NLLs of 1e20. Ones with a
    fixed or floored spread, or counts, still fit it (the test above; Poisson's MLE is y)."""
    from probnn.exceptions import DataError

    X, _ = _linear(3, n=50)
    y = 1.0 + 1e-25 * np.random.default_rng(0).normal(size=50)
    assert np.all(y == 1.0)  # the oracle: float64 itself
    with pytest.raises(DataError, match=f"at least two distinct values for family '{family}'"):
        MLPRegressor(family=family, hidden_layer_sizes=(), max_iter=5).fit(X, y)
    fixed = _fit(MLPRegressor(family="laplace", family_params={"scale": 0.5}, **GLM), X, y)
    np.testing.assert_allclose(fixed.predict(X), 1.0, atol=1e-9)
    counts = _fit(MLPRegressor(family="poisson", **GLM), X, np.full(50, 3.0))
    np.testing.assert_allclose(counts.predict(X), 3.0, rtol=1e-6)


@pytest.mark.parametrize("family", ["normal", "log-normal", "gamma", "beta", "mixture-normal"])
def test_one_row_of_positive_weight_is_refused_as_a_constant_target(family):
    """One row of positive weight among rows of weight 0 is one value: the fitted spread
    shrinks toward 0 on it, as on a constant target (the rule counts rows of positive weight;
    weight 0 rows count for nothing). It was fitted (normal: a scale kept from the start,
    the mean at that row's value). Refused before training; two rows of positive weight fit,
    and a family with a fixed spread or a count family still takes the one row."""
    from probnn.exceptions import DataError

    X, y = _linear(3, n=20)
    y = 0.1 + 0.8 * stats.norm.cdf(y) if family == "beta" else np.exp(y / 4)  # (in every support)
    w = np.zeros(20)
    w[3] = 2.5
    model = MLPRegressor(family=family, hidden_layer_sizes=(), max_iter=5)
    with pytest.raises(DataError, match="two rows of positive weight.*found 1 sample"):
        model.fit(X, y, sample_weight=w)
    # one row given: the same words (scikit-learn's for one sample); a mixture's components
    # outnumber it first
    with pytest.raises(ValueError, match="training rows \\(1\\)" if family == "mixture-normal"
                       else "found 1 sample"):  # fmt: skip
        model.fit(X[3:4], y[3:4])
    w[7] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=w)
        MLPRegressor(family="normal-fixed", **GLM).fit(X, y, sample_weight=w)
        MLPRegressor(family="poisson", **GLM).fit(X, np.round(10 * y), sample_weight=w)


def test_linear_fit_does_not_depend_on_the_units_of_y():
    X, y = _linear(4)
    small = _fit(MLPRegressor(family="normal-fixed", prior=None, random_state=0, **GLM), X, y)
    large = _fit(MLPRegressor(family="normal-fixed", prior=None, random_state=0, **GLM), X, BIG * y)
    # (tolerance: see the test above)
    np.testing.assert_allclose(large.predict(X), BIG * small.predict(X), rtol=0, atol=1e-7 * BIG)


POWER_OF_TWO = 2.0**17  # ~1.3e5; scaling by it is exact in floating point


@pytest.mark.parametrize("family", ["normal", "normal-fixed", "laplace", "studentt"])
def test_network_fit_does_not_depend_on_the_units_of_y(family):
    # Scaled by a power of two, y's mean, standard deviation and standardised
    # values scale exactly, so the two fits (a prior included: it acts on the
    # standardised problem's weights) are one model in two units. (By 1e5 they
    # agree to rounding only, which a nonconvex fit may amplify.)
    X, y = _linear(4, n=100)
    kw = dict(hidden_layer_sizes=(5,), activation="tanh", solver="lbfgs", dtype="float64",
              max_iter=60, random_state=0, alpha=1e-2)  # fmt: skip
    # a fixed scale is in y's units: the same sigma relative to y's spread in both
    fixed = (lambda s: {"scale": s}) if family == "normal-fixed" else (lambda s: None)
    small = _fit(MLPRegressor(family=family, family_params=fixed(1.0), **kw), X, y)
    big = POWER_OF_TWO
    large = _fit(MLPRegressor(family=family, family_params=fixed(big), **kw), X, big * y)
    np.testing.assert_allclose(large.predict(X), big * small.predict(X), rtol=1e-12, atol=1e-12 * big)
    np.testing.assert_allclose(
        large.predict_dist(X).scale, big * small.predict_dist(X).scale, rtol=1e-12
    )
    # a density in units 2^17 times larger is 2^17 times lower: NLL + log(2^17)
    assert large.score_nll(X, big * y) == pytest.approx(
        small.score_nll(X, y) + math.log(big), rel=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(large.loss_curve_) - np.asarray(small.loss_curve_), math.log(big), rtol=1e-12
    )


# ------------------------------------------------- scipy in original units
@pytest.mark.parametrize(
    "family, params, scipy_dist",
    [
        ("normal", None, lambda d: stats.norm(d.loc, d.scale)),
        ("normal-fixed", {"scale": 3e4}, lambda d: stats.norm(d.loc, d.scale)),
        ("laplace", None, lambda d: stats.laplace(d.loc, d.scale)),
        ("laplace", {"scale": 3e4}, lambda d: stats.laplace(d.loc, d.scale)),
        ("studentt", {"df": 4.0}, lambda d: stats.t(d.df, d.loc, d.scale)),
    ],
)
def test_nll_and_intervals_are_scipy_in_the_units_of_y(family, params, scipy_dist):
    X, y = _linear(5, n=200)
    y = BIG * y + 3 * BIG
    est = _fit(MLPRegressor((4,), family=family, family_params=params, solver="lbfgs",
                            max_iter=100, dtype="float64", random_state=0), X, y)  # fmt: skip
    dist = est.predict_dist(X)
    ref = scipy_dist(dist)
    nll = -ref.logpdf(y)
    assert est.score_nll(X, y) == pytest.approx(nll.mean(), rel=1e-10)
    assert nll_scorer(est, X, y) == pytest.approx(-nll.mean(), rel=1e-10)
    w = np.linspace(0.5, 1.5, len(y))
    assert est.score_nll(X, y, sample_weight=w) == pytest.approx(np.average(nll, weights=w), rel=1e-10)
    lower, upper = est.predict_interval(X, coverage=0.8)
    np.testing.assert_allclose(lower, ref.ppf(0.1), rtol=1e-9)
    np.testing.assert_allclose(upper, ref.ppf(0.9), rtol=1e-9)
    np.testing.assert_allclose(est.predict(X), dist.loc, rtol=0)
    if params and "scale" in params:
        # a fixed scale is given, and reported, in the units of y
        np.testing.assert_allclose(dist.scale, params["scale"], rtol=1e-12)
        assert est.family_.scale == params["scale"]


def test_loss_curve_is_the_training_nll_in_the_units_of_y():
    # without a prior, L-BFGS's last objective is the mean training NLL,
    # which score_nll (checked against scipy above) computes independently
    X, y = _linear(6, n=200)
    est = _fit(MLPRegressor((4,), family="normal", prior=None, solver="lbfgs", max_iter=200,
                            dtype="float64", random_state=0, predictive="plug-in"),
               X, BIG * y)  # fmt: skip (the training likelihood: the network's own)
    assert est.loss_curve_[-1] == pytest.approx(est.score_nll(X, BIG * y), rel=1e-10)
    assert est.best_loss_ == pytest.approx(est.score_nll(X, BIG * y), rel=1e-10)


def test_validation_scores_are_in_the_units_of_y():
    X, y = _linear(7, n=400)
    kw = dict(hidden_layer_sizes=(4,), early_stopping=True, max_iter=15, random_state=0,
              dtype="float64", learning_rate_init=0.01)  # fmt: skip
    small = _fit(MLPRegressor(**kw), X, y)
    large = _fit(MLPRegressor(**kw), X, BIG * y)
    np.testing.assert_allclose(
        np.asarray(large.validation_scores_) - np.asarray(small.validation_scores_),
        math.log(BIG), rtol=1e-6,
    )  # fmt: skip
    assert large.best_validation_score_ == pytest.approx(min(large.validation_scores_))


# ------------------------------------------------- the failure that was seen
def test_learned_scale_on_targets_times_1e5_recovers_the_noise():
    # as test_estimators' heteroscedastic test, with y in units 1e5 times smaller
    x, y = _heteroscedastic(3000, 7)
    grid = np.linspace(-0.9, 0.9, 19)[:, None]
    kw = dict(hidden_layer_sizes=(16,), activation="tanh", solver="lbfgs", max_iter=500,
              dtype="float64", random_state=0, alpha=1e-3)  # fmt: skip
    est = _fit(MLPRegressor(family="normal", **kw), x, BIG * y)
    np.testing.assert_allclose(est.predict_dist(grid).scale, BIG * _true_sigma(grid[:, 0]), rtol=0.10)
    np.testing.assert_allclose(est.predict(grid), BIG * np.sin(2 * grid[:, 0]), atol=0.1 * BIG)
    # the default minibatch Adam trains too, in float32
    adam = _fit(MLPRegressor((16,), activation="tanh", max_iter=30, random_state=0), x, BIG * y)
    assert np.all(np.isfinite(adam.loss_curve_))
    constant = -stats.norm.logpdf(BIG * y, *stats.norm.fit(BIG * y)).mean()  # best constant model
    assert adam.score_nll(x, BIG * y) < constant - 0.5


# ------------------------------------------------------------ model files
@pytest.mark.parametrize("family, params", [("normal", None), ("normal-fixed", {"scale": 2e4}),
                                            ("laplace", None), ("studentt", None)])  # fmt: skip
def test_saved_and_loaded_regressor_predicts_bit_for_bit(tmp_path, family, params):
    from probnn.model_file import load_model, save_model

    X, y = _linear(8, n=120)
    y = BIG * y + 4 * BIG
    est = _fit(MLPRegressor((5,), family=family, family_params=params, max_iter=20,
                            random_state=0), X, y)  # fmt: skip
    loaded = load_model(save_model(est, tmp_path / "model.safetensors"))
    assert (loaded.target_shift_, loaded.target_scale_) == (est.target_shift_, est.target_scale_)
    assert loaded.family_ == est.family_ and loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    a, b = loaded.predict_dist(X), est.predict_dist(X)
    np.testing.assert_array_equal(a.loc, b.loc)
    np.testing.assert_array_equal(a.scale, b.scale)
    for lo, hi in zip(loaded.predict_interval(X), est.predict_interval(X)):
        np.testing.assert_array_equal(lo, hi)
    assert loaded.score_nll(X, y) == est.score_nll(X, y)
    assert loaded.loss_curve_ == est.loss_curve_


def test_a_model_file_from_before_standardisation_loads_unstandardised():
    from probnn.estimators import estimator_from_state

    X, y = _linear(9, n=80)
    est = _fit(MLPRegressor((3,), standardize_target=False, max_iter=10, random_state=0), X, y)
    arrays, meta = est._export_state()
    del meta["target_scaling"], meta["params"]["standardize_target"]  # as an older probnn wrote it
    old = estimator_from_state(arrays, meta)
    assert old.standardize_target is False
    assert (old.target_shift_, old.target_scale_) == (0.0, 1.0)
    np.testing.assert_array_equal(old.predict(X), est.predict(X))


# ------------------------------------------------------------ what it leaves alone
def test_poisson_is_never_standardised():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((200, 2))
    y = rng.poisson(np.exp(3 + 0.5 * X[:, 0]))
    fits = {
        s: _fit(MLPRegressor(family="poisson", standardize_target=s, random_state=0, **GLM), X, y)
        for s in ("auto", False)
    }
    np.testing.assert_array_equal(fits["auto"].coefs_[0], fits[False].coefs_[0])
    np.testing.assert_array_equal(fits["auto"].intercepts_[0], fits[False].intercepts_[0])
    assert (fits["auto"].target_shift_, fits["auto"].target_scale_) == (0.0, 1.0)
    with pytest.raises(ValueError, match="standardize_target=True needs a location-scale family"):
        MLPRegressor(family="poisson", standardize_target=True).fit(X, y)


def test_standardize_target_is_checked():
    X, y = _linear(11, n=30)
    with pytest.raises(ValueError, match="MLPRegressor: standardize_target must be one of 'auto', True, False; found 'yes'"):
        MLPRegressor(standardize_target="yes").fit(X, y)
    assert not hasattr(MLPRegressor(standardize_target="yes"), "target_scale_")


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_standardize_false_is_the_engine_on_y_as_given(solver):
    # the estimator without standardisation = the engine driven by hand on raw y
    from probnn.families import get_family
    from probnn.network import MLP
    from probnn.network.training import Trainer

    X, y = _linear(12, n=150)
    y = y + 5  # mean 5, spread 2.5: standardising would change it
    est = _fit(MLPRegressor((4,), solver=solver, max_iter=20, random_state=3, alpha=1e-4,
                            early_stopping=False, n_iter_no_change=10, batch_size=200,
                            standardize_target=False), X, y)  # fmt: skip
    family = get_family("normal")
    net = MLP([3, 4, 2], "relu", dtype=np.float32, random_state=3, dropout=0.0)
    # the estimator's start: the constant model (output weights 0 under a stochastic solver,
    # biases its MLE)
    net.intercepts[-1][...] = family.constant_raw(y, np.ones(len(y)))
    if solver != "lbfgs":
        net.coefs[-1][...] = 0.0
    prior, alpha = "gaussian", 1e-4
    kwargs = {k: v for k, v in est.get_params().items() if k in (
        "solver", "learning_rate_init", "learning_rate", "power_t", "batch_size", "momentum",
        "nesterovs_momentum", "beta_1", "beta_2", "epsilon", "shuffle", "max_iter", "tol",
        "n_iter_no_change", "early_stopping", "validation_fraction", "max_fun",
        "random_state", "progress", "verbose")}  # fmt: skip
    trainer = Trainer(net, family, prior=prior, alpha=alpha, ema_decay=est.ema_decay_, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(np.ascontiguousarray(X, dtype=np.float32), y, np.ones(len(y)))
    np.testing.assert_array_equal(est._network.params, net.params)
    assert est.loss_curve_ == [float(v) for v in trainer.loss_curve_]
    raw = net.forward(np.ascontiguousarray(X, dtype=np.float32))
    np.testing.assert_array_equal(est.predict(X), raw[:, 0])
    assert (est.target_shift_, est.target_scale_) == (0.0, 1.0)


# ------------------------------------------------------ continuing a fit
def test_partial_fit_and_warm_start_keep_the_first_scaling():
    X, y = _linear(13, n=200)
    first, second = BIG * y[:100], BIG * y[100:] + 50 * BIG  # a second chunk far off
    est = MLPRegressor((4,), random_state=0)
    est.partial_fit(X[:100], first)
    est.partial_fit(X[100:], second)
    assert est.target_shift_ == pytest.approx(np.mean(first), rel=1e-12)
    assert est.target_scale_ == pytest.approx(np.std(first), rel=1e-12)

    warm = _fit(MLPRegressor((4,), max_iter=5, warm_start=True, random_state=0,
                             early_stopping=False), X[:100], first)
    before = warm.coefs_[0].copy()
    _fit(warm, X[100:], second)
    assert warm.target_shift_ == pytest.approx(np.mean(first), rel=1e-12)
    assert not np.array_equal(warm.coefs_[0], before)  # trained on from the first weights
    # a network that cannot be reused starts afresh, in the new data's units
    warm.set_params(hidden_layer_sizes=(3,))
    _fit(warm, X[100:], second)
    assert warm.target_shift_ == pytest.approx(np.mean(second), rel=1e-12)


def test_two_warm_fits_equal_one_longer_fit_on_large_targets():
    X, y = _linear(14, n=100)
    kw = dict(hidden_layer_sizes=(4,), solver="sgd", shuffle=False, random_state=0, tol=0.0,
              n_iter_no_change=10**6, early_stopping=False)  # fmt: skip
    once = _fit(MLPRegressor(max_iter=6, **kw), X, BIG * y)
    twice = _fit(MLPRegressor(max_iter=3, warm_start=True, **kw), X, BIG * y)
    _fit(twice, X, BIG * y)
    np.testing.assert_array_equal(twice.coefs_[0], once.coefs_[0])
    np.testing.assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-12)


# ------------------------------------------------------ the data it came from
CALIFORNIA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "california-housing" / "housing.csv"


@pytest.mark.skipif(not CALIFORNIA.is_file(), reason=f"California housing not found at {CALIFORNIA}")
def test_compare_ranks_the_learned_scale_normal_on_house_prices(tmp_path, capsys):
    # house values of order 1e5, unscaled: compare must rank "normal", not skip it
    from probnn.cli import main

    frame = pd.read_csv(CALIFORNIA)
    subset = tmp_path / "housing.csv"
    frame.iloc[np.random.default_rng(0).permutation(len(frame))[:2000]].to_csv(subset, index=False)
    code = main(["compare", str(subset), "--target", "median_house_value", "--impute", "--quiet",
                 "--families", "normal,laplace", "--hidden", "16", "--epochs", "10",
                 "--report", str(tmp_path / "cmp")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    ranked = re.findall(r"^\s+\d+\s+(\S+)\s+(\S+)", out, flags=re.M)
    assert sorted(f for f, _ in ranked) == ["laplace", "normal"] and "skipped" not in out
    assert all(math.isfinite(float(nll)) for _, nll in ranked)


def _count_constant_fits(monkeypatch, family_class) -> list:
    """``family_class.constant_raw`` patched to append to the returned list on every call."""
    calls = []
    real = family_class.constant_raw

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(family_class, "constant_raw", counted)
    return calls


@pytest.mark.parametrize("family, solver", [("mixture-normal", "adam"), ("normal", "lbfgs"),
                                            ("poisson", "adam")])
def test_a_fit_fits_the_constant_model_once(monkeypatch, family, solver):
    # the float32 resolution check's constant model is the output layer's start: fitted
    # once per fit (it was twice), and the fit is bit for bit the one that fits it again
    from probnn.estimators import _target, regressor
    from probnn.families import get_family

    X, y = _heteroscedastic(300, seed=3)
    if family == "poisson":
        y = np.random.default_rng(3).poisson(np.exp(1 + X[:, 0])).astype(float)
    calls = _count_constant_fits(monkeypatch, type(get_family(family)))
    monkeypatch.setattr(_target, "CONSTANT_CACHE_SIZE", 0)  # every fit fits its own
    monkeypatch.setattr(_target, "_CONSTANTS", type(_target._CONSTANTS)())
    params = dict(family=family, solver=solver, hidden_layer_sizes=(8,), max_iter=5,
                  random_state=0)
    once = _fit(MLPRegressor(**params), X, y)
    assert len(calls) == 1
    # the same fit with the check's constant model not handed on: fitted again, same weights
    check = regressor.check_resolution
    monkeypatch.setattr(regressor, "check_resolution", lambda *a: [check(*a), None][1])
    calls.clear()
    twice = _fit(MLPRegressor(**params), X, y)
    assert len(calls) == 2
    for a, b in zip(once._network.coefs + once._network.intercepts,
                    twice._network.coefs + twice._network.intercepts):
        np.testing.assert_array_equal(a, b)


def test_fits_on_the_same_rows_share_their_constant_model(monkeypatch):
    # the selection fits a family's constant model, GLM and network on the same rows: the
    # constant model (a deterministic function of family, targets and weights) is fitted
    # once, and each fit starts where it would have (oracle: a fit with nothing remembered)
    from probnn.estimators import _target
    from probnn.families.mixture_normal import MixtureNormalFamily

    X, y = _heteroscedastic(300, seed=4)
    calls = _count_constant_fits(monkeypatch, MixtureNormalFamily)
    monkeypatch.setattr(_target, "_CONSTANTS", type(_target._CONSTANTS)())
    glm = dict(family="mixture-normal", hidden_layer_sizes=(), solver="lbfgs", max_iter=20,
               random_state=0)
    net = dict(family="mixture-normal", hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    fits = [_fit(MLPRegressor(**kw), X, y) for kw in (glm, net, glm)]
    assert len(calls) == 1
    _fit(MLPRegressor(**glm), X, y, sample_weight=np.full(len(y), 2.0))  # other weights
    _fit(MLPRegressor(family_params={"n_components": 2}, **glm), X, y)  # another family
    assert len(calls) == 3
    monkeypatch.setattr(_target, "CONSTANT_CACHE_SIZE", 0)  # nothing remembered
    monkeypatch.setattr(_target, "_CONSTANTS", type(_target._CONSTANTS)())
    for kw, remembered in zip((glm, net), fits):
        fresh = _fit(MLPRegressor(**kw), X, y)
        np.testing.assert_array_equal(fresh._network.params, remembered._network.params)
    assert len(calls) == 5
