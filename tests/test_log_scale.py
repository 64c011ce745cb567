"""The log rule for numeric features (probnn.tables.log_scale): a positive column whose central
90% spans two decades is read as log x, by a decision computed the same in memory and in pieces,
with the guard for exact powers of another column; uniform and index columns never fire; the
model file records it (older files read as before), and a value <= 0 at prediction is read as
the training minimum with a warning. Oracles: scipy's binomial quantile and numpy's sorted
column (the order statistics), the laws that made the columns (uniform, log-normal, an index,
x**2 of another column, a copy), and the in-memory fit against the streamed one.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from probnn.exceptions import DataError, DataWarning
from probnn.tables.log_scale import (ALPHA, SHAPE_SPAN_MIN, SPAN_MIN, TAIL, LogScan,
                                     quantile_skewness, tail_rank)  # fmt: skip
from probnn.tables.preprocessing import Preprocessor
from probnn.tables.sources import TableSource


def _fit(frame: pd.DataFrame, **kw) -> Preprocessor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return Preprocessor(**kw).fit(frame)


def _span_by_hand(x: np.ndarray) -> float:
    """q95 / q05 at their confidence bounds: the order statistics k and n - 1 - k, k the
    binomial (n, 0.05) quantile at 1 - ALPHA (scipy), of the sorted column."""
    x = np.sort(x[~np.isnan(x)])
    k = int(binom.ppf(1.0 - ALPHA, x.size, TAIL))
    return float(x[x.size - 1 - k] / x[k])


def _skewed(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    exper = rng.integers(1, 50, n).astype(float)
    return pd.DataFrame({"body": np.exp(rng.normal(0.0, 3.0, n)),  # ~8 orders of magnitude
                         "exper": exper, "expersq": exper ** 2,  # a hand-made square
                         "u": rng.normal(size=n)})  # fmt: skip


@pytest.mark.parametrize("n", [1, 7, 8, 20, 62, 250, 1000, 123_457])
def test_tail_rank_is_the_binomial_quantile(n):
    assert tail_rank(n) == min(int(binom.ppf(1.0 - ALPHA, n, TAIL)), n)
    k = tail_rank(n)
    assert (k < n - 1 - k) == (n >= 8)  # fewer than 8 values: no bounds, never fires


def test_the_span_is_the_ratio_of_two_order_statistics():
    frame = _skewed()
    scan = LogScan(list(frame.columns))
    scan.update(frame.to_numpy(float))
    scan.finish()
    assert scan.pending == ["body", "exper", "expersq"]  # u: not positive, cannot fire
    scan.begin_pass()
    for name in scan.pending:
        scan.update_pass(name, frame[name].to_numpy(float))
    scan.end_pass()
    assert scan.pending == []
    span = scan.span()
    for name in ("body", "exper", "expersq"):
        assert span[name] == _span_by_hand(frame[name].to_numpy(float))
    assert span["exper"] < SHAPE_SPAN_MIN  # integers 1-49 uniformly: a bulk spanning < 19
    assert span["expersq"] >= SPAN_MIN  # it would fire, but the guard leaves it
    assert scan.chosen() == ["body"]


def test_the_rule_logs_the_wide_column_and_guards_the_square():
    frame = _skewed()
    pre = _fit(frame)
    assert pre.logged_ == ["body"]  # expersq = exper**2 stays raw
    logs = np.log(frame["body"].to_numpy())
    X = pre.transform(frame)
    np.testing.assert_allclose(X[:, 0], (logs - logs.mean()) / logs.std(), rtol=1e-12)
    assert pre.range_[0] == pytest.approx((logs.min(), logs.max()))
    np.testing.assert_array_equal(X[:, 1:], Preprocessor().fit(frame[["exper", "expersq", "u"]])
                                  .transform(frame[["exper", "expersq", "u"]]))  # fmt: skip


def test_a_rescaled_copy_is_logged_with_its_column():
    frame = _skewed()[["body"]].assign(grams=lambda f: 1000.0 * f["body"])  # power 1
    assert _fit(frame).logged_ == ["body", "grams"]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 3000), seed=st.integers(0, 2**32 - 1),
       low=st.sampled_from([0.0, 1e-9, 0.5, 3.0]), scale=st.sampled_from([1e-6, 1.0, 7.0, 1e9]))  # fmt: skip
def test_a_uniform_column_never_fires(n, seed, low, scale):
    # uniform on [low, low + 1] * scale: its central 90% spans at most 0.95 / 0.05 = 19 (from
    # zero), so a fire needs a confidence bound to fail (below 2e-6 at any n, the binomial)
    x = (low + np.random.default_rng(seed).uniform(0.0, 1.0, n)) * scale
    assert _fit(pd.DataFrame({"x": x, "z": np.arange(n) % 3})).logged_ == []


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20_000), start=st.sampled_from([1, 2, 1000]),
       kept=st.sampled_from([1.0, 0.7, 0.3]), seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_an_index_column_never_fires(n, start, kept, seed):
    # start..start+n-1 (row numbers, time steps), or a random part of it: q05 >= start + 0.05
    # (n - 1) and q95 <= start + n - 1, a ratio below 19 whatever n
    index = np.arange(start, start + n, dtype=float)
    index = index[np.random.default_rng(seed).random(n) < kept] if kept < 1 else index
    if index.size == 0:
        return
    assert _fit(pd.DataFrame({"t": index})).logged_ == []


@settings(max_examples=20, deadline=None)
@given(n=st.integers(200, 3000), seed=st.integers(0, 2**32 - 1))
def test_a_log_normal_column_fires(n, seed):
    # sd of log x 2.5: the central 90% spans exp(2 * 1.645 * 2.5) = 3,700; even the bounds'
    # ranks at n = 200 (the 10th and 90th percentiles) span exp(2 * 1.28 * 2.5) = 600
    x = np.exp(np.random.default_rng(seed).normal(1.0, 2.5, n))
    assert _fit(pd.DataFrame({"x": x})).logged_ == ["x"]


def _bowley_by_hand(x: np.ndarray) -> tuple[float, float]:
    """Bowley's skewness of x and of log x at the bounds' order statistics and the median's
    (rank (n - 1) // 2) of the sorted column (scipy's binomial quantile for the ranks)."""
    x = np.sort(x)
    k = int(binom.ppf(1.0 - ALPHA, x.size, TAIL))
    lo, mid, hi = x[k], x[(x.size - 1) // 2], x[x.size - 1 - k]
    return ((hi + lo - 2 * mid) / (hi - lo),
            (np.log(hi) + np.log(lo) - 2 * np.log(mid)) / (np.log(hi) - np.log(lo)))


def test_quantile_skewness_by_hand():
    assert quantile_skewness(1.0, 2.0, 5.0) == pytest.approx(0.5)  # (5 + 1 - 4) / 4
    assert quantile_skewness(1.0, 4.0, 5.0) == pytest.approx(-0.5)
    assert quantile_skewness(2.0, 3.0, 4.0) == 0.0
    assert SHAPE_SPAN_MIN == pytest.approx(19.0)  # (1 - 0.05) / 0.05: uniform from zero


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1000, 3000), seed=st.integers(0, 2**32 - 1),
       scale=st.sampled_from([1e-3, 1.0, 250.0]))  # fmt: skip
def test_below_two_decades_the_more_symmetric_reading_decides(n, seed, scale):
    # exponential: its central 90% spans ln(20) / ln(20 / 19) = 58 (< 100), S 0.56 on x and
    # -0.28 on log x (the law's quantiles): log x is the more symmetric reading, it fires (from
    # n = 1,000 the bounds' ranks are within the 7.2% / 92.8% quantiles: a span of 36)
    x = np.random.default_rng(seed).exponential(scale, n)
    span = _span_by_hand(x)
    on_x, on_log = _bowley_by_hand(x)
    assert (SHAPE_SPAN_MIN <= span < SPAN_MIN) and abs(on_log) < abs(on_x)  # (the oracle's case)
    assert _fit(pd.DataFrame({"x": x})).logged_ == ["x"]
    with SHAPE_OFF():  # stop 40's rule alone: left as x
        assert _fit(pd.DataFrame({"x": x})).logged_ == []


@settings(max_examples=40, deadline=None)
@given(n=st.integers(8, 3000), seed=st.integers(0, 2**32 - 1), shape=st.floats(0.2, 6.0),
       power=st.sampled_from([1.0, 0.5, 2.0]))  # fmt: skip
def test_the_decision_is_the_rule_worked_from_the_sorted_column(n, seed, shape, power):
    # gamma(shape) ** power: bulks from a factor 3 to thousands, skewed more or less than the
    # log can mend; the decision against the rule applied by hand to numpy's sorted column
    x = np.random.default_rng(seed).gamma(shape, 1.0, n) ** power + 1e-12
    k = int(binom.ppf(1.0 - ALPHA, n, TAIL))
    if not k < (n - 1) // 2 < n - 1 - k:
        expected = False  # fewer than 8 values (or no median between the bounds)
    else:
        span = _span_by_hand(x)
        on_x, on_log = _bowley_by_hand(x)
        expected = span >= SPAN_MIN or span >= SHAPE_SPAN_MIN and abs(on_log) < abs(on_x)
    assert _fit(pd.DataFrame({"x": x})).logged_ == (["x"] if expected else [])


class SHAPE_OFF:
    """Stop 40's rule alone (the lower edge off), as on main."""

    def __enter__(self):
        from probnn.tables import log_scale
        self._was, log_scale.SHAPE_SPAN_MIN = log_scale.SHAPE_SPAN_MIN, np.inf

    def __exit__(self, *exc):
        from probnn.tables import log_scale
        log_scale.SHAPE_SPAN_MIN = self._was


def test_a_few_values_cannot_move_it():
    # 1,000 values in [10, 20] and 40 (4%) at 1e-6 or 1e6: max / min 1e12, the bulk a factor 2
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(10.0, 20.0, 1000), [1e-6] * 20, [1e6] * 20])
    assert _span_by_hand(x) < 2.0
    assert _fit(pd.DataFrame({"x": rng.permutation(x)})).logged_ == []


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(1, 299), max_size=6), block=st.integers(5, 80))
def test_pieces_give_the_decision_and_sums_bit_for_bit(cuts, block):
    frame = _skewed()
    values = frame.to_numpy(float).copy()
    values[::17, 0] = np.nan  # missing values
    parts = np.split(values, sorted(set(cuts)))
    whole, pieces = LogScan(list(frame.columns)), LogScan(list(frame.columns))
    whole.block_rows = pieces.block_rows = block
    whole.update(values)
    for part in parts:
        pieces.update(part)
    for scan, chunks in ((whole, [values]), (pieces, parts)):
        scan.finish()
        while scan.pending:
            scan.begin_pass()
            for chunk in chunks:
                for name in scan.pending:
                    scan.update_pass(name, chunk[:, scan.names.index(name)])
            scan.end_pass()
    for a, b in zip(whole._sums, pieces._sums):
        np.testing.assert_array_equal(a, b)
    assert whole.bounds == pieces.bounds
    assert whole.chosen() == pieces.chosen() == ["body"]
    assert whole.log_moments[0].mean == pieces.log_moments[0].mean


def test_a_streamed_scan_learns_the_same_preprocessor(tmp_path):
    from _scan import scan_stream

    frame = _skewed(500, seed=2)
    frame.to_csv(tmp_path / "t.csv", index=False)
    streamed = scan_stream(TableSource(tmp_path / "t.csv", batch_rows=37), list(frame.columns))
    assert streamed.logged_ == ["body"]
    # against the same numbers as read from the file (pandas 2.0's CSV parser, at the
    # runtime floor, may read a written float an ulp or two away: the scan is under test)
    assert streamed.to_meta() == _fit(pd.read_csv(tmp_path / "t.csv")).to_meta()


def test_a_streamed_scan_reads_the_shape_rule_as_in_memory(tmp_path):
    from _scan import scan_stream

    # an exponential column (its bulk spans 58: the lower edge decides, by the median's order
    # statistic found in pieces) beside an index and a uniform one, which stay as they are
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"wait": rng.exponential(2.0, 1500), "t": np.arange(1.0, 1501.0),
                          "u": rng.uniform(0.0, 1.0, 1500)})  # fmt: skip
    frame.to_csv(tmp_path / "t.csv", index=False)
    streamed = scan_stream(TableSource(tmp_path / "t.csv", batch_rows=53), list(frame.columns))
    assert streamed.logged_ == ["wait"]
    assert streamed.to_meta() == _fit(pd.read_csv(tmp_path / "t.csv")).to_meta()


def test_model_meta_round_trip_and_older_files():
    pre = _fit(_skewed())
    meta = pre.to_meta()
    assert meta["log"] == ["body"]
    again = Preprocessor.from_meta(meta)
    np.testing.assert_array_equal(again.transform(_skewed()), pre.transform(_skewed()))
    # a table the rule leaves: no field, the file as before; a file without it reads as none
    plain = _fit(_skewed()[["exper", "u"]]).to_meta()
    assert "log" not in plain
    assert Preprocessor.from_meta(plain).logged_ == []
    with pytest.raises(DataError, match="log"):
        Preprocessor.from_meta({**meta, "log": ["nope"]})


def test_a_value_not_above_zero_later_is_read_as_the_training_minimum():
    frame = _skewed()
    pre = _fit(frame)
    rows = frame.head(3).copy()
    rows.loc[1, "body"] = 0.0
    with pytest.warns(DataWarning, match="'body'.*training minimum"):
        X = pre.transform(rows)
    low = np.log(frame["body"].min())
    assert X[1, 0] == pytest.approx((low - pre.center_[0]) / pre.scale_[0])
    assert X[1, 0] == pytest.approx(pre.transform(frame)[frame["body"].argmin(), 0])


def test_streamed_and_in_memory_fits_read_the_same_log_column(tmp_path, capsys):
    from probnn.cli import main
    from probnn.model_file import load_model

    rng = np.random.default_rng(3)
    frame = _skewed(400, seed=3)
    frame["body"] = frame["body"].where(rng.random(400) > 0.05)  # missing values, imputed
    frame["y"] = rng.gamma(4.0, np.nan_to_num(frame["body"], nan=1.0) ** 0.5 / 4.0)
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    predictions = {}
    for stream in ("no", "yes"):
        out = tmp_path / f"{stream}.safetensors"
        code = main(["fit", str(data), "--target", "y", "--family", "gamma", "--hidden", "4",
                     "--epochs", "5", "--impute", "--quiet", "--seed", "1", "--stream", stream,
                     "--out", str(out)])  # fmt: skip
        _, err = capsys.readouterr()
        assert code == 0, err
        assert "'body' read as log(x)" in err
        assert load_model(out).preprocessor.logged_ == ["body"]
        assert main(["predict", str(out), str(data)]) == 0
        predictions[stream] = pd.read_csv(io.StringIO(capsys.readouterr()[0]))
    for column in predictions["no"].columns:
        a, b = predictions["no"][column], predictions["yes"][column]
        np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=1e-6)
