"""A feature column of numbers and a few text values ("0", "1", "2", "3+": R mlmRev's
Contraception ``livch``, a top-coded count) is read as categories, one level per distinct
value, with one warning naming the column and the text; it was refused ("expected numbers
in column 'livch'; found 3+ at data rows ..."). A column of more than 20 distinct values with
a few that are no numbers is still refused (a typo in a measurement), so is a text value on
one row (no evidence of a level: a typo, named with its row), and a target keeps its own
rule. In memory and streamed (chunks read as numbers or as text) give the same levels:
a number is spelt one way ("1" for 1, 1.0 and "1.0"). Recorded in the model file (optional
``mixed``), so prediction encodes alike; an unseen level is all zeros with the warning of
any categorical column.

Oracles: the levels as the distinct values of the table written (each number as Python's
``int``/``float`` of its text), one-hot blocks built by hand, the CLI's exit status and lines.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _scan import scan_stream
from probnn.cli import main
from probnn.exceptions import DataError, DataWarning
from probnn.tables.columns import _forget_said
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource, read_table


def _contraception(n: int = 160, seed: int = 0) -> pd.DataFrame:
    """A table like mlmRev's Contraception: livch "0".."3+", age, urban, use (Y/N)."""
    rng = np.random.default_rng(seed)
    livch = rng.choice(["0", "1", "2", "3+"], n, p=[0.27, 0.18, 0.16, 0.39])
    age = np.round(rng.normal(0, 9, n), 2)
    urban = rng.choice(["Y", "N"], n)
    effect = pd.Series(livch).map({"0": -1.0, "1": 0.0, "2": 0.2, "3+": 0.1}).to_numpy()
    p = 1 / (1 + np.exp(-(effect + 0.5 * (urban == "Y"))))
    use = np.where(rng.random(n) < p, "Y", "N")
    return pd.DataFrame({"livch": livch, "age": age, "urban": urban, "use": use})


def _write(path, frame: pd.DataFrame):
    frame.to_csv(path, index=False)
    return path


def _fit(frame: pd.DataFrame, **kw) -> tuple[Preprocessor, list[str]]:
    _forget_said()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pre = Preprocessor(**kw).fit(frame)
    return pre, [str(w.message) for w in caught if issubclass(w.category, DataWarning)]


def test_the_cli_fits_a_table_with_a_top_coded_count(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _write(tmp_path / "contra.csv", _contraception())
    _forget_said()
    code = main(["fit", str(data), "--target", "use", "--hidden", "none", "--quiet",
                 "--out", str(tmp_path / "m.safetensors")])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    said = [line for line in err.splitlines() if "livch" in line]
    assert len(said) == 1 and "warning" in said[0] and "'3+'" in said[0], err
    assert "read as categories (4 levels)" in said[0]
    new = _write(tmp_path / "new.csv", pd.DataFrame({"livch": ["0", "3+", "4"], "age": [1.0, 2, 3],
                                                     "urban": ["Y", "N", "X"]}))  # fmt: skip
    code = main(["predict", str(tmp_path / "m.safetensors"), str(new)])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 4, err
    assert "column 'livch': 1 row holds a category not seen in training (4)" in err, err
    assert "column 'urban': 1 row holds a category not seen in training (X)" in err, err


def test_levels_unseen_levels_and_the_model_file(tmp_path):
    frame = read_table(_write(tmp_path / "c.csv", _contraception()))
    pre, said = _fit(frame[["livch", "age", "urban"]])
    assert pre.categories_ == {"livch": ["0", "1", "2", "3+"], "urban": ["N", "Y"]}
    assert pre.mixed_ == ["livch"] and pre.numeric_ == ["age"]
    assert len(said) == 1 and "'livch'" in said[0]
    loaded = Preprocessor.from_meta(json.loads(json.dumps(pre.to_meta())))
    # a new file whose livch is all numbers (pandas reads int64), with an unseen level 4, and
    # an unseen urban level: both encode as all zeros, each with the categorical warning
    new = pd.DataFrame({"livch": [0, 3, 4, 2], "age": [1.0, 2.0, 3.0, 4.0],
                        "urban": ["Y", "N", "Y", "X"]})  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = loaded.transform(new)
    names = loaded.feature_names_out_
    block = X[:, [names.index(f"livch={c}") for c in ["0", "1", "2", "3+"]]]
    np.testing.assert_array_equal(block, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]])
    urban = X[:, [names.index("urban=N"), names.index("urban=Y")]]
    np.testing.assert_array_equal(urban[3], [0, 0])
    text = [str(w.message) for w in caught]
    assert any("'livch': 2 rows hold categories not seen in training" in t for t in text), text
    assert any("'urban': 1 row holds a category not seen in training" in t for t in text), text
    np.testing.assert_array_equal(loaded.transform(frame.iloc[:5]), pre.transform(frame.iloc[:5]))


def test_a_model_file_from_before_the_rule_loads_and_others_write_no_field():
    pre, _ = _fit(pd.DataFrame({"x": [1.0, 2.0, 4.0], "k": ["a", "b", "a"]}))
    meta = json.loads(json.dumps(pre.to_meta()))
    assert "mixed" not in meta  # a table the rule leaves writes its file as before
    assert Preprocessor.from_meta(meta).mixed_ == []
    meta["mixed"] = ["x"]  # a numeric column is no categorical one
    with pytest.raises(DataError, match="numbers and text read as categories"):
        Preprocessor.from_meta(meta)


def test_many_distinct_numbers_with_a_stray_text_are_still_refused():
    values = [str(v) for v in range(21)] + ["3+"]  # 22 distinct: a measurement with a typo
    with pytest.raises(DataError, match=r"expected numbers in column 'v'; found 3\+ at"):
        Preprocessor().fit(pd.DataFrame({"v": values}))
    pre, said = _fit(pd.DataFrame({"v": [str(v) for v in range(19)] + ["3+"] * 2}))  # 20 levels
    assert pre.mixed_ == ["v"] and len(pre.categories_["v"]) == 20 and len(said) == 1


def test_a_number_is_one_level_however_written_and_missing_values_are_filled():
    frame = pd.DataFrame({"v": ["1", "1.0", "2", None, "3+", "2.50", "DK", "3+", "DK"]})
    pre, _ = _fit(frame, impute=True)
    assert pre.categories_["v"] == ["1", "2", "2.5", "3+", "DK"]
    assert pre.fill_["v"] == "1" and pre.indicators_ == ["v"]
    X = pre.transform(pd.DataFrame({"v": [1.0, np.nan, 2.5]}))  # float64, as a chunk with NA
    np.testing.assert_array_equal(X[:, :5], [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0]])


@pytest.mark.parametrize("streamed", [False, True], ids=["in memory", "streamed"])
def test_a_text_value_on_one_row_is_a_typo_on_two_a_level(tmp_path, streamed):
    # a level is a value rows share: "3+" on one row of eight is refused naming that row
    # (data row 7: the seventh after the header), on two rows it is a level beside 0, 1, 2
    once = ["0", "1", "2", "0", "1", "2", "3+", "1"]
    for values, refused in [(once, True), (once + ["3+"], False)]:
        path = tmp_path / f"v{len(values)}.csv"
        path.write_text("v\n" + "".join(f"{v}\n" for v in values))
        _forget_said()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            if refused:
                with pytest.raises(DataError, match=r"^expected numbers in column 'v'; found "
                                                    r"3\+ at data row 7$"):  # fmt: skip
                    if streamed:
                        scan_stream(TableSource(path, batch_rows=3), ["v"])
                    else:
                        Preprocessor().fit(read_table(path))
                continue
            pre = (scan_stream(TableSource(path, batch_rows=3), ["v"]) if streamed
                   else Preprocessor().fit(read_table(path)))  # fmt: skip
        assert pre.mixed_ == ["v"] and pre.categories_ == {"v": ["0", "1", "2", "3+"]}


def test_a_target_keeps_its_rule(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = _contraception()
    frame["y"] = frame["livch"]  # "0".."3+" as a target: still the target's rule (refused)
    data = _write(tmp_path / "t.csv", frame.drop(columns=["livch", "use"]))
    code = main(["fit", str(data), "--target", "y", "--hidden", "none", "--quiet",
                 "--family", "normal", "--out", str(tmp_path / "m.safetensors")])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 1 and "3+" in err, err


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(numbers=st.lists(st.sampled_from([str(v) for v in range(26)] + ["1.0", "2.5", "2.50", "-3"]),
                        min_size=4, max_size=40),
       texts=st.lists(st.sampled_from(["3+", "DK", "?", ">5"]), min_size=1, max_size=6),
       repeat=st.booleans(),
       missing=st.integers(0, 3), batch_rows=st.integers(1, 9), seed=st.integers(0, 99))  # fmt: skip
def test_streamed_and_in_memory_read_a_column_alike(tmp_path_factory, numbers, texts, repeat,
                                                      missing, batch_rows, seed):  # fmt: skip
    texts = texts * 2 if repeat else texts  # every text on two rows or more, or maybe one
    values = list(numbers) + texts + [""] * missing
    values = list(np.random.default_rng(seed).permutation(values))
    path = tmp_path_factory.mktemp("mixed") / "t.csv"
    path.write_text("v,k\n" + "".join(f"{v},a\n" for v in values))
    impute = missing > 0
    def level(v: str) -> str:  # the oracle: Python's float of a number's text
        try:
            x = float(v)
        except ValueError:
            return v
        return str(int(x)) if x.is_integer() else repr(x)

    levels = {level(v) for v in values if v}
    numbers_present = len(numbers)
    try:
        memory = Preprocessor(impute=impute).fit(read_table(path)[["v"]])
    except DataError:
        memory = None
    # the rule, by the oracle: fewer than half parse -> text; else categories when <= 20 levels
    # and every text on two rows or more (one on a single row is a typo: refused)
    if 2 * numbers_present < numbers_present + len(texts):
        assert memory is not None and memory.mixed_ == []
        # a text column, not this rule's: its numbers spelt one way too (a streamed chunk of
        # its numbers alone is read as floats: test_streamed_text_levels.py)
        assert memory.categories_ == {"v": sorted(levels)}
    elif len(levels) <= 20 and min(texts.count(t) for t in texts) >= 2:
        assert memory is not None and memory.mixed_ == ["v"]
        assert memory.categories_ == {"v": sorted(levels)}
    else:
        assert memory is None
    if memory is None:
        with pytest.raises(DataError):
            scan_stream(TableSource(path, batch_rows=batch_rows), ["v"], impute=impute)
        return
    streamed = scan_stream(TableSource(path, batch_rows=batch_rows), ["v"], impute=impute)
    assert streamed.to_meta() == memory.to_meta()
