"""The report's permutation importance shuffles each raw column's encoded block (the rows
encoded once), not the raw table transformed again a shuffle: the same numbers, since every
encoding reads a row's own values only.

Oracle: :func:`probnn.parameter_importance`, which shuffles the raw column and transforms the
table again, with the same permutations (the same seed), on held-out rows hypothesis draws:
numbers with missing values (imputed, with an indicator), categories (some unseen in
training, some missing), ISO dates and numbers with thousands separators read from text.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import probnn
from probnn.report import importance

N_TRAIN = 120
COLORS = ["red", "green", "blue"]


def _table(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    color = rng.choice(COLORS, size=n)
    days = rng.integers(0, 400, size=n)
    money = rng.integers(0, 2_000_000, size=n)
    y = (x + (color == "red") + days / 200.0 + money / 1e6
         + np.exp(0.3 * x) * rng.normal(size=n))  # fmt: skip
    return pd.DataFrame({
        "x": x,
        "color": color,
        "day": (pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
        "money": [f"{m:,}" for m in money],
        "y": y,
    })


@pytest.fixture(scope="module")
def model():
    from probnn.tables.model import TabularModel

    frame = _table(np.random.default_rng(0), N_TRAIN)
    frame.loc[::7, "x"] = np.nan
    frame.loc[3::11, "color"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = TabularModel.fit(frame, "y", family="normal", hidden=(4,), epochs=30,
                                  impute=True)  # fmt: skip
    pre = fitted.preprocessor
    assert pre.parsers_ == {"day": "date:%Y-%m-%d", "money": "thousands"}, pre.parsers_
    assert set(pre.indicators_) == {"x", "color"}
    return fitted


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(2, 12), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_encoded_shuffles_equal_raw_shuffles(model, n, seed, data):
    rows = _table(np.random.default_rng(seed), n)
    missing_x = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    rows.loc[np.array(missing_x), "x"] = np.nan
    colors = data.draw(st.lists(st.sampled_from([*COLORS, "purple", None]), min_size=n,
                                max_size=n))  # fmt: skip
    rows["color"] = colors
    report_seed = data.draw(st.integers(0, 1000))
    features = list(model.preprocessor.columns_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen categories
        table = importance.importance_table(model, rows, seed=report_seed)
        raw = probnn.parameter_importance(model, rows, model.encode_target(rows),
                                          n_repeats=importance.N_REPEATS,
                                          random_state=report_seed, features=features)  # fmt: skip
    raw = raw.importances.sort_values("nll", ascending=False)
    assert [r[0] for r in table.rows] == list(raw.index)
    assert np.array_equal(np.array([r[1:] for r in table.rows], dtype=float), raw.to_numpy(),
                          equal_nan=True)  # fmt: skip
