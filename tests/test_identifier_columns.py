"""A text feature column whose every present value is distinct (an identifier: "id0001",
"id0002", ...) is left out of the features, with one warning naming it.

Failed before: it was one-hot encoded to one feature per training row (a warning said so), which
no held-out row can use (its value is never a training row's) and which cost a hostile trial
184 s on 300 rows. The oracle: the same fit with the column dropped by hand (``--drop id``),
which must predict the same, bit for bit.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from _cli import run
from probnn.model_file import load_model
from probnn.tables.columns import _forget_said
from probnn.tables.preprocessing import Preprocessor

FAST = ("--family", "normal", "--hidden", "4", "--epochs", "15", "--quiet", "--seed", "3")


def _table(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    city = rng.choice(["Oslo", "Quito", "Lima"], size=n)
    return pd.DataFrame({"id": [f"id{i:04d}" for i in range(1, n + 1)], "x": x, "city": city,
                         "y": 2 * x + (city == "Oslo") + rng.normal(size=n)})  # fmt: skip


def _predictions(capsys, model, data) -> pd.DataFrame:
    code, out, err = run(capsys, "predict", model, data)
    assert code == 0, err
    return pd.read_csv(io.StringIO(out))


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_an_identifier_column_is_dropped_with_one_warning(tmp_path, capsys, monkeypatch, stream):
    import probnn.cli.fit

    reports = []  # the model card checked once (in memory); its drawing takes seconds
    monkeypatch.setattr(probnn.cli.fit, "_write_model_report", lambda *a: reports.append(a) or a[2])
    data = tmp_path / "t.csv"
    frame = _table(120)
    frame.to_csv(data, index=False)
    models = {}
    for how, extra in (("auto", ()), ("by-hand", ("--drop", "id"))):
        models[how] = tmp_path / f"{how}.safetensors"
        code, out, err = run(capsys, "fit", data, "--target", "y", "--stream", stream,
                             "--out", models[how], "--report", tmp_path / how, *FAST, *extra)
        assert code == 0, err
        said = [line for line in err.splitlines() if "'id'" in line]
        if how == "auto":
            assert len(said) == 1, err
            assert "dropped" in said[0] and "distinct" in said[0]
        else:
            assert said == [], err
    assert load_model(models["auto"]).preprocessor.columns_ == ["x", "city"]
    from probnn.report.model_card import write_model_report

    model, metrics, folder, args, facts = reports[0]
    facts = {k: v for k, v in facts.items() if k != "title"}
    write_model_report(folder, model, metrics, title="t", coverage=0.9, drop=[], **facts)
    assert "identifier columns left out" in (folder / "report.html").read_text()
    # the same fit as with the column dropped by hand (the file also records the drop)
    with_id = _predictions(capsys, models["auto"], data)
    pd.testing.assert_frame_equal(with_id, _predictions(capsys, models["by-hand"], data))
    # predict ignores the column: present or absent, the same predictions
    without = tmp_path / "without.csv"
    frame.drop(columns=["id"]).to_csv(without, index=False)
    pd.testing.assert_frame_equal(_predictions(capsys, models["auto"], without), with_id)


def test_the_preprocessor_records_the_dropped_column():
    frame = _table(60).drop(columns=["y"])
    frame.loc[5, "id"] = np.nan  # a missing id: the present values are still all distinct
    pre = Preprocessor(impute=True)
    _forget_said()  # said once per process: this test's fit says it
    with pytest.warns(Warning, match="'id'.*dropped"):
        pre.fit(frame)
    assert pre.columns_ == ["x", "city"] and pre.dropped_ == ["id"]
    again = Preprocessor.from_meta(pre.to_meta())
    assert again.dropped_ == ["id"] and again.columns_ == ["x", "city"]
    np.testing.assert_array_equal(again.transform(frame.drop(columns=["id"])), pre.transform(frame))


def test_a_text_column_with_a_repeated_value_is_kept():
    frame = _table(60).drop(columns=["y"])
    frame.loc[7, "id"] = frame.loc[8, "id"]  # one value twice: not every value distinct
    pre = Preprocessor().fit(frame)
    assert pre.columns_ == ["id", "x", "city"] and len(pre.categories_["id"]) == 59


def test_a_few_distinct_labels_are_kept():
    # as many labels as rows, but only a few rows: a small table's categories
    frame = pd.DataFrame({"kind": list("abcdefghij"), "x": np.arange(10.0)})
    pre = Preprocessor().fit(frame)
    assert pre.columns_ == ["kind", "x"]


def test_streamed_past_the_category_cap_an_identifier_is_named(monkeypatch):
    # streamed, distinct values are counted up to a cap (bounded memory): an identifier longer
    # than that cannot be known as one, so it is refused, and said to look like one
    import probnn.tables.preprocessing_scan as preprocessing_scan
    from probnn.exceptions import DataError

    monkeypatch.setattr(preprocessing_scan, "MAX_STREAMED_CATEGORIES", 30)
    frame = _table(60).drop(columns=["y"])
    scan = Preprocessor().scan(frame.columns, exact_median=True)
    scan.observe(frame)
    scan.end_kinds()
    with pytest.raises(DataError, match=r"column 'id' \(every one distinct so far"):
        scan.add(frame)
