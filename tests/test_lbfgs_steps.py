"""L-BFGS when a trial step of its line search leaves the float range (issue 20, section 5)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import shuffle

from probnn.estimators import MLPRegressor


def _sample_weight_check_data():
    # the data of scikit-learn's check_sample_weight_equivalence_on_dense_data
    rng = np.random.RandomState(42)
    n = 15
    X = rng.rand(n, 2 * n)
    y = rng.randint(0, 3, size=n)
    sw = rng.randint(0, 5, size=n)
    return X, y, sw


def test_lbfgs_steps_back_from_an_overflowing_trial_point():
    # 15 rows, 30 features and a learned variance: the line search tries a step where the
    # NLL overflows (inf, and inf - inf = NaN in the gradient). It used to take the NaN as a
    # value and extrapolate to "L-BFGS diverged at iteration 182"; it must step back instead
    X, y, sw = _sample_weight_check_data()
    X, y, sw = shuffle(X, y, sw, random_state=0)  # the check's weighted rows, as it orders them
    est = MLPRegressor(solver="lbfgs", dtype="float64", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the likelihood has no maximum
        est.fit(X, y, sample_weight=sw)
    curve = np.asarray(est.loss_curve_)
    assert np.all(np.isfinite(curve))
    # every accepted iterate improves on the previous one (the line search's sufficient
    # decrease), so the objective never rose through the overflowing trial points
    assert np.all(np.diff(curve) <= 0)
    dist = est.predict_dist(X)
    assert np.all(np.isfinite(est.predict(X)))
    assert np.all(np.isfinite(dist.scale)) and np.all(dist.scale > 0)
