"""Which text in a CSV field is a missing value: an empty field and the markers programs write
for one (R's ``NA``, ``N/A``, ``NaN``, ``NULL``, ...), never an English word such as ``None``.

Failed before: every CSV was read with pandas' default markers, which since pandas 2.0 include
``None``: Cars93's ``AirBags`` label "None" (no airbags, a category) was read as missing and
imputed, and a model trained on it saw "None" at predict time as a missing value too. The oracle
is the data written: each label as written, each marker missing.
"""

from __future__ import annotations

import csv
import io
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _cli import run
from probnn._io import MISSING_MARKERS
from probnn.model_file import load_model
from probnn.tables.sources import TableSource, read_table

# R writes a missing value as NA; the rest are what pandas, NumPy, Excel and SQL tools write.
MARKERS = ["", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "#N/A", "#N/A N/A", "#NA",
           "<NA>", "NULL", "null", "-1.#IND", "1.#IND", "-1.#QNAN", "1.#QNAN"]  # fmt: skip
AIRBAGS = ["None", "Driver only", "Driver & Passenger", "none"]


@pytest.fixture
def no_report(monkeypatch):
    """``probnn fit`` without its HTML report (not what is tested here; seconds a fit)."""
    import probnn.cli.fit

    monkeypatch.setattr(probnn.cli.fit, "_write_model_report",
                        lambda model, metrics, folder, args, facts: folder)  # fmt: skip


def _write(path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _streamed(path, batch_rows: int) -> pd.DataFrame:
    return pd.concat([b.frame for b in TableSource(path, batch_rows=batch_rows).batches()])


def test_the_markers_are_the_documented_list():
    assert sorted(MISSING_MARKERS) == sorted(MARKERS)
    assert "None" not in MISSING_MARKERS and "none" not in MISSING_MARKERS


@pytest.mark.parametrize("read", ["memory", "streamed"])
def test_none_is_a_label_and_the_markers_are_missing(tmp_path, read):
    path = tmp_path / "cars.csv"
    labels = AIRBAGS * 5 + MARKERS
    numbers = [str(i) for i in range(len(AIRBAGS) * 5)] + MARKERS
    _write(path, [["AirBags", "Price"], *zip(labels, numbers)])
    frame = read_table(path) if read == "memory" else _streamed(path, batch_rows=7)
    n = len(AIRBAGS) * 5
    assert frame["AirBags"].iloc[:n].tolist() == labels[:n]
    assert frame["AirBags"].iloc[n:].isna().all()
    # a numeric column with markers stays numeric, with those cells missing
    assert pd.api.types.is_float_dtype(frame["Price"])
    np.testing.assert_array_equal(frame["Price"].iloc[:n].to_numpy(), np.arange(n, dtype=float))
    assert frame["Price"].iloc[n:].isna().all()


_LABEL = st.text(alphabet=string.ascii_letters + " /#<>-._&", min_size=1, max_size=8).filter(
    lambda s: s not in MISSING_MARKERS and s.strip().lower() not in ("true", "false")
    and not _parses_as_float(s))  # fmt: skip


def _parses_as_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(_LABEL, min_size=1, max_size=12))
@example(labels=["None", "none", "NONE", "na", "Null", " NA", "N A", "nil", "-"])
def test_labels_outside_the_markers_read_back_as_written(tmp_path, labels):
    path = tmp_path / "labels.csv"
    _write(path, [["label", "x"], *[[label, "1"] for label in labels]])
    assert read_table(path)["label"].tolist() == labels
    assert _streamed(path, batch_rows=3)["label"].tolist() == labels


def _cars(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bags = rng.choice(["None", "Driver only", "Driver & Passenger"], size=n)
    price = 10 + 5 * (bags == "Driver & Passenger") + rng.normal(size=n)
    return pd.DataFrame({"AirBags": bags, "Horsepower": rng.normal(150, 30, size=n).round(),
                         "Price": price.round(2)})  # fmt: skip


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_a_model_trained_on_the_label_none_predicts_it_as_that_label(tmp_path, capsys, stream,
                                                                    no_report):
    data = _cars(120)
    text = data.astype(str).to_numpy().tolist()
    text[3][0] = "NA"  # R's missing value: imputed, not a category
    path, model = tmp_path / "cars.csv", tmp_path / "m.safetensors"
    _write(path, [list(data.columns), *text])
    code, out, err = run(capsys, "fit", path, "--target", "Price", "--family", "normal",
                         "--hidden", "none", "--impute", "--quiet", "--stream", stream,
                         "--out", model, "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    pre = load_model(model).preprocessor
    assert pre.categories_["AirBags"] == ["Driver & Passenger", "Driver only", "None"]
    new = tmp_path / "new.csv"
    _write(new, [["AirBags", "Horsepower"], ["None", "150"], ["Driver only", "150"]])
    code, out, err = run(capsys, "predict", model, new)
    assert code == 0, err
    assert "not seen in training" not in err and "missing" not in err
    assert len(pd.read_csv(io.StringIO(out))) == 2


def test_a_class_labelled_none_is_a_class(tmp_path, capsys, no_report):
    data = _cars(90)[["Horsepower", "Price", "AirBags"]]
    path, model = tmp_path / "cars.csv", tmp_path / "m.safetensors"
    _write(path, [list(data.columns), *data.astype(str).to_numpy().tolist()])
    code, out, err = run(capsys, "fit", path, "--target", "AirBags", "--family", "categorical",
                         "--hidden", "none", "--quiet", "--out", model,
                         "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    assert sorted(load_model(model).classes) == ["Driver & Passenger", "Driver only", "None"]
    code, out, err = run(capsys, "predict", model, path)
    assert code == 0, err
    assert "p(None)" in pd.read_csv(io.StringIO(out)).columns


def test_none_in_a_numeric_column_is_named_not_guessed(tmp_path, capsys):
    # one rule for every column: "None" is text, so a numeric column holding it is refused
    # with its row, and told how a missing value is written
    path = tmp_path / "n.csv"
    _write(path, [["x", "y"], *[[str(i), str(2 * i)] for i in range(12)]])
    rows = path.read_text().splitlines()
    rows[3] = "None,4"  # data row 3
    path.write_text("\n".join(rows) + "\n")
    code, out, err = run(capsys, "fit", path, "--target", "y", "--family", "normal",
                         "--hidden", "none", "--impute", "--quiet", "--out", tmp_path / "m.st")
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert "column 'x'" in err and "data row 3" in err and "empty field or NA" in err
