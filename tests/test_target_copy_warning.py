"""A feature column that is the target itself (hostile11 L1): one warning naming it.

A copy of the target as a feature (the target saved again under another name, or as text in
a Parquet string column) let a GLM score a held-out NLL of -13 with no word. Exact equality
after the model's reading of the column warns (never refuses); a column differing from the
target in some training rows does not. Oracle: the tables are built so (a copy, or a copy with one value
changed).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _cli import run

from probnn.exceptions import DataWarning
from probnn.tables.model import TabularModel


def _table(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    x = rng.normal(size=n)
    y = np.round(x + rng.normal(size=n), 4)  # short decimals: read alike by every pandas
    near = y.copy()
    near[::10] += 1.0  # a row in ten differs (some are training rows): no copy
    return pd.DataFrame({"x": x, "copy": y, "as_text": [repr(float(v)) for v in y],
                         "near": near, "y": y})


def test_fit_warns_once_per_copied_column(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    monkeypatch.chdir(tmp_path)
    _table().to_parquet("leak.parquet")
    code, out, err = run(capsys, "compare", "leak.parquet", "--target", "y", "--families",
                         "normal,laplace", "--hidden", "none", "--quiet")
    assert code == 0, err
    said = [line for line in (out + err).splitlines() if "equals the target" in line]
    assert said == [
        "probnn: warning: column 'copy' equals the target on every training row: a copy of "
        "the target leaks it; drop it with --drop copy",
        "probnn: warning: column 'as_text' equals the target on every training row: a copy of "
        "the target leaks it; drop it with --drop as_text"], out + err


def test_no_warning_without_an_exact_copy():
    frame = _table().drop(columns=["copy", "as_text"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        TabularModel.fit(frame, "y", family="normal", hidden=(), seed=0)
    with pytest.warns(DataWarning, match="column 'copy' equals the target"):
        TabularModel.fit(_table().drop(columns=["as_text"]), "y", family="normal", hidden=(),
                         seed=0)  # fmt: skip
