"""Quantiles (icdf) far in both tails (hostile trial 4): Laplace's lost its lower tail below
q = 1e-15 (-inf at 1e-17: it read q - 1/2), Student-t's took scipy's stdtrit, which gives +inf
(df = 3, q = 1e-250) or sticks near -5e153 where the true quantile is far beyond.

Oracles: scipy.stats' ppf where its formula keeps the tail (Laplace, Normal, LogNormal,
Weibull, Gamma, Beta), mpmath where it does not (Student-t: the root of the regularised
incomplete beta at 40 digits; the log-logistic near q = 1, where scipy's fisk.ppf reads 1/q -
1 and is 6e-5 off at q = 1 - 1e-12). An infinite quantile must be honest: the true one beyond
the largest float.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.distributions import (Beta, Gamma, Laplace, LogLogistic, LogNormal, Mixture, Normal,
                                  StudentT, Weibull)

# q = 10^-e over the whole float range, in the lower tail or (as 1 - q, exact in floats for
# q <= 1/2) in the upper one
TAIL_EXPONENT = st.floats(1.0, 300.0)
UPPER_EXPONENT = st.floats(1.0, 16.0)  # 1 - 10^-16 is the last float below 1 at that spacing
BIG = 1.7976931348623157e308


def _levels(exponent: float, upper: bool) -> float:
    q = 10.0 ** -exponent
    return 1.0 - q if upper else q


@settings(max_examples=60, deadline=None)
@given(loc=st.floats(-1e3, 1e3), log_scale=st.floats(-5, 5), exponent=TAIL_EXPONENT,
       upper=st.booleans())  # fmt: skip
def test_laplace_quantile_matches_scipy_in_both_tails(loc, log_scale, exponent, upper):
    if upper:
        exponent = min(exponent, 16.0)
    q = _levels(exponent, upper)
    scale = math.exp(log_scale)
    got = float(Laplace(loc, scale).icdf(q))
    np.testing.assert_allclose(got, stats.laplace.ppf(q, loc, scale), rtol=1e-13, atol=1e-13 * scale)


def test_laplace_quantiles_of_the_hostile_trial():
    q = np.array([1e-10, 1e-15, 1e-17, 1e-20, 1e-300])
    # loc + b log(2q), worked by hand: log(2e-20) = log 2 - 20 log 10
    expected = np.log(2.0) + np.log(q)
    np.testing.assert_allclose(Laplace(0.0, 1.0).icdf(q), expected, rtol=1e-14)


def test_a_mixture_of_laplaces_reaches_its_lower_tail():
    """Its quantile lies between the components' (a -inf from one made the answer -inf)."""
    mix = Mixture([Laplace(0.0, 1.0), Laplace(3.0, 2.0)], logits=np.array([0.0, 0.0]))
    q = np.array([1e-20, 1e-100, 1e-300])
    got = mix.icdf(q)
    assert np.all(np.isfinite(got))
    cdf = 0.5 * stats.laplace.cdf(got, 0.0, 1.0) + 0.5 * stats.laplace.cdf(got, 3.0, 2.0)
    np.testing.assert_allclose(cdf, q, rtol=1e-9)


def _mp_t_quantile(df: float, q: float, upper: bool):
    """The standard t's quantile at level q (1 - q where ``upper``: q is then the upper tail's
    probability), as an mpmath number: the root in u = log x of I_x(df/2, 1/2) = 2q, bracketed
    by log(2q) / a <= u <= min(0, log(2q a B(a, 1/2)) / a)."""
    mp = pytest.importorskip("mpmath")
    with mp.workdps(40):
        a, half = mp.mpf(df) / 2, mp.mpf(1) / 2
        target = mp.log(2 * mp.mpf(q))

        def gap(u):
            return mp.log(mp.betainc(a, half, 0, mp.exp(u), regularized=True)) - target

        hi = min(mp.mpf(0), (target + mp.log(a) + mp.log(mp.beta(a, half))) / a)
        u = mp.findroot(gap, (target / a, hi), solver="anderson", tol=mp.mpf(10) ** -32)
        t = mp.sqrt(mp.mpf(df) * -mp.expm1(u) / mp.exp(u))
        return t if upper else -t


def _check_t(df: float, q_tail: float, upper: bool, loc: float = 0.0, scale: float = 1.0):
    level = 1.0 - q_tail if upper else q_tail
    if upper:  # the upper tail's probability that the float level holds (1 - level: exact)
        q_tail = 1.0 - level
    got = float(StudentT(df, loc=loc, scale=scale).icdf(level))
    expected = _mp_t_quantile(df, q_tail, upper)
    if abs(expected) * scale > BIG:  # beyond the floats: an infinity of the right sign
        assert got == (math.inf if upper else -math.inf)
    else:
        np.testing.assert_allclose(got, loc + scale * float(expected), rtol=1e-12)


@pytest.mark.parametrize(("df", "q"), [
    (3.0, 1e-200), (3.0, 1e-250), (3.0, 1e-300),
    (0.5, 1e-80), (0.5, 1e-100), (0.5, 1e-150), (0.5, 1e-160),
    (1.5, 1e-200), (1.5, 1e-250), (1.5, 1e-300),
    (1.0, 1e-300), (5.0, 1e-250), (10.0, 1e-300), (0.05, 1e-10), (60.0, 1e-315), (100.0, 5e-324),
    (10**0.50390625, 1e-171),
])  # fmt: skip
def test_student_t_quantiles_of_the_hostile_trial_match_mpmath(df, q):
    _check_t(df, q, upper=False)


@settings(max_examples=60, deadline=None)
@given(log10_df=st.floats(math.log10(0.05), 3.0), exponent=st.floats(0.31, 320.0),
       upper=st.booleans())  # fmt: skip
def test_student_t_quantile_matches_mpmath_in_both_tails(log10_df, exponent, upper):
    q_tail = 10.0 ** -exponent
    _check_t(10.0**log10_df, max(q_tail, 1e-16) if upper else q_tail, upper)


def test_student_t_quantile_is_affine_and_its_median_is_loc():
    _check_t(3.0, 1e-250, upper=False, loc=2.0, scale=5.0)
    _check_t(1.5, 1e-16, upper=True, loc=-1.0, scale=0.5)
    assert StudentT(0.7, loc=4.0).icdf(0.5) == 4.0
    np.testing.assert_array_equal(StudentT(2.0).icdf([0.0, 1.0]), [-np.inf, np.inf])


def test_log_logistic_quantile_near_one_matches_mpmath():
    """Guard (passed before): alpha (q / (1 - q))^(1 / beta) of the float q; scipy's fisk.ppf
    (1 / q - 1)^(-1 / beta) loses 1 - q to the rounding of 1 / q (9.99941e7 here)."""
    mp = pytest.importorskip("mpmath")
    for q in [1.0 - 1e-12, 1.0 - 1e-16, 1e-300]:
        got = float(LogLogistic(scale=2.0, concentration=1.5).icdf(q))
        with mp.workdps(40):
            qm = mp.mpf(q)
            expected = float(2 * (qm / (1 - qm)) ** (mp.mpf(1) / mp.mpf(1.5)))
        np.testing.assert_allclose(got, expected, rtol=1e-13)


@pytest.mark.parametrize(("a", "b", "q"), [
    (2.458120284038848, 17.903783024310925, 3.255940020610076e-196),  # betaincinv: NaN
    (math.exp(-1.1472507641277367), math.exp(-1.1472507641277367), 1e-97),
])  # fmt: skip
def test_beta_quantile_deep_in_the_lower_tail_matches_mpmath(a, b, q):
    """scipy's betaincinv gave NaN at the first, 2.2e-308 (its floor) near the second."""
    mp = pytest.importorskip("mpmath")
    got = float(Beta(a, b).icdf(q))
    assert 0.0 < got < 1.0  # (the NaN would stall mpmath's root below)
    with mp.workdps(40):
        x = mp.findroot(lambda u: mp.log(mp.betainc(a, b, 0, mp.exp(u), regularized=True))
                        - mp.log(q), mp.log(got))  # fmt: skip
        np.testing.assert_allclose(got, float(mp.exp(x)), rtol=1e-12)


# the other continuous families, checked by their cdf in mpmath (scipy's ppf calls the same
# ndtri / gammaincinv / betaincinv as probnn): the level lies between the cdf a relative 1e-12
# either side of the quantile, or (upper tail) 1 - q between the survival functions there.
# Each maker: raw (m, s) -> (probnn law, mpmath cdf, mpmath survival function)
def _gamma(m, s):
    mp = pytest.importorskip("mpmath")
    return (Gamma(concentration=s, rate=math.exp(-m)),
            lambda x: mp.gammainc(s, 0, x / mp.exp(m), regularized=True),
            lambda x: mp.gammainc(s, x / mp.exp(m), mp.inf, regularized=True))


def _beta(m, s):
    mp = pytest.importorskip("mpmath")
    b = math.exp(m)

    def lower(a, c, x):  # I_x(a, c), its series summed at the end nearer x (slow near 1)
        x = min(x, 1)
        if x <= 0.5:
            return mp.betainc(a, c, 0, x, regularized=True)
        return 1 - mp.betainc(c, a, 0, 1 - x, regularized=True)

    return (Beta(concentration1=s, concentration0=b), lambda x: lower(s, b, x),
            lambda x: lower(b, s, 1 - min(x, 1)))


def _normal(m, s):
    mp = pytest.importorskip("mpmath")
    return (Normal(m, s), lambda x: mp.ncdf((x - m) / s), lambda x: mp.ncdf((m - x) / s))


def _lognormal(m, s):
    mp = pytest.importorskip("mpmath")
    return (LogNormal(m, s), lambda x: mp.ncdf((mp.log(x) - m) / s),
            lambda x: mp.ncdf((m - mp.log(x)) / s))


def _weibull(m, s):
    mp = pytest.importorskip("mpmath")
    return (Weibull(scale=math.exp(m), concentration=s),
            lambda x: -mp.expm1(-(x / mp.exp(m)) ** s), lambda x: mp.exp(-(x / mp.exp(m)) ** s))


FAMILIES = {"gamma": _gamma, "beta": _beta, "normal": _normal, "lognormal": _lognormal,
            "weibull": _weibull}


@pytest.mark.parametrize("name", sorted(FAMILIES))
@settings(max_examples=40, deadline=None)
@given(m=st.floats(-3.0, 3.0), log_s=st.floats(-1.5, 2.0), exponent=TAIL_EXPONENT,
       upper=st.booleans())  # fmt: skip
def test_other_families_quantiles_hold_their_level_in_both_tails(name, m, log_s, exponent,
                                                                 upper):
    mp = pytest.importorskip("mpmath")
    if upper:
        exponent = min(exponent, 16.0)
    q = _levels(exponent, upper)
    law, cdf, sf = FAMILIES[name](m, math.exp(log_s))
    got = float(law.icdf(q))
    assert not math.isnan(got)
    with mp.workdps(40):
        if got in (0.0, math.inf, -math.inf):  # honest: the true quantile beyond the floats
            edge = {0.0: 5e-324, math.inf: BIG, -math.inf: -BIG}[got]
            if upper:
                assert sf(mp.mpf(edge)) >= 1 - mp.mpf(q)
            else:
                assert cdf(mp.mpf(edge)) >= mp.mpf(q) if got <= 0 else cdf(mp.mpf(edge)) <= q
            return
        x = mp.mpf(got)
        # a relative 1e-12, or two steps of the float grid where a subnormal has fewer digits
        step = max(abs(x) * mp.mpf(1e-12), mp.mpf(1e-323))
        lo, hi = x - step, x + step
        if upper:
            tail = 1 - mp.mpf(q)  # exact: q >= 1/2
            assert sf(hi) <= tail <= sf(lo)
        else:
            assert cdf(lo) <= q <= cdf(hi)


def test_weibull_subnormal_quantile_within_two_steps():
    # (a hypothesis find: scale e^2, shape e^-0.8125, q = 1e-143; the quantile 4.1e-322 was
    # the scale times a subnormal exp, 4 steps of the float grid off)
    mp = pytest.importorskip("mpmath")
    law, cdf, _ = _weibull(2.0, math.exp(-0.8125))
    q = 1e-143
    got = float(law.icdf(q))
    assert 0.0 < got < 1e-300
    with mp.workdps(40):
        x, step = mp.mpf(got), mp.mpf(1e-323)
        assert cdf(x - step) <= q <= cdf(x + step)


# Quantiles in the subnormal range, and mixtures of positive laws deep in their lower tail
# (mpmath at 40 digits the oracle). Tolerance: a relative 1e-12 (the quantile of a float q
# passes through log q, whose rounding alone moves x by |log q| eps / k, <= 4e-13 relative for
# shapes >= e^-1.5) plus one step of the float grid (5e-324): in the subnormal range a
# relative 1e-12 is far below a step, and the true quantile lies between two floats, so the
# answer is one of the two. Before the fixes: Gamma / LogLogistic 7 steps off (the scale times
# a subnormal with few digits), mixtures 2.5e-91 for 3.6e-321 (the bisection's 80 halvings).
SUBNORMAL_STEP = 5e-324
# raw (m, s) -> (law, mpmath cdf) of the positive families, scale e^m and shape s
POSITIVE = {
    "gamma": lambda m, s: (Gamma(concentration=s, rate=math.exp(-m)),
                           lambda x: _mp().gammainc(s, 0, x * math.exp(-m), regularized=True)),
    "loglogistic": lambda m, s: (LogLogistic(scale=math.exp(m), concentration=s),
                                 lambda x: 1 / (1 + (x / math.exp(m)) ** -_mp().mpf(s))),
    "weibull": lambda m, s: (Weibull(scale=math.exp(m), concentration=s),
                             lambda x: -_mp().expm1(-(x / math.exp(m)) ** _mp().mpf(s))),
    "beta": lambda m, s: (Beta(concentration1=s, concentration0=math.exp(m)),
                          lambda x: _mp().betainc(s, math.exp(m), 0, x, regularized=True)),
    "lognormal": lambda m, s: (LogNormal(m, 30.0 * s),
                               lambda x: _mp().ncdf((_mp().log(x) - m) / (30.0 * s))),
}


def _mp():
    return pytest.importorskip("mpmath")


def _within_tolerance(got: float, q: float, cdf) -> None:
    """``got`` is the quantile at q to a relative 1e-12 plus one float step: q lies between
    the true cdf at got -+ that (the true quantile is then within it)."""
    mp = _mp()
    assert 0.0 < got < math.inf
    with mp.workdps(40):
        x = mp.mpf(got)
        tol = x * mp.mpf(1e-12) + mp.mpf(SUBNORMAL_STEP)
        lo = x - tol
        assert (cdf(lo) if lo > 0 else 0) <= q <= cdf(x + tol)


@pytest.mark.parametrize(("name", "m", "s", "q"), [
    ("gamma", 2.782025237069825, math.exp(-0.9731630935258788), 2.4066122439204035e-120),
    ("loglogistic", 2.9246360562977234, math.exp(-0.07903929747885652), 8.695329749253256e-291),
])  # fmt: skip
def test_subnormal_quantiles_of_the_scan_within_one_step(name, m, s, q):
    """7 and 4 float steps off before (3.35511976e-316 for 3.3551194e-316; 2.2535079382e-313
    for 2.253507938e-313)."""
    law, cdf = POSITIVE[name](m, s)
    got = float(law.icdf(q))
    assert got < 1e-308
    _within_tolerance(got, q, cdf)


@pytest.mark.parametrize("name", sorted(POSITIVE))
@settings(max_examples=30, deadline=None)
@given(m=st.floats(-3.0, 3.0), log_s=st.floats(-1.5, 1.0), exponent=st.floats(308.5, 323.3))
def test_positive_families_subnormal_quantiles_within_one_step(name, m, log_s, exponent):
    """The level of a subnormal point x = 10^-exponent, rounded to a float q; its quantile."""
    mp = _mp()
    law, cdf = POSITIVE[name](m, math.exp(log_s))
    with mp.workdps(40):
        q = float(cdf(mp.mpf(10) ** -exponent))
    if not 0.0 < q < 1e-100:  # (the brief's tiny levels; a q of its own subnormal is not one)
        return
    _within_tolerance(float(law.icdf(q)), q, cdf)


def test_gamma_and_beta_cdf_keep_a_subnormal_value():
    """scipy's gammainc / betainc give 0 for a subnormal result, and a rate times a subnormal
    y keeps few digits: the series' first two terms in logs (mpmath the oracle)."""
    mp = _mp()
    cases = [(POSITIVE["gamma"](-math.log(1.0056), 1.0056), [1e-308, 1e-318, 1e-321]),
             (POSITIVE["gamma"](2.5, 0.62), [1.4e-318, 3e-310]),
             (POSITIVE["beta"](math.log(0.5), 1.1), [1e-290]), (POSITIVE["beta"](math.log(3.0), 2.0),
                                                                 [1e-160])]  # fmt: skip
    for (law, cdf), xs in cases:
        for x in xs:
            got = float(law.cdf(x))
            with mp.workdps(40):
                true = cdf(mp.mpf(x))
                assert abs(got - true) <= true * mp.mpf(1e-12) + mp.mpf(SUBNORMAL_STEP)


def test_a_mixture_of_gammas_reaches_a_subnormal_quantile():
    """The 80 halvings of the bracket [3.6e-321, 1e-60] stopped at 2.5e-91."""
    (g1, f1), (g2, f2) = POSITIVE["gamma"](-2.329410071285357, math.exp(-1.0105912412582263)), \
        POSITIVE["gamma"](-2.605774646378329, math.exp(0.5732987461617118))
    w = np.array([0.3, 0.7])
    mix = Mixture([g1, g2], weights=w)
    q = 5.959673435272271e-117
    _within_tolerance(float(mix.icdf(q)), q, lambda x: 0.3 * f1(x) + 0.7 * f2(x))


@pytest.mark.parametrize("name", sorted(POSITIVE))
@settings(max_examples=20, deadline=None)
@given(m=st.tuples(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0)),
       log_s=st.tuples(st.floats(-1.5, 1.0), st.floats(-1.5, 1.0)), weight=st.floats(0.05, 0.95),
       exponent=st.floats(100.0, 300.0))  # fmt: skip
def test_mixtures_of_positive_laws_hold_their_tiny_levels(name, m, log_s, weight, exponent):
    (law1, cdf1), (law2, cdf2) = (POSITIVE[name](m[i], math.exp(log_s[i])) for i in range(2))
    mix = Mixture([law1, law2], weights=np.array([weight, 1.0 - weight]))
    q = 10.0**-exponent
    got = float(mix.icdf(q))
    if got == 0.0:  # honest only where the true quantile is below the least float
        mp = _mp()
        with mp.workdps(40):
            least = mp.mpf(SUBNORMAL_STEP)
            assert weight * cdf1(least) + (1 - weight) * cdf2(least) >= q
        return
    _within_tolerance(got, q, lambda x: weight * cdf1(x) + (1 - weight) * cdf2(x))
