"""The CRPS of a mixture of many Normals (a Laplace posterior's Monte Carlo predictive holds
one Normal a draw) in memory of components x rows, not components^2 x rows: 100 draws on
5,000 rows took 2.3 GB. The values are held to the CRPS's integral, by quadrature."""

import tracemalloc

import numpy as np
from scipy import integrate, stats

from probnn.distributions import Mixture, Normal
from probnn.scoring_rules import crps


def _mixture(rng, n, k):
    locs = rng.normal(size=(k, n))
    scales = 0.5 + rng.random((k, n))
    weights = rng.random((k, n))
    return locs, scales, weights / weights.sum(axis=0)


def test_many_normals_match_the_integral_of_the_squared_cdf_gap():
    rng = np.random.default_rng(3)
    locs, scales, weights = _mixture(rng, 3, 12)
    y = np.array([-0.7, 0.2, 2.5])
    got = crps(Mixture([Normal(m, s) for m, s in zip(locs, scales)],
                       logits=np.log(weights)), y)
    for r in range(3):
        def cdf(x, r=r):
            return float(np.dot(weights[:, r], stats.norm.cdf(x, locs[:, r], scales[:, r])))
        lower = integrate.quad(lambda x: cdf(x) ** 2, -np.inf, y[r], epsabs=1e-12)[0]
        upper = integrate.quad(lambda x: (1.0 - cdf(x)) ** 2, y[r], np.inf, epsabs=1e-12)[0]
        assert abs(got[r] - (lower + upper)) < 1e-8


def test_many_normals_take_memory_of_components_times_rows():
    rng = np.random.default_rng(0)
    n, k = 1000, 100
    locs, scales, _ = _mixture(rng, n, k)
    mix = Mixture([Normal(m, s) for m, s in zip(locs, scales)])
    y = rng.normal(size=n)
    tracemalloc.start()
    try:
        crps(mix, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # one K x K x rows float64 array is 80 MB here; K x rows is 0.8 MB
    assert peak < 40 * 2**20
