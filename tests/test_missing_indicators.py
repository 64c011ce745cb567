"""Imputation's missing-value indicators: a column with missing values in the training rows
gets a 0/1 feature saying which rows were filled in (as scikit-learn's
``SimpleImputer(add_indicator=True)``), so a model can learn that a filled-in row is less
certain; a column without any gets none.

Oracles: the tables written here (which cells are missing), and the law the data come from
(an imputed row's true spread is that of y given everything but the missing value).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from probnn.exceptions import DataError, DataWarning
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource


def _table() -> pd.DataFrame:
    """x and shop with gaps, k and colour without."""
    return pd.DataFrame({
        "x": [1.0, np.nan, 3.0, 4.0, np.nan, 6.0, 7.0, 8.0],
        "k": [1, 2, 3, 4, 5, 6, 7, 8],
        "shop": ["a", "b", None, "a", "b", "a", "b", "a"],
        "colour": ["r", "g", "r", "g", "r", "g", "r", "g"],
    })  # fmt: skip


def _round_trip(pre: Preprocessor) -> Preprocessor:
    return Preprocessor.from_meta(json.loads(json.dumps(pre.to_meta())))


def test_columns_with_missing_training_values_get_an_indicator():
    frame = _table()
    pre = Preprocessor(impute=True).fit(frame)
    X = pre.transform(frame)
    names = pre.feature_names_out_
    assert names[-2:] == ["missingindicator_x", "missingindicator_shop"]
    assert not any("missingindicator_k" in n or "missingindicator_colour" in n for n in names)
    assert X[:, names.index("missingindicator_x")].tolist() == [0, 1, 0, 0, 1, 0, 0, 0]
    assert X[:, names.index("missingindicator_shop")].tolist() == [0, 0, 1, 0, 0, 0, 0, 0]
    # the filled values themselves are as before: x's median, shop's most frequent value
    z = X[:, names.index("x")] * pre.scale_[0] + pre.center_[0]
    np.testing.assert_allclose(z[[1, 4]], np.median([1, 3, 4, 6, 7, 8]), rtol=1e-12)
    assert X[2, names.index("shop=a")] == 1.0


def test_indicators_round_trip_through_the_model_file(tmp_path):
    from probnn.model_file import load_model, save_model
    from probnn.tables.model import TabularModel

    frame = _table().assign(y=np.arange(8.0))
    model = TabularModel.fit(frame, "y", family="normal", hidden=(), solver="lbfgs",
                             impute=True)  # fmt: skip
    loaded = load_model(save_model(model, tmp_path / "m.safetensors"))
    assert loaded.preprocessor.indicators_ == ["x", "shop"]
    assert loaded.preprocessor.feature_names_out_ == model.preprocessor.feature_names_out_
    new = pd.DataFrame({"x": [np.nan, 2.0], "k": [3, 4], "shop": ["b", None],
                        "colour": ["r", "g"]})  # fmt: skip
    np.testing.assert_array_equal(loaded.transform(new)[:, -2:], [[1.0, 0.0], [0.0, 1.0]])
    pd.testing.assert_frame_equal(loaded.predict_table(new), model.predict_table(new),
                                  check_exact=True)  # fmt: skip


def test_model_files_without_indicators_read_as_none_and_bad_ones_are_refused():
    pre = Preprocessor(impute=True).fit(_table())
    meta = pre.to_meta()
    older = {k: v for k, v in meta.items() if k != "indicators"}  # written before indicators
    assert Preprocessor.from_meta(older).feature_names_out_ == pre.feature_names_out_[:-2]
    with pytest.raises(DataError, match="indicators"):
        Preprocessor.from_meta({**meta, "indicators": ["x", "nowhere"]})
    with pytest.raises(DataError, match="indicators"):
        Preprocessor.from_meta({**meta, "impute": False})


def test_a_table_without_missing_values_is_encoded_as_without_imputation():
    frame = _table().drop(columns=["x", "shop"])
    imputed, plain = Preprocessor(impute=True).fit(frame), Preprocessor().fit(frame)
    assert imputed.indicators_ == []
    assert "indicators" not in imputed.to_meta()  # the model file as before indicators
    np.testing.assert_array_equal(imputed.transform(frame), plain.transform(frame))


def test_streamed_scan_learns_the_same_indicators(tmp_path):
    from _scan import scan_stream

    frame = _table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    columns = list(frame.columns)
    source = TableSource(tmp_path / "t.csv", batch_rows=3)  # the gaps in different pieces
    pre = scan_stream(source, columns, impute=True)
    in_memory = Preprocessor(impute=True).fit(frame)
    assert pre.indicators_ == ["x", "shop"]
    assert pre.to_meta() == in_memory.to_meta()


def test_missing_where_training_had_none_is_filled_with_a_warning():
    pre = _round_trip(Preprocessor(impute=True).fit(_table()))
    new = pd.DataFrame({"x": [np.nan], "k": [np.nan], "shop": ["a"], "colour": [None]})
    with pytest.warns(DataWarning) as caught:
        X = pre.transform(new)
    said = [str(w.message) for w in caught]
    assert len(said) == 1
    assert "'k' (1 row, filled with the training median 4.5)" in said[0]
    assert "'colour' (1 row, encoded as no category: all zeros)" in said[0]
    assert "no missing-value indicator" in said[0] and "'x'" not in said[0]
    names = pre.feature_names_out_
    assert X[0, names.index("k")] == pytest.approx((4.5 - 4.5) / np.std(np.arange(1, 9)))
    assert X[0, names.index("missingindicator_x")] == 1.0
    with warnings.catch_warnings():  # a column with an indicator is not warned of
        warnings.simplefilter("error")
        pre.transform(new.assign(k=[2], colour=["r"]))


def _law(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """/tmp/hostile3's regna law: y = 1 + 2 x1 + 1[city = b] + 0.5 eps, x1 standard normal."""
    x1, x2 = rng.normal(size=n), rng.uniform(-1, 1, n)
    city = rng.choice(["a", "b", "c"], n).astype(object)
    y = 1 + 2 * x1 + (city == "b") + 0.5 * rng.standard_normal(n)
    return pd.DataFrame({"x1": x1, "x2": x2, "city": city, "y": y})


def test_imputed_rows_get_the_spread_of_the_unknown_value():
    """A Normal GLM models log-spread linearly in the features, so the indicator lets it
    widen the imputed rows' intervals: y given a missing x1 has sd sqrt(2^2 + 0.5^2)."""
    from probnn.tables.model import TabularModel

    rng = np.random.default_rng(11)
    train = _law(rng, 1500)
    train.loc[rng.random(1500) < 0.1, "x1"] = np.nan
    train.loc[rng.random(1500) < 0.1, "city"] = None
    model = TabularModel.fit(train, "y", family="normal", hidden=(), solver="lbfgs", impute=True)
    fresh = _law(rng, 4000)
    imputed = rng.random(4000) < 0.1
    fresh.loc[imputed, "x1"] = np.nan
    table = model.predict_table(fresh.drop(columns="y"), coverage=0.9)
    y = fresh["y"].to_numpy()
    inside = (table["lower"] <= y) & (y <= table["upper"])
    # 90% intervals; ~400 imputed rows: binomial sd 0.015, the band about 4 of them
    assert 0.84 <= inside[imputed].mean() <= 0.96
    assert 0.84 <= inside[~imputed].mean() <= 0.96
    np.testing.assert_allclose(table["scale"][imputed].median(), np.sqrt(4.25), rtol=0.15)
    np.testing.assert_allclose(table["scale"][~imputed].median(), 0.5, rtol=0.1)
    # the NLL of imputed rows is near the law's own: that of N(mean, 4.25)
    oracle = -stats.norm.logpdf(y[imputed], 1 + (fresh["city"][imputed] == "b"), np.sqrt(4.25))
    nll = -stats.norm.logpdf(y[imputed], table["loc"][imputed], table["scale"][imputed])
    assert nll.mean() - oracle.mean() < 0.05
