"""The Laplace evidence of a GLM whose extra head is saturated (its weights stay fixed).

A zero-inflated Poisson GLM on counts with no zero fits its inflation head far out (logit
~ -30, summed curvature ~ 1e-13): the saturation rule keeps that head's weights at their fitted
values, so the evidence is that of the count head alone, a Poisson GLM (flat prior on its
bias, ``N(0, 1/lam)`` on its coefficient), times the fixed head's likelihood. The output
biases' curvature was judged rank-deficient with the saturated head still in it, and that put
the prior on the count head's bias too: ``-lam b^2 / 2`` (b ~ 1.3, 8 nats at lam = 10) in the
evidence, which pulled the evidence's prior strength down. Oracle: the marginal likelihood
of that 2-parameter Poisson GLM by numerical integration on a grid (the Poisson pmf in
closed form, scipy's gammaln).
"""

import numpy as np
import pytest
from scipy.special import expit, gammaln, logsumexp

from probnn import LaplaceApproximation, MLPRegressor


def _no_zero_counts(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    y = 1.0 + rng.poisson(np.exp(1.0 + 0.3 * x))
    return x[:, None], y


def _poisson_glm_log_evidence(x: np.ndarray, y: np.ndarray, lam: float, centre: tuple,
                              half_width: float = 0.4, points: int = 401) -> float:
    """log of the integral over (b, w) of prod_i Poisson(y_i; exp(b + w x_i)) N(w; 0, 1/lam),
    flat in b, by a fine rectangle rule on a grid about ``centre`` (the
    posterior's sd is ~0.03 here: the grid's +-0.4 holds it all)."""
    b = centre[0] + np.linspace(-half_width, half_width, points)
    w = centre[1] + np.linspace(-half_width, half_width, points)
    step = (b[1] - b[0]) * (w[1] - w[0])
    # sum_i [y_i (b + w x_i) - exp(b + w x_i) - log y_i!]
    sum_exp_wx = np.exp(np.outer(w, x)).sum(axis=1)  # (points,) over w
    log_lik = (b[None, :] * y.sum() + (w * (y @ x))[:, None]
               - np.exp(b)[None, :] * sum_exp_wx[:, None] - gammaln(y + 1.0).sum())
    log_prior = -0.5 * lam * w**2 + 0.5 * np.log(lam / (2.0 * np.pi))
    return float(logsumexp(log_lik + log_prior[:, None]) + np.log(step))


@pytest.mark.parametrize("lam", [1.0, 30.0])
def test_a_saturated_heads_evidence_is_the_other_heads_glm_evidence(lam):
    X, y = _no_zero_counts(200, 0)
    network = MLPRegressor(family="zero-inflated-poisson", hidden_layer_sizes=(),
                           solver="lbfgs", alpha=lam, random_state=0).fit(X, y)  # fmt: skip
    laplace = LaplaceApproximation(network, subset="all", prior_precision=lam,
                                   prefit=True).fit(X, y)  # fmt: skip
    (count_coef, inflation_coef), = network.coefs_[0]
    count_bias, inflation_bias = network.intercepts_[0]
    # the inflation head saturated: P(excess zero) < 1e-6 on every row (its weights fixed)
    inflation = expit(inflation_bias + inflation_coef * X[:, 0])
    assert inflation.max() < 1e-6
    # the fixed head's likelihood (rows with y > 0: 1 - pi_i) times the count head's evidence
    expected = (np.log1p(-inflation).sum()
                + _poisson_glm_log_evidence(X[:, 0], y, lam, (count_bias, count_coef)))
    # Laplace's error for a Poisson GLM on 200 rows: O(1/n) nats
    assert laplace.log_evidence_ == pytest.approx(expected, abs=0.05)


def test_a_saturated_inflation_head_leaves_the_poisson_glms_prior_strength():
    """On counts with no zero a zero-inflated Poisson GLM is the Poisson GLM (its inflation
    at 0, fixed), so the evidence chooses the Poisson GLM's prior strength for it: the
    nested model's own search is the oracle (it has no saturated head, no rank-deficiency)."""
    from probnn.evidence import fit_by_evidence

    X, y = _no_zero_counts(200, 0)
    glm = {"hidden_layer_sizes": (), "solver": "lbfgs", "random_state": 0}
    inflated = fit_by_evidence(MLPRegressor(family="zero-inflated-poisson", **glm), X, y)
    poisson = fit_by_evidence(MLPRegressor(family="poisson", **glm), X, y)
    assert inflated.alpha == poisson.alpha
