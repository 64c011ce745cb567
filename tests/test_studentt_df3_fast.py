"""Student-t components of a Laplace predictive (a mixture-studentt fit's 100 draws x K
components): the df = 3 cdf in closed form, Mixture's stacked Student-t law, and the CRPS
integrand's stacked t components (probnn._crps_mixture) give the same values as before.

Oracles, not the code under test: mpmath's regularised incomplete beta (40 digits) for
``F(t) = I_x(3/2, 1/2) / 2`` (x = 3 / (3 + t^2)) and its complement; scipy.stats.t.cdf; and
scipy quad of ``(F(x) - 1{x >= y})^2`` with F the weighted sum of scipy.stats.t cdfs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from probnn.distributions import Mixture, StudentT
from probnn.distributions.studentt import standard_cdf, standard_cdf_sf
from probnn.scoring_rules import crps

mpmath = pytest.importorskip("mpmath")


def _mp_cdf_sf(t: float) -> tuple[float, float]:
    """(F(t), 1 - F(t)) of the standard t with df = 3, each from its own tail (mpmath)."""
    with mpmath.workdps(40):
        tt = mpmath.mpf(t)
        tail = mpmath.betainc(1.5, 0.5, 0, 3 / (3 + tt * tt), regularized=True) / 2
        other = 1 - tail
        return (float(tail), float(other)) if t < 0 else (float(other), float(tail))


_POINTS = np.concatenate([-np.logspace(-6, 150, 157), [0.0], np.logspace(-6, 150, 157),
                          np.linspace(-4.0, 4.0, 81)])


def test_df3_cdf_matches_mpmath_in_both_tails():
    # |t| up to 1e150 (the lower tail ~1.1 |t|^-3 underflows past ~1e102: 0 there, as the
    # oracle rounds it); the larger side is 1 - the smaller (one rounding)
    want = np.array([_mp_cdf_sf(t) for t in _POINTS])
    f, s = standard_cdf_sf(3.0, _POINTS)
    for got, exact in ((standard_cdf(3.0, _POINTS), want[:, 0]), (f, want[:, 0]),
                       (s, want[:, 1]), (standard_cdf(3.0, -_POINTS), want[:, 1])):
        normal = exact > np.finfo(np.float64).tiny
        np.testing.assert_allclose(got[normal], exact[normal], rtol=2e-15, atol=0)
        # subnormal: within the grid's spacing of the oracle
        assert np.all(np.abs(got[~normal] - exact[~normal]) <= 2 * 5e-324)


def test_df3_cdf_matches_scipy_and_the_log_form():
    t = np.concatenate([-np.logspace(-3, 100, 60), np.logspace(-3, 100, 60)])
    got = standard_cdf(3.0, t)
    np.testing.assert_allclose(got, stats.t.cdf(t, 3.0), rtol=1e-14, atol=0)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(np.log(got[got > 1e-300]), stats.t.logcdf(t, 3.0)[got > 1e-300],
                                   rtol=1e-14, atol=1e-15)
    assert standard_cdf(3.0, -np.inf) == 0.0 and standard_cdf(3.0, np.inf) == 1.0
    assert standard_cdf(3.0, 0.0) == 0.5 and np.isnan(standard_cdf(3.0, np.nan))


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(0.01, 100.0), st.floats(-1e3, 1e3))
def test_df3_studentt_cdf_equals_scipy(y, scale, loc):
    # StudentT(3, loc, scale)._cdf, which the closed form now serves, against scipy
    got = float(StudentT(3.0, loc=loc, scale=scale)._cdf(np.float64(y)))
    want = stats.t.cdf(y, 3.0, loc=loc, scale=scale)
    assert got == pytest.approx(want, rel=1e-13, abs=1e-300)


def test_mixture_stacks_student_t_components_with_each_components_values():
    # fails before: Mixture stacked only NB / Poisson / Normal laws (a Laplace predictive of
    # 300 t components called each component's cdf at every bisection step)
    rng = np.random.default_rng(3)
    comps = [StudentT(df, loc=rng.normal(size=4), scale=rng.uniform(0.5, 2.0, 4))
             for df in (3.0, 3.0, 2.5, 7.0)]
    mix = Mixture(comps, weights=[0.1, 0.2, 0.3, 0.4])
    assert isinstance(mix._stacked(1), StudentT)
    y = np.linspace(-30.0, 30.0, 13)[:, None]
    each = np.stack([np.broadcast_to(c._cdf(y), (13, 4)) for c in comps])
    np.testing.assert_array_equal(mix._stack_at("_cdf", y), each)
    each = np.stack([np.broadcast_to(c._log_prob(y), (13, 4)) for c in comps])
    np.testing.assert_array_equal(mix._stack_at("_log_prob", y), each)
    # the mixture's cdf and quantiles against scipy's weighted sum
    w = np.array([0.1, 0.2, 0.3, 0.4])[:, None, None]
    want = np.sum(w * np.stack([stats.t.cdf(y, c.df, c.loc, c.scale) for c in comps]), axis=0)
    np.testing.assert_allclose(mix.cdf(y), want, rtol=1e-13)
    q = mix.icdf(np.full(4, 0.05))
    np.testing.assert_allclose(np.sum(w[:, 0] * np.stack(
        [stats.t.cdf(q, c.df, c.loc, c.scale) for c in comps]), axis=0), 0.05, rtol=1e-12)


@pytest.mark.parametrize("df", [3.0, 2.5])
def test_pooled_t_mixture_crps_matches_quadrature(df):
    # 24 components (above the pairwise formula's 8: the O(K) integral, stacked), rows with
    # different spreads; oracle: scipy quad of (F - 1{x >= y})^2, F from scipy's t cdfs
    rng = np.random.default_rng(11)
    k, n = 24, 3
    loc, scale = rng.normal(0.0, 1.0, (k, n)), rng.uniform(0.3, 2.0, (k, n))
    w = rng.dirichlet(np.ones(k))
    y = np.array([0.4, -2.5, 7.0])
    mix = Mixture([StudentT(df, loc=loc[i], scale=scale[i]) for i in range(k)], weights=w)
    got = crps(mix, y)
    for j in range(n):
        def cdf(x, j=j):
            return float(np.sum(w * stats.t.cdf(x, df, loc[:, j], scale[:, j])))
        below = integrate.quad(lambda x: cdf(x) ** 2, -np.inf, y[j], epsabs=0, epsrel=1e-13,
                               limit=400)[0]
        above = integrate.quad(lambda x: (1.0 - cdf(x)) ** 2, y[j], np.inf, epsabs=0,
                               epsrel=1e-13, limit=400)[0]
        assert got[j] == pytest.approx(below + above, rel=1e-9)


def test_a_df_array_partly_3_takes_stdtr_only_for_the_others(monkeypatch):
    """stdtr ran on every entry and the df = 3 ones were overwritten (a pure speedup: the
    values are scipy's stdtr for the others and the closed form for the 3s, as before)."""
    from probnn.distributions import studentt

    rng = np.random.default_rng(4)
    df = np.where(rng.random(400) < 0.5, 3.0, np.exp(rng.uniform(-2, 4, 400)))
    t = rng.standard_t(2.0, 400) * 10.0 ** rng.integers(-3, 4, 400)
    seen = []
    real_stdtr = studentt.special.stdtr

    class Spy:  # scipy.special as studentt sees it, with stdtr counting its entries
        def __getattr__(self, name):
            return getattr(studentt.special, name)

        @staticmethod
        def stdtr(d, x):
            seen.append(np.broadcast(d, x).size)
            return real_stdtr(d, x)

    monkeypatch.setattr(studentt, "special", Spy())
    got = standard_cdf(df, t)
    monkeypatch.undo()
    others = df != 3.0
    assert seen == [others.sum()]
    # (no point of this draw past stdtr's range, where the log form takes over): bit for bit
    np.testing.assert_array_equal(got[others], stats.t.cdf(t[others], df[others]))
    np.testing.assert_array_equal(got[~others], standard_cdf(3.0, t[~others]))
    np.testing.assert_allclose(got[~others], stats.t.cdf(t[~others], 3.0), rtol=1e-13)
