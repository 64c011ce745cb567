"""``probnn evaluate`` on the data a model was fitted on scores only its held-out rows (issue 20).

The model file records the data's SHA-256 and the split (rule, seed, test fraction, rows), so
``evaluate`` recognises the same data (at any path) and re-derives the rows the fit held out,
by the rule the fit recorded: ``row_parts``' hash (in memory and streamed, issue 21), or the
permutation of model files an in-memory fit wrote before. The oracles: the held-out NLL ``fit`` itself printed, and the NLL recomputed with
scipy from the predicted distribution (``probnn predict``) on the held-out rows.
"""

from __future__ import annotations

import hashlib
import io
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from probnn.cli import _held_out_filter, main
from probnn.tables.split import TEST, row_parts

FAST = ("--hidden", "4", "--epochs", "5", "--quiet")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def figure(out: str, words: str) -> float:
    """The number at the end of the first printed line containing ``words``."""
    return float(next(line for line in out.splitlines() if words in line).split()[-1])


def write_csv(path, n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "y": 2.0 * x + rng.normal(size=n)})
    frame.to_csv(path, index=False)
    return frame


def _permutation_rows(n: int, seed: int, fraction: float) -> np.ndarray:
    """The rows an in-memory fit held out before issue 21 (model files that record the split
    "permutation"): the first round(fraction * n) of NumPy's permutation by the seed, at
    least 1 and at most n - 1."""
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[:min(n - 1, max(1, round(fraction * n)))])


def scipy_nll(capsys, model, data, rows=None) -> float:
    """Mean -log N(y | loc, scale) of ``probnn predict``'s parameters over ``rows`` (all: None)."""
    code, out, err = run(capsys, "predict", model, data)
    assert code == 0, err
    table, y = pd.read_csv(io.StringIO(out)), pd.read_csv(data)["y"].to_numpy()
    logp = stats.norm.logpdf(y, table["loc"].to_numpy(), table["scale"].to_numpy())
    return -float(np.mean(logp if rows is None else logp[rows]))


def test_in_memory_fit_then_evaluate_on_its_file_scores_its_held_out_rows(tmp_path, capsys):
    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    write_csv(data, 120, seed=0)
    code, fit_out, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--test-size", "0.25", "--seed", "5", "--out", model, *FAST)  # fmt: skip
    assert code == 0, err
    # the rows of the row hash, asked row by row (issue 21: no longer round(0.25 * 120) = 30
    # rows of a permutation)
    held = np.array([i for i in range(120) if row_parts(np.array([i], dtype=np.uint64), 5,
                                                         0.25, 0.0)[0] == TEST])  # fmt: skip
    n = held.size
    assert f"held-out metrics ({n} rows" in fit_out
    from probnn.model_file import load_model

    record = load_model(model).training_data  # (and the table by content: test_training_rows)
    assert {k: record[k] for k in ("sha256", "rows", "split", "seed", "test_fraction")} == {
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "rows": 120,
        "split": "row-hash", "seed": 5, "test_fraction": 0.25}  # fmt: skip
    expected = scipy_nll(capsys, model, data, held)
    # the oracle tells the held-out rows from all rows apart (so it can fail)
    assert abs(scipy_nll(capsys, model, data) - expected) > 1e-3
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "evaluate", model, data, "--stream", stream)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0] == f"{model} was fitted on {data}: scoring only its {n} held-out rows"
        assert lines[1].startswith(f"{data}: {n} rows")
        # the very figures fit printed for its held-out rows
        for words in ("nats", "bits", "RMSE", "MAE", "coverage", "PIT"):
            assert figure(out, words) == figure(fit_out, words), (stream, words)
        assert figure(out, "nats") == pytest.approx(expected, abs=1e-4)

    # the same bytes under another name are the same data
    copy = tmp_path / "copy.csv"
    shutil.copy(data, copy)
    code, out, err = run(capsys, "evaluate", model, copy, "--report", tmp_path / "ev")
    assert code == 0, err
    assert out.splitlines()[0] == f"{model} was fitted on {copy}: scoring only its {n} held-out rows"
    page = (tmp_path / "ev" / "report.html").read_text(encoding="utf-8")
    assert f"the {n} rows of {copy} its fit held out (--test-size 0.25, --seed 5)" in page


def test_evaluate_on_other_data_scores_every_row_and_says_nothing_more(tmp_path, capsys):
    data, other, model = tmp_path / "d.csv", tmp_path / "new.csv", tmp_path / "m.safetensors"
    write_csv(data, 100, seed=0)
    write_csv(other, 60, seed=1)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--out", model,
                       *FAST)  # fmt: skip
    assert code == 0, err
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "evaluate", model, other, "--stream", stream)
        assert code == 0, err
        assert "fitted on" not in out and "held-out rows" not in out
        assert out.splitlines()[0].startswith(f"{other}: 60 rows")
        assert figure(out, "nats") == pytest.approx(scipy_nll(capsys, model, other), abs=1e-4)


def test_streamed_fit_then_evaluate_on_its_file_scores_its_hashed_held_out_rows(tmp_path, capsys):
    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    write_csv(data, 150, seed=2)
    code, fit_out, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--stream", "yes", "--seed", "3", "--out", model, *FAST)  # fmt: skip
    assert code == 0, err
    held = np.flatnonzero(row_parts(np.arange(150, dtype=np.uint64), 3, 0.2, 0.1) == TEST)
    assert f"held-out metrics ({held.size} rows" in fit_out
    expected = scipy_nll(capsys, model, data, held)
    assert abs(scipy_nll(capsys, model, data) - expected) > 1e-3
    for stream in ("yes", "no"):
        code, out, err = run(capsys, "evaluate", model, data, "--stream", stream)
        assert code == 0, err
        assert out.splitlines()[0] == (f"{model} was fitted on {data}: scoring only its "
                                       f"{held.size} held-out rows")  # fmt: skip
        assert figure(out, "nats") == pytest.approx(figure(fit_out, "nats"), abs=1e-4)
        assert figure(out, "nats") == pytest.approx(expected, abs=1e-4)
    code, out, err = run(capsys, "evaluate", model, data, "--stream", "yes")
    for words in ("nats", "bits", "RMSE", "MAE", "coverage", "PIT"):  # the same pass as fit's
        assert figure(out, words) == figure(fit_out, words), words


def test_a_model_file_without_the_record_evaluates_every_row_as_before(tmp_path, capsys):
    from probnn.model_file import load_model, save_model

    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    write_csv(data, 80, seed=4)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--out", model,
                       *FAST)  # fmt: skip
    assert code == 0, err
    old = load_model(model)
    old.training_data = None  # as files written before the record
    save_model(old, model)
    assert load_model(model).training_data is None
    code, out, err = run(capsys, "evaluate", model, data)
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"{data}: 80 rows")
    assert figure(out, "nats") == pytest.approx(scipy_nll(capsys, model, data), abs=1e-4)


@pytest.mark.parametrize("field, value", [("rows", "many"), ("split", "by-magic"),
                                          ("sha256", "0" * 63), ("test_fraction", 1.5),
                                          ("seed", None)])  # fmt: skip
def test_a_malformed_record_is_one_line_naming_the_field(tmp_path, capsys, field, value):
    from probnn.model_file import load_model, save_model

    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    write_csv(data, 60, seed=5)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FAST)
    assert code == 0, err
    bad = load_model(model)
    bad.training_data = {**bad.training_data, field: value}
    save_model(bad, model)
    code, out, err = run(capsys, "evaluate", model, data)
    assert code == 1 and out == ""
    assert err.startswith("probnn: error: ") and err.count("\n") == 1
    assert f"training_data {field!r}" in err


@settings(max_examples=60, deadline=None)
@given(n=st.integers(5, 500), seed=st.integers(0, 2**32), fraction=st.floats(0.01, 0.99))
def test_evaluate_rederives_the_rows_fit_held_out_by_either_rule(n, seed, fraction):
    rows = np.arange(n)
    record = {"sha256": "0" * 64, "rows": n, "seed": seed, "test_fraction": fraction}
    kept = _held_out_filter({**record, "split": "permutation"})(rows)
    np.testing.assert_array_equal(np.flatnonzero(kept), _permutation_rows(n, seed, fraction))
    kept = _held_out_filter({**record, "split": "row-hash"})(rows.astype(np.uint64))
    # a streamed fit's validation part is cut from the rows it did not hold out
    for validation in (0.0, 0.1, 0.5):
        parts = row_parts(rows.astype(np.uint64), seed, fraction, validation)
        np.testing.assert_array_equal(kept, parts == TEST)


def test_an_older_model_file_that_recorded_the_permutation_scores_its_rows(tmp_path, capsys):
    # model files written before issue 21 record the in-memory split "permutation": evaluate
    # on their data still scores the rows that split held out
    from probnn.model_file import load_model, save_model

    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    write_csv(data, 120, seed=6)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--seed", "2",
                       "--out", model, *FAST)  # fmt: skip
    assert code == 0, err
    old = load_model(model)
    old.training_data = {**old.training_data, "split": "permutation"}
    save_model(old, model)
    held = _permutation_rows(120, 2, 0.2)
    assert held.size == 24  # round(0.2 * 120)
    expected = scipy_nll(capsys, model, data, held)
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "evaluate", model, data, "--stream", stream)
        assert code == 0, err
        assert out.splitlines()[0] == f"{model} was fitted on {data}: scoring only its 24 held-out rows"
        assert figure(out, "nats") == pytest.approx(expected, abs=1e-4)
