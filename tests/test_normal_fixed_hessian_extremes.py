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


# ------------------------------------------------------------- the laws at such scales
@pytest.mark.parametrize("scale", [1e-200, 1e-160, 1.0, 1e160, 1e300])
def test_the_scale_laws_standard_deviation_is_their_scale_where_the_variance_leaves_float64(
        scale):  # fmt: skip
    """``stddev`` was ``sqrt(variance)``: +inf past ~1.3e154 (the variance overflows, with
    numpy's bare "overflow encountered in square": three of them on a fit of normal-fixed with
    scale=1e300) and 0 below ~1e-154 (it underflows). Oracles: the laws' standard deviations
    by hand, ``sigma``, ``sqrt(2) b``, ``s sqrt(df / (df - 2))``, and the variance by mpmath
    (inf where it passes float max)."""
    import warnings

    from probnn.distributions import Laplace, Normal, StudentT

    with mp.workdps(30):
        want_var = float(mp.mpf(scale) ** 2)  # inf / 0.0 where the float range ends
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        normal, laplace, student = Normal(0.0, scale), Laplace(0.0, scale), StudentT(5.0, 0.0, scale)
        assert float(normal.stddev) == scale
        assert float(laplace.stddev) == pytest.approx(np.sqrt(2.0) * scale, rel=1e-15)
        assert float(student.stddev) == pytest.approx(np.sqrt(5.0 / 3.0) * scale, rel=1e-15)
        variance = float(normal.variance)
    if want_var in (0.0, np.inf):
        assert variance == want_var
    else:  # (a subnormal one within its ulp, 5e-324)
        assert variance == pytest.approx(want_var, rel=1e-15, abs=1e-323)


def test_the_fitted_scale_of_residuals_past_1e154_is_their_rms():
    """``fit_fixed_params``'s ``sqrt(mean(r^2))`` overflowed (inf, after numpy's warning) for
    residuals whose squares pass float max; by hand: ``sqrt((1 + 4) / 2) 1e300``."""
    import warnings

    family = NormalFixedFamily()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = family.fit_fixed_params(np.zeros((2, 1)), np.array([1e300, -2e300]))["scale"]
    assert got == pytest.approx(np.sqrt(2.5) * 1e300, rel=1e-15)


@pytest.mark.parametrize("scale", [1e-300, 1e200])
def test_mlpregressor_refuses_a_given_scale_out_of_float64s_reach_as_the_cli_does(scale):
    """The CLI's --family-param refuses these (hostile5 F6); the estimator trained: 1e-300 ended
    in TrainingDivergedError ("try a smaller learning_rate_init"), 1e200 in a network whose
    gradients are 1e-400 = 0."""
    from probnn import MLPRegressor

    X = np.random.default_rng(0).normal(size=(30, 1))
    est = MLPRegressor(hidden_layer_sizes=(), family="normal-fixed", family_params={"scale": scale})
    with pytest.raises(ValueError, match="normal-fixed: scale must be in"):
        est.fit(X, X[:, 0])
