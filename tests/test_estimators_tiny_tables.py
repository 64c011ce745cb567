"""MLPRegressor's default on fewer than 40 rows (``estimators._folds``): too few to hold rows
out for early stopping, its epochs are chosen by folds and it is fitted once on all rows for
that many steps, its scales widened on the folds' held-out rows. Before, it trained its whole
budget unchecked and its learned scale collapsed onto the training rows (R's FoodExpenditure,
30 training rows: a held-out NLL of 2.4e19 nats).

Oracles: fresh rows from the generating law (``y = x + N(0, 1)``), scored against scipy's
Normal NLL of the constant model (the training rows' MLE) and of the truth; the folds' factor
recomputed by scipy's Normal density and a bounded minimiser from the folds' own predictions;
a fit of 40 rows compared bit for bit with the same fit where the fold rule is switched off.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from probnn import MLPRegressor
from probnn.estimators import _folds
from probnn.network import MLP
from probnn.network.training import Trainer
from probnn.families import get_family

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _linear(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2.0, 2.0, size=(n, 1))
    return X, X[:, 0] + rng.normal(size=n)


@pytest.mark.parametrize("seed", [0, 1])
def test_thirty_rows_do_not_collapse_the_learned_scale(seed):
    X, y = _linear(30, seed)
    X_new, y_new = _linear(5000, 100 + seed)
    model = MLPRegressor(random_state=seed).fit(X, y)
    nll = model.score_nll(X_new, y_new)
    constant = -stats.norm.logpdf(y_new, y.mean(), y.std()).mean()
    truth = -stats.norm.logpdf(y_new, X_new[:, 0], 1.0).mean()
    # the whole unchecked budget scored about 3e5 nats here; the folds' choice is near the
    # constant model or better (the truth is 0.4 nats below it)
    assert truth < nll < constant + 0.1, (truth, nll, constant)
    assert model.early_stopping_ is False and model.n_iter_ < model.max_iter_


def test_the_factor_is_the_maximum_likelihood_one_of_the_folds_held_out_rows():
    from sklearn.model_selection import KFold

    X, y = _linear(24, 3)
    w = np.ones(len(y))
    splits = list(KFold(4, shuffle=True, random_state=0).split(X))
    folds = [MLPRegressor(hidden_layer_sizes=(8,), early_stopping=False, recalibrate=False,
                          max_iter=300, random_state=0, predictive="plug-in").fit(X[train], y[train])
             for train, _ in splits]  # fmt: skip
    for estimate in ("mle", "posterior"):
        est = MLPRegressor(recalibrate_estimate=estimate)
        parts = _folds._held_out_parts(folds, splits, X, y, w)
        found = _folds._held_out_factor(est, parts, splits, w)
        dists = [f.predict_dist(X[held]) for f, (_, held) in zip(folds, splits)]
        loc = np.concatenate([d.loc for d in dists])
        # each fold's held-out scales bounded below by its least on its training rows
        scale = np.concatenate([np.maximum(d.scale, f.predict_dist(X[train]).scale.min())
                                for d, f, (train, _) in zip(dists, folds, splits)])
        yh = np.concatenate([y[held] for _, held in splits])
        res = optimize.minimize_scalar(
            lambda t: -stats.norm.logpdf(yh, loc, np.exp(t) * scale).mean(),
            bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})  # fmt: skip
        # the posterior's: its square times n / (n - 2), n = 24 held-out rows
        expected = np.exp(res.x) * (np.sqrt(24 / 22) if estimate == "posterior" else 1.0)
        assert found == pytest.approx(max(1.0, expected), rel=1e-4)
        assert expected > 1.0  # (so the test sees the fit, not the floor)


def test_forty_rows_fit_as_before(monkeypatch):
    X, y = _linear(40, 5)
    fitted = MLPRegressor(random_state=0, max_iter=30).fit(X, y)
    import probnn.estimators.regressor as regressor

    monkeypatch.setattr(regressor, "fold_rule_applies", lambda *a: False)
    before = MLPRegressor(random_state=0, max_iter=30).fit(X, y)
    assert fitted.early_stopping_ and fitted.scale_factor_ == before.scale_factor_
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, before.coefs_ + before.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_a_true_on_epoch_stops_the_trainer_there_without_a_warning(recwarn):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 2)), rng.normal(size=50)
    family = get_family("normal")
    trainer = Trainer(MLP([2, 4, 2], "relu", random_state=0), family, max_iter=100,
                      n_iter_no_change=100, random_state=0)  # fmt: skip
    trainer.train(X, y, on_epoch=lambda epoch, loss, score: epoch >= 7)
    assert trainer.n_iter_ == 7 and len(trainer.loss_curve_) == 7
    assert not [w for w in recwarn if "max_iter" in str(w.message)]


def test_the_one_standard_error_rule_takes_the_first_epoch_within_one_error():
    import statistics

    curve = np.array([3.0, 2.5, 2.0, 1.9, 2.2])
    scores = np.array([[3.0, 2.4, 2.1, 1.5, 2.0], [3.0, 2.6, 1.9, 2.3, 2.4],
                       [3.0, 2.5, 2.0, 1.9, 2.2]])
    # by hand: the minimum 1.9 at epoch 4; the folds there 1.5, 2.3, 1.9
    se = statistics.stdev([1.5, 2.3, 1.9]) / 3 ** 0.5  # 0.2309
    assert 2.0 <= 1.9 + se < 2.5
    assert _folds.one_se_epoch(curve, scores) == 3
    # no spread among the folds: the minimum itself
    assert _folds.one_se_epoch(curve, np.tile(curve, (3, 1))) == 4


def _heavy_tailed_features(n: int, seed: int):
    """y = x1 + N(0, 1), x1 and an irrelevant x2 Student-t with 3 degrees of freedom: fresh
    rows from the law reach far outside 30 training rows."""
    rng = np.random.default_rng(seed)
    X = rng.standard_t(3, size=(n, 2))
    return X, X[:, 0] + rng.normal(size=n)


def _lognormal_features(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.lognormal(0.0, 1.0, size=(n, 2))
    return X, X[:, 0] + rng.normal(size=n)


@pytest.mark.parametrize("law, seed", [(_heavy_tailed_features, 1), (_lognormal_features, 2)])
def test_a_learned_scale_does_not_extrapolate_to_rows_the_folds_never_saw(law, seed):
    # before: the learned scale head, linear pieces in x, shrank far from the 30 training
    # rows: fresh rows from the law scored 1.6e68 (t features) and 9.3e96 (log-normal ones)
    # nats where the constant model scores 2.1-2.3; the folds now keep one scale for every x
    # unless the learned one wins on them by more than one standard error
    X, y = law(30, seed)
    X_new, y_new = law(5000, 10_000 + seed)
    model = MLPRegressor(random_state=seed, predictive="plug-in").fit(X, y)
    nll = model.score_nll(X_new, y_new)
    constant = -stats.norm.logpdf(y_new, y.mean(), y.std()).mean()
    truth = -stats.norm.logpdf(y_new, X_new[:, 0], 1.0).mean()
    assert truth < nll < constant + 0.1, (truth, nll, constant)
    # the constant scale was chosen here: by the fit on all rows and each fold member
    for component in model.predict_dist(X_new).components:
        assert np.ptp(component.scale) == 0


def test_the_constant_scale_is_the_maximum_likelihood_one_given_the_locations():
    from probnn.families._affine import AffineTarget

    rng = np.random.default_rng(4)
    loc, y = rng.normal(size=40), rng.normal(size=40) * 2.0
    raw = np.column_stack([loc, rng.normal(size=40)])  # the scales' outputs are replaced
    w = rng.uniform(0.5, 2.0, size=40)
    value = _folds.fit_constant_scale(AffineTarget(get_family("normal"), 0.0, 1.0), raw, y, w)
    sigma = np.sqrt(np.sum(w * (y - loc) ** 2) / w.sum())  # the Normal's weighted MLE
    assert np.log1p(np.exp(value)) == pytest.approx(sigma, rel=1e-6)  # softplus(raw) = sigma


def test_the_fit_on_all_rows_keeps_the_chosen_constant_scale():
    X, y = _heavy_tailed_features(30, 1)
    model = MLPRegressor(random_state=1).fit(X, y)
    dist = model.predict_dist(X).components[0]  # the fit on all rows (then the folds')
    # one scale: the training residuals' RMS (the Normal's MLE given the network's means)
    # times the folds' widening factor
    rms = np.sqrt(np.mean((y - np.asarray(dist.loc)) ** 2))
    np.testing.assert_allclose(dist.scale, rms * model.scale_factor_, rtol=1e-4)


def test_the_one_standard_error_rule_between_a_learned_and_a_constant_scale():
    from probnn.families._affine import AffineTarget

    normal = AffineTarget(get_family("normal"), 0.0, 1.0)
    softplus_inverse = lambda s: np.log(np.expm1(s))  # noqa: E731
    y = np.array([0.0, 1.0, -1.0, 2.0, 0.5, -0.5])
    splits = [(np.array([2, 3, 4, 5]), np.array([0, 1])), (np.array([0, 1, 4, 5]),
              np.array([2, 3])), (np.array([0, 1, 2, 3]), np.array([4, 5]))]  # fmt: skip
    w = np.ones(6)

    def parts(learned_scales, constant_scale):
        return [(normal, np.column_stack([np.zeros(2), softplus_inverse(learned_scales[h])]),
                 y[h], softplus_inverse(constant_scale)) for _, h in splits]  # fmt: skip

    def by_hand(learned_scales, constant_scale):
        per_fold = [(-stats.norm.logpdf(y[h], 0, learned_scales[h]).mean(),
                     -stats.norm.logpdf(y[h], 0, constant_scale).mean()) for _, h in splits]
        learned, constant = np.array(per_fold).T
        se = learned.std(ddof=1) / np.sqrt(3)
        return constant.mean() <= learned.mean() + se

    # the learned scales match |y|: far better than one scale of 1, beyond one error
    good = np.abs(y) + 0.05
    assert not by_hand(good, 1.0)
    assert _folds._prefers_constant_scale(parts(good, 1.0), w, splits) is False
    # learned scales barely better than the constant (within an error): the constant
    near = np.full(6, 1.05)
    assert by_hand(near, 1.2)
    assert _folds._prefers_constant_scale(parts(near, 1.2), w, splits) is True


def _t3_heteroscedastic(seed: int):
    """``bench/studies/tiny_tables_scale.py``'s "t3-heteroscedastic" case: 20-39 training
    rows and 5,000 fresh ones of y = x + (0.5 + 0.5 |x|) N(0, 1), x Student-t (3 df), x
    standardised on the training rows; returns them and the fresh rows' true sd."""
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(20, 40))
    x = rng.standard_t(3, size=(n + 5000, 1))
    sd = 0.5 + 0.5 * np.abs(x[:, 0])
    y = x[:, 0] + sd * rng.normal(size=n + 5000)
    X = (x - x[:n].mean(0)) / x[:n].std(0)
    return X[:n], y[:n], X[n:], y[n:], x[n:, 0], sd[n:]


def test_a_kept_learned_scale_is_never_below_its_least_on_the_training_rows(tmp_path):
    from probnn.model_file import load_model, save_model

    # before: fresh rows scored 3.5e5 nats a row (the scale head's extrapolation)
    X, y, X_new, y_new, loc_new, sd_new = _t3_heteroscedastic(9)
    model = MLPRegressor(random_state=9).fit(X, y)
    assert model.scale_floor_ is not None  # the folds kept the learned scale
    own = model._predictive  # the fit on all rows (the mixture's first component)
    scales = np.asarray(own.distribution(model._raw(X_new)).scale)
    least = np.asarray(own.distribution(model._raw(X)).scale).min()
    assert scales.min() >= least * (1 - 1e-6)
    # the raw network, unbounded, goes below it far from the training rows
    raw = model._network.forward(np.ascontiguousarray(X_new, dtype=np.float32))
    assert raw[:, 1].min() < model.scale_floor_
    # oracle: scipy's Normal on the fresh rows, of the constant model and of the truth
    nll = model.score_nll(X_new, y_new)
    constant = -stats.norm.logpdf(y_new, y.mean(), y.std()).mean()
    truth = -stats.norm.logpdf(y_new, loc_new, sd_new).mean()
    assert truth < nll < constant + 1.0, (truth, nll, constant)
    # the model file keeps the bound
    save_model(model, tmp_path / "m.safetensors")
    again = load_model(tmp_path / "m.safetensors")
    for a, b in zip(again.predict_dist(X_new).components, model.predict_dist(X_new).components):
        np.testing.assert_array_equal(a.scale, b.scale)


@pytest.mark.parametrize("predictive", ["linear", "mc"])
def test_the_laplace_predictive_honours_the_scale_floor(predictive):
    from probnn.laplace import LaplaceApproximation

    # before: the Laplace predictive read the raw network, unbounded: on these fresh rows its
    # scales went below the floor the estimator keeps (the estimator's own: 2.2 nats a row)
    X, y, X_new, y_new, loc_new, sd_new = _t3_heteroscedastic(9)
    model = MLPRegressor(random_state=9, predictive="plug-in").fit(X, y)
    assert model.scale_floor_ is not None
    # a tight posterior (a strong prior): the predictive is nearly the network's own
    laplace = LaplaceApproximation(model, prefit=True, predictive=predictive, n_samples=20,
                                   prior_precision=1e6, random_state=0).fit(X, y)
    # (the posterior is over the fit on all rows: the mixture's first component)
    least = np.asarray(model.predict_dist(X).components[0].scale).min()
    dist = laplace.predict_dist(X_new)
    if predictive == "linear":  # the estimator's own scale (floored), widened: never less
        own = np.asarray(model.predict_dist(X_new).components[0].scale)
        assert np.all(np.asarray(dist.scale) >= own * (1 - 1e-9))
        assert np.asarray(dist.scale).min() >= least * (1 - 1e-6)
    else:  # every draw's scale at least the floor
        assert min(np.asarray(c.scale).min() for c in dist.components) >= least * (1 - 1e-6)
    # oracle: scipy's Normal on the fresh rows, the constant model's and the truth's NLL
    nll = laplace.score_nll(X_new, y_new)
    constant = -stats.norm.logpdf(y_new, y.mean(), y.std()).mean()
    truth = -stats.norm.logpdf(y_new, loc_new, sd_new).mean()
    assert truth < nll < constant + 1.0, (truth, nll, constant)
