"""What a comma in a number means, by the file's separator, and datetime columns as dates.

A ``;``-separated CSV writes decimal commas (``3,616`` is 3.616), a ``,``-separated one
thousands separators (a quoted ``"12,345"`` is 12345); a file separated by tabs or ``|``
says neither, so a column whose commas read both ways is refused. A datetime column (as
Parquet stores dates) is read as days since 1970-01-01, as ISO text is.

Oracles: Python's ``float`` on the text with its comma made a point (or removed), and
``datetime`` arithmetic for the days.
"""

from __future__ import annotations

import datetime
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError, DataWarning
from probnn.families import get_family
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table
from probnn.tables.targets import TargetScan, regression_target, target_kind

pytest.importorskip("pyarrow")


def _euro3(n: int = 60, seed: int = 0) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """x in 1..9 and y = 2x + noise, every value with exactly 3 decimals, decimal commas."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(1, 9, n), 3)
    y = np.round(2 * x + rng.normal(0, 0.3, n), 3)
    xs = [f"{v:.3f}".replace(".", ",") for v in x]
    ys = [f"{v:.3f}".replace(".", ",") for v in y]
    return xs, ys, np.array([float(t.replace(",", ".")) for t in xs]), np.array(
        [float(t.replace(",", ".")) for t in ys])


def _write(path, header, rows, sep):
    path.write_text(sep.join(header) + "\n" + "".join(sep.join(r) + "\n" for r in rows))
    return path


def _standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def _fit_scan(source: TableSource, columns) -> Preprocessor:
    """Preprocessor.scan over the source's batches (as fit_stream drives it)."""
    from _scan import scan_stream

    return scan_stream(source, columns)


# ---------------------------------------------------------------- ';' files
def test_semicolon_file_with_three_decimals_reads_decimal_commas(tmp_path):
    xs, ys, x, y = _euro3()
    path = _write(tmp_path / "euro3.csv", ["x", "y"], zip(xs, ys), ";")
    frame = read_table(path)
    pre = Preprocessor().fit(frame[["x"]])
    assert pre.parsers_ == {"x": "decimal"}
    np.testing.assert_allclose(pre.center_, [x.mean()], rtol=1e-12)
    np.testing.assert_allclose(pre.transform(frame)[:, 0], _standardised(x), rtol=1e-9, atol=1e-12)
    assert target_kind(frame["y"])[0] == "positive"
    np.testing.assert_array_equal(regression_target(frame["y"], "y", get_family("normal")), y)
    # the streamed reader, in batches of 7 rows, learns the same preprocessor and target kind
    source = TableSource(path, batch_rows=7)
    assert _fit_scan(source, ["x"]).to_meta() == pre.to_meta()
    scan = TargetScan(max_distinct=1000, name="y")
    for batch in source.batches(["y"]):
        scan.observe(batch.frame["y"])
    for batch in source.batches(["y"]):
        scan.add(batch.frame["y"])
        np.testing.assert_array_equal(
            regression_target(batch.frame["y"], "y", get_family("normal")),
            y[batch.file_start:batch.file_start + len(batch.frame)])
    assert scan.kind() == target_kind(frame["y"])


def test_semicolon_file_dotted_groups_and_leading_zero(tmp_path):
    values = ["1.234,5", "0,125", "-0,5", "12", "7,25"]
    path = _write(tmp_path / "d.csv", ["x", "k"], [(v, "a") for v in values], ";")
    frame = read_table(path)
    pre = Preprocessor().fit(frame[["x"]])
    oracle = np.array([1234.5, 0.125, -0.5, 12.0, 7.25])
    np.testing.assert_allclose(pre.transform(frame)[:, 0], _standardised(oracle), rtol=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30),
       decimals=st.integers(1, 6))  # fmt: skip
def test_floats_written_with_decimal_commas_read_back_equal(tmp_path_factory, values, decimals):
    text = [f"{v:.{decimals}f}".replace(".", ",") for v in values]
    oracle = np.array([float(t.replace(",", ".")) for t in text])
    path = _write(tmp_path_factory.mktemp("rt") / "r.csv", ["y", "k"], [(t, "a") for t in text], ";")
    frame = read_table(path)
    np.testing.assert_allclose(regression_target(frame["y"], "y", get_family("normal")), oracle,
                               rtol=1e-15, atol=0)  # fmt: skip


def test_predict_file_reads_as_the_model_read_its_training_column(tmp_path):
    """Trained where "0,5" settled the reading (a tab file), a new file whose values all
    have 3 decimals is read with the same decimal comma, not as thousands."""
    train = _write(tmp_path / "t.tsv", ["x", "k"],
                   [["0,5", "a"], ["3,25", "b"], ["7,125", "a"], ["2", "b"]], "\t")
    pre = Preprocessor().fit(read_table(train)[["x"]])
    assert pre.parsers_ == {"x": "decimal"}
    pre = Preprocessor.from_meta(json.loads(json.dumps(pre.to_meta())))
    new = _write(tmp_path / "n.csv", ["x", "k"], [['"3,616"', "a"], ['"1,250"', "b"]], ",")
    oracle = (np.array([3.616, 1.25]) - pre.center_[0]) / pre.scale_[0]
    np.testing.assert_allclose(pre.transform(read_table(new))[:, 0], oracle, rtol=1e-12)


def test_thousands_model_refuses_a_decimal_comma_file(tmp_path):
    pre = Preprocessor().fit(pd.DataFrame({"x": ["1,250", "12,345.5", "999"]}))
    assert pre.parsers_ == {"x": "thousands"}
    new = _write(tmp_path / "n.csv", ["x", "k"], [["3,616", "a"], ["2", "b"]], ";")
    with pytest.raises(DataError, match=r"'x'.*'3,616' at data row 1 in a ';'-separated file.*"
                                        r"3616 as the model reads it, 3\.616 with a decimal comma"):
        pre.transform(read_table(new))


# ---------------------------------------------------------------- ',' files
def test_comma_file_with_quoted_groups_still_reads_thousands(tmp_path):
    path = _write(tmp_path / "c.csv", ["x", "y"],
                  [['"12,345"', "1"], ['"3,616"', "2"], ['"1,000,000.5"', "3"], ["999", "4"]], ",")
    frame = read_table(path)
    pre = Preprocessor().fit(frame[["x"]])
    assert pre.parsers_ == {"x": "thousands"}
    oracle = np.array([12345.0, 3616.0, 1000000.5, 999.0])
    np.testing.assert_allclose(pre.transform(frame)[:, 0], _standardised(oracle), rtol=1e-9)


@pytest.mark.parametrize("values", [["0,125", "1,250"], ["1,500", "-0,125"], ["3,5", "12"]])
def test_decimal_comma_in_a_comma_file_is_never_thousands(tmp_path, values):
    """"0,125" was read as 125 (a first group of 0); a column of decimal commas in a ','
    file is refused, naming the value, never read as grouped numbers."""
    path = _write(tmp_path / "c.csv", ["x", "y"], [(f'"{v}"', "1") for v in values], ",")
    frame = read_table(path)
    with pytest.raises(DataError, match=r"column 'x'.*found '(0,125|-0,125|3,5)', a decimal comma"):
        Preprocessor().fit(frame[["x"]])
    with pytest.raises(DataError, match=r"decimal comma"):
        regression_target(frame["x"], "x", get_family("normal"))


# ------------------------------------------------------ tab and '|' files
@pytest.mark.parametrize("sep", ["\t", "|"])
def test_commas_that_read_both_ways_are_refused_in_a_file_that_does_not_say(tmp_path, sep):
    rows = [["3,616", "1"], ["7,471", "2"], ["5", "3"], ["-1,250", "4"]]
    path = _write(tmp_path / "a.csv", ["x", "y"], rows, sep)
    expected = (r"column 'x'; found '3,616' at data rows 1, 2, 4, 3616 with a thousands separator "
                r"or 3\.616 with a decimal comma")
    with pytest.raises(DataError, match=expected):
        Preprocessor().fit(read_table(path)[["x"]])
    with pytest.raises(DataError, match=expected):  # streamed, in pieces of 1 and 3 rows
        _fit_scan(TableSource(path, batch_rows=1), ["x"])
    with pytest.raises(DataError, match=expected):
        _fit_scan(TableSource(path, batch_rows=3), ["x"])
    # one value that contradicts a reading settles it
    for extra, kind, value in (("0,5", "decimal", 3.616), ("1,234,567", "thousands", 3616.0)):
        settled = _write(tmp_path / "s.csv", ["x", "y"], rows + [[extra, "5"]], sep)
        pre = Preprocessor().fit(read_table(settled)[["x"]])
        assert pre.parsers_ == {"x": kind}
        assert pre.transform(pd.DataFrame({"x": ["3,616"]}))[0, 0] == pytest.approx(
            (value - pre.center_[0]) / pre.scale_[0], rel=1e-12)


# ---------------------------------------------------------- datetime columns
def _days(d: datetime.datetime) -> float:
    epoch = datetime.datetime(1970, 1, 1, tzinfo=d.tzinfo and datetime.timezone.utc)
    return (d - epoch).total_seconds() / 86400.0


def test_parquet_datetime_column_reads_as_its_iso_text_does(tmp_path):
    stamps = [datetime.datetime(2020, 1, 31), datetime.datetime(2021, 10, 23, 12),
              datetime.datetime(1969, 12, 31, 18), datetime.datetime(2024, 2, 29, 6)]
    oracle = np.array([_days(d) for d in stamps])
    pd.DataFrame({"when": pd.to_datetime(stamps), "k": list("abab")}).to_parquet(tmp_path / "d.parquet")
    _write(tmp_path / "d.csv", ["when", "k"],
           [(d.strftime("%Y-%m-%d %H:%M:%S"), k) for d, k in zip(stamps, "abab")], ",")
    from_parquet = Preprocessor().fit(read_table(tmp_path / "d.parquet"))
    from_text = Preprocessor().fit(read_table(tmp_path / "d.csv"))
    assert from_parquet.numeric_ == ["when"] and from_parquet.parsers_ == {"when": "datetime"}
    np.testing.assert_allclose(from_parquet.center_, [oracle.mean()], rtol=1e-12)
    assert from_parquet.center_ == from_text.center_ and from_parquet.scale_ == from_text.scale_
    for frame in (read_table(tmp_path / "d.parquet"), read_table(tmp_path / "d.csv")):
        for pre in (from_parquet, from_text):
            np.testing.assert_allclose(pre.transform(frame)[:, 0], _standardised(oracle), rtol=1e-9)
    streamed = _fit_scan(TableSource(tmp_path / "d.parquet", batch_rows=3), ["when", "k"])
    assert streamed.to_meta() == from_parquet.to_meta()


def test_timezone_aware_datetimes_are_instants_not_unseen_categories(tmp_path):
    naive = pd.DataFrame({"when": pd.to_datetime(["2021-03-13", "2021-10-23", "2021-06-01"])})
    pre = Preprocessor.from_meta(json.loads(json.dumps(Preprocessor().fit(naive).to_meta())))
    paris = [datetime.datetime(2021, 3, 13, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
             datetime.datetime(2021, 10, 23, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))]
    aware = pd.DataFrame({"when": pd.to_datetime(["2021-03-13", "2021-10-23"]).tz_localize("Europe/Paris")})
    aware.to_parquet(tmp_path / "tz.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no "categories not seen"
        out = pre.transform(read_table(tmp_path / "tz.parquet"))[:, 0]
    oracle = (np.array([_days(d) for d in paris]) - pre.center_[0]) / pre.scale_[0]
    np.testing.assert_allclose(out, oracle, rtol=1e-12)
    fitted = Preprocessor().fit(aware)
    assert fitted.parsers_ == {"when": "datetime"}
    np.testing.assert_allclose(fitted.center_, [np.mean([_days(d) for d in paris])], rtol=1e-12)


def test_datetime_model_names_text_that_is_no_date():
    pre = Preprocessor().fit(pd.DataFrame({"when": pd.to_datetime(["2021-03-13", "2021-10-23"])}))
    with pytest.raises(DataError, match=re.escape("expected dates (a datetime column, or ISO text "
                                                  "like 2020-01-31) in column 'when'; found soon at data row 2")):
        pre.transform(pd.DataFrame({"when": ["2021-01-01", "soon"]}))


def test_chunks_of_plain_numbers_read_as_the_whole_column(tmp_path):
    """pandas reads a chunk of integers ("7", "8") as numbers: the streamed column is still
    judged by its text, as in memory (a chunk of numbers used to make it "not all text")."""
    values = ["3,616", "7", "8", "2,5", "9", "11", "0,125", "4"]
    path = _write(tmp_path / "e.csv", ["x", "k"], [(v, "a") for v in values], ";")
    in_memory = Preprocessor().fit(read_table(path)[["x"]])
    assert in_memory.parsers_ == {"x": "decimal"}
    for rows in (1, 2, 3):
        assert _fit_scan(TableSource(path, batch_rows=rows), ["x"]).to_meta() == in_memory.to_meta()
    oracle = np.array([float(v.replace(",", ".")) for v in values])
    np.testing.assert_allclose(in_memory.center_, [oracle.mean()], rtol=1e-12)


def test_parquet_date32_column_reads_as_dates(tmp_path):
    """pyarrow gives a ``date32`` column as ``datetime.date`` objects: dates, not categories."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    days = [datetime.date(2020, 1, 31), None, datetime.date(1969, 12, 30), datetime.date(2024, 2, 29)]
    pq.write_table(pa.table({"d": pa.array(days, pa.date32()), "k": list("abab")}), tmp_path / "d.parquet")
    oracle = np.array([(d - datetime.date(1970, 1, 1)).days for d in days if d is not None], float)
    pre = Preprocessor(impute=True).fit(read_table(tmp_path / "d.parquet"))
    assert pre.parsers_ == {"d": "datetime"} and pre.fill_["d"] == np.median(oracle)
    np.testing.assert_allclose(pre.center_, [oracle.mean()], rtol=1e-12)
    streamed = Preprocessor(impute=True)
    scan = streamed.scan(["d", "k"])
    for step in ("observe", "add"):
        for batch in TableSource(tmp_path / "d.parquet", batch_rows=1).batches():
            getattr(scan, step)(batch.frame)
        scan.end_kinds() if step == "observe" else scan.end_values()
    assert streamed.to_meta() == pre.to_meta()
