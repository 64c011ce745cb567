"""A categorical column of tens of thousands of categories, one-hot encoded (eighth hostile
trial): 100,000 rows with 43,208 categories need 64 GiB of float64 features; ``fit`` asked
numpy for them, a MemoryError printed as "internal error ... (please report this)" or the
kernel killed the process. Now a DataError before anything is allocated, naming the column.
The memory the machine has is patched down so that a small table shows it; the bytes needed
are worked by hand: 2 copies x 8 bytes x rows x columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _cli import run

from probnn.exceptions import DataError
from probnn.tables.preprocessing import Preprocessor


def _table(n: int = 200, levels: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n),
                         "c": [f"L{v}" for v in np.arange(n) % levels]})  # fmt: skip


def test_encoded_features_beyond_the_machine_are_refused_naming_the_column(monkeypatch):
    frame = _table()
    pre = Preprocessor().fit(frame)
    need = 2 * 8 * 200 * (1 + 100)  # the numeric column and 100 one-hot columns: 323,200 bytes
    monkeypatch.setattr("probnn.network.mlp.memory_budget", lambda: need - 1)
    with pytest.raises(DataError, match=r"200 rows x 101 columns.*column 'c' alone has 100 "
                                        r"categories: drop it \(--drop c\)"):  # fmt: skip
        pre.transform(frame)
    monkeypatch.setattr("probnn.network.mlp.memory_budget", lambda: need)
    assert pre.transform(frame).shape == (200, 101)


def test_fit_says_it_in_one_line_exit_1(tmp_path, monkeypatch, capsys):
    frame = _table()
    frame["y"] = frame["x"] + np.random.default_rng(1).normal(size=200)
    frame.to_csv(tmp_path / "t.csv", index=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("probnn.network.mlp.memory_budget", lambda: 100_000)
    code, out, err = run(capsys, "fit", tmp_path / "t.csv", "--target", "y", "--hidden", "none",
                         "--quiet")  # fmt: skip
    lines = [line for line in err.strip().splitlines() if not line.startswith("probnn: warning")]
    assert code == 1 and len(lines) == 1 and "--drop c" in lines[0], err
    assert "internal error" not in err and "Traceback" not in err
