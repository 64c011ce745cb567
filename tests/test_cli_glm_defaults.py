"""``--hidden none`` on the command line is the selection's GLM (``probnn.cli._glm``): with
no ``--alpha``, L-BFGS and, below ``selection.EVIDENCE_BELOW`` training rows, the Gaussian
prior of largest Laplace evidence, as ``--family auto``'s GLMs.

Oracle: the evidence's GLM fitted through :func:`probnn.evidence.fit_by_evidence` on the same
training rows of iris (standardised by numpy), its held-out NLL by numpy from its class
probabilities; and the near-flat prior's GLM, far worse on nearly separable classes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _cli import printed_metric as _metric
from _cli import run
from probnn.cli import split_rows
from probnn.model_file import load_model


def _iris() -> pd.DataFrame:
    """UCI iris (scikit-learn's bundled copy): setosa apart, versicolor and virginica nearly
    separable by a hyperplane, so a near-flat prior's GLM grows its weights."""
    from sklearn.datasets import load_iris

    bunch = load_iris()
    frame = pd.DataFrame(bunch.data, columns=list("abcd"))
    return frame.assign(species=np.asarray(bunch.target_names)[bunch.target])


def _separable(n_per: int = 40, seed: int = 0) -> pd.DataFrame:
    """Three well separated classes in four features."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [6.0, 1.0, 5.0, 0.0], [6.0, 7.0, 0.0, 5.0]])
    X = np.concatenate([c + rng.normal(size=(n_per, 4)) for c in centres])
    labels = np.repeat(["setosa", "versicolor", "virginica"], n_per)
    order = rng.permutation(len(labels))
    return pd.DataFrame(X[order], columns=list("abcd")).assign(species=labels[order])


def _standardised(train: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """``rows``' features in the training rows' standard units (numpy; the population SD)."""
    X = train[list("abcd")].to_numpy()
    return (rows[list("abcd")].to_numpy() - X.mean(axis=0)) / X.std(axis=0)


def _held_out_nll(proba: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(proba[np.arange(len(y)), y])))


def test_hidden_none_is_the_evidences_glm_below_evidence_below(tmp_path, capsys):
    from probnn import MLPClassifier
    from probnn.evidence import fit_by_evidence
    from probnn.selection import EVIDENCE_BELOW

    frame = _iris()
    data = tmp_path / "iris.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "species", "--family",
                             "categorical", "--hidden", "none", "--out", tmp_path / "g.safetensors",
                             "--report", tmp_path / "r")  # fmt: skip
    assert code == 0, err
    assert f"below {EVIDENCE_BELOW:,} training rows" in printed
    found = _metric(printed, "NLL (nats per example)")
    model = load_model(tmp_path / "g.safetensors")
    assert model.estimator.hidden_layer_sizes == () and model.estimator.solver == "lbfgs"
    # the oracle: the evidence's GLM on the same training rows, scored by numpy
    train_rows, test_rows = split_rows(len(frame), 0, 0.2)
    train, test = frame.iloc[train_rows], frame.iloc[test_rows]
    classes = sorted(frame["species"].unique())
    y_train = train["species"].map(classes.index).to_numpy()
    y_test = test["species"].map(classes.index).to_numpy()
    glm = dict(family="categorical", hidden_layer_sizes=(), solver="lbfgs", random_state=0)
    reference = fit_by_evidence(MLPClassifier(**glm), _standardised(train, train), y_train)
    expected = _held_out_nll(reference.predict_proba(_standardised(train, test)), y_test)
    assert model.estimator.alpha == pytest.approx(reference.alpha)
    assert found == pytest.approx(expected, rel=2e-3, abs=2e-3)
    # and far below the near-flat prior's GLM, whose weights grow on separable classes
    flat = MLPClassifier(**glm, alpha=1e-4, max_iter=2000).fit(_standardised(train, train),
                                                               y_train)  # fmt: skip
    assert _held_out_nll(flat.predict_proba(_standardised(train, test)), y_test) > 3 * found


def test_hidden_none_keeps_a_given_alpha_and_solver(tmp_path, capsys):
    frame = _separable(n_per=20, seed=1)
    data = tmp_path / "sep.csv"
    frame.to_csv(data, index=False)
    for options, solver, alpha in ((["--alpha", "0.5"], "lbfgs", 0.5),
                                   (["--solver", "adam", "--epochs", "5"], "adam", 1e-4)):
        out = tmp_path / f"{solver}.safetensors"
        code, printed, err = run(capsys, "fit", data, "--target", "species", "--family",
                                 "categorical", "--hidden", "none", "--out", out, "--quiet",
                                 *options)  # fmt: skip
        assert code == 0, err
        estimator = load_model(out).estimator
        assert (estimator.solver, estimator.alpha) == (solver, alpha)


def test_the_help_states_the_evidences_rows(capsys):
    from probnn.cli import main
    from probnn.selection import EVIDENCE_BELOW

    assert main(["fit", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"whose default it is below {EVIDENCE_BELOW:,} training rows" in text
