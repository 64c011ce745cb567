"""The CRPS of a mixture of mixtures (a Laplace predictive of ``--family mixture-normal``: 100
mixtures of K normals) in closed form / one integral over its leaves, where it went to the
numerical quadrature (each node's quantile a bisection of the nested cdf: 633 s of a 300-row
fit's 755 s). Oracle: ``int (F(x) - 1{x >= y})^2 dx`` by scipy.integrate.quad on the mixture's
cdf summed by hand from scipy.stats.norm."""

from __future__ import annotations

from unittest import mock

import numpy as np
from scipy import integrate, stats

from probnn import _crps_base, scoring_rules
from probnn.distributions import Normal
from probnn.distributions.mixture import Mixture


def _by_quad(weights, locs, scales, y):
    def cdf(x):
        return sum(w * stats.norm.cdf(x, m, s) for w, m, s in zip(weights, locs, scales))

    lo, hi = min(locs) - 12 * max(scales), max(locs) + 12 * max(scales)
    return (integrate.quad(lambda x: cdf(x) ** 2, lo, y, limit=200, epsabs=1e-12)[0]
            + integrate.quad(lambda x: (1 - cdf(x)) ** 2, y, hi, limit=200, epsabs=1e-12)[0])


def test_a_mixture_of_mixtures_has_its_leaves_crps_without_quadrature():
    rng = np.random.default_rng(0)
    n, outer, inner = 3, 12, 3  # 36 leaves: above the pairwise limit, as a Laplace's are
    locs = rng.normal(0, 2, (outer, inner, n))
    scales = np.exp(rng.normal(-0.5, 0.5, (outer, inner, n)))
    inner_w = rng.dirichlet(np.ones(inner), size=(outer, n)).transpose(0, 2, 1)  # (O, I, n)
    outer_w = rng.dirichlet(np.ones(outer), size=n).T  # (O, n)
    dist = Mixture([Mixture([Normal(locs[o, i], scales[o, i]) for i in range(inner)],
                            weights=inner_w[o]) for o in range(outer)], weights=outer_w)
    y = rng.normal(0, 2, n)
    with mock.patch.object(scoring_rules, "crps_numerical", side_effect=AssertionError), \
            mock.patch.object(_crps_base, "crps_numerical", side_effect=AssertionError):
        got = scoring_rules.crps(dist, y)
    for r in range(n):
        w = (outer_w[:, r, None] * inner_w[:, :, r]).ravel()
        want = _by_quad(w, locs[:, :, r].ravel(), scales[:, :, r].ravel(), y[r])
        np.testing.assert_allclose(got[r], want, rtol=1e-7)
