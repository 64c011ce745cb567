"""MLPRegressor's own last-layer posterior (predictive="auto"): held to LaplaceApproximation on
the same fitted network, to finite differences, and to Bayesian linear regression's exact
predictive."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from probnn import MLPRegressor, defaults
from probnn.laplace import LaplaceApproximation
from probnn.network import ggn
from probnn.network.jacobian import output_jacobian, parameter_index


def _data(n=160, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X[:, 0] + np.sin(2 * X[:, 1]) + (0.2 + 0.2 * np.abs(X[:, 2])) * rng.normal(size=n)
    return X, y


pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_SMALL = dict(hidden_layer_sizes=(8,), max_iter=60, random_state=0, dtype="float64")


@pytest.mark.parametrize("family", ["normal", "laplace", "studentt"])
def test_the_default_predictive_is_laplace_approximations_on_the_same_network(family):
    # the oracle: LaplaceApproximation (TABLE_LAPLACE) wrapped round the same fitted network
    X, y = _data()
    est = MLPRegressor(family=family, **_SMALL).fit(X, y)
    assert est.predictive_ == "last-layer"
    # (every hidden unit fires on some training row: no weight left out, see the module)
    from probnn.network.ggn import _features

    assert np.all(np.abs(_features(est._network, X)[0]).max(axis=0) > 0)
    la = LaplaceApproximation(est, prefit=True, **defaults.TABLE_LAPLACE).fit(X, y)
    assert est.last_layer_prior_precision_ == pytest.approx(la.prior_precision_, rel=1e-10)
    Xt, yt = _data(40, seed=1)
    mine, theirs = est.predict_dist(Xt), la.predict_dist(Xt)
    np.testing.assert_allclose(mine.loc, theirs.loc, rtol=1e-10, atol=1e-12)
    if family == "normal":
        # the widening factor integrated out over early stopping's held-out rows: 20 of 160
        # (AUTO_MIN_VALIDATION_ROWS > a tenth); a Student-t of 20 df, the Normal's variance
        n = 20
        assert len(est._trainer.held_out_index_) == n and est.scale_factor_rows_ == n
        assert type(mine).__name__ == "StudentT" and type(theirs).__name__ == "Normal"
        np.testing.assert_array_equal(mine.df, n)
        np.testing.assert_allclose(stats.t.var(n, scale=np.asarray(mine.scale)),
                                   np.asarray(theirs.scale) ** 2, rtol=1e-10)
        nll = -np.mean(stats.t.logpdf(yt, n, np.asarray(theirs.loc),
                                      np.asarray(theirs.scale) * np.sqrt((n - 2) / n)))
        assert est.score_nll(Xt, yt) == pytest.approx(nll, rel=1e-10)
    else:
        assert type(mine) is type(theirs)
        np.testing.assert_allclose(mine.scale, theirs.scale, rtol=1e-10)
        assert est.score_nll(Xt, yt) == pytest.approx(la.score_nll(Xt, yt), rel=1e-10)
    # the plug-in network, the same weights: only the spread moved, and only wider
    plug = MLPRegressor(family=family, predictive="plug-in", **_SMALL).fit(X, y)
    assert plug.predictive_ == "plug-in"
    np.testing.assert_array_equal(plug.predict(Xt), est.predict(Xt))
    assert np.all(np.asarray(mine.variance) > np.asarray(plug.predict_dist(Xt).variance))
    assert type(plug.predict_dist(Xt)) is type(theirs)  # the plug-in keeps the family's law


def test_the_output_layers_jacobian_is_finite_differences_of_the_network():
    X, y = _data(12)
    est = MLPRegressor(**_SMALL).fit(X, y)
    network = est._network
    index = parameter_index(network, "last-layer")
    raw, jac = output_jacobian(network, X, "last-layer")
    start = network.params.copy()
    numeric = np.empty_like(jac)
    for p, position in enumerate(index):
        step = 1e-6
        for sign, store in ((1, "plus"), (-1, "minus")):
            params = start.copy()
            params[position] += sign * step
            network.set_params(params)
            if store == "plus":
                upper = network.forward(X).astype(np.float64)
            else:
                lower = network.forward(X).astype(np.float64)
        numeric[:, :, p] = (upper - lower) / (2 * step)
    network.set_params(start)
    np.testing.assert_allclose(jac, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(raw, network.forward(X), rtol=1e-12)


def test_no_hidden_layer_and_a_fixed_noise_is_bayesian_linear_regressions_predictive():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 2))
    y = 1.5 * X[:, 0] - 0.5 * X[:, 1] + 0.7 + 0.4 * rng.normal(size=60)
    noise = 0.4
    est = MLPRegressor(hidden_layer_sizes=(), family="normal-fixed", family_params={"scale": noise},
                       solver="lbfgs", alpha=1e-8, standardize_target=False, dtype="float64",
                       random_state=0, predictive="last-layer").fit(X, y)
    assert est.predictive_ == "last-layer"
    Phi = np.column_stack([X, np.ones(len(y))])
    lam = est.last_layer_prior_precision_
    # BLR: the posterior precision Phi^T Phi / noise^2 + lam D (the bias's prior flat), the
    # predictive variance noise^2 + phi^T A^-1 phi, whatever lam is
    D = np.array([1.0, 1.0, 0.0])
    A = Phi.T @ Phi / noise**2 + lam * np.diag(D)
    Xt = rng.normal(size=(7, 2))
    Phit = np.column_stack([Xt, np.ones(7)])
    variance = noise**2 + np.einsum("ij,jk,ik->i", Phit, np.linalg.inv(A), Phit)
    dist = est.predict_dist(Xt)
    np.testing.assert_allclose(np.asarray(dist.scale) ** 2, variance, rtol=1e-9)


def test_plug_in_where_the_predictive_is_not_closed_form_or_the_fit_partial():
    X, y = _data()
    counts = np.random.default_rng(0).poisson(np.exp(0.3 * X[:, 0]))
    assert MLPRegressor(family="poisson", **_SMALL).fit(X, counts).predictive_ == "plug-in"
    # "auto": a fixed or estimated sigma keeps its documented scale_ (the network's one output)
    fixed = MLPRegressor(family="normal-fixed", **_SMALL).fit(X, y)
    assert fixed.predictive_ == "plug-in"
    np.testing.assert_allclose(fixed.predict_dist(X).scale, fixed.scale_, rtol=1e-12)
    est = MLPRegressor(**_SMALL).partial_fit(X, y)
    assert est.predictive_ == "plug-in"
    np.testing.assert_array_equal(np.asarray(est.predict_dist(X).loc), est._predictive.distribution(
        est._raw(X)).loc)


def test_model_files_keep_the_posterior_and_old_files_predict_plug_in():
    from probnn.estimators._state import estimator_from_state

    X, y = _data()
    est = MLPRegressor(**_SMALL).fit(X, y)
    arrays, meta = est._export_state()
    again = estimator_from_state(dict(arrays), dict(meta))
    assert again.predictive_ == "last-layer"
    np.testing.assert_array_equal(again.predict_dist(X).scale, est.predict_dist(X).scale)
    np.testing.assert_array_equal(again.predict_dist(X).df, est.predict_dist(X).df)
    # a file from before the factor's rows were kept: its Normal, as that probnn predicted
    la = LaplaceApproximation(est, prefit=True, **defaults.TABLE_LAPLACE).fit(X, y)
    before = dict(meta, last_layer={"prior_precision": meta["last_layer"]["prior_precision"]})
    normal = estimator_from_state(dict(arrays), before).predict_dist(X)
    assert type(normal) is type(la.predict_dist(X))
    np.testing.assert_allclose(normal.scale, la.predict_dist(X).scale, rtol=1e-10)
    # a file from before (no posterior fields, no "predictive" parameter): plug-in, as it was
    old_arrays = {k: v for k, v in arrays.items() if k != "last_layer_covariance"}
    old_meta = {k: v for k, v in meta.items() if k != "last_layer"}
    old_meta["params"] = {k: v for k, v in meta["params"].items() if k != "predictive"}
    old = estimator_from_state(old_arrays, old_meta)
    assert old.predictive_ == "plug-in"
    plug = MLPRegressor(predictive="plug-in", **_SMALL).fit(X, y)
    np.testing.assert_array_equal(old.predict_dist(X).scale, plug.predict_dist(X).scale)
    bad = dict(arrays, last_layer_covariance=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="last_layer_covariance"):
        estimator_from_state(bad, dict(meta))


def test_the_ggn_helpers_rank_and_free_weights():
    # a weight with neither curvature nor a prior is not free; one with a prior is
    curvature = np.diag([2.0, 0.0, 0.0])
    is_coef = np.array([True, True, False])
    assert ggn.free_weights(curvature, is_coef, 1.0).tolist() == [True, True, False]
    assert ggn.rank_deficient(np.ones((2, 2)))
    assert not ggn.rank_deficient(np.eye(2))


@pytest.mark.parametrize("floor", [None, 0.3])
def test_the_output_layers_structured_curvature_and_moments_are_the_jacobians(floor):
    # the structured path (J_i = I_k (x) phi_i^T) against the per-row Jacobian's, which the
    # finite-difference test above holds; a scale floor zeroes the floored rows' scale output
    from probnn.families import get_family

    X, y = _data(50)
    network = MLPRegressor(**_SMALL).fit(X, y)._network
    family, w = get_family("normal"), np.linspace(0.5, 2.0, 50)
    targets = (y - y.mean()) / y.std()
    generic = ggn.curvature(network, X, targets, w, family, "last-layer", floor=floor)
    structured = ggn.last_layer_curvature(network, X, targets, w, family, floor=floor)
    for a, b in zip(generic, structured):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
    d = generic[0].shape[0]
    root = np.random.default_rng(0).normal(size=(d, d))
    sigma = root @ root.T / d
    for a, b in zip(ggn.raw_moments(network, X, sigma, "last-layer", floor),
                    ggn.last_layer_moments(network, X, sigma, floor)):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_plug_in_dist_is_the_network_at_its_fitted_weights():
    from probnn.estimators._last_layer import plug_in_dist

    X, y = _data()
    est = MLPRegressor(**_SMALL).fit(X, y)
    plug = MLPRegressor(predictive="plug-in", **_SMALL).fit(X, y)
    np.testing.assert_array_equal(plug_in_dist(est, X).scale, plug.predict_dist(X).scale)
    np.testing.assert_array_equal(plug_in_dist(plug, X).scale, plug.predict_dist(X).scale)


def test_an_input_zero_on_every_training_row_gets_no_posterior():
    # TabularModel's constant model: trained on zeroed features, their weights then set to 0;
    # the posterior must not give them the prior's variance (x would then move the scale):
    # a constant model keeps its maximum-likelihood plug-in (the selection's reference)
    X, y = _data()
    est = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       random_state=0).fit(np.zeros_like(X), y)
    assert est.predictive_ == "plug-in"
    est.coefs_[0][...] = 0.0
    scales = np.asarray(est.predict_dist(X).scale)
    assert np.ptp(scales) == 0
    # one feature that is 0 on every training row: its weight has no posterior, the others do
    Xz = X.copy()
    Xz[:, 2] = 0.0
    glm = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       random_state=0).fit(Xz, y)
    assert glm.predictive_ == "last-layer"
    shifted = X.copy()
    shifted[:, 2] = 5.0  # the unseen input fires: no variance from its weight
    def epistemic(rows):  # the Normal's variance added by the posterior
        return (np.asarray(glm.predict_dist(rows).scale) ** 2
                - np.asarray(glm._predictive.distribution(glm._raw(rows)).scale) ** 2)

    np.testing.assert_allclose(epistemic(shifted), epistemic(Xz), rtol=1e-8, atol=1e-12)
    assert np.all(epistemic(Xz) > 0)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 200), loc=st.floats(-5, 5), s=st.floats(0.1, 10), z=st.floats(-8, 8))
def test_the_student_t_is_the_normal_with_its_widening_factor_integrated_out(n, loc, s, z):
    # the oracle: N(y; loc, c^2) integrated over c^2 ~ InvGamma(n / 2, S / 2), S such that
    # the posterior factor's Normal (the one given) has scale s: s^2 = E[c^2] = S / (n - 2);
    # by quadrature over log c^2 (y = loc + z s)
    from probnn.distributions import Normal
    from probnn.estimators._widening import student_t_predictive

    y = loc + z * s
    t = student_t_predictive(Normal(np.array([loc]), np.array([s])), float(n))
    law = stats.invgamma(n / 2, scale=s**2 * (n - 2) / 2)

    def density(u):  # over u = log c^2: dc^2 = c^2 du
        return np.exp(stats.norm.logpdf(y, loc, np.exp(u / 2)) + law.logpdf(np.exp(u)) + u)

    lo, hi = np.log(law.ppf(1e-14)), np.log(law.isf(1e-14))
    marginal = integrate.quad(density, lo, hi, limit=400, epsabs=0, epsrel=1e-11)[0]
    assert float(t.log_prob(np.array([y]))[0]) == pytest.approx(np.log(marginal), abs=1e-6)


def test_the_student_t_leaves_other_laws_and_too_few_rows_alone():
    from probnn.distributions import Laplace, Normal
    from probnn.estimators._widening import student_t_predictive

    normal, laplace = Normal(np.zeros(2), np.ones(2)), Laplace(np.zeros(2), np.ones(2))
    assert student_t_predictive(normal, None) is normal
    assert student_t_predictive(normal, 2.0) is normal  # no posterior mean of c^2
    assert student_t_predictive(laplace, 30.0) is laplace
    # recalibrate_estimate="mle" plugs its factor in: the Normal, no rows recorded
    X, y = _data()
    mle = MLPRegressor(recalibrate_estimate="mle", **_SMALL).fit(X, y)
    assert mle.scale_factor_rows_ is None and type(mle.predict_dist(X)).__name__ == "Normal"
