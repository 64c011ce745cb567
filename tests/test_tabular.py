"""Reading tables, preprocessing, family inference and the fitted bundle."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from probnn.exceptions import DataError, DataWarning
from probnn.tables.model import TabularModel
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import read_table
from probnn.tables.targets import infer_family, regression_target, target_labels

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
needs_network = pytest.mark.skipif(
    importlib.util.find_spec("probnn.network") is None,
    reason="probnn.network (the training engine) is not in this checkout yet",
)


@pytest.fixture
def frame():
    rng = np.random.default_rng(1)
    n = 40
    return pd.DataFrame(
        {
            "x": rng.normal(3.0, 2.0, n),
            "k": rng.integers(0, 5, n),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )


# ------------------------------------------------------------------ reading
def test_csv_and_parquet_read_the_same_table(tmp_path, frame):
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.csv"), frame)
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.parquet"), frame)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", "", "empty file"),
        ("header.csv", "a,b\n", "only a header"),
        ("ragged.csv", "a,b\n1,2\n3,4,5,6\n", "readable CSV"),
        ("bad.parquet", "a,b\n1,2\n", "readable Parquet"),
    ],
)
def test_unreadable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        read_table(path)
    assert name in str(info.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="found nothing"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="folder"):
        read_table(tmp_path)


# ------------------------------------------------------------ family choice
@pytest.mark.parametrize(
    "y, family",
    [
        ([0, 1, 1, 0], "bernoulli"),
        (["yes", "no", "no"], "bernoulli"),
        ([2.5, 7.5, 2.5], "bernoulli"),
        (["a", "b", "c", "a"], "categorical"),
        ([1, 2, 3, 3, 2], "categorical"),
        (list(range(30)), "poisson"),
        ([0, 4, 17, 250, 3, 8, 9, 1, 2, 6, 12, 5], "poisson"),
        (list(range(-5, 25)), "normal"),
        ([0.1, 2.7, -3.2, 4.0], "normal"),
        ([0.5, 1.5, 2.5, 3.0], "normal"),
    ],
)
def test_infer_family(y, family):
    name, reason = infer_family(y)
    assert name == family
    assert isinstance(reason, str) and reason


def test_infer_family_ignores_missing_and_rejects_constant():
    assert infer_family(pd.Series([0.0, np.nan, 1.0]))[0] == "bernoulli"
    with pytest.raises(DataError, match="two distinct"):
        infer_family([3, 3, 3])


@pytest.mark.skipif(not (DATA / "bike-sharing" / "hour.csv").exists(),
                    reason="../shared/data/bike-sharing/hour.csv is not available")  # fmt: skip
def test_bike_sharing_counts_are_poisson():
    table = read_table(DATA / "bike-sharing" / "hour.csv")
    name, reason = infer_family(table["cnt"])
    assert name == "poisson", reason


# ------------------------------------------------------------ preprocessing
def test_numeric_columns_standardised_like_sklearn(frame):
    pre = Preprocessor().fit(frame)
    X = pre.transform(frame)
    expected = StandardScaler().fit_transform(frame[["x", "k"]].to_numpy(float))
    np.testing.assert_allclose(X[:, :2], expected, rtol=1e-12, atol=1e-12)


def test_string_columns_one_hot_like_sklearn(frame):
    pre = Preprocessor().fit(frame)
    X = pre.transform(frame)
    enc = OneHotEncoder(handle_unknown="ignore").fit(frame[["colour"]])
    np.testing.assert_array_equal(X[:, 2:], enc.transform(frame[["colour"]]).toarray())
    assert pre.feature_names_out_ == ["x", "k"] + [f"colour={c}" for c in enc.categories_[0]]
    # an unseen category encodes as all zeros, as OneHotEncoder(handle_unknown="ignore")
    # (and says so: DataWarning)
    new = frame.head(2).assign(colour=["purple", "red"])
    with pytest.warns(DataWarning, match=r"column 'colour': 1 row .*purple"):
        X_new = pre.transform(new)
    np.testing.assert_array_equal(X_new[:, 2:], enc.transform(new[["colour"]]).toarray())


def test_constant_column_keeps_unit_scale():
    pre = Preprocessor().fit(pd.DataFrame({"c": [2.0, 2.0, 2.0]}))
    np.testing.assert_array_equal(pre.transform(pd.DataFrame({"c": [2.0, 3.0]})), [[0.0], [1.0]])


def test_missing_values_named_with_counts(frame):
    frame.loc[[3, 7], "x"] = np.nan
    frame.loc[5, "colour"] = None
    with pytest.raises(DataError) as info:
        Preprocessor().fit(frame)
    message = str(info.value)
    assert "'x' (2)" in message and "'colour' (1)" in message and "--impute" in message


def test_impute_uses_training_median_and_mode(frame):
    frame.loc[[3, 7], "x"] = np.nan
    frame.loc[5, "colour"] = None
    pre = Preprocessor(impute=True).fit(frame)
    X = pre.transform(frame)
    present = frame["x"].dropna()
    median = float(np.median(present))  # oracle: numpy on the rows that are present
    expected_x = (median - present.mean()) / present.std(ddof=0)
    np.testing.assert_allclose(X[[3, 7], 0], expected_x, rtol=1e-12)
    mode = frame["colour"].value_counts().idxmax()
    assert X[5, 2 + sorted(frame["colour"].dropna().unique()).index(mode)] == 1.0


def test_non_numeric_value_in_numeric_column_named_with_rows():
    table = pd.DataFrame({"x": ["1.5", "2", "oops", "4", "n/a"]})
    with pytest.raises(DataError, match=r"column 'x'.*n/a, oops at data rows 3, 5"):
        Preprocessor().fit(table)


def test_non_numeric_value_at_predict_time(frame):
    pre = Preprocessor().fit(frame)
    new = frame.head(3).astype({"x": object})
    new.loc[1, "x"] = "abc"
    with pytest.raises(DataError, match=r"'x'.*abc at data row 2"):
        pre.transform(new)


def test_infinite_feature_rejected():
    table = pd.DataFrame({"x": [1.0, np.inf, 3.0]})
    with pytest.raises(DataError, match=r"finite.*'x'.*data row 2"):
        Preprocessor(impute=True).fit(table)


def test_missing_feature_column_at_predict_time(frame):
    pre = Preprocessor().fit(frame)
    with pytest.raises(DataError, match="'colour'"):
        pre.transform(frame.drop(columns=["colour"]))


def test_preprocessor_meta_round_trip(frame):
    frame.loc[2, "x"] = np.nan
    pre = Preprocessor(impute=True).fit(frame)
    again = Preprocessor.from_meta(pre.to_meta())
    np.testing.assert_array_equal(again.transform(frame), pre.transform(frame))


# ----------------------------------------------------------------- targets
def test_target_labels_keep_numbers_and_text():
    np.testing.assert_array_equal(target_labels(pd.Series([0.0, 1.0, 1.0]), "y"), [0, 1, 1])
    assert list(target_labels(pd.Series(["b", "a"]), "y")) == ["b", "a"]
    with pytest.raises(DataError, match=r"missing at data row 2"):
        target_labels(pd.Series(["b", None]), "y")


def test_regression_target_outside_support():
    from probnn.families import get_family

    with pytest.raises(DataError, match=r"'count'.*-2.*data row 2"):
        regression_target(pd.Series([3, -2, 5]), "count", get_family("poisson"))
    with pytest.raises(DataError, match=r"finite.*'count'.*inf at data row 1"):
        regression_target(pd.Series([np.inf, 2.0]), "count", get_family("normal"))
    with pytest.raises(DataError, match=r"numbers in target column 'count'.*many at data row 3"):
        regression_target(pd.Series(["1", "2", "many"]), "count", get_family("normal"))


# ------------------------------------------------------- the fitted bundle
@needs_network
def test_fit_save_load_predicts_identically(tmp_path, frame):
    from probnn.model_file import load_model, save_model

    rng = np.random.default_rng(2)
    frame["y"] = rng.poisson(np.exp(0.3 * frame["x"] - 0.5))
    model = TabularModel.fit(frame, "y", family="poisson", hidden=(8,), epochs=5, seed=0)
    path = save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(path)
    pd.testing.assert_frame_equal(loaded.predict_table(frame), model.predict_table(frame))
    assert loaded.family == "poisson" and loaded.target == "y"


@needs_network
def test_regression_table_matches_scipy_quantiles(frame):
    from scipy import stats

    frame["y"] = 2.0 * frame["x"] + np.random.default_rng(3).normal(size=len(frame))
    model = TabularModel.fit(frame, "y", family="normal", hidden=(8,), epochs=5, seed=0)
    table = model.predict_table(frame, coverage=0.8)
    lo = stats.norm.ppf(0.1, table["loc"], table["scale"])
    hi = stats.norm.ppf(0.9, table["loc"], table["scale"])
    np.testing.assert_allclose(table["lower"], lo, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(table["upper"], hi, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(table["prediction"], table["loc"], rtol=1e-6)


@needs_network
def test_classifier_labels_and_unknown_label(frame):
    frame["y"] = np.where(frame["x"] > 3.0, "high", "low")
    model = TabularModel.fit(frame, "y", hidden=(8,), epochs=5, seed=0)
    assert model.family == "bernoulli" and model.classes == ["high", "low"]
    table = model.predict_table(frame)
    np.testing.assert_allclose(table["p(high)"] + table["p(low)"], 1.0, rtol=1e-6)
    assert set(table["prediction"]) <= {"high", "low"}
    with pytest.raises(DataError, match=r"medium at data row 1"):
        model.encode_target(frame.head(2).assign(y=["medium", "low"]))
