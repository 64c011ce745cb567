"""A tiny table streamed with early stopping on, whose row hash keeps none of its training
rows for validation (a classifier's 10% of 8 rows; a regressor given ``early_stopping=True``):
``fit_stream`` crashed scoring no rows (``TypeError: 'NoneType' object is not subscriptable``
in ``network/_scoring.py``; ``probnn fit --stream yes``: "internal error") where the fit in
memory holds its ``validation_fraction`` out of the rows. Now the streamed fit, its rows in
one chunk, is that fit; rows in several chunks with nothing to score are refused in one line.

Oracle: the fit in memory on the same table (``--stream no``), whose model file the streamed
fit's must equal byte for byte, whatever the reader's batch size; a refusal in one line (exit
1), where the fit in memory refuses too (4 rows: too few to hold some out).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _cli import run
from probnn.estimators import MLPClassifier, MLPRegressor
from probnn.exceptions import DataWarning
from probnn.tables.sources import TableSource
from probnn.tables.streaming import fit_stream


def _write(path, n_rows: int, family: str) -> None:
    x = np.round(np.sin(np.arange(n_rows) * 1.7), 4)
    y = np.where(x > 0, "a", "b") if family == "categorical" else np.round(2 * x + 0.1 * np.cos(
        np.arange(n_rows)), 4)  # fmt: skip
    path.write_text("x,y\n" + "".join(f"{a},{b}\n" for a, b in zip(x, y)))


def test_ten_rows_of_two_classes_stream_one_row_at_a_time(tmp_path):
    """The defect's table: 10 rows, read a row at a time, categorical, early stopping on."""
    path = tmp_path / "t.csv"
    _write(path, 10, "categorical")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        model, _ = fit_stream(TableSource(path, batch_rows=1), "y", family="categorical",
                              hidden=(3,), epochs=2, early_stopping=True)  # fmt: skip
    assert model.classes == ["a", "b"]
    assert model.estimator.early_stopping_ and len(model.estimator.validation_scores_) == 2


@pytest.mark.filterwarnings("ignore::probnn.exceptions.DataWarning")
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(n_rows=st.integers(4, 45), batch_rows=st.integers(1, 7))
@example(n_rows=10, batch_rows=1)  # the defect's table
@example(n_rows=17, batch_rows=4)
@pytest.mark.parametrize("family", ["categorical", "normal"])
def test_streamed_tiny_table_is_the_fit_in_memory(tmp_path, capsys, family, n_rows, batch_rows):
    data = tmp_path / f"t{n_rows}.csv"
    _write(data, n_rows, family)
    results = {}
    with pytest.MonkeyPatch.context() as patch:  # the streamed reader's batches
        patch.setitem(TableSource.__init__.__kwdefaults__, "batch_rows", batch_rows)
        patch.setattr("probnn.cli.fit._write_model_report", lambda *args, **kw: tmp_path)
        for stream in ("no", "yes"):
            out = tmp_path / f"{stream}.safetensors"
            out.unlink(missing_ok=True)
            code, _, err = run(capsys, "fit", data, "--target", "y", "--family", family,
                               "--hidden", "3", "--epochs", "3", "--quiet", "--stream", stream,
                               "--out", out)  # fmt: skip
            assert "Traceback" not in err and "internal error" not in err, err
            # (a refusal: one error line; the warnings before it are another matter)
            assert code == 0 or sum("error:" in line for line in err.splitlines()) == 1, err
            results[stream] = (code, out.read_bytes() if code == 0 else None)
    assert results["yes"] == results["no"]


@pytest.mark.parametrize("make", [MLPClassifier, MLPRegressor])
def test_one_chunk_with_nothing_to_score_is_fit_and_more_are_refused(make):
    """Early stopping, no validation rows: one chunk of all the rows is ``fit`` (its
    validation_fraction held out); rows in two chunks, which cannot be held out of as
    ``fit`` would, are refused in one line. Both crashed in the trainer before."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 2)), np.arange(60) % 2
    first = {"classes": np.arange(2)} if make is MLPClassifier else {}
    settings = dict(hidden_layer_sizes=(3,), early_stopping=True, max_iter=3, random_state=0)
    streamed = make(**settings).fit_chunks(lambda: iter([(X, y)]), n_rows=60, **first)
    in_memory = make(**settings).fit(X, y)
    np.testing.assert_array_equal(streamed.predict(X), in_memory.predict(X))
    assert streamed.validation_scores_ == in_memory.validation_scores_
    chunks = lambda: iter([(X[:30], y[:30]), (X[30:], y[30:])])  # noqa: E731
    with pytest.raises(ValueError, match="^early stopping needs validation rows") as info:
        make(**settings).fit_chunks(chunks, n_rows=60, **first)
    assert "\n" not in str(info.value)
