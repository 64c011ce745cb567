"""A model is not fitted on too few rows to estimate its spread (``tables.model.MIN_FIT_ROWS``):
on n rows a model with n - 1 features passes through every row and its predicted scale
collapses to 0 (before: the default network on 3 training rows, held-out NLL 8e64, exit 0).
The Python API and the command line, in memory and streamed, refuse alike in one line; a
constant model needs 2 rows (so ``--family auto`` on 3 training rows still chooses a constant). Oracle: the rows counted by hand (the row hash's split, named by
``probnn.cli.split_rows``) and a line through two points worked by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from _cli import run
from probnn.cli import split_rows
from probnn.exceptions import DataError
from probnn.tables.model import MIN_CONSTANT_ROWS, MIN_FIT_ROWS, TabularModel


def _table(n: int, seed: int = 0) -> pd.DataFrame:
    """Two numeric columns and a real target: 3 rows are passed through by the plane of both."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.uniform(size=n)
    return pd.DataFrame({"x": x, "z": z, "y": x - z + rng.normal(size=n)})


@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_api_refuses_a_fit_on_three_rows_or_fewer(n):
    assert MIN_FIT_ROWS == 4  # a plane of the 2 columns passes through 3 rows
    with pytest.raises(DataError, match=f"expected at least 4 rows .*; found {n}$") as raised:
        TabularModel.fit(_table(n), "y", family="normal", hidden=(), epochs=5)
    assert "\n" not in str(raised.value)


def test_a_constant_model_needs_two_rows_and_fits_their_spread():
    with pytest.raises(DataError, match="found 1$"):
        TabularModel.fit(_table(1), "y", family="normal", constant=True, epochs=5)
    assert MIN_CONSTANT_ROWS == 2
    frame = pd.DataFrame({"x": [0.3, -1.2], "y": [1.0, 3.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = TabularModel.fit(frame, "y", family="normal", constant=True, seed=0)
    scale = float(model.predict_table(frame)["scale"].iloc[0])
    assert 0 < scale < np.inf  # by hand: the MLE of two values 2 apart is 1 (under a prior)


def test_the_command_line_refuses_three_training_rows_in_memory_and_streamed(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = _table(5)
    train, _ = split_rows(len(frame), 0, 0.2)
    assert len(train) == 3  # the row hash holds 2 of these 5 rows out
    data = tmp_path / "five.csv"
    frame.to_csv(data, index=False)
    frame.to_parquet(tmp_path / "five.parquet", index=False)
    for path, stream in ((data, "no"), (tmp_path / "five.parquet", "yes")):
        code, printed, err = run(capsys, "fit", path, "--target", "y", "--family", "normal",
                                 "--stream", stream, "--out", tmp_path / "m.safetensors")  # fmt: skip
        assert code == 1, (stream, printed, err)
        lines = [line for line in err.splitlines() if line.startswith("probnn: error")]
        assert len(lines) == 1 and lines[0].endswith("found 3"), (stream, err)
        assert "Traceback" not in err and not (tmp_path / "m.safetensors").exists()
    # the selection still fits a constant model there (its 2-row folds score the constants)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--out", tmp_path / "a.safetensors")
    assert code == 0 and "constant model" in printed, (printed, err)
