"""One table, one fit (issue 21): ``probnn fit DATA --stream yes`` and ``--stream no`` on a table
that fits in memory hold out the same rows, print the same figures and write models that predict
the same to float32 rounding, for a regressor and a classifier, on a table with string columns
and missing values. The oracle: the in-memory fit's own output and its model's predictions
(the two paths must agree; neither is taken as right by the other's code), and the held-out
rows of the row hash asked row by row.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from _tables import mixed_table as table
from probnn.cli import main
from probnn.tables.split import TEST, row_parts

FAST = ("--hidden", "6", "--epochs", "12", "--impute", "--quiet", "--seed", "4")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err




def figures(out: str) -> list[str]:
    """The held-out metrics block as printed (the header line and every figure)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("held-out metrics ("))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        block.append(line)
    return block


@pytest.mark.parametrize("classifier", [False, True], ids=["regressor", "classifier"])
def test_streamed_and_in_memory_fits_are_the_same_fit(tmp_path, capsys, classifier):
    n = 400
    data = tmp_path / "t.csv"
    table(n, classifier).to_csv(data, index=False)
    outs, models = {}, {}
    for stream in ("no", "yes"):
        models[stream] = tmp_path / f"{stream}.safetensors"
        # a named family: --family auto selects by likelihood first (on the same rows in
        # both paths: test_streaming_selection.py), which is not what is compared here
        code, out, err = run(capsys, "fit", data, "--target", "y", "--stream", stream,
                             "--family", "bernoulli" if classifier else "normal",
                             "--out", models[stream], *FAST)  # fmt: skip
        assert code == 0, err
        outs[stream] = out
    held = sum(int(row_parts(np.array([i], dtype=np.uint64), 4, 0.2, 0.1)[0] == TEST)
               for i in range(n))  # fmt: skip
    assert figures(outs["no"])[0].startswith(f"held-out metrics ({held} rows")
    assert figures(outs["yes"]) == figures(outs["no"])
    predictions = {}
    for stream, model in models.items():
        code, out, err = run(capsys, "predict", model, data)
        assert code == 0, err
        predictions[stream] = pd.read_csv(io.StringIO(out))
    assert list(predictions["yes"].columns) == list(predictions["no"].columns)
    for column in predictions["no"].columns:
        a, b = predictions["no"][column], predictions["yes"][column]
        if not pd.api.types.is_numeric_dtype(a):  # a predicted label
            assert a.tolist() == b.tolist(), column
        else:
            np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-6,
                                       atol=1e-7, err_msg=column)  # fmt: skip
