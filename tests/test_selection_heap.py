"""A heap inside a real target's range (one value, neither end, holding 5% or more of the rows:
a rounded or coded value) is said beside the selection's choice (``heap_note``): a density
can spike there as on a point mass at an end. Oracle: the share counted by hand (numpy)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from probnn._selection_notes import POINT_MASS_SHARE, heap_note
from probnn.selection import select_model


def _heaped(n=400, share=0.18, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(3.0, 1.0, size=n)
    y[rng.uniform(size=n) < share] = 4.0  # a coded value inside the range
    return y


def test_a_heap_inside_the_range_is_said_with_its_share():
    y = _heaped()
    note = heap_note(pd.Series(y), ("real",))
    assert note.startswith(f"{np.mean(y == 4.0):.0%} of the target's rows are exactly 4, inside")
    assert "--upper COL" in note


def test_no_note_below_the_share_at_an_end_or_for_counts():
    rng = np.random.default_rng(1)
    y = rng.normal(size=400)
    y[: int(POINT_MASS_SHARE * 400) - 1] = 0.25  # just under the share
    assert heap_note(pd.Series(y), ("real",)) is None
    end = np.r_[np.zeros(100), rng.gamma(2.0, size=300)]  # an atom at the smallest value
    assert heap_note(pd.Series(end), ("positive",)) is None
    assert heap_note(pd.Series(rng.poisson(3.0, size=400)), ("count",)) is None


def test_the_selection_carries_the_note():
    y = _heaped(200, seed=2)
    X = pd.DataFrame({"x": np.random.default_rng(3).normal(size=200)})
    sel = select_model(X, pd.Series(y, name="y"), families=["normal"], cv=2, hidden=())
    assert any("inside its range" in n for n in sel.notes), sel.notes


def test_on_a_heap_the_mixtures_scales_keep_the_targets_resolution():
    # targets recorded to h = 1/60 with 30% of them exactly 4.0: without a floor the
    # mixture's constant and GLM shrank a component onto 4.0 (a density of e^12 there);
    # the selection gives every mixture candidate min_scale = h / sqrt(2 pi), so no density
    # it scores or returns exceeds 1 / h (the bound, by hand: w_k / (sigma_k sqrt(2 pi)))
    import math

    rng = np.random.default_rng(4)
    h = 1 / 60
    x = rng.normal(size=300)
    y = np.round((2.5 + 0.8 * x + rng.normal(0, 0.5, 300)) / h) * h
    y[rng.uniform(size=300) < 0.3] = 4.0
    X = pd.DataFrame({"x": x})
    sel = select_model(X, pd.Series(y, name="y"), families=["mixture-normal"], cv=3,
                       network_families=0)  # fmt: skip
    family = sel.model.estimator.family_
    gap = float(np.diff(np.unique(y)).min())
    assert family.min_scale == gap / math.sqrt(2 * math.pi)
    dist = sel.model.predict_dist(X)
    assert float(np.exp(dist.log_prob(np.full(300, 4.0))).max()) <= 1 / h
    assert min(float(np.min(c.scale)) for c in dist.components) >= family.min_scale * (1 - 1e-9)
