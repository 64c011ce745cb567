"""L-BFGS from random output weights whose objective is past the float range (hostile5 F10).

A Weibull GLM on ``y = 1e9 + N(0, 1e-3)``: the family's constant model has a concentration
~7e11, so a random 0.1 output weight on the log-scale makes ``(y / lambda)^k = exp(1e10)``, the
objective is inf at iteration 0 and the fit stopped with "L-BFGS diverged at iteration 0". The
constant model itself is finite: L-BFGS starts again from it. Oracle: the law that made the
data (mean 1e9, standard deviation 1e-3).
"""

from __future__ import annotations

import numpy as np

from probnn import MLPRegressor


def test_weibull_glm_far_from_zero_starts_from_the_constant():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = 1e9 + rng.normal(0.0, 1e-3, 300)
    model = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", family="weibull", alpha=1e-4,
                         dtype="float64", random_state=0).fit(X, y)
    dist = model.predict_dist(X)
    # the law's mean and spread, to within what 300 rows and a Weibull's skew allow
    assert np.all(np.abs(np.asarray(dist.mean) - 1e9) < 5e-3)
    sd = np.sqrt(np.asarray(dist.variance))
    assert np.all((sd > 3e-4) & (sd < 3e-3))
