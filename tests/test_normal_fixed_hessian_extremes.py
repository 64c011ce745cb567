"""normal-fixed's curvature at extreme scales (hostile trials): ``1.0 / scale**2`` in Python
floats raised ZeroDivisionError below scale ~1.5e-162 (scale**2 underflowed to 0) and
OverflowError above ~1.3e154 (scale**2 overflowed), though 1 / sigma^2 is a float there (0
where it underflows, +inf where it overflows, the finite value between).

Oracles: mpmath's exact ``1 / sigma^2`` rounded to float64, and the central difference of
the family's gradient (the generic ``Family._raw_hessian``).
"""

from __future__ import annotations

import numpy as np
import pytest

from probnn.families.base import Family
from probnn.families.normal import NormalFixedFamily

mp = pytest.importorskip("mpmath")

SCALES = [1e-200, 1e-162, 1e-154, 1e-150, 1e-3, 1.0, 7.5e4, 1e150, 1e154, 1e160, 1e200]


@pytest.mark.parametrize("scale", SCALES)
def test_raw_hessian_is_one_over_sigma_squared_at_any_scale(scale):
    family = NormalFixedFamily(scale=scale)
    raw = np.array([[0.5], [-2.0], [3.0]])
    y = np.array([0.0, 1.0, -1.0])
    hess = family.raw_hessian(raw, y)
    with mp.workdps(30):
        want = float(1 / mp.mpf(scale) ** 2)  # inf / 0.0 where the float range ends
    assert hess.shape == (3, 1, 1)
    assert hess.dtype == np.float64
    if want in (0.0, np.inf):
        assert np.all(hess == want)
    else:  # (a subnormal 1 / sigma^2, at sigma 1e160, is within one of its ulps, 5e-324)
        np.testing.assert_allclose(hess, want, rtol=1e-15, atol=1e-323)
    # the central difference of the analytic gradient agrees (exact for a quadratic) where
    # the gradient's own values are floats and the curvature a normal one
    with np.errstate(over="ignore", invalid="ignore"):
        numeric = Family._raw_hessian(family, raw, y)
    usable = np.isfinite(numeric) & (want >= np.finfo(np.float64).tiny)
    np.testing.assert_allclose(hess[usable], numeric[usable], rtol=1e-6)
    assert usable.any() == (1e-154 < scale < 1e154)

def test_raw_curvature_at_extreme_scales_does_not_raise():
    for scale in (1e-200, 1e200):
        curvature = NormalFixedFamily(scale=scale).raw_curvature(np.zeros((2, 1)), np.ones(2))
        assert curvature.shape == (2, 1, 1)
