"""Text values of one column that differ only in case or whitespace ('yes', ' YES ', 'Yes')
stay values of their own, with one DataWarning naming them and their rows.

Oracle: the rows of each spelling counted by ``collections.Counter`` on the column as
written; the classes a model keeps are the distinct labels (``set``), none merged.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from _cli import run

from probnn.exceptions import DataWarning
from probnn.tables.columns import _forget_said
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.targets import class_order, target_labels


@pytest.fixture(autouse=True)
def _say_again():
    """Each test starts as a new process would: no spelling warning said yet."""
    _forget_said()


def _yes_no(n: int = 300) -> pd.DataFrame:
    """The trial's table: yes / no written three ways ('yes', ' YES ', 'Yes')."""
    r = np.random.default_rng(3)
    x = r.normal(size=n)
    lab = np.where(x + r.normal(size=n) > 0, "yes", "no")
    v = r.integers(0, 3, n)
    y = [[s, " " + s.upper() + " ", s.capitalize()][k] for s, k in zip(lab, v)]
    return pd.DataFrame({"x": x, "y": y})


def _spelling_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught
            if issubclass(w.category, DataWarning) and "differ only in" in str(w.message)]  # fmt: skip


def _shown(text: str, group: list[str], counts: Counter) -> bool:
    """Whether ``text`` names the spellings of ``group`` with their rows, most rows first."""
    ordered = sorted(group, key=lambda v: (-counts[v], v))
    values = ", ".join(repr(v) for v in ordered)
    rows = ", ".join(str(counts[v]) for v in ordered)
    return f"{values} ({rows} rows)" in text


def test_class_labels_differing_in_case_or_spaces_warn_and_stay_apart():
    column = _yes_no()["y"]
    counts = Counter(column)
    labels = target_labels(column, "y")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classes = class_order(column, labels, "y", "categorical")
    assert set(classes.tolist()) == set(counts)  # six classes: nothing merged
    [text] = _spelling_warnings(caught)
    assert text.startswith("target 'y': class labels differ only in case or spaces in 2 groups")
    assert _shown(text, ["yes", " YES ", "Yes"], counts)
    assert _shown(text, ["no", " NO ", "No"], counts)


@pytest.mark.parametrize("values, how", [
    (["yes", "yes ", "no"], "spaces"),
    (["yes", "Yes", "no"], "case"),
    (["yes", " Yes", "no"], "case or spaces"),
    (["a  b", "a b", "c"], "spaces"),
])  # fmt: skip
def test_the_warning_says_what_differs(values, how):
    column = pd.Series(values * 4, name="y")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        class_order(column, target_labels(column, "y"), "y", "categorical")
    [text] = _spelling_warnings(caught)
    assert f"differ only in {how}:" in text
    assert f"{values[0]!r}" in text and f"{values[1]!r}" in text and "(4, 4 rows)" in text


@pytest.mark.parametrize("values", [["yes", "no"], ["a", "b", "ab"], [0, 1, 2], ["1", "1.0"]])
def test_distinct_labels_say_nothing(values):
    column = pd.Series(values * 3, name="y")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        class_order(column, target_labels(column, "y"), "y", "categorical")
    assert _spelling_warnings(caught) == []


def test_feature_categories_differing_in_case_or_spaces_warn_and_stay_apart():
    frame = pd.DataFrame({"x": np.arange(8.0), "sex": ["Male", "male ", "Female", "Male"] * 2})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pre = Preprocessor().fit(frame)
    assert pre.categories_["sex"] == sorted(set(frame["sex"]))  # three one-hot features
    [text] = _spelling_warnings(caught)
    assert text.startswith("column 'sex': categories 'Male', 'male ' (4, 2 rows) differ only in "
                           "case or spaces")  # fmt: skip


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_fit_says_it_once_with_every_rows_count(tmp_path, capsys, monkeypatch, stream):
    frame = _yes_no()
    frame["sex"] = ["Male", "male ", "Female"] * 100
    frame.to_csv(tmp_path / "yn.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "fit", "yn.csv", "--target", "y", "--stream", stream,
                         "--hidden", "4", "--epochs", "5")  # fmt: skip
    assert code == 0, err
    said = [line for line in err.splitlines() if "differ only in" in line]
    target = [line for line in said if line.startswith("probnn: warning: target 'y'")]
    assert len(target) == 1, err  # once, though every fold's fit sees the labels
    counts = Counter(frame["y"])  # the table's rows, not a fold's
    assert _shown(target[0], ["yes", " YES ", "Yes"], counts)
    assert _shown(target[0], ["no", " NO ", "No"], counts)
    feature = [line for line in said if line.startswith("probnn: warning: column 'sex'")]
    assert len(feature) == 1, err
    assert re.search(r"'Male', 'male ' \(\d+, \d+ rows\)|'male ', 'Male' \(\d+, \d+ rows\)",
                     feature[0])  # fmt: skip


def test_a_library_selection_says_it_once_with_the_tables_rows():
    from probnn import select_model

    frame = _yes_no()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        select_model(frame[["x"]], frame["y"], hidden=(4,), epochs=5)
    [text] = _spelling_warnings(caught)  # not once per fold and family
    counts = Counter(frame["y"])
    assert _shown(text, ["yes", " YES ", "Yes"], counts)
    # a second fit in the same process says nothing more, as Python's "once" would
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        class_order(frame["y"], target_labels(frame["y"], "y"), "y", "categorical")
    assert _spelling_warnings(caught) == []


def test_an_unknown_label_with_spaces_is_quoted():
    from probnn.exceptions import DataError
    from probnn.tables.targets import _class_indices

    # trained on yes / no, given ' yes': "found yes" read as nonsense; the spaces are shown
    with pytest.raises(DataError, match=r"\[no, yes\]; found ' yes' at data row 2$"):
        _class_indices(np.array(["no", " yes"], dtype=object), ["no", "yes"], "y")
