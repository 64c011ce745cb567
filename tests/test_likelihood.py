"""Likelihood tools against scipy.stats sums, finite differences and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.distributions import Bernoulli, Categorical, Laplace, Normal, Poisson, StudentT
from probnn.likelihood import (fit_numerical, log_likelihood_grid, observed_information,
                               standard_errors)


def _hessian(f, x, h=1e-4):
    """Central finite-difference Hessian of a scalar function of a vector."""
    x = np.asarray(x, dtype=np.float64)
    k = x.size
    H = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            H[i, j] = (f(x + ei + ej) - f(x + ei - ej)
                       - f(x - ei + ej) + f(x - ei - ej)) / (4 * h * h)
    return H


def test_grid_against_scipy():
    y = np.array([-1.0, 0.0, 1.0, 2.5])
    mus, sigmas = np.linspace(-2, 2, 5), np.array([0.5, 1.0, 3.0])
    grid = log_likelihood_grid(Normal, y, loc=mus, scale=sigmas)
    assert grid.shape == (5, 3)
    expected = np.array([[stats.norm.logpdf(y, m, s).sum() for s in sigmas] for m in mus])
    np.testing.assert_allclose(grid, expected, rtol=1e-12)

    thetas = np.linspace(0.0, 1.0, 11)
    data = [0, 0, 0, 1, 0]
    grid = log_likelihood_grid(Bernoulli, data, probs=thetas)
    assert grid.shape == (11,)
    with np.errstate(divide="ignore"):
        expected = np.array([stats.bernoulli.logpmf(data, t).sum() for t in thetas])
    np.testing.assert_allclose(grid, expected, rtol=1e-12)
    # The maximum over the grid is at theta = 0.2 (the MLE lies on the grid).
    assert thetas[np.argmax(grid)] == pytest.approx(0.2)

    # A fixed scalar parameter does not add an axis.
    grid = log_likelihood_grid(StudentT, y, df=4.0, loc=mus, scale=sigmas)
    expected = np.array([[stats.t.logpdf(y, 4.0, m, s).sum() for s in sigmas] for m in mus])
    np.testing.assert_allclose(grid, expected, rtol=1e-12)


def test_bernoulli_worked_case():
    y = np.array([0, 0, 0, 1, 0])
    fitted = Bernoulli.fit(y)
    assert fitted.probs == pytest.approx(0.2, rel=1e-15)
    se = standard_errors(fitted, y)
    assert se["probs"] == pytest.approx(np.sqrt(0.2 * 0.8 / 5), rel=1e-12)
    # The second derivative of the log-likelihood at p-hat, by finite differences of scipy's pmf.
    loglik = lambda p: stats.bernoulli.logpmf(y, p[0]).sum()
    d2 = _hessian(loglik, [0.2])[0, 0]
    assert d2 < 0
    np.testing.assert_allclose(observed_information(fitted, y), [[-d2]], rtol=1e-5)
    np.testing.assert_allclose(observed_information(fitted, y), [[5 / (0.2 * 0.8)]], rtol=1e-12)


def test_normal_worked_case():
    y = np.array([-1.0, 0.0, 1.0])
    for fitted in (Normal.fit(y), fit_numerical(Normal, y)):
        assert fitted.loc == pytest.approx(0.0, abs=1e-8)
        assert fitted.scale == pytest.approx(np.sqrt(2 / 3), rel=1e-8)
    fitted = Normal.fit(y)
    se = standard_errors(fitted, y)
    # Hand-worked at the MLE: SE(loc) = s / sqrt(n), SE(scale) = s / sqrt(2 n).
    s = np.sqrt(2 / 3)
    assert se["loc"] == pytest.approx(s / np.sqrt(3), rel=1e-12)
    assert se["scale"] == pytest.approx(s / np.sqrt(6), rel=1e-12)


@pytest.mark.parametrize("cls,params,names,scipy_logpdf", [
    (Normal, (0.3, 1.7), ("loc", "scale"), lambda y, t: stats.norm.logpdf(y, t[0], t[1])),
    (Poisson, (2.4,), ("rate",), lambda y, t: stats.poisson.logpmf(y, t[0])),
    (Bernoulli, (0.35,), ("probs",), lambda y, t: stats.bernoulli.logpmf(y, t[0])),
])
def test_observed_information_against_finite_differences(cls, params, names, scipy_logpdf):
    rng = np.random.default_rng(0)
    dist = cls(**dict(zip(names, params)))
    y = dist.sample((40,), random_state=rng)
    # Away from the MLE, so the cross terms are not zero.
    info = observed_information(dist, y)
    expected = -_hessian(lambda t: scipy_logpdf(y, t).sum(), params)
    np.testing.assert_allclose(info, expected, rtol=1e-5, atol=1e-6)


def test_laplace_information():
    y = np.array([-2.0, 0.1, 0.5, 3.0, 4.0])
    dist = Laplace(0.3, 1.5)
    info = observed_information(dist, y)
    loglik = lambda t: stats.laplace.logpdf(y, t[0], t[1]).sum()
    H = _hessian(loglik, [0.3, 1.5], h=1e-3)
    # Scale entries by finite differences (loc = 0.3 is away from the data's kinks).
    np.testing.assert_allclose(info[1, 1], -H[1, 1], rtol=1e-5)
    np.testing.assert_allclose([info[0, 1], info[1, 0]], [-H[0, 1], -H[1, 0]], rtol=1e-5)
    # The loc entry is the expected (Fisher) information n / b^2.
    assert info[0, 0] == pytest.approx(5 / 1.5**2, rel=1e-12)


def test_poisson_standard_error():
    y = np.array([1.0, 4.0, 2.0, 0.0, 3.0])
    fitted = Poisson.fit(y)
    assert standard_errors(fitted, y)["rate"] == pytest.approx(np.sqrt(2.0 / 5), rel=1e-12)


@pytest.mark.parametrize("cls,draw", [
    (Bernoulli, lambda r, n: (r.random(n) < 0.3).astype(float)),
    (Poisson, lambda r, n: r.poisson(4.0, n).astype(float)),
    (Normal, lambda r, n: r.normal(2.0, 3.0, n)),
    (Laplace, lambda r, n: r.laplace(-1.0, 0.5, n)),
])
@pytest.mark.parametrize("weighted", [False, True])
def test_numerical_fit_agrees_with_closed_form(cls, draw, weighted):
    rng = np.random.default_rng(7)
    y = draw(rng, 41)
    w = rng.uniform(0.1, 3.0, 41) if weighted else None
    closed, numeric = cls.fit(y, sample_weight=w), fit_numerical(cls, y, sample_weight=w)
    np.testing.assert_allclose(numeric.mean, closed.mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(numeric.variance, closed.variance, rtol=1e-6)


def test_numerical_fit_studentt():
    y = stats.t(5.0, 0.5, 1.5).rvs(300, random_state=1)
    a, b = fit_numerical(StudentT, y), StudentT.fit(y)
    np.testing.assert_allclose([a.loc, a.scale, a.df], [b.loc, b.scale, b.df], rtol=1e-4)


def test_errors():
    with pytest.raises(ValueError, match=r"\{0, 1\}.*row \[1\]"):
        fit_numerical(Bernoulli, [0, 2, 1])
    with pytest.raises(NotImplementedError, match="Categorical"):
        fit_numerical(Categorical, [0, 1, 2])
    with pytest.raises(ValueError, match="batch_shape"):
        observed_information(Normal([0.0, 1.0], 1.0), [0.0, 1.0])
    with pytest.raises(NotImplementedError, match="StudentT"):
        observed_information(StudentT(3.0), [0.0, 1.0])
    with pytest.raises(ValueError, match="not finite"):
        standard_errors(Bernoulli.fit([0, 0, 0]), [0, 0, 0])
    with pytest.raises(ValueError, match="1-D"):
        log_likelihood_grid(Normal, [0.0], loc=np.zeros((2, 2)), scale=1.0)


@settings(max_examples=30, deadline=None)
@given(n_ones=st.integers(1, 19), n=st.integers(20, 60))
def test_bernoulli_standard_error_formula(n_ones, n):
    y = np.r_[np.ones(n_ones), np.zeros(n - n_ones)]
    p = n_ones / n
    assert standard_errors(Bernoulli.fit(y), y)["probs"] == pytest.approx(
        np.sqrt(p * (1 - p) / n), rel=1e-10)
