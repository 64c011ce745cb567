"""A streamed fit scores a class label that no training row holds, as the fit in memory does.

``probnn fit --stream no`` knows every label of the target column and, where one has no
training row, learns with half a pseudo-count of every class (``TabularModel.fit(classes=)``,
``JEFFREYS_COUNT``). ``--stream yes`` refused such a table (exit 1, "--stream no"), because
its chunks carried no weights for the pseudo-rows. Now the streamed fit gives them to the
trainer with its first chunk (``tables.stream_chunks.with_pseudo_rows``): on a table whose
training rows fit in the buffer it is the same fit.

Oracles: the in-memory fit's own output and model (the project's rule, streamed = in memory:
``tests/test_streaming_same_fit.py``), the row hash asked row by row for which rows are held
out or kept for early stopping, the held-out NLL worked from each model's probabilities, and
``MLPClassifier.fit(X, y, sample_weight)`` for ``fit_chunks`` on one weighted chunk.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import probnn.cli.fit
from probnn.cli import main
from probnn.estimators import MLPClassifier
from probnn.model_file import load_model
from probnn.tables.split import TEST, TRAIN, VALIDATION, row_parts

pytest.importorskip("pyarrow")

from probnn.tables.sources import TableSource  # noqa: E402
from probnn.tables.streaming import fit_stream  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N = 40
LABELS = list("abcd")
FIT = ["--family", "categorical", "--hidden", "4", "--epochs", "15", "--quiet"]


@pytest.fixture(autouse=True)
def _no_report(monkeypatch):
    """The report is not what is compared (and its figures cost most of a small fit)."""
    monkeypatch.setattr(probnn.cli.fit, "_write_model_report", lambda *args: args[2])


def _table() -> pd.DataFrame:
    """Labels a and b 19 times each, c (row 38) and d (row 39) once; a feature that tells a
    from b."""
    rng = np.random.default_rng(3)
    y = ["a", "b"] * 19 + ["c", "d"]
    x = np.where(np.array(y) == "a", -1.0, 1.0) + rng.normal(size=N)
    return pd.DataFrame({"x": x, "z": rng.normal(size=N), "y": y})


def _parts(seed: int) -> np.ndarray:
    # a classifier on a table keeps validation_fraction 0.1 for early stopping
    return row_parts(np.arange(N, dtype=np.uint64), seed, 0.2, 0.1)


def _seed(part_of_c: int) -> int:
    """A seed whose row hash puts row 38 (label c) in ``part_of_c`` and row 39 (d) in the
    training part."""
    return next(s for s in range(200) if _parts(s)[38] == part_of_c and _parts(s)[39] == TRAIN)


def _fit(tmp_path, capsys, stream: str, seed: int, *extra) -> tuple[str, object]:
    data = tmp_path / "t.csv"
    if not data.exists():
        _table().to_csv(data, index=False)
    out = tmp_path / f"{stream}.safetensors"
    code = main(["fit", str(data), "--target", "y", "--stream", stream, "--seed", str(seed),
                 "--out", str(out), "--report", str(tmp_path / "r"), *FIT, *extra])  # fmt: skip
    printed, err = capsys.readouterr()
    assert code == 0, err
    return printed, load_model(out)


def _probs(model, frame: pd.DataFrame) -> np.ndarray:
    """Each row's probability of every label, columns in the order a, b, c, d."""
    probs = model.predict_dist(frame).probs
    return probs[:, [model.classes.index(label) for label in LABELS]]


def _warnings(printed: str) -> list[str]:
    return [line for line in printed.splitlines() if "no training row" in line]


def test_a_held_out_label_with_no_training_row_is_scored_streamed_as_in_memory(tmp_path, capsys):
    seed = _seed(TEST)
    frame = _table()
    held_out = np.flatnonzero(_parts(seed) == TEST)
    printed, models = {}, {}
    for stream in ("no", "yes"):  # (--stream yes: exit 1 before)
        printed[stream], models[stream] = _fit(tmp_path, capsys, stream, seed)
    # one warning, the same both ways; its row count is the hash's
    assert len(_warnings(printed["yes"])) == 1
    assert _warnings(printed["yes"]) == _warnings(printed["no"])
    assert "label [c] of target 'y' (1 held-out row)" in _warnings(printed["yes"])[0]
    codes = frame["y"].map(LABELS.index).to_numpy()
    nll = {}
    for stream, model in models.items():
        probs = _probs(model, frame.iloc[held_out])
        nll[stream] = float(np.mean(-np.log(probs[np.arange(held_out.size), codes[held_out]])))
        p_c = _probs(model, frame.iloc[[38]])[0, LABELS.index("c")]
        assert 0.0 < p_c < 0.5 and math.isfinite(math.log(p_c))
        assert f"NLL (nats per example) {nll[stream]:.4f}" in " ".join(printed[stream].split())
    assert nll["yes"] == pytest.approx(nll["no"], rel=1e-6)
    np.testing.assert_allclose(_probs(models["yes"], frame), _probs(models["no"], frame),
                               rtol=1e-6, atol=1e-7)  # fmt: skip


def test_a_label_held_only_by_early_stopping_rows_gets_the_pseudo_rows_streamed_too(
        tmp_path, capsys):  # fmt: skip
    # c's one row is kept for early stopping: not trained on, so in memory the model learns
    # with the pseudo-rows (without a warning: a row of the fitted part holds it); streamed
    # it trained without them before, and its probabilities were others
    seed = _seed(VALIDATION)
    frame = _table()
    printed, models = {}, {}
    for stream in ("no", "yes"):
        printed[stream], models[stream] = _fit(tmp_path, capsys, stream, seed)
        assert _warnings(printed[stream]) == []
    np.testing.assert_allclose(_probs(models["yes"], frame), _probs(models["no"], frame),
                               rtol=1e-6, atol=1e-7)  # fmt: skip


def test_the_streamed_selection_knows_the_held_out_label_as_in_memory(tmp_path, capsys):
    # --family auto: the sample selection's class models know the label too (the classes of
    # every row), so both paths score the same candidates alike
    seed = _seed(TEST)
    lines = {}
    for stream in ("no", "yes"):
        printed, _ = _fit(tmp_path, capsys, stream, seed, "--family", "auto")
        assert len(_warnings(printed)) == 1
        lines[stream] = next(line for line in printed.splitlines() if line.startswith("chose "))
    # (streamed, the line says which rows the sample is: here all the non-test rows)
    fitted = int(np.sum(_parts(seed) != TEST))
    assert lines["yes"] == lines["no"].replace(":", f" on all {fitted} training rows:", 1)


def test_a_streamed_fit_in_several_chunks_scores_the_label(tmp_path):
    # chunks through the shuffle buffer: the pseudo-rows go with each epoch's first chunk
    seed = _seed(TEST)
    frame = _table()
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    lines: list[str] = []
    model, info = fit_stream(TableSource(path, batch_rows=7), "y", family="categorical",
                             hidden=(4,), epochs=15, seed=seed, buffer_rows=8, chunk_rows=8,
                             log=lines.append)  # fmt: skip
    assert info.unseen_labels.startswith("no training row holds label [c] of target 'y'")
    assert f"warning: {info.unseen_labels}" in lines
    p_c = _probs(model, frame.iloc[[38]])[0, LABELS.index("c")]
    assert 0.0 < p_c < 0.5
    assert math.isfinite(info.metrics["nll_nats"])


def test_fit_chunks_on_one_weighted_chunk_is_fit_with_those_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = rng.integers(0, 3, size=50)
    w = rng.uniform(0.2, 2.0, size=50)
    params = dict(hidden_layer_sizes=(5,), max_iter=8, random_state=1, early_stopping=False)
    fitted = MLPClassifier(**params).fit(X, y, sample_weight=w)
    chunked = MLPClassifier(**params).fit_chunks(lambda: iter([(X, y, w)]),
                                                 classes=np.arange(3))  # fmt: skip
    np.testing.assert_allclose(chunked.predict_proba(X), fitted.predict_proba(X), rtol=1e-6)
    unweighted = MLPClassifier(**params).fit(X, y)
    assert not np.allclose(unweighted.predict_proba(X), fitted.predict_proba(X), rtol=1e-6)
