"""Columns written as percentages ("12.3%") are numbers: the number before the sign (12.3).

A feature so written was read as categories (one per value, then dropped as an identifier)
and the selection fell back to the constant model. Read as numbers it is standardised as
any numeric column: in memory and streamed alike, recorded in the model file
(``parsers_``: ``"percent"``) so a new file written the same way, or without the sign, reads
the same numbers. A target so written is read as its numbers too (``target_parser``).
Missing values among percentages are the reader's usual ones; one value that is not a
percentage ("abc") keeps the column text.

Oracles: Python's ``float`` of the text before the ``%``; the law that made the data.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning
from probnn.families import get_family
from probnn.model_file import load_model, save_model
from probnn.tables.model import TabularModel
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table
from probnn.tables.targets import TargetScan, regression_target, target_kind


def _write(path, header, rows, sep=","):
    path.write_text(sep.join(header) + "\n" + "".join(sep.join(r) + "\n" for r in rows))
    return path


def _numbers(text) -> np.ndarray:
    """The oracle: each percentage's number before the sign (NaN where missing)."""
    return np.array([float(t[:-1]) if t.endswith("%") else np.nan for t in text])


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def _rates(n: int = 60, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """A rate in percent, one decimal, and a target linear in it."""
    rng = np.random.default_rng(seed)
    rate = np.round(rng.uniform(0, 40, n), 1)
    y = np.round(1 + 0.1 * rate + rng.normal(0, 0.3, n), 3)
    return [f"{v:.1f}%" for v in rate], y


def _scanned(path, columns, batch_rows: int, impute: bool = False) -> Preprocessor:
    from _scan import scan_stream

    return scan_stream(TableSource(path, batch_rows=batch_rows), columns, impute=impute)


def test_a_percent_feature_is_read_as_the_numbers_in_memory_and_streamed(tmp_path):
    text, y = _rates()
    path = _write(tmp_path / "r.csv", ["rate", "y"], [(t, str(v)) for t, v in zip(text, y)])
    frame = read_table(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no identifier warning
        pre = Preprocessor().fit(frame[["rate"]])
    assert pre.numeric_ == ["rate"] and pre.parsers_ == {"rate": "percent"}
    x = _numbers(text)
    np.testing.assert_allclose(pre.center_, [x.mean()], rtol=1e-12)
    assert pre.range_ == [(x.min(), x.max())]
    np.testing.assert_allclose(pre.transform(frame)[:, 0], _standardised(x), rtol=1e-9, atol=1e-12)
    for rows in (1, 7, 60):
        assert _scanned(path, ["rate"], rows).to_meta() == pre.to_meta()


def test_the_model_file_reads_new_files_with_or_without_the_sign(tmp_path):
    text, _ = _rates()
    pre = Preprocessor().fit(pd.DataFrame({"rate": text}))
    pre = Preprocessor.from_meta(json.loads(json.dumps(pre.to_meta())))
    assert pre.parsers_ == {"rate": "percent"}
    new_text = ["12.5%", "-3%", "0.25%", "1e1%"]
    oracle = (_numbers(new_text) - pre.center_[0]) / pre.scale_[0]
    signed = _write(tmp_path / "s.csv", ["rate", "k"], [(t, "a") for t in new_text])
    plain = _write(tmp_path / "p.csv", ["rate", "k"], [(t[:-1], "a") for t in new_text])
    for path in (signed, plain):
        np.testing.assert_allclose(pre.transform(read_table(path))[:, 0], oracle, rtol=1e-12)
    with pytest.raises(DataError, match=r"expected percentages \(like 12\.3%, read as 12\.3\) in "
                                        r"column 'rate'; found abc at data row 2"):
        pre.transform(pd.DataFrame({"rate": ["1%", "abc"]}))


def test_a_model_file_from_before_the_percent_kind_still_loads():
    """Files written before: no "percent" among the parsers (nor any parser); an unknown
    parser is still refused."""
    old = Preprocessor().fit(pd.DataFrame({"x": [1.0, 2.0, 4.0], "k": ["a", "b", "a"]}))
    meta = json.loads(json.dumps(old.to_meta()))
    del meta["parsers"]
    assert Preprocessor.from_meta(meta).parsers_ == {}
    meta["parsers"] = [["x", "per mille"]]
    with pytest.raises(DataError, match="'percent'.*found 'per mille'"):
        Preprocessor.from_meta(meta)


def test_missing_values_among_percentages_are_missing_values(tmp_path):
    values = ["12%", "n/a", "13.1%", "", "NA", "7.5%", "20%"]
    path = _write(tmp_path / "m.csv", ["rate", "k"], [(v, "a") for v in values])
    frame = read_table(path)
    pre = Preprocessor(impute=True).fit(frame[["rate"]])
    assert pre.parsers_ == {"rate": "percent"} and pre.indicators_ == ["rate"]
    x = _numbers(values)
    present = x[~np.isnan(x)]
    assert pre.fill_["rate"] == np.median(present)
    np.testing.assert_allclose(pre.center_, [present.mean()], rtol=1e-12)
    assert _scanned(path, ["rate"], 2, impute=True).to_meta() == pre.to_meta()
    with pytest.raises(DataError, match="missing values in column.*'rate' \\(3\\)"):
        Preprocessor().fit(frame[["rate"]])


@pytest.mark.parametrize("values", [["12%", "abc", "13%"], ["12%", "13", "14%", "abc"],
                                    ["12%", "12,5%", "3%"]])
def test_a_percent_column_with_other_text_stays_text(tmp_path, values):
    path = _write(tmp_path / "t.csv", ["v", "k"], [(f'"{v}"', "a") for v in values])
    pre = Preprocessor().fit(read_table(path)[["v"]])
    assert pre.numeric_ == [] and pre.categories_ == {"v": sorted(set(values))}
    assert _scanned(path, ["v"], 1).to_meta() == pre.to_meta()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=25),
       style=st.sampled_from(["repr", "1", "3", "g"]))  # fmt: skip
@example(values=[0.0, 0.0, 1.9999999998835847], style="repr")  # pandas 2.0: an ulp away
def test_floats_written_with_a_percent_sign_read_back_equal(tmp_path_factory, values, style):
    fmt = {"repr": "{}%", "1": "{:.1f}%", "3": "{:.3f}%", "g": "{:g}%"}[style]
    text = [fmt.format(v) for v in values]
    oracle = _numbers(text)
    path = _write(tmp_path_factory.mktemp("pct") / "p.csv", ["x", "y"], [(t, t) for t in text])
    frame = read_table(path)
    np.testing.assert_array_equal(regression_target(frame["y"], "y", get_family("normal")), oracle)
    if np.unique(oracle).size > 1:
        pre = Preprocessor().fit(frame[["x"]])
        assert pre.parsers_ == {"x": "percent"}
        assert pre.range_ == [(oracle.min(), oracle.max())]
        assert _scanned(path, ["x"], 4).to_meta() == pre.to_meta()


def test_a_percent_target_is_its_numbers_recorded_in_the_model(tmp_path):
    text, y = _rates(80, 1)
    y_text = [f"{v:.3f}%" for v in y]
    path = _write(tmp_path / "t.csv", ["rate", "y"], zip(text, y_text))
    frame = read_table(path)
    assert target_kind(frame["y"])[0] == target_kind(pd.Series(y))[0] == "positive"
    scan = TargetScan(max_distinct=1000, name="y")
    for step in ("observe", "add"):
        for batch in TableSource(path, batch_rows=9).batches(["y"]):
            getattr(scan, step)(batch.frame["y"])
    assert scan.kind() == target_kind(frame["y"]) and scan.comma_reading() == "percent"
    model = TabularModel.fit(frame, "y", family="normal", hidden=(), solver="lbfgs")
    assert model.target_parser == "percent"
    model = load_model(save_model(model, tmp_path / "m.probnn"))
    assert model.target_parser == "percent" and model.preprocessor.parsers_ == {"rate": "percent"}
    np.testing.assert_array_equal(model.encode_target(frame), _numbers(y_text))
    plain = read_table(_write(tmp_path / "p.csv", ["rate", "y"],
                              [(a[:-1], b[:-1]) for a, b in zip(text, y_text)]))  # fmt: skip
    np.testing.assert_array_equal(model.encode_target(plain), _numbers(y_text))
    np.testing.assert_allclose(model.nll_rows(plain), model.nll_rows(frame), rtol=1e-12)


def test_percentages_refused_by_a_family_of_proportions_say_divide_by_100():
    """Hostile trial 10: "45.2%" is 45.2 to probnn, which Beta refuses; the line now says the
    column was read as percentages and what turns them into proportions."""
    column = pd.Series(["45.2%", "12.5%", "80%", "3.1%"], name="rate")
    with pytest.raises(DataError, match=r"holds percentages.*divide them by 100") as raised:
        regression_target(column, "rate", get_family("beta"))
    assert "\n" not in str(raised.value)
    with pytest.raises(DataError) as plain:  # numbers written without the sign: no such clause
        regression_target(pd.Series([45.2, 12.5, 80.0, 3.1], name="rate"), "rate",
                          get_family("beta"))  # fmt: skip
    assert "percentages" not in str(plain.value)
