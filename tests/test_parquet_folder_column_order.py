"""A folder of Parquet files whose files order the same columns differently is read by column
name, as a CSV's columns are (it was refused: "expected the same columns in every Parquet
file"); files whose column names differ are refused in one line naming the file and the
columns. Oracle: the frame written, split into the files (pandas), and the same folder written
in one column order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from probnn.exceptions import DataError  # noqa: E402
from probnn.tables.sources import TableSource, read_table  # noqa: E402


def _table(n: int = 90) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return pd.DataFrame({"x": rng.normal(size=n), "k": rng.integers(0, 4, size=n),
                         "shop": rng.choice(["a", "b"], size=n), "y": rng.normal(size=n)})


def _folder(frame, folder, orders) -> None:
    folder.mkdir()
    for i, (part, order) in enumerate(zip(np.array_split(np.arange(len(frame)), len(orders)),
                                          orders)):  # fmt: skip
        frame.iloc[part][order].to_parquet(folder / f"part-{i}.parquet", index=False)


def test_files_of_other_column_orders_are_read_by_name(tmp_path):
    frame = _table()
    orders = [["x", "k", "shop", "y"], ["y", "shop", "k", "x"], ["k", "x", "y", "shop"]]
    _folder(frame, tmp_path / "mixed", orders)
    pd.testing.assert_frame_equal(read_table(tmp_path / "mixed"), frame, check_like=False)
    for batch_rows in (7, 1_000):
        pieces = [b.frame for b in TableSource(tmp_path / "mixed", batch_rows=batch_rows).batches(
            ["y", "x"])]  # fmt: skip
        pd.testing.assert_frame_equal(pd.concat(pieces, ignore_index=True), frame[["y", "x"]])


def test_files_of_other_columns_are_refused_naming_the_file(tmp_path):
    frame = _table()
    folder = tmp_path / "t"
    folder.mkdir()
    frame.iloc[:45].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[45:].rename(columns={"k": "kk"}).to_parquet(folder / "part-1.parquet", index=False)
    with pytest.raises(DataError) as caught:
        TableSource(folder)
    text = str(caught.value)
    assert "\n" not in text and "part-1.parquet" in text
    assert "has 'kk'" in text and "lacks 'k'" in text
