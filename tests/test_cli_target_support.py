"""The selection's candidates hold every value of the target column, held-out rows included.

``probnn fit --family auto`` scores its candidates on the training rows; a family chosen there
must still give the held-out rows a likelihood. A count column whose only negative value fell
in a held-out row chose a count family and failed after training (in memory: the model saved,
then exit 1; streamed: exit 1 after the first passes). The kinds are now read from the whole
column (as ``--family auto`` without selection always did), in memory and streamed alike.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from probnn.families import FAMILIES
from probnn.tables.split import split_rows

from _cli import printed_metric, run


def _counts_with_one_negative_held_out(tmp_path, seed: int = 0):
    rng = np.random.default_rng(3)
    n = 150
    x = rng.normal(size=n)
    y = rng.poisson(np.exp(1.0 + 0.5 * x)).astype(float)
    _, test = split_rows(n, seed, 0.2)  # the held-out rows of `probnn fit --seed 0`
    y[test[0]] = -1.0
    path = tmp_path / "counts.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_a_held_out_value_outside_the_training_rows_support_is_still_scored(
        tmp_path, capsys, monkeypatch, stream):  # fmt: skip
    path = _counts_with_one_negative_held_out(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "fit", path, "--target", "y", "--seed", 0, "--hidden", "none",
                         "--stream", stream)  # fmt: skip
    assert code == 0, err
    assert "target kind: integer" in out  # -1 is no count: the whole column's kind
    chosen = next(line for line in out.splitlines() if line.startswith("chose "))
    family = chosen.split()[1]
    assert FAMILIES[family].support == "real", chosen
    assert math.isfinite(printed_metric(out, "NLL (nats per example)"))
