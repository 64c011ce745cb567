"""A copy of the target as a feature, in a streamed fit (``probnn fit --stream yes``,
``fit_stream``): warned once, in the words of the fit in memory, which warned it while the
streamed fit said nothing. A column stays a copy only while it equals the target on every
fitted row of every chunk read: one equal to it in the first chunks and not in a later one
is no copy. Oracle: the tables are built so, and the fit in memory (``--stream no``) on the
same rows, whose lines the streamed fit must print.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _cli import run

from probnn.exceptions import DataWarning
from probnn.tables.sources import TableSource
from probnn.tables.streaming import fit_stream


def _table(n: int = 120, copies: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    x = rng.normal(size=n)
    y = np.round(x + rng.normal(size=n), 4)  # short decimals: read alike by every pandas
    late = y.copy()
    late[100::3] += 1.0  # equal in the first chunks, not in the last (7 rows, some fitted)
    frame = pd.DataFrame({"x": x, "late": late, "y": y})
    if copies:
        frame.insert(1, "copy", y)
    return frame


def _said(out: str, err: str) -> list[str]:
    return [line for line in (out + err).splitlines() if "equals the target" in line]


@pytest.mark.parametrize("copies", [True, False])
def test_a_streamed_fit_says_a_copy_as_the_fit_in_memory(tmp_path, capsys, monkeypatch,
                                                         copies):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    _table(copies=copies).to_csv("t.csv", index=False)
    said = {}
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "fit", "t.csv", "--target", "y", "--stream", stream,
                             "--hidden", "none", "--epochs", "2", "--quiet")  # fmt: skip
        assert code == 0, err
        said[stream] = _said(out, err)
    assert said["yes"] == said["no"]
    assert len(said["yes"]) == (1 if copies else 0)
    if copies:
        assert "'copy'" in said["yes"][0] and "--drop copy" in said["yes"][0]


def test_fit_stream_warns_a_copy_once_over_many_chunks(tmp_path):
    _table().to_csv(tmp_path / "t.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit_stream(TableSource(tmp_path / "t.csv", batch_rows=7), "y", hidden=[], epochs=2)
    leaks = [str(w.message) for w in caught if issubclass(w.category, DataWarning)
             and "equals the target" in str(w.message)]  # fmt: skip
    assert leaks == ["column 'copy' equals the target on every training row: a copy of the "
                     "target leaks it; drop it with --drop copy"]  # fmt: skip


def test_a_parquet_copy_as_text_is_a_copy_streamed(tmp_path):
    pytest.importorskip("pyarrow")
    frame = _table(copies=False)
    frame.insert(1, "as_text", [repr(float(v)) for v in frame["y"]])
    frame.to_parquet(tmp_path / "t.parquet")
    with pytest.warns(DataWarning, match="column 'as_text' equals the target"):
        fit_stream(TableSource(tmp_path / "t.parquet", batch_rows=16), "y", hidden=[], epochs=2)
