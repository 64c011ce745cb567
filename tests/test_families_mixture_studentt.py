"""The mixture-studentt family (K Student-t components, one fixed df) against oracles.

Oracles: scipy.stats (t log-density, cdf), the studentt family (K = 1), finite
differences, the sample moments of scipy draws, and the law that generated a synthetic
bimodal task with outliers. The registry-wide tests in test_families.py and
test_censored.py cover the rest (NLL vs scipy, finite differences, +-1e4, dtypes,
constant_raw as a local minimum, censored rows, derivation).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import special, stats

from probnn.distributions import Mixture, StudentT
from probnn.families import get_family


def softplus_oracle(z):
    return np.logaddexp(0.0, z)


def scipy_logpdf(raw, y, k, df, min_scale=0.0):
    log_w = special.log_softmax(raw[:, :k], axis=1)
    scale = min_scale + softplus_oracle(raw[:, 2 * k :])
    return special.logsumexp(log_w + stats.t.logpdf(y[:, None], df, raw[:, k : 2 * k], scale),
                             axis=1)


def test_parameters_round_trip_and_default_df_is_the_studentt_default():
    family = get_family("mixture-studentt", n_components=2, df=5.0)
    params = json.loads(json.dumps(family.get_params()))
    assert params == {"n_components": 2, "min_scale": 0.0, "df": 5.0}
    assert get_family("mixture-studentt", **params) == family
    assert get_family("mixture-studentt").df == get_family("studentt").df
    assert family.n_outputs([0.0, 1.0]) == 6
    # standardising the target divides the floor and keeps df
    floored = get_family("mixture-studentt", min_scale=0.5, df=2.0).standardised(2.0)
    assert (floored.min_scale, floored.df) == (0.25, 2.0)


@pytest.mark.parametrize("df", [0.0, -1.0, math.inf, math.nan, 1e308])
def test_df_outside_its_range_is_refused(df):
    with pytest.raises(ValueError, match="df"):
        get_family("mixture-studentt", df=df)


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5), st.floats(-4, 4), st.floats(-30, 30), st.floats(0.3, 50))
def test_one_component_is_the_studentt_family(mu, z, y, df):
    raw = np.array([[0.7, mu, z]])
    mixture = get_family("mixture-studentt", n_components=1, df=df)
    single = get_family("studentt", df=df)
    yy = np.array([y])
    assert_allclose(mixture.nll(raw, yy), single.nll(raw[:, 1:], yy), rtol=1e-10, atol=1e-12)
    grad = mixture.gradient(raw, yy)
    assert_allclose(grad[:, 0], 0.0, atol=1e-15)  # the one logit is inert
    assert_allclose(grad[:, 1:], single.gradient(raw[:, 1:], yy), rtol=1e-9, atol=1e-12)


def test_min_scale_nll_and_gradient_against_scipy_and_finite_differences():
    rng = np.random.default_rng(1)
    raw = rng.normal(0, 2, (20, 6))
    y = rng.normal(0, 3, 20)
    family = get_family("mixture-studentt", n_components=2, min_scale=0.4, df=2.5)
    assert_allclose(-family.nll(raw, y), scipy_logpdf(raw, y, 2, 2.5, 0.4), rtol=1e-12)
    h, fd = 1e-6, np.empty_like(raw)
    for j in range(6):
        e = np.zeros(6)
        e[j] = h
        fd[:, j] = (family.nll(raw + e, y) - family.nll(raw - e, y)) / (2 * h)
    assert_allclose(family.gradient(raw, y), fd, rtol=1e-6, atol=1e-8)


def test_a_target_far_from_every_mode_costs_log_not_square():
    # the point of the family: far off, the NLL grows like (df + 1) log|y| (scipy's t);
    # the mixture-normal's like y^2 / (2 sigma^2)
    raw = np.array([[0.0, 0.0, -5.0, 5.0, 0.5, 0.5]])
    t3 = get_family("mixture-studentt", n_components=2)
    normal = get_family("mixture-normal", n_components=2)
    far = np.array([1e3, 1e6])
    nll_t = t3.nll(np.repeat(raw, 2, axis=0), far)
    assert_allclose(nll_t, -scipy_logpdf(np.repeat(raw, 2, axis=0), far, 2, 3.0), rtol=1e-12)
    assert_allclose(nll_t[1] - nll_t[0], 4 * math.log(1e3), rtol=1e-3)
    assert normal.nll(raw, far[:1])[0] > 1e5 > 100 > nll_t[1]


def test_distribution_is_a_mixture_of_student_ts():
    rng = np.random.default_rng(3)
    raw = rng.normal(0, 2, (6, 6))
    family = get_family("mixture-studentt", n_components=2, df=4.0)
    dist = family.distribution(raw)
    assert isinstance(dist, Mixture) and all(isinstance(c, StudentT) for c in dist.components)
    columns = family.parameter_columns(dist)
    assert list(columns) == ["weight_1", "weight_2", "loc_1", "loc_2", "scale_1", "scale_2"]
    weights = special.softmax(raw[:, :2], axis=1)
    loc, scale = raw[:, 2:4], softplus_oracle(raw[:, 4:])
    assert_allclose(columns["scale_2"], scale[:, 1], rtol=1e-14)
    mean = np.sum(weights * loc, axis=1)
    assert_allclose(dist.mean, mean, rtol=1e-12)
    assert_allclose(family.mean(raw), mean, rtol=1e-12)
    # variance by total variance, each t's variance df / (df - 2) sigma^2 (scipy)
    second = np.sum(weights * (stats.t.var(4.0, scale=scale) + loc**2), axis=1)
    assert_allclose(dist.variance, second - mean**2, rtol=1e-10)
    y = rng.normal(0, 3, 6)
    cdf = np.sum(weights * stats.t.cdf(y[:, None], 4.0, loc, scale), axis=1)
    assert_allclose(dist.cdf(y), cdf, rtol=1e-12)
    assert_allclose(dist.cdf(dist.icdf(np.full(6, 0.9))), 0.9, rtol=1e-10)
    assert_allclose(-dist.log_prob(y), family.nll(raw, y), rtol=1e-12)
    draws = dist.sample(20000, random_state=0)
    assert draws.shape[-1] == 6
    # the sample median against the mixture's median (the t's mean converges slowly)
    assert_allclose(np.median(draws, axis=0), dist.icdf(np.full(6, 0.5)), atol=0.15)


def test_constant_fit_beats_the_mixture_normal_on_held_out_outliers():
    # the law: two modes, 2% of rows far off (uniform over +-60); the Student-t mixture
    # should lose little on the modes and gain on the outliers
    rng = np.random.default_rng(0)

    def draw(n):
        y = np.where(rng.random(n) < 0.5, rng.normal(-4, 1, n), rng.normal(4, 1, n))
        outlier = rng.random(n) < 0.02
        return np.where(outlier, rng.uniform(-60, 60, n), y)

    train, test = draw(400), draw(4000)
    scores = {}
    for name in ("mixture-normal", "mixture-studentt"):
        family = get_family(name, n_components=2)
        theta = family.constant_raw(train)
        scores[name] = family.nll(np.broadcast_to(theta, (len(test), 6)), test).mean()
    assert scores["mixture-studentt"] < scores["mixture-normal"] - 0.05, scores


@pytest.mark.parametrize("cv, tried", [(3, True), (None, False)])
def test_selection_tries_it_under_folds_and_not_on_one_split(cv, tried):
    # declared by the family (tried_on_one_split): no compiled kernel, so not on the large
    # tables' one split, where one network is fitted and the selection's time is capped
    import pandas as pd

    from probnn.selection import select_model

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=120)})
    y = pd.Series(np.where(rng.random(120) < 0.5, -3.0, 3.0) + rng.normal(0, 0.5, 120))
    sel = select_model(X, y, cv=cv, network_families=0, families=None)
    assert ("mixture-studentt" in set(sel.table["family"])) is tried
    assert "mixture-normal" in set(sel.table["family"])
