"""Rows of tiny sample weight beside one of weight 1 (1e-300 on 99 rows): the target's
weighted standard deviation is ~1e-150, so the standardised target reaches ~1e150, beyond
float32's range. The float32 check cast it to float32 (inf: a bare numpy "overflow
encountered in cast"), read the NaN spacing as no limit and trained float32 on infinite
targets; it is now a PrecisionError in one line (float64 then fits, as at 1e-20, where the
spread was already too small for float32).

Oracles: ``np.finfo(np.float32).max``; numpy's weighted moments; and the law of the fit on
one heavy row among ``99`` light ones: the fitted scale is the weighted residual spread,
``sqrt(eps S / (1 + 99 eps))``, so two ``eps`` give scales in the ratio ``sqrt(eps1/eps2)``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.estimators import MLPRegressor
from probnn.exceptions import PrecisionError

N = 100


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, 2))
    return X, X[:, 0] + 0.3 * rng.normal(size=N)


def _fit(eps: float, dtype: str):
    X, y = _data()
    w = np.r_[np.full(N - 1, eps), 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # (no bare numpy warning)
        return MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", random_state=0,
                            dtype=dtype).fit(X, y, sample_weight=w)  # fmt: skip


@settings(max_examples=8, deadline=None)
@given(st.integers(-300, -90))
def test_float32_refuses_standardised_targets_beyond_its_range(exponent):
    eps = 10.0**exponent
    X, y = _data()
    w = np.r_[np.full(N - 1, eps), 1.0]
    mean = np.average(y, weights=w)
    sd = math.sqrt(np.average((y - mean) ** 2, weights=w))
    assert np.max(np.abs(y - mean)) / sd > np.finfo(np.float32).max  # (the case under test)
    with pytest.raises(PrecisionError) as caught:
        _fit(eps, "float32")
    text = str(caught.value)
    assert "\n" not in text and "beyond float32's range" in text and "float64" in text


def test_float64_fits_them_on_the_law_of_one_heavy_row():
    scales = {eps: float(_fit(eps, "float64").predict_dist(_data()[0][:1]).scale[0])
              for eps in (1e-300, 1e-200, 1e-100)}  # fmt: skip
    np.testing.assert_allclose(scales[1e-300] / scales[1e-200], 1e-50, rtol=1e-6)
    np.testing.assert_allclose(scales[1e-200] / scales[1e-100], 1e-50, rtol=1e-6)
