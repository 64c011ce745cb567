"""A table's class labels go through the estimators' one label encoder.

Oracle: scikit-learn's ``LabelEncoder`` on the same labels, and the model file's JSON round
trip of the classes (numbers stay numbers, text stays text).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import LabelEncoder

from probnn.exceptions import DataError
from probnn.tables.targets import _class_indices, _labels_to_json, target_labels

LABELS = st.one_of(
    st.lists(st.integers(-3, 3), min_size=1, max_size=30),
    st.lists(st.sampled_from([0.0, 1.0, 2.0, -1.0]), min_size=1, max_size=30),
    st.lists(st.sampled_from(["a", "b", "B", "10", "9", "é"]), min_size=1, max_size=30),
    st.lists(st.booleans(), min_size=1, max_size=30),
)


@settings(max_examples=80, deadline=None)
@given(LABELS, st.data())
def test_class_indices_match_label_encoder_after_the_model_files_round_trip(values, data):
    labels = target_labels(pd.Series(values), "y")
    classes = np.unique(labels)
    stored = json.loads(json.dumps(_labels_to_json(classes)))  # as a model file keeps them
    expected = LabelEncoder().fit(labels).transform(labels)
    np.testing.assert_array_equal(_class_indices(labels, classes, "y"), expected)
    np.testing.assert_array_equal(_class_indices(labels, stored, "y"), expected)
    # rows drawn from the training labels encode the same way after the round trip
    rows = data.draw(st.lists(st.sampled_from(values), min_size=1, max_size=10))
    new = target_labels(pd.Series(rows), "y")
    if new.dtype == labels.dtype or (new.dtype != object and labels.dtype != object):
        np.testing.assert_array_equal(_class_indices(new, stored, "y"),
                                      LabelEncoder().fit(labels).transform(new))  # fmt: skip


def test_unknown_labels_name_the_column_the_values_and_the_rows():
    stored = ["high", "low"]
    with pytest.raises(DataError, match=r"target column 'grade'.*found medium at data row 2"):
        _class_indices(np.array(["low", "medium"], dtype=object), stored, "grade")
    # 1 and 1.0 are the same class; 1.5 is none of them
    np.testing.assert_array_equal(_class_indices(np.array([1.0, 0.0]), [0, 1], "y"), [1, 0])
    with pytest.raises(DataError, match=r"found 1.5 at data row 1"):
        _class_indices(np.array([1.5, 0.0]), [0, 1], "y")


def test_text_never_matches_numbers():
    # trained on 0 / 1, given the text "1": unknown (it used to be looked up as a JSON key)
    with pytest.raises(DataError, match=r"labels must be among the classes of target column "
                                        r"'y' seen in training \[0, 1\]; found .* at data rows 1, 2"):
        _class_indices(np.array(["1", "x"], dtype=object), [0, 1], "y")
    with pytest.raises(DataError, match=r"found 1 at data row 1"):
        _class_indices(np.array([1]), ["0", "1"], "y")
