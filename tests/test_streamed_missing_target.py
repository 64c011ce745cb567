"""A streamed fit names a target's missing values as the in-memory fit does.

``probnn fit --stream yes`` on a 200-row CSV whose target is empty on data rows 11-31 said
"found 14 missing at data rows 12, 13, 14, 17, ...": the rows of its selection sample or
its training part only, the held-out ones left out. Now each batch's rows, held-out ones
too (one batch here: the same count and rows as ``--stream no``).

Oracle: the rows written empty (data rows 11 to 31, 21 of them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _cli import run


@pytest.mark.parametrize("family", ["auto", "normal"])
def test_streamed_and_in_memory_name_the_same_missing_rows(tmp_path, capsys, monkeypatch, family):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 1 + 2 * x + rng.normal(size=200)
    y[10:31] = np.nan  # data rows 11..31
    pd.DataFrame({"x": x, "y": y}).to_csv("t.csv", index=False)
    errors = []
    for stream in ("no", "yes"):
        code, _, err = run(capsys, "fit", "t.csv", "--target", "y", "--family", family,
                           "--hidden", "none", "--quiet", "--stream", stream)  # fmt: skip
        assert code == 1 and "Traceback" not in err
        errors.append(err.strip().removeprefix("probnn: error: ").removeprefix("t.csv: "))
    assert "found 21 missing at data rows 11, 12, 13" in errors[0]
    assert errors[1] == errors[0]
