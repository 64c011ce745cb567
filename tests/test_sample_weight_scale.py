"""Sample weights far from 1: their scale is the prior's business only.

The estimators minimise ``(sum w nll + alpha P(W)) / sum w`` (scikit-learn's alpha), so
weights ``c w`` with ``alpha = 0`` give the fit of ``w``. Weights of 1e100 or 1e-100 failed
(a float32 fit cast them to inf or 0: "the NLL became inf/nan"), 1e308 and 1e-320 in float64
too (nan standardisation, OverflowError in the widening). Now the trainer takes them in units
of a power of 2 (the prior's alpha with them: the same objective, bit for bit), and weights
whose squares or total's square leave float64 are refused in one sentence. Oracle: the fit
with weights ``w`` (c a power of 2: exact scaling, so identical predictions).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn import MLPClassifier, MLPRegressor

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2))
y = X[:, 0] + 0.5 * rng.normal(size=40)
labels = (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(int)
w = rng.uniform(0.5, 2.0, size=40)


def _predictions(kind, weights, dtype):
    if kind == "classifier":
        est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0, alpha=0.0,
                            dtype=dtype).fit(X, labels, sample_weight=weights)  # fmt: skip
        return est.predict_proba(X)
    hidden, solver = ((), "lbfgs") if kind == "glm" else ((3,), "adam")
    est = MLPRegressor(hidden_layer_sizes=hidden, solver=solver, max_iter=5, random_state=0,
                       alpha=0.0, predictive="plug-in", dtype=dtype).fit(X, y, sample_weight=weights)
    dist = est.predict_dist(X)
    return np.stack([dist.loc, dist.scale])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@settings(max_examples=6, deadline=None)
@given(power=st.integers(-505, 505), kind=st.sampled_from(["glm", "network", "classifier"]),
       dtype=st.sampled_from(["float32", "float64"]))  # fmt: skip
def test_weights_times_a_power_of_two_give_the_same_fit(power, kind, dtype):
    scaled = _predictions(kind, w * 2.0**power, dtype)
    np.testing.assert_array_equal(scaled, _predictions(kind, w, dtype))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("c", [1e100, 1e-100])
def test_weights_times_any_constant_give_the_fit_within_rounding(c):
    np.testing.assert_allclose(_predictions("glm", w * c, "float32"),
                               _predictions("glm", w, "float32"), rtol=1e-4)  # fmt: skip


@pytest.mark.parametrize("estimator", [MLPRegressor, MLPClassifier])
@pytest.mark.parametrize("c", [1e308, 1e-320, 1e153])
def test_weights_past_float64s_squares_are_refused_in_one_sentence(estimator, c):
    target = labels if estimator is MLPClassifier else y
    with pytest.raises(ValueError, match=r"sample_weight must total at most 1\.34e\+154 and "
                                         r"its largest be at least 1\.49e-154"):  # fmt: skip
        estimator(max_iter=2).fit(X, target, sample_weight=np.full(40, c))
