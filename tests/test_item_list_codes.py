"""A code column of item lists (``1,2``: items 1 and 2) in a file of decimal commas
(hostile trials: read as the number 1.2).

The rule (``probnn.tables.columns._ItemLists``): a column the decimal-comma grammar fits is
text when every value with a comma is a sorted pair of whole numbers without a leading zero,
every other value a whole number, and some number stands first in one value and second in
another (items of one set). Oracles: how each file was written (the codes as categories, the
decimal numbers as Python's ``float`` of the text with its comma made a point).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning
from probnn.tables import columns
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table

CODES = {
    "pairs": ["1,2", "2,3", "1,3", "3,4", "2,4"],
    "items and pairs": ["1", "2", "1,2", "3", "2,3"],
    "wider items": ["10,12", "2,10", "12,15", "3"],
    "pairs and triples": ["1,2", "1,2,3", "2", "2,3", "1"],
}
NUMBERS = {
    "varied decimals": ["1,25", "3,5", "0,125", "12,75", "2,0"],
    "one decimal": ["1,2", "3,5", "0,1", "2,9", "4,4"],
    "heights": ["1,65", "1,72", "1,80", "1,58", "1,91"],
    "half steps": ["1,5", "2,5", "3,5", "4,5", "2"],
    "leading zero": ["0,5", "1,5", "5,6", "1,05"],
    "negative": ["-1,2", "2,3", "1,3"],
}


def _file(tmp_path, values, sep=";", name="f.csv", n=40):
    rng = np.random.default_rng(0)
    cell = (lambda v: f'"{v}"') if sep == "," else (lambda v: v)
    lines = [f"code{sep}y"] + [f"{cell(values[i % len(values)])}{sep}{rng.integers(0, 9)}"
                               for i in range(n)]  # fmt: skip
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(autouse=True)
def _fresh_warnings():
    columns._forget_said()
    yield
    columns._forget_said()


@pytest.mark.parametrize("case", list(CODES))
def test_code_columns_are_categories(tmp_path, case):
    values = CODES[case]
    path = _file(tmp_path, values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pre = Preprocessor().fit(read_table(path)[["code"]])
    assert pre.numeric_ == [] and "code" not in pre.parsers_
    assert sorted(pre.categories_["code"]) == sorted(values)
    said = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    if case != "pairs and triples":  # (that one fits no number grammar: text as before)
        assert len(said) == 1 and "column 'code' read as text" in said[0]
    # streamed in chunks, the same reading
    for rows in (1, 3):
        scan = _scan(TableSource(path, batch_rows=rows))
        assert scan.to_meta() == pre.to_meta()


def _scan(source):
    from _scan import scan_stream

    return scan_stream(source, ["code"])


@pytest.mark.parametrize("case", list(NUMBERS))
def test_decimal_numbers_stay_numbers(tmp_path, case):
    values = NUMBERS[case]
    path = _file(tmp_path, values)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        # (0,125 to 12,75 spans two decades: read as log x, probnn.tables.log_scale)
        warnings.filterwarnings("ignore", "column 'code' read as log", DataWarning)
        frame = read_table(path)
        pre = Preprocessor().fit(frame[["code"]])
    assert pre.parsers_ == {"code": "decimal"}
    oracle = np.array([float(values[i % len(values)].replace(",", ".")) for i in range(40)])
    assert pre.logged_ == (["code"] if case == "varied decimals" else [])
    oracle = np.log(oracle) if pre.logged_ else oracle
    np.testing.assert_allclose(pre.transform(frame)[:, 0],
                               (oracle - oracle.mean()) / oracle.std(), rtol=1e-9)  # fmt: skip
    assert _scan(TableSource(path, batch_rows=2)).to_meta() == pre.to_meta()


def test_quoted_codes_in_a_comma_file_are_categories_not_refused(tmp_path):
    # a ',' file's "1,2" was refused as a decimal comma; item lists are text in any file
    path = _file(tmp_path, CODES["pairs"], sep=",")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        pre = Preprocessor().fit(read_table(path)[["code"]])
    assert sorted(pre.categories_["code"]) == sorted(CODES["pairs"])


def test_a_code_column_is_a_category_at_predict_time(tmp_path):
    frame = read_table(_file(tmp_path, CODES["items and pairs"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        pre = Preprocessor().fit(frame[["code"]])
        encoded = pre.transform(pd.DataFrame({"code": ["1,2", "3", "2,3"]}))
    names = pre.feature_names_out_
    hot = [names[i] for i in encoded.argmax(axis=1)]
    assert hot == ["code=1,2", "code=3", "code=2,3"]


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["1,2", "2,3", "1,3", "3", "12", "0,5", "3,2", "1,25", "-1",
                                 "2,10", "10,12", "7"]), min_size=1, max_size=12),
       st.integers(1, 4))  # fmt: skip
def test_streamed_chunks_read_codes_as_the_whole_column(tmp_path_factory, values, batch):
    # whatever the mix, the streamed scan (chunks of `batch` rows, some read by pandas as
    # plain numbers) decides as the whole column does
    path = _file(tmp_path_factory.mktemp("s"), values, n=len(values))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            whole = Preprocessor().fit(read_table(path)[["code"]]).to_meta()
        except DataError as e:
            whole = type(e)
        try:
            streamed = _scan(TableSource(path, batch_rows=batch)).to_meta()
        except DataError as e:
            streamed = type(e)
    assert streamed == whole
