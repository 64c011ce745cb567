"""A target of TRUE / FALSE (a CSV's, read by pandas as booleans; a Parquet bool column) is
predicted with its labels as read, ``True`` / ``False`` (columns ``p(False)``, ``p(True)``),
not as the 1 / 0 it was encoded to; a model file saved before (classes 0 / 1) still loads
and scores such a column. Oracles: pandas' reading of the file, and the same rows with
labels 0 / 1 (the model's NLL on them).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

from probnn.cli import main  # noqa: E402
from probnn.model_file import load_model  # noqa: E402
from probnn.tables.model import TabularModel  # noqa: E402


def _table(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": x + rng.normal(size=n) > 0})


@pytest.mark.parametrize("stream", ["no", "yes"])
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_predictions_carry_the_labels_as_read(tmp_path, capsys, kind, stream):
    table = _table()
    data = tmp_path / f"t.{kind}"
    if kind == "csv":  # as R writes a logical column
        table.assign(y=table.y.map({True: "TRUE", False: "FALSE"})).to_csv(data, index=False)
    else:
        table.to_parquet(data, index=False)
    out = tmp_path / "m.probnn"
    args = ["fit", str(data), "--target", "y", "--hidden", "none", "--epochs", "5",
            "--stream", stream, "--quiet", "--out", str(out)]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["predict", str(out), str(data)]) == 0
    predicted = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(predicted.columns[:3]) == ["prediction", "p(False)", "p(True)"]
    assert predicted["prediction"].dtype == bool  # (pandas reads True / False back)
    model = load_model(out)
    np.testing.assert_array_equal(model.predict_table(table)["prediction"].to_numpy(),
                                  predicted["prediction"].to_numpy())  # fmt: skip


def test_a_model_of_labels_0_and_1_scores_true_and_false_as_before():
    table = _table()
    numbers = table.assign(y=table.y.astype(int))
    model = TabularModel.fit(numbers, "y", family="bernoulli", hidden=(), solver="lbfgs", seed=0)
    assert list(model.classes) == [0, 1]
    np.testing.assert_array_equal(model.nll_rows(table), model.nll_rows(numbers))
