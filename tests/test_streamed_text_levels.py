"""A text column's numbers are one level however a chunk of it is read (stop 41's "Next" 3).

Streamed, a table is read in chunks, and pandas reads a chunk by what that chunk holds: a
text column's chunk of only numbers and blanks comes as floats, so its "0" was the level
"0.0" beside the "0" of the other chunks (in memory one level, "0"), and the model files of
the two fits differed (levels, one-hot blocks, the record of the rows' values). Now a text
column spells its numbers one way, as the mixed rule's ``level_text`` does ("0" for "0",
0.0 and "0.0"; "2.5" for "2.50"; "7" for "007"), in the fit and in ``transform``; the model
file's optional ``number_levels`` names such columns, and a file without it (written before)
keeps its levels and its encoding as written.

Oracles: the levels as the distinct values written, each number by Python's ``int`` /
``float`` of its text; one-hot blocks built by hand; the in-memory fit's model file, which
the streamed fit must equal byte for byte (neither path's code is taken as right by the
other's).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _cli import run
from _number_text import NUMBERS, number_text
from _scan import scan_stream
from probnn.exceptions import DataWarning
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table

WORDS = ["a", "b", "DK", "n/a?"]


def test_a_chunk_of_numbers_and_blanks_is_the_levels_of_the_table(tmp_path):
    path = tmp_path / "t.csv"
    # rows 3-4 (the second chunk of two) hold only "0" and a blank: read as floats
    path.write_text("k,x\na,1\nb,2\n0,3\n,4\n0,5\nb,6\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        memory = Preprocessor(impute=True).fit(read_table(path)[["k"]])
        streamed = scan_stream(TableSource(path, batch_rows=2), ["k"], impute=True)
    assert memory.categories_ == streamed.categories_ == {"k": ["0", "a", "b"]}
    assert memory.number_levels_ == streamed.number_levels_ == ["k"]
    assert streamed.to_meta() == memory.to_meta()
    # a float chunk and a text chunk encode "0" alike (a missing value: the most frequent
    # level, "0" of the tie "0" / "b", and its indicator)
    as_floats = pd.DataFrame({"k": [0.0, np.nan]})
    as_text = pd.DataFrame({"k": ["0", "b"]})
    np.testing.assert_array_equal(memory.transform(as_floats), [[1, 0, 0, 0], [1, 0, 0, 1]])
    np.testing.assert_array_equal(memory.transform(as_text), [[1, 0, 0, 0], [0, 0, 1, 0]])


def test_numbers_in_a_text_column_are_spelt_one_way_and_words_as_written():
    frame = pd.DataFrame({"k": ["a", "007", "7", "2.50", "2.5", "b", "a", "True", "1e3", "c", "b", "a"]})
    pre = Preprocessor().fit(frame)
    assert pre.categories_ == {"k": ["1000", "2.5", "7", "True", "a", "b", "c"]}
    assert pre.mixed_ == [] and pre.number_levels_ == ["k"]
    # whole numbers in digits spelt exactly (two long codes stay two levels; float64: one)
    long = pd.DataFrame({"k": ["x", "y", "x", "y", "12345678901234567891",
                               "12345678901234567892"]})  # fmt: skip
    assert Preprocessor().fit(long).categories_["k"][:2] == ["12345678901234567891",
                                                             "12345678901234567892"]
    # booleans (a CSV chunk of only True / False) keep their text
    chunk = pd.DataFrame({"k": pd.Series([True, "x", "x"], dtype=object)})
    assert Preprocessor().fit(chunk).categories_ == {"k": ["True", "x"]}


def test_a_text_column_without_numbers_writes_its_model_file_as_before():
    pre = Preprocessor().fit(pd.DataFrame({"x": [1.0, 2.0, 4.0], "k": ["a", "b", "a"]}))
    meta = json.loads(json.dumps(pre.to_meta()))
    assert "number_levels" not in meta and Preprocessor.from_meta(meta).number_levels_ == []


def test_an_older_model_file_keeps_its_levels_and_their_encoding():
    """The preprocessing a streamed fit wrote before: "0" and "0.0" two levels, no
    ``number_levels``. Loaded, it encodes each value as it did: text "0" in block 0, a float
    chunk's 0.0 as "0.0" in block 1 (not moved to "0": its scores stay the same)."""
    older = {"impute": True, "columns": ["k"], "numeric": [], "center": [], "scale": [],
             "categories": [["k", ["0", "0.0", "a", "b"]]], "fill": [["k", "b"]],
             "parsers": [], "range": [], "indicators": ["k"]}  # fmt: skip
    pre = Preprocessor.from_meta(older)
    assert pre.number_levels_ == [] and pre.to_meta() == older
    X = pre.transform(pd.DataFrame({"k": ["0", "a", None]}))
    np.testing.assert_array_equal(X, [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 1]])
    X = pre.transform(pd.DataFrame({"k": [0.0, np.nan]}))
    np.testing.assert_array_equal(X, [[0, 1, 0, 0, 0], [0, 0, 0, 1, 1]])
    bad = {**older, "number_levels": ["x"]}  # not a categorical column
    with pytest.raises(Exception, match="spelt one way"):
        Preprocessor.from_meta(bad)


def test_an_older_model_file_written_by_a_fit_loads_and_scores_as_before(tmp_path, capsys):
    """A model file as the code before this rule wrote it for a table whose text column
    holds "0" (in memory: levels "0", "a", "b"; no ``number_levels``: the file this code
    writes, less that field) loads, and scores a chunk that reads "0" as 0.0 as it did: an
    unseen level, all zeros (the hand-built encoding fed to its own network)."""
    from probnn.model_file import load_model, save_model

    rng = np.random.default_rng(2)
    k = rng.choice(["a", "b", "0"], 60)
    frame = pd.DataFrame({"k": k, "x": rng.normal(size=60)})
    frame["y"] = frame["x"] + (frame["k"] == "0") + 0.3 * rng.normal(size=60)
    data, path = tmp_path / "t.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--hidden",
                       "none", "--quiet", "--out", path)  # fmt: skip
    assert code == 0, err
    model = load_model(path)
    assert model.preprocessor.number_levels_ == ["k"]
    model.preprocessor.number_levels_ = []  # as written before the rule
    older = tmp_path / "older.safetensors"
    save_model(model, older)
    old = load_model(older)
    assert old.preprocessor.number_levels_ == [] and old.preprocessor.categories_["k"] == ["0", "a", "b"]
    # a chunk as a streamed reader gives it: 0.0 beside text
    chunk = pd.DataFrame({"k": pd.Series([0.0, "a", 0.0], dtype=object), "x": [0.1, 0.2, 0.3]})
    z = (chunk["x"].to_numpy() - old.preprocessor.center_[0]) / old.preprocessor.scale_[0]
    by_hand = np.column_stack([z, [[0, 0, 0], [0, 1, 0], [0, 0, 0]]])  # 0.0: "0.0", no level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        X = old.transform(chunk)
    np.testing.assert_array_equal(X, by_hand)
    np.testing.assert_array_equal(old.estimator.predict_dist(X).mean, old.predict_dist(chunk).mean)
    # the same file with the rule's field reads 0.0 as "0"
    X = load_model(path).transform(chunk)
    np.testing.assert_array_equal(X[:, 1:], [[1, 0, 0], [0, 1, 0], [1, 0, 0]])


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(words=st.lists(st.sampled_from(WORDS), min_size=6, max_size=30),
       numbers=st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=5),
       missing=st.integers(0, 4), batch_rows=st.integers(1, 7), seed=st.integers(0, 99))  # fmt: skip
def test_streamed_and_in_memory_levels_agree(tmp_path_factory, words, numbers, missing,
                                             batch_rows, seed):  # fmt: skip
    values = words + numbers + [""] * missing  # fewer numbers than words: a text column
    values = list(np.random.default_rng(seed).permutation(values))
    path = tmp_path_factory.mktemp("text") / "t.csv"
    path.write_text("k\n" + "".join(f"{v}\n" for v in values))
    impute = missing > 0
    memory = Preprocessor(impute=impute).fit(read_table(path))
    streamed = scan_stream(TableSource(path, batch_rows=batch_rows), ["k"], impute=impute)
    assert memory.categories_ == {"k": sorted({number_text(v) for v in values if v})}
    assert memory.number_levels_ == ["k"]
    assert streamed.to_meta() == memory.to_meta()


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(words=st.lists(st.sampled_from(WORDS), min_size=24, max_size=30),
       numbers=st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=8),
       batch_rows=st.integers(2, 7), seed=st.integers(0, 99))  # fmt: skip
def test_streamed_and_in_memory_fits_write_one_model_file(tmp_path_factory, capsys, words,
                                                          numbers, batch_rows, seed):  # fmt: skip
    values = list(np.random.default_rng(seed).permutation(words + numbers + ["", ""]))
    n = len(values)
    folder = tmp_path_factory.mktemp("fit")
    data = folder / "t.csv"
    y = np.round(np.sin(np.arange(n)) + 0.1 * np.arange(n), 4)  # distinct: no copies
    data.write_text("k,x,y\n" + "".join(f"{v},{i},{t}\n" for i, (v, t) in enumerate(zip(values, y))))
    files = {}
    with pytest.MonkeyPatch.context() as patch:  # the streamed reader's chunks: batch_rows rows
        patch.setitem(TableSource.__init__.__kwdefaults__, "batch_rows", batch_rows)
        # (the report, not compared here, left out: the fits alone)
        patch.setattr("probnn.cli.fit._write_model_report", lambda *args, **kw: folder)
        for stream in ("no", "yes"):
            out = folder / f"{stream}.safetensors"
            code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                               "--hidden", "3", "--epochs", "2", "--impute", "--quiet",
                               "--stream", stream, "--out", out)  # fmt: skip
            assert code == 0, err
            files[stream] = out.read_bytes()
    assert files["yes"] == files["no"]
