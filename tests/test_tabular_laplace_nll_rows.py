"""TabularModel.nll_rows of a model wrapped in its Laplace posterior: the predictive's NLL per
row (it raised AttributeError: the wrapper has no ``_nll_per_row``). Oracle: scipy's normal
log-density at the predictive's own loc and scale."""

import numpy as np
import pandas as pd
from scipy import stats

from probnn.tables.model import TabularModel


def test_nll_rows_of_a_laplace_model_is_its_predictives():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120)})
    frame["y"] = 2.0 * frame["x"] + rng.normal(scale=0.5, size=120)
    model = TabularModel.fit(frame.iloc[:100], "y", family="normal", hidden=(), solver="lbfgs",
                             seed=0, posterior="laplace")  # fmt: skip
    held = frame.iloc[100:]
    dist = model.predict_dist(held)
    expected = -stats.norm.logpdf(held["y"], np.asarray(dist.loc), np.asarray(dist.scale))
    np.testing.assert_allclose(model.nll_rows(held), expected, rtol=1e-6)
