"""The new families trained end to end through probnn.network (MLP + Trainer).

Each family is fitted to data drawn from a known member of it whose parameters depend on x;
the oracle is the true model: its held-out NLL (scipy.stats) and the 90% coverage it implies.
(The estimators' end to end is the integrator's: MLPRegressor lists its families until issue 10
part 1 lands.)
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from probnn.families import get_family
from probnn.network import MLP
from probnn.network.training import Trainer


def _nb(x, rng):
    mu, alpha = np.exp(1.5 + x), 0.3 + 0.3 * (x + 1)
    ref = stats.nbinom(1 / alpha, 1 / (1 + alpha * mu))
    return ref.rvs(random_state=rng).astype(float), ref, ref.logpmf


def _gamma(x, rng):
    mu, k = np.exp(0.5 + x), 2.0 + 2 * (x + 1)
    ref = stats.gamma(k, scale=mu / k)
    return ref.rvs(random_state=rng), ref, ref.logpdf


def _lognormal(x, rng):
    loc, scale = 0.5 * x, 0.2 + 0.3 * (x + 1)
    ref = stats.lognorm(scale, scale=np.exp(loc))
    return ref.rvs(random_state=rng), ref, ref.logpdf


def _beta(x, rng):
    m, phi = special.expit(1.5 * x), 5.0 + 10 * (x + 1)
    ref = stats.beta(m * phi, (1 - m) * phi)
    return ref.rvs(random_state=rng), ref, ref.logpdf


TRUTHS = {"negative-binomial": _nb, "gamma": _gamma, "log-normal": _lognormal, "beta": _beta}


@pytest.mark.parametrize("name", list(TRUTHS))
def test_family_recovers_a_known_conditional_law(name):
    rng = np.random.default_rng(sorted(TRUTHS).index(name))
    x = rng.uniform(-1, 1, 6000)
    y, truth, true_logpdf = TRUTHS[name](x, rng)
    train, test = slice(0, 3000), slice(3000, None)
    family = get_family(name)
    net = MLP([1, 16, family.n_outputs(y)], "tanh", dtype=np.float64, random_state=0)
    net.intercepts[-1][...] = family.constant_raw(y[train])
    Trainer(net, family, solver="lbfgs", max_iter=300, prior=None, random_state=0).fit(
        x[train, None], y[train])
    raw = net.forward(x[test, None])
    excess = family.nll(raw, y[test]).mean() + true_logpdf(y)[test].mean()
    # a smooth 2-parameter truth: the fitted model is within 0.03 nats of it held out
    assert abs(excess) < 0.03
    dist = family.distribution(raw)
    inside = (y[test] >= dist.icdf(0.05)) & (y[test] <= dist.icdf(0.95))
    # the same rows in the true law's 90% interval (discrete laws: a share of at least 90%)
    true_inside = ((y >= truth.ppf(0.05)) & (y <= truth.ppf(0.95)))[test]
    assert abs(inside.mean() - true_inside.mean()) < 0.02
