"""One split rule in memory and streamed (issue 21): ``probnn.tables.split.split_rows`` holds
out a table's rows by the same row hash (``row_parts``) a streamed fit uses, however the
streamed table is cut into batches or files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probnn.exceptions import DataError
from probnn.tables.sources import TableSource, read_table
from probnn.tables.split import TEST, row_parts, split_rows
from probnn.tables.streaming import _Parts


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32 - 1),
       test_fraction=st.floats(0.01, 0.99))  # fmt: skip
def test_split_rows_holds_out_exactly_the_rows_the_hash_holds_out(n, seed, test_fraction):
    # the oracle: each row's part asked on its own (the hash is stateless), whatever the
    # validation fraction a streamed fit uses
    held = [i for i in range(n)
            if row_parts(np.array([i], dtype=np.uint64), seed, test_fraction, 0.3)[0] == TEST]  # fmt: skip
    if not held or len(held) == n:
        with pytest.raises(DataError, match="expected rows to train on and to hold out"):
            split_rows(n, seed, test_fraction)
        return
    train, test = split_rows(n, seed, test_fraction)
    assert test.tolist() == held
    assert train.tolist() == [i for i in range(n) if i not in set(held)]


def test_a_one_row_table_cannot_be_split():
    # worked by hand: one row is either held out (no training row) or not (none held out)
    for seed in range(5):
        with pytest.raises(DataError, match=r"found (0 training and 1|1 training and 0) held-out rows in 1 rows"):
            split_rows(1, seed, 0.5)


def _held_out_ids_streamed(path, batch_rows: int, seed: int, fraction: float) -> list[int]:
    """The ``id`` of every row a streamed fit holds out, read batch by batch."""
    parts_of = _Parts(seed, fraction, 0.1)  # fit_stream's own rule
    ids = []
    for batch in TableSource(path, batch_rows=batch_rows).batches():
        ids += batch.frame["id"][parts_of(batch) == TEST].tolist()
    return ids


@pytest.mark.parametrize("batch_rows", [1, 7, 64])
def test_streamed_and_in_memory_hold_out_the_same_rows_of_a_folder(tmp_path, batch_rows):
    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    folder = tmp_path / "parts"
    folder.mkdir()
    start = 0
    for k, size in enumerate([10, 17, 23]):  # the rows run on across the files
        ids = np.arange(start, start + size) * 3 + 1  # not the row numbers themselves
        pd.DataFrame({"id": ids, "x": rng.normal(size=size)}).to_parquet(
            folder / f"part-{k}.parquet", index=False)
        start += size
    frame = read_table(folder)  # in memory: the files end to end, in sorted order
    for seed, fraction in [(0, 0.2), (7, 0.5)]:
        train, test = split_rows(len(frame), seed, fraction)
        streamed = _held_out_ids_streamed(folder, batch_rows, seed, fraction)
        assert frame["id"].to_numpy()[test].tolist() == streamed
        assert sorted(frame["id"].to_numpy()[train].tolist() + streamed) == frame["id"].tolist()


def test_streamed_and_in_memory_hold_out_the_same_rows_of_a_csv(tmp_path):
    data = tmp_path / "t.csv"
    pd.DataFrame({"id": np.arange(80) * 5, "x": np.arange(80) / 7}).to_csv(data, index=False)
    frame = read_table(data)
    _, test = split_rows(len(frame), 3, 0.25)
    assert frame["id"].to_numpy()[test].tolist() == _held_out_ids_streamed(data, 9, 3, 0.25)
