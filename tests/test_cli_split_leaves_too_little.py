"""A split that leaves one training row (``--test-size 0.999``; hostile trial 7, F5).

``fit --family normal`` trained on it, saved the model, then ended "scoring the best constant
model failed: Normal: scale must be finite and > 0; found 0" (exit 1, a model file left);
``compare`` ranked families fitted to one row (NLLs of 56 to 2e14 nats, exit 0); ``--family
auto`` said "expected at least 5 data rows ... found 1" of a 300-row table. Each is now one line
before any training, naming the training rows the split left (the split's own count: the row
hash holds out row i when its hash is below the fraction; 1 of 300 here, by hand from the
seed's hash, and checked against ``split_rows``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from probnn._split import split_rows
from probnn.cli import main


@pytest.fixture
def table(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    pd.DataFrame({"x": x, "y": 2 * x + rng.normal(size=300)}).to_csv(tmp_path / "t.csv",
                                                                      index=False)
    monkeypatch.chdir(tmp_path)
    train, _ = split_rows(300, 0, 0.999)
    assert train.size == 1  # the premise
    return tmp_path


@pytest.mark.parametrize("argv, words", [
    (["fit", "--family", "normal", "--hidden", "none"], "two distinct target values"),
    (["fit"], "at least 2 training rows"),
    (["compare", "--hidden", "none", "--families", "normal,laplace"],
     "two distinct target values"),
])
def test_one_training_row_is_refused_in_one_line(table, capsys, argv, words):
    code = main(argv[:1] + ["t.csv", "--target", "y", "--test-size", "0.999", "--quiet"]
                + argv[1:])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert len(err.splitlines()) == 1 and words in err and "1 training row of 300" in err, err
    assert not (table / "t.safetensors").exists()  # refused before any model was written
