"""``crps_numerical`` where the quantile-score integral nears the float range.

A Normal of scale 1e200 scored at y = -1e300 (F(y) = 0: levels 0 with quantile -inf) gave
bare numpy "invalid value" warnings; y = -1.7e308 under a scale of 1e307 overflowed the
integrand's differences and the sum over the nodes to inf, though its CRPS is 1.64e308.
Oracle: the Normal's closed form (Gneiting & Raftery 2007) with scipy.stats, computed in
units of the scale: ``s (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))``, ``z = (y - m) / s``.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

from probnn._crps_base import crps_numerical
from probnn.distributions import Normal


def _normal_crps(loc: float, scale: float, y: float) -> float:
    z = y / scale - loc / scale
    with np.errstate(over="ignore"):
        return scale * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                        - 1 / np.sqrt(np.pi))  # fmt: skip


@pytest.mark.parametrize("loc, scale, y", [
    (0.0, 1e200, -1e300), (0.0, 1e200, 1e300), (0.0, 1e200, 0.0), (0.0, 1e307, -1.7e308),
    (5e307, 1e306, -1.2e308), (0.0, 1e-300, 2e-300), (0.0, 1.0, 0.3),
])  # fmt: skip
def test_far_observations_score_finitely_and_silently(loc, scale, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = crps_numerical(Normal(np.array([loc]), np.array([scale])), np.array([y]))
    assert got[0] == pytest.approx(_normal_crps(loc, scale, y), rel=1e-9)


def test_a_crps_past_float_range_is_an_honest_inf_and_the_other_rows_unchanged():
    """Normal(1e308, 1e307) at y = -1e308: CRPS 1.94e308 > the largest float; the row beside
    it gets the same bits as on its own."""
    dist = Normal(np.array([1e308, 0.0]), np.array([1e307, 1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = crps_numerical(dist, np.array([-1e308, 0.3]))
    assert got[0] == np.inf
    alone = crps_numerical(Normal(np.array([0.0]), np.array([1.0])), np.array([0.3]))
    assert got[1] == alone[0]
