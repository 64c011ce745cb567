"""Tables read in record batches (``probnn.tables.streaming``) against the same rows in memory.

The oracle of every streamed figure is the in-memory path on the same rows (``Preprocessor.fit``,
``partial_fit`` on arrays, ``TabularModel.predict_table`` / ``evaluate``) and, for the statistics
themselves, numpy (``np.mean``, ``np.std``, ``np.median``).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

from probnn import _running  # noqa: E402
from probnn.cli import main  # noqa: E402
from probnn.exceptions import DataError  # noqa: E402
from probnn.tables.sources import TableSource  # noqa: E402
from probnn.tables.split import TEST, TRAIN, row_parts  # noqa: E402
from probnn.tables.streaming import (ShuffleBuffer, evaluate_stream, fit_stream,  # noqa: E402
                                     predict_stream)  # fmt: skip
from probnn.tables.preprocessing import Preprocessor  # noqa: E402
from probnn.tables.targets import TargetScan, target_kind  # noqa: E402

HYPOTHESIS = settings(max_examples=15, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _mixed_table(n: int, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, integers, text with gaps, thousands and dates as text, a target."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n) * 3.0 + 10.0
    x[rng.random(n) < 0.1] = np.nan
    shop = rng.choice(["north", "south", "east", "west"], n).astype(object)
    shop[rng.random(n) < 0.1] = None
    amount = [f"{v:,.1f}" for v in rng.uniform(0, 50_000, n)]
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    return pd.DataFrame({
        "x": x, "k": rng.integers(-5, 50, n), "shop": shop, "amount": amount,
        "day": day.strftime("%Y-%m-%d"), "y": 0.5 * np.nan_to_num(x) + rng.normal(size=n),
    })  # fmt: skip


def _write_parquet_folder(frame: pd.DataFrame, folder, cuts) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    bounds = [0, *sorted(set(cuts)), len(frame)]
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        frame.iloc[a:b].to_parquet(folder / f"part-{i:03d}.parquet", index=False)


def _scan_stream(source: TableSource, columns, impute: bool) -> Preprocessor:
    from _scan import scan_stream

    return scan_stream(source, columns, impute)


# --------------------------------------------------------------- statistics
@HYPOTHESIS
@given(n=st.integers(1, 400), block=st.integers(1, 64), seed=st.integers(0, 2**16),
       cuts=st.lists(st.integers(0, 400), max_size=6), collect=st.integers(1, 50))  # fmt: skip
def test_block_moments_and_exact_median_do_not_depend_on_the_pieces(n, block, seed, cuts, collect,
                                                                     monkeypatch):  # fmt: skip
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(size=n) * 10.0 ** rng.integers(-3, 4), int(rng.integers(0, 4)))
    values[rng.random(n) < 0.2] = np.nan
    pieces = np.split(values, sorted(c for c in set(cuts) if c < n))
    one, many = _running.BlockMoments(block), _running.BlockMoments(block)
    one.update(values)
    for piece in pieces:
        many.update(piece)
    one.finish(), many.finish()
    assert (one.count, one.mean, one.m2) == (many.count, many.mean, many.m2)
    present = values[~np.isnan(values)]
    assert one.count == present.size
    if present.size:
        np.testing.assert_allclose(one.mean, np.mean(present), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(one.std, np.std(present), rtol=1e-9, atol=1e-12)
        monkeypatch.setattr(_running, "COLLECT_LIMIT", collect)  # several passes
        median = _running.ExactMedian()
        median.begin_pass()
        for piece in pieces:
            median.update(piece)
        median.set_count(present.size)
        median.end_pass()
        while not median.done:
            median.begin_pass()
            for piece in pieces:
                median.update(piece)
            median.end_pass()
        assert median.value == np.median(present)


def test_one_block_is_numpy_bit_for_bit():
    values = np.random.default_rng(1).lognormal(size=5000)
    moments = _running.BlockMoments()
    moments.update(values)
    moments.finish()
    assert moments.mean == np.mean(values) and moments.std == np.std(values)


# ------------------------------------------------------------ preprocessing
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.integers(4, 97), cuts=st.lists(st.integers(1, 199), min_size=1, max_size=4),
       impute=st.booleans(), block=st.sampled_from([16, 50, 65_536]))  # fmt: skip
def test_streamed_preprocessing_is_bit_identical_to_in_memory(tmp_path_factory, batch, cuts,
                                                               impute, block, monkeypatch):  # fmt: skip
    monkeypatch.setattr(_running, "BLOCK_ROWS", block)
    monkeypatch.setattr(_running, "COLLECT_LIMIT", 7)
    frame = _mixed_table(200)
    if not impute:
        frame = frame.dropna().reset_index(drop=True)
    folder = tmp_path_factory.mktemp("parts")
    _write_parquet_folder(frame, folder, [c for c in cuts if c < len(frame)])
    features = [c for c in frame.columns if c != "y"]
    streamed = _scan_stream(TableSource(folder, batch_rows=batch), features, impute)
    in_memory = Preprocessor(impute=impute).fit(frame[features])
    assert streamed.to_meta() == in_memory.to_meta()
    # ... and what both learned is what numpy says of the columns
    assert streamed.parsers_ == {"amount": "thousands", "day": "date:%Y-%m-%d"}
    x = frame["x"].dropna().to_numpy()
    np.testing.assert_allclose(streamed.center_[0], x.mean(), rtol=1e-12)
    np.testing.assert_allclose(streamed.scale_[0], x.std(), rtol=1e-12)
    assert streamed.categories_["shop"] == sorted(set(frame["shop"].dropna()))
    if impute:
        assert streamed.fill_["x"] == np.median(x)
        assert streamed.fill_["shop"] == frame["shop"].mode().iloc[0]


@pytest.mark.parametrize("values", [
    ["a", "b", "a", None, "b"], ["red", "green", "blue", "green"], [0, 3, 1, 2, 7, 5],
    [1.5, 2.25, 3.0, 8.5], [0.2, 0.7, 0.5, 0.1], [-3, 4, 7, 12, 15, 30, 2, 1, 0, 9, 11, 13],
    ["1,200", "3,400.5", "12", "7,000"], [1, 2, "x", 4],
])  # fmt: skip
def test_target_kind_of_a_column_in_pieces_is_that_of_the_whole(values):
    column = pd.Series(values * 3, dtype=object if any(isinstance(v, str) for v in values) else None)
    scan = TargetScan(max_distinct=1000)
    pieces = [column.iloc[i:i + 2] for i in range(0, len(column), 2)]
    for piece in pieces:
        scan.observe(piece)
    for piece in pieces:
        scan.add(piece)
    try:
        whole = target_kind(column)
    except DataError as exc:  # a numeric column with a stray string: the same rows named
        with pytest.raises(DataError, match=re.escape(str(exc))):
            scan.kind()
        return
    assert scan.kind() == whole


# ------------------------------------------------------------ row parts
def test_row_parts_are_stateless_and_of_the_asked_sizes():
    rows = np.arange(200_000, dtype=np.uint64)
    parts = row_parts(rows, seed=3, test_fraction=0.2, validation_fraction=0.1)
    np.testing.assert_array_equal(parts[1234:5678], row_parts(rows[1234:5678], 3, 0.2, 0.1))
    for part, p in ((TEST, 0.2), (1, 0.08), (TRAIN, 0.72)):  # binomial: 6 standard errors
        assert abs(np.mean(parts == part) - p) < 6 * math.sqrt(p * (1 - p) / rows.size)
    assert not np.array_equal(parts, row_parts(rows, 4, 0.2, 0.1))


@HYPOTHESIS
@given(size=st.integers(0, 40), chunks=st.lists(st.integers(1, 30), min_size=1, max_size=12),
       seed=st.integers(0, 100))  # fmt: skip
def test_shuffle_buffer_gives_back_every_row_once(size, chunks, seed):
    buffer, out, start = ShuffleBuffer(size, seed), [], 0
    for m in chunks:
        X = np.arange(start, start + m, dtype=np.float64)[:, None]
        out += [y for _, y in buffer.push(X, X[:, 0].astype(np.int64))]
        start += m
    out += [y for _, y in buffer.flush()]
    seen = np.concatenate(out)
    np.testing.assert_array_equal(np.sort(seen), np.arange(start))


# ------------------------------------------------------------------ fitting
def _regression_folder(tmp_path, n=600):
    frame = _mixed_table(n, seed=5).dropna().reset_index(drop=True)
    folder = tmp_path / "parts"
    _write_parquet_folder(frame, folder, [len(frame) // 3, 2 * len(frame) // 3])
    return frame, folder


@pytest.mark.parametrize("ema_decay", [None, 0.9])
@pytest.mark.parametrize("classify", [False, True])
def test_streamed_fit_is_partial_fit_over_the_same_chunks(tmp_path, classify, ema_decay,
                                                          monkeypatch):
    # without the average: partial_fit over the same chunks, bit for bit; with it: the
    # documented recursion over the weights after each of those steps, from the starting
    # weights as a fit in memory (issue 21: one loop; it began after the first chunk),
    # worked here in float64
    from probnn.estimators import MLPClassifier, MLPRegressor
    from probnn.network.optimizers import Optimizer

    frame, folder = _regression_folder(tmp_path)
    if classify:
        frame["y"] = np.where(frame["y"] > frame["y"].median(), "high", "low")
        frame.to_parquet(folder / "part-000.parquet", index=False)
        for extra in sorted(folder.glob("part-00[12].parquet")):
            extra.unlink()
    settings_ = dict(hidden=(8,), epochs=2, seed=4, batch_size=16, buffer_rows=0, chunk_rows=48,
                     early_stopping=False, learning_rate_init=0.01, ema_decay=ema_decay)  # fmt: skip
    model, info = fit_stream(TableSource(folder, batch_rows=37), "y", **settings_)
    parts = row_parts(np.arange(len(frame), dtype=np.uint64), 4, 0.2, 0.0)
    rows = frame[parts == TRAIN]
    X = model.transform(rows).astype(np.float32)
    common = dict(hidden_layer_sizes=(8,), max_iter=2, random_state=4, batch_size=16,
                  early_stopping=False, n_iter_no_change=10, learning_rate_init=0.01)  # fmt: skip
    if classify:
        y = np.searchsorted(["high", "low"], rows["y"].to_numpy())
        reference = MLPClassifier(family="bernoulli", **common)
        first = {"classes": [0, 1]}
    else:
        y = rows["y"].to_numpy()
        reference = MLPRegressor(family="normal", **common)
        first = {"target_scaling": (np.mean(frame["y"][parts != TEST]),
                                    np.std(frame["y"][parts != TEST]))}  # fmt: skip
    path, original = [], Optimizer.step

    def recording(self, params, grad, lr):
        if not path:
            path.append(params.astype(np.float64))  # the starting weights
        original(self, params, grad, lr)
        path.append(params.astype(np.float64))

    monkeypatch.setattr(Optimizer, "step", recording)
    for _ in range(2):
        for start in range(0, len(X), 48):
            reference.partial_fit(X[start:start + 48], y[start:start + 48], **first)
            first = {}
    monkeypatch.setattr(Optimizer, "step", original)
    got = np.concatenate([a.ravel() for a in model.estimator.coefs_ + model.estimator.intercepts_])
    want = np.concatenate([a.ravel() for a in reference.coefs_ + reference.intercepts_])
    if ema_decay is None:
        np.testing.assert_array_equal(got, want)
    else:
        average = path[0]
        for k, w in enumerate(path[1:]):
            d = min(ema_decay, (1.0 + k) / (10.0 + k))
            average = d * average + (1.0 - d) * w
        np.testing.assert_allclose(got, average, rtol=1e-5, atol=1e-6)
        assert np.max(np.abs(got - want)) > 1e-4  # the average, not the last step
    assert model.estimator.n_iter_ == 2 and len(model.estimator.loss_curve_) == 2
    assert info.rows["train"] == len(rows) and info.rows["test"] == int(np.sum(parts == TEST))


def test_early_stopping_keeps_the_best_epoch_as_scored_in_memory(tmp_path):
    frame, folder = _regression_folder(tmp_path)
    model, info = fit_stream(TableSource(folder, batch_rows=50), "y", hidden=(8,), epochs=6,
                             seed=1, buffer_rows=100, patience=1, learning_rate_init=0.05)  # fmt: skip
    est = model.estimator
    assert est.best_validation_score_ == min(est.validation_scores_)
    parts = row_parts(np.arange(len(frame), dtype=np.uint64), 1, 0.2, 0.1)
    val = frame[parts == 1]
    in_memory = est.score_nll(model.transform(val), val["y"].to_numpy())
    # float32 forward passes over differently sized blocks of rows: BLAS may pick other
    # kernels for them (seen on an AMD EPYC: 1.8e-9 apart), so agreement to float32 rounding
    np.testing.assert_allclose(in_memory, est.best_validation_score_, rtol=1e-6)
    # the held-out metrics over every test row are the in-memory ones on those rows
    expected = model.evaluate(frame[parts == TEST])
    for key, value in info.metrics.items():  # to float32 rounding too (see above)
        atol = 2 / 65536 if key == "pit_ks" else 1e-7
        np.testing.assert_allclose(value, expected[key], rtol=1e-6, atol=atol, err_msg=key)


@pytest.mark.parametrize("ema_decay", ["auto", None])
def test_a_streamed_fit_says_whether_it_averaged_the_weights(tmp_path, ema_decay):
    # the estimator and its report card say what the streamed fit did (partial_fit alone
    # steps without the average; the streamed fit keeps one across its chunks unless told not)
    from probnn.report.card import training_rows

    _, folder = _regression_folder(tmp_path)
    model, _ = fit_stream(TableSource(folder, batch_rows=100), "y", hidden=(8,), epochs=2, seed=0,
                          ema_decay=ema_decay)  # fmt: skip
    rows = {what: value for what, value, _ in training_rows(model.estimator)}
    averaged = rows["weights averaged over the steps (decay per step)"]
    if ema_decay is None:
        assert model.estimator.ema_decay_ is None
        assert averaged == "none (the last step's weights)"
    else:
        assert model.estimator.ema_decay_ == 0.995 and averaged == "auto: 0.995"


@pytest.mark.parametrize("option,expected", [([], 0.995), (["--average", "none"], None),
                                             (["--average", "0.9"], 0.9)])
def test_the_average_option_reaches_a_streamed_fit(tmp_path, option, expected):
    from probnn.model_file import load_model

    _, folder = _regression_folder(tmp_path)
    model_file = tmp_path / "m.safetensors"
    # a named family: --family auto would first select one on the rows (not tested here)
    code = main(["fit", str(folder), "--target", "y", "--epochs", "2", "--hidden", "8",
                 "--family", "normal", "--out", str(model_file), "--quiet", *option])  # fmt: skip
    assert code == 0
    assert load_model(model_file).estimator.ema_decay_ == expected


# ----------------------------------------------------------- the command
def test_streamed_predict_and_evaluate_equal_in_memory(tmp_path, capsys):
    frame, folder = _regression_folder(tmp_path)
    model_file = tmp_path / "m.safetensors"
    code = main(["fit", str(folder), "--target", "y", "--epochs", "3", "--hidden", "8",
                 "--family", "normal", "--out", str(model_file), "--quiet"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    streamed, whole = tmp_path / "s.csv", tmp_path / "w.csv"
    assert main(["predict", str(model_file), str(folder), "--out", str(streamed)]) == 0
    single = tmp_path / "all.parquet"  # the same rows as one file, read in memory
    frame.to_parquet(single, index=False)
    assert main(["predict", str(model_file), str(single), "--out", str(whole)]) == 0
    a, b = pd.read_csv(streamed), pd.read_csv(whole)
    assert list(a.columns) == list(b.columns) and len(a) == len(frame)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6)
    capsys.readouterr()
    # the single file holds the folder's rows (other bytes): both know them by content and
    # score the fit's held-out rows (the streamed fit records its rows by content)
    assert main(["evaluate", str(model_file), str(single), "--stream", "yes"]) == 0
    out_stream = capsys.readouterr().out
    assert main(["evaluate", str(model_file), str(single), "--stream", "no"]) == 0
    out_memory = capsys.readouterr().out
    first = out_memory.splitlines()[0]
    assert out_stream.splitlines()[0] == first
    assert first.startswith(f"{model_file} was fitted on {single} (the same rows, in a file of "
                            "other bytes): scoring only its ")  # fmt: skip
    numbers = [[float(v) for v in line.split()[-1:]] for line in out_stream.splitlines()[2:]]
    expected = [[float(v) for v in line.split()[-1:]] for line in out_memory.splitlines()[2:]]
    np.testing.assert_allclose(numbers, expected, atol=2e-4)  # printed to 4 decimals


def test_csv_read_in_chunks_gives_the_same_preprocessing_and_metrics(tmp_path):
    from probnn.tables.sources import read_table

    frame = _mixed_table(500, seed=9)
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    source = TableSource(path, batch_rows=23)
    features = [c for c in frame.columns if c != "y"]
    whole = read_table(path)
    streamed = _scan_stream(source, features, impute=True)
    assert streamed.to_meta() == Preprocessor(impute=True).fit(whole[features]).to_meta()
    model, _ = fit_stream(TableSource(path, batch_rows=64), "y", hidden=(4,), epochs=2,
                          impute=True, buffer_rows=0)  # fmt: skip
    metrics, n = evaluate_stream(model, source)
    assert n == len(frame)
    expected = model.evaluate(whole)
    for key in expected:
        atol = 2 / 65536 if key == "pit_ks" else 1e-9
        np.testing.assert_allclose(metrics[key], expected[key], rtol=1e-9, atol=atol, err_msg=key)
    pieces = []
    predict_stream(model, source, pieces.append)
    streamed_table = pd.read_csv(__import__("io").StringIO("".join(pieces)))
    np.testing.assert_allclose(streamed_table.to_numpy(dtype=float),
                               model.predict_table(whole).to_numpy(dtype=float), rtol=1e-6)  # fmt: skip


def test_a_corrupt_parquet_file_is_named_before_training(tmp_path, monkeypatch, capsys):
    import probnn.tables.streaming as streaming

    frame, folder = _regression_folder(tmp_path)
    bad = folder / "part-001.parquet"
    bad.write_bytes(bad.read_bytes()[:200])  # cut short: no footer

    def refuse(*args, **kwargs):
        raise AssertionError("training started before the files were checked")

    monkeypatch.setattr(streaming, "fit_stream", refuse)
    code = main(["fit", str(folder), "--target", "y", "--out", str(tmp_path / "m.safetensors")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and str(bad) in err and "Parquet" in err
    # the real command: one line on stderr, exit 1, no traceback
    done = subprocess.run([sys.executable, "-m", "probnn", "fit", str(folder), "--target", "y",
                           "--out", str(tmp_path / "m2.safetensors")],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and str(bad) in done.stderr


def test_a_bad_value_deep_in_a_file_names_the_file_and_its_rows(tmp_path):
    frame, folder = _regression_folder(tmp_path)
    part = pd.read_parquet(folder / "part-002.parquet")
    part.loc[part.index[7], "x"] = np.inf
    part.to_parquet(folder / "part-002.parquet", index=False)
    with pytest.raises(DataError, match=r"part-002\.parquet: .*finite numbers in column 'x'; found inf at data row 8$"):
        fit_stream(TableSource(folder, batch_rows=10), "y", epochs=1)


def test_streaming_refuses_lbfgs_and_ensembles_as_usage(tmp_path, capsys):
    _, folder = _regression_folder(tmp_path, n=60)
    for extra in (["--solver", "lbfgs"], ["--ensemble", "3"]):
        code = main(["fit", str(folder), "--target", "y", *extra,
                     "--out", str(tmp_path / "m.safetensors")])  # fmt: skip
        assert code == 2, extra
        assert "--stream no" in capsys.readouterr().err


def test_a_csv_stream_left_early_closes_quietly(tmp_path):
    # stopping after the first batch closes the generator: the reader must close before its
    # file (pandas 2.0, the floor, raised "I/O operation on closed file" from close(), which
    # Python printed as an ignored exception's traceback when the generator was collected)
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0)}).to_csv(path, index=False)
    batches = TableSource(path, batch_rows=10).batches(["x", "y"])
    first = next(batches)
    assert first.frame.shape == (10, 2)
    batches.close()  # raised DataError before
