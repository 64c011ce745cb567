"""Censored and interval targets ``(lower, upper)``: family layer and estimators.

Oracles: scipy.stats log-cdf / log-survival / log-density written out here per family
(independently of probnn's log-space code), central finite differences of the censored
NLL, a direct ``scipy.optimize.minimize`` of the censored Normal likelihood, and sums of
scipy's Poisson pmf for far tails.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import optimize, special, stats

from probnn import MLPRegressor
from probnn.families import FAMILIES, get_family

SUPPORT_SAMPLES = {
    "real": lambda rng, n: rng.normal(0.3, 1.5, n),
    "positive": lambda rng, n: np.exp(rng.normal(0.0, 0.8, n)),
    "count": lambda rng, n: rng.poisson(4.0, n).astype(float),
    "unit-interval": lambda rng, n: rng.beta(2.0, 3.0, n),
}
# parameters beyond the defaults, so that each variant of a family is covered
VARIANTS = {"laplace": [{}, {"scale": 1.7}], "normal-fixed": [{"scale": 0.8}],
            "mixture-normal": [{"n_components": 2}], "studentt": [{"df": 4.0}],
            "mixture-studentt": [{"n_components": 2, "df": 2.5}]}  # fmt: skip


def family_cases(intervals_only: bool = False):
    """Every registered family and variant (``intervals_only``: those that model interval
    targets; the others' refusal is tested by name on its own)."""
    return [pytest.param(name, params, id=f"{name}{params or ''}")
            for name in FAMILIES for params in VARIANTS.get(name, [{}])
            if not intervals_only or get_family(name, **params).models_intervals]  # fmt: skip


def interval_rows(family, rng, n=16):
    """Exact, right-, left- and interval-censored rows, in turn, in the family's support."""
    y = SUPPORT_SAMPLES[family.support](rng, n)
    lower, upper = y.copy(), y.copy()
    step = 2.0 if family.support == "count" else 0.6
    lower[2::4] = -np.inf if family.support == "real" else 0.0 if family.support != "count" else -1
    upper[1::4] = np.inf if family.support != "unit-interval" else 1.0
    if family.support == "unit-interval":
        upper[3::4] = np.minimum(y[3::4] + 0.2, 1.0)
    else:
        upper[3::4] = y[3::4] + step
    return lower, upper


def refuses(family) -> bool:
    return not family.models_intervals


# ------------------------------------------------------------- the registry
@pytest.mark.parametrize("name, params", family_cases())
def test_gradient_matches_finite_differences(name, params):
    family = get_family(name, **params)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    if refuses(family):  # by name, before anything else is looked at
        with pytest.raises(ValueError, match=f"family '{name}' does not model censored"):
            family.censored_nll(np.zeros((2, 2)), [0.0, 1.0], [1.0, np.inf])
        return
    lower, upper = interval_rows(family, rng)
    k = family.n_outputs(SUPPORT_SAMPLES[family.support](rng, 3))
    raw = rng.normal(0, 1, (len(lower), k))
    loss, grad = family.censored_loss_gradient(raw, lower, upper)
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    h = 1e-5
    fd = np.empty_like(raw)
    for j in range(k):
        e = np.zeros_like(raw)
        e[:, j] = h
        # 4th-order central differences
        f = lambda t: family.censored_nll(raw + t * e, lower, upper)  # noqa: E731
        fd[:, j] = (8 * (f(1) - f(-1)) - (f(2) - f(-2))) / (12 * h)
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name, params", family_cases(intervals_only=True))
def test_exact_rows_are_the_density_nll(name, params):
    family = get_family(name, **params)
    rng = np.random.default_rng(3)
    y = SUPPORT_SAMPLES[family.support](rng, 9)
    raw = rng.normal(0, 1, (9, family.n_outputs(y)))
    loss, grad = family.censored_loss_gradient(raw, y, y)
    assert_allclose(loss, family.nll(raw, y), rtol=1e-12)
    assert_allclose(grad, family.gradient(raw, y), rtol=1e-12)


def _log_p(logcdf_l, logsf_l, logcdf_u, logsf_u, above):
    """log(F(u) - F(l)) by scipy.special.logsumexp with signs, from scipy's log-cdf/sf."""
    sign = np.array([1.0, -1.0]).reshape((2,) + (1,) * np.ndim(logsf_l))
    by_sf = special.logsumexp(np.stack(np.broadcast_arrays(logsf_l, logsf_u)), b=sign, axis=0)
    by_cdf = special.logsumexp(np.stack(np.broadcast_arrays(logcdf_u, logcdf_l)), b=sign, axis=0)
    return np.where(above, by_sf, by_cdf)


def _scipy_cdf_logs(name, params, raw, lower, upper):
    """log P(l < Y <= u) by scipy for the families with a scipy cdf, written out here."""
    sp = lambda z: np.logaddexp(0, z)  # noqa: E731
    if name in ("normal", "normal-fixed", "laplace", "studentt", "log-normal"):
        loc = raw[:, 0]
        scale = sp(raw[:, 1]) if raw.shape[1] == 2 else np.full(len(loc), params["scale"])
        law = {"laplace": stats.laplace, "studentt": stats.t(params.get("df", 3.0))}.get(
            name, stats.norm)
        if name == "log-normal":
            with np.errstate(divide="ignore"):
                lower, upper = np.log(np.maximum(lower, 0)), np.log(upper)
        rl, ru = (lower - loc) / scale, (upper - loc) / scale
        return _log_p(law.logcdf(rl), law.logsf(rl), law.logcdf(ru), law.logsf(ru), rl > 0)
    if name == "poisson":
        lam = np.exp(raw[:, 0])
        law = stats.poisson(lam)
        return _log_p(law.logcdf(lower), law.logsf(lower), law.logcdf(upper), law.logsf(upper),
                      lower > lam)  # fmt: skip
    if name in ("weibull", "log-logistic"):
        law = (stats.weibull_min if name == "weibull" else stats.fisk)(
            np.logaddexp(0, raw[:, 1]), scale=np.exp(raw[:, 0]))
        with np.errstate(divide="ignore"):
            lo = np.maximum(lower, 0)
        return _log_p(law.logcdf(lo), law.logsf(lo), law.logcdf(upper), law.logsf(upper),
                      law.cdf(lo) > 0.5)  # fmt: skip
    if name == "gamma":
        k = sp(raw[:, 1])
        law = stats.gamma(k, scale=np.exp(raw[:, 0]) / k)
        lo = np.maximum(lower, 0)
        return _log_p(law.logcdf(lo), law.logsf(lo), law.logcdf(upper), law.logsf(upper),
                      law.cdf(lo) > 0.5)  # fmt: skip
    if name == "beta":
        m, phi = special.expit(raw[:, 0]), sp(raw[:, 1])
        law = stats.beta(m * phi, (1 - m) * phi)
        lo, hi = np.maximum(lower, 0), np.minimum(upper, 1)
        return _log_p(law.logcdf(lo), law.logsf(lo), law.logcdf(hi), law.logsf(hi),
                      law.cdf(lo) > 0.5)  # fmt: skip
    if name in ("negative-binomial", "zero-inflated-negative-binomial"):
        mu, alpha = np.exp(raw[:, 0]), sp(raw[:, 1])
        law = stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))
        log_count = _log_p(law.logcdf(lower), law.logsf(lower), law.logcdf(upper),
                           law.logsf(upper), law.cdf(lower) > 0.5)  # fmt: skip
        if name == "negative-binomial":
            return log_count
        pi = special.expit(raw[:, 2])
        with np.errstate(divide="ignore"):
            structural = np.where(lower < 0, np.log(pi), -np.inf)
        return np.logaddexp(structural, np.log1p(-pi) + log_count)
    if name in ("hurdle-poisson", "hurdle-negative-binomial"):
        if name == "hurdle-poisson":
            law = stats.poisson(np.exp(raw[:, 0]))
        else:
            alpha = sp(raw[:, 1])
            law = stats.nbinom(1 / alpha, 1 / (1 + alpha * np.exp(raw[:, 0])))
        pi = special.expit(raw[:, -1])
        lo = np.maximum(lower, 0)  # the count part holds the positive counts only
        with np.errstate(divide="ignore", invalid="ignore"):
            log_count = _log_p(law.logcdf(lo), law.logsf(lo), law.logcdf(upper),
                               law.logsf(upper), law.cdf(lo) > 0.5)  # fmt: skip
            log_count = np.where(upper > 0, log_count, -np.inf) - law.logsf(0)
            structural = np.where(lower < 0, np.log(pi), -np.inf)
        return np.logaddexp(structural, np.log1p(-pi) + log_count)
    if name == "zero-inflated-poisson":
        lam, pi = np.exp(raw[:, 0]), special.expit(raw[:, 1])
        law = stats.poisson(lam)
        log_count = _log_p(law.logcdf(lower), law.logsf(lower), law.logcdf(upper),
                           law.logsf(upper), lower > lam)  # fmt: skip
        with np.errstate(divide="ignore"):
            structural = np.where(lower < 0, np.log(pi), -np.inf)
        return np.logaddexp(structural, np.log1p(-pi) + log_count)
    if name in ("mixture-normal", "mixture-studentt"):
        k = params["n_components"]
        w = special.softmax(raw[:, :k], axis=1)
        loc, scale = raw[:, k:2 * k], sp(raw[:, 2 * k:])
        rl, ru = (lower[:, None] - loc) / scale, (upper[:, None] - loc) / scale
        n = stats.norm if name == "mixture-normal" else stats.t(params["df"])
        log_pk = _log_p(n.logcdf(rl), n.logsf(rl), n.logcdf(ru), n.logsf(ru), rl > 0)
        return special.logsumexp(np.log(w) + log_pk, axis=1)
    return None


@pytest.mark.parametrize("name, params", family_cases(intervals_only=True))
def test_censored_rows_match_scipy_cdf(name, params):
    family = get_family(name, **params)
    rng = np.random.default_rng(4)
    lower, upper = interval_rows(family, rng)
    cens = lower != upper
    lower, upper = lower[cens], upper[cens]
    raw = rng.normal(0, 1, (len(lower), family.n_outputs(SUPPORT_SAMPLES[family.support](rng, 2))))
    expected = _scipy_cdf_logs(name, params, raw, lower, upper)
    if expected is None:
        pytest.skip(f"no scipy cdf written here for {name}")
    # atol: scipy rounds P near 1 before its log (probnn keeps log P ~ -1e-17 exactly)
    assert_allclose(-family.censored_nll(raw, lower, upper), expected, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name, params", family_cases(intervals_only=True))
def test_extreme_raw_and_far_bounds_give_no_nan(name, params):
    family = get_family(name, **params)
    rng = np.random.default_rng(5)
    k = family.n_outputs(SUPPORT_SAMPLES[family.support](rng, 2))
    corners = np.array(np.meshgrid(*[[-1e4, 0.0, 1e4]] * k, indexing="ij")).reshape(k, -1).T
    lower, upper = interval_rows(family, rng, 4)
    far = {"real": (1e6, -1e6), "positive": (1e6, 1e-6), "count": (1e5, 0.0),
           "unit-interval": (1 - 1e-9, 1e-9)}[family.support]  # fmt: skip
    lower = np.concatenate([lower, [far[0], -np.inf if family.support == "real" else 0.0]])
    upper = np.concatenate([upper, [np.inf, far[1]]])
    for dtype in (np.float32, np.float64):
        for lo, hi in zip(lower, upper):
            raw = corners.astype(dtype)
            n = len(raw)
            loss, grad = family.censored_loss_gradient(raw, np.full(n, lo), np.full(n, hi))
            assert loss.dtype == dtype and grad.dtype == dtype
            assert not np.isnan(loss).any() and not np.isnan(grad).any(), (lo, hi)
            assert (loss > -np.inf).all()


@settings(max_examples=60, deadline=None)
@given(
    mu=st.floats(-50, 50), z2=st.floats(-5, 5),
    a=st.floats(-1e6, 1e6), width=st.floats(1e-3, 1e6),
    kind=st.sampled_from(["right", "left", "interval"]),
)
def test_normal_far_tails_stay_finite_and_match_log_space_scipy(mu, z2, a, width, kind):
    family = get_family("normal")
    lower, upper = {"right": (a, np.inf), "left": (-np.inf, a), "interval": (a, a + width)}[kind]
    raw = np.array([[mu, z2]])
    loss, grad = family.censored_loss_gradient(raw, [lower], [upper])
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    sigma = math.log1p(math.exp(z2))
    rl, ru = (lower - mu) / sigma, (upper - mu) / sigma
    # scipy in log space: logsf / logcdf, and the difference by logsumexp with signs
    if kind == "right":
        expected = stats.norm.logsf(rl)
    elif kind == "left":
        expected = stats.norm.logcdf(ru)
    elif rl > 0:
        expected = special.logsumexp([stats.norm.logsf(rl), stats.norm.logsf(ru)], b=[1, -1])
    else:
        expected = special.logsumexp([stats.norm.logcdf(ru), stats.norm.logcdf(rl)], b=[1, -1])
    # atol: where P is near 1, log P ~ -4e-9 and scipy's logsumexp (1.11 at the floor) rounds
    # the difference of the two probabilities to ~1e-16 of 1
    assert_allclose(-loss[0], expected, rtol=1e-8, atol=1e-15)


@settings(max_examples=40, deadline=None)
@given(z=st.floats(-30, 12), k=st.integers(0, 5000), right=st.booleans())
def test_poisson_tails_match_summed_pmf(z, k, right):
    """log F(k) / log S(k) against logsumexp of scipy's pmf over the whole tail."""
    lam = math.exp(z)
    family = get_family("poisson")
    lower, upper = (k, np.inf) if right else (-np.inf, k)
    loss, grad = family.censored_loss_gradient(np.array([z]), [lower], [upper])
    assert np.isfinite(loss).all() and np.isfinite(grad).all()
    # each tail summed; the log of the larger one as log1p of minus the smaller
    below = special.logsumexp(stats.poisson.logpmf(np.arange(0, k + 1), lam))  # log F(k)
    js = np.arange(k + 1, k + 1 + 20000 + int(lam + 50 * math.sqrt(lam)))
    above = special.logsumexp(stats.poisson.logpmf(js, lam))  # log S(k)
    if right:
        expected = above if above < below else np.log1p(-np.exp(below))
    else:
        expected = below if below < above else np.log1p(-np.exp(above))
    assert_allclose(-loss[0], expected, rtol=1e-9, atol=1e-15)


@pytest.mark.skipif(np.finfo(np.longdouble).eps > 1e-18,
                    reason="the oracle's running products need 80-bit long doubles")
@pytest.mark.parametrize("sds", [-8.0, -3.0, 0.0, 3.0, 5.0, 8.0])
def test_poisson_tails_at_a_rate_of_1e9_match_an_exact_sum(sds):
    """At rate 1e9, log F(k) / log S(k) against the tail's sum: its first term by mpmath
    (40 digits), the rest by running products of the pmf's ratios (lambda / j upwards,
    j / lambda downwards) in 80-bit long doubles (float64's products drift by 1e-10 over
    the 1e5 terms that matter). scipy's pdtrc, which the survival used, is 72% low 5 sd
    above the mean."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    z = math.log(1e9)
    lam = math.exp(z)  # the rate the raw output z means, exactly (not 1e9: 2e-15 apart)
    k = math.floor(lam + sds * math.sqrt(lam))

    def pmf(j):
        return mpmath.exp(j * mpmath.log(mpmath.mpf(lam)) - lam - mpmath.loggamma(j + 1))

    n = 4_000_000  # beyond 100 sd: the terms left are below 1e-300 of the first
    if sds >= 0:  # S(k) = p(k + 1) (1 + sum_j prod_{i <= j} lambda / (k + 1 + i))
        ratios = np.longdouble(lam) / np.arange(k + 2, k + 2 + n, dtype=np.longdouble)
        first, lower, upper = pmf(k + 1), k, np.inf
    else:  # F(k) = p(k) (1 + sum_j prod_{i < j} (k - i) / lambda)
        ratios = np.arange(k, k - n, -1, dtype=np.longdouble) / np.longdouble(lam)
        first, lower, upper = pmf(k), -np.inf, k
    tail = first * mpmath.mpf(repr(float(1 + np.cumprod(ratios).sum(dtype=np.longdouble))))
    expected = float(mpmath.log(tail))
    loss = get_family("poisson").censored_nll(np.array([z]), [lower], [upper])
    assert_allclose(-loss[0], expected, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- checks
def test_interval_targets_are_checked_naming_rows():
    family = get_family("normal")
    with pytest.raises(ValueError, match=r"lower <= upper.*row"):
        family.check_interval_target([[0.0, 1.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="NaN"):
        family.check_interval_target([[np.nan, 1.0]])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 2\)"):
        family.check_interval_target(np.zeros((3, 3)))
    gamma_like = get_family("log-normal")
    with pytest.raises(ValueError, match=r"exact targets.*found -2 at row \[1\]"):
        gamma_like.check_interval_target([[1.0, 1.0], [-2.0, -2.0]])
    with pytest.raises(ValueError, match="must hold some value"):
        gamma_like.check_interval_target([[-3.0, 0.0]])


def test_support_ends_mean_no_bound():
    # positive support: a lower bound at 0 is left-censoring; counts floor their bounds
    assert get_family("log-normal").check_interval_target([[0.0, 2.0]])[0, 0] == -np.inf
    y = get_family("poisson").check_interval_target([[-1.0, 3.5], [2.2, np.inf]])
    assert y.tolist() == [[-np.inf, 3.0], [2.0, np.inf]]


def test_classifiers_refuse_interval_targets_by_name():
    from probnn import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(), max_iter=5)
    with pytest.raises(ValueError):
        clf.fit(np.zeros((4, 1)), np.array([[0, 1], [1, 2], [0, 1], [1, 1]]) + 0.5)


def test_regressor_refuses_interval_targets_for_a_family_without_a_cdf_kernel(
        family_without_a_cdf):
    name = family_without_a_cdf
    family = get_family(name)
    y = SUPPORT_SAMPLES[family.support](np.random.default_rng(0), 6)
    with pytest.raises(ValueError, match=f"family '{name}' does not model censored"):
        MLPRegressor(family=name, hidden_layer_sizes=(), max_iter=5).fit(
            np.zeros((6, 1)), np.column_stack([y, y]))


# ---------------------------------------------------------------- estimator oracle
def _censored_normal_data(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = 1.0 + X @ np.array([1.5, -0.5]) + rng.normal(0, 0.7, n)
    lower, upper = y.copy(), y.copy()
    capped = y > 2.0  # right-censored at 2
    lower[capped], upper[capped] = 2.0, np.inf
    binned = ~capped & (rng.random(n) < 0.3)  # interval-censored to unit bins
    lower[binned], upper[binned] = np.floor(y[binned]), np.floor(y[binned]) + 1
    return X, lower, upper


def _direct_censored_normal_fit(X, lower, upper):
    """MLE of y ~ N(b + X w, softplus(c + X v)) on (lower, upper] by scipy.optimize,
    the censored likelihood written independently with scipy.stats."""
    exact = lower == upper
    right = ~exact & np.isinf(upper)
    inter = ~exact & ~right

    def nll(t):
        mu, s = t[0] + X @ t[1:3], np.logaddexp(0, t[3] + X @ t[4:6])
        return -(stats.norm.logpdf(lower[exact], mu[exact], s[exact]).sum()
                 + stats.norm.logsf(lower[right], mu[right], s[right]).sum()
                 + np.log(stats.norm.cdf(upper[inter], mu[inter], s[inter])
                          - stats.norm.cdf(lower[inter], mu[inter], s[inter])).sum())

    with np.errstate(divide="ignore", invalid="ignore"):  # trial steps far off
        res = optimize.minimize(nll, np.array([0, 0, 0, 0.5, 0, 0]), method="BFGS",
                                options={"gtol": 1e-9})  # fmt: skip
        res = optimize.minimize(nll, res.x, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-13, "maxfev": 20000})
    return res.x, res.fun / len(lower)


def test_no_hidden_layer_censored_normal_is_the_direct_maximum_likelihood():
    X, lower, upper = _censored_normal_data()
    # not standardised: the network's raw outputs are then the oracle's linear predictors
    est = MLPRegressor(family="normal", hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       max_iter=5000, tol=1e-14, random_state=0, standardize_target=False)
    est.fit(X, np.column_stack([lower, upper]))
    theta, best = _direct_censored_normal_fit(X, lower, upper)
    dist = est.predict_dist(X)
    # the same maximum: the likelihoods agree to 1e-8 (L-BFGS stops on a relative change
    # of 64 eps in the objective, where the parameters are known to about 1e-4)
    assert_allclose(est.score_nll(X, np.column_stack([lower, upper])), best, rtol=1e-8)
    assert_allclose(dist.loc, theta[0] + X @ theta[1:3], rtol=1e-3, atol=1e-3)
    assert_allclose(dist.scale, np.logaddexp(0, theta[3] + X @ theta[4:6]), rtol=1e-3)


def test_censoring_changes_the_fit_towards_the_truth():
    # treating the capped rows as exact pulls the mean down; the censored fit does not
    X, lower, upper = _censored_normal_data(seed=1, n=400)
    est = MLPRegressor(family="normal", hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       max_iter=2000, random_state=0)
    theta_cens = est.fit(X, np.column_stack([lower, upper])).predict_dist(X)
    naive = MLPRegressor(family="normal", hidden_layer_sizes=(), solver="lbfgs",
                         dtype="float64", max_iter=2000, random_state=0)
    naive.fit(X, np.where(np.isinf(upper), lower, 0.5 * (lower + upper)))
    truth = 1.0 + X @ np.array([1.5, -0.5])
    err_cens = np.mean((theta_cens.loc - truth) ** 2)
    err_naive = np.mean((naive.predict(X) - truth) ** 2)
    assert err_cens < err_naive


@pytest.mark.filterwarnings("ignore:training used all max_iter")
def test_minibatch_fit_and_validation_rows_accept_intervals():
    X, lower, upper = _censored_normal_data(seed=2, n=200)
    y = np.column_stack([lower, upper])
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0, early_stopping=True)
    est.fit(X, y)
    assert np.isfinite(est.validation_scores_).all()
    est2 = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    est2.fit(X[:150], y[:150], validation_data=(X[150:], y[150:]))
    assert np.isfinite(est2.validation_scores_).all()
    assert np.isfinite(est2.score_nll(X, y))


def test_fixed_scale_family_estimates_its_scale_on_the_censored_likelihood():
    X, lower, upper = _censored_normal_data(seed=3, n=300)
    est = MLPRegressor(family="normal-fixed", hidden_layer_sizes=(), solver="lbfgs",
                       dtype="float64", max_iter=3000, tol=1e-14, random_state=0)
    est.fit(X, np.column_stack([lower, upper]))
    # the mean's optimum under a fixed sigma moves with sigma for censored rows; check
    # that sigma is the censored MLE given the fitted means (1-D scipy search here)
    loc = est.predict(X)
    exact = lower == upper

    def nll(log_s):
        s = math.exp(log_s)
        return -(stats.norm.logpdf(lower[exact], loc[exact], s).sum()
                 + np.log(stats.norm.cdf(upper[~exact], loc[~exact], s)
                          - stats.norm.cdf(lower[~exact], loc[~exact], s)).sum())

    s_best = math.exp(optimize.minimize_scalar(nll, bounds=(-5, 3), method="bounded",
                                               options={"xatol": 1e-10}).x)  # fmt: skip
    assert_allclose(est.scale_, s_best, rtol=1e-4)


@pytest.mark.filterwarnings("ignore:training used all max_iter")
def test_ensemble_scores_intervals_as_the_mixture_of_its_members():
    """The mixture's probability of each row's event is the members' average: checked
    against each member's Normal by scipy.stats.norm (density where exact, cdf difference else)."""
    from probnn import EnsembleRegressor

    X, lower, upper = _censored_normal_data(seed=4, n=120)
    y = np.column_stack([lower, upper])
    ens = EnsembleRegressor(estimator=MLPRegressor(hidden_layer_sizes=(4,), max_iter=5),
                            n_members=2, random_state=0).fit(X, y)
    exact = lower == upper
    probs = []
    for est in ens.estimators_:
        d = est.predict_dist(X)
        p = np.where(exact, stats.norm.pdf(lower, d.loc, d.scale),
                     stats.norm.cdf(upper, d.loc, d.scale) - stats.norm.cdf(lower, d.loc, d.scale))
        probs.append(p)
    assert_allclose(ens.score_nll(X, y), -np.mean(np.log(np.mean(probs, axis=0))), rtol=1e-5)


INTERVAL_FAMILIES = [c for c in family_cases()
                     if get_family(c.values[0], **c.values[1]).models_intervals]  # fmt: skip


@pytest.mark.parametrize("name, params", INTERVAL_FAMILIES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_far_bounds_give_finite_nll_and_gradient(name, params, data):
    """Bounds far in either tail (and raw outputs over a wide range) keep the censored NLL
    and its gradient finite: the logs of tiny probabilities are formed, never rounded to 0."""
    family = get_family(name, **params)
    k = family.n_outputs(SUPPORT_SAMPLES[family.support](np.random.default_rng(0), 2))
    raw = np.array([data.draw(st.lists(st.floats(-20, 20), min_size=k, max_size=k))])
    if family.support == "real":
        a = data.draw(st.floats(-1e6, 1e6))
        b = a + data.draw(st.floats(1e-3, 1e6))
    elif family.support == "count":
        a = float(data.draw(st.integers(-1, 10**5)))
        b = a + float(data.draw(st.integers(1, 10**5)))
    elif family.support == "unit-interval":  # both ends far into either tail, in logit
        a = special.expit(data.draw(st.floats(-35, 35)))
        b = special.expit(special.logit(a) + data.draw(st.floats(1e-3, 30)))
        if not a < b:  # the two logits rounded to one float near 1
            a, b = a - 1e-12, a
    else:  # positive
        a = math.exp(data.draw(st.floats(-30, 14)))
        b = a * math.exp(data.draw(st.floats(1e-3, 30)))
    kind = data.draw(st.sampled_from(["right", "left", "interval"]))
    lower, upper = {"right": (a, np.inf), "left": (-np.inf, b), "interval": (a, b)}[kind]
    loss, grad = family.censored_loss_gradient(raw, [lower], [upper])
    assert np.isfinite(loss).all() and np.isfinite(grad).all(), (lower, upper, loss, grad)


def test_partial_fit_goes_on_with_interval_targets():
    X, lower, upper = _censored_normal_data(seed=5, n=200)
    y = np.column_stack([lower, upper])
    est = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    est.partial_fit(X, y)
    first = est.score_nll(X, y)
    for _ in range(20):
        est.partial_fit(X, y)
    assert est.n_iter_ == 21 and est.score_nll(X, y) < first


def test_the_loss_curve_of_a_censored_fit_is_the_nll_of_the_users_targets():
    """A standardised fit's curves are reported in y's units: the Jacobian log(scale)
    belongs to the exact rows' densities only, not to the censored rows' probabilities
    (it was added to every row). Oracle: score_nll of the training rows at the final
    weights of an L-BFGS fit (whose last curve value is the objective there)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    t = np.exp(1.0 + 0.5 * X[:, 0]) * rng.weibull(1.5, 600) * 50
    c = rng.exponential(200, 600)
    y = np.column_stack([np.minimum(t, c), np.where(t <= c, np.minimum(t, c), np.inf)])
    assert 0.2 < np.mean(t > c) < 0.8
    est = MLPRegressor(family="normal", hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20,
                       alpha=0.0, random_state=0).fit(X, y)
    assert est.target_scale_ > 10  # standardised: log(scale) is large
    assert_allclose(est.loss_curve_[-1], est.score_nll(X, y), rtol=1e-6)


# ------------------------------------ families whose shape has no closed-form derivative
@pytest.mark.parametrize("name, params", family_cases(intervals_only=True))
def test_gradient_matches_finite_differences_of_scipys_censored_nll(name, params):
    """The gradient against central differences of -log(F(u) - F(l)) written with scipy's
    logcdf / logsf (for gamma, beta and NB the shape's derivative is itself numerical)."""
    family = get_family(name, **params)
    rng = np.random.default_rng(6)
    lower, upper = interval_rows(family, rng, 12)
    cens = lower != upper
    lower, upper = lower[cens], upper[cens]
    raw = rng.normal(0, 1, (len(lower), family.n_outputs(SUPPORT_SAMPLES[family.support](rng, 2))))
    if _scipy_cdf_logs(name, params, raw, lower, upper) is None:
        pytest.skip(f"no scipy cdf written here for {name}")
    _, grad = family.censored_loss_gradient(raw, lower, upper)
    h = 1e-5
    fd = np.empty_like(raw)
    for j in range(raw.shape[1]):
        e = np.zeros_like(raw)
        e[:, j] = h
        f = lambda t: -_scipy_cdf_logs(name, params, raw + t * e, lower, upper)  # noqa: E731
        fd[:, j] = (8 * (f(1) - f(-1)) - (f(2) - f(-2))) / (12 * h)
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


def _mp_log(x):
    return float(__import__("mpmath").log(x))


@pytest.mark.parametrize("name, raw, lower, upper", [
    # gamma: mu = e^-3, k = softplus(2); far above the mean (scipy's sf is 0) and far below
    ("gamma", [-3.0, 2.0], 1e3, np.inf),
    ("gamma", [3.0, 2.0], -np.inf, 1e-150),
    ("gamma", [3.0, 9.0], 1e-120, 1e-100),
    # beta: m = sigmoid(1), phi = softplus(6); both ends far into the tails
    ("beta", [1.0, 6.0], -np.inf, 1e-120),
    ("beta", [-1.0, 60.0], 1 - 1e-12, np.inf),
    # NB: far above a small mean, far below a large one
    ("negative-binomial", [-2.0, 0.0], 400.0, np.inf),
    ("negative-binomial", [8.0, -7.0], -np.inf, 3.0),
])
def test_far_tails_of_gamma_beta_nb_match_mpmath(name, raw, lower, upper):
    """Where scipy's cdf rounds to 0, the log-probability against mpmath's regularised
    incomplete gamma / beta at 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    z1, z2 = (mpmath.mpf(v) for v in raw)
    sp = mpmath.log(1 + mpmath.exp(z2))
    if name == "gamma":
        k, mu = sp, mpmath.exp(z1)
        cdf = lambda y: mpmath.gammainc(k, 0, k * y / mu, regularized=True)  # noqa: E731
        sf = lambda y: mpmath.gammainc(k, k * y / mu, mpmath.inf, regularized=True)  # noqa: E731
    elif name == "beta":
        m = 1 / (1 + mpmath.exp(-z1))
        a, b = m * sp, (1 - m) * sp
        cdf = lambda y: mpmath.betainc(a, b, 0, y, regularized=True)  # noqa: E731
        sf = lambda y: mpmath.betainc(b, a, 0, 1 - mpmath.mpf(y), regularized=True)  # noqa: E731
    else:
        r, p = 1 / sp, 1 / (1 + sp * mpmath.exp(z1))
        cdf = lambda k: mpmath.betainc(r, k + 1, 0, p, regularized=True)  # noqa: E731
        sf = lambda k: mpmath.betainc(k + 1, r, 0, 1 - p, regularized=True)  # noqa: E731
    if upper == np.inf:
        expected = _mp_log(sf(mpmath.mpf(lower)))
    elif lower == -np.inf:
        expected = _mp_log(cdf(mpmath.mpf(upper)))
    else:
        expected = _mp_log(cdf(mpmath.mpf(upper)) - cdf(mpmath.mpf(lower)))
    assert expected < -700  # beyond float64's range as a probability
    loss, grad = get_family(name).censored_loss_gradient(np.array([raw]), [lower], [upper])
    assert np.isfinite(grad).all()
    assert_allclose(-loss[0], expected, rtol=1e-10)


def _gamma_law(t, X):
    mu, k = np.exp(t[0] + X @ t[1:3]), np.logaddexp(0, t[3] + X @ t[4:6])
    return stats.gamma(k, scale=mu / k)


def _nb_law(t, X):
    mu, alpha = np.exp(t[0] + X @ t[1:3]), np.logaddexp(0, t[3] + X @ t[4:6])
    return stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))


@pytest.mark.parametrize("name, law, cap, width", [
    ("gamma", _gamma_law, 3.0, 1.0), ("negative-binomial", _nb_law, 6.0, 2.0)])
def test_no_hidden_layer_censored_fit_is_the_direct_maximum_likelihood(name, law, cap, width):
    """A censored gamma / NB fit (right-censored at a cap, some rows interval-censored to
    bins) reaches the maximum of a direct scipy.optimize fit of the same likelihood, written
    with scipy.stats (mean exp(b + X w), shape / dispersion softplus(c + X v))."""
    rng = np.random.default_rng(7)
    n = 300
    X = rng.normal(size=(n, 2))
    y = law(np.array([0.7, 0.4, -0.3, 0.5, 0.3, 0.0]), X).rvs(random_state=rng).astype(float)
    lower, upper = y.copy(), y.copy()
    capped = y > cap
    lower[capped], upper[capped] = cap, np.inf
    binned = ~capped & (rng.random(n) < 0.3)
    lower[binned] = np.floor(y[binned] / width) * width - (1 if name != "gamma" else 0)
    upper[binned] = lower[binned] + width
    exact, right = lower == upper, np.isinf(upper)
    inter = ~exact & ~right
    assert capped.sum() > 20 and inter.sum() > 20
    log_density = "logpdf" if name == "gamma" else "logpmf"

    def nll(t):
        d = law(t, X)
        return -(getattr(d, log_density)(y)[exact].sum() + d.logsf(lower)[right].sum()
                 + np.log(d.cdf(upper) - d.cdf(lower))[inter].sum())  # fmt: skip

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        res = optimize.minimize(nll, np.array([0, 0, 0, 1.0, 0, 0]), method="BFGS",
                                options={"gtol": 1e-9})  # fmt: skip
        res = optimize.minimize(nll, res.x, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-13, "maxfev": 20000})
    est = MLPRegressor(family=name, hidden_layer_sizes=(), solver="lbfgs", dtype="float64",
                       max_iter=5000, tol=1e-14, random_state=0, standardize_target=False)
    est.fit(X, np.column_stack([lower, upper]))
    assert_allclose(est.score_nll(X, np.column_stack([lower, upper])), res.fun / n, rtol=1e-8)
    assert_allclose(est.predict(X), np.exp(res.x[0] + X @ res.x[1:3]), rtol=1e-3)
    shape = np.logaddexp(0, res.x[3] + X @ res.x[4:6])
    found = est.predict_dist(X)
    # the shape is the weakly determined parameter (the likelihoods agree to 1e-8, where
    # the NB's dispersion is known to about 1e-3)
    assert_allclose(found.concentration if name == "gamma" else found.dispersion, shape,
                    rtol=3e-3)  # fmt: skip
