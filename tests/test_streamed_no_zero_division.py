"""A streamed fit of a small table reads chunks whose rows are all held out: the target's
spread check on such a chunk took a mean over zero rows, 0 / 0, and printed a bare NumPy
"invalid value encountered in scalar divide" (a 40-row table in 1-row batches; a 4-row one
before its refusal). Oracle: the law of the quantity itself, no rows have no location and
no spread (0, the value a single distinct value also gives), and no RuntimeWarning at all.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from probnn.estimators._target import _weighted_moments, check_resolvable_spread
from probnn.exceptions import DataError
from probnn.tables.sources import TableSource
from probnn.tables.streaming import fit_stream


def test_no_rows_have_no_location_and_no_spread():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _weighted_moments(np.empty(0), np.empty(0)) == (0.0, 0.0)
        assert _weighted_moments(np.array([3.0, 5.0]), np.zeros(2)) == (0.0, 0.0)
        check_resolvable_spread(np.empty(0))  # nothing to refuse


def _table(path, n_rows: int) -> None:
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=n_rows), rng.normal(size=n_rows)
    pd.DataFrame({"x": x, "z": z, "y": 2 * x + rng.normal(size=n_rows)}).to_csv(path, index=False)


@pytest.mark.parametrize("batch_rows", [1, 3])
def test_a_small_table_streamed_in_small_batches_warns_no_numpy_warning(tmp_path, batch_rows):
    _table(tmp_path / "t.csv", 40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit_stream(TableSource(tmp_path / "t.csv", batch_rows=batch_rows), "y", epochs=2,
                   hidden=[4])  # fmt: skip


def test_a_four_row_table_is_refused_without_a_numpy_warning(tmp_path):
    _table(tmp_path / "t.csv", 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(DataError, match="expected at least"):
            fit_stream(TableSource(tmp_path / "t.csv", batch_rows=1), "y", epochs=2, hidden=[4])
