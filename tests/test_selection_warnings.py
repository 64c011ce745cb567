"""The selection says a table's data warnings once, not once per fold and candidate.

Failed before: an identifier column on 80 rows printed its warning 32 times and a fold's
"categories not seen in training" 15 times under ``probnn fit --family auto`` (48 warning lines
for one table; a hostile trial's 300 rows: dozens more).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from probnn.cli import main
from probnn.exceptions import DataWarning


def _with_identifier(n: int, seed: int = 2, curve: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    mean = np.sin(3 * x) if curve else 2 * x
    return pd.DataFrame({"x": x, "id": [f"id{i}" for i in range(n)],
                         "y": mean + (0.1 if curve else 1.0) * rng.normal(size=n)})


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_fit_says_an_identifier_once(tmp_path, capsys, stream):
    path = tmp_path / "ids.csv"
    _with_identifier(50).to_csv(path, index=False)
    code = main(["fit", str(path), "--target", "y", "--quiet", "--stream", stream, "--hidden",
                 "4", "--epochs", "20", "--out", str(tmp_path / "m.st")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    lines = [line for line in err.splitlines() if "warning: column 'id'" in line]
    # the identifier, said once; dropped from the features, so no held-out row's id is
    # "not seen in training" (test_identifier_columns.py)
    assert sum("dropped from the features" in line for line in lines) == 1
    assert len(lines) == 1, lines


def test_a_network_kept_from_its_one_split_still_says_the_tables_warnings():
    # one split (cv=1) and a curve only a network follows: the chosen network is the
    # candidate's own fit, not refitted, whose warnings were silenced with the others'
    from probnn.selection import select_model
    from probnn.tables.columns import _forget_said

    _forget_said()  # the identifier is said once per process: by this test's selection
    frame = _with_identifier(300, curve=True)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        chosen = select_model(frame[["x", "id"]], frame["y"], families=["normal"], cv=1,
                              seed=0, hidden=(16,), epochs=60)  # fmt: skip
    assert (chosen.capacity, chosen.refitted) == ("network", False)
    identifier = [w for w in said if issubclass(w.category, DataWarning)
                  and "dropped from the features" in str(w.message)]  # fmt: skip
    assert len(identifier) == 1
