"""``probnn evaluate`` knows its training rows when a file writes their values otherwise.

The model file recognised its table by a digest of each row's values as read: a number by
its float64 bits, text by its characters. So the same table with "12.3%" written 12.3, or
"4,611" written 4611, or "31.80%" for "31.8%", was not its training table: every row was
scored as held out (hostile10: 400 rows, NLL 1.77 against the held-out 2.00; exit 0). Now
the record digests the rows as the model reads them (``tables.copies.value_readings``: a
number-text column by its number, a text column's number by its one spelling), and
evaluate tries both forms, so an older file's digests still work. Columns in another order
and plain numbers with more digits ("1.50" for "1.5") were recognised before and still are.

The split is not changed: a fit keeps its rows' copies together by their digests as read
(``key_sha256`` where those differ from the values'), the same rows are held out as before;
another file that writes such a table otherwise cannot tell those keys, and is refused in
one line rather than scored on rows that may have trained.

Oracles: the rows the row hash holds out (``row_parts`` of the row numbers, or of the
digests as read, the code before this change), scipy's normal NLL on ``probnn predict``'s
parameters of those rows, and the main-form record built with ``content_record`` of the
digests as read (what a model file written before holds).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _cli import run
from probnn.tables.split import TEST, row_parts

FAST = ("--family", "normal", "--hidden", "4", "--epochs", "5", "--quiet", "--seed", "4")
N = 150


def nats(out: str) -> float:
    return float(next(line for line in out.splitlines() if "nats" in line).split()[-1])


def scipy_nll(capsys, model, data, y, rows) -> float:
    code, out, err = run(capsys, "predict", model, data)
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    return -float(np.mean(stats.norm.logpdf(y, table["loc"], table["scale"])[rows]))


def values(n: int = N, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 50, n), 1)
    z = rng.integers(1000, 9000, n)
    k = rng.choice(["a", "b", "c", "0"], n, p=[0.3, 0.3, 0.3, 0.1])
    y = np.round(0.05 * x + 0.0003 * z + (k == "0") + rng.normal(0, 1, n), 3)
    return pd.DataFrame({"x": x, "z": z, "k": k, "y": y})


def written(frame: pd.DataFrame, how: str) -> pd.DataFrame:
    """``frame`` as a file writes it: "percent" ("31.8%", "5,427"), "plain" (31.8, 5427),
    "digits" ("31.80%", "5,427", y to 4 decimals, "0" as "0.0"), "reordered" (percent, the
    columns reversed)."""
    out = frame.copy()
    if how in ("percent", "digits", "reordered"):
        out["x"] = [f"{v:.2f}%" if how == "digits" else f"{v}%" for v in frame["x"]]
        out["z"] = [f"{v:,}" for v in frame["z"]]
    if how == "digits":
        out["y"] = [f"{v:.4f}" for v in frame["y"]]
        out["k"] = frame["k"].replace("0", "0.0")
    return out[list(out.columns)[::-1]] if how == "reordered" else out


@pytest.fixture
def fitted(tmp_path, capsys):
    frame = values()
    data, model = tmp_path / "percent.csv", tmp_path / "m.safetensors"
    written(frame, "percent").to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FAST)
    assert code == 0, err
    held = np.flatnonzero(row_parts(np.arange(N, dtype=np.uint64), 4, 0.2, 0.0) == TEST)
    return frame, data, model, held


@pytest.mark.parametrize("stream", ["no", "yes"])
@pytest.mark.parametrize("how", ["plain", "digits", "reordered"])
def test_the_same_values_written_otherwise_are_scored_on_the_held_out_rows(
        tmp_path, capsys, fitted, how, stream):  # fmt: skip
    frame, data, model, held = fitted
    other = tmp_path / f"{how}.csv"
    written(frame, how).to_csv(other, index=False)
    code, out, err = run(capsys, "evaluate", model, other, "--stream", stream)
    assert code == 0, err
    first = out.splitlines()[0]
    assert first == (f"{model} was fitted on {other} (the same rows, in a file of other "
                     f"bytes): scoring only its {held.size} held-out rows")  # fmt: skip
    assert nats(out) == pytest.approx(scipy_nll(capsys, model, data, frame["y"], held), abs=1e-4)


@pytest.mark.parametrize("stream", ["no", "yes"])
def test_training_rows_written_otherwise_are_said_to_be_training_rows(tmp_path, capsys, fitted,
                                                                      stream):  # fmt: skip
    frame, data, model, held = fitted
    fresh = values(40, seed=9)
    bigger = tmp_path / "bigger.csv"
    pd.concat([written(frame, "plain"), fresh], ignore_index=True).to_csv(bigger, index=False)
    code, out, err = run(capsys, "evaluate", model, bigger, "--stream", stream)
    assert code == 0, err
    trained = N - held.size  # every training row, none of the fresh or held-out rows
    assert out.splitlines()[0] == (f"warning: {trained} of {N + 40} rows of {bigger} are rows "
                                   f"{model} was trained on: the scores are optimistic, not "
                                   "held-out scores")  # fmt: skip


def test_plain_numbers_with_more_digits_were_and_are_the_same_rows(tmp_path, capsys):
    frame = values()
    data, model = tmp_path / "plain.csv", tmp_path / "m.safetensors"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FAST)
    assert code == 0, err
    other = tmp_path / "digits.csv"
    frame.assign(x=[f"{v:.3f}" for v in frame["x"]]).to_csv(other, index=False)
    code, out, err = run(capsys, "evaluate", model, other)
    assert code == 0, err
    held = int(np.count_nonzero(row_parts(np.arange(N, dtype=np.uint64), 4, 0.2, 0.0) == TEST))
    assert out.splitlines()[0] == (f"{model} was fitted on {other} (the same rows, in a file of "
                                   f"other bytes): scoring only its {held} held-out rows")  # fmt: skip


def test_an_older_model_files_digests_are_still_accepted(tmp_path, capsys, fitted):
    """A record as a model file written before holds it: the digests as read."""
    from probnn.model_file import load_model, save_model
    from probnn.tables.copies import content_record, row_digests

    frame, data, model, held = fitted
    old = load_model(model)
    table = pd.read_csv(data)
    columns = old.training_data["columns"]
    train = np.setdiff1d(np.arange(N), held)
    old.training_data = {**old.training_data, **content_record(
        columns, row_digests(table, columns), train, held, False)}  # fmt: skip
    older = tmp_path / "older.safetensors"
    save_model(old, older)
    assert load_model(older).training_data["content_sha256"] != \
        load_model(model).training_data["content_sha256"]  # fmt: skip
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(data.read_bytes().replace(b"\n", b"\r\n"))
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "evaluate", older, crlf, "--stream", stream)
        assert code == 0, err
        assert out.splitlines()[0].endswith(f"(the same rows, in a file of other bytes): scoring "
                                            f"only its {held.size} held-out rows")  # fmt: skip
    # the same values written otherwise: its digests cannot tell, every row scored as before
    plain = tmp_path / "plain.csv"
    written(frame, "plain").to_csv(plain, index=False)
    code, out, err = run(capsys, "evaluate", older, plain)
    assert code == 0 and out.splitlines()[0].startswith(f"{plain}: {N} rows"), out + err


def copied(seed: int = 0) -> pd.DataFrame:
    """A continuous target with 60 whole rows repeated (copies) and a percent column."""
    rng = np.random.default_rng(seed)
    base = pd.DataFrame({"p": np.round(rng.uniform(0, 90, 200), 1), "x": rng.normal(size=200)})
    base["y"] = np.round(base["x"] + rng.normal(size=200), 4)
    return pd.concat([base, base.iloc[:60]], ignore_index=True).sample(frac=1, random_state=1,
                                                                       ignore_index=True)


def test_a_table_of_copies_holds_out_the_rows_it_held_out_before(tmp_path, capsys):
    """The split's keys are the digests as read, as before: the held-out rows are those the
    row hash gives them (computed here with the digests as read, the code before)."""
    from probnn.model_file import load_model
    from probnn.tables.copies import content_sha256, row_digests

    frame = copied()
    table = frame.assign(p=[f"{v}%" for v in frame["p"]])
    data, model = tmp_path / "copies.csv", tmp_path / "m.safetensors"
    table.to_csv(data, index=False)
    code, out, err = run(capsys, "fit", data, "--target", "y", "--out", model, *FAST)
    assert code == 0, err
    read = pd.read_csv(data)
    keys = row_digests(read, ["p", "x", "y"])
    held = np.flatnonzero(row_parts(keys, 4, 0.2, 0.0) == TEST)
    assert f"held-out metrics ({held.size} rows" in out
    record = load_model(model).training_data
    assert record["copy_key"] == "digest" and record["key_sha256"] == content_sha256(keys)
    for stream in ("no", "yes"):  # on its own file, and with its columns in another order
        for other in (data, tmp_path / "reordered.csv"):
            table[["y", "x", "p"]].to_csv(tmp_path / "reordered.csv", index=False)
            code, out, err = run(capsys, "evaluate", model, other, "--stream", stream)
            assert code == 0, err
            assert out.splitlines()[0].endswith(f"scoring only its {held.size} held-out rows")
            assert nats(out) == pytest.approx(scipy_nll(capsys, model, data, read["y"], held),
                                              abs=1e-4)  # fmt: skip
        # written otherwise, the keys are not known: refused in one line, exit 1
        plain = tmp_path / "plain.csv"
        frame.to_csv(plain, index=False)
        code, out, err = run(capsys, "evaluate", model, plain, "--stream", stream)
        assert code == 1 and len(err.strip().splitlines()) == 1, out + err
        assert "written otherwise" in err and "evaluate on that file" in err
