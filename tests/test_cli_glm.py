"""``--hidden none`` (the family's generalised linear model) and the console's warning when
the fitted model is worse than the family's best constant model (issue 22).

Oracles: an ordinary least-squares fit with the maximum-likelihood variance (numpy), a
logistic regression (scikit-learn, no penalty to speak of), the constant model's MLE and
NLL by scipy.stats, all on the rows of the command line's split (``split_rows``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _cli import printed_metric as _metric
from _cli import run
from _html import read_report
from probnn.cli import split_rows
from probnn.model_file import load_model

WARNING = re.compile(r"^warning: the (network|generalised linear model)'s held-out NLL "
                     r"(\S+) is worse than the best constant (\S+)'s (\S+) \(by (\S+) nats per "
                     r"example\): try (.*)$", re.M)  # fmt: skip


def _split(frame: pd.DataFrame, seed: int = 0, test_size: float = 0.2):
    train, test = split_rows(frame.shape[0], seed, test_size)
    return frame.iloc[train], frame.iloc[test]


@pytest.mark.parametrize("spelling", ["none", "0"])
def test_hidden_none_fits_the_normal_linear_model_of_least_squares(tmp_path, capsys, spelling):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    y = 1.0 + X @ np.array([1.0, 0.5, -2.0]) + 0.7 * rng.normal(size=300)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": y})
    data, out = tmp_path / "lin.csv", tmp_path / "lin.safetensors"
    frame.to_csv(data, index=False)
    # normal-fixed: one noise scale for every row (the "normal" family's scale varies with x)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal-fixed",
                             "--hidden", spelling, "--solver", "lbfgs", "--prior", "none",
                             "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    model = load_model(out)
    assert model.estimator.hidden_layer_sizes == ()
    assert len(model.estimator.coefs_) == 1  # inputs straight to the raw outputs
    # the oracle: least squares on the training rows, the MLE variance RSS / n
    train, test = _split(frame)
    design = np.column_stack([np.ones(len(train)), train[["a", "b", "c"]].to_numpy()])
    beta, rss, *_ = np.linalg.lstsq(design, train["y"].to_numpy(), rcond=None)
    sigma = np.sqrt(rss[0] / len(train))
    mean = np.column_stack([np.ones(len(test)), test[["a", "b", "c"]].to_numpy()]) @ beta
    nll = -np.mean(stats.norm.logpdf(test["y"].to_numpy(), mean, sigma))
    assert _metric(printed, "NLL (nats per example)") == pytest.approx(nll, abs=1e-3)
    assert WARNING.search(printed) is None  # the linear model beats the constant here
    card = read_report(tmp_path / "lin-report" / "report.html")
    network = {r[0]: r[1] for r in card.tables["network"] if r}
    layers = network["layers (inputs → hidden → raw outputs)"]
    assert layers.startswith("3 → 1 (no hidden layer") and "generalised linear model" in layers
    assert network["hidden activation"] == "none (no hidden layer)"


def test_hidden_none_fits_a_logistic_regression(tmp_path, capsys):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 2))
    y = (0.3 + X @ np.array([1.5, -1.0]) + rng.logistic(size=400) > 0).astype(int)
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "y": y})
    data, out = tmp_path / "b.csv", tmp_path / "b.safetensors"
    frame.to_csv(data, index=False)
    code, _, err = run(capsys, "fit", data, "--target", "y", "--family", "bernoulli", "--hidden",
                       "none", "--solver", "lbfgs", "--prior", "none", "--out", out, "--quiet")
    assert code == 0, err
    model = load_model(out)
    assert len(model.estimator.coefs_) == 1
    train, test = _split(frame)
    reference = LogisticRegression(C=1e8, max_iter=10_000).fit(train[["a", "b"]], train["y"])
    expected = reference.predict_proba(test[["a", "b"]])[:, 1]
    probs = np.asarray(model.predict_dist(test).probs, dtype=np.float64)
    found = probs.reshape(len(test), -1)[:, -1]  # P(y = 1), whatever the columns
    np.testing.assert_allclose(found, expected, atol=2e-3)


def test_a_network_worse_than_the_constant_says_so_on_the_console(tmp_path, capsys):
    # y independent of x, few rows, an unregularised network trained by L-BFGS (no early
    # stopping): it fits the noise and loses to the constant Normal on the held-out rows
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "y": 5.0 + 2.0 * rng.normal(size=60)})  # fmt: skip
    data, out = tmp_path / "noise.csv", tmp_path / "noise.safetensors"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal", "--hidden",
                             "32,32", "--solver", "lbfgs", "--prior", "none", "--epochs", "200",
                             "--out", out, "--quiet")  # fmt: skip
    assert code == 0, err
    found = WARNING.findall(printed)
    assert len(found) == 1, printed
    what, nll, family, nll0, by, advice = found[0]
    assert (what, family) == ("network", "normal")
    assert "--hidden none" in advice
    # the constant: the Normal's MLE on the training rows, scored on the held-out rows
    train, test = _split(frame)
    mu, sd = train["y"].mean(), train["y"].std(ddof=0)
    expected0 = -np.mean(stats.norm.logpdf(test["y"], mu, sd))
    assert float(nll0) == pytest.approx(expected0, abs=1e-4)
    # the network's: its predicted Normals on the held-out rows, scored by scipy
    dist = load_model(out).predict_dist(test)
    loc, scale = (np.asarray(v, dtype=np.float64).ravel() for v in (dist.loc, dist.scale))
    expected = -np.mean(stats.norm.logpdf(test["y"], loc, scale))
    assert float(nll) == pytest.approx(expected, rel=1e-4, abs=1e-4)
    assert float(nll) == _metric(printed, "NLL (nats per example)")
    assert float(by) == pytest.approx(expected - expected0, rel=1e-4, abs=2e-4)
    # the report's constant row is the same number
    card = read_report(tmp_path / "noise-report" / "report.html")
    row = next(r for r in card.tables["baseline"] if r and r[0].startswith("best constant"))
    # (the report writes 4 significant digits: within half a unit of the last one)
    assert float(row[1]) == pytest.approx(expected0, rel=5e-4)


def test_a_network_better_than_the_constant_prints_no_warning(tmp_path, capsys):
    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"x": x, "y": 3.0 * x + 0.3 * rng.normal(size=200)})
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "fit", data, "--target", "y", "--family", "normal",
                             "--hidden", "8", "--epochs", "40", "--out", tmp_path / "d.safetensors",
                             "--quiet")  # fmt: skip
    assert code == 0, err
    # the oracle's constant (the Normal's MLE on the training rows) is far behind the network
    train, test = _split(frame)
    nll0 = -np.mean(stats.norm.logpdf(test["y"], train["y"].mean(), train["y"].std(ddof=0)))
    assert _metric(printed, "NLL (nats per example)") < nll0
    assert "warning" not in printed


def test_compare_hidden_none_compares_the_families_glms(tmp_path, capsys):
    rng = np.random.default_rng(5)
    x = rng.normal(size=120)
    frame = pd.DataFrame({"x": x, "y": 1.0 + 2.0 * x + rng.normal(size=120)})
    data = tmp_path / "c.csv"
    frame.to_csv(data, index=False)
    code, printed, err = run(capsys, "compare", data, "--target", "y", "--families",
                             "normal-fixed,laplace", "--hidden", "none", "--solver", "lbfgs",
                             "--prior", "none", "--report", tmp_path / "r", "--quiet")  # fmt: skip
    assert code == 0, err
    assert "generalised linear model (--hidden none)" in printed
    # the normal-fixed GLM is least squares: its held-out NLL that of OLS with the MLE variance
    train, test = _split(frame)
    slope, intercept = np.polyfit(train["x"], train["y"], 1)
    sigma = np.sqrt(np.mean((train["y"] - (intercept + slope * train["x"])) ** 2))
    nll = -np.mean(stats.norm.logpdf(test["y"], intercept + slope * test["x"], sigma))
    row = re.search(r"^  \d+\s+normal-fixed\s+(\S+)", printed, re.M)
    assert float(row.group(1)) == pytest.approx(nll, abs=1e-3)
    card = read_report(tmp_path / "r" / "report.html")
    settings = {r[0]: r[1] for r in card.tables["training"] if r}
    assert settings["hidden layers"] == "none: the generalised linear model of the family"
