"""The log rule for numeric features (probnn.tables.log_scale): a positive column spanning orders
of magnitude is read as log x, by a decision computed the same in memory and in pieces, with the
guard for exact powers of another column; the model file records it (older files read as
before), and a value <= 0 at prediction is read as the training minimum with a warning.
Oracles: numpy's corrcoef / mean / std of log x worked on the whole column, the law that made
the columns (x**2 of another column; a copy), and the in-memory fit against the streamed one.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning
from probnn.tables.log_scale import RESID_SD_MIN, LogScan
from probnn.tables.preprocessing import Preprocessor


def _resid_sd_by_hand(x: np.ndarray) -> float:
    logs = np.log(x)
    r = np.corrcoef(x, logs)[0, 1]
    return float(logs.std() * np.sqrt(1.0 - r * r))


def _fit(frame: pd.DataFrame, **kw) -> Preprocessor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return Preprocessor(**kw).fit(frame)


def _skewed(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    exper = rng.integers(1, 50, n).astype(float)
    return pd.DataFrame({"body": np.exp(rng.normal(0.0, 3.0, n)),  # ~8 orders of magnitude
                         "exper": exper, "expersq": exper ** 2,  # a hand-made square
                         "u": rng.normal(size=n)})  # fmt: skip


def test_resid_sd_is_the_part_of_log_x_no_line_in_x_explains():
    frame = _skewed()
    scan = LogScan(list(frame.columns))
    scan.update(frame.to_numpy(float))
    spread = scan.finish().resid_sd()
    for j, name in enumerate(frame.columns[:3]):
        assert spread[j] == pytest.approx(_resid_sd_by_hand(frame[name].to_numpy()), rel=1e-9)
    assert np.isnan(spread[3])  # u has values <= 0: never logged


def test_the_rule_logs_the_wide_column_and_guards_the_square():
    frame = _skewed()
    assert _resid_sd_by_hand(frame["expersq"].to_numpy()) >= RESID_SD_MIN  # it would trigger
    pre = _fit(frame)
    assert pre.logged_ == ["body"]  # expersq = exper**2 stays raw (exper: 1..49, no trigger)
    logs = np.log(frame["body"].to_numpy())
    X = pre.transform(frame)
    np.testing.assert_allclose(X[:, 0], (logs - logs.mean()) / logs.std(), rtol=1e-12)
    assert pre.range_[0] == pytest.approx((logs.min(), logs.max()))
    np.testing.assert_array_equal(X[:, 1:], Preprocessor().fit(frame[["exper", "expersq", "u"]])
                                  .transform(frame[["exper", "expersq", "u"]]))  # fmt: skip


def test_a_rescaled_copy_is_logged_with_its_column():
    frame = _skewed()[["body"]].assign(grams=lambda f: 1000.0 * f["body"])  # power 1
    assert _fit(frame).logged_ == ["body", "grams"]


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 299), max_size=6), block=st.integers(5, 80))
def test_pieces_give_the_decision_and_sums_bit_for_bit(cuts, block):
    frame = _skewed()
    values = frame.to_numpy(float).copy()
    values[::17, 0] = np.nan  # missing values
    whole, pieces = LogScan(list(frame.columns)), LogScan(list(frame.columns))
    whole.block_rows = pieces.block_rows = block
    whole.update(values)
    for part in np.split(values, sorted(set(cuts))):
        pieces.update(part)
    whole.finish(), pieces.finish()
    for a, b in zip(whole._sums, pieces._sums):
        np.testing.assert_array_equal(a, b)
    assert whole.chosen() == pieces.chosen() == ["body"]
    assert whole.log_moments[0].mean == pieces.log_moments[0].mean


def test_model_meta_round_trip_and_older_files():
    pre = _fit(_skewed())
    meta = pre.to_meta()
    assert meta["log"] == ["body"]
    again = Preprocessor.from_meta(meta)
    np.testing.assert_array_equal(again.transform(_skewed()), pre.transform(_skewed()))
    # a table the rule leaves: no field, the file as before; a file without it reads as none
    plain = _fit(_skewed()[["exper", "u"]]).to_meta()
    assert "log" not in plain
    assert Preprocessor.from_meta(plain).logged_ == []
    with pytest.raises(DataError, match="log"):
        Preprocessor.from_meta({**meta, "log": ["nope"]})


def test_a_value_not_above_zero_later_is_read_as_the_training_minimum():
    frame = _skewed()
    pre = _fit(frame)
    rows = frame.head(3).copy()
    rows.loc[1, "body"] = 0.0
    with pytest.warns(DataWarning, match="'body'.*training minimum"):
        X = pre.transform(rows)
    low = np.log(frame["body"].min())
    assert X[1, 0] == pytest.approx((low - pre.center_[0]) / pre.scale_[0])
    assert X[1, 0] == pytest.approx(pre.transform(frame)[frame["body"].argmin(), 0])


def test_streamed_and_in_memory_fits_read_the_same_log_column(tmp_path, capsys):
    from probnn.cli import main
    from probnn.model_file import load_model

    rng = np.random.default_rng(3)
    frame = _skewed(400, seed=3)
    frame["body"] = frame["body"].where(rng.random(400) > 0.05)  # missing values, imputed
    frame["y"] = rng.gamma(4.0, np.nan_to_num(frame["body"], nan=1.0) ** 0.5 / 4.0)
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    predictions = {}
    for stream in ("no", "yes"):
        out = tmp_path / f"{stream}.safetensors"
        code = main(["fit", str(data), "--target", "y", "--family", "gamma", "--hidden", "4",
                     "--epochs", "5", "--impute", "--quiet", "--seed", "1", "--stream", stream,
                     "--out", str(out)])  # fmt: skip
        _, err = capsys.readouterr()
        assert code == 0, err
        assert "'body' read as log(x)" in err
        assert load_model(out).preprocessor.logged_ == ["body"]
        assert main(["predict", str(out), str(data)]) == 0
        predictions[stream] = pd.read_csv(io.StringIO(capsys.readouterr()[0]))
    for column in predictions["no"].columns:
        a, b = predictions["no"][column], predictions["yes"][column]
        np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-6)
