"""A hurdle whose count law puts almost all its mass at 0 (a hurdle-NB fitted to doctor visits:
mean ~7e-5, dispersion ~1e5): its quantile near 1 was ``B``'s at a level that rounded to 1,
hence inf, and the CRPS's sum over the integers then failed on ``int(inf)``.

Oracles: the hurdle's survival ``S(k) = (1 - pi) S_B(k) / S_B(0)`` with ``S_B`` summed from
scipy.stats' pmf (the terms beyond ``k``, no ``1 - F``), or scipy.stats' ``sf``; the CRPS as
``sum_k (F(k) - 1{y <= k})^2`` over those sums.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit

from probnn.distributions import Hurdle, NegativeBinomial, Poisson
from probnn.scoring_rules import crps

TAIL = 1e-13  # the level _crps_integers sums up to: 1 - 1e-13
N_TERMS = 4000  # NB ratio alpha mu / (1 + alpha mu) <= 0.9 here: 0.9^4000 leaves nothing

# (mean, dispersion, logit pi): the doctor-visits fit's extreme, and its like
NB_ROWS = [(7e-5, 1.15e5, 1.5), (7e-5, 1.15e5, -0.5), (3e-4, 4e4, 0.3), (1e-6, 1e6, 0.0)]
POISSON_ROWS = [(1e-9, 0.0), (1e-6, 1.5), (1e-12, -1.0)]


def _pmf_terms(base: str, params) -> np.ndarray:
    """``p_B(0..N_TERMS-1)`` by scipy.stats."""
    k = np.arange(N_TERMS)
    if base == "nb":
        mu, alpha = params
        return stats.nbinom.pmf(k, 1.0 / alpha, 1.0 / (1.0 + alpha * mu))
    return stats.poisson.pmf(k, params[0])


def _hurdle_tails(base: str, params, logit: float):
    """``S(k)`` and ``F(k)`` of the hurdle, k = 0..N_TERMS-2, each by sums of positive terms."""
    pmf = _pmf_terms(base, params)
    pi = expit(logit)
    sf_b = np.cumsum(pmf[::-1])[::-1][1:]  # S_B(k) = sum_{j > k} p_B(j)
    sf = (1.0 - pi) * sf_b / sf_b[0]
    cdf = pi + (1.0 - pi) * np.concatenate([[0.0], np.cumsum(pmf[1:])])[:-1] / sf_b[0]
    return sf, cdf


def _brute_quantile(sf, q: float) -> int:
    """Smallest k with ``cdf(k) >= q``, i.e. ``S(k) <= 1 - q`` (``1 - q`` exact here)."""
    k = int(np.argmax(sf <= 1.0 - q))
    assert sf[k] <= 1.0 - q
    # no near tie: the answer does not hang on the last digits of either side
    assert sf[k] < (1.0 - q) * (1 - 1e-6) and sf[k - 1] > (1.0 - q) * (1 + 1e-6)
    return k


def _dist(base: str, params, logit: float) -> Hurdle:
    if base == "nb":
        b = NegativeBinomial(mean=np.array([params[0]]), dispersion=np.array([params[1]]))
    else:
        b = Poisson(rate=np.array([params[0]]))
    return Hurdle(b, np.array([logit]))


CASES = [("nb", (m, a), z) for m, a, z in NB_ROWS] + [("poisson", (r,), z) for r, z in POISSON_ROWS]


@pytest.mark.parametrize("base, params, logit", CASES)
def test_upper_quantile_is_the_brute_force_count(base, params, logit):
    sf, _ = _hurdle_tails(base, params, logit)
    dist = _dist(base, params, logit)
    for q in (1.0 - TAIL, 1.0 - 1e-15, 0.999):
        got = dist.icdf(np.array([q]))[0]
        assert np.isfinite(got)
        assert got == _brute_quantile(sf, q)


@pytest.mark.parametrize("base, params, logit", CASES)
def test_crps_is_the_sum_over_the_integers(base, params, logit):
    """The score the doctor-visits held-out rows raised OverflowError on."""
    _, cdf = _hurdle_tails(base, params, logit)
    ys = np.array([0.0, 1.0, 3.0, 12.0])
    dist = _dist(base, params, logit)
    k = np.arange(cdf.size)
    for y in ys:
        expected = np.sum((cdf - (k >= y)) ** 2)
        got = crps(dist, np.array([y]))[0]
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-14)


@settings(max_examples=40, deadline=None)
@given(log_mu=st.floats(-14.0, 2.0), log_alpha=st.floats(-3.0, 14.0),
       logit=st.floats(-3.0, 3.0), tail=st.sampled_from([1e-13, 1e-15, 1e-6, 0.2]))
def test_upper_quantile_is_finite_and_first_to_reach(log_mu, log_alpha, logit, tail):
    """Any NB hurdle: the quantile at ``1 - tail`` is finite, its survival is at most ``tail``
    and the count below it is above (scipy's ``nbinom.sf``, to 1e-9 relative)."""
    mu, alpha = np.exp(log_mu), np.exp(log_alpha)
    dist = _dist("nb", (mu, alpha), logit)
    q = 1.0 - tail
    tail = 1.0 - q  # exact: the level's own complement (1e-13 itself is 5e-4 off it)
    k = dist.icdf(np.array([q]))[0]
    assert np.isfinite(k)
    n, p = 1.0 / alpha, 1.0 / (1.0 + alpha * mu)
    pi = expit(logit)

    def sf(j):  # the hurdle's P(Y > j), j >= 0
        return (1.0 - pi) * stats.nbinom.sf(j, n, p) / stats.nbinom.sf(0, n, p)

    if k == 0:  # 1 - tail <= pi
        assert q <= pi * (1 + 1e-12)
        return
    assert sf(k) <= tail * (1 + 1e-9)
    if k > 1:
        assert sf(k - 1) >= tail * (1 - 1e-9)
