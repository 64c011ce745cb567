"""Class labels are one spelling however a chunk of the target is read.

Streamed, a table is read in chunks, and pandas reads a chunk by what it holds: a class
target whose labels are words and numbers ("a", "b", "0") has chunks of only "0" read as the
number 0 beside chunks of text, and the streamed fit crashed in ``np.unique`` (str against
int) where the same table fitted in memory. Now a target that holds text has text labels,
each number spelt as a text column's levels are (``level_text``: "0" for 0, 0.0 and "0.0",
"2.5" for "2.50", "7" for "007"), in memory and streamed, in the fit and in ``encode_target``
(a model's text classes read a file of only numbers as text labels); a model file written
before, whose classes spell a number as it was written ("2.0"), still scores its own table.

Oracles: the classes as the distinct labels written, each number by Python's ``int`` /
``float`` of its text, sorted (or in the order of ``--levels``); the in-memory fit's model
file, which the streamed fit of the same table must equal byte for byte.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _cli import run
from _number_text import NUMBERS, number_text
from probnn.exceptions import DataWarning
from probnn.model_file import load_model, save_model
from probnn.tables.model import TabularModel
from probnn.tables.sources import TableSource, read_table
from probnn.tables.streaming import fit_stream
from probnn.tables.targets import column_classes

WORDS = ["a", "b", "DK", "True", "False"]


def _write(path, labels) -> None:
    x = np.round(np.sin(np.arange(len(labels))), 4)
    path.write_text("x,y\n" + "".join(f"{v},{t}\n" for v, t in zip(x, labels)))


def test_a_chunk_of_number_labels_beside_text_labels_fits_streamed(tmp_path):
    """The defect's table: labels a / b, and rows 4-6 (a chunk of three) all "0"."""
    labels = list(np.random.default_rng(0).choice(["a", "b"], 40))
    labels[3:6] = ["0", "0", "0"]
    path = tmp_path / "t.csv"
    _write(path, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = fit_stream(TableSource(path, batch_rows=3), "y", family="categorical",
                              hidden=(3,), epochs=2)  # fmt: skip
    assert model.classes == ["0", "a", "b"]
    # the chunk read as numbers is encoded as its text: class 0
    np.testing.assert_array_equal(model.encode_target(pd.DataFrame({"y": [0, 0]})), [0, 0])


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@pytest.mark.parametrize("family, written, levels, classes", [
    ("categorical", ["a", "b", "0"], None, ["0", "a", "b"]),
    ("bernoulli", ["yes", "0"], None, ["0", "yes"]),
    ("ordinal", ["low", "1", "2.0"], "low,1,2.0", ["low", "1", "2"]),
])  # fmt: skip
def test_cli_streamed_and_in_memory_fits_write_one_model_file(tmp_path, capsys, family,
                                                              written, levels, classes):  # fmt: skip
    rng = np.random.default_rng(1)
    labels = list(rng.choice(written, 36))
    labels[0:3] = [written[-1]] * 3  # a chunk of only numbers
    labels[3:6] = [written[0]] * 3  # and one of only words
    data = tmp_path / "t.csv"
    _write(data, labels)
    files = {}
    with pytest.MonkeyPatch.context() as patch:  # the streamed reader's chunks: 3 rows
        patch.setitem(TableSource.__init__.__kwdefaults__, "batch_rows", 3)
        patch.setattr("probnn.cli.fit._write_model_report", lambda *args, **kw: tmp_path)
        for stream in ("no", "yes"):
            out = tmp_path / f"{stream}.safetensors"
            code, _, err = run(capsys, "fit", data, "--target", "y", "--family", family,
                               "--hidden", "3", "--epochs", "2", "--quiet", "--stream", stream,
                               "--out", out, *(["--levels", levels] if levels else []))  # fmt: skip
            assert code == 0, err
            files[stream] = out.read_bytes()
            assert load_model(out).classes == classes
    assert files["yes"] == files["no"]


def test_a_model_scores_a_file_of_only_number_labels(tmp_path, capsys):
    """An in-memory model of labels 0 / a / b evaluates a file whose labels are all "0"
    (read as numbers): before, "labels must be among ... [0, a, b]; found 0"."""
    labels = list(np.random.default_rng(2).choice(["a", "b", "0"], 40))
    data, zeros, out = tmp_path / "t.csv", tmp_path / "zeros.csv", tmp_path / "m.safetensors"
    _write(data, labels)
    _write(zeros, ["0"] * 6)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "categorical",
                       "--hidden", "none", "--quiet", "--report", tmp_path / "r", "--out", out)  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "evaluate", out, zeros)
    assert code == 0, err


def test_an_older_model_file_with_a_number_spelt_as_written_scores_its_table(tmp_path):
    """Classes as the code before wrote them for a text column ("2.0", not "2"): the file
    loads, keeps its classes, and encodes its table's labels (written "2.0", or read as the
    number 2.0 in a chunk of numbers) as that class."""
    frame = pd.DataFrame({"x": np.arange(9.0), "y": ["low", "1", "2.0"] * 3})
    older = ["low", "1", "2.0"]
    model = TabularModel.fit(frame, "y", family="ordinal", hidden=(), epochs=2, classes=older)
    path = tmp_path / "older.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    assert loaded.classes == older
    np.testing.assert_array_equal(loaded.encode_target(frame), [0, 1, 2] * 3)
    np.testing.assert_array_equal(loaded.encode_target(pd.DataFrame({"y": [2.0, 1.0]})), [2, 1])


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(words=st.lists(st.sampled_from(WORDS), min_size=5, max_size=20),
       numbers=st.lists(st.sampled_from(NUMBERS), min_size=5, max_size=20),
       batch_rows=st.integers(1, 7), seed=st.integers(0, 99))  # fmt: skip
def test_streamed_and_in_memory_classes_agree(tmp_path_factory, words, numbers, batch_rows, seed):
    labels = list(np.random.default_rng(seed).permutation(words + numbers))
    path = tmp_path_factory.mktemp("labels") / "t.csv"
    _write(path, labels)
    expected = sorted({number_text(v) for v in labels})
    memory = column_classes(read_table(path)["y"], "y", "categorical").tolist()
    model, _ = fit_stream(TableSource(path, batch_rows=batch_rows), "y", family="categorical",
                          hidden=(), epochs=1, early_stopping=False)  # fmt: skip
    assert memory == model.classes == expected
