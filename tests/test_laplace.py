"""The Laplace approximation (probnn.laplace, issue 24) against closed forms and finite differences.

Oracles: Bayesian linear regression's closed forms (posterior, predictive, evidence) written
here with numpy; logistic regression's Hessian ``X^T diag(p(1-p)) X + lambda D`` and
quadrature of the sigmoid over the same Gaussian (scipy.integrate); finite differences of the
families' NLLs and of the network's outputs; the exact Hessian of the summed NLL by finite
differences of the backpropagated gradient.
"""

from __future__ import annotations

import functools
import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.optimize import minimize_scalar
from scipy.special import expit
from sklearn.base import clone

import probnn.laplace as laplace_module
from probnn import LaplaceApproximation, MLPClassifier, MLPRegressor
from probnn.families import FAMILIES, get_family
from probnn.network import MLP

from _targets import targets_for
from probnn.network.jacobian import output_jacobian, parameter_index

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def targets(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Valid targets for a registered family, by the support it declares."""
    return targets_for(get_family(name), n, rng)


# ------------------------------------------------------------------ Bayesian linear regression
def _blr_map(A: np.ndarray, y: np.ndarray, noise: float, prior: np.ndarray) -> tuple:
    """MAP and posterior covariance of y ~ N(A theta, noise^2), theta ~ N(0, diag(prior)^-1)."""
    precision = A.T @ A / noise**2 + np.diag(prior)
    cov = np.linalg.inv(precision)
    return cov @ A.T @ y / noise**2, cov


def _blr_log_evidence_flat_bias(X, y, noise, lam) -> float:
    """log of int N(y | X w + b 1, noise^2 I) N(w | 0, lam^-1 I) dw db, db Lebesgue (flat bias).

    Integrating w out: y ~ N(b 1, C), C = noise^2 I + X X^T / lam; then the Gaussian integral
    over b: (2 pi)^(-(n-1)/2) |C|^(-1/2) (1^T C^-1 1)^(-1/2) exp(-(y^T C^-1 y - (1^T C^-1 y)^2
    / 1^T C^-1 1) / 2).
    """
    n = len(y)
    C = noise**2 * np.eye(n) + X @ X.T / lam
    Ci = np.linalg.inv(C)
    one = np.ones(n)
    a, bq = one @ Ci @ one, one @ Ci @ y
    quad = y @ Ci @ y - bq**2 / a
    return float(-0.5 * (n - 1) * math.log(2 * math.pi) - 0.5 * np.linalg.slogdet(C)[1]
                 - 0.5 * math.log(a) - 0.5 * quad)  # fmt: skip


def _linear_regressor(X, y, noise, lam, standardize):
    est = MLPRegressor(hidden_layer_sizes=(), family="normal-fixed", family_params={"scale": noise},
                       dtype="float64", standardize_target=standardize, solver="lbfgs",
                       alpha=lam, recalibrate=False, max_iter=50).fit(X, y)  # fmt: skip
    return est


@pytest.mark.parametrize("subset", ["all", "last-layer"])
@pytest.mark.parametrize("standardize", [False, True])
def test_no_hidden_layer_normal_fixed_is_bayesian_linear_regression(subset, standardize):
    rng = np.random.default_rng(0)
    n, noise, lam = 25, 0.7, 3.0
    X = rng.normal(size=(n, 2))
    y = X @ [1.5, -2.0] + 4.0 + noise * rng.normal(size=n)
    est = _linear_regressor(X, y, noise, lam, standardize)
    shift, c = (est.target_shift_, est.target_scale_) if standardize else (0.0, 1.0)
    assert (shift, c) != (0.0, 1.0) or not standardize
    # the network's exact MAP (in its own units u = (y - shift) / c, noise / c), set as the fit
    A = np.column_stack([X, np.ones(n)])
    theta_u, _ = _blr_map(A, (y - shift) / c, noise / c, np.array([lam, lam, 0.0]))
    est._network.set_params(theta_u)
    la = LaplaceApproximation(est, subset=subset, prefit=True).fit(X, y)
    assert la.prior_precision_ == lam
    # the same model in y's units: weights N(0, c^2 / lam), bias flat, noise sd `noise`
    theta, cov = _blr_map(A, y, noise, np.array([lam / c**2, lam / c**2, 0.0]))
    Xs = np.array([[0.0, 0.0], [3.0, -4.0], [-10.0, 2.0]])
    As = np.column_stack([Xs, np.ones(3)])
    dist = la.predict_dist(Xs)
    np.testing.assert_allclose(dist.mean, As @ theta, rtol=1e-6, atol=1e-6)
    var = noise**2 + np.einsum("ip,pq,iq->i", As, cov, As)
    np.testing.assert_allclose(dist.variance, var, rtol=1e-6)
    epistemic, aleatoric = la.predictive_variance_split(Xs)
    np.testing.assert_allclose(epistemic, var - noise**2, rtol=1e-6)
    np.testing.assert_allclose(aleatoric, noise**2, rtol=1e-6)
    # evidence: Z_u / c^n = Z_y(flat output bias) / c (the flat bias measured in u's units)
    expected = _blr_log_evidence_flat_bias(X, y, noise, lam / c**2) - math.log(c)
    assert la.log_evidence_ == pytest.approx(expected, rel=1e-8, abs=1e-6)
    # score_nll: the Gaussian predictive's density in y's units
    ys = np.array([1.0, -3.0, 20.0])
    nll = -stats.norm(As @ theta, np.sqrt(var)).logpdf(ys).mean()
    assert la.score_nll(Xs, ys) == pytest.approx(nll, rel=1e-6)
    lo, hi = la.predict_interval(Xs, coverage=0.8)
    np.testing.assert_allclose(hi, stats.norm(As @ theta, np.sqrt(var)).ppf(0.9), rtol=1e-6)


def test_evidence_choice_of_the_prior_matches_the_closed_form_maximum():
    rng = np.random.default_rng(1)
    n, noise = 40, 0.5
    X = rng.normal(size=(n, 3))
    y = X @ [0.3, -0.2, 0.1] + 1.0 + noise * rng.normal(size=n)
    est = _linear_regressor(X, y, noise, 1.0, False)
    # the evidence is computed at the fitted weights; make them the MAP of every lambda
    # probed by keeping the closed form's MAP for the maximising lambda (found first)
    best = minimize_scalar(lambda t: -_blr_log_evidence_flat_bias(X, y, noise, math.exp(t)),
                           bounds=(-10, 10), method="bounded", options={"xatol": 1e-8})
    lam = math.exp(best.x)
    A = np.column_stack([X, np.ones(n)])
    est._network.set_params(_blr_map(A, y, noise, np.array([lam] * 3 + [0.0]))[0])
    la = LaplaceApproximation(est, prior_precision="evidence", prefit=True, subset="all").fit(X, y)
    assert la.prior_precision_ == pytest.approx(lam, rel=1e-3)
    assert la.log_evidence_ == pytest.approx(-best.fun, abs=1e-6)


# --------------------------------------------------------------------- logistic regression
def test_logistic_regression_hessian_and_probit_predictive():
    rng = np.random.default_rng(2)
    n, lam = 60, 0.5
    X = rng.normal(size=(n, 2))
    y = (X @ [1.0, -1.5] + 0.3 + rng.logistic(size=n) > 0).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(), dtype="float64", solver="lbfgs", alpha=lam,
                        max_iter=200).fit(X, y)  # fmt: skip
    la = LaplaceApproximation(est, subset="all", prefit=True).fit(X, y)
    theta = est._network.params.astype(np.float64)
    A = np.column_stack([X, np.ones(n)])
    p = expit(A @ theta)
    hessian = A.T @ np.diag(p * (1 - p)) @ A + np.diag([lam, lam, 0.0])
    np.testing.assert_allclose(la.posterior_precision_, hessian, rtol=1e-10, atol=1e-12)
    cov = np.linalg.inv(hessian)
    Xs = np.array([[0.0, 0.0], [2.0, 1.0], [-3.0, 3.0], [8.0, -8.0]])
    As = np.column_stack([Xs, np.ones(len(Xs))])
    mu, s2 = As @ theta, np.einsum("ip,pq,iq->i", As, cov, As)
    proba = la.predict_proba(Xs)[:, 1]
    # the probit approximation of the linearised predictive, from the oracle's moments ...
    np.testing.assert_allclose(proba, expit(mu / np.sqrt(1 + math.pi * s2 / 8)), rtol=1e-8)
    # ... close to the exact integral of the sigmoid over that Gaussian (the approximation's
    # error is below 0.02 in probability), which Monte Carlo over the raw outputs converges to
    quad = np.array([integrate.quad(lambda t: expit(t) * stats.norm.pdf(t, m, math.sqrt(v)),
                                    m - 12 * math.sqrt(v), m + 12 * math.sqrt(v))[0]
                     for m, v in zip(mu, s2)])  # fmt: skip
    np.testing.assert_allclose(proba, quad, atol=0.02)
    mc = LaplaceApproximation(est, subset="all", prefit=True, predictive="mc", n_samples=20000,
                              random_state=0).fit(X, y)
    np.testing.assert_allclose(mc.predict_proba(Xs)[:, 1], quad, atol=0.01)
    # epistemic / aleatoric for classes: they add up to the predictive's entropy
    mi, expected = mc.predictive_variance_split(Xs)
    q = mc.predict_proba(Xs)
    total = -(q * np.log(q)).sum(axis=1)
    np.testing.assert_allclose(mi + expected, total, rtol=1e-10)
    assert np.all(mi >= -1e-12)


# ------------------------------------------------------------ the pieces of the GGN, every family
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_raw_hessian_matches_second_differences_of_the_nll(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    family = get_family(name)
    n = 7
    y = family.check_target(targets(name, n, rng))
    k = family.n_outputs(y)
    raw = rng.normal(scale=0.7, size=(n, k))
    hess = family.raw_hessian(raw, y)
    assert hess.shape == (n, k, k) and hess.dtype == np.float64
    h = 1e-3
    fd = np.empty((n, k, k))
    for j in range(k):
        for m in range(k):
            def f(sj, sm):
                r = raw.copy()
                r[:, j] += sj * h
                r[:, m] += sm * h
                return family.nll(r, y).astype(np.float64)
            fd[:, j, m] = (f(1, 1) - f(1, -1) - f(-1, 1) + f(-1, -1)) / (4 * h * h)
    np.testing.assert_allclose(hess, fd, rtol=1e-4, atol=1e-5)
    # the curvature the GGN uses: the positive part, per row (eigenvalues of fd below 0 -> 0)
    values, vectors = np.linalg.eigh(fd)
    positive = np.einsum("nij,nj,nkj->nik", vectors, np.maximum(values, 0), vectors)
    np.testing.assert_allclose(family.raw_curvature(raw, y), positive, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sizes,activation", [([3, 2], "relu"), ([3, 4, 2], "tanh"),
                                              ([3, 4, 5, 3], "relu"), ([2, 3, 3, 1], "logistic")])
def test_output_jacobian_matches_finite_differences_of_the_outputs(sizes, activation):
    rng = np.random.default_rng(4)
    net = MLP(sizes, activation, dtype=np.float64, random_state=0)
    net.params[...] = rng.normal(scale=0.8, size=net.params.size)
    X = rng.normal(size=(5, sizes[0]))
    raw, jac = output_jacobian(net, X, "all")
    np.testing.assert_allclose(raw, net.forward(X), rtol=1e-12)
    h = 1e-6
    base = net.params.copy()
    fd = np.empty_like(jac)
    for p in range(base.size):
        up, down = base.copy(), base.copy()
        up[p] += h
        down[p] -= h
        net.set_params(up)
        f_up = net.forward(X)
        net.set_params(down)
        fd[:, :, p] = (f_up - net.forward(X)) / (2 * h)
    net.set_params(base)
    np.testing.assert_allclose(jac, fd, rtol=1e-6, atol=1e-8)
    _, last = output_jacobian(net, X, "last-layer")
    np.testing.assert_allclose(last, jac[:, :, parameter_index(net, "last-layer")], rtol=1e-12)


@pytest.mark.parametrize("name", ["normal-fixed", "bernoulli", "categorical", "poisson"])
def test_ggn_is_the_exact_hessian_for_a_canonical_link_and_no_hidden_layer(name):
    """Linear outputs and an NLL convex in them: J^T H J is the Hessian of the summed NLL,
    checked against finite differences of the backpropagated gradient (a separate code path)."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    family = get_family(name)
    n = 30
    X = rng.normal(size=(n, 3))
    y = targets(name, n, rng)
    w = rng.uniform(0.5, 2.0, n)
    options = dict(hidden_layer_sizes=(), dtype="float64", solver="lbfgs", max_iter=30,
                   family=name, alpha=0.0)  # fmt: skip
    if family.is_classifier:
        est = MLPClassifier(**options).fit(X, y, sample_weight=w)
    else:
        est = MLPRegressor(**options, standardize_target=False, recalibrate=False).fit(
            X, y, sample_weight=w)
    la = LaplaceApproximation(est, subset="all", prefit=True, prior_precision=0.5)
    la.fit(X, y, sample_weight=w)
    # the prior: on the coefficients, and on the output biases only for softmax's logits,
    # whose Hessian leaves a constant added to every logit flat
    assert la.prior_mask_.sum() == (la.n_weights_ if name == "categorical" else 3 * est.n_outputs_)
    net, head = est._network, (est.family_ if family.is_classifier else est._predictive.base)
    yt = head.check_target(est._encode(y) if family.is_classifier else y)

    def gradient(params):
        net.set_params(params)
        raw = net.forward(X, training=True)
        _, g = head.loss_gradient(raw, yt, w)
        return net.backward(g.reshape(raw.shape)).copy()

    base, h = net.params.copy(), 1e-5
    fd = np.empty((base.size, base.size))
    for p in range(base.size):
        up, down = base.copy(), base.copy()
        up[p] += h
        down[p] -= h
        fd[p] = (gradient(up) - gradient(down)) / (2 * h)
    net.set_params(base)
    prior = np.diag(0.5 * la.prior_mask_)
    np.testing.assert_allclose(la.posterior_precision_, 0.5 * (fd + fd.T) + prior, rtol=1e-5,
                               atol=1e-6)


# -------------------------------------------------------------------------------- behaviour
def test_epistemic_spread_grows_in_the_gap_and_outside_the_data():
    from _gap import fitted_gap  # the README's picture, docs/laplace_gap.py: this very fit

    la, _, _ = fitted_gap()

    def ratio(points):  # epistemic sd relative to the network's own predicted sd
        epistemic, aleatoric = la.predictive_variance_split(points[:, None])
        return float(np.mean(np.sqrt(epistemic / aleatoric)))

    inside = ratio(np.concatenate([np.linspace(-2.8, -1.2, 20), np.linspace(1.2, 2.8, 20)]))
    gap = ratio(np.linspace(-0.4, 0.4, 9))
    outside = ratio(np.concatenate([np.linspace(-7, -5, 5), np.linspace(5, 7, 5)]))
    assert gap >= 2 * inside
    assert outside >= 2 * inside


def test_a_classifier_is_less_confident_far_from_the_data_and_keeps_its_classes_near_it():
    rng = np.random.default_rng(6)
    centres = np.array([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    X = np.concatenate([c + 0.6 * rng.normal(size=(60, 2)) for c in centres])
    y = np.repeat(["a", "b", "c"], 60)
    est = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, y)
    la = LaplaceApproximation(est, prefit=True, prior_precision="evidence").fit(X, y)
    assert np.mean(la.predict(X) == est.predict(X)) >= 0.98
    far = 12 * np.array([[1.0, 0.3], [-0.5, 1.0], [-1.0, -1.0], [0.2, -1.0]])
    assert np.all(la.predict_proba(far).max(axis=1) < est.predict_proba(far).max(axis=1))
    mi_near, _ = la.predictive_variance_split(centres)
    mi_far, _ = la.predictive_variance_split(far)
    assert mi_far.mean() > mi_near.mean()


# ------------------------------------------------------------------------- the meta-estimator
def test_fit_fits_a_clone_and_monte_carlo_gives_a_mixture_for_any_family():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(80, 2))
    y = rng.poisson(np.exp(0.5 * X[:, 0]))
    base = MLPRegressor(hidden_layer_sizes=(8,), family="poisson", max_iter=20, random_state=0)
    la = LaplaceApproximation(base, random_state=0, n_samples=50).fit(X, y)
    assert la.estimator_ is not base and not hasattr(base, "coefs_")
    dist = la.predict_dist(X[:5])  # "auto": Poisson has no scale to widen
    assert type(dist).__name__ == "Mixture" and len(dist.components) == 50
    # the mixture's mean is the mean of the components' means (the draws of the raw outputs)
    np.testing.assert_allclose(la.predict(X[:5]),
                               np.mean([c.mean for c in dist.components], axis=0), rtol=1e-12)
    assert np.isfinite(la.score_nll(X, y))
    with pytest.raises(ValueError, match="predictive='linear' needs"):
        clone(la).set_params(predictive="linear").fit(X, y).predict_dist(X[:2])


def test_score_is_the_wrapped_estimators_kind_of_score_of_the_predictive():
    """``score`` as MLPRegressor's and MLPClassifier's (scikit-learn's mixins): R^2 of
    :meth:`predict` for a regressor, accuracy for a classifier; sample weights taken. Oracles:
    ``1 - SS_res / SS_tot`` and the share of matching labels, written out here."""
    rng = np.random.default_rng(17)
    X = rng.normal(size=(60, 2))
    y = 2.0 * X[:, 0] + rng.normal(size=60)
    w = rng.uniform(0.5, 2.0, size=60)
    la = LaplaceApproximation(MLPRegressor(hidden_layer_sizes=(), max_iter=50, random_state=0)
                              ).fit(X, y)  # fmt: skip
    pred = la.predict(X)
    r2 = 1.0 - np.sum(w * (y - pred) ** 2) / np.sum(w * (y - np.average(y, weights=w)) ** 2)
    assert la.score(X, y, sample_weight=w) == pytest.approx(r2, rel=1e-12)
    labels = np.where(X[:, 0] + 0.3 * rng.normal(size=60) > 0, "up", "down")
    lc = LaplaceApproximation(MLPClassifier(hidden_layer_sizes=(), max_iter=50, random_state=0)
                              ).fit(X, labels)  # fmt: skip
    hits = lc.predict(X) == labels
    assert lc.score(X, labels) == pytest.approx(hits.mean(), rel=1e-12)
    assert lc.score(X, labels, sample_weight=w) == pytest.approx(np.sum(w * hits) / w.sum())


def test_refusals_name_what_was_expected():
    X, y = np.random.default_rng(8).normal(size=(20, 2)), np.arange(20.0)
    from sklearn.linear_model import LinearRegression

    with pytest.raises(ValueError, match="probnn MLPRegressor or MLPClassifier.*LinearRegression"):
        LaplaceApproximation(LinearRegression()).fit(X, y)
    with pytest.raises(ValueError, match="subset"):
        LaplaceApproximation(MLPRegressor(), subset="first-layer").fit(X, y)
    l1 = MLPRegressor(hidden_layer_sizes=(4,), prior="laplace", alpha=1.0, max_iter=5)
    with pytest.raises(ValueError, match="prior='laplace'"):
        LaplaceApproximation(l1).fit(X, y)


def test_a_full_matrix_too_large_is_refused_with_its_size(monkeypatch):
    X = np.random.default_rng(9).normal(size=(30, 3))
    y = X[:, 0]
    est = MLPRegressor(hidden_layer_sizes=(10,), max_iter=5, random_state=0).fit(X, y)
    monkeypatch.setattr(laplace_module, "FULL_MATRIX_BYTES", 8 * 60 * 60)
    d = 3 * 10 + 10 + 10 * 2 + 2
    with pytest.raises(ValueError, match=f"over {d} weights needs .* GiB.*ggn-diag"):
        LaplaceApproximation(est, subset="all", prefit=True).fit(X, y)
    diag = LaplaceApproximation(est, subset="all", hessian="ggn-diag", prefit=True).fit(X, y)
    full = LaplaceApproximation(est, subset="last-layer", prefit=True).fit(X, y)
    # the diagonal form keeps the full matrix's diagonal (the last layer's part compared)
    index = parameter_index(est._network, "last-layer")
    np.testing.assert_allclose(diag.posterior_precision_[index], np.diag(full.posterior_precision_),
                               rtol=1e-10)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_gets_a_posterior_and_a_finite_predictive(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    family = get_family(name)
    X = rng.normal(size=(40, 2))
    y = targets(name, 40, rng)
    cls = MLPClassifier if family.is_classifier else MLPRegressor
    est = cls(hidden_layer_sizes=(5,), family=name, max_iter=5, random_state=0).fit(X, y)
    la = LaplaceApproximation(est, prefit=True, prior_precision="evidence", n_samples=30,
                              random_state=0).fit(X, y)
    assert np.isfinite(la.log_evidence_) and la.prior_precision_ > 0
    # the posterior covariance is a covariance: the precision's inverse, positive definite
    # over the free weights (a saturated output's own weights, e.g. an inflation or dispersion
    # head at its boundary, stay at their fitted values: rows and columns of zeros)
    precision = la.posterior_precision_
    free = np.any(precision != 0, axis=1)
    assert free.any()
    assert np.all(np.linalg.eigvalsh(precision[np.ix_(free, free)]) > 0)
    assert np.isfinite(la.score_nll(X, y))
    first, second = la.predictive_variance_split(X[:4])
    assert first.shape == second.shape == (4,)
    assert np.all(first >= -1e-12) and np.all(second >= 0)
    if family.is_classifier:
        proba = la.predict_proba(X[:4])
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    else:
        lower, upper = la.predict_interval(X[:4], coverage=0.8)
        assert np.all(lower <= upper)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
def test_fitted_network_surface_reproduces_the_estimators_own_nll(kind):
    # the surface LaplaceApproximation reads (fitted_network, encode_target) against the
    # estimator's own scoring path: the training family's NLL of the mapped targets plus
    # log_scale is each row's NLL in y's units (score_nll), and encode_target's targets
    # give predict_dist's distribution the same NLL
    from probnn import MLPClassifier

    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    if kind == "regressor":
        y = 50.0 + 7.0 * X[:, 0] + rng.normal(size=60)
        # recalibrate=False: the surface is the training likelihood, which a recalibrated
        # scale_factor_ does not enter (LaplaceApproximation applies it itself, Notes)
        est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=30, random_state=0,
                           recalibrate=False, predictive="plug-in").fit(X, y)
    else:
        y = np.where(X[:, 0] > 0, "b", "a")
        est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=30, random_state=0).fit(X, y)
    view = est.fitted_network()
    raw = view.network.forward(X.astype(view.network.params.dtype))
    nll = view.training_family.nll(raw, view.training_targets(y)) + view.log_scale
    assert np.mean(nll) == pytest.approx(est.score_nll(X, y), rel=1e-6)
    direct = -np.asarray(est.predict_dist(X).log_prob(est.encode_target(y)))
    np.testing.assert_allclose(direct, nll, rtol=1e-5, atol=1e-6)
    assert view.prior == "gaussian" and view.alpha == est.alpha


def test_laplace_reads_no_private_attribute_of_the_estimator():
    # the estimators' private state may change freely: probnn.laplace goes through
    # fitted_network() / encode_target() (an attribute "._x" on anything but self is a read
    # of someone's privates; _export_state is the model files' protocol, as for ensembles)
    import ast
    import inspect

    import probnn.laplace as module

    tree = ast.parse(inspect.getsource(module))
    found = [node.attr for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr.startswith("_")
             and not node.attr.startswith("__") and node.attr != "_export_state"
             and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))]
    assert found == []


def test_a_rows_monte_carlo_prediction_does_not_depend_on_the_other_rows():
    # probnn predict --stream scores a table batch by batch: with a seeded Monte Carlo
    # predictive, a row's distribution must be the same whatever rows share its call
    rng = np.random.default_rng(11)
    X = rng.normal(size=(60, 2))
    y = rng.poisson(np.exp(0.4 * X[:, 0]))
    est = MLPRegressor(hidden_layer_sizes=(4,), family="poisson", max_iter=20, random_state=0)
    la = LaplaceApproximation(est, predictive="mc", n_samples=9, random_state=3).fit(X, y)
    whole, part = la.predict_dist(X), la.predict_dist(X[17:23])
    for a, b in zip(whole.components, part.components):
        np.testing.assert_array_equal(np.asarray(a.rate)[17:23], np.asarray(b.rate))
    np.testing.assert_array_equal(la.predictive_variance_split(X[17:23])[0],
                                  la.predictive_variance_split(X)[0][17:23])


# ------------------------------------------------------------------------- softmax classes
@functools.lru_cache(maxsize=None)
def _softmax_glm(prior_precision):
    """A 3-class softmax GLM on overlapping classes, with its Laplace posterior: the rows pin
    the logits' differences down, only the prior their common direction."""
    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 1.5], [1.5, -1.0], [-1.5, -1.0]])
    y = np.repeat(np.arange(3), 200)
    X = centres[y] + rng.normal(size=(600, 2))
    est = MLPClassifier(hidden_layer_sizes=(), dtype="float64", solver="lbfgs",
                        alpha=prior_precision, max_iter=500).fit(X, y)  # fmt: skip
    la = LaplaceApproximation(est, subset="all", prefit=True).fit(X, y)
    Xs = np.array([[0.0, 0.0], [1.5, 0.5], [0.0, 3.0], [4.0, -4.0], [-2.0, -2.0]])
    return la, Xs


def test_softmax_probit_predictive_is_close_to_the_expected_softmax_over_its_gaussian():
    # a weak prior leaves the logits' common direction wide; no class probability depends
    # on it, so the predictive must not either
    la, Xs = _softmax_glm(prior_precision=1e-3)
    mean, cov = la._raw_moments(Xs)
    rng = np.random.default_rng(0)
    draws = np.stack([rng.multivariate_normal(m, c, size=40000) for m, c in zip(mean, cov)])
    logits = draws - draws.max(axis=2, keepdims=True)
    expected = (np.exp(logits) / np.exp(logits).sum(axis=2, keepdims=True)).mean(axis=1)
    proba = la.predict_proba(Xs)
    np.testing.assert_allclose(proba, expected, atol=0.02)


@settings(max_examples=40, deadline=None)
@given(shift=st.floats(0.0, 1e4), rows=st.integers(1, 5))
def test_softmax_probit_predictive_ignores_the_logits_common_direction(shift, rows):
    la, Xs = _softmax_glm(prior_precision=1.0)
    mean, cov = la._raw_moments(Xs[:rows])
    one = np.ones(mean.shape[1])
    wider = cov + shift * np.outer(one, one)  # a common logit, N(0, shift): softmax ignores it
    family = la.estimator_.family_
    np.testing.assert_allclose(family.class_probs(la._probit_raw(mean, wider)),
                               family.class_probs(la._probit_raw(mean, cov)), atol=1e-9)

