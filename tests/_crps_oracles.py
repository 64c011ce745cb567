"""Closed-form CRPS of laws the tests score against (oracles, not probnn's code)."""

import numpy as np
from scipy import special, stats


def student_t_crps(y, df, loc, scale):
    """CRPS of a Student-t at y (Jordan, Krueger & Lerch 2019, scoringRules' crps_t; checked
    against quadrature of (F - 1{x >= y})^2): MLPRegressor's default predictive is one."""
    z, beta = (y - loc) / scale, special.beta
    return scale * (z * (2 * stats.t.cdf(z, df) - 1)
                    + 2 * stats.t.pdf(z, df) * (df + z**2) / (df - 1)
                    - 2 * np.sqrt(df) * beta(0.5, df - 0.5) / ((df - 1) * beta(0.5, df / 2) ** 2))
