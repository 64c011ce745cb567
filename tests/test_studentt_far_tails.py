"""Student's t beyond |t| ~ 1e154 (hostile trials): scipy's stdtr squares t, so the cdf was 0
(or exactly 1) there for every df, though at df = 0.1 it is 1e-16 at t = -1e155 and 3e-172 at
df = 1.1, t = -3.5e155; the density's ``log1p(t^2 / df)`` overflowed to ``-inf`` the same way,
and a t-mixture's quantile there was only bracketed (its cdf was flat at 0).

Oracle: mpmath at 40 digits (its regularised incomplete beta; the same value at 60 digits).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.distributions import Mixture, StudentT

mp = pytest.importorskip("mpmath")

LOG10_DF = st.floats(-1.0, 6.0)  # df = 10^u, 0.1 to 1e6
LOG10_T = st.floats(-3.0, 308.0)  # |t| = 10^v, 1e-3 to 1e308
REL = 1e-12


def _mp_lower(df: float, r: float, series: bool = True):
    """``P(T <= -r) = I_x(df/2, 1/2) / 2``, ``x = df / (df + r^2)``, r >= 0, as an mpf: by
    mpmath's incomplete beta, or (where its series does not converge, or not ``series``)
    as ``x^a / (2 B(a, 1/2)) int_0^inf e^(-a s) (1 - x e^-s)^(-1/2) ds`` (u = x e^-s)."""
    m, r = mp.mpf(df), mp.mpf(r)
    a, half = m / 2, mp.mpf(1) / 2
    x, x1 = m / (m + r * r), r * r / (m + r * r)
    if series:
        try:
            return mp.betainc(a, half, 0, x, regularized=True) / 2
        except (ValueError, mp.libmp.NoConvergence):
            pass
    # 1 - x e^-s = x1 + x (1 - e^-s): no cancellation near s = 0
    kernel = lambda s: mp.exp(-a * s) / mp.sqrt(x1 + x * -mp.expm1(-s))  # noqa: E731
    points = sorted({mp.mpf(0), x1, 1 / a, 10 / a, 100 / a}) + [mp.inf]
    log_front = a * mp.log(x) - mp.log(2) - mp.log(mp.beta(a, half))
    return mp.exp(log_front) * mp.quad(kernel, points)


def _mp_log_cdf_sf(df: float, t: float) -> tuple[float, float]:
    with mp.workdps(40):
        small = _mp_lower(df, abs(t))
        pair = (mp.log(small), mp.log1p(-small))
        return (float(pair[0]), float(pair[1])) if t < 0 else (float(pair[1]), float(pair[0]))


def _close_log(got: float, want: float) -> bool:
    # a relative error of REL in the probability is an absolute one of REL in its log
    return abs(got - want) <= REL * max(1.0, abs(want))


@settings(max_examples=150, deadline=None)
@given(LOG10_DF, LOG10_T, st.booleans())
def test_log_cdf_and_survival_match_mpmath_for_any_finite_t(u, v, negative):
    from probnn.distributions.studentt import standard_log_cdf_sf

    df, t = 10.0**u, (-1.0 if negative else 1.0) * 10.0**v
    log_cdf, log_sf = standard_log_cdf_sf(df, t)
    want_cdf, want_sf = _mp_log_cdf_sf(df, t)
    assert _close_log(float(log_cdf), want_cdf), (df, t, float(log_cdf), want_cdf)
    assert _close_log(float(log_sf), want_sf), (df, t, float(log_sf), want_sf)


@settings(max_examples=80, deadline=None)
@given(LOG10_DF, st.floats(150.0, 308.0), st.booleans())
def test_cdf_is_the_tail_not_zero_beyond_t_squared_overflow(u, v, negative):
    df, t = 10.0**u, (-1.0 if negative else 1.0) * 10.0**v
    want_lower = math.exp(_mp_log_cdf_sf(df, -abs(t))[0])  # the smaller tail
    got = float(StudentT(df).cdf(t))
    if negative:
        assert abs(got - want_lower) <= REL * want_lower, (df, t, got, want_lower)
    else:
        assert abs(got - (1.0 - want_lower)) <= 1.2e-16, (df, t, got)  # (one ulp below 1)


@pytest.mark.parametrize("df, t", [(0.1, -1e155), (1.0998870421640579, -3.4553866669938363e155),
                                   (0.1, -1e300), (2.0, 1e200), (0.5, -1.7e308)])
def test_spot_values_where_stdtr_gave_zero(df, t):
    want = math.exp(_mp_log_cdf_sf(df, t)[0])
    got = float(StudentT(df, loc=0.0, scale=1.0).cdf(t))
    assert want > 0
    assert abs(got - want) <= REL * want


@settings(max_examples=60, deadline=None)
@given(LOG10_DF, st.floats(100.0, 308.0))
def test_log_prob_is_finite_and_exact_far_out(u, v):
    df, y = 10.0**u, -(10.0**v)
    with mp.workdps(40):
        m = mp.mpf(df)
        want = float(mp.loggamma((m + 1) / 2) - mp.loggamma(m / 2) - mp.log(m * mp.pi) / 2
                     - (m + 1) / 2 * mp.log1p(mp.mpf(y) ** 2 / m))
    got = float(StudentT(df).log_prob(y))
    assert abs(got - want) <= REL * abs(want), (df, y, got, want)


def test_mixture_quantile_beyond_1e154_is_exact():
    # two heavy components: the 1e-80 quantile lies near -1e160, where the mixture's cdf was
    # flat at 0 and bisection returned the lower end of its bracket
    mix = Mixture([StudentT(0.5, loc=0.0, scale=1.0), StudentT(0.7, loc=3.0, scale=2.0)],
                  weights=[0.3, 0.7])
    for q in (1e-80, 1e-40, 1e-20):
        y = float(mix.icdf(q))
        assert y < -1e20
        with mp.workdps(40):
            f = (mp.mpf(0.3) * _mp_lower(0.5, -y)
                 + mp.mpf(0.7) * _mp_lower(0.7, -(mp.mpf(y) - 3) / 2))
        assert abs(float(f) - q) <= 1e-10 * q, (q, y, float(f))


@pytest.mark.parametrize("df, r", [(1.5, -1e200), (0.3, -1e300), (4.0, -1e120), (1.5, -3.0)])
def test_censored_law_and_integer_scores_log_cdf_far_out(df, r):
    # the censored loss's law squared r (log F = -inf beyond 1e154); the integer scores took
    # log(stdtr) (-inf there, and digits lost where stdtr was subnormal)
    from probnn._discrete import _standard_log_cdf
    from probnn.families._censored import StudentTLaw

    want = _mp_log_cdf_sf(df, r)[0]
    law = StudentTLaw(df)
    for got in (law.log_cdf(np.array([r]))[0], law.log_sf(np.array([-r]))[0],
                _standard_log_cdf(StudentT(np.array([df])), np.array([r]))[0]):
        assert _close_log(float(got), want), (df, r, float(got), want)
    with mp.workdps(40):
        m = mp.mpf(df)
        want_pdf = float(mp.loggamma((m + 1) / 2) - mp.loggamma(m / 2) - mp.log(m * mp.pi) / 2
                         - (m + 1) / 2 * mp.log1p(mp.mpf(r) ** 2 / m))
    assert _close_log(float(law.log_pdf(np.array([r]))[0]), want_pdf)


@pytest.mark.parametrize("df", [1.01, 1.5, 30.0, 1e6])
@pytest.mark.parametrize("z", [-1e300, -1e155, 1e10, 1e155, 1e300])
def test_crps_far_out_is_the_closed_form_at_40_digits(df, z):
    """The closed-form CRPS reads scipy's stdtr (which squares z): checked, not changed, for the
    hostile leftovers (|z| 1e10 to 1e300, df 1.01 to 1e6): there ``d (2 F(w) - 1)`` is ``|d|``
    to well below an ulp, so stdtr's 0 / 1 loses nothing. Oracle: Jordan, Krueger & Lerch's
    formula (appendix A) in mpmath, with the cdf from its incomplete beta."""
    from probnn.scoring_rules import crps

    with mp.workdps(40):
        nu, d = mp.mpf(df), mp.mpf(z)
        tail = mp.betainc(nu / 2, mp.mpf(1) / 2, 0, nu / (nu + d * d), regularized=True) / 2
        cdf = 1 - tail if d > 0 else tail
        density = mp.exp(mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)
                         - mp.log(mp.sqrt(nu * mp.pi)) - (nu + 1) / 2 * mp.log1p(d * d / nu))
        half_gini = (2 * mp.sqrt(nu) * mp.beta(mp.mpf(1) / 2, nu - mp.mpf(1) / 2)
                     / ((nu - 1) * mp.beta(mp.mpf(1) / 2, nu / 2) ** 2))
        want = float(d * (2 * cdf - 1) + 2 * density * (nu + d * d) / (nu - 1) - half_gini)
    assert float(crps(StudentT(df), z)) == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("q, loc, scale", [(5e-324, 0.0, 1e-300), (5e-324, 2.0, 1e-300),
                                           (1e-310, -1.0, 1e-10)])
def test_quantile_beyond_the_floats_times_a_small_scale(q, loc, scale):
    # df = 1 (Cauchy): the standard quantile is tan(pi (q - 1/2)) = -cot(pi q) (mpmath),
    # -6.4e322 at q = 5e-324: beyond the floats, but times scale 1e-300 a float (was -inf)
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    expected = float(mpmath.mpf(loc) - mpmath.mpf(scale) * mpmath.cot(mpmath.pi * mpmath.mpf(q)))
    got = StudentT(1.0, loc, scale).icdf(q)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-12)
