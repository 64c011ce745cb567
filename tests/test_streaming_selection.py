"""``probnn fit --stream`` with ``--family auto``: family and capacity chosen by held-out NLL on a
sample of the non-test rows (``probnn.tables.stream_selection``), then the choice streamed.

Oracles: the in-memory selection on the same rows (``--stream no``: the two paths must agree;
neither is taken as right by the other's code); scipy's negative-binomial and Poisson laws of
the data's own generator (the truth is overdispersed); the bottom-k definition of the sample
worked over the whole table in memory, and the row hash's parts asked row by row; numpy's
mean and standard deviation of the training rows (a constant normal's maximum likelihood); the
streamed fit with a named family (the messages a bad table gets without selection).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _html import read_report
from scipy import stats

from _tables import mixed_table
from probnn.cli import main
from probnn.tables.sources import TableSource
from probnn.tables.split import TEST, row_parts, split_rows
from probnn.tables.stream_selection import (SELECTION_ROWS, SampleSelection, sample_keys,
                                            stream_capacity)  # fmt: skip
from probnn.tables.streaming import fit_stream

FAST = ("--hidden", "6", "--epochs", "12", "--impute", "--quiet", "--seed", "4")


def run(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def chose(out: str) -> str:
    """The one line that says what the selection chose."""
    lines = [line for line in out.splitlines() if line.startswith("chose ")]
    assert len(lines) == 1, out
    return lines[0]




# ------------------------------------------------------------------ the sample
def test_the_sample_is_the_bottom_k_of_the_non_test_rows_however_the_table_is_cut(tmp_path):
    n, seed = SELECTION_ROWS + 9_000, 7
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=n), "y": rng.integers(0, 9, size=n)})
    path = tmp_path / "big.csv"
    table.to_csv(path, index=False)
    rows = np.arange(n, dtype=np.uint64)
    parts = row_parts(rows, seed, 0.2, 0.0)
    # the oracle: of the rows not held out, those of the SELECTION_ROWS smallest keys
    free = np.flatnonzero(parts != TEST)
    expected = np.sort(free[np.argsort(sample_keys(rows[free], seed))[:SELECTION_ROWS]])
    samples = []
    for batch_rows in (4_096, 7_919, n):
        sample = SampleSelection("y", seed)
        for batch in TableSource(path, batch_rows=batch_rows).batches():
            sample.add(batch, row_parts(batch.rows, seed, 0.2, 0.1))  # any validation part
            assert len(sample) <= SELECTION_ROWS  # bounded after every batch
        frame = sample.frame()
        assert len(frame) == SELECTION_ROWS
        np.testing.assert_array_equal(frame.index.to_numpy(), expected)
        assert not np.any(row_parts(frame.index.to_numpy(np.uint64), seed, 0.2, 0.0) == TEST)
        pd.testing.assert_frame_equal(frame, table.iloc[expected], check_index_type=False)
        samples.append(frame)
    # another seed: another sample (and other test rows)
    other = SampleSelection("y", seed + 1)
    for batch in TableSource(path, batch_rows=8_192).batches():
        other.add(batch, row_parts(batch.rows, seed + 1, 0.2, 0.0))
    assert len(other) == SELECTION_ROWS
    assert len(np.intersect1d(other.frame().index, expected)) < 0.9 * SELECTION_ROWS


def test_a_table_smaller_than_the_sample_gives_all_its_training_rows_in_order(tmp_path):
    table = mixed_table(500, classifier=False)
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    sample = SampleSelection("y", 4)
    for batch in TableSource(path, batch_rows=64).batches():
        sample.add(batch, row_parts(batch.rows, 4, 0.2, 0.1))
    train, _ = split_rows(500, 4, 0.2)  # the rows --stream no selects on
    frame = sample.frame()
    np.testing.assert_array_equal(frame.index.to_numpy(), train)
    pd.testing.assert_frame_equal(frame, pd.read_csv(path).iloc[train], check_index_type=False)


def test_each_capacity_is_streamed_as_the_model_it_names():
    assert stream_capacity("network", (6,)) == ((6,), False)
    assert stream_capacity("network", None) == (None, False)
    assert stream_capacity("glm", (6,)) == ((), False)
    assert stream_capacity("constant", None) == ((), True)


# ------------------------------------------------------------- the command
@pytest.mark.parametrize("classifier", [False, True], ids=["regressor", "classifier"])
def test_streamed_and_in_memory_fits_choose_alike_on_the_same_rows(tmp_path, capsys, classifier):
    data = tmp_path / "t.csv"
    mixed_table(300, classifier).to_csv(data, index=False)
    lines = {}
    for stream in ("no", "yes"):
        code, out, err = run(capsys, "fit", data, "--target", "y", "--stream", stream,
                             "--out", tmp_path / f"{stream}.safetensors", *FAST)  # fmt: skip
        assert code == 0, err
        lines[stream] = chose(out)  # printed under --quiet, as in memory
    head, rest = lines["no"].split(":", 1)  # "chose FAMILY CAPACITY", ": why ... (how)"
    n_train = split_rows(300, 4, 0.2)[0].size
    assert lines["yes"] == f"{head} on all {n_train:,} training rows:{rest}"
    page = read_report(tmp_path / "yes-report" / "report.html")
    table = page.tables["selection"]
    chosen = [row for row in table if row and row[-1] == "chosen"]
    assert len(chosen) == 1 and head == f"chose {chosen[0][0]} " + {
        "constant": "constant model", "glm": "GLM", "network": "network"}[chosen[0][1]]


def test_overdispersed_counts_are_not_streamed_as_poisson(tmp_path, capsys):
    n = 2_500
    rng = np.random.default_rng(21)
    x = rng.normal(size=n)
    mean, dispersion = np.exp(1.2 + 0.6 * x), 0.8
    nb = stats.nbinom(1 / dispersion, 1 / (1 + dispersion * mean))
    y = nb.rvs(random_state=rng)
    # the truth is overdispersed: its own law beats the Poisson of the true means by far
    gap = np.mean(stats.poisson(mean).logpmf(y) - nb.logpmf(y))
    assert gap < -0.2
    data = tmp_path / "counts.csv"
    pd.DataFrame({"x": x, "y": y}).to_csv(data, index=False)
    code, out, err = run(capsys, "fit", data, "--target", "y", "--stream", "yes", "--hidden",
                         "none", "--quiet", "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 0, err
    line = chose(out)
    assert not line.startswith("chose poisson") and "negative-binomial" in line.split(":")[0]
    table = read_report(tmp_path / "m-report" / "report.html").tables["selection"]
    nll = {(r[0], r[1]): float(r[2]) for r in table if r}
    for capacity in ("constant", "glm"):
        assert nll[("negative-binomial", capacity)] < nll[("poisson", capacity)] - 0.1


def test_a_sample_smaller_than_the_table_picks_a_constant_of_the_mle(tmp_path):
    # features that carry nothing: the constant normal is chosen, and streamed as one
    from probnn.report.card import is_constant

    n = 1_500
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "y": 3.0 + 2.0 * rng.normal(size=n)})  # fmt: skip
    path = tmp_path / "null.csv"
    frame.to_csv(path, index=False)
    said: list[str] = []
    model, info = fit_stream(TableSource(path, batch_rows=256), "y", hidden=(), seed=2,
                             select=True, selection_rows=600, log=said.append)  # fmt: skip
    assert info.selection_rows == 600 and info.selection.capacity == "constant"
    fit_rows = info.rows["train"] + info.rows["validation"]
    assert info.family_reason.startswith(
        f"chose {info.selection.family} constant model on a sample of 600 of the "
        f"{fit_rows:,} training rows: ")  # fmt: skip
    assert info.family_reason in said
    # (the normal, or the normal of fixed scale in the standardised target's units: the
    # same law here with one raw output fewer, so the simpler)
    assert model.family in ("normal", "normal-fixed") and is_constant(model.estimator)
    train = row_parts(np.arange(n, dtype=np.uint64), 2, 0.2, 0.0) != TEST
    dist = model.predict_dist(frame.iloc[:50])
    y = frame["y"].to_numpy()[train]
    np.testing.assert_allclose(dist.loc, np.mean(y), atol=0.05 * np.std(y))
    np.testing.assert_allclose(dist.scale, np.std(y), rtol=0.05)


def test_bad_data_is_one_line_exit_1_as_without_selection(tmp_path, capsys):
    frame = mixed_table(400, classifier=False).fillna({"z": 0.0, "colour": "red"})
    frame.loc[371, "z"] = np.nan  # no --impute: a missing value deep in the table
    data = tmp_path / "bad.csv"
    frame.to_csv(data, index=False)
    errors = {}
    for family in ("auto", "normal"):
        code, out, err = run(capsys, "fit", data, "--target", "y", "--stream", "yes", "--family",
                             family, "--out", tmp_path / "m.safetensors")  # fmt: skip
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
        assert "chose " not in out
        errors[family] = err
    assert errors["auto"] == errors["normal"] and "'z' (1)" in errors["auto"]
    frame = mixed_table(400, classifier=False).astype({"y": object})
    frame.loc[333, "y"] = "n/a?"  # a stray string in a numeric target
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--stream", "yes", "--impute",
                       "--out", tmp_path / "m.safetensors")  # fmt: skip
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err


def test_select_needs_family_auto():
    with pytest.raises(ValueError, match="family='auto'"):
        fit_stream(None, "y", family="normal", select=True)


def test_a_chosen_glm_is_streamed_with_the_prior_the_evidence_chose(tmp_path):
    # a linear mean: the GLM is chosen on the sample, its alpha by the evidence (below
    # EVIDENCE_BELOW rows), and the streamed GLM takes that alpha, not the default's
    n = 1_500
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    frame["y"] = 1.0 + 2.0 * frame["a"] - frame["b"] + 0.5 * rng.normal(size=n)
    path = tmp_path / "linear.csv"
    frame.to_csv(path, index=False)
    model, info = fit_stream(TableSource(path, batch_rows=256), "y", hidden=(), seed=1,
                             select=True, selection_rows=600)  # fmt: skip
    assert info.selection.capacity == "glm", info.selection.table
    chosen = info.selection.model.estimator
    assert chosen.alpha == max(chosen.evidence_, key=chosen.evidence_.get)
    assert model.estimator.alpha == chosen.alpha
