"""A family that can spike on a heap (a mixture, whose registry entry names a
``resolution_param``) keeps the targets' resolution in every tabular fit: the selection's,
compare's and an explicit ``--family``'s. Oracles: the smallest gap counted by hand (numpy)
and the bound ``w_k / (sigma_k sqrt(2 pi)) <= 1 / h``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from probnn.tables.model import TabularModel
from probnn.tables.resolution import heap, with_resolution_floor


def _table(heaped=True, n=300, seed=4):
    rng = np.random.default_rng(seed)
    h = 1 / 60
    x = rng.normal(size=n)
    y = np.round((2.5 + 0.8 * x + rng.normal(0, 0.5, n)) / h) * h
    if heaped:
        y[rng.uniform(size=n) < 0.3] = 4.0
    return pd.DataFrame({"x": x, "y": y})


def test_the_heap_and_its_resolution_by_hand():
    frame = _table()
    value, share, resolution = heap(frame["y"], ("real",))
    assert value == 4.0 and share == pytest.approx(np.mean(frame["y"] == 4.0))
    assert resolution == pytest.approx(np.diff(np.unique(frame["y"])).min(), rel=1e-12)
    assert heap(frame["y"], ("count",)) is None  # counts are probabilities already
    assert heap(_table(heaped=False)["y"], ("real",)) is None


def test_an_explicit_mixture_fit_is_floored_and_a_callers_value_kept():
    frame = _table()
    h = float(np.diff(np.unique(frame["y"])).min())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(frame, "y", family="mixture-normal", hidden=(), seed=0)
        given = TabularModel.fit(frame, "y", family="mixture-normal", hidden=(), seed=0,
                                 family_params={"min_scale": 0.0})  # fmt: skip
    assert model.estimator.family_.min_scale == pytest.approx(h / math.sqrt(2 * math.pi))
    assert given.estimator.family_.min_scale == 0.0
    density = np.exp(model.predict_dist(frame).log_prob(np.full(len(frame), 4.0)))
    assert float(density.max()) <= 1 / h
    # other families, or no heap: the parameters untouched
    assert with_resolution_floor(frame["y"], "normal", None) is None
    assert with_resolution_floor(_table(heaped=False)["y"], "mixture-normal", None) is None
