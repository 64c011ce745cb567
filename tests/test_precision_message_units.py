"""The float32 precision check's sentence (``estimators._target.check_resolution``) says its
figures in the target's own units, whatever the standardisation it checks in: a target of
values near 10 with a few sentinels of 99,999,999 read "its location (3.2e-17), a standard
deviation of 4.1e-07" (standardised units) and "family 'studentt''s" before.

Oracles: numpy's mean of the target (the location, to the sentence's 10 digits); the spread
the sentence names, bounded by hand: the Student-t constant model's own standard deviation
on 197 draws of N(0, 1) and 3 sentinels, at least the bulk's 1 and far below the sentinels'.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from probnn.estimators import MLPRegressor
from probnn.exceptions import PrecisionError


def test_the_sentence_speaks_in_the_targets_units():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 1)), 10.0 + rng.normal(size=200)
    y[:3] = 99_999_999.0
    with pytest.raises(PrecisionError) as caught:
        MLPRegressor(family="studentt", hidden_layer_sizes=(), solver="lbfgs",
                     random_state=0).fit(X, y)  # fmt: skip
    text = str(caught.value)
    assert "\n" not in text and "''s" not in text
    assert f"its location ({np.mean(y):.10g})" in text
    spread = float(re.search(r"constant model, ([0-9.e+-]+),", text).group(1))
    assert 1.0 <= spread <= 10.0
    moved = float(re.search(r"moves the predicted mean by ([0-9.e+-]+),", text).group(1))
    assert moved * 32 > spread  # (the reason given holds in the units given)
    assert "standardise it" not in text  # (it is standardised already)
