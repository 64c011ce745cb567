"""``probnn evaluate`` knows a model's training rows by their values, not only by the file's
bytes (``tables.copies``).

The same table with CRLF line endings, one more trailing newline, or as a Parquet copy has
another SHA-256: before, evaluate scored every row of it, training rows included, as held
out. Now the model file records a digest of the table's rows and its training rows'
digests: the same rows are scored on the fit's held-out rows (said), and a table holding
many training rows is said to (one warning line). The oracles: the rows the row hash holds
out (``row_parts``, asked row by row) and the NLL scipy computes from ``probnn predict``'s
parameters on them; a model file written before (SHA-256 only) keeps the old behaviour.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from _cli import run

from probnn.tables.copies import (ROW_HASH_CAP, content_sha256, count_training_rows,
                                  row_digests, training_row_hashes)  # fmt: skip
from probnn.tables.split import TEST, row_parts

FAST = ("--family", "normal", "--hidden", "4", "--epochs", "5", "--quiet")


def nats(out: str) -> float:
    return float(next(line for line in out.splitlines() if "nats" in line).split()[-1])


def scipy_nll(capsys, model, data, frame, rows=None) -> float:
    code, out, err = run(capsys, "predict", model, data)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    logp = stats.norm.logpdf(frame["y"].to_numpy(), table["loc"], table["scale"])
    return -float(np.mean(logp if rows is None else logp[rows]))


@pytest.fixture
def fitted(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=150)
    frame = pd.DataFrame({"x": x, "g": rng.choice(["a", "b"], 150), "y": 2 * x + rng.normal(size=150)})
    data, model = tmp_path / "d.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--seed", "4", "--out", model, *FAST)
    assert code == 0, err
    held = np.flatnonzero(row_parts(np.arange(150, dtype=np.uint64), 4, 0.2, 0.0) == TEST)
    return frame, data, model, held


@pytest.mark.parametrize("stream", ["no", "yes"])
@pytest.mark.parametrize("variant", ["crlf", "newline", "parquet"])
def test_the_same_rows_in_a_file_of_other_bytes_are_scored_on_the_held_out_rows(
        tmp_path, capsys, fitted, variant, stream):  # fmt: skip
    frame, data, model, held = fitted
    if variant == "parquet":
        pytest.importorskip("pyarrow")
        other = tmp_path / "d.parquet"
        pd.read_csv(data).to_parquet(other)
    else:
        other = tmp_path / f"{variant}.csv"
        text = data.read_bytes()
        other.write_bytes(text.replace(b"\n", b"\r\n") if variant == "crlf" else text + b"\n")
    assert other.read_bytes() != data.read_bytes()
    code, out, err = run(capsys, "evaluate", model, other, "--stream", stream)
    assert code == 0, err
    assert out.splitlines()[0] == (f"{model} was fitted on {other} (the same rows, in a file of "
                                   f"other bytes): scoring only its {held.size} held-out rows")  # fmt: skip
    assert nats(out) == pytest.approx(scipy_nll(capsys, model, data, frame, held), abs=1e-4)


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_a_superset_of_the_training_rows_is_said_to_hold_them(tmp_path, capsys, fitted, stream):
    frame, data, model, held = fitted
    rng = np.random.default_rng(9)
    x = rng.normal(size=40)
    fresh = pd.DataFrame({"x": x, "g": "a", "y": 2 * x + rng.normal(size=40)})
    bigger = tmp_path / "bigger.csv"
    pd.concat([frame, fresh], ignore_index=True).to_csv(bigger, index=False)
    code, out, err = run(capsys, "evaluate", model, bigger, "--stream", stream)
    assert code == 0, err
    trained = 150 - held.size  # every training row, none of the fresh or held-out rows
    assert out.splitlines()[0] == (f"warning: {trained} of 190 rows of {bigger} are rows {model} "
                                   "was trained on: the scores are optimistic, not held-out scores")  # fmt: skip
    assert out.splitlines()[1].startswith(f"{bigger}: 190 rows")  # every row scored, as before
    # fresh rows and the held-out rows alone: nothing said
    only = tmp_path / "fresh.csv"
    pd.concat([frame.iloc[held], fresh], ignore_index=True).to_csv(only, index=False)
    code, out, err = run(capsys, "evaluate", model, only, "--stream", stream)
    assert code == 0, err
    assert "warning" not in out and "fitted on" not in out


def test_an_older_model_file_knows_its_data_by_the_sha_alone(tmp_path, capsys, fitted):
    from probnn.model_file import load_model, save_model

    frame, data, model, held = fitted
    old = load_model(model)
    old.training_data = {k: old.training_data[k]
                         for k in ("sha256", "rows", "split", "seed", "test_fraction")}  # fmt: skip
    older = tmp_path / "old.safetensors"
    save_model(old, older)
    assert load_model(older).training_data == old.training_data
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(data.read_bytes().replace(b"\n", b"\r\n"))
    code, out, err = run(capsys, "evaluate", older, crlf)
    assert code == 0, err
    assert out.splitlines()[0].startswith(f"{crlf}: 150 rows")  # every row, as before
    code, out, err = run(capsys, "evaluate", older, data)
    assert out.splitlines()[0].endswith(f"scoring only its {held.size} held-out rows")


def test_a_model_file_with_bad_row_hashes_is_refused_in_one_line(tmp_path, capsys, fitted):
    from probnn.model_file import load_model, save_model

    _, data, model, _ = fitted
    bad = load_model(model)
    bad.training_data = {**bad.training_data, "row_hashes": bad.training_data["row_hashes"][::-1]}
    path = tmp_path / "bad.safetensors"
    save_model(bad, path)
    code, out, err = run(capsys, "evaluate", path, data)
    assert code == 1 and "row_hashes" in err and len(err.strip().splitlines()) == 1


def test_digests_agree_across_readings_of_one_value():
    # 3, 3.0 and a nullable Int64 3 are one number; -0.0 is 0.0; text by its characters
    a = pd.DataFrame({"n": [3, 0, 1], "t": ["x", "y", None]})
    b = pd.DataFrame({"n": pd.array([3.0, -0.0, 1.0]), "t": pd.Categorical(["x", "y", None])})
    c = pd.DataFrame({"n": pd.array([3, 0, 1], dtype="Int64"), "t": ["x", "y", np.nan]})
    assert (row_digests(a, ["n", "t"]) == row_digests(b, ["n", "t"])).all()
    assert (row_digests(a, ["n", "t"]) == row_digests(c, ["n", "t"])).all()
    # the order of the columns, and each value, count
    assert (row_digests(a, ["n", "t"]) != row_digests(a, ["t", "n"])).all()
    assert content_sha256(row_digests(a, ["n"])) != content_sha256(row_digests(a.iloc[::-1], ["n"]))


@settings(max_examples=30, deadline=None)
@given(n_train=st.integers(1, 3 * ROW_HASH_CAP // 2), seed=st.integers(0, 2**31))
def test_training_rows_are_counted_exactly_or_on_a_uniform_sample(n_train, seed):
    rng = np.random.default_rng(seed)
    train = rng.integers(0, 2**64, size=n_train, dtype=np.uint64)
    other = rng.integers(0, 2**64, size=2000, dtype=np.uint64)
    hashes, sampled = training_row_hashes(train)
    assert sampled == (np.unique(train).size > ROW_HASH_CAP) and hashes.size <= ROW_HASH_CAP
    table = np.concatenate([train[:1000], other])  # at most 1000 training rows, 2000 not
    found, checked = count_training_rows(table, hashes, sampled)
    trained = min(n_train, 1000)
    if not sampled:  # exact
        assert (found, checked) == (trained, trained + 2000)
    else:  # the rows below the sample's largest hash: a share q of the range, q = cap / n_train
        q = ROW_HASH_CAP / np.unique(train).size
        assert checked == pytest.approx(q * (trained + 2000), abs=5 * np.sqrt(3000 * q))
        assert found == np.count_nonzero(train[:1000] <= hashes[-1])
