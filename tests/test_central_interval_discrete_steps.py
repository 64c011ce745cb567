"""A discrete law's central interval: the same ends as the walk it replaces, walked to its end.

The interval was found by moving one end of the equal-tailed interval by one count a step,
four cdfs a step (a Laplace predictive of 100 hurdle negative binomials on counts ~1e5 spent
96 of its fit's 108 s there, under cProfile), then one, carrying ``F`` at the ends it already
had, for at most 64 steps. It now walks ``_WALK_STEPS`` counts (one cdf each) and searches
from there (``_search_discrete``). Oracle: the former algorithm, kept here as it was but
without its 64-step bound, on random mixtures of hurdle, zero-inflated, negative binomial and
Poisson components (one kind stacked, or kinds mixed), plain laws and fixed bounds, with the
walk as it is and with no walk at all (the search alone): the intervals are equal, integer for
integer. Laws whose walk ran past 64 counts: ``test_central_interval_exact``.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import probnn._central_interval as central
from probnn._central_interval import _Recorded, central_interval
from probnn.distributions import Hurdle, NegativeBinomial, Poisson, ZeroInflated
from probnn.distributions.mixture import Mixture


def _former_interval(dist, coverage, below=None, above=None):
    """central_interval of a discrete law as it was: four cdfs a step, here until it stops."""
    tail = (1.0 - coverage) / 2.0

    def icdf(q):
        q = np.array(np.broadcast_to(q, dist.batch_shape), dtype=np.float64)
        return np.asarray(dist.icdf(q), dtype=np.float64)

    r = _Recorded(dist, below, above)
    lower, upper = r.clip(icdf(tail)), r.clip(icdf(1.0 - tail))
    while True:
        deep_low, deep_up = r.at_most(lower), 1.0 - r.less(upper)
        drop_upper = deep_up <= deep_low
        lo = np.where(drop_upper, lower, lower + 1.0)
        hi = np.where(drop_upper, upper - 1.0, upper)
        keep = (lo <= hi) & (r.at_most(hi) - r.less(lo) >= coverage)
        if not keep.any():
            break
        lower, upper = np.where(keep, lo, lower), np.where(keep, hi, upper)
    return lower, upper


def _law(kind: str, rng: np.random.Generator, n: int, scale: float):
    mu = np.exp(rng.uniform(np.log(0.05), np.log(scale), n))
    pi = rng.uniform(0.0, 0.6, n)
    logit = np.log(pi / (1.0 - pi))
    base = (Poisson(rate=mu) if kind.endswith("poisson")
            else NegativeBinomial(mean=mu, dispersion=np.exp(rng.uniform(-6.0, 1.5, n))))
    if kind.startswith("hurdle"):
        return Hurdle(base, logit)
    if kind.startswith("zi"):
        return ZeroInflated(base, logit)
    return base


_KINDS = ["poisson", "nb", "hurdle-nb", "hurdle-poisson", "zi-nb", "zi-poisson"]


def _assert_same(dist, coverage, below=None, above=None):
    old = _former_interval(dist, coverage, below, above)
    for walk in (central._WALK_STEPS, 0):  # as it is; the search from the equal-tailed one
        with mock.patch.object(central, "_WALK_STEPS", walk):
            new = central_interval(dist, coverage, below, above)
        np.testing.assert_array_equal(new[0], old[0])
        np.testing.assert_array_equal(new[1], old[1])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_components=st.integers(1, 4),
       mixed=st.booleans(), coverage=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
       scale=st.sampled_from([5.0, 300.0]))
def test_mixture_intervals_equal_the_former_algorithms(seed, n_components, mixed, coverage,
                                                       scale):
    rng = np.random.default_rng(seed)
    n = 6
    one_kind = _KINDS[rng.integers(len(_KINDS))]
    kinds = [_KINDS[rng.integers(len(_KINDS))] if mixed else one_kind
             for _ in range(n_components)]
    dist = Mixture([_law(k, rng, n, scale) for k in kinds],
                   weights=rng.dirichlet(np.ones(n_components), size=n).T)
    _assert_same(dist, coverage)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(_KINDS),
       coverage=st.sampled_from([0.5, 0.9]), bounded=st.booleans())
def test_plain_and_bounded_intervals_equal_the_former_algorithms(seed, kind, coverage,
                                                                 bounded):
    rng = np.random.default_rng(seed)
    dist = _law(kind, rng, 8, 50.0)
    below, above = (1.0, 30.0) if bounded else (None, None)
    _assert_same(dist, coverage, below, above)


def test_a_mixture_of_a_hurdle_and_a_plain_law_has_a_cdf():
    # the stacked path read every component's .base once the first was a hurdle
    from scipy import stats

    mu, alpha, pi = 4.0, 0.5, 0.3
    n, p = 1 / alpha, 1 / (1 + alpha * mu)
    dist = Mixture([Hurdle(NegativeBinomial(mean=[mu], dispersion=[alpha]),
                           [np.log(pi / (1 - pi))]),
                    NegativeBinomial(mean=[mu], dispersion=[alpha])])
    k = np.arange(6.0)
    nb = stats.nbinom(n, p)
    hurdle = np.where(k < 0, 0.0, pi + (1 - pi) * (nb.cdf(k) - nb.pmf(0)) / nb.sf(0))
    np.testing.assert_allclose(dist.cdf(k[:, None])[:, 0], 0.5 * hurdle + 0.5 * nb.cdf(k),
                               rtol=1e-10)
