"""A streamed fit of a mixture keeps the targets' resolution, as a fit in memory does
(``probnn.tables.resolution``): on a heaped target its components are no narrower than
``h / sqrt(2 pi)``, so no density it puts out exceeds ``1 / h``. Oracles: the smallest gap
between distinct training targets counted by numpy, the mixture's density at the heap by
``scipy.stats.norm`` from the predicted weights, means and scales, and the in-memory fit of
the same rows (the two paths must agree)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

pytest.importorskip("pyarrow")

from probnn.tables.model import TabularModel  # noqa: E402
from probnn.tables.resolution import StreamedHeap, heap  # noqa: E402
from probnn.tables.sources import TableSource  # noqa: E402
from probnn.tables.split import TEST, row_parts  # noqa: E402
from probnn.tables.streaming import fit_stream  # noqa: E402

SEED = 3


def _heaped(n: int = 600, seed: int = 2) -> pd.DataFrame:
    """Targets recorded to 0.1, 40% of them exactly 4.0 (a heap inside the range)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.round((2.5 + 0.8 * x + rng.normal(0, 0.5, n)) * 10) / 10
    y[rng.uniform(size=n) < 0.4] = 4.0
    return pd.DataFrame({"x": x, "y": y})


def _written(frame: pd.DataFrame, folder, files: int = 3):
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), files)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


def _fit_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a streamed fit trains and validates on (not held out), by the row hash."""
    parts = row_parts(np.arange(len(frame), dtype=np.uint64), SEED, 0.2, 0.0)
    return frame[parts != TEST]


def _mixture_density(model, frame: pd.DataFrame, at: float) -> np.ndarray:
    """The predicted mixture's density at ``at``, row by row, by scipy from its parameters."""
    dist = model.predict_dist(frame)
    weights = np.asarray(dist.weights)
    return sum(w * stats.norm.pdf(at, np.asarray(c.loc), np.asarray(c.scale))
               for w, c in zip(weights, dist.components))  # fmt: skip


def test_a_streamed_mixture_on_a_heap_keeps_the_resolution(tmp_path):
    frame = _heaped()
    h = float(np.diff(np.unique(_fit_rows(frame)["y"])).min())  # 0.1, as float64 records it
    assert h == pytest.approx(0.1, rel=1e-9)
    source = TableSource(_written(frame, tmp_path / "t"), batch_rows=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # several chunks through the shuffle buffer: the target standardised by the stream's
        # own first passes, not by one chunk in memory
        model, _ = fit_stream(source, "y", family="mixture-normal", hidden=(), epochs=40,
                              seed=SEED, buffer_rows=100, chunk_rows=64,
                              learning_rate_init=0.05)  # fmt: skip
    assert model.estimator.family_.min_scale == pytest.approx(h / math.sqrt(2 * math.pi), rel=1e-12)
    density = _mixture_density(model, frame, 4.0)
    assert float(density.max()) <= 1 / h
    # the library's own density agrees with scipy's from the parameters
    np.testing.assert_allclose(np.exp(model.predict_dist(frame).log_prob(np.full(len(frame), 4.0))),
                               density, rtol=1e-5)  # fmt: skip


def test_a_callers_floor_and_other_families_are_left_alone(tmp_path):
    source = TableSource(_written(_heaped(), tmp_path / "t"), batch_rows=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given, _ = fit_stream(source, "y", family="mixture-normal", hidden=(), epochs=2,
                              seed=SEED, family_params={"min_scale": 0.0})  # fmt: skip
        normal, _ = fit_stream(source, "y", family="normal", hidden=(), epochs=2, seed=SEED)
    assert given.estimator.family_.min_scale == 0.0
    assert "min_scale" not in (normal.estimator.family_params or {})


def test_a_one_chunk_stream_has_the_in_memory_fits_floor(tmp_path):
    frame = _heaped(n=400, seed=5)
    source = TableSource(_written(frame, tmp_path / "t"), batch_rows=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamed, _ = fit_stream(source, "y", family="mixture-normal", hidden=(), epochs=2,
                                 seed=SEED)  # fmt: skip
        in_memory = TabularModel.fit(_fit_rows(frame), "y", family="mixture-normal", hidden=(),
                                     epochs=2, seed=SEED)  # fmt: skip
    h = float(np.diff(np.unique(_fit_rows(frame)["y"])).min())
    assert in_memory.estimator.family_.min_scale == pytest.approx(h / math.sqrt(2 * math.pi), rel=1e-12)
    assert streamed.estimator.family_.min_scale == in_memory.estimator.family_.min_scale


def test_the_streamed_heap_is_exact_below_its_cap_and_sampled_above():
    frame = _heaped(n=3000, seed=7)
    y = frame["y"]
    rows = np.arange(len(y), dtype=np.uint64)
    exact, sampled = StreamedHeap(max_distinct=10_000), StreamedHeap(max_distinct=20, sample=500)
    for scan in (exact, sampled):
        for piece in np.array_split(rows, 7):
            scan.add(y.to_numpy()[piece], piece)
    assert exact.heap(("real",)) == heap(y, ("real",))
    assert exact.heap(("count",)) is None  # counts are probabilities already
    # beyond 20 distinct values: the heap (40% of the rows) found in the uniform sample of
    # 500 rows, its share within 5 binomial standard errors, the resolution no smaller
    value, share, resolution = sampled.heap(("real",))
    true_share = float(np.mean(y == 4.0))
    assert value == 4.0
    assert abs(share - true_share) <= 5 * math.sqrt(true_share * (1 - true_share) / 500)
    assert resolution >= float(np.diff(np.unique(y)).min())
    # no heap inside the range: none found either way
    smooth = np.random.default_rng(1).normal(size=2000)
    for scan in (StreamedHeap(), StreamedHeap(max_distinct=20, sample=500)):
        scan.add(smooth, np.arange(smooth.size, dtype=np.uint64))
        assert scan.heap(("real",)) is None


def test_a_streamed_mixture_on_integers_has_the_units_floor(tmp_path):
    # whole numbers without a heap inside their range: the floor is the integers' unit
    # (h = 1, what P(y - 1/2 < Y <= y + 1/2) scores), in memory and streamed alike
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=300), "y": rng.poisson(200, 300)})
    source = TableSource(_written(frame, tmp_path / "t"), batch_rows=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        streamed, _ = fit_stream(source, "y", family="mixture-normal", hidden=(), epochs=2,
                                 seed=SEED)  # fmt: skip
    assert heap(frame["y"].astype(float), ("real",)) is None  # (read as reals: no heap)
    assert streamed.estimator.family_.min_scale == pytest.approx(1 / math.sqrt(2 * math.pi),
                                                                  rel=1e-12)  # fmt: skip
