"""The report's permutation importance on very many columns (hostile trials: 20,000 columns
gave no report in 150 s, each of F columns shuffled in turn re-reading all F).

Past ``WORK_BUDGET`` (rows x columns x predictions) columns are shuffled in groups and the
groups that raise the NLL followed down to single columns. Oracles: the law that generated
the table (only one column moves y); the exact path's own function
(:func:`probnn.parameter_importance`) on a bundled table of ordinary width.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import probnn
from probnn.data import bike_sharing_daily
from probnn.report import importance
from probnn.tables.model import TabularModel

N_FEATURES, N_ROWS, KEY = 240, 900, 157


@pytest.fixture(scope="module")
def wide_model():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(N_ROWS, N_FEATURES))
    frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(N_FEATURES)])
    frame["y"] = 3.0 * X[:, KEY] + 0.3 * rng.normal(size=N_ROWS)  # only c157 moves y
    model = TabularModel.fit(frame.iloc[:600], "y", family="normal", hidden=(), epochs=60)
    return model, frame.iloc[600:]


def _count_cells(monkeypatch, model):
    """Rows x columns each prediction (and each encoding of raw rows) reads."""
    seen = []
    estimator_predict, transform = model.estimator.predict_dist, model.preprocessor.transform

    def predict_dist(X):
        seen.append(int(np.shape(X)[0]) * int(np.shape(X)[1]))
        return estimator_predict(X)

    def transform_spy(frame):
        seen.append(int(frame.shape[0]) * len(model.preprocessor.columns_))
        return transform(frame)

    monkeypatch.setattr(model.estimator, "predict_dist", predict_dist)
    monkeypatch.setattr(model.preprocessor, "transform", transform_spy)
    return seen


def test_wide_table_stays_in_the_work_budget_and_finds_the_column(wide_model, monkeypatch):
    model, held_out = wide_model
    # a budget that 300 rows x 240 columns one at a time (5.2e7) exceeds: the wide path,
    # on 100 rows (the bound of predictions times 240 encoded columns times 100)
    from probnn.report import _importance_groups as groups

    budget = (groups.prediction_bound(N_FEATURES, importance.N_REPEATS) + 1) * N_FEATURES * 100
    monkeypatch.setattr(importance, "WORK_BUDGET", budget, raising=False)
    seen = _count_cells(monkeypatch, model)
    table = importance.importance_table(model, held_out)
    assert sum(seen) <= budget
    assert table.rows[0][0] == f"c{KEY}"
    assert table.rows[0][1] > 5 * max(abs(r[1]) for r in table.rows[1:])
    assert "groups of consecutive columns" in table.note and "100 held-out rows" in table.note


def test_groups_cover_every_column_once():
    from probnn.report._importance_groups import BRANCHES, _split

    for n in (1, 2, 15, 16, 17, 240, 20_000):
        names = [f"c{i}" for i in range(n)]
        parts = _split(names)
        assert [c for p in parts for c in p] == names
        assert len(parts) == min(BRANCHES, n)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_ordinary_width_is_the_exact_path_unchanged():
    frame = bike_sharing_daily()
    frame = frame[["temp", "hum", "windspeed", "season", "workingday", "cnt"]]
    model = TabularModel.fit(frame.iloc[:500], "cnt", family="normal", hidden=(), epochs=40)
    held_out = frame.iloc[500:]
    table = importance.importance_table(model, held_out, seed=0)
    rows = held_out.iloc[:importance.MAX_ROWS]
    exact = probnn.parameter_importance(
        model, rows, model.encode_target(rows), n_repeats=importance.N_REPEATS,
        random_state=0, features=list(model.preprocessor.columns_)).importances
    exact = exact.sort_values("nll", ascending=False)
    assert [r[0] for r in table.rows] == list(exact.index)
    assert np.array_equal(np.array([r[1:] for r in table.rows], dtype=float), exact.to_numpy())
    assert table.note.startswith("Each feature column shuffled across")


def test_few_held_out_rows_of_a_wide_table_are_encoded_once(wide_model, monkeypatch):
    """9 held-out rows x 240 columns, one at a time (721 predictions): the rows are encoded
    once and the encoded blocks shuffled, where each shuffle transformed the raw table again
    at ~33 us a column whatever the rows (a 30-row, 5,000-column table's report took an
    hour). That the numbers are the raw shuffles': test_report_importance_encoded.py."""
    model, held_out = wide_model
    rows = held_out.iloc[:9]
    seen = []
    transform = model.preprocessor.transform
    monkeypatch.setattr(model.preprocessor, "transform",
                        lambda frame: seen.append(frame.shape[0]) or transform(frame))
    table = importance.importance_table(model, rows)
    assert seen == [9]
    assert table.note.startswith("Each feature column shuffled across 9 held-out rows")
    assert table.rows[0][0] == f"c{KEY}"
