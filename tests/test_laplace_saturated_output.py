"""A saturated output (its maximum likelihood at a boundary) under the Laplace posterior.

On counts with no zero a hurdle's zero head is fitted far out (P(0) ~ 1e-9): its summed
curvature is ~ n P(0), so a Gaussian at the mode gave its bias a variance of ~1/curvature
(flat prior) or its weights the prior's, and the Monte Carlo predictive put P(0) = 0.51 on
every row (0.07 with the prior on the bias too). Oracle: the data themselves, 0 zeros in n
rows, whose one-sided 99.9% Clopper-Pearson upper bound for P(0) is 1 - 0.001^(1/n).
"""

import numpy as np
import pytest

from probnn import LaplaceApproximation, MLPRegressor


def _no_zero_counts(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = 1.0 + rng.poisson(np.exp(1.0 + 0.3 * X[:, 0]))
    return X, y


@pytest.mark.parametrize("family", ["hurdle-poisson", "hurdle-negative-binomial"])
@pytest.mark.parametrize("subset", ["last-layer", "all"])
def test_a_saturated_zero_head_keeps_p0_where_the_rows_put_it(family, subset):
    X, y = _no_zero_counts(240, 0)
    network = MLPRegressor(family=family, hidden_layer_sizes=(), solver="lbfgs",
                           random_state=0).fit(X, y)  # fmt: skip
    laplace = LaplaceApproximation(network, subset=subset, prior_precision="evidence",
                                   prefit=True, random_state=0).fit(X, y)  # fmt: skip
    X_new, _ = _no_zero_counts(60, 1)
    p0 = np.exp(np.asarray(laplace.predict_dist(X_new).log_prob(np.zeros(60)), dtype=float))
    bound = 1.0 - 0.001 ** (1.0 / y.size)  # 0 zeros in 240 rows: P(0) <= 0.028 at 99.9%
    assert np.all(p0 < bound), p0.max()
    # the posterior still covers the count head's weights (only the zero head's are fixed)
    assert laplace.posterior_precision_.shape[0] >= X.shape[1] + 1
