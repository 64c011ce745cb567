"""A streamed fit of a target with one value on every row not held out is refused at once, as
``probnn fit`` in memory refuses it (hostile trial 10). Before: ``--stream yes --family normal``
trained its whole epoch budget (20,000 epochs, 70 s on a 200-row CSV) towards a scale of 0, then
exited 1 with "Normal: scale must be finite and > 0; found 0". Oracle: the table's one value,
written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _cli import run


@pytest.mark.parametrize("family", ["normal", "poisson"])
def test_a_constant_target_is_refused_streamed_as_in_memory(tmp_path, capsys, family):
    rng = np.random.default_rng(0)
    data = tmp_path / "constant.csv"
    pd.DataFrame({"x": rng.normal(size=40), "y": np.full(40, 3.0)}).to_csv(data, index=False)
    errors = {}
    for stream in ("no", "yes"):
        out = tmp_path / f"m_{stream}.safetensors"
        code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", family,
                                 "--hidden", "4", "--epochs", "3", "--stream", stream,
                                 "--quiet", "--out", out)  # fmt: skip
        assert code == 1, (stream, printed, err)
        lines = [line for line in err.splitlines() if line.startswith("probnn: error")]
        assert len(lines) == 1 and "Traceback" not in err, (stream, err)
        assert not out.exists()
        errors[stream] = lines[0]
    for line in errors.values():
        assert "expected at least two distinct target values to train on; found only 3" in line
