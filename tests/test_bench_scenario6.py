"""Scenario 6's in-memory peer trains with the batch size the streamed fit used: the
estimator's ``batch_size`` is "auto" since the size rule, and the peer read it as a number
(a TypeError after the 20-million-row streamed fit, which no test ran)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def test_the_in_memory_peer_takes_the_fits_resolved_batch_size():
    from bench.scenario6 import _in_memory_throughput
    from probnn.tables.model import TabularModel

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400)})
    frame["y"] = frame["x"] + rng.normal(size=400)
    model = TabularModel.fit(frame, "y", family="normal", hidden=(4,), epochs=1, seed=0)
    assert model.estimator.get_params()["batch_size"] == "auto"
    out = _in_memory_throughput(model, frame, 1, lambda line: None)
    assert out["batch_size"] == model.estimator.batch_size_ and out["rows"] == 400
    assert out["chunk_rows"] % out["batch_size"] == 0 and out["rows_per_s"][0] > 0
