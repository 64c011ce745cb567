"""A discrete law's central interval carries its cdf from step to step: the same ends.

``_first_holding_discrete`` moves one end of the equal-tailed interval by one count a step; it
took four cdfs a step (a Laplace predictive of 100 hurdle negative binomials on counts ~1e5
spent 96 of its fit's 108 s there, under cProfile) and now takes one, carrying ``F`` at the
ends it already has. Oracle: the former algorithm, kept here as it was, on random mixtures of
hurdle, zero-inflated, negative binomial and Poisson components (one kind stacked, or kinds
mixed), plain laws, fixed bounds, and laws whose 64-step bound stops the walk (a hurdle's
large zero atom and counts ~1e5): the intervals are equal, integer for integer.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn._central_interval import _DISCRETE_STEPS, _Recorded, central_interval
from probnn.distributions import Hurdle, NegativeBinomial, Poisson, ZeroInflated
from probnn.distributions.mixture import Mixture


def _former_interval(dist, coverage, below=None, above=None):
    """central_interval of a discrete law as it was: four cdfs on each of up to 64 steps."""
    tail = (1.0 - coverage) / 2.0

    def icdf(q):
        q = np.array(np.broadcast_to(q, dist.batch_shape), dtype=np.float64)
        return np.asarray(dist.icdf(q), dtype=np.float64)

    r = _Recorded(dist, below, above)
    lower, upper = r.clip(icdf(tail)), r.clip(icdf(1.0 - tail))
    for _ in range(64):
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
    new = central_interval(dist, coverage, below, above)
    old = _former_interval(dist, coverage, below, above)
    np.testing.assert_array_equal(new[0], old[0])
    np.testing.assert_array_equal(new[1], old[1])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_components=st.integers(1, 4),
       mixed=st.booleans(), coverage=st.sampled_from([0.5, 0.8, 0.9, 0.95]),
       scale=st.sampled_from([5.0, 300.0, 1e5]))
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


def test_the_step_bound_stops_the_walk_as_it_did():
    # a hurdle's zeros hold more than the tail, and counts ~1e5 weigh ~1e-5 each: the
    # upper end walks down count by count until the bound stops it
    mu = np.array([1e5, 2e5, 5e4])
    dist = Mixture([Hurdle(NegativeBinomial(mean=mu * f, dispersion=np.full(3, 0.16)),
                           np.full(3, np.log(0.07 / 0.93))) for f in (0.8, 1.0, 1.25)])
    new = central_interval(dist, 0.9)
    old = _former_interval(dist, 0.9)
    np.testing.assert_array_equal(new[0], old[0])
    np.testing.assert_array_equal(new[1], old[1])
    tail_upper = dist.icdf(np.full(3, 0.95))
    np.testing.assert_array_equal(tail_upper - new[1], _DISCRETE_STEPS)


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
