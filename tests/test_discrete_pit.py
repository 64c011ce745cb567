"""The PIT of every discrete law is randomised, read from its declared support (issue 20, section 1).

Oracle: the randomised PIT ``F(y - 1) + v (F(y) - F(y - 1))`` computed here from scipy.stats'
cdfs with the same uniforms ``v`` (``pit_values`` draws them from ``default_rng(0)``), and
``scipy.stats.kstest`` of it against Uniform(0, 1).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from probnn.distributions import DISCRETE_SUPPORTS, NegativeBinomial
from probnn.distributions.base import Distribution, as_param, param_dtype
from probnn.families import FAMILIES, get_family, register_family
from probnn.families.base import Family, as_1d_target, as_vector, reject, weighted_mean
from probnn.metrics import pit_values, regression_metrics


def _randomised_pit(cdf, y):
    v = np.random.default_rng(0).uniform(size=y.shape)
    below = np.where(y >= 1, cdf(y - 1), 0.0)
    return below + v * (cdf(y) - below)


def test_a_well_specified_negative_binomial_gives_a_uniform_pit():
    rng = np.random.default_rng(3)
    mu = np.exp(rng.uniform(-1, 3, size=4000))
    alpha = 0.7
    n, p = 1 / alpha, 1 / (1 + alpha * mu)
    y = stats.nbinom.rvs(n, p, random_state=rng).astype(np.float64)
    pit = pit_values(NegativeBinomial(mu, alpha), y)
    expected = _randomised_pit(lambda k: stats.nbinom.cdf(k, n, p), y)
    np.testing.assert_allclose(pit, expected, rtol=1e-10, atol=1e-12)
    # the unrandomised PIT of these counts is far from uniform (KS 0.27 in the issue)
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    assert stats.kstest(pit, "uniform").statistic < 0.03


# -- a discrete family defined only here: its distribution declares support = "count"
NAME = "test-geometric"


class Geometric(Distribution):
    """Failures before the first success: ``P(Y = k) = (1 - p)^k p``, mean ``m = (1 - p) / p``."""

    support = "count"

    def __init__(self, mean):
        self.dtype = param_dtype(mean)
        self._m = as_param(mean, "mean", "Geometric")
        self.batch_shape = tuple(self._m.shape)

    def _log_prob(self, y):
        ok = (y >= 0) & (y == np.floor(y))
        ys = np.where(ok, y, 0.0)
        return np.where(ok, ys * np.log(self._m / (1 + self._m)) - np.log1p(self._m), -np.inf)

    def _cdf(self, y):
        k = np.floor(y)
        log_r = np.log(self._m / (1 + self._m))
        return np.where(k < 0, 0.0, -np.expm1((np.maximum(k, 0) + 1) * log_r))

    def _icdf(self, q):  # smallest k with 1 - r^(k + 1) >= q, r = m / (1 + m)
        with np.errstate(divide="ignore"):
            k = np.ceil(np.log1p(-q) / np.log(self._m / (1 + self._m)) - 1)
        return np.maximum(k, 0.0)

    def _mean(self):
        return self._m.copy()

    def _variance(self):
        return self._m * (1 + self._m)


class GeometricFamily(Family):
    """Geometric counts with mean ``exp(z)``: ``nll = (y + 1) softplus(z) - y z``."""

    name = NAME
    loss_name = "geometric NLL"
    link = "mean = exp(z)"
    out_activation = "exp"
    support = "count"
    target_kinds = ("count",)
    param_names = ("mean",)

    def check_target(self, y):
        y = as_1d_target(y, "Geometric", "non-negative integer counts")
        reject(~(y >= 0) | (y != np.floor(y)), y, "Geometric targets must be counts")
        return y

    def _n_outputs_for(self, y):
        return 1

    def _loss_gradient(self, raw, y, need_gradient):
        z = raw[:, 0]
        sp = np.logaddexp(0, z)
        loss = (y + 1) * sp - y * z
        return loss, ((y + 1) / (1 + np.exp(-z)) - y)[:, None] if need_gradient else None

    def distribution(self, raw):
        return Geometric(np.exp(as_vector(raw)))

    def mean(self, raw):
        return np.exp(as_vector(raw))

    def constant_raw(self, y, sample_weight=None):
        return np.atleast_1d(np.log(weighted_mean(self.check_target(y), sample_weight)))

    def derivation(self, latex=False):
        return "Geometric: P(y) = (1 - p)^y p, mean exp(z); L = (y + 1) softplus(z) - y z"


@pytest.fixture
def geometric_family():
    register_family(GeometricFamily)
    try:
        yield GeometricFamily
    finally:
        FAMILIES.pop(NAME, None)


def test_a_registered_discrete_family_gets_the_randomised_pit_untouched(geometric_family):
    from probnn.estimators import MLPRegressor

    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, size=3000)
    mean = np.exp(1.0 + 0.8 * x)
    y = stats.geom.rvs(1 / (1 + mean), loc=-1, random_state=rng).astype(np.float64)
    # the true law: its PIT from scipy's cdf is uniform, and probnn's agrees with it
    truth = Geometric(mean)
    expected = _randomised_pit(lambda k: stats.geom.cdf(k, 1 / (1 + mean), loc=-1), y)
    np.testing.assert_allclose(pit_values(truth, y), expected, rtol=1e-10, atol=1e-12)
    assert stats.kstest(expected, "uniform").statistic < 0.03
    # fitted through the estimator, the held-in PIT is near uniform too
    est = MLPRegressor((8,), family=NAME, max_iter=60, learning_rate_init=0.01, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(x[:, None], y)
    assert est.predict_dist(x[:, None]).is_discrete
    assert regression_metrics(y, est.predict_dist(x[:, None]))["pit_ks"] < 0.05


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_s_distribution_declares_the_family_s_support(name):
    family = get_family(name)
    y = {"binary": [0.0, 1.0, 1.0], "classes": [0, 1, 2], "ordered-classes": [0, 1, 2],
         "count": [0.0, 3.0, 5.0], "positive": [0.5, 1.0, 2.0],
         "unit-interval": [0.2, 0.5, 0.7], "real": [-1.0, 0.0, 2.0]}[family.support]  # fmt: skip
    y = np.asarray(y)
    raw = np.zeros((3, family.n_outputs(y)))
    dist = family.distribution(raw)
    assert dist.support == family.support
    assert dist.is_discrete == (family.support in DISCRETE_SUPPORTS)
