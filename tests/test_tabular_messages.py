"""Messages about tables that fit the command line: what to do, with the options it has."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from probnn.exceptions import DataError
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import read_table
from probnn.tables.targets import infer_family


def test_missing_values_at_predict_time_do_not_suggest_impute():
    pre = Preprocessor().fit(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    with pytest.raises(DataError) as info:
        pre.transform(pd.DataFrame({"x": [1.0, np.nan]}))
    message = str(info.value)
    assert "trained without imputation" in message and "'x' (1)" in message
    assert "retrain" in message and "pass --impute" not in message


def test_missing_values_at_fit_time_still_suggest_impute():
    with pytest.raises(DataError, match=r"'x' \(1\).*--impute"):
        Preprocessor().fit(pd.DataFrame({"x": [1.0, np.nan, 3.0]}))


@pytest.mark.parametrize("sep", [";", "\t", "|", ","])
def test_separator_is_sniffed(tmp_path, sep):
    rows = [["a", "b", "y"], ["1.5", "x", "3"], ["2", "z", "4"], ["7", "x", "5"]]
    path = tmp_path / "t.csv"
    path.write_text("\n".join(sep.join(r) for r in rows) + "\n")
    frame = read_table(path)
    assert list(frame.columns) == ["a", "b", "y"]
    assert frame["a"].tolist() == [1.5, 2.0, 7.0] and frame["b"].tolist() == ["x", "z", "x"]


def test_separator_can_be_given(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1,5;2\n3;4\n")
    frame = read_table(path, sep=";")
    assert list(frame.columns) == ["a", "b"] and frame["a"].tolist() == ["1,5", "3"]


def test_commas_inside_quotes_do_not_fool_the_sniffer(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('name,y\n"a;b;c",1\n"d;e",2\n')
    assert list(read_table(path).columns) == ["name", "y"]


def test_single_class_target_shows_the_plain_value():
    with pytest.raises(DataError, match=r"found only 1$") as info:
        infer_family(np.array([1, 1, 1], dtype=np.int64))
    assert "np." not in str(info.value)
    with pytest.raises(DataError, match=r"found only yes$"):
        infer_family(pd.Series(["yes", "yes"]))


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_csv(path)  # never read: the engine import fails first
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "fastparquet", None)
    with pytest.raises(DataError, match=r"pip install 'probnn\[parquet\]'"):
        read_table(path)


@pytest.mark.parametrize("impute", [False, True])
def test_all_missing_column_says_drop_it(impute):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "empty": [np.nan] * 3, "y": [np.nan, 1.0, 2.0]})
    with pytest.raises(DataError, match=r"column 'empty' has no values; drop it with --drop empty"):
        Preprocessor(impute=impute).fit(frame)
