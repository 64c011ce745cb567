"""The count GLMs at the edge of their parameter space (issue 22, hostile F4's leftovers).

* A zero-inflated Poisson GLM on counts with no zero at all: the likelihood of a positive
  count is ``(1 - pi) Poisson(y; lambda)``, largest at ``pi = 0`` whatever ``lambda`` (worked by
  hand), so the MLE is ``pi -> 0`` with ``lambda`` the plain Poisson GLM's: the model's zero
  probability is the Poisson's ``exp(-lambda)``, finite, with no warning.
* A negative-binomial GLM on Poisson counts (no overdispersion): ``alpha = softplus(z2)`` has
  no floor, so the fit goes to the Poisson limit (``alpha -> 0``) and scores within noise of
  the Poisson GLM on 1,000 held-out rows.

Oracles: the Poisson GLM's maximum-likelihood fit by scipy.optimize and its NLL by
scipy.stats.poisson, on the rows of the same split; the law that drew the counts.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn._math import softplus
from probnn.cli import split_rows
from probnn.tables.model import TabularModel


def _poisson_glm_oracle(X_train, y_train, X_test):
    """The Poisson GLM's MLE (log link, an intercept) by Newton's method on its concave
    log-likelihood (gradient ``D'(y - mu)``, Hessian ``-D' diag(mu) D``; scipy.stats scores
    it): the rates of ``X_test``."""
    design = np.column_stack([np.ones(len(X_train)), X_train])
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(y_train.mean())
    for _ in range(50):
        mu = np.exp(design @ beta)
        beta = beta + np.linalg.solve(design.T @ (design * mu[:, None]), design.T @ (y_train - mu))
    mu = np.exp(design @ beta)
    assert np.abs(design.T @ (y_train - mu)).max() < 1e-8 * len(y_train)  # converged
    return np.exp(np.column_stack([np.ones(len(X_test)), X_test]) @ beta)


def _glm(frame, family: str) -> TabularModel:
    return TabularModel.fit(frame, "y", family=family, hidden=(), solver="lbfgs", seed=0)


@pytest.mark.parametrize("prior", ["gaussian", None])
def test_a_zero_inflated_poisson_glm_on_counts_without_zeros_is_the_poisson_glm(prior):
    rng = np.random.default_rng(11)
    x = rng.normal(size=400)
    y = 1 + rng.poisson(np.exp(0.8 + 0.3 * x))  # no zero at all
    frame = pd.DataFrame({"x": x, "y": y})
    train, test = split_rows(len(frame), 0, 0.2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = TabularModel.fit(frame.iloc[train], "y", family="zero-inflated-poisson",
                                 hidden=(), solver="lbfgs", seed=0, prior=prior)  # fmt: skip
        dist = model.predict_dist(frame.iloc[test])
        p0 = np.exp(np.asarray(dist.log_prob(np.zeros(len(test))), dtype=np.float64))
        nll = model.nll_rows(frame.iloc[test])
    assert [str(w.message) for w in caught] == []
    rate = _poisson_glm_oracle(x[train], y[train], x[test])
    pi = np.asarray(dist.zero_probability, dtype=np.float64)
    # the MLE's 0, approached to the optimiser's tolerance (1e-13 with today's scipy L-BFGS,
    # about 1e-7 at the declared scipy floor, make test-min)
    assert np.all(np.isfinite(pi)) and np.all(pi < 1e-6)
    np.testing.assert_allclose(p0, stats.poisson.pmf(0, rate), rtol=2e-3)  # exp(-lambda)
    assert np.all(np.isfinite(nll))
    assert nll.mean() == pytest.approx(-stats.poisson.logpmf(y[test], rate).mean(), abs=1e-4)


def test_the_zero_inflated_constant_of_positive_counts_is_the_poisson_mean():
    from probnn._math import sigmoid
    from probnn.families import FAMILIES

    y = np.array([1.0, 2, 3, 1, 4, 2, 5, 3, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z1, z0 = FAMILIES["zero-inflated-poisson"]().constant_raw(y)
    assert np.exp(z1) == pytest.approx(y.mean(), rel=1e-6)  # by hand: lambda = the mean, 2.4
    assert np.isfinite(z0) and sigmoid(z0) < 1e-9


@pytest.mark.parametrize("seed, intercept", [(0, 1.0), (2, 1.0), (1, 3.0)])
def test_a_negative_binomial_glm_on_poisson_counts_scores_as_the_poisson_glm(seed, intercept):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(5000, 2))
    y = rng.poisson(np.exp(intercept + 0.4 * X[:, 0] - 0.3 * X[:, 1]))  # no overdispersion
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})
    train, test = split_rows(len(frame), 0, 0.2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = _glm(frame.iloc[train], "negative-binomial")
        nll = model.nll_rows(frame.iloc[test])
    assert [str(w.message) for w in caught] == []
    oracle = -stats.poisson.logpmf(y[test], _poisson_glm_oracle(X[train], y[train], X[test]))
    diff = nll - oracle
    se = diff.std(ddof=1) / np.sqrt(diff.size)
    # within noise of the Poisson GLM: no dispersion floor costs it a visible amount
    assert abs(diff.mean()) < 2 * se + 1e-5, (diff.mean(), se)
    # the NB nests the Poisson (alpha -> 0): its fit's training NLL is at most the Poisson
    # MLE's, as it would not be were alpha held off 0 (a floor) or its gradient lost there
    fitted = model.nll_rows(frame.iloc[train]).mean()
    poisson = -stats.poisson.logpmf(y[train], _poisson_glm_oracle(X[train], y[train],
                                                                  X[train])).mean()  # fmt: skip
    assert fitted < poisson + 1e-5, (fitted, poisson)


@pytest.mark.parametrize("z2", [-20.0, -40.0, -200.0])
def test_the_negative_binomial_loss_reaches_the_poisson_limit_without_a_floor(z2):
    from probnn.families import FAMILIES

    y = np.array([0.0, 1, 3, 7, 20, 150])
    z1 = np.log(np.array([0.5, 1.0, 2.5, 8.0, 18.0, 140.0]))
    raw = np.column_stack([z1, np.full(y.size, z2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = FAMILIES["negative-binomial"]()._loss_gradient(raw, y, True)
    # alpha = softplus(z2) ~ exp(z2): the NLL is the Poisson's to O(alpha mu^2)
    np.testing.assert_allclose(loss, -stats.poisson.logpmf(y, np.exp(z1)), rtol=1e-6)
    np.testing.assert_allclose(grad[:, 0], np.exp(z1) - y, rtol=1e-6, atol=1e-9)
    assert np.all(np.isfinite(grad)) and np.all(np.abs(grad[:, 1]) < 1e-3)
