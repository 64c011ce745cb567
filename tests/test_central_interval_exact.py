"""A count law's central interval is the narrowest equal-tailed one holding the level, however
far inside the equal-tailed interval it lies.

``central_interval`` promises, of the intervals ``J(d) = [F^-1(d), F^-1(1 - d)]`` (``d`` from
``(1 - c) / 2`` to ``1/2``), the narrowest holding ``c``. Its walk moved one end a count at a
time and stopped after 64 counts: on a wide law (counts ~1e5 with a zero atom above the tail)
the interval stayed thousands of counts wider than promised. Oracle: scipy.stats' cdf over
every integer up to past the interval (Poisson, negative binomial, their hurdle and
zero-inflated laws, mixtures summed by hand) and the rule read literally
(:func:`_intervals.narrowest_equal_tailed`), on narrow laws and wide ones (means ~1e5).
"""

from __future__ import annotations

import numpy as np
from _intervals import narrowest_equal_tailed
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.distributions import Hurdle, NegativeBinomial, Poisson, ZeroInflated
from probnn.distributions.mixture import Mixture
from probnn.metrics import central_interval

_KINDS = ["poisson", "nb", "hurdle-nb", "zi-nb", "hurdle-poisson", "zi-poisson"]


def _component(kind: str, rng: np.random.Generator, n: int, wide: bool):
    """A probnn law of ``n`` rows and the scipy cdf of it (``k`` of shape (K, 1))."""
    # wide: counts ~1e5, a standard deviation of 300 to 9,000 counts (the lattice the oracle
    # sums over stays ~1e5 long)
    mu = np.exp(rng.uniform(np.log(5e4), np.log(2e5), n) if wide
                else rng.uniform(np.log(0.2), np.log(50.0), n))  # fmt: skip
    alpha = np.exp(rng.uniform(np.log(1e-5), np.log(2e-3), n) if wide
                   else rng.uniform(np.log(0.01), np.log(3.0), n))  # fmt: skip
    pi = rng.uniform(0.0, 0.5, n)
    logit = np.log(pi / (1 - pi))
    if kind.endswith("poisson"):
        law, base = Poisson(rate=mu), stats.poisson(mu)
    else:
        law, base = NegativeBinomial(mean=mu, dispersion=alpha), stats.nbinom(1 / alpha,
                                                                             1 / (1 + alpha * mu))
    if kind.startswith("hurdle"):  # F(k) = pi + (1 - pi) (F_B(k) - F_B(0)) / (1 - F_B(0))
        b0 = base.cdf(0)
        return Hurdle(law, logit), lambda k: pi + (1 - pi) * (base.cdf(k) - b0) / (1 - b0)
    if kind.startswith("zi"):  # F(k) = pi + (1 - pi) F_B(k)
        return ZeroInflated(law, logit), lambda k: pi + (1 - pi) * base.cdf(k)
    return law, base.cdf


def _check(dist, cdf, coverage: float, top: int):
    lower, upper = central_interval(dist, coverage)
    k = np.arange(top + 1, dtype=float)[:, None]
    lo, hi, mass = narrowest_equal_tailed(np.clip(cdf(k), 0.0, 1.0).T, coverage)
    np.testing.assert_array_equal(lower, lo)
    np.testing.assert_array_equal(upper, hi)
    assert np.all(mass >= coverage - 1e-12)
    return lower, upper


def _random_law(seed: int, n_components: int, wide: bool, n: int):
    """One kind or a mixture of kinds, and its cdf summed by hand."""
    rng = np.random.default_rng(seed)
    parts = [_component(_KINDS[rng.integers(len(_KINDS))], rng, n, wide)
             for _ in range(n_components)]
    if n_components == 1:
        return parts[0]
    weights = rng.dirichlet(np.ones(n_components), size=n).T  # (K, n)

    def cdf(k):
        return sum(w * c(k) for w, (_, c) in zip(weights, parts))

    return Mixture([law for law, _ in parts], weights=weights), cdf


def _check_random(seed, n_components, coverage, wide, n):
    dist, cdf = _random_law(seed, n_components, wide, n)
    top = int(np.max(dist.icdf(np.full(n, 1.0 - (1.0 - coverage) / 4)))) + 2
    _check(dist, cdf, coverage, top)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_components=st.integers(1, 3),
       coverage=st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_a_narrow_laws_interval_is_the_narrowest_equal_tailed_one_holding_the_level(
        seed, n_components, coverage):  # fmt: skip
    _check_random(seed, n_components, coverage, False, 6)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_components=st.integers(1, 3),
       coverage=st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_a_wide_laws_interval_is_the_narrowest_equal_tailed_one_holding_the_level(
        seed, n_components, coverage):  # fmt: skip
    _check_random(seed, n_components, coverage, True, 2)


def test_a_wide_hurdle_mixture_goes_past_the_former_64_counts():
    # the zeros (7%) hold more than the 5% tail, so the lower end stays at 0 and the upper
    # comes down from F^-1(0.95) to about F^-1(0.93): thousands of counts at these widths
    n, mu, alpha, pi = 3, np.array([1e5, 2e5, 5e4]), 0.16, 0.07
    parts = []
    for f in (0.8, 1.0, 1.25):
        base = stats.nbinom(1 / alpha, 1 / (1 + alpha * mu * f))
        parts.append((Hurdle(NegativeBinomial(mean=mu * f, dispersion=np.full(n, alpha)),
                             np.full(n, np.log(pi / (1 - pi)))), base))
    dist = Mixture([law for law, _ in parts])

    def cdf(k):
        return sum(pi + (1 - pi) * (b.cdf(k) - b.cdf(0)) / b.sf(0) for _, b in parts) / 3

    lower, upper = _check(dist, cdf, 0.9, int(np.max(dist.icdf(np.full(n, 0.99)))) + 2)
    assert np.all(lower == 0)
    assert np.all(dist.icdf(np.full(n, 0.95)) - upper > 64)
