"""bench.selection's references are what probnn fit gives a user (issue 22's bar): the GLM of
(c) is ``probnn fit --family F --hidden none``'s (its prior chosen by the evidence below
5,000 rows), and a class label only held-out rows hold is scored, as the CLI scores it."""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")
B = pytest.importorskip("bench.selection")
ROOT = Path(__file__).resolve().parents[1]


def _table(tmp_path, n=150, seed=3, labels=("no", "yes")):
    # a weak signal and many features on few rows: the default alpha's GLM overfits, the
    # evidence's does not (the two differ, so the test tells them apart)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12))
    p = 1 / (1 + np.exp(-(1.5 * x[:, 0] + x[:, 1])))
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(12)])
    frame["y"] = np.where(rng.random(n) < p, labels[1], labels[0])
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    from probnn.tables.sources import read_table

    return path, read_table(path)


def _cli_nll(path, tmp_path, *args) -> float:
    """The held-out NLL ``probnn fit`` prints (the oracle: the CLI in its own process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-m", "probnn", "fit", str(path), "--target", "y",
                          "--out", str(tmp_path / "m.safetensors"), "--report",
                          str(tmp_path / "r"), *args], capture_output=True, text=True,
                         env=env, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return float(re.search(r"NLL \(nats per example\)\s+(\S+)", run.stdout).group(1))


def test_reference_glm_is_probnn_fit_hidden_none(tmp_path):
    path, frame = _table(tmp_path)
    seed = 0
    train, held = B._split_rows(frame.shape[0], seed)
    glm, _, why_not = B._cli_glm(path, "y", "bernoulli", seed, frame.shape[0], str(tmp_path))
    assert why_not is None
    ours = B._row_nll(glm, frame.iloc[held], "binary").mean()
    cli = _cli_nll(path, tmp_path, "--family", "bernoulli", "--hidden", "none", "--seed", "0")
    assert ours == pytest.approx(cli, abs=6e-5)  # (the CLI prints 4 decimals)
    # the bench's GLM before: the default alpha, a different (here worse) model
    old, _ = B._fit(frame.iloc[train], "y", "bernoulli", seed, B._cli_defaults(False),
                    hidden=(), solver="lbfgs")  # fmt: skip
    assert abs(B._row_nll(old, frame.iloc[held], "binary").mean() - cli) > 1e-3


def test_label_only_held_out_rows_hold_is_scored(tmp_path):
    # one row of a third label, placed in the held-out rows of seed 0
    path, frame = _table(tmp_path, labels=("a", "b"))
    train, held = B._split_rows(frame.shape[0], 0)
    frame.loc[frame.index[held[0]], "y"] = "c"
    frame.to_csv(path, index=False)
    from probnn.tables.targets import target_kinds

    kinds = target_kinds(frame["y"])
    classes = B._column_classes(frame["y"], "y", "categorical", kinds)
    assert list(classes) == ["a", "b", "c"]
    tr, te = frame.iloc[train], frame.iloc[held]
    with pytest.raises(B.FIT_ERRORS):  # the bench's fit before: the label unknown to it
        B._row_nll(B._fit(tr, "y", "categorical", 0, B._cli_defaults(False), hidden=(),
                          solver="lbfgs")[0], te, kinds[0][0])  # fmt: skip
    model, _ = B._fit(tr, "y", "categorical", 0, B._cli_defaults(False), classes, hidden=(),
                      solver="lbfgs")  # fmt: skip
    rows = B._row_nll(model, te, kinds[0][0])
    assert np.all(np.isfinite(rows))
    # the constant: half a pseudo-row of every class (Krichevsky-Trofimov), by hand
    const = B._constant_rows(model, tr, te, kinds[0][0])
    y_tr = tr["y"].to_numpy()
    n_a, n_b = (y_tr == "a").sum(), (y_tr == "b").sum()
    total = len(y_tr) + 1.5
    expect = {"a": -math.log((n_a + 0.5) / total), "b": -math.log((n_b + 0.5) / total),
              "c": -math.log(0.5 / total)}
    np.testing.assert_allclose(const, [expect[v] for v in te["y"]], rtol=1e-6)
    # the selection (probnn fit --family auto) on the same rows with the column's classes
    sel, _, _ = B._select(tr, "y", 0, B._cli_defaults(False), kinds=kinds, classes=classes)
    assert np.all(np.isfinite(B._row_nll(sel, te, kinds[0][0])))
