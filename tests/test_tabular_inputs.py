"""Inputs that would silently become garbage are parsed, or caught before training.

Oracles: Python's ``datetime``, ``float`` on the text without commas, numpy's
float32 limits and hand-counted rows.
"""

from __future__ import annotations

import datetime
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.targets import infer_family, regression_target, target_labels

F32_MAX = float(np.finfo(np.float32).max)


def _round_trip(pre: Preprocessor) -> Preprocessor:
    return Preprocessor.from_meta(json.loads(json.dumps(pre.to_meta())))


# ------------------------------------------------------- float32 range
def test_feature_beyond_float32_named_before_training():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "big": [1.0, 2.0, 3.0, 1e39]})
    with pytest.raises(DataError, match=r"float32.*column 'big'.*1e\+39.*data row 4"):
        Preprocessor().fit(frame)


@settings(max_examples=30, deadline=None)
@given(value=st.floats(min_value=F32_MAX * 1.0001, max_value=1e300), row=st.integers(0, 4))
def test_any_value_beyond_float32_is_caught_at_its_row(value, row):
    values = np.arange(5.0)
    values[row] = -value if row % 2 else value
    with pytest.raises(DataError, match=rf"column 'x'.*data row {row + 1}"):
        Preprocessor().fit(pd.DataFrame({"x": values}))


def test_standardised_value_beyond_float32_caught_at_predict_time():
    train = pd.DataFrame({"x": [0.0, 1e-30, 2e-30, 3e-30]})
    pre = Preprocessor().fit(train)
    z = (1e10 - np.mean(train["x"])) / np.std(train["x"])
    assert z > F32_MAX  # the oracle: numpy says 1e10 standardises beyond float32
    with pytest.raises(DataError, match=r"column 'x'.*float32.*data row 2"):
        pre.transform(pd.DataFrame({"x": [1e-30, 1e10]}))


# ---------------------------------------------------------------- dates
def test_iso_dates_become_days_since_1970():
    dates = ["2020-01-01", "1969-12-31", "2000-02-29", None, "2024-07-15"]
    frame = pd.DataFrame({"when": dates, "k": [1.0, 2.0, 3.0, 4.0, 5.0]})
    pre = Preprocessor(impute=True).fit(frame)
    epoch = datetime.date(1970, 1, 1)
    days = np.array([(datetime.date.fromisoformat(d) - epoch).days for d in dates if d], float)
    assert days.tolist() == [18262.0, -1.0, 11016.0, 19919.0]
    X = pre.transform(frame)
    assert pre.feature_names_out_ == ["when", "k", "missingindicator_when"]
    expected = (np.array([days[0], days[1], days[2], np.median(days), days[3]]) - days.mean()) / days.std()
    np.testing.assert_allclose(X[:, 0], expected, rtol=1e-12)
    assert X[:, 2].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]  # the missing date's row
    # the model file remembers the parsing, so predict does the same
    np.testing.assert_array_equal(_round_trip(pre).transform(frame), X)


def test_iso_datetimes_keep_the_time_of_day():
    frame = pd.DataFrame({"t": ["2020-01-01 00:00:00", "2020-01-01 12:00:00", "2020-01-03 06:00:00"]})
    pre = Preprocessor().fit(frame)
    days = np.array([18262.0, 18262.5, 18264.25])
    np.testing.assert_allclose(pre.transform(frame)[:, 0], (days - days.mean()) / days.std(), rtol=1e-12)


def test_non_date_at_predict_time_named():
    pre = Preprocessor().fit(pd.DataFrame({"when": ["2020-01-01", "2020-02-01"]}))
    with pytest.raises(DataError, match=r"dates.*column 'when'.*soon at data row 2"):
        _round_trip(pre).transform(pd.DataFrame({"when": ["2020-03-01", "soon"]}))


def test_mixed_date_formats_are_not_guessed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pre = Preprocessor().fit(pd.DataFrame({"when": ["2020-01-01", "01/02/2020", "2020-03-01"]}))
    assert pre.numeric_ == [] and len(pre.categories_["when"]) == 3


# -------------------------------------------------- thousands separators
@settings(max_examples=40, deadline=None)
@given(numbers=st.lists(st.integers(-10**9, 10**9), min_size=2, max_size=12))
@example(numbers=[0, 1, 1, 1, 100, 100, 100, 100])  # a positive bulk spanning 400: read as log x
def test_thousands_separated_numbers_parse_as_numbers(numbers):
    text = [f"{v:,}" for v in numbers]
    text[0] = f"{numbers[0]:,}.25" if numbers[0] >= 0 else text[0]
    oracle = np.array([float(t.replace(",", "")) for t in text])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the log rule's one line, where it fires
        pre = Preprocessor().fit(pd.DataFrame({"price": text}))
    assert pre.numeric_ == ["price"]
    # a skewed positive column is read as log x (tables.log_scale): then the parsed numbers'
    # logs are what is standardised
    assert pre.logged_ in ([], ["price"]) and (not pre.logged_ or oracle.min() > 0)
    oracle = np.log(oracle) if pre.logged_ else oracle
    scale = oracle.std() if oracle.std() > 0 else 1.0
    np.testing.assert_allclose(pre.transform(pd.DataFrame({"price": text}))[:, 0],
                               (oracle - oracle.mean()) / scale, rtol=1e-9, atol=1e-9)  # fmt: skip


def test_thousands_target_is_a_number():
    y = pd.Series(["1,200.5", "3,400", "12,345", "999", "1,000,000.75"] * 5)
    oracle = np.array([1200.5, 3400.0, 12345.0, 999.0, 1000000.75] * 5)
    assert infer_family(y)[0] == "normal"
    from probnn.families import get_family

    np.testing.assert_array_equal(regression_target(y, "y", get_family("normal")), oracle)
    labels = target_labels(pd.Series(["1,000", "2,000", "1,000"]), "y")
    assert labels.tolist() == [1000, 2000, 1000]


# ------------------------------------------------------------- warnings
def test_id_like_column_warns_once_in_one_line():
    # one value twice: not every value distinct, so kept (test_identifier_columns.py: dropped)
    ids = [f"u{i:04d}" for i in range(29)] + ["u0000"]
    frame = pd.DataFrame({"id": ids, "x": np.arange(30.0)})
    with pytest.warns(DataWarning, match=r"column 'id'.*29 distinct values in 30 rows") as record:
        Preprocessor().fit(frame)
    assert len([w for w in record if w.category is DataWarning]) == 1
    assert "\n" not in str(record[0].message)


def test_few_distinct_strings_do_not_warn():
    frame = pd.DataFrame({"c": ["a", "b"] * 30})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        Preprocessor().fit(frame)


def test_unseen_categories_and_numbers_warn_at_predict_time():
    pre = Preprocessor().fit(pd.DataFrame({"colour": ["red", "blue", "red"]}))
    new = pd.DataFrame({"colour": ["red", "purple", "7", "purple"]})
    with pytest.warns(DataWarning, match=r"column 'colour'.*3 rows.*not seen in training.*1 of them.*number"):
        X = pre.transform(new)
    np.testing.assert_array_equal(X, [[0, 1], [0, 0], [0, 0], [0, 0]])
    with warnings.catch_warnings():  # the same rows again (metrics, then the report): said once
        warnings.simplefilter("error", DataWarning)
        pre.transform(new)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        pre.transform(pd.DataFrame({"colour": ["blue"]}))
