"""A saved TabularModel predicts exactly what it predicted in memory, for any table.

The oracle is the in-memory model itself: the loaded model (through the API or
through ``probnn fit`` / ``probnn predict``) must give bit-identical
``predict_table`` output on the same rows.
"""

from __future__ import annotations

import importlib.util
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.tables.model import TabularModel
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import read_table
from probnn.tables.targets import infer_family

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("probnn.network") is None,
    reason="probnn.network (the training engine) is not in this checkout yet",
)

# String columns whose names sort in another order than their position in the table.
_STRING_COLUMNS = ["zone", "animal", "mood"]
_WORDS = ["red", "green", "blue", "amber", "x"]


@st.composite
def tables(draw):
    """A mixed-type table with a target ``y`` and whether it needs ``impute``."""
    n = draw(st.integers(20, 36))
    n_strings = draw(st.integers(2, 3))
    impute = draw(st.booleans())
    target = draw(st.sampled_from(["text", "int", "real"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns: dict[str, object] = {}
    names = _STRING_COLUMNS[:n_strings]
    # interleave numbers and booleans between the string columns
    columns[names[0]] = rng.choice(_WORDS, n).astype(object)
    columns["num"] = rng.normal(5.0, 3.0, n)
    columns[names[1]] = rng.choice(_WORDS[::-1], n).astype(object)
    columns["flag"] = rng.random(n) < 0.5
    if n_strings == 3:
        columns[names[2]] = rng.choice(["a", "b", "c", "d"], n).astype(object)
    columns["count"] = rng.integers(0, 50, n)
    frame = pd.DataFrame(columns)
    for name in names:  # every string column holds at least two words, never only numbers
        frame.loc[0, name], frame.loc[1, name] = "red", "blue"
    if impute:
        for name in [*names, "num"]:
            holes = rng.random(n) < 0.15
            holes[:2] = False  # never a column of only missing values
            frame.loc[holes, name] = np.nan
    if target == "text":
        labels = np.array(["yes", "no", "maybe"], dtype=object)[np.arange(n) % 3]
    elif target == "int":
        labels = np.arange(n) % draw(st.integers(2, 3))
    else:
        labels = frame["num"].fillna(0.0).to_numpy() + rng.normal(size=n)
    frame["y"] = rng.permutation(labels)
    return frame, impute


def _fit(frame: pd.DataFrame, impute: bool) -> TabularModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TabularModel.fit(frame, "y", hidden=(4,), epochs=3, seed=0, impute=impute)


def test_string_columns_keep_their_order_in_the_model_file(tmp_path):
    """Two string columns whose names sort in reverse: the one-hot blocks must not swap."""
    from probnn.model_file import load_model, save_model

    rng = np.random.default_rng(0)
    n = 30
    frame = pd.DataFrame({
        "zebra": rng.choice(["a", "b", "c"], n),
        "apple": rng.choice(["p", "q"], n),
        "y": rng.normal(size=n),
    })  # fmt: skip
    model = _fit(frame, impute=False)
    loaded = load_model(save_model(model, tmp_path / "m.safetensors"))
    assert loaded.preprocessor.feature_names_out_ == model.preprocessor.feature_names_out_
    np.testing.assert_array_equal(loaded.transform(frame), model.transform(frame))
    pd.testing.assert_frame_equal(loaded.predict_table(frame), model.predict_table(frame), check_exact=True)


def test_preprocessor_reads_categories_of_older_files_in_column_order():
    """Files written before categories became a list hold them as a key-sorted dict."""
    frame = pd.DataFrame({"zebra": ["a", "b"], "num": [1.0, 2.0], "apple": ["p", "q"]})
    pre = Preprocessor().fit(frame)
    meta = pre.to_meta()
    meta["categories"] = {"apple": ["p", "q"], "zebra": ["a", "b"]}  # what sort_keys wrote
    old = Preprocessor.from_meta(json.loads(json.dumps(meta, sort_keys=True)))
    assert old.feature_names_out_ == ["num", "zebra=a", "zebra=b", "apple=p", "apple=q"]
    np.testing.assert_array_equal(old.transform(frame), pre.transform(frame))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_saved_model_predicts_bit_identically(tmp_path, table):
    from probnn.model_file import load_model, save_model

    frame, impute = table
    model = _fit(frame, impute)
    loaded = load_model(save_model(model, tmp_path / "m.safetensors"))
    assert loaded.classes == model.classes
    assert [type(c) for c in loaded.classes or []] == [type(c) for c in model.classes or []]
    pd.testing.assert_frame_equal(loaded.predict_table(frame), model.predict_table(frame), check_exact=True)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables())
def test_cli_fit_then_predict_matches_the_in_memory_model(tmp_path, table):
    from probnn.cli import main, split_rows

    frame, impute = table
    csv, model_path, preds = tmp_path / "t.csv", tmp_path / "m.safetensors", tmp_path / "p.csv"
    frame.to_csv(csv, index=False)
    extra = ["--impute"] if impute else []
    # the type rule's family, as the oracle below (no selection by held-out NLL)
    extra += ["--family", infer_family(read_table(csv)["y"])[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["fit", str(csv), "--target", "y", "--out", str(model_path), "--report",
                     str(tmp_path / "report"), "--hidden", "4", "--epochs", "3", "--seed", "0",
                     "--quiet", *extra])  # fmt: skip
    assert code == 0
    assert main(["predict", str(model_path), str(csv), "--out", str(preds)]) == 0

    # the oracle: the same split and fit in memory, as _cmd_fit does them
    table_read = read_table(csv)
    family, _ = infer_family(table_read["y"])
    train, _ = split_rows(table_read.shape[0], 0)
    # early stopping's rows by the row hash, as a streamed fit's (issue 21)
    from probnn.tables.model import early_stopping_fraction, estimator_settings
    from probnn.tables.split import VALIDATION, row_parts

    fraction = early_stopping_fraction(family, train.size,
                                       estimator_settings(family, (4,), 3, {"solver": "adam"}))  # fmt: skip
    validation = (row_parts(train.astype(np.uint64), 0, 0.2, fraction) == VALIDATION
                  if fraction else None)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(table_read.iloc[train], "y", family=family, hidden=(4,),
                                 epochs=3, seed=0, impute=impute, validation=validation)  # fmt: skip
    expected = model.predict_table(table_read)
    # (round_trip: the 17 significant digits read back bit for bit; the default parser of
    # older pandas, 2.0 at least, can be one ulp off)
    got = pd.read_csv(preds, dtype={"prediction": str}, float_precision="round_trip")
    assert list(got.columns) == list(expected.columns)
    if model.is_classifier:
        assert got["prediction"].tolist() == [str(v) for v in expected["prediction"]]
    else:
        np.testing.assert_array_equal(got["prediction"].to_numpy(float), expected["prediction"].to_numpy(float))
    for name in expected.columns[1:]:
        np.testing.assert_array_equal(got[name].to_numpy(np.float64), expected[name].to_numpy(np.float64))
