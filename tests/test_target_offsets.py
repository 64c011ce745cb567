"""Targets far from zero: predictions in y's units are exact in float64 (issue 20, section 1).

The oracle is the change of variables ``Y = offset + scale * U`` worked in float64 from the
standardised law; and, end to end, the noise the data were drawn with.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from probnn.estimators import MLPRegressor
from probnn.families import FAMILIES, get_family
from probnn.families._affine import AffineTarget
from probnn.metrics import interval_coverage

LOCATION_SCALE = sorted(name for name, cls in FAMILIES.items()
                        if not cls.is_classifier and cls.location_scale)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    family=st.sampled_from(LOCATION_SCALE),
    offset=st.floats(-1e12, 1e12),
    log_scale=st.floats(-6, 6),
    seed=st.integers(0, 2**16),
)
def test_the_change_of_variables_is_exact_in_float64(family, offset, log_scale, seed):
    # a float32 network (raw outputs float32) seen through y = offset + scale * u: the mean,
    # the quantiles and the density in y's units are the standardised ones mapped in float64
    scale = 10.0**log_scale
    assume(abs(offset) * 1e-8 <= scale)  # float64 itself holds the spread at that offset
    base = get_family(family)
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((20, base.n_outputs(np.zeros(3)))).astype(np.float32)
    u_dist = base.distribution(raw.astype(np.float64))  # the standardised law, in float64
    mapped = AffineTarget(base, offset, scale)
    dist = mapped.distribution(raw)
    # oracle: Y = offset + scale * U, to the rounding of offset (and of the bisection of a
    # mixture's quantile)
    atol = 8 * np.spacing(abs(offset)) + 1e-7 * scale
    np.testing.assert_allclose(mapped.mean(raw), offset + scale * u_dist.mean, rtol=0, atol=atol)
    for q in (0.05, 0.5, 0.95):
        np.testing.assert_allclose(dist.icdf(q), offset + scale * u_dist.icdf(q),
                                   rtol=0, atol=atol)  # fmt: skip
    lo, hi = dist.icdf(0.05), dist.icdf(0.95)
    np.testing.assert_allclose(hi - lo, scale * (u_dist.icdf(0.95) - u_dist.icdf(0.05)),
                               rtol=1e-6, atol=atol)  # fmt: skip
    u = np.asarray(u_dist.icdf(0.3), dtype=np.float64)
    y = offset + scale * u
    expected = -np.asarray(u_dist.log_prob((y - offset) / scale)) + np.log(scale)
    np.testing.assert_allclose(mapped.nll(raw, y), expected, rtol=1e-6, atol=1e-6)


def test_a_target_near_1e9_is_predicted_to_its_noise():
    # the case: y = 1e9 + 10 x + N(0, 1); every prediction used to be exactly 1e9
    rng = np.random.default_rng(1)
    x = rng.standard_normal(600)
    y = 1e9 + 10.0 * x + rng.standard_normal(600)
    est = MLPRegressor((16,), random_state=0).fit(x[:, None], y)
    pred = est.predict(x[:, None])
    # oracle: the noise's standard deviation is 1
    assert np.sqrt(np.mean((pred - (1e9 + 10.0 * x)) ** 2)) < 0.5
    lo, hi = est.predict_interval(x[:, None])
    assert np.median(hi - lo) == pytest.approx(2 * 1.6449, rel=0.25)
    assert 0.8 <= interval_coverage(lo, hi, y) <= 0.97


@pytest.mark.parametrize(
    "family, target, settings_",
    [
        ("gamma", lambda x, e: 1e9 + 10 * x + e, {}),
        ("log-normal", lambda x, e: 1e9 + 10 * x + e, {}),
        ("poisson", lambda x, e: np.round(1e12 + 1e6 * e), {}),
        ("normal", lambda x, e: 1e9 + 10 * x + e, {"standardize_target": False}),
        # the target varies by 5e11 with x, but a Poisson's own noise at 1e12 is 1e6
        ("poisson", lambda x, e: np.random.default_rng(0).poisson(1e12 * np.exp(0.5 * x)) * 1.0,
         {}),
    ],
)
def test_float32_fits_that_cannot_resolve_the_target_are_refused(family, target, settings_):
    rng = np.random.default_rng(2)
    x, e = rng.standard_normal(300), rng.standard_normal(300)
    est = MLPRegressor((4,), family=family, random_state=0, **settings_)
    with pytest.raises(ValueError, match="below what float32 training can resolve") as info:
        est.fit(x[:, None], target(x, e))
    assert "dtype='float64'" in str(info.value)
    assert not hasattr(est, "coefs_")  # refused before training


def test_counts_float32_can_resolve_are_fitted():
    # Poisson counts around 1e6: one float32 step of the log rate moves the mean by about 1,
    # far below its noise of 1,000
    rng = np.random.default_rng(3)
    x = rng.standard_normal(300)
    y = rng.poisson(1e6 * np.exp(0.1 * x)).astype(np.float64)
    est = MLPRegressor((4,), family="poisson", max_iter=20, random_state=0).fit(x[:, None], y)
    assert est.coefs_[0].dtype == np.float32
