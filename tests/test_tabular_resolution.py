"""A family that can spike on a heap (a mixture, whose registry entry names a
``resolution_param``) keeps the targets' resolution in every tabular fit: the selection's,
compare's and an explicit ``--family``'s; on an integer target at the integers' unit. Oracles:
the smallest gap counted by hand (numpy) and the bound ``w_k / (sigma_k sqrt(2 pi)) <= 1 / h``
(scipy's normal density)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn.tables.model import TabularModel
from probnn.tables.resolution import heap, resolution_floor, with_resolution_floor


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


def _integers_with_a_tie(seed: int = 0, n: int = 31) -> pd.DataFrame:
    """Whole numbers (a count target) around 40, two rows tied far out at 93: a mixture's
    component can sit on the tie and shrink without bound (the training NLL -> -inf)."""
    rng = np.random.default_rng(seed)
    y = np.round(rng.normal(40, 12, n))
    y[:2] = 93
    return pd.DataFrame({"x": rng.normal(size=n), "y": y.astype(int)})


def _peak_density(model, frame: pd.DataFrame) -> float:
    """The largest density any predicted component puts out, of its own weight:
    1 / (sigma_k sqrt(2 pi)) at its mean (scipy's normal density), from the predicted
    table's ``scale_*`` columns (a small table's model: a mixture of its fold members')."""
    table = model.predict_table(frame)
    scales = table[[c for c in table.columns if c.startswith("scale_")]].to_numpy()
    return float(stats.norm.pdf(0.0, 0.0, scales).max())


@pytest.mark.parametrize("hidden, constant", [((), True), (None, False)])
def test_a_mixture_on_integers_keeps_the_units_floor(hidden, constant):
    # integers are scored by P(y - 1/2 < Y <= y + 1/2): a component narrower than the unit
    # gains nothing held out. Before the floor the constant's scale fell to 0.07 (a peak
    # density 5.7 of its weight, on the tie) and the network's training diverged (NLL inf)
    frame = _integers_with_a_tie()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(frame, "y", family="mixture-normal", hidden=hidden,
                                 constant=constant, seed=0)  # fmt: skip
    assert model.estimator.family_.min_scale == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)
    assert _peak_density(model, frame) <= 1.0 + 1e-6  # w_k / (sigma_k sqrt(2 pi)) <= w_k / h, h = 1


def test_the_floors_resolution_by_kind():
    tied = _integers_with_a_tie()["y"]
    assert resolution_floor(("count",), None) == 1.0
    assert resolution_floor(("ordered-classes", "count"), None) == 1.0  # a few integers
    assert resolution_floor(("integer",), None) == 1.0
    even = pd.Series(2 * np.arange(40))  # gaps of 2: the unit is still 1 (the scoring's)
    assert with_resolution_floor(even, "mixture-normal", None) == {
        "min_scale": pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)}
    assert with_resolution_floor(tied, "mixture-normal", {"min_scale": 0.0}) == {"min_scale": 0.0}
    assert with_resolution_floor(tied, "normal", None) is None  # no resolution_param
    # a real target: the heap's resolution, or nothing without a heap
    frame = _table()
    h = float(np.diff(np.unique(frame["y"])).min())
    assert resolution_floor(("real",), heap(frame["y"], ("real",))) == pytest.approx(h, rel=1e-12)
    assert resolution_floor(("real",), None) is None
    assert resolution_floor(("classes",), None) is None
