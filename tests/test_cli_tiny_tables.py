"""A regression family's default network on a table too small to hold rows out for early
stopping (``estimators._auto.auto_validation_fraction``) chooses its epochs by folds
(``estimators._folds``): ``probnn fit`` / ``compare`` fit it there as anywhere. Where the
folds do not apply (a censored target, L-BFGS) it would train its whole budget unchecked, and
the family's GLM is fitted instead, said in one line (``probnn.cli._glm``); ``--hidden none``
is the GLM on any table.

Oracle: scipy's Normal NLL of the constant model (the training rows' MLE), which both the
network and the GLM of a linear target beat, as the unchecked network (held-out NLL about 2e8
on this table) did not; the model's own figure recomputed by scipy from its predicted loc and
scale.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _cli import printed_metric as _metric
from _cli import run
from probnn.cli import split_rows
from probnn.model_file import load_model

NOTE = "too few to hold any out for early stopping"


def _three_classes(n_per: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 1.0], [1.0, 4.0]])
    X = np.concatenate([c + rng.normal(size=(n_per, 2)) for c in centres])
    labels = np.repeat(["a", "b", "c"], n_per)
    return pd.DataFrame(X, columns=["x1", "x2"]).assign(species=labels)


def _linear_table(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = 2.0 + X @ np.array([1.0, -0.5, 0.25]) + 0.5 * rng.normal(size=n)
    return pd.DataFrame(X, columns=list("abc")).assign(y=y)


def _constant_nll(frame: pd.DataFrame) -> float:
    """scipy's NLL, on ``fit``'s held-out rows, of the training rows' Normal MLE."""
    train_rows, test_rows = split_rows(len(frame), 0, 0.2)
    y_train, y_test = frame["y"].iloc[train_rows], frame["y"].iloc[test_rows]
    return -np.mean(stats.norm.logpdf(y_test, y_train.mean(), y_train.std(ddof=0)))


def _scipy_nll(out, frame: pd.DataFrame) -> float:
    """scipy's Normal NLL of the saved model's predicted loc and scale on the held-out rows
    (a tiny table's network: the equal mixture of its components', ``estimators._folds``)."""
    from scipy.special import logsumexp

    _, test_rows = split_rows(len(frame), 0, 0.2)
    dist = load_model(out).predict_dist(frame.iloc[test_rows])
    log_p = [stats.norm.logpdf(frame["y"].iloc[test_rows],
                               *(np.asarray(v, dtype=np.float64).ravel() for v in (c.loc, c.scale)))
             for c in getattr(dist, "components", [dist])]  # fmt: skip
    return -np.mean(logsumexp(log_p, axis=0) - np.log(len(log_p)))


def test_a_tiny_table_fits_the_default_network_its_folds_check(tmp_path, capsys):
    # before: the GLM in its place, said in a note (the network "would train its whole budget
    # unchecked"); now the network's epochs are chosen by folds, and it beats the constant
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "tiny.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed, printed
    assert load_model(out).estimator.hidden_layer_sizes == (50, 50)
    found = _metric(printed, "NLL (nats per example)")
    assert found < _constant_nll(frame)  # the oracle: scipy's constant Normal (1.39; 1.14 here)
    assert found == pytest.approx(_scipy_nll(out, frame), abs=1e-4)
    # no warning of the constant's; the network's line against the GLM (a linear truth: the
    # GLM is the better model here, 0.59 against 1.12) is cli._glm's, tested there
    assert "worse than the best constant" not in printed and "interval held" not in printed


def test_hidden_none_on_a_tiny_table_is_the_glm(tmp_path, capsys):
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "glm.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--hidden", "none", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed
    estimator = load_model(out).estimator
    assert estimator.hidden_layer_sizes == () and estimator.solver == "lbfgs"
    found = _metric(printed, "NLL (nats per example)")
    assert found < _constant_nll(frame) - 0.3
    assert found == pytest.approx(_scipy_nll(out, frame), abs=1e-4)


@pytest.mark.parametrize("options", [["--solver", "lbfgs"], ["--censored-below", "-100"]])
def test_a_tiny_table_fits_the_glm_where_the_folds_do_not_apply(tmp_path, capsys, options):
    # L-BFGS and censored targets: the folds choose no epochs, so the default network would
    # train its whole budget unchecked; the GLM instead, said even with --quiet
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "tiny.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--out", out, "--quiet", *options)  # fmt: skip
    assert code == 0, err
    notes = [line for line in printed.splitlines() if NOTE in line]
    assert len(notes) == 1 and "--hidden SIZES or --epochs N" in notes[0], printed
    estimator = load_model(out).estimator
    assert estimator.hidden_layer_sizes == () and estimator.solver == "lbfgs"
    # no row lies below -100: the censored likelihood is the density, scored as the constant
    assert _metric(printed, "NLL (nats per example)") < _constant_nll(frame) - 0.3


@pytest.mark.parametrize("options", [["--hidden", "4", "--epochs", "3"], ["--epochs", "2"]])
def test_a_tiny_table_keeps_a_network_the_options_set(tmp_path, capsys, options):
    data = tmp_path / "tiny.csv"
    _linear_table(30).to_csv(data, index=False)
    out = tmp_path / "net.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--out", out, "--quiet", *options)  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed
    assert len(load_model(out).estimator.hidden_layer_sizes) > 0


def test_a_table_with_rows_for_early_stopping_keeps_the_default_network(tmp_path, capsys):
    data = tmp_path / "fifty.csv"
    _linear_table(60).to_csv(data, index=False)  # over 40 training rows: 20 to stop on
    out = tmp_path / "net.safetensors"
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed
    assert load_model(out).estimator.hidden_layer_sizes == (50, 50)


def test_a_tiny_class_table_keeps_the_classifiers_network(tmp_path, capsys):
    # a classifier's default network stops early on its own held-out rows
    frame = _three_classes(n_per=10, seed=2)
    data, out = tmp_path / "c.csv", tmp_path / "c.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "species", "--family",
                             "categorical", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed
    assert len(load_model(out).estimator.hidden_layer_sizes) > 0


def test_compare_on_a_tiny_table_compares_the_networks(tmp_path, capsys):
    frame = _linear_table(30)
    data = tmp_path / "tiny.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "compare", data, "--target", "y", "--families",
                             "normal-fixed,laplace", "--report", tmp_path / "r", "--quiet")
    assert code == 0, err
    assert NOTE not in printed and "generalised linear model" not in printed, printed
    # every family's row beats the constant Normal (the training rows' MLE, scored by scipy)
    constant = _constant_nll(frame)
    rows = [line.split() for line in printed.splitlines() if line.startswith("  ")
            and line.split()[0].isdigit()]  # fmt: skip
    assert len(rows) == 2 and all(float(r[2]) < constant for r in rows), printed


def test_a_tiny_tables_ensemble_is_one_of_networks_the_folds_check(tmp_path, capsys):
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "ens.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--ensemble", "2", "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    assert NOTE not in printed
    members = load_model(out).estimator.estimators_
    assert len(members) == 2 and all(m.hidden_layer_sizes == (50, 50) for m in members)
    # scipy's NLL of the constant Normal (the training rows' MLE, 1.39): the mixture beats it
    assert _metric(printed, "NLL (nats per example)") < _constant_nll(frame)


def test_a_table_of_six_rows_is_selected_by_a_fold_per_row(tmp_path, capsys):
    # 4 training rows: the five folds of --family auto were refused with the splitter's words
    # ("cv must be between 1 and the rows (4); found 5"); now each row is held out once. And
    # every value is one row of four (25%), no heap and no point mass: a value held by one row
    # is what any continuous sample has (before: a heap warning on 25% of the rows)
    frame = _linear_table(6)
    data = tmp_path / "six.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--out",
                             tmp_path / "six.safetensors")  # fmt: skip
    assert code == 0, err
    assert "(4-fold cross-validation over 4 rows)" in printed, printed
    assert "exactly" not in printed and "censored" not in printed, printed


def test_one_row_at_the_smallest_value_is_no_point_mass():
    from probnn._selection_notes import point_mass
    from probnn.tables.resolution import heap

    y = pd.Series(np.linspace(0.0, 1.0, 12) ** 2)  # 12 distinct values: each 1/12 > 5%
    assert point_mass(y, ("positive",)) is None and heap(y, ("positive",)) is None
    # two rows at the smallest value of 12 (17%, 2 rows): a point mass; two inside: a heap
    y2 = pd.Series(np.r_[0.0, 0.0, np.linspace(0.1, 1.0, 10)])
    assert point_mass(y2, ("real",)) == (0.0, 2 / 12, "smallest")
    y3 = pd.Series(np.r_[0.5, 0.5, np.linspace(0.0, 1.0, 10)])
    assert heap(y3, ("real",))[:2] == (0.5, 2 / 12)


FOLD_WARNING = "folds of the 21 training rows the generalised linear model's held-out NLL"


def _folds_constant_nll(frame: pd.DataFrame, seed: int = 0) -> float:
    """scipy's Normal NLL of each fold's constant (its training rows' MLE) on its held-out
    rows, pooled over ``fit``'s 5 shuffled folds of its training rows."""
    from sklearn.model_selection import KFold

    train_rows, _ = split_rows(len(frame), seed, 0.2)
    y = frame["y"].to_numpy()[train_rows]
    rows = [-stats.norm.logpdf(y[held], y[part].mean(), y[part].std())
            for part, held in KFold(5, shuffle=True, random_state=seed).split(y)]
    return float(np.concatenate(rows).mean())


def test_hidden_none_on_a_tiny_table_says_when_its_folds_score_worse_than_a_constant(
        tmp_path, capsys):  # fmt: skip
    # 30 rows, 21 to train on: the Normal GLM's log-scale, linear in x, with the evidence's
    # prior on 16-17 rows, predicts scales of 1e-4 on rows of other folds (held-out NLL
    # 1e4-1e6 a row); before, nothing said so (its 9 held-out rows happened to score well)
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "glm.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--hidden", "none", "--out", out, "--quiet")
    assert code == 0, err
    lines = [line for line in printed.splitlines() if FOLD_WARNING in line]
    assert len(lines) == 1, printed
    glm, constant = (float(v.rstrip(",")) for v in
                     re.findall(r"NLL is (\S+), worse than the best constant model's (\S+) ",
                                lines[0])[0])  # fmt: skip
    assert constant == pytest.approx(_folds_constant_nll(frame), rel=1e-3)  # scipy's
    assert glm > constant + 10


def test_a_tiny_tables_glm_that_its_folds_find_no_worse_than_a_constant_says_nothing(
        tmp_path, capsys):  # fmt: skip
    # normal-fixed: the GLM is least squares with one sigma, the law's own form here
    frame = _linear_table(30)
    data, out = tmp_path / "tiny.csv", tmp_path / "glm.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", "none", "--out", out, "--quiet")
    assert code == 0, err
    assert "folds of the" not in printed and "warning" not in printed, printed
