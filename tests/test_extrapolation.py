"""Rows far outside the training rows' range: one warning, predictions unchanged.

The rule (:mod:`probnn.tables.extrapolation`): a value is far when it lies beyond its column's
training ``[low, high]`` by more than the width ``high - low``. Oracles: the training rows'
minimum and maximum taken here by NumPy, and that rule applied by hand to the rows predicted.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from _cli import run
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning, ExtrapolationWarning
from probnn.model_file import load_model, save_model
from probnn.tables.model import TabularModel
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource
from probnn.tables.streaming import predict_stream


def _training() -> pd.DataFrame:
    """y = x + noise, x in [-4, 4]: the hostile trial's table."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-4, 4, 300)
    return pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.5, 300)})


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(_training(), "y", family="normal", hidden=(), solver="lbfgs")
    path = tmp_path_factory.mktemp("extrap") / "m.safetensors"
    save_model(model, path)
    return path


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("probnn: warning:")]


def test_cli_predict_names_rows_far_outside_once_and_still_writes(capsys, tmp_path, model_file):
    x = _training()["x"]
    low, high = x.min(), x.max()
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": [0.0, 50.0, 3.9, -30.0]}).to_csv(new, index=False)
    out = tmp_path / "pred.csv"
    code, _, err = run(capsys, "predict", model_file, new, "--out", out)
    assert code == 0
    assert len(pd.read_csv(out)) == 4  # every row predicted, the far ones too
    said = _warnings(err)
    assert said == [
        f"probnn: warning: 2 rows lie far outside the training rows' range, beyond it by more "
        f"than its width (column 'x': 50 against {low:.6g}..{high:.6g}; first: data row 2): "
        "their predictions extrapolate what the fit learned inside it"
    ]


def test_cli_evaluate_warns_once(capsys, tmp_path, model_file):
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": [0.0, 50.0, 1.0], "y": [0.0, 50.0, 1.0]}).to_csv(new, index=False)
    code, _, err = run(capsys, "evaluate", model_file, new)
    assert code == 0
    assert len(_warnings(err)) == 1 and "1 row lies far outside" in err


def test_in_range_and_slightly_beyond_say_nothing(capsys, tmp_path, model_file):
    x = _training()["x"]
    low, high = x.min(), x.max()
    width = high - low
    new = tmp_path / "near.csv"
    # beyond the range, but by less than its width: honest new rows reach there
    pd.DataFrame({"x": [low, high, 0.0, high + 0.99 * width, low - 0.99 * width]}).to_csv(
        new, index=False)
    code, _, err = run(capsys, "predict", model_file, new)
    assert code == 0 and _warnings(err) == []


def test_a_model_file_without_the_range_predicts_the_same_silently(capsys, tmp_path, model_file):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    import probnn.model_file as mf

    arrays = load_file(model_file)
    with safe_open(str(model_file), framework="numpy") as fh:
        meta = dict(fh.metadata())
    described = json.loads(meta["model"])
    del described["preprocessing"]["range"]  # as written before the range was recorded
    meta["model"] = json.dumps(described)
    meta["sha256"] = mf._checksum(meta["model"], arrays)
    older = tmp_path / "older.safetensors"
    save_file(arrays, str(older), metadata=meta)
    assert load_model(older).preprocessor.range_ is None
    new = tmp_path / "new.csv"
    pd.DataFrame({"x": [0.0, 50.0]}).to_csv(new, index=False)
    code, old_out, err = run(capsys, "predict", older, new)
    assert code == 0 and _warnings(err) == []
    code, new_out, _ = run(capsys, "predict", model_file, new)
    assert code == 0 and new_out == old_out  # the check adds a warning, never a number


def test_python_api_warning_class_and_one_warning_per_stream(tmp_path, model_file):
    model = load_model(model_file)
    assert issubclass(ExtrapolationWarning, DataWarning)
    with pytest.warns(ExtrapolationWarning, match="1 row lies far outside"):
        model.predict_table(pd.DataFrame({"x": [1.0, -100.0]}))
    path = tmp_path / "stream.csv"
    pd.DataFrame({"x": [50.0, 0.0, 1.0, 60.0, -40.0, 2.0]}).to_csv(path, index=False)
    pieces: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        predict_stream(model, TableSource(path, batch_rows=2), pieces.append)  # 3 batches
    said = [w for w in caught if issubclass(w.category, ExtrapolationWarning)]
    assert len(said) == 1
    assert str(said[0].message).startswith("3 rows lie far outside")
    assert "column 'x': 60 against" in str(said[0].message)  # the farthest value
    assert "first: data row 1)" in str(said[0].message)


@settings(max_examples=60, deadline=None)
@given(train=st.lists(st.integers(-10**5, 10**5).map(lambda i: i / 100), min_size=2, max_size=30),
       new=st.integers(-5 * 10**5, 5 * 10**5).map(lambda i: i / 100))  # fmt: skip
# (values in hundredths: a spread of 1e-104 is refused, once standardised, for its own reason)
def test_the_rule_is_beyond_the_range_by_more_than_its_width(train, new):
    low, high = min(train), max(train)
    width = high - low
    far = new > high + width or new < low - width
    # (not within rounding of a bound, where the standardised comparison may round either way)
    assume(min(abs(new - (high + width)), abs(new - (low - width))) > 1e-9 * (1 + abs(new)))
    pre = Preprocessor().fit(pd.DataFrame({"a": train}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pre.transform(pd.DataFrame({"a": [new]}))
    assert any(issubclass(w.category, ExtrapolationWarning) for w in caught) == far


def test_a_malformed_range_in_a_model_file_is_refused():
    meta = Preprocessor().fit(pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 5.0]})).to_meta()
    assert meta["range"] == [[1.0, 2.0], [3.0, 5.0]]
    for bad in ([[1.0, 2.0]], [[2.0, 1.0], [3.0, 5.0]], [[1.0, float("nan")], [3.0, 5.0]]):
        with pytest.raises(DataError, match="training range"):
            Preprocessor.from_meta({**meta, "range": bad})
