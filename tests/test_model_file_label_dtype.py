"""A saved MLPClassifier answers predict() with labels of the dtype it was fitted on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.estimators import MLPClassifier
from probnn.model_file import load_model, save_model

LABELS = {
    "int32": np.array([3, 7, 9], dtype=np.int32),
    "int64": np.array([-1, 0, 5], dtype=np.int64),
    "uint8": np.array([0, 1, 200], dtype=np.uint8),
    "float64": np.array([0.0, 1.0, 2.0]),
    "bool": np.array([False, True]),
    "unicode": np.array(["a", "bb", "c"]),
    "object": np.array(["no", "yes", "maybe"], dtype=object),
}


@settings(max_examples=14, deadline=None)
@given(kind=st.sampled_from(sorted(LABELS)), seed=st.integers(0, 2**16))
def test_saved_classifier_keeps_its_label_dtype(tmp_path_factory, kind, seed):
    rng = np.random.default_rng(seed)
    labels = LABELS[kind]
    X = rng.normal(size=(40, 3))
    y = labels[rng.integers(0, labels.size, size=40)]
    if np.unique(y).size < 2:
        y[:2] = labels[:2]
    model = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("m") / "m.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    expected, found = model.predict(X), loaded.predict(X)
    assert found.dtype == expected.dtype == y.dtype
    np.testing.assert_array_equal(found, expected)
    assert loaded.classes_.dtype == model.classes_.dtype
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
