"""Family parameters that no table of these rows can identify are refused before any work,
and a table with too few rows is refused before its columns are read.

``probnn fit`` of 120 rows with ``--family mixture-normal --family-param
n_components=1000000`` grew past 5 GB (n_components=500: over a minute); ``--family
categorical --family-param n_classes=1000000`` on a 2-class target took 4 GB; a 3-row file of
200,000 columns was preprocessed column by column for minutes before "at least 5 data rows".

Rules (oracles: counts worked by hand): a mixture needs at most as many components as the
rows the network fits (the training rows less early stopping's), a class model at most as
many classes as the target's labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cli import run

from probnn import MLPRegressor


def _table(path, n: int = 60):
    r = np.random.default_rng(0)
    x = r.normal(size=n)
    pd.DataFrame({"x": x, "y": r.normal(1 + x, 1.0), "c": np.where(x > 0, "a", "b")}).to_csv(
        path, index=False)


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("k", [10**9, 61])
def test_fit_refuses_more_mixture_components_than_rows(tmp_path, capsys, monkeypatch, k):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "t.csv")
    code, out, err = run(capsys, "fit", "t.csv", "--target", "y", "--family", "mixture-normal",
                         "--family-param", f"n_components={k}", "--hidden", "none")
    assert code == 2, err
    assert err.count("\n") == 1 and "n_components" in err and "training rows" in err
    assert _files(tmp_path) == ["t.csv"]


def test_compare_refuses_more_mixture_components_than_training_rows(tmp_path, capsys,
                                                                    monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "t.csv")  # 60 rows: 49 for training (probnn._split)
    code, _, err = run(capsys, "compare", "t.csv", "--target", "y", "--families",
                       "normal,mixture-normal", "--family-param", "n_components=50")
    assert code == 2 and "n_components <= 49" in err and err.count("\n") == 1


def test_streamed_fit_refuses_more_mixture_components_than_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "t.csv")
    code, _, err = run(capsys, "fit", "t.csv", "--target", "y", "--family", "mixture-normal",
                       "--family-param", "n_components=1000000", "--stream", "yes",
                       "--solver", "adam")  # fmt: skip
    assert code == 1 and "n_components" in err and err.count("\n") == 1


def test_fit_refuses_more_classes_than_the_target_has(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "t.csv")
    code, _, err = run(capsys, "fit", "t.csv", "--target", "c", "--family", "categorical",
                       "--family-param", "n_classes=1000000", "--hidden", "none")
    assert code == 2 and "2 classes" in err and err.count("\n") == 1
    assert _files(tmp_path) == ["t.csv"]


def test_the_estimator_takes_as_many_components_as_rows_and_refuses_more():
    r = np.random.default_rng(1)
    X, y = r.normal(size=(12, 1)), r.normal(size=12)
    with pytest.raises(ValueError, match="n_components <= 12"):
        MLPRegressor(family="mixture-normal", family_params={"n_components": 13},
                     hidden_layer_sizes=(), max_iter=2).fit(X, y)  # fmt: skip
    fitted = MLPRegressor(family="mixture-normal", family_params={"n_components": 12},
                          hidden_layer_sizes=(), max_iter=2).fit(X, y)  # fmt: skip
    assert fitted.family_.n_components == 12


def test_too_few_rows_is_said_before_the_columns_are_checked(tmp_path, capsys, monkeypatch):
    # 3 rows whose feature has a missing value: the row count is the first thing wrong said
    # (it needs no column read; checking 200,000 columns took minutes)
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"x": [1.0, None, 2.0], "y": [0.5, 1.5, 2.5]}).to_csv("t.csv", index=False)
    code, _, err = run(capsys, "fit", "t.csv", "--target", "y")
    assert code == 1 and "at least 5 data rows" in err and err.count("\n") == 1
