"""MLPRegressor(recalibrate=...): one scale factor fitted on the validation rows after training.

Oracles: for a Normal the maximum-likelihood factor has a closed form,
``s^2 = sum_i w_i z_i^2 / sum_i w_i`` with ``z = (y - loc) / scale`` (worked by hand from the
NLL ``log s + z^2 / (2 s^2)``), and the NLL is convex in ``log s``, so the best factor of at
least 1 is ``max(1, s)``; scipy.stats for the densities. The default estimate
(``recalibrate_estimate="posterior"``) is the posterior mean of ``s^2`` under the prior
``1 / s^2``: scipy.stats.invgamma's mean, and the factor of least expected NLL over that
posterior found by quadrature and a bounded minimiser.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from probnn import MLPRegressor
from probnn.model_file import load_model, save_model

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# the network's own distribution (the recalibrated factor, not the last layer's posterior)
SMALL = dict(hidden_layer_sizes=(8,), max_iter=60, random_state=0, predictive="plug-in")


def _data(n=200, seed=0, noise=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = 3.0 * X[:, 0] + noise * (0.5 + np.abs(X[:, 1])) * rng.normal(size=n) + 10.0
    return X, y


# validation rows noisier than the training rows: a network fitted to the latter is
# overconfident on them, so the factor widens (> 1) and the test sees it fitted
NOISY = 3.0


def test_the_factor_is_the_closed_form_maximum_likelihood_on_the_validation_rows():
    X, y = _data()
    Xv, yv = _data(80, seed=1, noise=NOISY)
    wv = np.random.default_rng(2).uniform(0.5, 2.0, size=80)
    fit = MLPRegressor(**SMALL, recalibrate_estimate="mle").fit(X, y,
                                                                validation_data=(Xv, yv, wv))
    raw = MLPRegressor(**SMALL, recalibrate=False).fit(X, y, validation_data=(Xv, yv, wv))
    np.testing.assert_array_equal(fit.coefs_[0], raw.coefs_[0])  # the same network
    d = raw.predict_dist(Xv)
    z = (yv - np.asarray(d.loc, np.float64)) / np.asarray(d.scale, np.float64)
    expected = np.sqrt(np.dot(wv, z**2) / wv.sum())
    assert expected > 1.05  # this network is overconfident on new rows: the factor widens
    assert fit.scale_factor_ == pytest.approx(expected, rel=1e-6)
    assert raw.scale_factor_ == 1.0
    # predictions: the same means, every scale times the factor, NLL by scipy
    Xt, yt = _data(50, seed=3)
    d1, d0 = fit.predict_dist(Xt), raw.predict_dist(Xt)
    np.testing.assert_allclose(d1.loc, d0.loc, rtol=1e-6)
    np.testing.assert_allclose(d1.scale, fit.scale_factor_ * np.asarray(d0.scale), rtol=1e-6)
    np.testing.assert_allclose(fit.predict(Xt), raw.predict(Xt), rtol=1e-6)
    nll = -stats.norm.logpdf(yt, np.asarray(d0.loc, np.float64),
                             fit.scale_factor_ * np.asarray(d0.scale, np.float64))
    assert fit.score_nll(Xt, yt) == pytest.approx(nll.mean(), rel=1e-5)
    lo, hi = fit.predict_interval(Xt, coverage=0.9)
    np.testing.assert_allclose(hi, stats.norm.ppf(0.95, d0.loc, fit.scale_factor_ * d0.scale),
                               rtol=1e-5)


def test_auto_uses_the_rows_early_stopping_held_out():
    X, y = _data(300)
    fit = MLPRegressor(**SMALL, early_stopping=True, recalibrate_estimate="mle").fit(X, y)
    held = fit._trainer.held_out_index_
    assert held is not None and held.size == 30
    # oracle: the closed form on those rows, from the unrecalibrated predictions
    d = fit.predict_dist(X[held])
    loc = np.asarray(d.loc, np.float64)
    scale = np.asarray(d.scale, np.float64) / fit.scale_factor_
    expected = max(1.0, np.sqrt(np.mean(((y[held] - loc) / scale) ** 2)))
    assert fit.scale_factor_ == pytest.approx(expected, rel=1e-5)


def _posterior_oracle(z):
    """The factor of least expected NLL of a new row, ``log f + s^2 / (2 f^2)`` averaged over
    the posterior of ``s^2`` given ``z ~ N(0, s^2)`` under the prior ``1 / s^2``:
    ``InvGamma(n / 2, sum z^2 / 2)`` (scipy), by quadrature and a bounded minimiser; and that
    posterior's mean."""
    from scipy import integrate, optimize

    post = stats.invgamma(a=z.size / 2, scale=np.sum(z**2) / 2)

    def expected_nll(log_f):
        f2 = np.exp(2 * log_f)
        return integrate.quad(lambda v: post.pdf(v) * (0.5 * np.log(f2) + v / (2 * f2)),
                              0, np.inf, limit=200)[0]

    best = optimize.minimize_scalar(expected_nll, bounds=(-3, 3), method="bounded",
                                    options={"xatol": 1e-9})
    return np.exp(best.x), post.mean()


def test_the_default_factor_is_the_posterior_mean_of_its_square():
    X, y = _data()
    Xv, yv = _data(25, seed=1, noise=NOISY)  # few rows: the posterior's widening is visible
    fit = MLPRegressor(**SMALL).fit(X, y, validation_data=(Xv, yv))
    mle = MLPRegressor(**SMALL, recalibrate_estimate="mle").fit(X, y, validation_data=(Xv, yv))
    raw = MLPRegressor(**SMALL, recalibrate=False).fit(X, y, validation_data=(Xv, yv))
    np.testing.assert_array_equal(fit.coefs_[0], raw.coefs_[0])  # the same network
    d = raw.predict_dist(Xv)
    z = (yv - np.asarray(d.loc, np.float64)) / np.asarray(d.scale, np.float64)
    best, mean = _posterior_oracle(z)
    assert best == pytest.approx(np.sqrt(mean), rel=1e-5)  # the claim: f^2 = E[s^2]
    assert best > 1.05
    assert fit.scale_factor_ == pytest.approx(best, rel=1e-5)
    assert mle.scale_factor_ == pytest.approx(np.sqrt(np.mean(z**2)), rel=1e-6)
    # equal weights of any size are the same rows (n is the weights' effective count)
    heavy = MLPRegressor(**SMALL).fit(X, y, validation_data=(Xv, yv, np.full(25, 3.0)))
    assert heavy.scale_factor_ == pytest.approx(fit.scale_factor_, rel=1e-7)
    # unequal weights: n = (sum w)^2 / sum w^2 rows, worked by hand on the closed form
    wv = np.r_[np.ones(20), np.full(5, 2.0)]
    weighted = MLPRegressor(**SMALL).fit(X, y, validation_data=(Xv, yv, wv))
    n = 30.0**2 / 40.0
    expected = np.sqrt(np.dot(wv, z**2) / wv.sum() * n / (n - 2))
    assert weighted.scale_factor_ == pytest.approx(expected, rel=1e-6)


def test_the_factor_never_sharpens():
    # validation rows drawn with a tenth of the training noise: the maximum-likelihood
    # factor would be far below 1; the predictions are left as the network gives them
    X, y = _data(200)
    rng = np.random.default_rng(7)
    Xv = rng.normal(size=(60, 2))
    yv = 3.0 * Xv[:, 0] + 10.0 + 0.05 * rng.normal(size=60)
    fit = MLPRegressor(**SMALL).fit(X, y, validation_data=(Xv, yv))
    raw = MLPRegressor(**SMALL, recalibrate=False).fit(X, y, validation_data=(Xv, yv))
    d = raw.predict_dist(Xv)
    z = (yv - np.asarray(d.loc, np.float64)) / np.asarray(d.scale, np.float64)
    assert np.sqrt(np.mean(z**2)) < 1.0
    assert fit.scale_factor_ == 1.0


@pytest.mark.parametrize("params", [
    dict(family="poisson"), dict(family="normal-fixed"), dict(early_stopping=False),
    dict(solver="lbfgs"),
])
def test_auto_leaves_the_predictions_alone_without_a_learned_scale_or_validation_rows(params):
    X, y = _data(120)
    y = np.round(np.abs(y)) if params.get("family") == "poisson" else y
    fit = MLPRegressor(**{**SMALL, **params}).fit(X, y)
    assert fit.scale_factor_ == 1.0


def test_true_refuses_what_it_cannot_do_and_partial_fit_resets_the_factor():
    X, y = _data(120)
    with pytest.raises(ValueError, match="recalibrate=True needs validation rows .*found no "
                                         "validation rows"):
        MLPRegressor(**SMALL, recalibrate=True, early_stopping=False).fit(X, y)
    with pytest.raises(ValueError, match="found family 'normal-fixed'"):
        MLPRegressor(**SMALL, recalibrate=True, family="normal-fixed").fit(X, y)
    Xv, yv = _data(60, seed=5, noise=NOISY)
    fit = MLPRegressor(**SMALL).fit(X, y, validation_data=(Xv, yv))
    assert fit.scale_factor_ > 1.0
    fit.partial_fit(X, y)
    assert fit.scale_factor_ == 1.0


@pytest.mark.parametrize("family", ["studentt", "mixture-normal"])
def test_other_learned_scale_families_are_recalibrated_about_each_location(family):
    X, y = _data(200)
    Xv, yv = _data(60, seed=5, noise=NOISY)
    fit = MLPRegressor(**SMALL, family=family, recalibrate_estimate="mle").fit(
        X, y, validation_data=(Xv, yv))
    raw = MLPRegressor(**SMALL, family=family, recalibrate=False).fit(
        X, y, validation_data=(Xv, yv))
    factor = fit.scale_factor_
    assert factor > 1.0
    # the factor maximises the validation likelihood: nearby factors do worse (scipy's
    # densities through the distributions' own log_prob, checked elsewhere against scipy)
    from probnn.distributions import scaled_distribution

    d0 = raw.predict_dist(Xv)

    def nll(f):
        return -np.mean(scaled_distribution(d0, f).log_prob(yv))

    assert nll(factor) <= min(nll(factor * 1.02), nll(factor / 1.02))
    np.testing.assert_allclose(fit.predict(Xv), raw.predict(Xv), rtol=1e-5)


def test_the_factor_travels_in_the_model_file(tmp_path):
    X, y = _data(200)
    fit = MLPRegressor(**SMALL).fit(X, y, validation_data=_data(60, seed=5, noise=NOISY))
    assert fit.scale_factor_ > 1.0
    path = tmp_path / "m.safetensors"
    save_model(fit, path)
    back = load_model(path)
    assert back.scale_factor_ == fit.scale_factor_
    np.testing.assert_array_equal(back.predict_dist(X).scale, fit.predict_dist(X).scale)
